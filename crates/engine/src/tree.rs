//! What a listing of one side yields, folder by folder: each [`Folder`]
//! holds its files by name only (no full paths), in remote form (`a/b.txt`,
//! names mapped with `names::encode_name`), matched case-insensitively
//! because the service is. The local side is never held whole: the walk
//! hands folders to the planner one at a time. A remote listing arrives as
//! one stream in no documented order beyond "a folder before its files", so
//! it is kept as a [`Listing`] of compact folders until the planner takes
//! them.

use std::collections::HashMap;

use fjordsync_jottacloud::names::{decode_name, fold_case};

/// A file's metadata as a planned step carries it (the step holds the key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileItem {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, whole seconds (the service's precision).
    pub mtime: i64,
    /// Modification time in nanoseconds (local files; hash cache key).
    pub mtime_ns: i64,
    /// Inode / file id (local files; hash cache key).
    pub inode: u64,
    /// Lower-case hex MD5 when known (always for remote files).
    pub md5: Option<String>,
}

/// An MD5 digest, kept as bytes (16 instead of a 56-byte string).
pub type Md5 = [u8; 16];

/// Parses a hex MD5 (either case); `None` when it is not one.
pub fn parse_md5(hex: &str) -> Option<Md5> {
    let b = hex.as_bytes();
    if b.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in b.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex of an MD5.
pub fn md5_hex(m: &Md5) -> String {
    crate::local::hash_hex(m)
}

/// One file of a [`Folder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file's name in remote form (no folder).
    pub name: Box<str>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, whole seconds.
    pub mtime: i64,
    /// Modification time in nanoseconds (local files).
    pub mtime_ns: i64,
    /// Inode / file id (local files).
    pub inode: u64,
    /// MD5 when known (always for remote files; local ones when the planner asked).
    pub md5: Option<Md5>,
}

impl Entry {
    /// The metadata a step carries.
    pub fn item(&self) -> FileItem {
        FileItem {
            size: self.size,
            mtime: self.mtime,
            mtime_ns: self.mtime_ns,
            inode: self.inode,
            md5: self.md5.as_ref().map(md5_hex),
        }
    }
}

/// One folder of a listing and its files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folder {
    /// The folder's relative path in remote form (`""` for the root).
    pub key: String,
    /// Its files.
    pub files: Vec<Entry>,
}

impl Folder {
    /// The full key of a file in this folder.
    pub fn file_key(&self, name: &str) -> String {
        join_key(&self.key, name)
    }
}

/// `parent/name`, or `name` at the root.
pub fn join_key(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_string() } else { format!("{parent}/{name}") }
}

/// Something left out of a listing, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative path in remote form.
    pub key: String,
    /// Why.
    pub reason: String,
}

/// Files a [`Listing`] keeps in memory before it moves them to a temporary
/// file (`FJORDSYNC_LISTING_SPILL_AT` overrides it, for tests).
pub const LISTING_SPILL_AT: usize = 200_000;

fn listing_spill_at() -> usize {
    static AT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *AT.get_or_init(|| {
        std::env::var("FJORDSYNC_LISTING_SPILL_AT").ok().and_then(|v| v.parse().ok()).unwrap_or(LISTING_SPILL_AT)
    })
}

/// A whole listing (the remote side), by folded folder key. Up to
/// [`LISTING_SPILL_AT`] files stay in memory; beyond that the files go to an
/// anonymous temporary file, in chunks per folder, and [`Listing::take`]
/// reads a folder's chunks back. So what a listing holds in memory follows
/// the number of folders, not of files.
#[derive(Debug)]
pub struct Listing {
    /// Folders in memory, by folded key; the root is `""`.
    folders: HashMap<Box<str>, Folder>,
    /// False when the root does not exist at all.
    pub exists: bool,
    /// The folder the last file went to: (key, folded key).
    last: Option<(String, Box<str>)>,
    /// Files in memory.
    in_memory: usize,
    limit: usize,
    spill: Option<ListingSpill>,
}

