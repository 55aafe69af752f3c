//! Linux and other Unix desktops: `gio mount` (GVfs), which every GNOME-
//! or GTK-based desktop runs, with gvfs-fuse giving the files a path that
//! any program can use. Checked here by a real test
//! (crates/webdav/tests/os_mount_gio.rs). Facts from glib's
//! gio/gio-tool-mount.c and GVfs 1.50 as run on Debian 12:
//! * `gio mount dav://USER@127.0.0.1:PORT/` asks `Password: ` and reads
//!   one line from standard input (`fgets` into 256 bytes); a wrong one is
//!   asked again, end of input aborts: `gio: URI: HTTP Error: Unauthorized`,
//!   exit 2. Nobody answering: `gio: URI: Could not connect to 127.0.0.1:
//!   Connection refused`. No session bus or no GVfs: `gio: URI: volume
//!   doesn’t implement mount` (unmounting: `Containing mount does not
//!   exist`). Mounted twice: `Location is already
//!   mounted`. Unmounting what is not mounted: `The specified location is
//!   not mounted`.
//! * `gio info URI` shows `local path: $XDG_RUNTIME_DIR/gvfs/dav:host=
//!   127.0.0.1,port=PORT,ssl=false,user=USER` when gvfs-fuse runs.
//! * Messages are translated, so gio runs with `LC_ALL=C`.
//! * gio never stores the password: its mount operation does not ask GVfs
//!   to remember it.

use std::path::PathBuf;

use url::Url;

use super::command::{Cmd, Ran, run};
use super::request::Served;
use super::{MOUNT_LIMIT, OsMount, OsMountError, QUERY_LIMIT, UNMOUNT_LIMIT};

const GIO: &str = "gio";
const MISSING: &str = "install GLib's tools and GVfs (Debian and Ubuntu: libglib2.0-bin gvfs-backends gvfs-fuse)";

/// The GVfs location of `served`: `dav://USER@HOST:PORT/PATH` (the user
/// percent-encoded as URLs need).
pub(super) fn dav_uri(served: &Served) -> String {
    let mut url = Url::parse(&format!("dav://{}:{}{}", served.host, served.port, served.url.path()))
        .expect("a host and port from a parsed URL make a URL");
    // Cannot fail: the URL has a host.
    let _ = url.set_username(&served.user);
    url.to_string()
}

/// `gio mount URI`, the password on standard input.
pub(super) fn mount_command(uri: &str, pass: &str) -> Cmd {
    Cmd::new(GIO).arg("mount").arg(uri).env("LC_ALL", "C").secret_input(format!("{pass}\n").into_bytes(), pass)
}

/// What `gio mount` said: mounted (also when it was already), or why not.
pub(super) fn mount_outcome(ran: &Ran, served: &Served) -> Result<(), OsMountError> {
    let said = ran.all();
    if ran.ok() || said.contains("already mounted") {
        return Ok(());
    }
    let detail = gio_words(ran);
    if said.contains("Unauthorized") {
        Err(OsMountError::LoginRefused { detail })
    } else if said.contains("Could not connect") || said.contains("Connection refused") {
        Err(OsMountError::Unreachable { url: served.url.to_string(), detail })
    } else if said.contains("implement mount") || said.contains("not supported") {
        Err(OsMountError::NoDesktopSession)
    } else {
        Err(OsMountError::Failed { program: "gio mount", detail })
    }
}

/// gio's own error lines (`gio: URI: message`), without its password
/// prompts and GLib's warnings.
pub(super) fn gio_words(ran: &Ran) -> String {
    ran.words_of(|l| l.starts_with("gio: "))
}

/// `gio info URI`.
pub(super) fn info_command(uri: &str) -> Cmd {
    Cmd::new(GIO).arg("info").arg(uri).env("LC_ALL", "C")
}

/// The `local path:` in `gio info` output.
pub(super) fn parse_local_path(output: &str) -> Option<PathBuf> {
    output.lines().find_map(|l| l.strip_prefix("local path: ")).map(|p| PathBuf::from(p.trim_end()))
}

