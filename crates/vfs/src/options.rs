//! Tunables of a [`crate::Vfs`].

use std::time::Duration;

/// How a [`crate::Vfs`] caches and uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VfsOptions {
    /// The read cache's size limit in bytes; least recently used files go
    /// first, open ones never. Files waiting for upload do not count (they
    /// cannot be dropped).
    pub cache_max_size: u64,
    /// How long a folder listing is trusted before it is asked for again.
    /// Short, so changes made elsewhere show up soon; our own changes drop
    /// the listing at once.
    pub listing_ttl: Duration,
    /// How long after close an upload starts: an editor that saves twice in
    /// a row uploads once.
    pub upload_delay: Duration,
}

impl Default for VfsOptions {
    fn default() -> Self {
        VfsOptions {
            cache_max_size: 1 << 30,
            listing_ttl: Duration::from_secs(5),
            upload_delay: Duration::from_secs(1),
        }
    }
}
