//! Fetching ahead of a reader that goes through a file in order.
//!
//! One streaming download per reader going through a file in order (a
//! client copying a big file may read several parts of it at once, each in
//! order): a single ranged request from the first missing block to the end
//! of the file (or to the next block already held) writes the blocks into
//! the read cache as they arrive, and readers waiting for one of them wait
//! for it instead of asking for it themselves.
//! It runs only as far as the readers want ([`Ahead::until`], which they
//! move on with every read in order, a window that grows with how far they
//! have read: see [`crate::Reader`]); there it stops reading the reply, and
//! the connection holds the server back until a reader catches up. So a file
//! copied out costs one request and streams at the connection's speed (the
//! next bytes are on their way while the reader takes the last), while a
//! peek into a big file fetches a window, not the whole file.
//!
//! It ends when its reader closes the file, the file is complete, the vfs
//! stops, or the download fails ([`FRUITLESS_TRIES`](crate::read_cache::FRUITLESS_TRIES) replies in a row that
//! brought no block, or at once for what another try cannot fix); readers
//! then fetch what they need themselves, as for any read out of order.

use std::sync::Arc;

use fjordsync_jottacloud::{Client, DownloadOptions, RemotePath};
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::error::Result;
use crate::read_cache::{BLOCK, Blocks, Content, Entry, Shared, ask_again};

/// A running fetch ahead (in its file's cache entry).
#[derive(Debug)]
pub(crate) struct Ahead {
    /// The reader it runs for.
    pub(crate) reader: u64,
    /// Set when that reader closed the file: the download ends.
    pub(crate) closed: bool,
    /// The block the download brings next.
    pub(crate) next: u64,
    /// Blocks before this one are wanted; readers move it on.
    pub(crate) until: u64,
    /// Wakes the download when `until` moves or the readers are gone.
    pub(crate) more: Arc<Notify>,
}

/// `reader`, going through the file in order, needs blocks from `first`
/// on and wants them up to `until` (exclusive): starts its download, or
/// moves its goal on (and moves it to `first` if the reader skipped past it).
#[allow(clippy::too_many_arguments)]
pub(crate) fn want(
    shared: &Arc<Shared>,
    client: &Client,
    remote: &RemotePath,
    content: &Content,
    key: &str,
    reader: u64,
    first: u64,
    until: u64,
) {
    let mut idx = shared.lock();
    let e = idx.entries.entry(key.to_string()).or_insert_with(|| Entry::new(content));
    let Some(start) = e.first_missing(first, until) else { return };
    if let Some(a) = e.aheads.iter_mut().find(|a| a.reader == reader) {
        if start >= a.until {
            // The reader skipped past the download's goal: it moves there.
            a.next = start;
        }
        a.until = a.until.max(until);
        a.more.notify_one();
        return;
    }
    e.aheads.push(Ahead { reader, closed: false, next: start, until, more: Arc::new(Notify::new()) });
    let (shared, client, remote, content, key) =
        (shared.clone(), client.clone(), remote.clone(), content.clone(), key.to_string());
    tokio::spawn(async move {
        tokio::select! {
            r = fetch(&shared, &client, &remote, &content, &key, reader) => {
                if let Err(e) = r {
                    tracing::debug!("{remote}: reading ahead stopped: {e}");
                }
            }
            _ = shared.stop.cancelled() => {}
        }
        let mut idx = shared.lock();
        if let Some(e) = idx.entries.get_mut(&key) {
            e.aheads.retain(|a| a.reader != reader);
            e.arrived.send_modify(|n| *n += 1);
        }
        shared.evict(&mut idx);
    });
}

/// What the download does next.
enum Plan {
    /// Blocks `from..to` (none of them held yet).
    Fetch(u64, u64),
    /// Far enough ahead: wait for a reader.
    Wait(Arc<Notify>),
    Done,
}

fn plan(shared: &Shared, key: &str, reader: u64) -> Plan {
    let mut idx = shared.lock();
    let Some(Entry { have, aheads, .. }) = idx.entries.get_mut(key) else { return Plan::Done };
    let Some(a) = aheads.iter_mut().find(|a| a.reader == reader) else { return Plan::Done };
    if a.closed {
        return Plan::Done;
    }
    let blocks = have.len() as u64;
    while a.next < blocks && have[a.next as usize] {
        a.next += 1;
    }
    if a.next >= blocks {
        return Plan::Done;
    }
    if a.next >= a.until {
        return Plan::Wait(a.more.clone());
    }
    let to = (a.next..blocks).find(|&b| have[b as usize]).unwrap_or(blocks);
    Plan::Fetch(a.next, to)
}

/// Whether the reply being read is still the way to go.
enum Flow {
    Go,
    Pause(Arc<Notify>),
    /// Stop reading this reply and plan again (the download was moved, the
    /// reply's next block is already held, or the readers are gone).
    Replan,
}

/// After block `landed` arrived (if one did): moves the download on, and
/// says whether to read on from block `next_in_reply`.
fn advance(shared: &Shared, key: &str, reader: u64, landed: Option<u64>, next_in_reply: u64) -> Flow {
    let mut idx = shared.lock();
    let Some(Entry { have, aheads, .. }) = idx.entries.get_mut(key) else { return Flow::Replan };
    let Some(a) = aheads.iter_mut().find(|a| a.reader == reader) else { return Flow::Replan };
    if let Some(b) = landed
        && a.next == b
    {
        a.next = b + 1;
    }
    let held = have.get(next_in_reply as usize).is_none_or(|h| *h);
    if a.closed || a.next != next_in_reply || held {
        return Flow::Replan;
    }
    if a.next >= a.until {
        return Flow::Pause(a.more.clone());
    }
    Flow::Go
}

/// The download: plans a range, streams it into the cache, and plans again
/// until there is nothing left to do.
async fn fetch(
    shared: &Shared,
    client: &Client,
    remote: &RemotePath,
    content: &Content,
    key: &str,
    reader: u64,
) -> Result<()> {
    let file = shared.file(key, content)?;
    let mut fruitless = 0u32;
    loop {
        let (from, to) = match plan(shared, key, reader) {
            Plan::Done => return Ok(()),
            Plan::Wait(more) => {
                more.notified().await;
                continue;
            }
            Plan::Fetch(from, to) => (from, to),
        };
        let mut blocks = Blocks::new(file.clone(), content, from);
        let stop = content.block_end(to - 1);
        let opts = DownloadOptions { start: from * BLOCK, end: Some(stop - 1), revision: None };
        let mut landed_any = false;
        let error = match client.download(remote, opts).await {
            Err(e) => Some(e),
            Ok(mut body) => 'reply: loop {
                let chunk = match body.next().await {
                    None => break None,
                    Some(Err(e)) => break Some(e),
                    Some(Ok(chunk)) => chunk,
                };
                let take = chunk.len().min((stop - blocks.at()) as usize);
                for b in blocks.push(&chunk[..take]).await? {
                    landed_any = true;
                    shared.landed(key, content, b);
                    let mut flow = advance(shared, key, reader, Some(b), b + 1);
                    while let Flow::Pause(more) = flow {
                        more.notified().await;
                        flow = advance(shared, key, reader, None, b + 1);
                    }
                    if let Flow::Replan = flow {
                        break 'reply None;
                    }
                }
                if blocks.at() >= stop {
                    break None;
                }
            },
        };
        fruitless = if landed_any { 0 } else { fruitless + 1 };
        ask_again(remote, error, fruitless, blocks.at(), || {
            format!("asked for the bytes {}..{stop}, the replies brought no block", from * BLOCK)
        })?;
    }
}
