//! Snapshots: listing them, browsing one's tree, comparing two.

use std::cmp::Ordering;
use std::path::PathBuf;

use rustic_core::repofile::{Node, SnapshotFile};
use rustic_core::{LsOptions, RusticResult};
use serde::Serialize;

use super::error::{BackupError, Result, blocking, hex};
use super::repo::Repo;

/// One snapshot, as `snapshots` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    /// Full id.
    pub id: String,
    /// The first 8 hex digits, as restic shows it.
    pub short_id: String,
    /// When the backup started (RFC 3339 with offset).
    pub time: String,
    /// The host it was made on.
    pub host: String,
    /// The backed-up paths.
    pub paths: Vec<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// The parent snapshot, if any.
    pub parent: Option<String>,
    /// Files in the snapshot (when the summary is known).
    pub files: Option<u64>,
    /// Folders in the snapshot (when known).
    pub dirs: Option<u64>,
    /// Bytes of file content (when known).
    pub size: Option<u64>,
}

impl From<&SnapshotFile> for SnapshotInfo {
    fn from(s: &SnapshotFile) -> Self {
        let id = hex(&s.id);
        SnapshotInfo {
            short_id: id.chars().take(8).collect(),
            id,
            time: s.time.timestamp().to_string(),
            host: s.hostname.clone(),
            paths: s.paths.iter().cloned().collect(),
            tags: s.tags.iter().cloned().collect(),
            parent: s.parent.map(|p| hex(&p)),
            files: s.summary.as_ref().map(|m| m.total_files_processed),
            dirs: s.summary.as_ref().map(|m| m.total_dirs_processed),
            size: s.summary.as_ref().map(|m| m.total_bytes_processed),
        }
    }
}

/// What kind of entry a tree node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A device, fifo or socket.
    Other,
}

/// One entry of a snapshot's tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeItem {
    /// Path inside the snapshot (`/`-separated, absolute like restic's).
    pub path: String,
    /// Its kind.
    pub kind: EntryKind,
    /// Size in bytes (files).
    pub size: u64,
    /// Modification time (RFC 3339), when recorded.
    pub mtime: Option<String>,
}

/// How a path differs between two snapshots.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the second snapshot.
    Added,
    /// Only in the first snapshot.
    Removed,
    /// In both, with other content or another kind.
    Modified,
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffItem {
    /// What changed.
    pub change: Change,
    /// The path (as in [`TreeItem::path`]).
    pub path: String,
    /// Its kind (in the second snapshot when it is there).
    pub kind: EntryKind,
}

fn kind_of(n: &Node) -> EntryKind {
    if n.is_dir() {
        EntryKind::Dir
    } else if n.is_file() {
        EntryKind::File
    } else if n.is_symlink() {
        EntryKind::Symlink
    } else {
        EntryKind::Other
    }
}

fn item(base: &str, path: &std::path::Path, n: &Node) -> TreeItem {
    TreeItem { path: join(base, path), kind: kind_of(n), size: n.meta.size, mtime: n.meta.mtime.map(|t| t.to_string()) }
}

fn join(base: &str, path: &std::path::Path) -> String {
    let rel = path.to_string_lossy().replace('\\', "/");
    let base = base.trim_end_matches('/');
    if rel.is_empty() { if base.is_empty() { "/".into() } else { base.into() } } else { format!("{base}/{rel}") }
}

/// Picks a snapshot: `latest`, a full id or a unique id prefix.
pub(crate) fn pick(all: &[SnapshotFile], wanted: &str) -> Result<SnapshotFile> {
    if wanted == "latest" {
        return all
            .iter()
            .max_by(|a, b| a.time.cmp(&b.time))
            .cloned()
            .ok_or_else(|| BackupError::SnapshotNotFound(wanted.into()));
    }
    let hits: Vec<_> = all.iter().filter(|s| hex(&s.id).starts_with(wanted)).collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(BackupError::SnapshotNotFound(wanted.into())),
        _ => Err(BackupError::Invalid(format!("snapshot id prefix {wanted:?} is ambiguous; give more digits"))),
    }
}