#[derive(Debug)]
struct ListingSpill {
    file: std::fs::File,
    len: u64,
    /// Folded key -> (key, chunks of its files).
    index: HashMap<Box<str>, (String, Vec<Chunk>)>,
}

/// Where some files of one folder are in the temporary file: (offset, bytes).
type Chunk = (u64, u64);

impl Default for Listing {
    fn default() -> Listing {
        Listing::with_limit(listing_spill_at())
    }
}

impl Listing {
    /// A missing listing that keeps up to `limit` files in memory.
    pub fn with_limit(limit: usize) -> Listing {
        Listing { folders: HashMap::new(), exists: false, last: None, in_memory: 0, limit: limit.max(1), spill: None }
    }

    /// An existing, empty listing (just the root folder).
    pub fn empty_root() -> Listing {
        let mut l = Listing { exists: true, ..Default::default() };
        l.add_dir(String::new());
        l
    }

    /// Adds a folder (no-op when present).
    pub fn add_dir(&mut self, key: String) {
        self.folders.entry(fold_case(&key).into_boxed_str()).or_insert_with(|| Folder { key, files: Vec::new() });
    }

    /// Adds a file to the folder `parent` (created when missing).
    pub fn add_file(&mut self, parent: &str, entry: Entry) {
        if self.last.as_ref().is_none_or(|(k, _)| k != parent) {
            self.last = Some((parent.to_string(), fold_case(parent).into()));
        }
        let Some((key, folded)) = &self.last else { return };
        match self.folders.get_mut(folded) {
            Some(dir) => dir.files.push(entry),
            None => {
                self.folders.insert(folded.clone(), Folder { key: key.clone(), files: vec![entry] });
            }
        }
        self.in_memory += 1;
        if self.in_memory >= self.limit
            && let Err(e) = self.spill_out()
        {
            tracing::warn!("cannot move a listing to a temporary file ({e}); keeping it in memory");
            self.limit = usize::MAX;
        }
    }

    /// Moves every file in memory to the temporary file.
    fn spill_out(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        let spill = match &mut self.spill {
            Some(s) => s,
            None => self.spill.insert(ListingSpill { file: crate::spill::temp_file()?, len: 0, index: HashMap::new() }),
        };
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, &spill.file);
        let mut buf = Vec::new();
        for (folded, folder) in self.folders.drain() {
            let (_, chunks) = spill.index.entry(folded).or_insert_with(|| (folder.key, Vec::new()));
            if folder.files.is_empty() {
                continue;
            }
            buf.clear();
            for e in &folder.files {
                encode_entry(e, &mut buf);
            }
            w.write_all(&buf)?;
            chunks.push((spill.len, buf.len() as u64));
            spill.len += buf.len() as u64;
        }
        w.flush()?;
        self.in_memory = 0;
        self.last = None;
        Ok(())
    }

    /// Takes a folder out by its folded key (reading its files back from
    /// the temporary file when they went there).
    pub fn take(&mut self, folded: &str) -> std::io::Result<Option<Folder>> {
        let mut folder = self.folders.remove(folded);
        if let Some(f) = &folder {
            self.in_memory -= f.files.len();
            self.last = None;
        }
        let Some(spill) = &mut self.spill else { return Ok(folder) };
        let Some((key, chunks)) = spill.index.remove(folded) else { return Ok(folder) };
        let mut files = Vec::new();
        for (off, len) in chunks {
            let mut buf = vec![0u8; len as usize];
            crate::spill::read_at(&spill.file, &mut buf, off)?;
            let mut c = crate::spill::Cursor(&buf);
            while !c.is_empty() {
                files.push(decode_entry(&mut c).ok_or_else(|| std::io::Error::other("a listing chunk is damaged"))?);
            }
        }
        match &mut folder {
            Some(f) => files.append(&mut f.files),
            None => folder = Some(Folder { key, files: Vec::new() }),
        }
        if let Some(f) = &mut folder {
            f.files = files;
        }
        Ok(folder)
    }

    /// Folded keys of the folders not taken yet.
    pub fn keys(&self) -> Vec<Box<str>> {
        let mut keys: Vec<Box<str>> = self.folders.keys().cloned().collect();
        if let Some(s) = &self.spill {
            keys.extend(s.index.keys().filter(|k| !self.folders.contains_key(*k)).cloned());
        }
        keys
    }

    /// Files kept in memory (the rest are in the temporary file).
    pub fn files_in_memory(&self) -> usize {
        self.in_memory
    }
}

