#!/usr/bin/env bash
# A CometBFT v0.38 localnet of N validators on 127.0.0.1, each CometBFT node paired with its own
# mpcd (ABCI++ over TCP). Every address is loopback with a distinct port per node; nothing
# listens elsewhere. Processes are tracked by PID in <dir>/pids and stopped by PID.
#
# usage: scripts/localnet.sh start  [--dir DIR] [--validators N] [--base-port P] [--mpcd BIN] [--cometbft BIN] [--epoch-length E] [--timeout-commit 500ms]
#                                    [--nonce-pool 64] [--nonce-batch 32] [--max-block-gas 100000000]
#        scripts/localnet.sh stop   [--dir DIR]
#        scripts/localnet.sh status [--dir DIR]
#        N_NODE=i scripts/localnet.sh restart-node [--dir DIR]   (after a crash of node i)
#        scripts/localnet.sh add-node [--dir DIR]   (a new full node; prints its index)
#        scripts/localnet.sh --help
#
# Ports of node i (0-based): p2p P+10i, rpc P+10i+1, abci P+10i+2, metrics P+10i+3.
# Defaults: --dir ./localnet, --validators 4, --base-port 27000, --epoch-length 10, the engine's
# nonce_pool_target 64 and nonce_batch 32 (--nonce-pool, --nonce-batch: the signing capacity),
# the app's max_block_gas 100000000 (--max-block-gas: about 590 signature requests a block),
# --mpcd target/release/mpcd if built (cargo build --release -p mpcd), else target/debug/mpcd,
# --cometbft from PATH or $(go env GOPATH)/bin (scripts/install-deps builds the pinned version).
# Logs: <dir>/node<i>/cometbft.log and <dir>/mpcd<i>/mpcd.log.
# A funded account for clients: <dir>/faucet.key (`mpcd keys import faucet <dir>/faucet.key`).
set -euo pipefail

cmd="${1:-}"
[ $# -gt 0 ] && shift
dir="./localnet"; n=4; base=27000; epoch=10; commit="500ms"; nonce_pool=64; nonce_batch=32; max_block_gas=100000000
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mpcd="$root/target/release/mpcd"
[ -x "$mpcd" ] || mpcd="$root/target/debug/mpcd"
cometbft="$(command -v cometbft || true)"
[ -z "$cometbft" ] && command -v go >/dev/null && cometbft="$(go env GOPATH)/bin/cometbft"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir="$2"; shift 2 ;;
        --validators) n="$2"; shift 2 ;;
        --base-port) base="$2"; shift 2 ;;
        --mpcd) mpcd="$2"; shift 2 ;;
        --cometbft) cometbft="$2"; shift 2 ;;
        --epoch-length) epoch="$2"; shift 2 ;;
        --timeout-commit) commit="$2"; shift 2 ;;
        --nonce-pool) nonce_pool="$2"; shift 2 ;;
        --nonce-batch) nonce_batch="$2"; shift 2 ;;
        --max-block-gas) max_block_gas="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

port() { echo $((base + 10 * $1 + $2)); }

stop() {
    [ -f "$dir/pids" ] || { echo "no localnet running in $dir"; return 0; }
    while read -r pid; do
        kill "$pid" 2>/dev/null || true
    done < "$dir/pids"
    sleep 1
    while read -r pid; do
        kill -9 "$pid" 2>/dev/null || true
    done < "$dir/pids"
    rm -f "$dir/pids"
    echo "localnet in $dir stopped"
}