impl Repo {
    /// Every snapshot, oldest first.
    pub async fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let repo = self.repo.clone();
        blocking(move || {
            let mut all = repo.get_all_snapshots()?;
            all.sort_by(|a, b| a.time.cmp(&b.time));
            Ok(all.iter().map(SnapshotInfo::from).collect())
        })
        .await
    }

    /// One snapshot by `latest`, id or id prefix.
    pub async fn snapshot(&self, wanted: &str) -> Result<SnapshotInfo> {
        let repo = self.repo.clone();
        let wanted = wanted.to_string();
        blocking(move || Ok(SnapshotInfo::from(&pick(&repo.get_all_snapshots()?, &wanted)?))).await
    }

    /// The entries of a snapshot below `path` ("" or "/" for everything),
    /// recursively or one level deep.
    pub async fn ls(&self, snapshot: &str, path: &str, recursive: bool) -> Result<Vec<TreeItem>> {
        let this = self.clone();
        let (snapshot, path) = (snapshot.to_string(), path.to_string());
        blocking(move || {
            let snap = pick(&this.repo.get_all_snapshots()?, &snapshot)?;
            let repo = this.reopen()?.to_indexed_ids()?;
            let node = repo.node_from_snapshot_and_path(&snap, &path).map_err(|_| BackupError::PathNotFound {
                snapshot: hex(&snap.id).chars().take(8).collect(),
                path: path.clone(),
            })?;
            let base = if path.is_empty() { String::new() } else { format!("/{}", path.trim_matches('/')) };
            if !node.is_dir() {
                return Ok(vec![item(&base, std::path::Path::new(""), &node)]);
            }
            let mut opts = LsOptions::default();
            opts.recursive = recursive;
            let mut out = Vec::new();
            for entry in repo.ls(&node, &opts)? {
                let (p, n): (PathBuf, Node) = entry?;
                out.push(item(&base, &p, &n));
            }
            Ok(out)
        })
        .await
    }

    /// What changed from snapshot `a` to snapshot `b` (files and folders;
    /// a file is modified when its content or kind differs).
    pub async fn diff(&self, a: &str, b: &str) -> Result<Vec<DiffItem>> {
        let this = self.clone();
        let (a, b) = (a.to_string(), b.to_string());
        blocking(move || {
            let all = this.repo.get_all_snapshots()?;
            let (sa, sb) = (pick(&all, &a)?, pick(&all, &b)?);
            let repo = this.reopen()?.to_indexed_ids()?;
            let (na, nb) = (repo.node_from_snapshot_and_path(&sa, "")?, repo.node_from_snapshot_and_path(&sb, "")?);
            let opts = LsOptions::default();
            merge_diff(repo.ls(&na, &opts)?, repo.ls(&nb, &opts)?)
        })
        .await
    }
}

/// Merges two snapshot listings (each in `ls` order, which is path order)
/// into the differences, one entry of each at a time: neither listing is
/// held in memory, whatever the snapshots' sizes.
fn merge_diff(
    mut left: impl Iterator<Item = RusticResult<(PathBuf, Node)>>,
    mut right: impl Iterator<Item = RusticResult<(PathBuf, Node)>>,
) -> Result<Vec<DiffItem>> {
    let mut out = Vec::new();
    let line = |change, p: &PathBuf, n: &Node| DiffItem { change, path: join("", p), kind: kind_of(n) };
    let (mut l, mut r) = (left.next().transpose()?, right.next().transpose()?);
    loop {
        let order = match (&l, &r) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((pa, _)), Some((pb, _))) => pa.cmp(pb),
        };
        match order {
            Ordering::Less => {
                let (p, n) = l.take().expect("compared");
                out.push(line(Change::Removed, &p, &n));
                l = left.next().transpose()?;
            }
            Ordering::Greater => {
                let (p, n) = r.take().expect("compared");
                out.push(line(Change::Added, &p, &n));
                r = right.next().transpose()?;
            }
            Ordering::Equal => {
                let ((_, na), (p, nb)) = (l.take().expect("compared"), r.take().expect("compared"));
                let changed = kind_of(&na) != kind_of(&nb)
                    || (nb.is_file() && na.content != nb.content)
                    || (nb.is_symlink() && na.node_type != nb.node_type);
                if changed {
                    out.push(line(Change::Modified, &p, &nb));
                }
                (l, r) = (left.next().transpose()?, right.next().transpose()?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustic_core::DataId;
    use rustic_core::repofile::{Metadata, NodeType};

    fn entry(path: &str, content: Option<u8>) -> RusticResult<(PathBuf, Node)> {
        let name = std::ffi::OsStr::new(path.rsplit('/').next().unwrap());
        let kind = if content.is_some() { NodeType::File } else { NodeType::Dir };
        let mut node = Node::new_node(name, kind, Metadata::default());
        node.content = content.map(|c| vec![DataId::from(rustic_core::Id::new([c; 32]))]);
        Ok((PathBuf::from(path), node))
    }

    #[test]
    fn a_diff_lists_removed_modified_and_added_entries_in_path_order() {
        let left = vec![entry("a", None), entry("a/same", Some(1)), entry("a/x", Some(2)), entry("b.txt", Some(3))];
        let right = vec![entry("a", None), entry("a/same", Some(1)), entry("a/x", Some(9)), entry("c.txt", Some(4))];
        let got: Vec<(Change, String)> =
            merge_diff(left.into_iter(), right.into_iter()).unwrap().into_iter().map(|d| (d.change, d.path)).collect();
        assert_eq!(
            got,
            [(Change::Modified, "/a/x".into()), (Change::Removed, "/b.txt".into()), (Change::Added, "/c.txt".into())]
        );
    }
}
