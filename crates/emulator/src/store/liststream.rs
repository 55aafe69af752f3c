//! `mode=liststream` (4.5): a whole tree streamed in batches, the walk kept
//! in a cursor between them.

use super::{Loc, Store};
use crate::errors::{Fail, Res};
use crate::names::fold;

impl Store {
    /// Start a `mode=liststream` walk (4.5) of a live folder; 404 otherwise.
    pub fn liststream_start(&self, loc: &Loc) -> Res<ListCursor> {
        let missing = || Fail::not_found("folder does not exist");
        self.folder(&loc.device, &loc.mp, &loc.names).filter(|f| f.deleted.is_none()).ok_or_else(missing)?;
        let display = self.display(&loc.device, &loc.mp, &loc.names).ok_or_else(missing)?;
        let mut path = String::new();
        for n in display.iter().skip(1) {
            path.push('/');
            path.push_str(n);
        }
        Ok(ListCursor {
            device: loc.device.clone(),
            mp: loc.mp.clone(),
            stack: vec![Frame { keys: loc.names.iter().map(|n| fold(n)).collect(), path, stage: Stage::Announce }],
        })
    }

    /// The next (up to `max`) liststream entries; empty when the walk is done.
    ///
    /// The cursor remembers where the walk is by keys, not references, so the
    /// store lock is only held per batch and a huge tree never has to be
    /// materialised. Every live folder comes once (the listed one first),
    /// before its files; only files with a completed revision appear; paths
    /// are relative to the device (`/<mp>/…`). A folder removed between
    /// batches is simply skipped, so the counts the caller keeps from the
    /// emitted entries always match the stream.
    pub fn liststream_next(&self, cur: &mut ListCursor, max: usize) -> Vec<StreamEntry> {
        use std::ops::Bound::{Excluded, Unbounded};
        let mut out = Vec::new();
        while out.len() < max {
            let Some(frame) = cur.stack.last_mut() else {
                break;
            };
            let Some(folder) = self.folder(&cur.device, &cur.mp, &frame.keys).filter(|f| f.deleted.is_none()) else {
                cur.stack.pop();
                continue;
            };
            let mut child = None;
            match &mut frame.stage {
                Stage::Announce => {
                    out.push(StreamEntry::Folder { name: folder.name.clone(), path: frame.path.clone() });
                    frame.stage = Stage::Files(None);
                }
                Stage::Files(last) => {
                    let from = last.as_ref().map_or(Unbounded, Excluded);
                    let next = folder
                        .files
                        .range::<String, _>((from, Unbounded))
                        .find(|(_, f)| f.is_live() && f.current().is_some());
                    match next.and_then(|(k, f)| f.current().map(|r| (k, f, r))) {
                        Some((k, f, r)) => {
                            out.push(StreamEntry::File {
                                path: frame.path.clone(),
                                name: f.name.clone(),
                                uuid: f.uuid.clone(),
                                size: r.size,
                                md5: r.md5.clone(),
                                created: r.created,
                                modified: r.modified,
                                updated: r.updated,
                            });
                            *last = Some(k.clone());
                        }
                        None => frame.stage = Stage::Folders(None),
                    }
                }
                Stage::Folders(last) => {
                    let from = last.as_ref().map_or(Unbounded, Excluded);
                    let next = folder.folders.range::<String, _>((from, Unbounded)).find(|(_, d)| d.deleted.is_none());
                    match next {
                        Some((k, d)) => {
                            let mut keys = frame.keys.clone();
                            keys.push(k.clone());
                            child = Some(Frame {
                                keys,
                                path: format!("{}/{}", frame.path, d.name),
                                stage: Stage::Announce,
                            });
                            *last = Some(k.clone());
                        }
                        None => {
                            cur.stack.pop();
                        }
                    }
                }
            }
            if let Some(c) = child {
                cur.stack.push(c);
            }
        }
        out
    }
}

/// Where a liststream walk stands (see [`Store::liststream_next`]).
pub struct ListCursor {
    device: String,
    mp: String,
    stack: Vec<Frame>,
}

struct Frame {
    /// Folded names from the mountpoint down to this folder.
    keys: Vec<String>,
    /// Display path `/<mp>/…` of this folder.
    path: String,
    stage: Stage,
}

enum Stage {
    /// Emit the folder itself next.
    Announce,
    /// Emit files after this key.
    Files(Option<String>),
    /// Descend into subfolders after this key.
    Folders(Option<String>),
}

/// One element of a liststream.
pub enum StreamEntry {
    Folder { name: String, path: String },
    File { path: String, name: String, uuid: String, size: u64, md5: String, created: i64, modified: i64, updated: i64 },
}