fn encode_entry(e: &Entry, out: &mut Vec<u8>) {
    crate::spill::put_str(out, &e.name);
    for v in [e.size, e.mtime as u64, e.mtime_ns as u64, e.inode] {
        crate::spill::put_u64(out, v);
    }
    match &e.md5 {
        Some(m) => {
            out.push(1);
            out.extend_from_slice(m);
        }
        None => out.push(0),
    }
}

fn decode_entry(c: &mut crate::spill::Cursor<'_>) -> Option<Entry> {
    let name = c.string()?.into_boxed_str();
    let (size, mtime, mtime_ns, inode) = (c.u64()?, c.u64()? as i64, c.u64()? as i64, c.u64()?);
    let md5 = match c.u8()? {
        0 => None,
        _ => Some(c.take(16)?.try_into().ok()?),
    };
    Some(Entry { name, size, mtime, mtime_ns, inode, md5 })
}

/// A remote-form relative path as the user sees it (look-alikes mapped back).
pub fn user_path(key: &str) -> String {
    key.split('/').map(|s| String::from_utf8_lossy(&decode_name(s)).into_owned()).collect::<Vec<_>>().join("/")
}

/// The folded key of the parent folder, if any.
pub fn parent_key(key: &str) -> Option<&str> {
    key.rsplit_once('/').map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_md5s() {
        assert_eq!(user_path("a\u{FF1A}b/c"), "a:b/c");
        let m = parse_md5("0123456789ABCDEF0123456789abcdef").unwrap();
        assert_eq!(md5_hex(&m), "0123456789abcdef0123456789abcdef");
        assert_eq!(parse_md5("xyz"), None);
        assert_eq!(join_key("", "a"), "a");
        assert_eq!(join_key("a", "b"), "a/b");
    }

    fn entry(name: &str, md5: Option<Md5>) -> Entry {
        Entry { name: name.into(), size: name.len() as u64, mtime: -5, mtime_ns: 0, inode: 0, md5 }
    }

    #[test]
    fn a_spilled_listing_gives_back_every_folder() {
        let md5 = parse_md5("0123456789abcdef0123456789abcdef");
        let mut small = Listing::with_limit(3);
        let mut big = Listing::with_limit(usize::MAX);
        for l in [&mut small, &mut big] {
            l.exists = true;
            l.add_dir(String::new());
            l.add_dir("Empty".into());
            for i in 0..10 {
                // Files of one folder arrive in two separate stretches.
                l.add_file("A", entry(&format!("a{i}"), md5));
                l.add_file("b/C", entry(&format!("c{i}"), None));
            }
            l.add_file("a", entry("late", None));
        }
        assert!(small.files_in_memory() < 3);
        let mut keys = small.keys();
        keys.sort();
        let mut big_keys = big.keys();
        big_keys.sort();
        assert_eq!(keys, big_keys);
        for k in keys {
            let (a, b) = (small.take(&k).unwrap().unwrap(), big.take(&k).unwrap().unwrap());
            let sorted = |f: Folder| {
                let mut v = f.files;
                v.sort_by(|x, y| x.name.cmp(&y.name));
                (f.key, v)
            };
            assert_eq!(sorted(a), sorted(b), "{k}");
        }
        assert!(small.keys().is_empty());
        assert_eq!(small.take("a").unwrap(), None);
    }
}
