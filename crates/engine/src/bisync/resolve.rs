//! Resolving a recorded conflict. After a conflict run both versions are on
//! both sides: the original name holds the storage's version ("theirs") and
//! the conflict copy this computer's ("mine"). Resolving changes only this
//! computer's folder, then the caller runs the pair once so the storage
//! follows by the ordinary rules (a changed file is uploaded, a removed
//! copy goes to the storage's trash). So the storage is never written
//! behind the base's back, and the rules that keep a run safe (guard,
//! preflight, change beats delete) keep a resolution safe too.
//!
//! - keep mine: the original name gets the copy's content; the storage's
//!   version goes to the stash (and stays as the storage's old version);
//! - keep theirs: the copy goes to the stash;
//! - keep both: nothing moves; the conflict is only marked resolved.
//!
//! A resolution is refused while either file differs from what the last
//! run agreed on, on either side (a dry run of the pair would touch it):
//! resolving then could throw away a newer change.

use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::base::{BaseItem, PairId};
use super::error::BisyncError;
use super::lock::lock_pair;
use super::names::fold;
use super::reconcile::Action;
use super::run::BisyncSpec;
use crate::error::{EngineError, Result};
use crate::local::{self, SafeRoot};
use crate::runner::Runner;
use crate::state::{StateDb, StateError, now_ms};
use crate::transfer::stash;
use crate::tree::user_path;

/// How the user settles a conflict.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// This computer's version (the conflict copy) wins.
    KeepMine,
    /// The storage's version (the original name) wins.
    KeepTheirs,
    /// Both files stay as they are.
    KeepBoth,
}

impl Resolution {
    fn as_str(self) -> &'static str {
        match self {
            Resolution::KeepMine => "keep_mine",
            Resolution::KeepTheirs => "keep_theirs",
            Resolution::KeepBoth => "keep_both",
        }
    }
}

/// One version of a conflicted file, as it is in the local folder now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// Its path in the pair, as the user reads it.
    pub path: String,
    /// Its size, `None` when the file is gone.
    pub size: Option<u64>,
    /// When it was last modified (Unix ms), `None` when gone.
    pub modified_ms: Option<i64>,
}

/// An open conflict with both versions' facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenConflict {
    /// The conflict's id.
    pub id: i64,
    /// When it was found (Unix ms).
    pub found_ms: i64,
    /// This computer's version: the conflict copy.
    pub mine: Version,
    /// The storage's version: under the original name.
    pub theirs: Version,
}

impl StateDb {
    /// A pair's conflicts nobody has resolved, newest first.
    pub fn bisync_open_conflicts(&self, pair: PairId) -> Result<Vec<super::Conflict>, StateError> {
        Ok(self.bisync_conflicts(pair)?.into_iter().filter(|c| !self.bisync_resolved(c.id).unwrap_or(true)).collect())
    }

    fn bisync_resolved(&self, id: i64) -> Result<bool, StateError> {
        let at: Option<i64> =
            self.conn().query_row("SELECT resolved_ms FROM bisync_conflicts WHERE id = ?1", [id], |r| r.get(0))?;
        Ok(at.is_some())
    }

    /// Marks a conflict resolved, and how.
    fn bisync_mark_resolved(&self, id: i64, how: Resolution) -> Result<(), StateError> {
        self.conn().execute(
            "UPDATE bisync_conflicts SET resolved_ms = ?2, resolution = ?3 WHERE id = ?1",
            params![id, now_ms(), how.as_str()],
        )?;
        Ok(())
    }
}

/// The open conflicts of the pair `spec` names (none when it never ran).
pub fn open_conflicts(db: &StateDb, spec: &BisyncSpec) -> Result<Vec<OpenConflict>> {
    let Some(pair) = db.find_bisync_pair(&spec.local.display().to_string(), &spec.remote, &spec.path)? else {
        return Ok(Vec::new());
    };
    let version = |key: &str| {
        let meta = local::local_path(&spec.local, key).ok().and_then(|p| std::fs::symlink_metadata(p).ok());
        let meta = meta.filter(|m| m.is_file());
        Version {
            path: user_path(key),
            size: meta.as_ref().map(|m| m.len()),
            modified_ms: meta.map(|m| local::times(&m).1 / 1_000_000),
        }
    };
    Ok(db
        .bisync_open_conflicts(pair)?
        .into_iter()
        .map(|c| OpenConflict { id: c.id, found_ms: c.found_ms, mine: version(&c.copy_key), theirs: version(&c.key) })
        .collect())
}

