//! Tunables of a [`crate::Vfs`].

use std::time::Duration;

/// How a [`crate::Vfs`] caches and uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VfsOptions {
    /// The read cache's size limit in bytes; least recently used files go
    /// first, open ones never. Files waiting for upload do not count (they
    /// cannot be dropped).
    pub cache_max_size: u64,
    /// How long a folder listing is trusted at most. Changes made elsewhere
    /// are found by the poll ([`VfsOptions::poll_interval`]), which drops
    /// the listings they touch, and our own changes update or drop theirs at
    /// once; so listings are served from memory and this is only the safety
    /// net for what the poll cannot see: a poll that keeps failing, or a
    /// change the storage's listing does not show.
    pub listing_ttl: Duration,
    /// How often the served folder's whole-tree listing is fingerprinted to
    /// notice changes made elsewhere (the web, another computer); `None`
    /// polls only when [`crate::Vfs::poll_now`] is called.
    pub poll_interval: Option<Duration>,
    /// How long after close an upload starts: an editor that saves twice in
    /// a row uploads once.
    pub upload_delay: Duration,
}

impl Default for VfsOptions {
    fn default() -> Self {
        VfsOptions {
            cache_max_size: 1 << 30,
            listing_ttl: Duration::from_secs(10 * 60),
            poll_interval: Some(Duration::from_secs(30)),
            upload_delay: Duration::from_secs(1),
        }
    }
}
