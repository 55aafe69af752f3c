//! The schema, as migrations tracked in `PRAGMA user_version`. Never edit a
//! released migration: append a new one.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::StateError;

pub(crate) const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        name TEXT,
        spec TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX tasks_spec ON tasks (spec);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        task INTEGER NOT NULL REFERENCES tasks (id),
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        destination TEXT NOT NULL,
        spec TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        outcome TEXT NOT NULL,
        counters TEXT,
        parent INTEGER
    );
    CREATE TABLE file_events (
        id INTEGER PRIMARY KEY,
        run INTEGER NOT NULL REFERENCES runs (id),
        path TEXT NOT NULL,
        key TEXT NOT NULL,
        action TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        result TEXT NOT NULL,
        error TEXT,
        target TEXT NOT NULL,
        prev_md5 TEXT,
        prev_size INTEGER,
        prev_mtime INTEGER,
        new_md5 TEXT,
        trashed INTEGER NOT NULL DEFAULT 0,
        stash TEXT,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX file_events_run ON file_events (run, result);
    CREATE TABLE hash_cache (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        md5 TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE uploads (
        remote_path TEXT PRIMARY KEY,
        local_path TEXT NOT NULL,
        md5 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime INTEGER NOT NULL,
        started_ms INTEGER NOT NULL
    );
    CREATE TABLE remotes (
        name TEXT PRIMARY KEY,
        settings TEXT NOT NULL
    );",
    ),
    // The process that runs a run, so that a killed run shows as interrupted.
    M::up("ALTER TABLE runs ADD COLUMN pid INTEGER;"),
    // Download temporary files, recorded before their first byte is written,
    // so the next run knows exactly which files are ours: it resumes them or
    // removes them (see `transfer::temp`).
    M::up(
        "CREATE TABLE download_temps (
        temp_path TEXT PRIMARY KEY,
        target_path TEXT NOT NULL,
        md5 TEXT NOT NULL,
        size INTEGER NOT NULL,
        run INTEGER NOT NULL,
        started_ms INTEGER NOT NULL
    );
    CREATE INDEX download_temps_target ON download_temps (target_path);",
    ),
    // Named tasks (see `crate::tasks`). A table of their own rather than
    // names on `tasks`: `tasks` rows are found by their exact spec JSON
    // (every ad-hoc `fjordsync sync` adds one), while a named task keeps its
    // id when its options change. Runs of a named task point at it; removing
    // the task leaves its runs in the log, without a task.
    M::up(
        "CREATE TABLE named_tasks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL COLLATE NOCASE UNIQUE,
        job TEXT NOT NULL,
        schedule TEXT,
        schedule_since_ms INTEGER,
        paused INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL
    );
    ALTER TABLE runs ADD COLUMN named_task INTEGER REFERENCES named_tasks (id) ON DELETE SET NULL;
    CREATE INDEX runs_named_task ON runs (named_task, id);",
    ),
    // A backup run's own result (see `state::run_log`): a backup counts new,
    // changed and unmodified files and bytes added, not uploads and
    // downloads. Keyed by run; goes with its run.
    M::up(
        "CREATE TABLE backup_runs (
        run INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        snapshot TEXT NOT NULL,
        files_new INTEGER NOT NULL,
        files_changed INTEGER NOT NULL,
        files_unmodified INTEGER NOT NULL,
        bytes_added INTEGER NOT NULL,
        bytes_stored INTEGER NOT NULL,
        total_files INTEGER NOT NULL,
        total_bytes INTEGER NOT NULL
    );",
    ),
    // Two-way sync (see `crate::bisync`). A pair is a local folder and a
    // remote folder; its base is the last state both sides agreed on, one
    // row per item, written as each item settles (so a run stopped at any
    // moment leaves a base that is right for every row it has). Each side's
    // columns are that side's own view (the remote's identity, content and
    // time; the local size, mtime and inode), so each side is compared only
    // with its own history. Conflicts are kept for the user to see.
    M::up(
        "CREATE TABLE bisync_pairs (
        id INTEGER PRIMARY KEY,
        local_root TEXT NOT NULL,
        remote TEXT NOT NULL,
        remote_path TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        UNIQUE (local_root, remote, remote_path)
    );
    CREATE TABLE bisync_base (
        pair INTEGER NOT NULL REFERENCES bisync_pairs (id) ON DELETE CASCADE,
        folded TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        md5 TEXT,
        size INTEGER NOT NULL,
        remote_id TEXT,
        remote_mtime INTEGER NOT NULL,
        remote_updated INTEGER,
        local_size INTEGER NOT NULL,
        local_mtime_ns INTEGER NOT NULL,
        local_inode INTEGER NOT NULL,
        PRIMARY KEY (pair, folded)
    ) WITHOUT ROWID;
    CREATE TABLE bisync_conflicts (
        id INTEGER PRIMARY KEY,
        pair INTEGER NOT NULL REFERENCES bisync_pairs (id) ON DELETE CASCADE,
        run INTEGER,
        key TEXT NOT NULL,
        copy_key TEXT NOT NULL,
        found_ms INTEGER NOT NULL
    );
    CREATE INDEX bisync_conflicts_pair ON bisync_conflicts (pair, id);",
    ),
    // A conflict the user resolved (keep mine / theirs / both) stays in the
    // table with when and how, so the list of open ones is what is left.
    M::up(
        "ALTER TABLE bisync_conflicts ADD COLUMN resolved_ms INTEGER;
    ALTER TABLE bisync_conflicts ADD COLUMN resolution TEXT;",
    ),
    // Which side of a two-way run a file event changed (`local` or
    // `remote`), so its undo knows where to put things back; NULL for
    // one-way runs, whose side follows from the action.
    M::up("ALTER TABLE file_events ADD COLUMN side TEXT;"),
    // Two-way sync items kept aside after an error (`bisync::issues`): what
    // failed, why, how often, when it is tried again (NULL: when it
    // changes), and its state on both sides when it failed.
    M::up(
        "CREATE TABLE bisync_issues (
        pair INTEGER NOT NULL REFERENCES bisync_pairs (id) ON DELETE CASCADE,
        folded TEXT NOT NULL,
        key TEXT NOT NULL,
        side TEXT NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        first_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        next_ms INTEGER,
        signature TEXT NOT NULL,
        PRIMARY KEY (pair, folded)
    ) WITHOUT ROWID;",
    ),
];

/// WAL (readers never block the writer, and a crash loses at most the last
/// batch), a busy timeout for two processes, then the migrations.
pub(super) fn prepare(conn: &mut Connection) -> Result<(), StateError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Migrations::from_slice(MIGRATIONS).to_latest(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(rusqlite_migration::Migrations::from_slice(super::MIGRATIONS).validate().is_ok());
    }
}
