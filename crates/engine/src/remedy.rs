//! What an engine message tells the user to do, worded for each door.
//!
//! Refusals, skips and unsafe paths end with a remedy: "leave the path out
//! with `--exclude`". The CLI's users type flags; the app's users tick boxes
//! and fill in fields, so a flag in a window is a word they cannot act on.
//! Messages are built from [`Remedy::cli`] (the CLI's output stays as it
//! was), and the app turns them into its own words with [`in_app_words`]
//! where they cross into the UI. One enum holds both wordings, so a new
//! remedy cannot be added for one door and forgotten for the other.

/// A remedy an engine message suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Leave paths out of the task with an exclude pattern.
    Exclude,
    /// Follow symbolic links instead of skipping them.
    FollowSymlinks,
}

impl Remedy {
    /// Every remedy, for [`in_app_words`].
    pub const ALL: [Remedy; 2] = [Remedy::Exclude, Remedy::FollowSymlinks];

    /// The CLI's words, as they appear inside a message.
    pub fn cli(self) -> &'static str {
        match self {
            Remedy::Exclude => "with --exclude",
            Remedy::FollowSymlinks => "(use --follow-symlinks)",
        }
    }

    /// The app's words for the same thing (the task form's "Leave out"
    /// field; the app does not follow links).
    pub fn app(self) -> &'static str {
        match self {
            Remedy::Exclude => "with a “Leave out” pattern in the task",
            Remedy::FollowSymlinks => "(links are not followed; add the folder it points to as its own task)",
        }
    }
}

/// `text` (an engine message or hint) with every remedy in the app's words.
pub fn in_app_words(text: &str) -> String {
    Remedy::ALL.iter().fold(text.to_string(), |t, r| t.replace(r.cli(), r.app()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_gets_no_cli_flags() {
        let msg = format!("skipped: a is a link (leave the path out {})", Remedy::Exclude.cli());
        assert_eq!(
            in_app_words(&msg),
            "skipped: a is a link (leave the path out with a “Leave out” pattern in the task)"
        );
        let skip = format!("symbolic link {}", Remedy::FollowSymlinks.cli());
        assert!(!in_app_words(&skip).contains("--"), "{}", in_app_words(&skip));
    }
}
