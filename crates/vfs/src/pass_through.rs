//! A big file read in order streams past the read cache.
//!
//! The read cache keeps whole files, least recently used first. One file
//! larger than a quarter of it, read from one end to the other (a film
//! played, a big file copied out), would push out much of what else it
//! holds, and cost a write to the disk and a read back for every byte of a
//! file that is seldom read twice. Such a reader gets its own download
//! instead: one request from where it is to the end of the file, read into
//! memory at most [`AHEAD`] bytes before the reader and handed over as it
//! arrives (the connection holds the server back meanwhile), then let go.
//! Reads a little out of order (a kernel sends its read-ahead requests
//! several at once) are served from what is held up to [`BEHIND`] bytes
//! behind and [`SKIP`] bytes ahead; any other read goes back to the cache,
//! and this download ends.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use fjordsync_jottacloud::{Client, DownloadOptions, RemotePath};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::read_cache::ask_again;

/// How much of the file is handed over at a time (and the download's unit
/// of memory).
const PIECE: usize = 1 << 20;
/// How far the download runs ahead of the reader.
const AHEAD: usize = 8 << 20;
/// How far behind the furthest read bytes stay for a late read.
const BEHIND: u64 = 4 << 20;
/// How far a read may start past what arrived so far and still wait for
/// the download instead of going back to the cache.
const SKIP: u64 = 8 << 20;

/// Downloads past the cache that one vfs runs at once, at most: each holds
/// up to about 20 MiB of memory, so a file manager making previews of many
/// films at once reads the others through the (disk) cache.
const AT_ONCE: usize = 4;

/// The downloads past the cache one vfs runs now.
#[derive(Debug, Default)]
pub(crate) struct Passing(Arc<AtomicUsize>);

impl Passing {
    /// A place for one more, if there is room.
    fn take(&self) -> Option<Place> {
        self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < AT_ONCE).then_some(n + 1)).ok()?;
        Some(Place(self.0.clone()))
    }
}

/// One download's place among [`AT_ONCE`], given back when it ends.
#[derive(Debug)]
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A file larger than this share of the read cache's limit streams past it.
pub(crate) fn streams_past(size: u64, cache_max: u64) -> bool {
    size > cache_max / 4
}

/// One reader's download past the cache. Dropping it ends the download.
#[derive(Debug)]
pub(crate) struct PassThrough {
    pieces: mpsc::Receiver<Result<Bytes>>,
    /// Bytes received and not yet let go; the first starts at `start`.
    held: VecDeque<Bytes>,
    start: u64,
    /// Where the held bytes end (the next byte to arrive).
    end: u64,
    size: u64,
    /// The download's end, once it ended (its error handed over).
    done: bool,
    task: tokio::task::JoinHandle<()>,
    _place: Place,
}

impl Drop for PassThrough {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PassThrough {
    /// Starts downloading `remote` (of `size` bytes) from `offset`, unless
    /// [`AT_ONCE`] such downloads run already; the download ends with the
    /// vfs (`stop`).
    pub(crate) fn start(
        client: &Client,
        remote: &RemotePath,
        offset: u64,
        size: u64,
        stop: &CancellationToken,
        passing: &Passing,
    ) -> Option<PassThrough> {
        let place = passing.take()?;
        let (tx, pieces) = mpsc::channel(AHEAD / PIECE);
        let (client, remote, stop) = (client.clone(), remote.clone(), stop.clone());
        let task = tokio::spawn(async move {
            tokio::select! {
                r = fetch(&client, &remote, offset, size, &tx) => {
                    if let Err(e) = r {
                        let _ = tx.send(Err(e)).await;
                    }
                }
                _ = stop.cancelled() => {}
            }
        });
        Some(PassThrough {
            pieces,
            held: VecDeque::new(),
            start: offset,
            end: offset,
            size,
            done: false,
            task,
            _place: place,
        })
    }

