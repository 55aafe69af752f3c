//! What a restore has to do: the snapshot's entries, each compared with
//! what the target folder already holds. Reads the target, changes nothing.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustic_core::repofile::{Node, NodeType, PackId};
use rustic_core::{DataId, IndexedFull, Repository, RusticResult};

use crate::backup::error::{BackupError, Result};

/// One chunk of a file: where it is in the repository and in the file.
#[derive(Debug, Clone)]
pub(super) struct Blob {
    /// The chunk's id: the SHA-256 of its plain content.
    pub id: DataId,
    /// The pack file that holds it.
    pub pack: PackId,
    /// Where its encrypted form starts in the pack, and its length there.
    pub pack_offset: u32,
    pub pack_length: u32,
    /// Its plain length.
    pub length: u64,
    /// Where it goes in the file.
    pub at: u64,
}

/// What the target holds where a snapshot file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// Nothing: the file is new.
    Missing,
    /// A file that already matches (size and modification time, or content
    /// when asked to verify existing files).
    Same,
    /// Something else: replacing it needs [`super::RestoreOptions::overwrite`].
    Differs,
}

/// A snapshot file and what to do with it.
#[derive(Debug)]
pub(super) struct FileEntry {
    /// Where it goes.
    pub path: PathBuf,
    pub size: u64,
    /// The modification time to give it.
    pub mtime: Option<SystemTime>,
    pub blobs: Vec<Blob>,
    pub found: Found,
}

impl FileEntry {
    /// Whether the restore writes this file.
    pub fn to_write(&self) -> bool {
        self.found != Found::Same
    }
}

/// Everything a restore has to do.
#[derive(Debug, Default)]
pub(super) struct Walk {
    pub files: Vec<FileEntry>,
    /// Folders to create, parents first.
    pub new_dirs: Vec<PathBuf>,
}

/// Where the snapshot's entries land: below a folder, or, when one file is
/// restored under another name, at one path.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub root: PathBuf,
    pub is_file: bool,
}

impl Target {
    /// The local path of an entry listed at `rel` (relative to the restored node).
    pub fn path(&self, rel: &Path) -> PathBuf {
        if self.is_file { self.root.clone() } else { self.root.join(rel) }
    }
}

/// Compares the snapshot entries `nodes` (as `Repository::ls` streams them,
/// folders before their contents) with the target.
pub(super) fn walk<S: IndexedFull>(
    repo: &Repository<S>,
    nodes: impl Iterator<Item = RusticResult<(PathBuf, Node)>>,
    target: &Target,
    verify_existing: bool,
) -> Result<Walk> {
    let mut walk = Walk::default();
    // Hard links after the first of their group are linked by rustic's
    // metadata pass, as its own restore does: their content is written once.
    let mut linked = HashSet::new();
    for entry in nodes {
        let (rel, node) = entry?;
        let path = target.path(&rel);
        match node.node_type {
            NodeType::Dir if std::fs::symlink_metadata(&path).is_err() => walk.new_dirs.push(path),
            NodeType::Dir => {}
            NodeType::File => {
                let meta = &node.meta;
                if meta.links > 1
                    && meta.device_id != 0
                    && meta.inode != 0
                    && !linked.insert((meta.device_id, meta.inode))
                {
                    continue;
                }
                let blobs = blobs_of(repo, &node)?;
                let mtime = meta.mtime.map(SystemTime::from);
                let found = compare(&path, meta.size, mtime, &blobs, verify_existing)?;
                walk.files.push(FileEntry { path, size: meta.size, mtime, blobs, found });
            }
            // Symlinks, devices and fifos are made by rustic's metadata pass.
            _ => {}
        }
    }
    Ok(walk)
}

/// The chunks of a file node, located through the index.
fn blobs_of<S: IndexedFull>(repo: &Repository<S>, node: &Node) -> Result<Vec<Blob>> {
    let mut at = 0;
    let mut blobs = Vec::new();
    for id in node.content.iter().flatten() {
        let entry = repo.get_index_entry(id)?;
        let length = u64::from(entry.location.data_length());
        blobs.push(Blob {
            id: *id,
            pack: entry.pack,
            pack_offset: entry.location.offset,
            pack_length: entry.location.length,
            length,
            at,
        });
        at += length;
    }
    Ok(blobs)
}

/// What the target holds at `path`, compared with a file of `size` bytes
/// and modification time `mtime` made of `blobs`.
fn compare(path: &Path, size: u64, mtime: Option<SystemTime>, blobs: &[Blob], verify: bool) -> Result<Found> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(source) => return Err(BackupError::Io { context: format!("cannot look at {}", path.display()), source }),
    };
    if !meta.is_file() || meta.len() != size {
        return Ok(Found::Differs);
    }
    let same = if verify { content_matches(path, blobs) } else { mtime.is_some() && meta.modified().ok() == mtime };
    Ok(if same { Found::Same } else { Found::Differs })
}

/// Whether the file at `path` holds exactly `blobs` (each chunk's SHA-256).
pub(super) fn content_matches(path: &Path, blobs: &[Blob]) -> bool {
    let Ok(file) = File::open(path) else { return false };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    blobs.iter().all(|b| b.id.blob_matches_reader(b.length, &mut reader))
}
