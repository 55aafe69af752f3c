//! File contents, stored as blobs keyed by MD5 + size.
//!
//! Keying by content gives deduplication for free (5.3) and lets revisions,
//! copies and moves share bytes. Blobs and partial uploads always live on disk —
//! in the state dir, or in a private temp dir for in-memory runs — so a 1 GiB
//! upload never sits in RAM.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempDir;

use super::EMPTY_MD5;

pub struct ContentStore {
    blobs: PathBuf,
    uploads: PathBuf,
    known: Mutex<HashSet<(String, u64)>>,
    /// Keeps the temp dir alive (and deletes it on drop) for in-memory runs.
    _tmp: Option<TempDir>,
}

fn parse_blob_name(name: &str) -> Option<(String, u64)> {
    let (md5, size) = name.split_once('-')?;
    if md5.len() != 32 || !md5.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((md5.to_string(), size.parse().ok()?))
}

impl ContentStore {
    /// Open (creating) `dir/blobs` and `dir/uploads`, or a temp dir.
    pub fn open(state_dir: Option<&Path>) -> io::Result<Self> {
        let (base, tmp) = match state_dir {
            Some(d) => (d.to_path_buf(), None),
            None => {
                let t = tempfile::Builder::new().prefix("fjordsync-emulator").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let blobs = base.join("blobs");
        let uploads = base.join("uploads");
        std::fs::create_dir_all(&blobs)?;
        std::fs::create_dir_all(&uploads)?;
        let mut known = HashSet::new();
        for e in std::fs::read_dir(&blobs)? {
            let e = e?;
            if let Some(k) = e.file_name().to_str().and_then(parse_blob_name) {
                known.insert(k);
            }
        }
        Ok(ContentStore { blobs, uploads, known: Mutex::new(known), _tmp: tmp })
    }

    /// Whether this content is stored anywhere (the empty file always is).
    pub fn has(&self, md5: &str, size: u64) -> bool {
        if size == 0 && md5 == EMPTY_MD5 {
            return true;
        }
        self.known.lock().map(|k| k.contains(&(md5.to_string(), size))).unwrap_or(false)
    }

    pub fn blob_path(&self, md5: &str, size: u64) -> PathBuf {
        self.blobs.join(format!("{md5}-{size}"))
    }

    pub fn part_path(&self, upload_id: &str) -> PathBuf {
        self.uploads.join(format!("{upload_id}.part"))
    }

    /// Bytes held for an unfinished upload (its resume position).
    pub fn held(&self, upload_id: &str) -> u64 {
        std::fs::metadata(self.part_path(upload_id)).map_or(0, |m| m.len())
    }

    /// Turn a verified partial upload into a blob.
    pub fn commit_part(&self, upload_id: &str, md5: &str, size: u64) -> io::Result<()> {
        let part = self.part_path(upload_id);
        let blob = self.blob_path(md5, size);
        if blob.exists() {
            let _ = std::fs::remove_file(&part);
        } else {
            std::fs::rename(&part, &blob)?;
        }
        if let Ok(mut k) = self.known.lock() {
            k.insert((md5.to_string(), size));
        }
        Ok(())
    }

    pub fn remove_part(&self, upload_id: &str) {
        let _ = std::fs::remove_file(self.part_path(upload_id));
    }
}
