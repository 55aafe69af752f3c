//! macOS: `mount_webdav`, Apple's own WebDAV file system (webdavfs, part of
//! every macOS), so no kernel extension of ours is needed.
//!
//! Facts from Apple's published webdavfs source (webdavfs-403, 2026) and
//! its manual page, not yet verified on a Mac:
//! * `mount_webdav` starts `webdavfs_agent` with the same arguments; the
//!   agent reads options `sSa:io:v:` (mount.tproj/webdav_agent.c).
//! * `-a FD`: the user and password come from the open file `FD`
//!   (`readCredentialsFromFile`: it seeks to the start, so it must be a
//!   file, not a pipe). The manual calls `-a` deprecated since 10.4, yet
//!   Apple's own Finder plugin still mounts this way (WebDAVPlugin/
//!   WebDAV_Mount.c: an unlinked `mkstemp` file, `-a<fd>`). We pass the
//!   file as standard input, `-a 0`: no descriptor juggling, and the
//!   password is never on a command line. Without `-a` the agent would
//!   look in the keychain or, with `-i`, ask on a terminal.
//! * `-S`: no dialogs (no password prompt from a background app; a server
//!   that stops answering unmounts the volume at once instead of asking).
//! * `-v NAME`: the volume's name in the Finder.
//! * The mount point must exist. Exit codes (mount.tproj/mount_webdav.c):
//!   0, `ENOENT` (bad mount point), `EAUTH`/`ECANCELED` (login refused),
//!   `EBUSY` (already mounted), `ENODEV` (no WebDAV server there), anything
//!   else `EINVAL`.
//! * `/Volumes` belongs to root on current macOS, so an ordinary user
//!   usually mounts in `~/Volumes` (the Finder lists the volume either way).
//! * Unmounting: `umount FOLDER`; on a busy volume it says
//!   `umount(FOLDER): Resource busy -- try 'diskutil unmount'`, on one that
//!   is gone `umount: FOLDER: not currently mounted` (diskdev_cmds
//!   umount.tproj/umount.c).

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use super::command::{Cmd, Ran, run};
use super::request::Served;
use super::{MOUNT_LIMIT, OsMount, OsMountError, QUERY_LIMIT, UNMOUNT_LIMIT};

const MOUNT_WEBDAV: &str = "/sbin/mount_webdav";
const UMOUNT: &str = "/sbin/umount";
const OPEN: &str = "/usr/bin/open";
const MISSING: &str = "it is part of macOS; this macOS lacks it";

/// macOS's error numbers (<sys/errno.h>) that `mount_webdav` exits with.
const ENOENT: i32 = 2;
const EBUSY: i32 = 16;
const ENODEV: i32 = 19;
const EAUTH: i32 = 80;
const ECANCELED: i32 = 89;

/// How many numbered folder names ("Photos 2", "Photos 3"…) are tried.
const NAMES_TRIED: u32 = 50;

/// The credentials file `-a` reads: five fields, each a big-endian 32-bit
/// length and then the bytes: user, password, proxy user, proxy password,
/// certificates (empty here).
pub(super) fn credentials(user: &str, pass: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + user.len() + pass.len());
    for field in [user.as_bytes(), pass.as_bytes(), b"", b"", b""] {
        out.extend_from_slice(&(field.len() as u32).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// `mount_webdav -S -a 0 -v NAME URL FOLDER`, the credentials file on
/// standard input.
pub(super) fn mount_command(served: &Served, folder: &Path, credentials: std::fs::File) -> Cmd {
    Cmd::new(MOUNT_WEBDAV)
        .arg("-S")
        .arg("-a")
        .arg("0")
        .arg("-v")
        .arg(&served.name)
        .arg(served.url.as_str())
        .arg(folder)
        .file_input(credentials, &served.pass)
}

/// The `n`th folder name tried for `name`: `name`, `name 2`, `name 3`…
pub(super) fn numbered(name: &str, n: u32) -> String {
    if n <= 1 { name.to_string() } else { format!("{name} {n}") }
}

/// Where mount points go, in order: `/Volumes`, then `~/Volumes`.
pub(super) fn parents(home: Option<&Path>) -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from("/Volumes")];
    if let Some(home) = home {
        out.push(home.join("Volumes"));
    }
    out
}

