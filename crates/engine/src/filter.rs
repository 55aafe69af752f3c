//! Which files a task considers: include/exclude globs (gitignore syntax,
//! from the `ignore` crate), size and age limits, and the "only these paths"
//! list that retry uses. The same filter applies to both sides, so a sync
//! never deletes a destination file that the filter hides on the source.
//!
//! Sync tasks and backups take the same filters from the user, so both hold
//! one [`FilterOptions`] and compile it with [`Filter::new`]: a new limit is
//! added here once and reaches every shell and both kinds of task.

use std::collections::HashSet;

use ignore::Match;
use ignore::overrides::{Override, OverrideBuilder};
use serde::{Deserialize, Serialize};

/// The file filters a user gives a sync task ([`crate::TaskOptions`]) or a
/// backup ([`crate::backup::BackupOptions`]), as typed: globs and limits,
/// not yet compiled.
///
/// Sync tasks are stored as JSON (the state database keys them by it), with
/// these fields flattened into the options beside the others, so their names
/// are part of that format: renaming one breaks the stored tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterOptions {
    /// Gitignore-style globs: only matching files are considered; folders
    /// are still walked.
    pub include: Vec<String>,
    /// Gitignore-style globs: matching files and folders are left alone; an
    /// exclude wins over an include.
    pub exclude: Vec<String>,
    /// Smallest file considered (bytes).
    pub min_size: Option<u64>,
    /// Largest file considered (bytes).
    pub max_size: Option<u64>,
    /// Only files modified at least this many seconds ago.
    pub min_age_secs: Option<u64>,
    /// Only files modified at most this many seconds ago.
    pub max_age_secs: Option<u64>,
}

/// A bad glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid filter {glob:?}: {reason}")]
pub struct FilterError {
    /// The glob as given.
    pub glob: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Filter {
    globs: Option<Override>,
    min_size: Option<u64>,
    max_size: Option<u64>,
    newest: Option<i64>,
    oldest: Option<i64>,
    only: Option<HashSet<String>>,
}

impl Filter {
    /// Compiles the filters. Includes come first and excludes last, so an
    /// exclude wins over an include. Ages count back from now.
    pub fn new(o: &FilterOptions) -> Result<Filter, FilterError> {
        let globs = if o.include.is_empty() && o.exclude.is_empty() {
            None
        } else {
            let mut b = OverrideBuilder::new("/");
            let bad = |glob: &str, e: ignore::Error| FilterError { glob: glob.to_string(), reason: e.to_string() };
            for g in &o.include {
                b.add(g).map_err(|e| bad(g, e))?;
            }
            for g in &o.exclude {
                b.add(&format!("!{g}")).map_err(|e| bad(g, e))?;
            }
            Some(b.build().map_err(|e| bad("", e))?)
        };
        let now = jiff::Timestamp::now().as_second();
        Ok(Filter {
            globs,
            min_size: o.min_size,
            max_size: o.max_size,
            newest: o.min_age_secs.map(|a| now - a as i64),
            oldest: o.max_age_secs.map(|a| now - a as i64),
            only: None,
        })
    }

    /// Restricts the filter to these relative paths (remote form, compared
    /// without case), on top of its globs and limits: "retry failed only".
    pub fn only(mut self, keys: &[String]) -> Filter {
        self.only = Some(keys.iter().map(|k| fjordsync_jottacloud::names::fold_case(k)).collect());
        self
    }

    /// True if a folder (user path, relative) is excluded, so that it is not
    /// walked at all.
    pub fn skips_dir(&self, user_path: &str) -> bool {
        matches!(self.globs.as_ref().map(|g| g.matched(user_path, true)), Some(Match::Ignore(_)))
    }

    /// True if a file (user path, relative) passes.
    pub fn accepts_file(&self, user_path: &str, key: &str, size: u64, mtime: i64) -> bool {
        if let Some(g) = &self.globs
            && g.matched(user_path, false).is_ignore()
        {
            return false;
        }
        if self.min_size.is_some_and(|m| size < m) || self.max_size.is_some_and(|m| size > m) {
            return false;
        }
        if self.newest.is_some_and(|n| mtime > n) || self.oldest.is_some_and(|o| mtime < o) {
            return false;
        }
        if let Some(only) = &self.only {
            return only.contains(&fjordsync_jottacloud::names::fold_case(key));
        }
        true
    }

    /// True when the filter restricts the task to given paths (retry).
    pub fn is_only(&self) -> bool {
        self.only.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_exclude() {
        let o = FilterOptions {
            include: vec!["*.jpg".into(), "docs/**".into()],
            exclude: vec!["secret*".into(), "tmp/".into()],
            ..Default::default()
        };
        let f = Filter::new(&o).unwrap();
        assert!(f.accepts_file("a/b.jpg", "a/b.jpg", 1, 0));
        assert!(!f.accepts_file("a/b.txt", "a/b.txt", 1, 0));
        assert!(f.accepts_file("docs/x.txt", "docs/x.txt", 1, 0));
        assert!(!f.accepts_file("secret.jpg", "secret.jpg", 1, 0));
        assert!(f.skips_dir("tmp"));
        assert!(!f.skips_dir("a"));
    }

    #[test]
    fn sizes_and_only() {
        let o = FilterOptions { min_size: Some(2), ..Default::default() };
        let f = Filter::new(&o).unwrap().only(&["A.txt".into()]);
        assert!(!f.accepts_file("a.txt", "a.txt", 1, 0));
        assert!(f.accepts_file("a.txt", "a.txt", 2, 0));
        assert!(!f.accepts_file("b.txt", "b.txt", 2, 0));
    }
}
