//! Why mounting, unmounting or opening a mounted folder failed, in the
//! user's words, each with what to do. No message ever carries the
//! password: the system's own words are passed through
//! [`super::command::Ran::words`], which blanks it out.

use std::path::PathBuf;

use super::OsClient;

/// Why [`super::mount`], [`super::unmount`] or
/// [`super::open_in_file_manager`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OsMountError {
    /// The request cannot be mounted as it is.
    #[error("cannot mount {url}: {why}")]
    BadRequest {
        /// The address asked for (it never holds a password: those are refused).
        url: String,
        /// What is wrong and what to give instead.
        why: String,
    },
    /// This system has no WebDAV client we know.
    #[error(
        "this system has no built-in WebDAV client that Fjordsync can use: connect a WebDAV program to the served \
         address instead"
    )]
    Unsupported,
    /// The client's program is not installed.
    #[error("{program} was not found: {remedy}")]
    ClientMissing {
        /// The program.
        program: &'static str,
        /// What to install.
        remedy: &'static str,
    },
    /// Linux: gio found no GVfs to work with (no desktop session, or GVfs
    /// without its WebDAV part).
    #[error(
        "gio found no GVfs to mount with: it needs a desktop session (a D-Bus session bus running GVfs) and the \
         gvfs-backends package. Run Fjordsync inside your desktop session, or install gvfs-backends"
    )]
    NoDesktopSession,
    /// Windows: the WebClient service does not run.
    #[error(
        "Windows' WebDAV client (the WebClient service) is not running. Open Services, set \"WebClient\" to start \
         Manually or Automatically and start it (or, in an administrator command prompt: sc config WebClient \
         start= demand, then net start WebClient), then mount again"
    )]
    WebClientStopped,
    /// Windows: no WebClient service at all (Windows Server without it).
    #[error(
        "this Windows has no WebDAV client (no WebClient service). On Windows Server, add the feature \"WebDAV \
         Redirector\" and restart, then mount again"
    )]
    WebClientMissing,
    /// Windows: the WebClient sends a password over plain http only with
    /// BasicAuthLevel 2.
    #[error(
        "Windows sends a password over plain http only when told to, and Fjordsync serves the folder over http \
         on this computer (127.0.0.1, never the network). Windows' setting BasicAuthLevel is {level}: as an \
         administrator, set HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters\\\
         BasicAuthLevel to 2 (a DWORD), restart the WebClient service (or the computer), then mount again"
    )]
    BasicAuthOverHttp {
        /// The setting's value now (1, Windows' default: over https only).
        level: u32,
    },
    /// The served folder refused the login.
    #[error(
        "the served folder refused the login ({detail}): stop and start the mount again so both sides use the same \
         password"
    )]
    LoginRefused {
        /// The client's words.
        detail: String,
    },
    /// Nothing serves the address.
    #[error("nothing answers at {url} ({detail}): the folder is no longer served; start the mount again")]
    Unreachable {
        /// The served address.
        url: String,
        /// The client's words.
        detail: String,
    },
    /// macOS: this address is mounted already.
    #[error("{url} is already mounted (see the Finder's sidebar): unmount it first, or use that one")]
    AlreadyMounted {
        /// The served address.
        url: String,
    },
    /// macOS: no folder could be made to mount on.
    #[error("could not make a folder to mount on, {}: {source}", path.display())]
    MountPoint {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A program still uses the mounted folder.
    #[error(
        "{location} is still in use: close the files and windows open there (a Terminal in it counts too), \
         then unmount again"
    )]
    Busy {
        /// Where it is mounted.
        location: String,
    },
    /// The mount was made on another system.
    #[error("this mount was made with {client} on another system: it cannot be used or unmounted here")]
    OtherSystem {
        /// The client that made it.
        client: OsClient,
    },
    /// The client's program did not finish in time (it was stopped).
    #[error(
        "{program} gave no answer within {secs} s and was stopped: try again, or restart the computer if it stays stuck"
    )]
    TimedOut {
        /// The program.
        program: &'static str,
        /// The time limit.
        secs: u64,
    },
    /// The client's program could not be started.
    #[error("could not start {program}: {source}")]
    Spawn {
        /// The program.
        program: &'static str,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The client failed for another reason; its own words follow.
    #[error("{program} failed: {detail}")]
    Failed {
        /// The program.
        program: &'static str,
        /// The program's words (without the password).
        detail: String,
    },
}