/// What a failed `mount_webdav` means.
pub(super) fn mount_failure(ran: &Ran, served: &Served, folder: &Path) -> OsMountError {
    let detail = ran.words();
    match ran.code {
        Some(ENOENT) => OsMountError::MountPoint {
            path: folder.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "mount_webdav cannot use this folder"),
        },
        Some(EAUTH | ECANCELED) => OsMountError::LoginRefused { detail: "mount_webdav: login refused".into() },
        Some(EBUSY) => OsMountError::AlreadyMounted { url: served.url.to_string() },
        Some(ENODEV) => OsMountError::Unreachable { url: served.url.to_string(), detail },
        _ => OsMountError::Failed { program: "mount_webdav", detail },
    }
}

/// `umount FOLDER`.
pub(super) fn unmount_command(folder: &Path) -> Cmd {
    Cmd::new(UMOUNT).arg(folder)
}

/// What `umount` said: done, already gone (also done), or busy.
pub(super) fn unmount_outcome(ran: &Ran, folder: &Path) -> Result<(), OsMountError> {
    let said = ran.all();
    if ran.ok() || said.contains("not currently mounted") {
        Ok(())
    } else if said.contains("Resource busy") {
        Err(OsMountError::Busy { location: folder.display().to_string() })
    } else {
        Err(OsMountError::Failed { program: "umount", detail: ran.words() })
    }
}

/// `open FOLDER` (the Finder).
pub(super) fn open_command(folder: &Path) -> Cmd {
    Cmd::new(OPEN).arg(folder)
}

/// Makes a new, empty folder to mount on: `/Volumes/NAME` if we may write
/// there, else `~/Volumes/NAME`; a numbered name if the name is taken.
/// Never through a link: a parent that is a link is skipped, and
/// `create_dir` does not follow one in the last place.
fn make_mount_point(name: &str) -> Result<PathBuf, OsMountError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut last_err = None;
    for parent in parents(home.as_deref()) {
        // `/Volumes` is the system's; `~/Volumes` is made when first needed.
        let made = if parent == Path::new("/Volumes") { Ok(()) } else { std::fs::create_dir_all(&parent) };
        if let Err(source) = made {
            last_err = Some(OsMountError::MountPoint { path: parent, source });
            continue;
        }
        if std::fs::symlink_metadata(&parent).is_ok_and(|m| m.file_type().is_symlink()) {
            continue;
        }
        for n in 1..=NAMES_TRIED {
            let folder = parent.join(numbered(name, n));
            match std::fs::create_dir(&folder) {
                Ok(()) => return Ok(folder),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    last_err = Some(OsMountError::MountPoint { path: folder, source });
                    break;
                }
            }
        }
    }
    Err(last_err.unwrap_or_else(|| OsMountError::MountPoint {
        path: PathBuf::from("/Volumes").join(name),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "every name tried is taken"),
    }))
}

/// Mounts on a new folder.
pub(super) async fn mount(served: &Served) -> Result<OsMount, OsMountError> {
    let folder = make_mount_point(&served.name)?;
    let mounted = mount_on(served, &folder).await;
    if mounted.is_err() {
        // Ours and still empty: remove_dir takes nothing else.
        let _ = std::fs::remove_dir(&folder);
    }
    mounted.map(|()| OsMount::MountWebdav { folder, made_folder: true })
}

async fn mount_on(served: &Served, folder: &Path) -> Result<(), OsMountError> {
    let file_err = |source| OsMountError::Spawn { program: "mount_webdav", source };
    // A file with no name (made and unlinked at once): nothing to clean up,
    // nothing another program could open by name.
    let mut file = tempfile::tempfile().map_err(file_err)?;
    file.write_all(&credentials(&served.user, &served.pass)).map_err(file_err)?;
    file.rewind().map_err(file_err)?;
    let ran = run(mount_command(served, folder, file), MOUNT_LIMIT, MISSING).await?;
    if ran.ok() { Ok(()) } else { Err(mount_failure(&ran, served, folder)) }
}

/// Unmounts, then removes the folder if [`mount`] made it.
pub(super) async fn unmount(folder: &Path, made_folder: bool) -> Result<(), OsMountError> {
    let ran = run(unmount_command(folder), UNMOUNT_LIMIT, MISSING).await?;
    unmount_outcome(&ran, folder)?;
    if made_folder {
        // Only an empty folder goes; a folder someone filled since stays.
        if let Err(e) = std::fs::remove_dir(folder) {
            tracing::debug!("{}: not removed: {e}", folder.display());
        }
    }
    Ok(())
}

/// Shows the folder in the Finder.
pub(super) async fn open(folder: &Path) -> Result<(), OsMountError> {
    let ran = run(open_command(folder), QUERY_LIMIT, MISSING).await?;
    if ran.ok() { Ok(()) } else { Err(OsMountError::Failed { program: "open", detail: ran.words() }) }
}

