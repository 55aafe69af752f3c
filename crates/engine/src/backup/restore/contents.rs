//! Writing the contents of restored files, verified chunk by chunk.
//!
//! The chunks to fetch are grouped by pack into runs of neighbours of at
//! most [`RANGE_MAX`] bytes, each read in one request ([`Staged`]). A few
//! workers take runs in pack order; each chunk is decrypted (rustic
//! authenticates it), written at its place in every file that holds it,
//! read back from the file and compared with its id (SHA-256), like
//! `restic restore --verify`. So memory stays at about `WORKERS x RANGE_MAX`
//! whatever the pack sizes, and a failed read is an error, not a panic.
//!
//! A file is written to a hidden temporary file beside it and renamed into
//! place once complete, with its modification time set: a cancelled or failed
//! restore leaves no half-written files and never half-replaces one. A
//! killed restore cannot clean up: the next restore into the same folders
//! removes what it left ([`remove_stale_temps`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustic_core::repofile::PackId;
use rustic_core::{BlobId, IndexedFull, Progress, Repository};
use rustic_core::{DataId, repofile::BlobType};
use tokio_util::sync::CancellationToken;

use super::staged::Staged;
use super::walk::{Blob, FileEntry};
use crate::backup::error::{BackupError, Result};
use crate::lock::{into_inner, lock};

/// Chunks read in one request: up to this many bytes of neighbours in a pack.
const RANGE_MAX: u32 = 8 << 20;

/// Runs fetched, decrypted and written at once.
const WORKERS: usize = 8;

thread_local! {
    /// Each worker's buffer for reading chunks back (reused: allocating one
    /// per chunk costs more in page faults than the read itself).
    static READ_BACK: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Where a chunk goes: (file index, offset in the file) for each place.
type Places = Vec<(usize, u64)>;

/// One chunk and the places it goes.
#[derive(Debug)]
struct Chunk {
    id: DataId,
    length: u64,
    places: Places,
}

/// Neighbouring chunks of one pack, read in one request.
#[derive(Debug)]
struct Run {
    pack: PackId,
    offset: u32,
    length: u32,
    chunks: Vec<Chunk>,
}

/// The runs that write `files` (those [`FileEntry::to_write`]), in pack order.
fn runs(files: &[FileEntry]) -> Vec<Run> {
    // Each chunk once, however many files (or places in a file) hold it.
    let mut chunks: BTreeMap<(PackId, u32), (&Blob, Places)> = BTreeMap::new();
    for (i, file) in files.iter().enumerate().filter(|(_, f)| f.to_write()) {
        for b in &file.blobs {
            chunks.entry((b.pack, b.pack_offset)).or_insert_with(|| (b, Vec::new())).1.push((i, b.at));
        }
    }
    let mut runs: Vec<Run> = Vec::new();
    for ((pack, offset), (blob, places)) in chunks {
        let chunk = Chunk { id: blob.id, length: blob.length, places };
        if let Some(run) = runs.last_mut()
            && run.pack == pack
            && run.offset + run.length == offset
            && run.length + blob.pack_length <= RANGE_MAX
        {
            run.length += blob.pack_length;
            run.chunks.push(chunk);
            continue;
        }
        runs.push(Run { pack, offset, length: blob.pack_length, chunks: vec![chunk] });
    }
    runs
}

/// A file being written: its temporary file, and the bytes still to come.
#[derive(Debug, Default)]
struct Slot {
    temp: Option<(PathBuf, Arc<File>)>,
    left: u64,
}

/// Writes every file of `files` that [`FileEntry::to_write`], reading
/// through `staged` (the backend of `repo`). Returns how many were written.
pub(super) fn write<S: IndexedFull + Sync>(
    repo: &Repository<S>,
    staged: &Staged,
    files: &[FileEntry],
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<u64> {
    let mut written = 0;
    // Empty files have no chunks: create them here.
    for file in files.iter().filter(|f| f.to_write() && f.size == 0) {
        let f = File::create(&file.path).map_err(|e| io(e, "cannot create", &file.path))?;
        finish_file(&f, file)?;
        written += 1;
    }
    let runs = runs(files);
    let slots: Vec<Mutex<Slot>> = files.iter().map(|f| Mutex::new(Slot { temp: None, left: f.size })).collect();
    let writer = Writer { repo, staged, files, slots: &slots, progress };
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<BackupError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(runs.len()) {
            s.spawn(|| {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if cancel.is_cancelled() {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    let Some(run) = runs.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    if let Err(e) = writer.run(run) {
                        stop.store(true, Ordering::Relaxed);
                        lock(&failure).get_or_insert(e);
                        break;
                    }
                }
            });
        }
    });
    let failure = into_inner(failure);
    if failure.is_some() || cancel.is_cancelled() {
        // Remove the temporary files of files not completed.
        for slot in slots {
            if let Some((temp, _)) = into_inner(slot).temp {
                let _ = std::fs::remove_file(temp);
            }
        }
        return Err(failure.unwrap_or(BackupError::Cancelled));
    }
    Ok(written + files.iter().filter(|f| f.to_write() && f.size > 0).count() as u64)
}

