//! Inode numbers for paths.

use std::collections::HashMap;

use fjordsync_vfs::VfsPath;

/// The root's inode number (FUSE's convention).
pub(crate) const ROOT: u64 = 1;

/// One inode number per path seen, stable while mounted: the kernel may
/// keep a number for as long as it likes, so numbers are never reused and
/// never forgotten (a few dozen bytes per path).
#[derive(Debug)]
pub(crate) struct Inodes {
    by_ino: HashMap<u64, VfsPath>,
    by_path: HashMap<VfsPath, u64>,
    next: u64,
}

impl Inodes {
    pub(crate) fn new() -> Inodes {
        let mut t = Inodes { by_ino: HashMap::new(), by_path: HashMap::new(), next: ROOT + 1 };
        t.by_ino.insert(ROOT, VfsPath::root());
        t.by_path.insert(VfsPath::root(), ROOT);
        t
    }

    /// The path of `ino`, if the kernel got it from us.
    pub(crate) fn path(&self, ino: u64) -> Option<VfsPath> {
        self.by_ino.get(&ino).cloned()
    }

    /// The number of `path`, given now if it has none yet.
    pub(crate) fn ino(&mut self, path: &VfsPath) -> u64 {
        if let Some(&ino) = self.by_path.get(path) {
            return ino;
        }
        let ino = self.next;
        self.next += 1;
        self.by_ino.insert(ino, path.clone());
        self.by_path.insert(path.clone(), ino);
        ino
    }

    /// The number of `path` if it has one.
    pub(crate) fn known(&self, path: &VfsPath) -> Option<u64> {
        self.by_path.get(path).copied()
    }

    /// `from` and everything below it moved to `to`: they keep their
    /// numbers; what was at `to` before loses its number.
    pub(crate) fn renamed(&mut self, from: &VfsPath, to: &VfsPath) {
        self.removed(to);
        let moved: Vec<(VfsPath, u64)> =
            self.by_path.iter().filter(|(p, _)| p.starts_with(from)).map(|(p, &i)| (p.clone(), i)).collect();
        for (old, ino) in moved {
            self.by_path.remove(&old);
            let mut new = to.clone();
            for seg in &old.segments()[from.segments().len()..] {
                new = new.join(seg).expect("a name that was valid stays valid");
            }
            self.by_ino.insert(ino, new.clone());
            self.by_path.insert(new, ino);
        }
    }

    /// `path` and everything below it are gone.
    pub(crate) fn removed(&mut self, path: &VfsPath) {
        if path.is_root() {
            return;
        }
        let gone: Vec<VfsPath> = self.by_path.keys().filter(|p| p.starts_with(path)).cloned().collect();
        for p in gone {
            if let Some(ino) = self.by_path.remove(&p) {
                self.by_ino.remove(&ino);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> VfsPath {
        VfsPath::parse(s).unwrap()
    }

    #[test]
    fn numbers_follow_renames_and_leave_with_removals() {
        let mut t = Inodes::new();
        assert_eq!(t.ino(&VfsPath::root()), ROOT);
        let a = t.ino(&p("/a"));
        let ab = t.ino(&p("/a/b"));
        let x = t.ino(&p("/x"));
        assert_eq!(t.ino(&p("/a")), a, "stable");
        t.renamed(&p("/a"), &p("/x"));
        assert_eq!(t.path(a), Some(p("/x")));
        assert_eq!(t.path(ab), Some(p("/x/b")));
        assert_eq!(t.path(x), None, "the replaced path lost its number");
        t.removed(&p("/x"));
        assert_eq!((t.path(a), t.path(ab)), (None, None));
        assert!(t.ino(&p("/x")) > x, "numbers are never reused");
    }
}
