//! The plan's steps, in four groups applied in this order: folders to
//! create, transfers (and retimes, and `move`'s unchanged files), deletes,
//! folders to remove. A group holds at most [`SPILL_AT`] steps in memory;
//! beyond that its steps go to an anonymous temporary file in sorted runs,
//! and reading merges the runs. So a plan of a million creates costs the
//! same memory as one of fifty thousand, and the runner reads the steps as it
//! applies them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};

use super::{Action, Step};
use crate::spill::{Cursor, put_str, put_u64, read_at, temp_file};
use crate::tree::FileItem;

/// Steps a group keeps in memory before it spills a sorted run to disk
/// (`FJORDSYNC_PLAN_SPILL_AT` overrides it, for tests).
pub const SPILL_AT: usize = 50_000;

fn spill_at() -> usize {
    static AT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *AT.get_or_init(|| std::env::var("FJORDSYNC_PLAN_SPILL_AT").ok().and_then(|v| v.parse().ok()).unwrap_or(SPILL_AT))
}

/// A group of steps, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Folders to create (empty folders; uploads create their own).
    Mkdirs,
    /// Creates, updates, retimes (and unchanged files for `move`).
    Transfers,
    /// Files to delete, deepest first.
    Deletes,
    /// Folders to remove.
    Rmdirs,
}

const GROUPS: [Group; 4] = [Group::Mkdirs, Group::Transfers, Group::Deletes, Group::Rmdirs];

/// How a group is ordered.
#[derive(Debug, Clone, Copy, Default)]
enum Order {
    /// By key, ignoring case.
    #[default]
    Folded,
    /// By key, descending (deepest first).
    Descending,
    /// By key.
    Key,
}

impl Order {
    fn cmp(self, a: &Step, b: &Step) -> Ordering {
        match self {
            Order::Folded => folded_cmp(&a.key, &b.key),
            Order::Descending => b.key.cmp(&a.key),
            Order::Key => a.key.cmp(&b.key),
        }
    }
}

/// Orders keys the way their folded forms order, without allocating.
fn folded_cmp(a: &str, b: &str) -> Ordering {
    a.chars().flat_map(char::to_lowercase).cmp(b.chars().flat_map(char::to_lowercase))
}

#[derive(Debug, Default)]
struct Segment {
    order: Order,
    mem: Vec<Step>,
    /// Sorted runs in the spill file: (offset, bytes).
    runs: Vec<(u64, u64)>,
    len: usize,
}

/// All steps of a plan.
#[derive(Debug)]
pub struct Steps {
    groups: [Segment; 4],
    spill: Option<File>,
    spill_len: u64,
    limit: usize,
    sorted: bool,
    /// Steps with [`Action::Unchanged`] (`move` only).
    unchanged: usize,
}

impl Default for Steps {
    fn default() -> Steps {
        Steps::with_limit(spill_at())
    }
}

impl Steps {
    /// Steps that spill a group beyond `limit` in memory.
    pub fn with_limit(limit: usize) -> Steps {
        let seg = |order| Segment { order, ..Default::default() };
        Steps {
            groups: [seg(Order::Key), seg(Order::Folded), seg(Order::Descending), seg(Order::Key)],
            spill: None,
            spill_len: 0,
            limit: limit.max(1),
            sorted: true,
            unchanged: 0,
        }
    }

    fn index(g: Group) -> usize {
        GROUPS.iter().position(|x| *x == g).unwrap_or(0)
    }

    /// Adds a step to its group (by its action). Steps are put in order by
    /// [`Steps::sort`] (the planner does it).
    pub fn push(&mut self, step: Step) {
        let g = Self::index(group_of(step.action));
        self.sorted = false;
        self.unchanged += usize::from(step.action == Action::Unchanged);
        let seg = &mut self.groups[g];
        seg.mem.push(step);
        seg.len += 1;
        if seg.mem.len() >= self.limit {
            // Spilling fails only when the temporary folder does: keep the
            // steps in memory then, the plan stays right.
            if let Err(e) = self.spill_group(g) {
                tracing::warn!("cannot spill plan steps to a temporary file ({e}); keeping them in memory");
                self.limit = usize::MAX;
            }
        }
    }

    fn spill_group(&mut self, g: usize) -> std::io::Result<()> {
        let file = match &mut self.spill {
            Some(f) => f,
            None => self.spill.insert(temp_file()?),
        };
        let seg = &mut self.groups[g];
        let order = seg.order;
        seg.mem.sort_unstable_by(|a, b| order.cmp(a, b));
        let mut buf = Vec::new();
        let mut w = BufWriter::with_capacity(256 * 1024, &*file);
        for s in seg.mem.drain(..) {
            buf.clear();
            encode(&s, &mut buf);
            w.write_all(&buf)?;
        }
        w.flush()?;
        drop(w);
        let end = file.metadata()?.len();
        seg.runs.push((self.spill_len, end - self.spill_len));
        self.spill_len = end;
        Ok(())
    }