/// What the workers share.
struct Writer<'a, S> {
    repo: &'a Repository<S>,
    staged: &'a Staged,
    files: &'a [FileEntry],
    slots: &'a [Mutex<Slot>],
    progress: &'a Progress,
}

impl<S: IndexedFull + Sync> Writer<'_, S> {
    /// Fetches one run and writes its chunks.
    fn run(&self, run: &Run) -> Result<()> {
        self.staged.load(&run.pack, run.offset, run.length)?;
        let result = run.chunks.iter().try_for_each(|chunk| self.chunk(chunk));
        self.staged.unload(&run.pack, run.offset);
        result
    }

    /// Decrypts one chunk and writes it to each of its places.
    fn chunk(&self, chunk: &Chunk) -> Result<()> {
        let data = self.repo.get_blob_cached(&BlobId::from(chunk.id), BlobType::Data)?;
        if data.len() as u64 != chunk.length {
            return Err(BackupError::VerifyFailed(1));
        }
        for &(i, at) in &chunk.places {
            let file = &self.files[i];
            let f = self.open(i)?;
            f.write_all_at(&data, at).map_err(|e| io(e, "cannot write", &file.path))?;
            // Read it back: what is on disk must be the chunk.
            let matches = READ_BACK.with_borrow_mut(|back| {
                back.resize(data.len(), 0);
                f.read_exact_at(back, at).map(|()| chunk.id.blob_matches_reader(chunk.length, &mut back.as_slice()))
            });
            if !matches.map_err(|e| io(e, "cannot read back", &file.path))? {
                return Err(BackupError::VerifyFailed(1));
            }
            self.progress.inc(chunk.length);
            self.written(i, chunk.length, f)?;
        }
        Ok(())
    }

    /// The temporary file of file `i`, created (at its full length) on first use.
    fn open(&self, i: usize) -> Result<Arc<File>> {
        let mut slot = lock(&self.slots[i]);
        if let Some((_, f)) = &slot.temp {
            return Ok(f.clone());
        }
        let file = &self.files[i];
        let temp = temp_path(&file.path, i);
        let f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .map_err(|e| io(e, "cannot create", &temp))?;
        f.set_len(file.size).map_err(|e| io(e, "cannot allocate", &temp))?;
        let f = Arc::new(f);
        slot.temp = Some((temp, f.clone()));
        Ok(f)
    }

    /// Counts `bytes` of file `i` as written; the last ones move it into place.
    fn written(&self, i: usize, bytes: u64, f: Arc<File>) -> Result<()> {
        let temp = {
            let mut slot = lock(&self.slots[i]);
            slot.left = slot.left.saturating_sub(bytes);
            if slot.left > 0 {
                return Ok(());
            }
            slot.temp.take()
        };
        let Some((temp, _)) = temp else { return Ok(()) };
        let file = &self.files[i];
        finish_file(&f, file)?;
        drop(f);
        std::fs::rename(&temp, &file.path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            io(e, "cannot move into place", &file.path)
        })
    }
}

/// Gives a completed file its modification time.
fn finish_file(f: &File, file: &FileEntry) -> Result<()> {
    if let Some(mtime) = file.mtime {
        f.set_modified(mtime).map_err(|e| io(e, "cannot set the modification time of", &file.path))?;
    }
    Ok(())
}

/// Start and end of a restore's temporary file names.
const TEMP_PREFIX: &str = ".fjordsync-restore-";
const TEMP_SUFFIX: &str = ".part";

/// A hidden name beside `path` for writing it: it does not contain the
/// file's name, so it fits wherever the name fits (255 bytes and beyond),
/// and it holds the process id, so another restore can tell a leftover of a
/// killed process from the file of a live one.
fn temp_path(path: &Path, i: usize) -> PathBuf {
    path.with_file_name(format!("{TEMP_PREFIX}{}-{i}{TEMP_SUFFIX}", std::process::id()))
}