/// `gio mount -u URI`.
pub(super) fn unmount_command(uri: &str) -> Cmd {
    Cmd::new(GIO).arg("mount").arg("-u").arg(uri).env("LC_ALL", "C")
}

/// What `gio mount -u` said: done, or it was not mounted (also done).
pub(super) fn unmount_outcome(ran: &Ran, uri: &str) -> Result<(), OsMountError> {
    let said = ran.all();
    if ran.ok() || said.contains("not mounted") {
        Ok(())
    } else if said.contains("Containing mount does not exist") {
        Err(OsMountError::NoDesktopSession)
    } else if said.contains("busy") {
        Err(OsMountError::Busy { location: uri.to_string() })
    } else {
        Err(OsMountError::Failed { program: "gio mount -u", detail: gio_words(ran) })
    }
}

/// `gio open URI`: the desktop's file manager.
pub(super) fn open_command(uri: &str) -> Cmd {
    Cmd::new(GIO).arg("open").arg(uri)
}

/// Mounts with gio and finds the gvfs-fuse path.
pub(super) async fn mount(served: &Served) -> Result<OsMount, OsMountError> {
    let uri = dav_uri(served);
    let ran = run(mount_command(&uri, &served.pass), MOUNT_LIMIT, MISSING).await?;
    mount_outcome(&ran, served)?;
    let info = run(info_command(&uri), QUERY_LIMIT, MISSING).await?;
    let local_path = if info.ok() { parse_local_path(&info.stdout) } else { None };
    Ok(OsMount::Gio { uri, local_path })
}

/// Unmounts with gio.
pub(super) async fn unmount(uri: &str) -> Result<(), OsMountError> {
    let ran = run(unmount_command(uri), UNMOUNT_LIMIT, MISSING).await?;
    unmount_outcome(&ran, uri)
}

/// Opens the location in the desktop's file manager.
pub(super) async fn open(uri: &str) -> Result<(), OsMountError> {
    let ran = run(open_command(uri), QUERY_LIMIT, MISSING).await?;
    if ran.ok() { Ok(()) } else { Err(OsMountError::Failed { program: "gio open", detail: gio_words(&ran) }) }
}

#[cfg(test)]
mod tests {
    use super::super::command::{Arg, Input};
    use super::super::request::{OsMountRequest, check};
    use super::*;

    fn served(url: &str, user: &str) -> Served {
        check(&OsMountRequest { url: url.into(), user: user.into(), pass: "p w".into(), name: "Photos".into() })
            .unwrap()
    }

    #[test]
    fn the_location_carries_the_user_not_the_password() {
        assert_eq!(dav_uri(&served("http://127.0.0.1:8080/", "fjordsync")), "dav://fjordsync@127.0.0.1:8080/");
        assert_eq!(dav_uri(&served("http://localhost:80/sub/", "kari n")), "dav://kari%20n@localhost:80/sub/");
        assert_eq!(dav_uri(&served("http://[::1]:9/", "u")), "dav://u@[::1]:9/");
    }

    #[test]
    fn gio_reads_the_password_on_standard_input_in_plain_english() {
        let cmd = mount_command("dav://u@127.0.0.1:1/", "p w");
        assert_eq!(cmd.shown(), "gio mount dav://u@127.0.0.1:1/");
        assert!(cmd.args.iter().all(|a| matches!(a, Arg::Plain(_))));
        assert!(matches!(&cmd.input, Input::Secret(b) if b == b"p w\n"));
        assert_eq!(cmd.env, [("LC_ALL", "C")]);
        assert_eq!(unmount_command("dav://u@127.0.0.1:1/").shown(), "gio mount -u dav://u@127.0.0.1:1/");
        assert_eq!(info_command("dav://u@127.0.0.1:1/").shown(), "gio info dav://u@127.0.0.1:1/");
        assert_eq!(open_command("dav://u@127.0.0.1:1/").shown(), "gio open dav://u@127.0.0.1:1/");
    }