#[cfg(test)]
mod tests {
    use super::super::command::Arg;
    use super::super::request::{OsMountRequest, check};
    use super::*;

    fn served() -> Served {
        check(&OsMountRequest {
            url: "http://127.0.0.1:8080/".into(),
            user: "fjordsync".into(),
            pass: "pa ss".into(),
            name: "Jotta Photos".into(),
        })
        .unwrap()
    }

    fn plain(cmd: &Cmd) -> Vec<String> {
        cmd.args
            .iter()
            .map(|a| match a {
                Arg::Plain(s) => s.to_string_lossy().into_owned(),
                Arg::Secret(_) => panic!("no password on mount_webdav's command line"),
            })
            .collect()
    }

    #[test]
    fn credentials_are_five_length_prefixed_fields() {
        // The layout webdav_agent.c's readCredentialsFromFile reads and
        // WebDAV_Mount.c writes: u32 big-endian length, bytes; user,
        // password, proxy user, proxy password, certificates.
        let blob = credentials("fjordsync", "pa ss");
        let mut want = vec![0, 0, 0, 9];
        want.extend_from_slice(b"fjordsync");
        want.extend_from_slice(&[0, 0, 0, 5]);
        want.extend_from_slice(b"pa ss");
        want.extend_from_slice(&[0; 12]);
        assert_eq!(blob, want);
    }

    #[test]
    fn the_mount_command_reads_the_password_from_standard_input() {
        let file = tempfile::tempfile().unwrap();
        let cmd = mount_command(&served(), Path::new("/Volumes/Jotta Photos"), file);
        assert_eq!(cmd.program, "/sbin/mount_webdav");
        assert_eq!(
            plain(&cmd),
            ["-S", "-a", "0", "-v", "Jotta Photos", "http://127.0.0.1:8080/", "/Volumes/Jotta Photos"]
        );
        assert!(matches!(cmd.input, super::super::command::Input::File(_)));
        assert!(!cmd.shown().contains("pa ss"));
    }

    #[test]
    fn mount_points_go_to_volumes_then_home() {
        assert_eq!(parents(Some(Path::new("/Users/kari"))), [PathBuf::from("/Volumes"), "/Users/kari/Volumes".into()]);
        assert_eq!(parents(None), [PathBuf::from("/Volumes")]);
        assert_eq!(numbered("Photos", 1), "Photos");
        assert_eq!(numbered("Photos", 2), "Photos 2");
    }

    #[test]
    fn exit_codes_become_errors_that_say_what_to_do() {
        let s = served();
        let folder = Path::new("/Volumes/X");
        let e = |code| mount_failure(&Ran::new(Some(code), "", ""), &s, folder);
        assert!(matches!(e(80), OsMountError::LoginRefused { .. }));
        assert!(matches!(e(89), OsMountError::LoginRefused { .. }));
        assert!(matches!(e(16), OsMountError::AlreadyMounted { .. }));
        assert!(matches!(e(19), OsMountError::Unreachable { .. }));
        assert!(matches!(e(2), OsMountError::MountPoint { .. }));
        let other = e(22);
        assert!(matches!(other, OsMountError::Failed { program: "mount_webdav", .. }));
        assert_eq!(other.to_string(), "mount_webdav failed: exit code 22, no message");
    }

    #[test]
    fn umount_output_is_read() {
        // umount.c: warnx("%s: not currently mounted") and
        // fprintf(stderr, "umount(%s): %s -- try 'diskutil unmount'") on EBUSY.
        let folder = Path::new("/Volumes/X");
        assert_eq!(unmount_command(folder).shown(), "/sbin/umount /Volumes/X");
        assert!(unmount_outcome(&Ran::new(Some(0), "", ""), folder).is_ok());
        let gone = Ran::new(Some(1), "", "umount: /Volumes/X: not currently mounted\n");
        assert!(unmount_outcome(&gone, folder).is_ok());
        let busy = Ran::new(Some(1), "", "umount(/Volumes/X): Resource busy -- try 'diskutil unmount'\n");
        let err = unmount_outcome(&busy, folder).unwrap_err();
        assert!(matches!(err, OsMountError::Busy { .. }));
        assert!(err.to_string().starts_with("/Volumes/X is still in use"), "{err}");
        let other = Ran::new(Some(1), "", "umount: unmount(/Volumes/X): Operation not permitted\n");
        assert!(matches!(unmount_outcome(&other, folder), Err(OsMountError::Failed { .. })));
        assert_eq!(open_command(folder).shown(), "/usr/bin/open /Volumes/X");
    }
}
