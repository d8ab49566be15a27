//! The `mpcd` command line, in the shape of the Cosmos SDK's daemons (`gaiad`, `wasmd`): node
//! commands (`init`, `start`), `keys`, `genesis`, `tx` and `query`. Every argument is checked
//! before any network call, and an error names the flag it is about.
//!
//! The definitions live in the library so tests can parse every command the docs show
//! (`tests/docs_commands.rs`).

pub mod args;
pub mod client;
pub mod genesis;
pub mod gov;
pub mod keys;
pub mod load;
pub mod node;
pub mod query;
pub mod tx;
pub mod wasm;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The CLI.
#[derive(Debug, Parser)]
#[command(name = "mpcd", version, about = "Threshold key custody node: ABCI++ on CometBFT 0.38, keys held only as shares by validators")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands (parsed once per process, so the size of `Tx` does not matter).
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Create a node home for the validator whose CometBFT home is given: config.toml, the store
    /// key and the encrypted secret store with a new X25519 communication key bound to that
    /// validator's address. Prints the communication key (add it to genesis with `mpcd genesis
    /// add-transport-key`).
    Init(node::InitArgs),
    /// Print this node's validator address and X25519 communication key (hex).
    ShowTransportKey {
        /// The node home directory.
        #[arg(long)]
        home: PathBuf,
    },
    /// Serve ABCI++ to CometBFT, and metrics. Refuses a secret store made for another validator.
    Start {
        /// The node home directory.
        #[arg(long)]
        home: PathBuf,
    },
    /// Run a local network of validators in one process: each node is the application `start`
    /// serves, driven in CometBFT's order (no CometBFT needed).
    Devnet {
        /// Number of validators, 1 to 64.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Stop after this many blocks, 30 to 1000 (30 show the network key, a refresh and a join;
        /// about 35 the rotation too).
        #[arg(long, default_value_t = 40)]
        blocks: u64,
        /// Seed of every random choice (the same seed gives the same run).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// One JSON object per event (the same facts as the text lines).
        #[arg(long)]
        json: bool,
    },
    /// Manage account keys: add (new or from a mnemonic), import, list, show, delete.
    Keys {
        /// What to do.
        #[command(subcommand)]
        cmd: keys::KeysCommand,
        /// The keyring.
        #[command(flatten)]
        keyring: keys::KeyringArgs,
    },
    /// Write a raw account key file (hex, mode 0600) for scripts; refuses an existing file.
    /// People should prefer `mpcd keys add`.
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
        /// Bech32 prefix of the chain's addresses.
        #[arg(long, default_value = "mpc")]
        prefix: String,
    },
    /// Build and check a genesis file.
    Genesis {
        /// What to do.
        #[command(subcommand)]
        cmd: genesis::GenesisCommand,
    },
    /// Sign and send a transaction.
    Tx(tx::TxArgs),
    /// Read chain state.
    Query(query::QueryArgs),
    /// Encrypt to a keyset (the network key by default) for an owner and a purpose, off chain.
    Encrypt(client::EncryptArgs),
    /// Make or show an X25519 transport key (where a private decryption is re-encrypted to).
    TransportKey {
        /// What to do.
        #[command(subcommand)]
        cmd: client::TransportKeyCommand,
    },
    /// Open a re-encrypted decryption result with its transport secret.
    OpenReencrypted(client::OpenArgs),
    /// Send a bounded load of requests from fresh accounts (funded by --key) over a few
    /// connections to the given nodes; report requests per block and latency in blocks.
    Load(load::LoadArgs),
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => node::init(&args),
        Command::ShowTransportKey { home } => node::show_transport_key(&home),
        Command::Start { home } => node::start(&home),
        Command::Devnet { validators, blocks, seed, json } => {
            let opts = crate::devnet::DevnetOptions { validators, blocks, seed, json };
            crate::devnet::run(&opts, &mut std::io::stdout()).map_err(|e| anyhow::anyhow!(e))
        }
        Command::Keys { cmd, keyring } => keys::run(cmd, &keyring),
        Command::Keygen { out, prefix } => keys::keygen(&out, &prefix),
        Command::Genesis { cmd } => genesis::run(cmd),
        Command::Tx(args) => tx::run(args),
        Command::Query(args) => query::run(args),
        Command::Encrypt(args) => client::encrypt(&args),
        Command::TransportKey { cmd } => client::transport_key(&cmd),
        Command::OpenReencrypted(args) => client::open(&args),
        Command::Load(args) => load::run(&args),
    }
}