    #[test]
    fn gio_mount_output_is_read() {
        // Captured from gio 2.74 / GVfs 1.50 (Debian 12).
        let s = served("http://127.0.0.1:18765/", "u");
        let prompt = "Authentication Required\nEnter password for “”:\nPassword: \n";
        assert!(mount_outcome(&Ran::new(Some(0), prompt, ""), &s).is_ok());
        let warning = "(gio mount:27112): GVFS-RemoteVolumeMonitor-WARNING **: 08:39:21.556: remote volume monitor \
                       with dbus name org.gtk.vfs.UDisks2VolumeMonitor is not supported\n";
        let wrong = Ran::new(
            Some(2),
            &format!("{prompt}{prompt}"),
            &format!("{warning}gio: dav://u@127.0.0.1:18765/: HTTP Error: Unauthorized\n"),
        );
        let err = mount_outcome(&wrong, &s).unwrap_err();
        assert!(matches!(err, OsMountError::LoginRefused { .. }));
        assert_eq!(
            err.to_string(),
            "the served folder refused the login (gio: dav://u@127.0.0.1:18765/: HTTP Error: Unauthorized): stop and \
             start the mount again so both sides use the same password"
        );
        let gone = Ran::new(
            Some(2),
            "",
            "gio: dav://u@127.0.0.1:18799/: Could not connect to 127.0.0.1: Connection refused\n",
        );
        assert!(matches!(mount_outcome(&gone, &s), Err(OsMountError::Unreachable { .. })));
        let no_session = Ran::new(Some(2), "", "gio: dav://u@127.0.0.1:18765/: volume doesn’t implement mount\n");
        assert!(matches!(mount_outcome(&no_session, &s), Err(OsMountError::NoDesktopSession)));
        let twice = Ran::new(Some(2), "", "gio: dav://u@127.0.0.1:18765/: Location is already mounted\n");
        assert!(mount_outcome(&twice, &s).is_ok());
        let odd = Ran::new(Some(2), "", "gio: dav://u@127.0.0.1:18765/: Something else\n");
        assert!(matches!(mount_outcome(&odd, &s), Err(OsMountError::Failed { program: "gio mount", .. })));
    }

    #[test]
    fn the_fuse_path_is_read_from_gio_info() {
        let out = "display name: /\nname: /\ntype: directory\nuri: dav://u@127.0.0.1:18765/\nlocal path: \
                   /tmp/osm-xdg.b0GY/gvfs/dav:host=127.0.0.1,port=18765,ssl=false,user=u\nunix mount: gvfsd-fuse \
                   /tmp/osm-xdg.b0GY/gvfs fuse.gvfsd-fuse rw,nosuid,nodev,relatime,user_id=0,group_id=0\n";
        assert_eq!(
            parse_local_path(out),
            Some(PathBuf::from("/tmp/osm-xdg.b0GY/gvfs/dav:host=127.0.0.1,port=18765,ssl=false,user=u"))
        );
        assert_eq!(parse_local_path("display name: /\nuri: dav://u@127.0.0.1:18765/\n"), None);
    }

    #[test]
    fn gio_unmount_output_is_read() {
        let uri = "dav://u@127.0.0.1:18765/";
        assert!(unmount_outcome(&Ran::new(Some(0), "", ""), uri).is_ok());
        let gone = Ran::new(Some(2), "", "gio: dav://u@127.0.0.1:18765/: The specified location is not mounted\n");
        assert!(unmount_outcome(&gone, uri).is_ok());
        let no_session = Ran::new(Some(2), "", "gio: dav://u@127.0.0.1:18765/: Containing mount does not exist\n");
        assert!(matches!(unmount_outcome(&no_session, uri), Err(OsMountError::NoDesktopSession)));
        let busy = Ran::new(Some(2), "", "gio: dav://u@127.0.0.1:18765/: File system is busy\n");
        assert!(matches!(unmount_outcome(&busy, uri), Err(OsMountError::Busy { .. })));
    }
}
