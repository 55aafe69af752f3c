//! One run per pair at a time, across processes: two runs of the same pair
//! at once would each see the other's half-done work as changes (and make
//! conflict copies of it). An OS lock on `<state dir>/locks/bisync/pair-N.lock`,
//! which a killed holder releases by dying, so it never needs clearing.

use std::fs::{File, TryLockError};
use std::path::Path;

use super::base::PairId;
use super::error::BisyncError;

/// Held for the whole run; dropping it releases the pair.
#[derive(Debug)]
pub struct PairLock {
    _file: File,
}

/// Takes the pair's lock, or says who is in the way. `state_dir` is the
/// folder of the state database; `names` name the pair in the message.
pub fn lock_pair(state_dir: &Path, pair: PairId, names: (&str, &str)) -> Result<PairLock, BisyncError> {
    let dir = state_dir.join("locks").join("bisync");
    let path = dir.join(format!("pair-{}.lock", pair.0));
    let io = |source| BisyncError::Lock { path: path.clone(), source };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let file = crate::tasks::lock::open_no_follow(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(PairLock { _file: file }),
        Err(TryLockError::WouldBlock) => {
            Err(BisyncError::Busy { local: names.0.to_string(), remote: names.1.to_string() })
        }
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_runs_once_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_pair(dir.path(), PairId(3), ("/a", "demo:A")).unwrap();
        let e = lock_pair(dir.path(), PairId(3), ("/a", "demo:A")).unwrap_err();
        assert!(matches!(e, BisyncError::Busy { .. }), "{e}");
        assert!(lock_pair(dir.path(), PairId(4), ("/b", "demo:B")).is_ok(), "other pairs are free");
        drop(held);
        assert!(lock_pair(dir.path(), PairId(3), ("/a", "demo:A")).is_ok());
    }
}
