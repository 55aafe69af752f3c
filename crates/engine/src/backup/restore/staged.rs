//! A backend wrapper that serves chunk reads from pack ranges read ahead.
//!
//! rustic decrypts one chunk per backend read, and each read of a remote
//! repository is an HTTP request. A restore instead reads a run of
//! neighbouring chunks of a pack in one request ([`Staged::load`]); rustic's
//! reads of the chunks inside it are then answered from memory until the
//! range is dropped ([`Staged::unload`]). Decryption and authentication stay
//! in rustic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rustic_core::{BytesList, ErrorKind, FileType, Id, ReadBackend, RusticError, RusticResult, WriteBackend};

use crate::lock::lock;

/// The wrapper; give it to a repository opened for one restore.
#[derive(Debug)]
pub(crate) struct Staged {
    inner: Arc<dyn WriteBackend>,
    /// Loaded ranges by pack: (offset, bytes).
    ranges: Mutex<HashMap<Id, Vec<(u32, Bytes)>>>,
}

impl Staged {
    pub(crate) fn new(inner: Arc<dyn WriteBackend>) -> Staged {
        Staged { inner, ranges: Mutex::new(HashMap::new()) }
    }

    /// Reads `length` bytes at `offset` of `pack` and keeps them for the chunk reads inside.
    pub(crate) fn load(&self, pack: &Id, offset: u32, length: u32) -> RusticResult<()> {
        let data = self.inner.read_partial(FileType::Pack, pack, false, offset, length)?;
        if data.len() != length as usize {
            return Err(RusticError::new(ErrorKind::Backend, "pack `{pack}`: asked for {wanted} bytes, got {got}")
                .attach_context("pack", pack.to_string())
                .attach_context("wanted", length.to_string())
                .attach_context("got", data.len().to_string()));
        }
        lock(&self.ranges).entry(*pack).or_default().push((offset, data));
        Ok(())
    }

    /// Drops the range [`Staged::load`] kept for `pack` at `offset`.
    pub(crate) fn unload(&self, pack: &Id, offset: u32) {
        let mut ranges = lock(&self.ranges);
        if let Some(list) = ranges.get_mut(pack) {
            list.retain(|(o, _)| *o != offset);
            if list.is_empty() {
                ranges.remove(pack);
            }
        }
    }

    /// The loaded bytes covering `length` bytes at `offset` of `pack`, if any.
    fn staged(&self, pack: &Id, offset: u32, length: u32) -> Option<Bytes> {
        let ranges = lock(&self.ranges);
        ranges.get(pack)?.iter().find_map(|(start, data)| {
            let from = offset.checked_sub(*start)? as usize;
            let to = from.checked_add(length as usize)?;
            (to <= data.len()).then(|| data.slice(from..to))
        })
    }
}

impl ReadBackend for Staged {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        self.inner.list_with_size(tpe)
    }
    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        self.inner.read_full(tpe, id)
    }
    fn read_partial(&self, tpe: FileType, id: &Id, cacheable: bool, offset: u32, length: u32) -> RusticResult<Bytes> {
        if tpe == FileType::Pack
            && let Some(data) = self.staged(id, offset, length)
        {
            return Ok(data);
        }
        self.inner.read_partial(tpe, id, cacheable, offset, length)
    }
    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        self.inner.warmup_path(tpe, id)
    }
}

impl WriteBackend for Staged {
    fn create(&self) -> RusticResult<()> {
        self.inner.create()
    }
    fn write_bytes(&self, tpe: FileType, id: &Id, cacheable: bool, content: BytesList) -> RusticResult<()> {
        self.inner.write_bytes(tpe, id, cacheable, content)
    }
    fn remove(&self, tpe: FileType, id: &Id, cacheable: bool) -> RusticResult<()> {
        self.inner.remove(tpe, id, cacheable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustic_backend::LocalBackend;

    #[test]
    fn chunk_reads_inside_a_loaded_range_come_from_memory() {
        let dir = tempfile::tempdir().unwrap();
        let local: Arc<dyn WriteBackend> =
            Arc::new(LocalBackend::new(dir.path().to_str().unwrap(), Vec::<(String, String)>::new()).unwrap());
        local.create().unwrap();
        let pack = Id::random();
        let content: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        local.write_bytes(FileType::Pack, &pack, false, BytesList::from(content.clone())).unwrap();
        let staged = Staged::new(local.clone());
        staged.load(&pack, 100, 500).unwrap();
        // Remove the pack: reads inside the range must not reach the backend.
        local.remove(FileType::Pack, &pack, false).unwrap();
        assert_eq!(staged.read_partial(FileType::Pack, &pack, false, 150, 50).unwrap(), content[150..200]);
        assert_eq!(staged.read_partial(FileType::Pack, &pack, false, 100, 500).unwrap(), content[100..600]);
        // Past the range's end: the backend is asked (and the pack is gone).
        assert!(staged.read_partial(FileType::Pack, &pack, false, 550, 100).is_err());
        staged.unload(&pack, 100);
        assert!(staged.read_partial(FileType::Pack, &pack, false, 150, 50).is_err());
    }
}
