//! Local MD5s for planning: the planner asks for the MD5 of the local
//! files it must compare by content; they come from the hash cache (read
//! from disk only when a file changed), several files at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::local::{self, HashCache};
use crate::lock::{into_inner, lock};
use crate::state::{StateDb, WriterHandle};
use crate::tree::{FileItem, Folder, parse_md5};

/// The hash cache for the local root, with new hashes written back through `writer`.
pub(crate) fn load_cache(db: &StateDb, root: Option<&Path>, writer: WriterHandle) -> Result<Arc<HashCache>> {
    Ok(match root {
        Some(root) => Arc::new(HashCache::new(db.hashes_under(&format!("{}", root.display()))?, Some(writer))),
        None => Arc::new(HashCache::new(HashMap::new(), None)),
    })
}

/// Fills in local MD5s the comparison needs, through the hash cache (loaded
/// on first need, so a no-op re-sync by size and time never reads it),
/// `checkers` files at a time.
pub(crate) struct Md5Filler {
    pub(crate) db: Arc<StateDb>,
    pub(crate) root: PathBuf,
    pub(crate) writer: WriterHandle,
    pub(crate) cache: Option<Arc<HashCache>>,
    pub(crate) checkers: usize,
    pub(crate) cancel: CancellationToken,
}

impl Md5Filler {
    pub(crate) fn fill(&mut self, folder: &mut Folder, need: &[usize]) -> Result<()> {
        let cache = match &self.cache {
            Some(c) => c.clone(),
            None => self.cache.insert(load_cache(&self.db, Some(&self.root), self.writer.clone())?).clone(),
        };
        let jobs: Vec<(usize, PathBuf, FileItem)> = need
            .iter()
            .filter_map(|&i| {
                let e = &folder.files[i];
                let path = local::local_path(&self.root, &folder.file_key(&e.name)).ok()?;
                Some((i, path, e.item()))
            })
            .collect();
        let next = AtomicUsize::new(0);
        let found: Mutex<Vec<(usize, Option<String>)>> = Mutex::new(Vec::with_capacity(jobs.len()));
        std::thread::scope(|scope| {
            for _ in 0..self.checkers.min(jobs.len()) {
                scope.spawn(|| {
                    loop {
                        let j = next.fetch_add(1, Ordering::Relaxed);
                        let Some((i, path, item)) = jobs.get(j) else { break };
                        if self.cancel.is_cancelled() {
                            break;
                        }
                        let md5 = cache.md5(path, item).ok();
                        lock(&found).push((*i, md5));
                    }
                });
            }
        });
        for (i, md5) in into_inner(found) {
            folder.files[i].md5 = md5.as_deref().and_then(parse_md5);
        }
        Ok(())
    }
}
