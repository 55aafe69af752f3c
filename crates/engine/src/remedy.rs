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
    /// Lift the delete guard's limit for a run the user means.
    AllowDeletes,
    /// Names the delete guard's limit; the number follows.
    DeleteLimit,
    /// Make a device or mountpoint the account does not have.
    Create,
    /// Give a retention rule.
    KeepRule,
    /// The name of the check before sending, which means nothing in a window.
    PreflightLabel,
}

impl Remedy {
    /// Every remedy, for [`in_app_words`].
    pub const ALL: [Remedy; 7] = [
        Remedy::Exclude,
        Remedy::FollowSymlinks,
        Remedy::AllowDeletes,
        Remedy::DeleteLimit,
        Remedy::Create,
        Remedy::KeepRule,
        Remedy::PreflightLabel,
    ];

    /// The CLI's words, as they appear inside a message.
    pub fn cli(self) -> &'static str {
        match self {
            Remedy::Exclude => "with --exclude",
            Remedy::FollowSymlinks => "(use --follow-symlinks)",
            Remedy::AllowDeletes => "allow it with --max-delete N or --max-delete 100%",
            Remedy::DeleteLimit => "more than --max-delete ",
            Remedy::Create => "pass --create to make it",
            Remedy::KeepRule => "(e.g. --keep-last 10)",
            Remedy::PreflightLabel => "preflight: ",
        }
    }

    /// The app's words for the same thing (the task form's "Leave out"
    /// field; the app does not follow links).
    pub fn app(self) -> &'static str {
        match self {
            Remedy::Exclude => "with a “Leave out” pattern in the task",
            Remedy::FollowSymlinks => "(links are not followed; add the folder it points to as its own task)",
            Remedy::AllowDeletes => "check the preview, then choose “Delete anyway”",
            Remedy::DeleteLimit => "more than this task allows: ",
            Remedy::Create => "reconnect the storage and choose one it has, or make a new one there",
            Remedy::KeepRule => "(e.g. keep the last 10 backups)",
            Remedy::PreflightLabel => "",
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

    #[test]
    fn the_delete_guard_and_preflight_speak_the_apps_words() {
        let msg = format!("refusing to delete 5 of 8 destination files (62%): {}50%", Remedy::DeleteLimit.cli());
        assert_eq!(
            in_app_words(&msg),
            "refusing to delete 5 of 8 destination files (62%): more than this task allows: 50%"
        );
        let hint = format!("if this is intended, {}", Remedy::AllowDeletes.cli());
        assert_eq!(in_app_words(&hint), "if this is intended, check the preview, then choose “Delete anyway”");
        let pre = format!("{}a name is too long", Remedy::PreflightLabel.cli());
        assert_eq!(in_app_words(&pre), "a name is too long");
        for r in Remedy::ALL {
            assert!(!r.app().contains("--"), "{r:?}: {}", r.app());
        }
    }
}