/// The process that wrote a restore's temporary file named `name`, if the
/// name is one.
fn temp_owner(name: &str) -> Option<u32> {
    let (pid, i) = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(i)).then(|| pid.parse().ok()).flatten()
}

/// Removes the temporary files that killed restores left in the folders
/// this restore writes to (a kill gives no chance to clean up, and each
/// is as large as its file). Files of a restore still running (its process
/// is alive, or it is this one) stay, and so do files of the snapshot
/// itself that happen to have such a name. Returns how many were removed.
pub(super) fn remove_stale_temps(files: &[FileEntry]) -> usize {
    let ours: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let folders: BTreeSet<&Path> = files.iter().filter_map(|f| f.path.parent()).collect();
    let mut removed = 0;
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(temp_owner) else { continue };
            let path = e.path();
            // Regular files only: never follow or remove a symlink.
            let regular = e.file_type().is_ok_and(|t| t.is_file());
            if !regular || ours.contains(path.as_path()) || pid == std::process::id() || crate::process::alive(pid) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("cannot remove {} left by an earlier restore: {e}", path.display()),
            }
        }
    }
    if removed > 0 {
        tracing::info!("removed {removed} temporary file(s) left by an earlier restore");
    }
    removed
}

fn io(source: std::io::Error, what: &str, path: &Path) -> BackupError {
    BackupError::Io { context: format!("{what} {}", path.display()), source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::restore::walk::Found;

    fn pack(n: u8) -> PackId {
        let mut p = [0u8; 32];
        p[0] = n;
        PackId::from(rustic_core::Id::new(p))
    }

    fn blob(n: u8, offset: u32, length: u32, at: u64) -> Blob {
        let mut id = [0u8; 32];
        id[0] = n;
        id[1..5].copy_from_slice(&offset.to_be_bytes());
        Blob {
            id: DataId::from(rustic_core::Id::new(id)),
            pack: pack(n),
            pack_offset: offset,
            pack_length: length,
            length: u64::from(length),
            at,
        }
    }

    fn file(blobs: Vec<Blob>, found: Found) -> FileEntry {
        let size = blobs.iter().map(|b| b.length).sum();
        FileEntry { path: "/x".into(), size, mtime: None, blobs, found }
    }

    #[test]
    fn temporary_names_are_recognised_and_fit_long_names() {
        let long = format!("/t/{}", "n".repeat(250));
        let temp = temp_path(Path::new(&long), 12);
        let name = temp.file_name().unwrap().to_str().unwrap();
        assert!(name.len() < 64, "{name}");
        assert_eq!(temp_owner(name), Some(std::process::id()));
        for other in [".fjordsync-restore-12.part", ".fjordsync-restore-a-1.part", "x.fjordsync-restore-1-2.part"] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
    }

    #[test]
    fn neighbouring_chunks_are_read_together_up_to_the_limit() {
        let files = vec![
            file(vec![blob(1, 0, 100, 0), blob(1, 100, 50, 100)], Found::Missing),
            // A gap (150..200) starts a new run; pack 2 too.
            file(vec![blob(1, 200, 10, 0), blob(2, 0, 10, 10)], Found::Differs),
            // Same files are not written.
            file(vec![blob(3, 0, 10, 0)], Found::Same),
            // A chunk shared with the first file is read once, written twice.
            file(vec![blob(1, 0, 100, 0)], Found::Missing),
            // Neighbours beyond RANGE_MAX start a new run.
            file(
                vec![blob(4, 0, RANGE_MAX - 10, 0), blob(4, RANGE_MAX - 10, 20, u64::from(RANGE_MAX - 10))],
                Found::Missing,
            ),
        ];
        let runs = runs(&files);
        let shape: Vec<(u8, u32, u32, usize)> = runs
            .iter()
            .map(|r| ((1..=4).find(|n| pack(*n) == r.pack).unwrap(), r.offset, r.length, r.chunks.len()))
            .collect();
        assert_eq!(
            shape,
            [(1, 0, 150, 2), (1, 200, 10, 1), (2, 0, 10, 1), (4, 0, RANGE_MAX - 10, 1), (4, RANGE_MAX - 10, 20, 1)]
        );
        assert_eq!(runs[0].chunks[0].places, [(0, 0), (3, 0)]);
    }
}
