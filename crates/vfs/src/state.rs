//! The cache's state file (SQLite, WAL): files written here that are not on
//! the storage yet (waiting for upload, or local-only), and the properties
//! clients set on paths (WebDAV dead properties; extended attributes later).
//!
//! A row is written when a file is closed, before the upload is scheduled,
//! and removed only after the upload succeeded, so a crash at any point
//! leaves either the row (the next start uploads again: dedup makes that
//! cheap) or a finished upload. Moves of many rows run in one transaction.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, VfsError};
use crate::path::VfsPath;

/// A staged file as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedRow {
    /// Where it is in the served folder.
    pub path: VfsPath,
    /// Its content's file name in `<cache>/staged/`.
    pub file: String,
    /// MD5 of the content (lower-case hex).
    pub md5: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time to give the storage.
    pub modified: Option<Timestamp>,
    /// Kept in the cache only, never uploaded.
    pub local_only: bool,
}

/// The open state file.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS staged (
    path TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    modified_ms INTEGER,
    local_only INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS props (
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (path, name)
);
";

/// `path = p OR path under p/` for a key prefix (works for any characters).
const UNDER: &str = "(path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/')";

impl StateFile {
    /// Opens (or creates) the file in WAL mode.
    pub fn open(path: &Path) -> Result<StateFile> {
        let err = |source| VfsError::State { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(StateFile { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|source| VfsError::State { path: self.path.clone(), source })
    }

    /// Every staged file.
    pub fn staged(&self) -> Result<Vec<StagedRow>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT path, file, md5, size, modified_ms, local_only FROM staged")?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (path, file, md5, size, modified, local_only) = row?;
                let Ok(path) = VfsPath::parse(&path) else {
                    tracing::warn!("state file: skipping a row with an unusable path {path:?}");
                    continue;
                };
                let modified = modified.and_then(|ms| Timestamp::from_millisecond(ms).ok());
                out.push(StagedRow { path, file, md5, size: size.max(0) as u64, modified, local_only });
            }
            Ok(out)
        })
    }

    /// Records (or replaces) the staged file at `row.path`.
    pub fn put_staged(&self, row: &StagedRow) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO staged (path, file, md5, size, modified_ms, local_only)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    row.path.key(),
                    row.file,
                    row.md5,
                    row.size as i64,
                    row.modified.map(|t| t.as_millisecond()),
                    row.local_only
                ],
            )?;
            Ok(())
        })
    }

    /// Forgets the staged file at `path` if its content is still `file`
    /// (a newer write may have replaced it meanwhile).
    pub fn remove_staged(&self, path: &VfsPath, file: &str) -> Result<bool> {
        self.with(|c| Ok(c.execute("DELETE FROM staged WHERE path = ?1 AND file = ?2", params![path.key(), file])? > 0))
    }

    /// The staged rows at or below `path`, removed; their content files are
    /// the caller's to delete.
    pub fn take_staged_under(&self, path: &VfsPath) -> Result<Vec<String>> {
        self.with(|c| {
            let tx = c.transaction()?;
            let files = {
                let mut st = tx.prepare(&format!("SELECT file FROM staged WHERE {UNDER}"))?;
                st.query_map([path.key()], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.execute(&format!("DELETE FROM staged WHERE {UNDER}"), [path.key()])?;
            tx.commit()?;
            Ok(files)
        })
    }

    /// Moves staged rows and properties at or below `from` to `to`, in one
    /// transaction (whatever was at `to` is replaced).
    pub fn move_under(&self, from: &VfsPath, to: &VfsPath) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for table in ["staged", "props"] {
                if table == "props" {
                    tx.execute(&format!("DELETE FROM props WHERE {UNDER}"), [to.key()])?;
                }
                let rows = {
                    let mut st = tx.prepare(&format!("SELECT DISTINCT path FROM {table} WHERE {UNDER}"))?;
                    st.query_map([from.key()], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?
                };
                for old in rows {
                    let Ok(p) = VfsPath::parse(&old) else { continue };
                    let new = p.rebase(from, to).key();
                    if table == "staged" {
                        tx.execute("DELETE FROM staged WHERE path = ?1", [&new])?;
                    }
                    tx.execute(&format!("UPDATE {table} SET path = ?2 WHERE path = ?1"), params![old, new])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// The properties of `path`: (name, value).
    pub fn props(&self, path: &VfsPath) -> Result<Vec<(String, Vec<u8>)>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT name, value FROM props WHERE path = ?1 ORDER BY name")?;
            st.query_map([path.key()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })
    }

    /// One property of `path`.
    pub fn prop(&self, path: &VfsPath, name: &str) -> Result<Option<Vec<u8>>> {
        self.with(|c| {
            c.query_row("SELECT value FROM props WHERE path = ?1 AND name = ?2", params![path.key(), name], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    /// Sets (`Some`) or removes (`None`) properties of `path`, all in one
    /// transaction.
    pub fn patch_props(&self, path: &VfsPath, changes: &[(String, Option<Vec<u8>>)]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for (name, value) in changes {
                match value {
                    Some(v) => tx.execute(
                        "INSERT OR REPLACE INTO props (path, name, value) VALUES (?1, ?2, ?3)",
                        params![path.key(), name, v],
                    )?,
                    None => tx.execute("DELETE FROM props WHERE path = ?1 AND name = ?2", params![path.key(), name])?,
                };
            }
            tx.commit()
        })
    }

    /// Forgets the properties at or below `path`.
    pub fn remove_props_under(&self, path: &VfsPath) -> Result<()> {
        self.with(|c| c.execute(&format!("DELETE FROM props WHERE {UNDER}"), [path.key()]).map(|_| ()))
    }

    /// Copies the properties of `from` to `to` (replacing `to`'s).
    pub fn copy_props(&self, from: &VfsPath, to: &VfsPath) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM props WHERE path = ?1", [to.key()])?;
            tx.execute(
                "INSERT INTO props (path, name, value) SELECT ?2, name, value FROM props WHERE path = ?1",
                params![from.key(), to.key()],
            )?;
            tx.commit()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> VfsPath {
        VfsPath::parse(s).unwrap()
    }

    #[test]
    fn rows_move_with_their_folder_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let db = StateFile::open(&tmp.path().join("state.db")).unwrap();
        for (path, file) in [("/a/x", "1"), ("/a/y/z", "2"), ("/ab", "3")] {
            let row = StagedRow {
                path: p(path),
                file: file.into(),
                md5: "m".into(),
                size: 1,
                modified: None,
                local_only: false,
            };
            db.put_staged(&row).unwrap();
        }
        db.patch_props(&p("/a/y/z"), &[("k".into(), Some(b"v".to_vec()))]).unwrap();
        db.move_under(&p("/a"), &p("/b")).unwrap();
        let mut paths: Vec<String> = db.staged().unwrap().iter().map(|r| r.path.to_string()).collect();
        paths.sort();
        assert_eq!(paths, ["/ab", "/b/x", "/b/y/z"]);
        assert_eq!(db.prop(&p("/b/y/z"), "k").unwrap(), Some(b"v".to_vec()));
        assert!(!db.remove_staged(&p("/b/x"), "other").unwrap());
        assert!(db.remove_staged(&p("/b/x"), "1").unwrap());
        assert_eq!(db.take_staged_under(&p("/b")).unwrap(), ["2"]);
        assert_eq!(db.staged().unwrap().len(), 1);

        // Reopened: what was recorded is still there.
        drop(db);
        let db = StateFile::open(&tmp.path().join("state.db")).unwrap();
        assert_eq!(db.staged().unwrap()[0].path, p("/ab"));
    }
}