impl Runner {
    /// Resolves conflict `id` of the pair `spec` names, in the local folder
    /// only (see the module). The caller runs the pair afterwards so the
    /// storage follows.
    pub async fn resolve_conflict(&self, spec: &BisyncSpec, id: i64, how: Resolution) -> Result<()> {
        let db = self.db().clone();
        let root_text = spec.local.display().to_string();
        let pair = db.find_bisync_pair(&root_text, &spec.remote, &spec.path)?.ok_or(BisyncError::NoConflict(id))?;
        let conflict =
            db.bisync_open_conflicts(pair)?.into_iter().find(|c| c.id == id).ok_or(BisyncError::NoConflict(id))?;
        if how == Resolution::KeepBoth {
            db.bisync_mark_resolved(id, how)?;
            return Ok(());
        }
        // Both sides as a run would see them: nothing may be pending for either file.
        let mut dry = spec.clone();
        dry.options.dry_run = true;
        let report = self.bisync(&dry, None, crate::events::discard(), CancellationToken::new()).await?;
        let touched = [fold(&conflict.key), fold(&conflict.copy_key)];
        if let Some(a) = report.actions.iter().find(|a| keys(a).iter().any(|k| touched.contains(&fold(k)))) {
            return Err(BisyncError::ConflictChanged(user_path(a.key())).into());
        }
        let state_dir = db.path().parent().unwrap_or(Path::new(".")).to_path_buf();
        let _held = lock_pair(&state_dir, pair, (&root_text, &spec.remote_location().to_string()))?;
        // Under the lock, each local file is still what the base agreed on.
        let base = db.bisync_base(pair)?;
        let safe = SafeRoot::new(&spec.local);
        let theirs = checked(&spec.local, &safe, base.get(&fold(&conflict.key)), &conflict.key)?;
        let mine = checked(&spec.local, &safe, base.get(&fold(&conflict.copy_key)), &conflict.copy_key)?;
        let stash_dir = self.stash_root().join(format!("conflict-{id}"));
        let io = |context: String| move |source| EngineError::Io { context, source };
        match how {
            Resolution::KeepMine => {
                // A new file with mine's content replaces theirs in one rename.
                let part = theirs.with_file_name(format!(".fjordsync-resolve-{id}.part"));
                std::fs::copy(&mine, &part).map_err(io(format!("copying {}", mine.display())))?;
                stash::keep_moved(&stash_dir, &theirs, &conflict.key)
                    .map_err(io(format!("keeping {}", theirs.display())))?;
                std::fs::rename(&part, &theirs).map_err(io(format!("writing {}", theirs.display())))?;
                stash::keep_moved(&stash_dir, &mine, &conflict.copy_key)
                    .map_err(io(format!("keeping {}", mine.display())))?;
            }
            Resolution::KeepTheirs => {
                stash::keep_moved(&stash_dir, &mine, &conflict.copy_key)
                    .map_err(io(format!("keeping {}", mine.display())))?;
            }
            Resolution::KeepBoth => {}
        }
        db.bisync_mark_resolved(id, how)?;
        Ok(())
    }
}

/// Every key an action touches (a move touches two).
fn keys(a: &Action) -> Vec<&str> {
    match a {
        Action::MoveRemote { from, to } | Action::MoveLocal { from, to } => vec![from, to],
        other => vec![other.key()],
    }
}

/// The local path of `key`, checked: no link on the way, and the file is
/// what the base agreed on (size, time, inode).
fn checked(root: &Path, safe: &SafeRoot, base: Option<&BaseItem>, key: &str) -> Result<PathBuf> {
    let changed = || EngineError::from(BisyncError::ConflictChanged(user_path(key)));
    let path = local::local_path(root, key).map_err(|e| EngineError::Invalid(e.to_string()))?;
    safe.check(&path).map_err(|e| EngineError::Invalid(e.to_string()))?;
    let base = base.ok_or_else(changed)?;
    let meta = std::fs::symlink_metadata(&path).map_err(|_| changed())?;
    let (_, mtime_ns) = local::times(&meta);
    if !meta.is_file()
        || meta.len() != base.local_size
        || mtime_ns != base.local_mtime_ns
        || local::inode(&meta) != base.local_inode
    {
        return Err(changed());
    }
    Ok(path)
}
