//! The delete guard, per side. Two-way sync deletes on one side what was
//! deleted on the other, so an unmounted disk or a remote folder removed by
//! mistake would empty the other side too (Maestral #295, #452). A run whose
//! deletes look like that is refused before anything changes:
//!
//! - a root that does not exist while the base has items: always refused
//!   (mount the disk, or fix the path);
//! - a root that exists but is empty while the base has files: refused
//!   unless `--max-delete` explicitly allows that many deletes;
//! - more than half of the base's files deleted on one side: refused unless
//!   `--max-delete` allows it (the share is per side, like rclone bisync's).

use super::base::{Base, Kind};
use super::reconcile::Action;
use super::snapshot::Snapshot;
use crate::guard::Refusal;
use crate::remedy::Remedy;
use crate::task::MaxDelete;

/// Which side would lose files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The local folder.
    Local,
    /// The remote folder.
    Remote,
}

impl Side {
    fn words(self) -> &'static str {
        match self {
            Side::Local => "local folder",
            Side::Remote => "storage folder",
        }
    }

    fn other(self) -> &'static str {
        match self {
            Side::Local => "storage folder",
            Side::Remote => "local folder",
        }
    }
}

/// The hint of a refusal a limit can lift, in the CLI's words (a door
/// that is not the CLI rewrites them with `remedy::in_app_words`).
fn hint() -> String {
    format!("nothing was changed; if these deletes are intended, {}", Remedy::AllowDeletes.cli())
}

/// Checks the run's deletes. `local_root` and `remote_root` name the sides
/// in the message.
pub fn check<L, R>(
    base: &Base,
    local: &Snapshot<L>,
    remote: &Snapshot<R>,
    actions: &[Action],
    max_delete: Option<MaxDelete>,
    names: (&str, &str),
) -> Result<(), Refusal> {
    if base.is_empty() {
        // A first run deletes nothing.
        return Ok(());
    }
    let base_files = base.values().filter(|b| b.kind == Kind::File).count();
    for (side, exists, empty, name) in [
        (Side::Local, local.exists, local.items.is_empty(), names.0),
        (Side::Remote, remote.exists, remote.items.is_empty(), names.1),
    ] {
        // Deletes on the other side follow from this side's missing items.
        let deletes = actions
            .iter()
            .filter(|a| match side {
                Side::Local => matches!(a, Action::DeleteRemote(_)),
                Side::Remote => matches!(a, Action::DeleteLocal(_)),
            })
            .count();
        if !exists {
            return Err(Refusal {
                message: format!(
                    "the {} {name} does not exist, but it was synced before; refusing to delete its {base_files} \
                     files from the {}",
                    side.words(),
                    side.other()
                ),
                hint: format!(
                    "nothing was changed; check the path (is the disk mounted?). If the folder is gone on purpose, \
                     make it again (empty); then, to empty the other side too, {}",
                    Remedy::AllowDeletes.cli()
                ),
            });
        }
        if deletes == 0 {
            continue;
        }
        let share = deletes as f64 * 100.0 / base_files.max(1) as f64;
        let other = side.other();
        let limit = Remedy::DeleteLimit.cli();
        match max_delete {
            Some(MaxDelete::Count(n)) if deletes as u64 > n => {
                return Err(Refusal {
                    message: format!("refusing to delete {deletes} files from the {other}: {limit}{n}"),
                    hint: hint(),
                });
            }
            Some(MaxDelete::Percent(p)) if share > p => {
                return Err(Refusal {
                    message: format!(
                        "refusing to delete {deletes} of {base_files} files ({share:.0}%) from the {other}: \
                         {limit}{p}%"
                    ),
                    hint: hint(),
                });
            }
            Some(_) => {}
            None if empty => {
                return Err(Refusal {
                    message: format!(
                        "the {} {name} is empty, but it was synced before; refusing to delete {deletes} files \
                         from the {other} (is the disk mounted?)",
                        side.words()
                    ),
                    hint: hint(),
                });
            }
            None if share > 50.0 => {
                return Err(Refusal {
                    message: format!(
                        "refusing to delete {deletes} of {base_files} files ({share:.0}%) from the {other}: more \
                         than half were deleted from the {} {name}",
                        side.words()
                    ),
                    hint: hint(),
                });
            }
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bisync::base::BaseItem;
    use crate::bisync::snapshot::Node;

    fn base(n: usize) -> Base {
        (0..n)
            .map(|i| (format!("f{i}"), BaseItem { key: format!("f{i}"), kind: Kind::File, ..Default::default() }))
            .collect()
    }

    fn side(n: usize) -> Snapshot<()> {
        let mut s = Snapshot::default();
        for i in 0..n {
            s.insert(format!("f{i}"), Node::File(()));
        }
        s
    }

    fn deletes_remote(n: usize) -> Vec<Action> {
        (0..n).map(|i| Action::DeleteRemote(format!("f{i}"))).collect()
    }

    #[test]
    fn a_missing_root_is_always_refused() {
        let missing = Snapshot::<()> { exists: false, ..Default::default() };
        let all = Some(MaxDelete::Percent(100.0));
        let e = check(&base(4), &missing, &side(4), &deletes_remote(4), all, ("/mnt/usb", "demo:x")).unwrap_err();
        assert!(e.message.contains("/mnt/usb does not exist"), "{}", e.message);
        assert!(check(&base(4), &side(4), &missing, &[], all, ("l", "r")).is_err());
        // Nothing synced yet: nothing to lose.
        assert!(check(&Base::new(), &missing, &side(4), &[], None, ("l", "r")).is_ok());
    }

    #[test]
    fn an_empty_root_needs_an_explicit_limit() {
        let e = check(&base(2), &side(0), &side(2), &deletes_remote(2), None, ("l", "r")).unwrap_err();
        assert!(e.message.contains("is empty"), "{}", e.message);
        let all = Some(MaxDelete::Percent(100.0));
        assert!(check(&base(2), &side(0), &side(2), &deletes_remote(2), all, ("l", "r")).is_ok());
    }

    #[test]
    fn more_than_half_of_one_side_is_refused() {
        assert!(check(&base(10), &side(5), &side(10), &deletes_remote(5), None, ("l", "r")).is_ok());
        assert!(check(&base(10), &side(4), &side(10), &deletes_remote(6), None, ("l", "r")).is_err());
        let local: Vec<Action> = (0..6).map(|i| Action::DeleteLocal(format!("f{i}"))).collect();
        let e = check(&base(10), &side(10), &side(4), &local, None, ("l", "r")).unwrap_err();
        assert!(e.message.contains("from the local folder"), "{}", e.message);
        assert!(
            check(&base(10), &side(4), &side(10), &deletes_remote(6), Some(MaxDelete::Count(6)), ("l", "r")).is_ok()
        );
    }
}
