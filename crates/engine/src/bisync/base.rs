//! The base: per pair, the last state of every item both sides agreed on
//! (Unison's archive). A change is a difference from the base on one side,
//! which is why a run needs no "resync": an item is written here the moment
//! it settles, in its own transaction, so a run stopped at any point leaves
//! every row true for the item it names, and the next run carries on.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::names::fold;
use crate::state::{StateDb, StateError, now_ms};

/// A pair's id in the state database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PairId(pub i64);

/// What an item is. Stored as `file` / `folder`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// A file.
    #[default]
    File,
    /// A folder.
    Folder,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Folder => "folder",
        }
    }

    fn parse(s: &str) -> Result<Kind, StateError> {
        match s {
            "file" => Ok(Kind::File),
            "folder" => Ok(Kind::Folder),
            other => Err(StateError::Corrupt(format!("unknown two-way sync item kind {other:?}"))),
        }
    }
}

/// One agreed item. For a folder only `key` and `kind` mean anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseItem {
    /// Relative path in remote form, as last seen.
    pub key: String,
    /// File or folder.
    pub kind: Kind,
    /// The content both sides had (lower-case hex MD5).
    pub md5: Option<String>,
    /// Its size.
    pub size: u64,
    /// The remote file's identity (`uuid`), when the listing gave one.
    pub remote_id: Option<String>,
    /// The remote modification time (seconds), as the service keeps it.
    pub remote_mtime: i64,
    /// When the service got this revision (seconds), when listed.
    pub remote_updated: Option<i64>,
    /// The local file's size then.
    pub local_size: u64,
    /// Its modification time (ns) then: only ever compared with the local clock's own later readings.
    pub local_mtime_ns: i64,
    /// Its inode then (an atomic save gives a new one).
    pub local_inode: u64,
}

impl BaseItem {
    /// A folder both sides have.
    pub fn folder(key: &str) -> BaseItem {
        BaseItem { key: key.to_string(), kind: Kind::Folder, ..Default::default() }
    }

    /// True for a folder.
    pub fn is_folder(&self) -> bool {
        self.kind == Kind::Folder
    }
}

/// A pair's base in memory, by folded key (see [`fold`]).
pub type Base = HashMap<String, BaseItem>;