configure_node() { # index, persistent peers: CometBFT's config.toml on loopback ports
    local i="$1" peers="$2" cfg="$dir/node$1/config/config.toml"
    python3 - "$cfg" "$(port "$i" 0)" "$(port "$i" 1)" "$(port "$i" 2)" "$peers" "$commit" <<'PY'
import re, sys
path, p2p, rpc, abci, peers, commit = sys.argv[1:]
s = open(path).read()
def setkey(section, key, value):
    global s
    pattern = re.compile(r'(\[' + re.escape(section) + r'\][^\[]*?\n)' + re.escape(key) + r' = [^\n]*', re.S) if section else re.compile(r'^' + re.escape(key) + r' = [^\n]*', re.M)
    if section:
        s, k = pattern.subn(lambda m: m.group(1) + key + ' = ' + value, s, count=1)
    else:
        s, k = pattern.subn(key + ' = ' + value, s, count=1)
    assert k == 1, (section, key)
setkey('', 'proxy_app', f'"tcp://127.0.0.1:{abci}"')
setkey('rpc', 'laddr', f'"tcp://127.0.0.1:{rpc}"')
setkey('p2p', 'laddr', f'"tcp://127.0.0.1:{p2p}"')
setkey('p2p', 'external_address', '""')
setkey('p2p', 'persistent_peers', f'"{peers}"')
setkey('p2p', 'addr_book_strict', 'false')
setkey('p2p', 'allow_duplicate_ip', 'true')
setkey('p2p', 'pex', 'false')
# A transaction waits for its block through heights that need several rounds (a paused or
# crashed proposer): give broadcast_tx_commit more than the default 10 s.
setkey('', 'timeout_broadcast_tx_commit', '"30s"')  # unique key; its [rpc] section holds brackets
setkey('consensus', 'timeout_commit', f'"{commit}"')
# A contract's code travels in one transaction (up to 800 KiB, base64 in the JSON-RPC body).
setkey('', 'max_body_bytes', '4000000')  # unique key: [rpc]
setkey('', 'max_tx_bytes', '2097152')  # unique key: [mempool]
setkey('', 'moniker', '"localnet"')
open(path, 'w').write(s)
PY
    # Nothing may listen outside loopback.
    if grep -nE '(0\.0\.0\.0|192\.168\.|(^|[^0-9])10\.|172\.(1[6-9]|2[0-9]|3[01])\.)' "$cfg" | grep -vE '^\s*#' | grep -q laddr; then
        echo "non-loopback address left in $cfg" >&2; exit 1
    fi
}

start_node() {
    local i="$1"
    "$mpcd" start --home "$dir/mpcd$i" >> "$dir/mpcd$i/mpcd.log" 2>&1 &
    echo "$!" >> "$dir/pids"
    echo "$!" > "$dir/mpcd$i/pid"
    sleep 0.3
    "$cometbft" start --home "$dir/node$i" >> "$dir/node$i/cometbft.log" 2>&1 &
    echo "$!" >> "$dir/pids"
    echo "$!" > "$dir/node$i/pid"
}

case "$cmd" in
    start)
        [ -x "$mpcd" ] || { echo "mpcd not found at $mpcd: build it with 'cargo build --release -p mpcd' or pass --mpcd" >&2; exit 1; }
        [ -x "$cometbft" ] || { echo "cometbft not found: run scripts/install-deps (it builds the pinned CometBFT) or pass --cometbft" >&2; exit 1; }
        [ -e "$dir/pids" ] && { echo "a localnet is already running in $dir (scripts/localnet.sh stop --dir $dir)" >&2; exit 1; }
        rm -rf "$dir" && mkdir -p "$dir"
        "$cometbft" testnet --v "$n" --o "$dir" --starting-ip-address 127.0.0.1 --node-dir-prefix node --populate-persistent-peers=false > /dev/null
        peers=""
        for i in $(seq 0 $((n - 1))); do
            id="$("$cometbft" show-node-id --home "$dir/node$i")"
            peers="${peers:+$peers,}$id@127.0.0.1:$(port "$i" 0)"
        done
        genesis="$dir/node0/config/genesis.json"
        # Consensus params and engine params first; then the app's own genesis commands, which
        # refuse a key for a validator that is not in genesis; then the same checks as InitChain.
        python3 - "$genesis" "$epoch" "$nonce_pool" "$nonce_batch" "$max_block_gas" <<'PY'