    /// `len` bytes from `offset` (fewer at the end of the file), or `None`
    /// when they are out of this download's reach: then the caller reads
    /// them through the cache and drops this.
    pub(crate) async fn read(&mut self, offset: u64, len: usize) -> Option<Result<Bytes>> {
        let stop = self.size.min(offset.saturating_add(len as u64));
        if offset >= stop {
            return Some(Ok(Bytes::new()));
        }
        if offset < self.start || offset > self.end + SKIP {
            return None;
        }
        while self.end < stop {
            if self.done {
                return None;
            }
            match self.pieces.recv().await {
                Some(Ok(piece)) => {
                    self.end += piece.len() as u64;
                    self.held.push_back(piece);
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                // Ended (the vfs stops): the cache says why, if anything.
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
        let out = self.copy(offset, stop);
        self.let_go(stop.saturating_sub(BEHIND));
        Some(Ok(out))
    }

    /// The held bytes `from..to` (a slice of one piece when they lie in one).
    fn copy(&self, from: u64, to: u64) -> Bytes {
        let mut at = self.start;
        let mut out: Option<BytesMut> = None;
        for piece in &self.held {
            let (p_start, p_end) = (at, at + piece.len() as u64);
            at = p_end;
            if p_end <= from {
                continue;
            }
            if p_start >= to {
                break;
            }
            let (a, b) = ((from.max(p_start) - p_start) as usize, (to.min(p_end) - p_start) as usize);
            if p_start <= from && to <= p_end {
                return piece.slice(a..b);
            }
            out.get_or_insert_with(|| BytesMut::with_capacity((to - from) as usize)).extend_from_slice(&piece[a..b]);
        }
        out.map(BytesMut::freeze).unwrap_or_default()
    }

    /// Lets go of the pieces that end before `before`.
    fn let_go(&mut self, before: u64) {
        while let Some(p) = self.held.front() {
            let p_end = self.start + p.len() as u64;
            if p_end > before {
                break;
            }
            self.start = p_end;
            self.held.pop_front();
        }
    }
}

/// The download: from `offset` to the end of the file in pieces of
/// [`PIECE`] bytes; a reply cut short is asked for again from where it
/// stopped (the read cache's rule for when to give up).
async fn fetch(
    client: &Client,
    remote: &RemotePath,
    offset: u64,
    size: u64,
    pieces: &mpsc::Sender<Result<Bytes>>,
) -> Result<()> {
    let mut got = offset;
    let mut piece = BytesMut::with_capacity(PIECE);
    let mut fruitless = 0u32;
    while got < size {
        let before = got;
        let opts = DownloadOptions { start: got, end: None, revision: None };
        let error = match client.download(remote, opts).await {
            Err(e) => Some(e),
            Ok(mut body) => loop {
                let chunk = match body.next().await {
                    None => break None,
                    Some(Err(e)) => break Some(e),
                    Some(Ok(chunk)) => chunk,
                };
                let mut chunk = &chunk[..chunk.len().min((size - got) as usize)];
                got += chunk.len() as u64;
                while !chunk.is_empty() {
                    let take = chunk.len().min(PIECE - piece.len());
                    piece.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if piece.len() == PIECE || (got == size && chunk.is_empty()) {
                        let full = std::mem::replace(&mut piece, BytesMut::with_capacity(PIECE)).freeze();
                        if pieces.send(Ok(full)).await.is_err() {
                            return Ok(()); // the reader is gone
                        }
                    }
                }
                if got == size {
                    break None;
                }
            },
        };
        fruitless = if got > before { 0 } else { fruitless + 1 };
        if got < size {
            ask_again(remote, error, fruitless, got, || {
                format!("asked for the bytes {got}..{size}, the replies brought nothing")
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(pieces: &[&[u8]], start: u64) -> PassThrough {
        let (_tx, rx) = mpsc::channel(1);
        let task = tokio::spawn(async {});
        let held: VecDeque<Bytes> = pieces.iter().map(|p| Bytes::copy_from_slice(p)).collect();
        let end = start + held.iter().map(|p| p.len() as u64).sum::<u64>();
        let _place = Passing::default().take().unwrap();
        PassThrough { pieces: rx, held, start, end, size: end, done: true, task, _place }
    }

    #[tokio::test]
    async fn copies_across_pieces_and_slices_within_one() {
        let p = held(&[b"abcd", b"efgh", b"ij"], 100);
        assert_eq!(&p.copy(101, 103)[..], b"bc");
        assert_eq!(&p.copy(102, 109)[..], b"cdefghi");
        assert_eq!(&p.copy(104, 110)[..], b"efghij");
    }

    #[tokio::test]
    async fn lets_go_only_of_whole_pieces_behind() {
        let mut p = held(&[b"abcd", b"efgh", b"ij"], 0);
        p.let_go(6);
        assert_eq!((p.start, p.held.len()), (4, 2));
        p.let_go(0);
        assert_eq!(p.start, 4);
        p.let_go(10);
        assert_eq!((p.start, p.held.len()), (10, 0));
    }

    #[test]
    fn only_a_few_run_at_once_and_each_gives_its_place_back() {
        let passing = Passing::default();
        let places: Vec<Place> = (0..AT_ONCE).map(|_| passing.take().unwrap()).collect();
        assert!(passing.take().is_none());
        drop(places);
        assert!(passing.take().is_some());
    }

    #[test]
    fn only_files_beyond_a_quarter_of_the_cache_stream_past_it() {
        assert!(!streams_past(256 << 20, 1 << 30));
        assert!(streams_past((256 << 20) + 1, 1 << 30));
    }
}