impl StateDb {
    /// The pair of this local folder and remote folder, created on first use.
    pub fn bisync_pair(&self, local_root: &str, remote: &str, remote_path: &str) -> Result<PairId, StateError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO bisync_pairs (local_root, remote, remote_path, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![local_root, remote, remote_path, now_ms()],
        )?;
        let id = conn.query_row(
            "SELECT id FROM bisync_pairs WHERE local_root = ?1 AND remote = ?2 AND remote_path = ?3",
            params![local_root, remote, remote_path],
            |r| r.get(0),
        )?;
        Ok(PairId(id))
    }

    /// The pair, if it was ever run (a dry run of a new pair creates none).
    pub fn find_bisync_pair(
        &self,
        local_root: &str,
        remote: &str,
        remote_path: &str,
    ) -> Result<Option<PairId>, StateError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT id FROM bisync_pairs WHERE local_root = ?1 AND remote = ?2 AND remote_path = ?3",
                params![local_root, remote, remote_path],
                |r| r.get(0),
            )
            .optional()?
            .map(PairId))
    }

    /// The whole base of a pair, loaded at once (one query for the run).
    pub fn bisync_base(&self, pair: PairId) -> Result<Base, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT folded, key, kind, md5, size, remote_id, remote_mtime, remote_updated, local_size,
                    local_mtime_ns, local_inode
             FROM bisync_base WHERE pair = ?1",
        )?;
        let mut rows = st.query([pair.0])?;
        let mut out = Base::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(2)?;
            out.insert(
                r.get(0)?,
                BaseItem {
                    key: r.get(1)?,
                    kind: Kind::parse(&kind)?,
                    md5: r.get(3)?,
                    size: r.get::<_, i64>(4)? as u64,
                    remote_id: r.get(5)?,
                    remote_mtime: r.get(6)?,
                    remote_updated: r.get(7)?,
                    local_size: r.get::<_, i64>(8)? as u64,
                    local_mtime_ns: r.get(9)?,
                    local_inode: r.get::<_, i64>(10)? as u64,
                },
            );
        }
        Ok(out)
    }

    /// Records that an item settled: both sides now hold `item`. One
    /// transaction (SQLite's, per statement), so a kill never leaves half a row.
    pub fn bisync_settle(&self, pair: PairId, item: &BaseItem) -> Result<(), StateError> {
        put_base_row(&self.conn(), pair, item)?;
        Ok(())
    }

    /// Writes many bookkeeping rows at once (items both sides already agree
    /// on, items gone from both), in one transaction: a second run after a
    /// large first one learns every uploaded file's identity this way.
    pub fn bisync_settle_all(&self, pair: PairId, settled: &[BaseItem], gone: &[String]) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            for item in settled {
                put_base_row(&tx, pair, item)?;
            }
            let mut del = tx.prepare_cached("DELETE FROM bisync_base WHERE pair = ?1 AND folded = ?2")?;
            for key in gone {
                del.execute(params![pair.0, fold(key)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records that an item is gone from both sides.
    pub fn bisync_forget(&self, pair: PairId, key: &str) -> Result<(), StateError> {
        self.conn().execute("DELETE FROM bisync_base WHERE pair = ?1 AND folded = ?2", params![pair.0, fold(key)])?;
        Ok(())
    }
}

/// Writes (or replaces) one base row; the statement is cached per
/// connection, so a batch inside one transaction prepares it once.
fn put_base_row(conn: &rusqlite::Connection, pair: PairId, item: &BaseItem) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO bisync_base (pair, folded, key, kind, md5, size, remote_id, remote_mtime,
            remote_updated, local_size, local_mtime_ns, local_inode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        pair.0,
        fold(&item.key),
        item.key,
        item.kind.as_str(),
        item.md5,
        item.size as i64,
        item.remote_id,
        item.remote_mtime,
        item.remote_updated,
        item.local_size as i64,
        item.local_mtime_ns,
        item.local_inode as i64
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_rows_round_trip_by_folded_key() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.db")).unwrap();
        let pair = db.bisync_pair("/home/a/Docs", "demo", "Docs").unwrap();
        assert_eq!(db.bisync_pair("/home/a/Docs", "demo", "Docs").unwrap(), pair);
        assert_ne!(db.bisync_pair("/home/a/Docs", "demo", "Other").unwrap(), pair);
        let item = BaseItem {
            key: "Sub/Report.PDF".into(),
            kind: Kind::File,
            md5: Some("abc".into()),
            size: 3,
            remote_id: Some("u-1".into()),
            remote_mtime: 10,
            remote_updated: Some(11),
            local_size: 3,
            local_mtime_ns: 10_000_000_001,
            local_inode: 42,
        };
        db.bisync_settle(pair, &item).unwrap();
        db.bisync_settle(pair, &BaseItem::folder("Sub")).unwrap();
        let base = db.bisync_base(pair).unwrap();
        assert_eq!(base.get("sub/report.pdf"), Some(&item));
        assert!(base.get("sub").unwrap().is_folder());
        // A case rename replaces the row instead of adding one.
        db.bisync_settle(pair, &BaseItem { key: "sub/report.pdf".into(), ..item.clone() }).unwrap();
        assert_eq!(db.bisync_base(pair).unwrap().len(), 2);
        db.bisync_forget(pair, "SUB/REPORT.pdf").unwrap();
        assert_eq!(db.bisync_base(pair).unwrap().len(), 1);
        // Many at once: one transaction.
        let many: Vec<BaseItem> = (0..3).map(|i| BaseItem { key: format!("f{i}"), ..item.clone() }).collect();
        db.bisync_settle_all(pair, &many, &["sub".to_string()]).unwrap();
        let keys: std::collections::BTreeSet<String> = db.bisync_base(pair).unwrap().into_keys().collect();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["f0", "f1", "f2"]);
    }
}