    /// Puts every group in its order.
    pub fn sort(&mut self) {
        for seg in &mut self.groups {
            let order = seg.order;
            seg.mem.sort_unstable_by(|a, b| order.cmp(a, b));
        }
        self.sorted = true;
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|s| s.len).sum()
    }

    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of steps that change something (all but `move`'s unchanged files).
    pub fn changes(&self) -> usize {
        self.len() - self.unchanged
    }

    /// What a preview shows: the first `n` steps that change something, and
    /// how many more there are. Reads no further than it shows.
    pub fn preview(&self, n: usize) -> (Vec<Step>, usize) {
        let shown: Vec<Step> = self.iter().filter(|s| s.action != Action::Unchanged).take(n).collect();
        let more = self.changes() - shown.len();
        (shown, more)
    }

    /// Number of steps in a group.
    pub fn group_len(&self, g: Group) -> usize {
        self.groups[Self::index(g)].len
    }

    /// Steps kept in memory (the rest are on disk).
    pub fn in_memory(&self) -> usize {
        self.groups.iter().map(|s| s.mem.len()).sum()
    }

    /// All steps, in order, by value (read back from disk when spilled).
    pub fn iter(&self) -> impl Iterator<Item = Step> + '_ {
        GROUPS.into_iter().flat_map(move |g| self.group(g))
    }

    /// One group's steps, in order.
    pub fn group(&self, g: Group) -> StepIter<'_> {
        debug_assert!(self.sorted, "steps read before sorting");
        let seg = &self.groups[Self::index(g)];
        let mut runs: Vec<RunReader<'_>> = match &self.spill {
            Some(f) => seg.runs.iter().map(|&(off, len)| RunReader::new(f, off, len)).collect(),
            None => Vec::new(),
        };
        let mut heap = BinaryHeap::new();
        for (i, r) in runs.iter_mut().enumerate() {
            if let Some(s) = r.next_step() {
                heap.push(Head { step: s, run: i, order: seg.order });
            }
        }
        StepIter { mem: seg.mem.iter().peekable(), runs, heap, order: seg.order }
    }

    /// Removes the steps for which `keep` is false, returning them (the
    /// rare case: names the destination cannot take). Reads and rewrites
    /// spilled groups.
    pub fn retain(&mut self, mut keep: impl FnMut(&Step) -> bool) -> Vec<Step> {
        let mut removed = Vec::new();
        let mut all = Steps::with_limit(self.limit);
        for s in self.iter() {
            if keep(&s) {
                all.push(s);
            } else {
                removed.push(s);
            }
        }
        all.sort();
        *self = all;
        removed
    }
}

impl<'a> IntoIterator for &'a Steps {
    type Item = Step;
    type IntoIter = Box<dyn Iterator<Item = Step> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl FromIterator<Step> for Steps {
    fn from_iter<T: IntoIterator<Item = Step>>(iter: T) -> Steps {
        let mut s = Steps::default();
        for step in iter {
            s.push(step);
        }
        s.sort();
        s
    }
}

fn group_of(a: Action) -> Group {
    match a {
        Action::Mkdir => Group::Mkdirs,
        Action::Delete => Group::Deletes,
        Action::Rmdir => Group::Rmdirs,
        _ => Group::Transfers,
    }
}

struct Head {
    step: Step,
    run: usize,
    order: Order,
}

impl PartialEq for Head {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Head {
    fn cmp(&self, o: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse for the smallest first.
        self.order.cmp(&o.step, &self.step).then(o.run.cmp(&self.run))
    }
}

/// Reads one group's steps: the in-memory ones merged with the spilled runs.
pub struct StepIter<'a> {
    mem: std::iter::Peekable<std::slice::Iter<'a, Step>>,
    runs: Vec<RunReader<'a>>,
    heap: BinaryHeap<Head>,
    order: Order,
}

impl Iterator for StepIter<'_> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let from_mem = match (self.mem.peek(), self.heap.peek()) {
            (Some(m), Some(h)) => self.order.cmp(m, &h.step) != Ordering::Greater,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if from_mem {
            return self.mem.next().cloned();
        }
        let Head { step, run, order } = self.heap.pop()?;
        if let Some(s) = self.runs[run].next_step() {
            self.heap.push(Head { step: s, run, order });
        }
        Some(step)
    }
}

/// Reads one sorted run with positioned reads (runs share the file).
struct RunReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    at: usize,
}

