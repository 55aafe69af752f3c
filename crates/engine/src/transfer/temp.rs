//! Download temporary files: their names, their records, resuming them and
//! cleaning them up.
//!
//! A download is written to a temporary file beside its target and renamed
//! into place when complete. Three rules shape this module:
//!
//! - **The name fits wherever the target fits.** It is `.fjordsync-<16
//!   hex>.part` (32 bytes), never built from the target's name, so a target
//!   of 255 bytes (the most the service stores) still gets a temporary file.
//! - **Ours means recorded.** Each temporary file is recorded in the state
//!   database (`download_temps`: its path, its target, the remote MD5 and
//!   size it holds bytes of) *before* anything is written to it. Only
//!   recorded files are left out of a walk; a user's file that merely looks
//!   like one is synced like any other.
//! - **Nothing outlives the next run.** A process killed mid-download leaves
//!   the file and its record. The next download of the same target resumes
//!   from it when the remote file is still the same (same MD5 and size) and
//!   removes it otherwise; at the end of the next run of that folder
//!   [`sweep`] removes whatever was not resumed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::local::{SafeRoot, path_key};
use crate::state::{DownloadTemp, StateDb, StateError};

/// A fresh temporary name in `target`'s folder.
pub fn temp_path(target: &Path) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let salt = nanos ^ (u64::from(std::process::id()) << 32) ^ N.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37);
    target.with_file_name(format!(".fjordsync-{salt:016x}.part"))
}

/// A temporary file left by an earlier download that can be continued.
#[derive(Debug)]
pub(crate) struct Resumable {
    /// The file.
    pub path: PathBuf,
    /// How many bytes it already holds.
    pub len: u64,
}

/// Looks for a recorded temporary file for `target`. One that holds bytes
/// of the same remote content (same MD5 and size, no longer than that) is
/// returned to continue; any other is removed with its record.
pub(crate) fn take_resumable(
    db: &StateDb,
    root: &SafeRoot,
    target: &Path,
    md5: &str,
    size: u64,
) -> Result<Option<Resumable>, StateError> {
    let mut found = None;
    for rec in db.download_temps_for(&path_key(target))? {
        if db.run_is_live(rec.run)? {
            // Another process is writing it right now.
            continue;
        }
        let path = PathBuf::from(&rec.temp_path);
        let same = !md5.is_empty() && rec.md5.eq_ignore_ascii_case(md5) && rec.size == size;
        match regular_file_len(root, &path) {
            Some(len) if same && len <= size && found.is_none() => found = Some(Resumable { path, len }),
            _ => remove(db, root, &rec)?,
        }
    }
    Ok(found)
}

/// Records a temporary file before the download writes to it.
pub(crate) fn record(
    db: &StateDb,
    temp: &Path,
    target: &Path,
    md5: &str,
    size: u64,
    run: i64,
) -> Result<(), StateError> {
    db.begin_download_temp(&DownloadTemp {
        temp_path: path_key(temp),
        target_path: path_key(target),
        md5: md5.to_string(),
        size,
        run,
    })
}

/// Forgets a temporary file that was renamed into place or removed.
pub(crate) fn forget(db: &StateDb, temp: &Path) -> Result<(), StateError> {
    db.end_download_temp(&path_key(temp))
}

/// The recorded temporary files below `root`, as paths relative to it (what
/// a walk of `root` leaves out).
pub fn recorded_under(db: &StateDb, root: &Path) -> Result<HashSet<PathBuf>, StateError> {
    Ok(db
        .download_temps_under(&under(root))?
        .into_iter()
        .filter_map(|r| Path::new(&r.temp_path).strip_prefix(root).ok().map(Path::to_path_buf))
        .collect())
}

/// Removes the temporary files recorded below `root` that no live run is
/// writing (a killed run's leftovers that this run did not resume), with
/// their records. Returns how many were removed.
pub fn sweep(db: &StateDb, root: &SafeRoot) -> Result<usize, StateError> {
    let mut removed = 0;
    for rec in db.download_temps_under(&under(root.root()))? {
        if db.run_is_live(rec.run)? {
            continue;
        }
        remove(db, root, &rec)?;
        removed += 1;
    }
    Ok(removed)
}

/// The prefix of every path below `root` (with a trailing separator, so
/// `/a/b` does not match `/a/bc`).
fn under(root: &Path) -> String {
    let mut s = path_key(root);
    if !s.ends_with(std::path::MAIN_SEPARATOR) {
        s.push(std::path::MAIN_SEPARATOR);
    }
    s
}

/// The length of a regular file reached without links or mount points, else None.
fn regular_file_len(root: &SafeRoot, path: &Path) -> Option<u64> {
    root.check(path).ok()?;
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_file().then_some(meta.len())
}

/// Removes a recorded temporary file (only a regular file reached safely:
/// the record is forgotten either way) and its record.
fn remove(db: &StateDb, root: &SafeRoot, rec: &DownloadTemp) -> Result<(), StateError> {
    let path = Path::new(&rec.temp_path);
    if regular_file_len(root, path).is_some()
        && let Err(e) = std::fs::remove_file(path)
    {
        tracing::warn!("could not remove the temporary file {}: {e}", path.display());
    }
    db.end_download_temp(&rec.temp_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_short_whatever_the_target() {
        let long = "n".repeat(255);
        let t = temp_path(&Path::new("/x").join(&long));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 32, "{name}");
        assert!(name.starts_with(".fjordsync-") && name.ends_with(".part"));
        assert_eq!(t.parent(), Some(Path::new("/x")));
        assert_ne!(temp_path(Path::new("/x/a")), temp_path(Path::new("/x/a")), "two downloads never share a name");
    }
}
