//! Conflicts: both sides changed one file differently. Both versions are
//! kept: the original name keeps the storage's version (what other devices
//! already see) and this computer's version becomes
//! `NAME (conflicted copy HOST YYYY-MM-DD HHMMSS).EXT` on both sides. The
//! extension stays last so the copy still opens in the same program, and the
//! host says which computer's version it is. Every conflict is recorded so
//! the user can list them (and, later, resolve them in the app).

use rusqlite::params;
use serde::Serialize;

use super::base::PairId;
use super::names::{name, parent};
use crate::state::{StateDb, StateError, now_ms};

/// What a conflict copy's name is made of: the computer and the moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyNamer {
    /// This computer's name, made safe for a file name.
    pub host: String,
    /// `YYYY-MM-DD HHMMSS`, local time.
    pub stamp: String,
}

impl CopyNamer {
    /// This computer now.
    pub fn now() -> CopyNamer {
        let raw = gethostname::gethostname().to_string_lossy().into_owned();
        let host: String = raw
            .split('.')
            .next()
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
            .take(40)
            .collect();
        let host = if host.is_empty() { "this computer".to_string() } else { host };
        CopyNamer { host, stamp: jiff::Zoned::now().strftime("%Y-%m-%d %H%M%S").to_string() }
    }

    /// The conflict copy's key for `key`, numbered when `taken` says the
    /// name is in use (on either side, or by another copy of this run).
    pub fn copy_key(&self, key: &str, taken: impl Fn(&str) -> bool) -> String {
        let file = name(key);
        // A leading dot is part of the name (`.bashrc` has no extension).
        let (stem, ext) = match file.rfind('.') {
            Some(i) if i > 0 => file.split_at(i),
            _ => (file, ""),
        };
        let dir = parent(key);
        for n in 1..=1000u32 {
            let number = if n == 1 { String::new() } else { format!(" {n}") };
            let suffix = format!(" (conflicted copy {} {}{number}){ext}", self.host, self.stamp);
            // The service takes names up to 255 characters: the stem gives way.
            let room = 255usize.saturating_sub(suffix.chars().count()).max(1);
            let stem: String = stem.chars().take(room).collect();
            let copy = crate::tree::join_key(dir, &format!("{stem}{suffix}"));
            if !taken(&copy) {
                return copy;
            }
        }
        crate::tree::join_key(dir, &format!("{stem} (conflicted copy {} {} {}){ext}", self.host, self.stamp, now_ms()))
    }
}

/// A recorded conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Row id.
    pub id: i64,
    /// The run that found it (none for a dry run).
    pub run: Option<i64>,
    /// The original name (it keeps the storage's version).
    pub key: String,
    /// The conflict copy (this computer's version).
    pub copy_key: String,
    /// When it was found (Unix ms).
    pub found_ms: i64,
}

impl StateDb {
    /// Records a conflict of a pair.
    pub fn bisync_record_conflict(
        &self,
        pair: PairId,
        run: Option<i64>,
        key: &str,
        copy_key: &str,
    ) -> Result<(), StateError> {
        self.conn().execute(
            "INSERT INTO bisync_conflicts (pair, run, key, copy_key, found_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![pair.0, run, key, copy_key, now_ms()],
        )?;
        Ok(())
    }

    /// A pair's conflicts, newest first.
    pub fn bisync_conflicts(&self, pair: PairId) -> Result<Vec<Conflict>, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, run, key, copy_key, found_ms FROM bisync_conflicts WHERE pair = ?1 ORDER BY id DESC",
        )?;
        let rows = st.query_map([pair.0], |r| {
            Ok(Conflict { id: r.get(0)?, run: r.get(1)?, key: r.get(2)?, copy_key: r.get(3)?, found_ms: r.get(4)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namer() -> CopyNamer {
        CopyNamer { host: "laptop".into(), stamp: "2026-12-06 011500".into() }
    }

    #[test]
    fn copy_names_keep_the_extension_and_are_numbered_when_taken() {
        let n = namer();
        assert_eq!(
            n.copy_key("docs/report.pdf", |_| false),
            "docs/report (conflicted copy laptop 2026-12-06 011500).pdf"
        );
        assert_eq!(n.copy_key(".bashrc", |_| false), ".bashrc (conflicted copy laptop 2026-12-06 011500)");
        assert_eq!(n.copy_key("a.tar.gz", |_| false), "a.tar (conflicted copy laptop 2026-12-06 011500).gz");
        let first = n.copy_key("x.txt", |_| false);
        assert_eq!(n.copy_key("x.txt", |k| k == first), "x (conflicted copy laptop 2026-12-06 011500 2).txt");
        let long = format!("{}.txt", "n".repeat(300));
        assert!(n.copy_key(&long, |_| false).chars().count() <= 255);
    }

    #[test]
    fn conflicts_are_listed_per_pair() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.db")).unwrap();
        let pair = db.bisync_pair("/a", "demo", "A").unwrap();
        db.bisync_record_conflict(pair, None, "x.txt", "x (c).txt").unwrap();
        let list = db.bisync_conflicts(pair).unwrap();
        assert_eq!((list[0].key.as_str(), list[0].copy_key.as_str()), ("x.txt", "x (c).txt"));
    }
}