impl<'a> RunReader<'a> {
    fn new(file: &'a File, off: u64, len: u64) -> RunReader<'a> {
        RunReader { file, pos: off, end: off + len, buf: Vec::new(), at: 0 }
    }

    /// Makes `n` bytes available at `self.at`.
    fn fill(&mut self, n: usize) -> bool {
        if self.buf.len() - self.at >= n {
            return true;
        }
        self.buf.drain(..self.at);
        self.at = 0;
        let want = (n.max(64 * 1024) - self.buf.len()).min((self.end - self.pos) as usize);
        if want == 0 {
            return false;
        }
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        if read_at(self.file, &mut self.buf[old..], self.pos).is_err() {
            self.buf.truncate(old);
            self.pos = self.end;
            return false;
        }
        self.pos += want as u64;
        self.buf.len() - self.at >= n
    }

    fn next_step(&mut self) -> Option<Step> {
        if !self.fill(4) {
            return None;
        }
        let n = u32::from_le_bytes(self.buf[self.at..self.at + 4].try_into().ok()?) as usize;
        if !self.fill(4 + n) {
            return None;
        }
        let s = decode(&self.buf[self.at + 4..self.at + 4 + n]);
        self.at += 4 + n;
        s
    }
}

// A step on disk: u32 length, then action, key, source and destination.
fn encode(s: &Step, out: &mut Vec<u8>) {
    out.extend_from_slice(&[0; 4]);
    out.push(s.action as u8);
    put_str(out, &s.key);
    for f in [&s.src, &s.dst] {
        match f {
            None => out.push(0),
            Some(f) => {
                out.push(1);
                for v in [f.size, f.mtime as u64, f.mtime_ns as u64, f.inode] {
                    put_u64(out, v);
                }
                match &f.md5 {
                    None => out.push(0),
                    Some(m) => {
                        out.push(1);
                        put_str(out, m);
                    }
                }
            }
        }
    }
    let n = (out.len() - 4) as u32;
    out[..4].copy_from_slice(&n.to_le_bytes());
}

fn decode(b: &[u8]) -> Option<Step> {
    let mut c = Cursor(b);
    let action = match c.u8()? {
        0 => Action::Create,
        1 => Action::Update,
        2 => Action::Retime,
        3 => Action::Delete,
        4 => Action::Mkdir,
        5 => Action::Rmdir,
        _ => Action::Unchanged,
    };
    let key = c.string()?;
    let mut item = || -> Option<Option<FileItem>> {
        if c.u8()? == 0 {
            return Some(None);
        }
        let (size, mtime, mtime_ns, inode) = (c.u64()?, c.u64()? as i64, c.u64()? as i64, c.u64()?);
        let md5 = if c.u8()? == 0 { None } else { Some(c.string()?) };
        Some(Some(FileItem { size, mtime, mtime_ns, inode, md5 }))
    };
    let src = item()?;
    let dst = item()?;
    Some(Step { action, key, src, dst })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(action: Action, key: &str, md5: Option<&str>) -> Step {
        let f = FileItem { size: key.len() as u64, mtime: -3, mtime_ns: 7, inode: 9, md5: md5.map(Into::into) };
        Step { action, key: key.into(), src: Some(f.clone()), dst: (action != Action::Create).then_some(f) }
    }

    #[test]
    fn spilled_steps_read_back_in_order() {
        let mut input = Vec::new();
        for i in (0..1000).rev() {
            input.push(step(Action::Create, &format!("d{}/F{i:04}", i % 7), None));
            input.push(step(Action::Delete, &format!("old/{i:04}"), Some("abc")));
        }
        input.push(step(Action::Mkdir, "b", None));
        input.push(step(Action::Mkdir, "a", None));
        let mut small = Steps::with_limit(64);
        let mut big = Steps::with_limit(usize::MAX);
        for s in &input {
            small.push(s.clone());
            big.push(s.clone());
        }
        small.sort();
        big.sort();
        assert!(small.in_memory() < 200, "spilled: {} in memory", small.in_memory());
        assert_eq!(big.in_memory(), input.len());
        let (a, b): (Vec<Step>, Vec<Step>) = (small.iter().collect(), big.iter().collect());
        assert_eq!(a.len(), input.len());
        assert_eq!(a, b);
        assert_eq!(a[0].key, "a");
        assert_eq!(a[2].key, "d0/F0000");
        assert_eq!(a.last().map(|s| s.key.as_str()), Some("old/0000"));
        assert_eq!(small.group_len(Group::Deletes), 1000);
        let (shown, more) = small.preview(5);
        assert_eq!((shown.len(), more), (5, input.len() - 5));
        assert_eq!(shown, b[..5]);
        let removed = small.retain(|s| !s.key.starts_with("d3/"));
        assert_eq!(removed.len(), 143);
        assert_eq!(small.len(), input.len() - 143);
        assert!(small.iter().all(|s| !s.key.starts_with("d3/")));
    }
}