import json, sys
path, epoch, nonce_pool, nonce_batch, max_block_gas = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
g = json.load(open(path))
g.setdefault("consensus_params", {}).setdefault("abci", {})["vote_extensions_enable_height"] = "2"
# A localnet votes in seconds: a short voting period, and a grace period after a rotation long
# enough to watch the old generation still decrypt.
g["app_state"] = {"params": {
    "epoch_length": epoch, "extension_budget": 65536, "dealing_timeout": 6, "complaint_window": 1,
    "request_timeout": 2, "max_attempts": 3, "nonce_pool_target": nonce_pool, "nonce_batch": nonce_batch,
    "retirement_delay": 40, "max_message_len": 1024, "max_context_len": 256, "session_retention": 8},
    "app_params": {"max_block_gas": max_block_gas, "gov": {"min_deposit": 1000000, "max_deposit_blocks": 30, "voting_blocks": 8}}}
json.dump(g, open(path, "w"), indent=2)
PY
        for i in $(seq 0 $((n - 1))); do
            "$mpcd" init --home "$dir/mpcd$i" --cometbft-home "$dir/node$i" --abci "127.0.0.1:$(port "$i" 2)" --metrics "127.0.0.1:$(port "$i" 3)" > /dev/null
            "$mpcd" genesis add-transport-key --genesis "$genesis" --home "$dir/mpcd$i" > /dev/null
            configure_node "$i" "$peers"
        done
        # A funded account for clients of the localnet: $dir/faucet.key.
        faucet="$("$mpcd" keygen --out "$dir/faucet.key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["account"])')"
        "$mpcd" genesis add-account --genesis "$genesis" "$faucet" 1000000000000000 > /dev/null
        "$mpcd" genesis validate "$genesis" > /dev/null
        for i in $(seq 1 $((n - 1))); do cp "$genesis" "$dir/node$i/config/genesis.json"; done
        : > "$dir/pids"
        printf 'mpcd=%q\ncometbft=%q\nbase=%q\ncommit=%q\n' "$mpcd" "$cometbft" "$base" "$commit" > "$dir/binaries"
        for i in $(seq 0 $((n - 1))); do start_node "$i"; done
        echo "localnet of $n validators started in $dir; RPC of node 0: http://127.0.0.1:$(port 0 1)"
        ;;
    add-node)
        # A new full node (CometBFT + mpcd) joins the running localnet and block-syncs; it is
        # not a validator until it sends `mpcd tx staking create-validator`. Prints its index.
        # shellcheck disable=SC1091
        . "$dir/binaries"
        i=0
        while [ -d "$dir/node$i" ]; do i=$((i + 1)); done
        "$cometbft" init --home "$dir/node$i" > /dev/null 2>&1
        cp "$dir/node0/config/genesis.json" "$dir/node$i/config/genesis.json"
        peers=""
        for j in $(seq 0 $((i - 1))); do
            peers="${peers:+$peers,}$("$cometbft" show-node-id --home "$dir/node$j")@127.0.0.1:$(port "$j" 0)"
        done
        "$mpcd" init --home "$dir/mpcd$i" --cometbft-home "$dir/node$i" --abci "127.0.0.1:$(port "$i" 2)" --metrics "127.0.0.1:$(port "$i" 3)" > /dev/null
        configure_node "$i" "$peers"
        start_node "$i"
        echo "$i"
        ;;
    restart-node)
        # Restarts node $N_NODE (both processes) with the binaries the localnet started with.
        i="${N_NODE:?set N_NODE to the node index}"
        # shellcheck disable=SC1091
        . "$dir/binaries"
        start_node "$i"
        ;;
    stop) stop ;;
    status)
        [ -f "$dir/pids" ] || { echo "no localnet in $dir"; exit 0; }
        while read -r pid; do
            if kill -0 "$pid" 2>/dev/null; then echo "pid $pid running"; else echo "pid $pid gone"; fi
        done < "$dir/pids"
        ;;
    *) usage >&2; exit 2 ;;
esac
