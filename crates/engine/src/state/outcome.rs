//! The words a run is recorded with: its kind and its outcome. Enums in
//! code, the same lowercase strings in SQLite and in JSON as before they
//! were enums, so old databases and the shells' JSON read unchanged.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// Defines a string-backed enum: `as_str`, `Display`, `FromStr`, SQLite
/// conversion, and comparison with a `&str` (so `run.outcome == "ok"` reads
/// as it did when it was a string).
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal $(| $alias:literal)*,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word $(, alias = $alias)*)] $variant,)+
        }

        impl $name {
            /// The word stored in the database and printed by the shells.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word,)+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($word $(| $alias)* => Ok($name::$variant),)+
                    other => Err(UnknownWord { what: stringify!($name), word: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

/// A stored word this version does not know (a newer version wrote it, or
/// the file was edited by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {word:?} in the state database (written by a newer Fjordsync?)")]
pub struct UnknownWord {
    what: &'static str,
    word: String,
}

word_enum! {
    /// How a run ended (or that it has not yet).
    Outcome {
        /// Still going (or its process was killed a moment ago: the next
        /// open of the database turns that into `Interrupted`).
        Running = "running",
        /// Done, nothing failed.
        Ok = "ok",
        /// Done, but some files (or the whole run) failed.
        Failed = "failed",
        /// Nothing was done: preflight or the delete guard said no.
        Refused = "refused",
        /// Stopped by the user.
        Cancelled = "cancelled",
        /// A `check` that found differences.
        Differences = "differences",
        /// Its process went away without finishing it (crash, `kill -9`,
        /// power loss). Early app versions spelled it `crashed`.
        Interrupted = "interrupted" | "crashed",
        /// A dry run: reported, never recorded.
        DryRun = "dry-run",
    }
}

impl Outcome {
    /// True when a shell should exit with failure (or show the run as bad).
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Refused | Outcome::Cancelled | Outcome::Differences)
    }
}

word_enum! {
    /// What a run did.
    RunKind {
        /// Copy new and changed files.
        Copy = "copy",
        /// Mirror the source onto the destination.
        Sync = "sync",
        /// Copy, verify, delete from the source.
        Move = "move",
        /// Compare only.
        Check = "check",
        /// A snapshot into a backup repository.
        Backup = "backup",
        /// Putting back what an earlier run changed.
        Undo = "undo",
        /// Two-way sync of a local folder and a remote folder.
        Bisync = "bisync",
    }
}

impl From<crate::task::TaskKind> for RunKind {
    fn from(k: crate::task::TaskKind) -> RunKind {
        match k {
            crate::task::TaskKind::Copy => RunKind::Copy,
            crate::task::TaskKind::Sync => RunKind::Sync,
            crate::task::TaskKind::Move => RunKind::Move,
            crate::task::TaskKind::Check => RunKind::Check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_old_spellings_read() {
        for o in [Outcome::Running, Outcome::Ok, Outcome::Interrupted, Outcome::DryRun] {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
            assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{}\"", o.as_str()));
        }
        assert_eq!("crashed".parse::<Outcome>(), Ok(Outcome::Interrupted));
        assert_eq!(serde_json::from_str::<Outcome>("\"crashed\"").unwrap(), Outcome::Interrupted);
        assert!("exploded".parse::<Outcome>().is_err());
        assert_eq!("undo".parse::<RunKind>(), Ok(RunKind::Undo));
        assert!(Outcome::Ok == "ok" && RunKind::Backup == "backup");
    }
}
