//! The module cache: cosmwasm-vm's `Cache` in a directory of the node's home, so a contract
//! is compiled once (when its code is stored, or when the directory was lost: from the wasm
//! bytes kept in chain state) and reused across blocks and restarts.

use crate::address::ChainApi;
use crate::querier::ChainQuerier;
use crate::storage::ContractStorage;
use cosmwasm_std::Checksum;
use cosmwasm_vm::{capabilities_from_csv, Cache, CacheOptions, Size};
use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Mutex;

/// The capabilities contracts on this chain may require: iterators, the CosmWasm 1.x and 2.x
/// feature sets and `tss` (the `tss-bindings` crate). Queries a capability implies that this
/// chain does not answer yet (bank, staking, other contracts) return `UnsupportedRequest`.
pub const CAPABILITIES: &str = "iterator,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,tss";

/// Largest wasm code accepted (wasmd's default).
pub const MAX_CODE_SIZE: usize = 800 * 1024;
/// Memory one contract instance may use.
const INSTANCE_MEMORY_MIB: u32 = 32;
/// Compiled modules kept in memory.
const MEMORY_CACHE_MIB: u32 = 128;

/// The cache type this chain's host runs.
pub(crate) type VmCache = Cache<ChainApi, ContractStorage, ChainQuerier>;

/// The contract host of one node.
pub struct Host {
    pub(crate) cache: VmCache,
    /// Codes known to be in the cache's directory.
    present: Mutex<BTreeSet<[u8; 32]>>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").finish_non_exhaustive()
    }
}

impl Host {
    /// Opens (or creates) the module cache in `dir`. One node owns the directory.
    pub fn open(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create the contract cache directory: {e}", dir.display()))?;
        let capabilities: HashSet<String> = capabilities_from_csv(CAPABILITIES);
        let options = CacheOptions::new(dir, capabilities, Size::mebi(MEMORY_CACHE_MIB as usize), Size::mebi(INSTANCE_MEMORY_MIB as usize));
        // SAFETY: `Cache::new` is unsafe because the cache trusts the compiled modules in its
        // directory (they are loaded as native code). The directory is this node's alone, in
        // its home, written only by this cache; nothing else writes modules there.
        #[allow(unsafe_code)]
        let cache = unsafe { Cache::new(options) }.map_err(|e| format!("{}: cannot open the contract cache: {e}", dir.display()))?;
        Ok(Self { cache, present: Mutex::new(BTreeSet::new()) })
    }

    /// Runs cosmwasm-vm's static checks (what `cosmwasm-check` runs) against this chain's
    /// capabilities, compiles the code and keeps it. Returns its checksum. The same bytes give
    /// the same answer on every node.
    pub fn check_and_store(&self, wasm: &[u8]) -> Result<[u8; 32], String> {
        if wasm.len() > MAX_CODE_SIZE {
            return Err(format!("the code is {} bytes, the most accepted is {MAX_CODE_SIZE}", wasm.len()));
        }
        let checksum = self.cache.store_code(wasm, true, true).map_err(|e| format!("the code fails the checks: {e}"))?;
        let bytes: [u8; 32] = *checksum.as_ref();
        self.present.lock().map(|mut p| p.insert(bytes)).ok();
        Ok(bytes)
    }

    /// Makes sure a code is in the cache, from its bytes (`load` reads them from chain state).
    pub(crate) fn ensure(&self, checksum: &[u8; 32], load: impl FnOnce() -> Option<Vec<u8>>) -> Result<Checksum, String> {
        let cs = Checksum::from(*checksum);
        if self.present.lock().is_ok_and(|p| p.contains(checksum)) {
            return Ok(cs);
        }
        if self.cache.load_wasm(&cs).is_err() {
            let wasm = load().ok_or("the code's bytes are missing from chain state")?;
            // Checked when it was stored; this only restores the cache.
            self.cache.store_code(&wasm, false, true).map_err(|e| format!("cannot restore the code into the contract cache: {e}"))?;
        }
        self.present.lock().map(|mut p| p.insert(*checksum)).ok();
        Ok(cs)
    }

    /// The entry points a stored code exports.
    pub fn entry_points(&self, checksum: &[u8; 32]) -> Vec<String> {
        self.cache.analyze(&Checksum::from(*checksum)).map(|r| r.entrypoints.iter().map(|e| e.to_string()).collect()).unwrap_or_default()
    }
}
