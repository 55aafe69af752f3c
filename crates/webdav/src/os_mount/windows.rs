//! Windows: `net use` through the WebClient service (Windows' WebDAV
//! redirector), so no driver of ours is needed. Not yet verified on
//! Windows; the facts it rests on:
//! * `net use * http://127.0.0.1:PORT/ PASSWORD /user:USER /persistent:no`
//!   picks a free drive letter and says so: `Drive Z: is now connected to
//!   \\172.31.20.163\c$.` then `The command completed successfully.`
//!   (samples in Microsoft's Service Fabric tutorial and many admin
//!   guides). The sentence is translated (`Laufwerk Z: ist jetzt mit …
//!   verbunden.`), so [`parse_drive`] looks for the one `X:` word, not the
//!   English words.
//! * A failure starts with `System error N has occurred.` (translated too;
//!   [`parse_system_error`] takes the number). 67 (`The network name
//!   cannot be found`) is what a stopped WebClient service or a refused
//!   Basic login gives; 1244 is ERROR_NOT_AUTHENTICATED (Microsoft KB
//!   2673544); 2250 (`The network connection could not be found`) answers
//!   a `/delete` of a drive that is gone.
//! * The WebClient sends a Basic password over plain http only when
//!   `HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters`
//!   `BasicAuthLevel` is 2 (0: never, 1: over https only, Windows' default
//!   since Vista; Microsoft KB 841215), read after a WebClient restart.
//!   We read it first with `reg query` and say what to do rather than
//!   fail obscurely.
//! * `FileSizeLimitInBytes` (same key; 50,000,000 when absent, at most
//!   4,294,967,295) caps the size of a file copied through the drive
//!   (error 0x800700DF "The file size exceeds the limit allowed"); it is
//!   returned with the mount so the app can say so.
//! * `reg query KEY /v NAME` prints `    NAME    REG_DWORD    0x2` (names
//!   and types are not translated); `sc query WebClient` prints
//!   `STATE : 4  RUNNING` (1 STOPPED, 4 RUNNING), or error 1060 when the
//!   service does not exist (Windows Server without "WebDAV Redirector").
//! * `net use` takes the password only as an argument (or asks on the
//!   console): for its second of life it is visible to the user's own
//!   programs. A password starting with `/` would read as a switch and
//!   `*` means "ask", so those are refused.

use super::command::{Cmd, Ran, run};
use super::request::Served;
use super::{MOUNT_LIMIT, OsMount, OsMountError, QUERY_LIMIT, UNMOUNT_LIMIT};

const NET: &str = "net";
const REG: &str = "reg";
const SC: &str = "sc";
const EXPLORER: &str = "explorer";
const MISSING: &str = "it is part of Windows; check that C:\\Windows\\System32 is in PATH";

/// The WebClient's settings.
pub(super) const PARAMETERS: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters";
/// `BasicAuthLevel` when the value is absent: Basic over https only.
pub(super) const DEFAULT_BASIC_AUTH_LEVEL: u32 = 1;
/// `FileSizeLimitInBytes` when the value is absent.
pub(super) const DEFAULT_FILE_SIZE_LIMIT: u64 = 50_000_000;

/// `System error 67`: the network name cannot be found.
const ERROR_BAD_NET_NAME: u32 = 67;
/// `System error 53`: the network path was not found.
const ERROR_BAD_NETPATH: u32 = 53;
/// `System error 5`: access is denied.
const ERROR_ACCESS_DENIED: u32 = 5;
/// `System error 86`: the specified network password is not correct.
const ERROR_INVALID_PASSWORD: u32 = 86;
/// `System error 1244`: the user has not been authenticated.
const ERROR_NOT_AUTHENTICATED: u32 = 1244;
/// `System error 1326`: the user name or password is incorrect.
const ERROR_LOGON_FAILURE: u32 = 1326;
/// `System error 2250`: this network connection does not exist.
const NERR_USE_NOT_FOUND: u32 = 2250;
/// `sc`: the specified service does not exist.
const ERROR_SERVICE_DOES_NOT_EXIST: u32 = 1060;

/// What `sc query WebClient` says of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ServiceState {
    /// It runs.
    Running,
    /// It exists and does not run (stopped, starting, stopping, paused).
    NotRunning,
    /// There is no such service.
    Missing,
    /// The output said neither.
    Unknown,
}

/// `reg query HKLM\…\WebClient\Parameters /v NAME`.
pub(super) fn reg_query_command(name: &str) -> Cmd {
    Cmd::new(REG).arg("query").arg(PARAMETERS).arg("/v").arg(name)
}

/// The DWORD `name` in `reg query` output: `    NAME    REG_DWORD    0x2`.
pub(super) fn parse_reg_dword(output: &str, name: &str) -> Option<u32> {
    output.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let (n, kind, value) = (words.next()?, words.next()?, words.next()?);
        if !n.eq_ignore_ascii_case(name) || kind != "REG_DWORD" {
            return None;
        }
        match value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => value.parse().ok(),
        }
    })
}

/// `net use * URL PASSWORD /user:USER /persistent:no`.
pub(super) fn net_use_command(served: &Served) -> Cmd {
    Cmd::new(NET)
        .arg("use")
        .arg("*")
        .arg(served.url.as_str())
        .secret_arg(&served.pass)
        .arg(format!("/user:{}", served.user))
        .arg("/persistent:no")
}

/// Why `net use` could not carry this password, if it cannot.
pub(super) fn password_problem(pass: &str) -> Option<&'static str> {
    if pass.starts_with('/') {
        Some("Windows' net use reads a password starting with / as an option: choose another password")
    } else if pass == "*" {
        Some("Windows' net use reads the password * as \"ask me\": choose another password")
    } else {
        None
    }
}

/// The drive letter in `net use *` output: the one word `X:`.
pub(super) fn parse_drive(output: &str) -> Option<char> {
    output.split_whitespace().find_map(|word| {
        let mut chars = word.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(letter), Some(':'), None) if letter.is_ascii_alphabetic() => Some(letter.to_ascii_uppercase()),
            _ => None,
        }
    })
}

/// The number in `System error N has occurred.` (any language): the first
/// number on the first line that has one.
pub(super) fn parse_system_error(output: &str) -> Option<u32> {
    output.lines().find_map(|line| {
        let digits: String =
            line.chars().skip_while(|c| !c.is_ascii_digit()).take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    })
}

/// `sc query WebClient`.
pub(super) fn service_query_command() -> Cmd {
    Cmd::new(SC).arg("query").arg("WebClient")
}

/// The service's state in `sc query` output.
pub(super) fn parse_service_state(output: &str) -> ServiceState {
    for line in output.lines() {
        let line = line.trim();
        if line.starts_with("STATE") {
            let state = line.split_once(':').map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""));
            return match state {
                Some("4") => ServiceState::Running,
                Some(s) if s.parse::<u32>().is_ok() => ServiceState::NotRunning,
                _ => ServiceState::Unknown,
            };
        }
    }
    if output.contains(&ERROR_SERVICE_DOES_NOT_EXIST.to_string()) {
        ServiceState::Missing
    } else {
        ServiceState::Unknown
    }
}

/// What a failed `net use` means, given the WebClient service's state.
pub(super) fn net_use_failure(ran: &Ran, service: ServiceState, served: &Served) -> OsMountError {
    match service {
        ServiceState::Missing => return OsMountError::WebClientMissing,
        ServiceState::NotRunning => return OsMountError::WebClientStopped,
        ServiceState::Running | ServiceState::Unknown => {}
    }
    let detail = ran.words();
    match parse_system_error(&ran.all()) {
        Some(ERROR_ACCESS_DENIED | ERROR_INVALID_PASSWORD | ERROR_NOT_AUTHENTICATED | ERROR_LOGON_FAILURE) => {
            OsMountError::LoginRefused {
                detail: format!(
                    "{detail}; if BasicAuthLevel was just set to 2, restart the WebClient service or the computer first"
                ),
            }
        }
        Some(ERROR_BAD_NET_NAME | ERROR_BAD_NETPATH) => OsMountError::Unreachable {
            url: served.url.to_string(),
            detail: format!(
                "{detail}; if BasicAuthLevel was just set to 2, restart the WebClient service or the computer first"
            ),
        },
        _ => OsMountError::Failed { program: "net use", detail },
    }
}

/// `net use Z: /delete /y`: `/y` answers "yes" when files are still open
/// on the drive (Windows then closes them).
pub(super) fn net_delete_command(drive: char) -> Cmd {
    Cmd::new(NET).arg("use").arg(format!("{drive}:")).arg("/delete").arg("/y")
}

/// What `net use /delete` said: done, or the drive was gone already.
pub(super) fn delete_outcome(ran: &Ran) -> Result<(), OsMountError> {
    if ran.ok() || parse_system_error(&ran.all()) == Some(NERR_USE_NOT_FOUND) {
        Ok(())
    } else {
        Err(OsMountError::Failed { program: "net use /delete", detail: ran.words() })
    }
}

/// `explorer Z:\`.
pub(super) fn explorer_command(drive: char) -> Cmd {
    Cmd::new(EXPLORER).arg(format!("{drive}:\\"))
}

/// A WebClient setting, or `None` when it is not set (or unreadable).
async fn read_setting(name: &str) -> Result<Option<u32>, OsMountError> {
    let ran = run(reg_query_command(name), QUERY_LIMIT, MISSING).await?;
    Ok(if ran.ok() { parse_reg_dword(&ran.stdout, name) } else { None })
}

/// Maps the served folder to a free drive letter.
pub(super) async fn mount(served: &Served) -> Result<OsMount, OsMountError> {
    if let Some(why) = password_problem(&served.pass) {
        return Err(OsMountError::BadRequest { url: served.url.to_string(), why: why.into() });
    }
    let level = read_setting("BasicAuthLevel").await?.unwrap_or(DEFAULT_BASIC_AUTH_LEVEL);
    if level < 2 {
        return Err(OsMountError::BasicAuthOverHttp { level });
    }
    let file_size_limit = read_setting("FileSizeLimitInBytes").await?.map(u64::from).unwrap_or(DEFAULT_FILE_SIZE_LIMIT);
    let ran = run(net_use_command(served), MOUNT_LIMIT, MISSING).await?;
    if !ran.ok() {
        let service = run(service_query_command(), QUERY_LIMIT, MISSING)
            .await
            .map(|r| parse_service_state(&r.all()))
            .unwrap_or(ServiceState::Unknown);
        return Err(net_use_failure(&ran, service, served));
    }
    match parse_drive(&ran.stdout) {
        Some(drive) => Ok(OsMount::NetUse { drive, file_size_limit }),
        None => Err(OsMountError::Failed {
            program: "net use",
            detail: format!("it did not say which drive letter it used: {}", ran.words()),
        }),
    }
}

/// Disconnects the drive.
pub(super) async fn unmount(drive: char) -> Result<(), OsMountError> {
    let ran = run(net_delete_command(drive), UNMOUNT_LIMIT, MISSING).await?;
    delete_outcome(&ran)
}

/// Opens the drive in Explorer. Explorer's exit code says nothing (it is 1
/// even when the window opens), so only a failure to start counts.
pub(super) async fn open(drive: char) -> Result<(), OsMountError> {
    run(explorer_command(drive), QUERY_LIMIT, MISSING).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::super::command::Arg;
    use super::super::request::{OsMountRequest, check};
    use super::*;

    fn served(pass: &str) -> Served {
        check(&OsMountRequest {
            url: "http://127.0.0.1:8080/".into(),
            user: "fjordsync".into(),
            pass: pass.into(),
            name: "Photos".into(),
        })
        .unwrap()
    }

    #[test]
    fn net_use_maps_any_free_letter_for_this_session_only() {
        let cmd = net_use_command(&served("pw d"));
        assert_eq!(cmd.program, "net");
        assert_eq!(
            cmd.args,
            [
                Arg::Plain("use".into()),
                Arg::Plain("*".into()),
                Arg::Plain("http://127.0.0.1:8080/".into()),
                Arg::Secret("pw d".into()),
                Arg::Plain("/user:fjordsync".into()),
                Arg::Plain("/persistent:no".into()),
            ]
        );
        assert_eq!(cmd.shown(), "net use * http://127.0.0.1:8080/ <password> /user:fjordsync /persistent:no");
    }

    #[test]
    fn passwords_net_use_would_misread_are_refused() {
        assert!(password_problem("/user:x").is_some());
        assert!(password_problem("*").is_some());
        assert!(password_problem("a/b*c").is_none());
    }

    #[test]
    fn the_drive_letter_is_read_in_any_language() {
        // English (Microsoft's docs); German and French wordings.
        let en = "Drive Z: is now connected to http://127.0.0.1:8080/.\r\n\r\nThe command completed successfully.\r\n";
        assert_eq!(parse_drive(en), Some('Z'));
        assert_eq!(parse_drive("Laufwerk Y: ist jetzt mit \\\\127.0.0.1@8080\\DavWWWRoot verbunden.\r\n"), Some('Y'));
        assert_eq!(parse_drive("Le lecteur x: est maintenant connecté à http://127.0.0.1:8080/.\r\n"), Some('X'));
        assert_eq!(parse_drive("The command completed successfully.\r\n"), None);
        assert_eq!(parse_drive("http://127.0.0.1:8080/ C:\\x"), None);
    }

    #[test]
    fn system_errors_are_read_in_any_language() {
        let en = "System error 67 has occurred.\r\n\r\nThe network name cannot be found.\r\n\r\n";
        assert_eq!(parse_system_error(en), Some(67));
        assert_eq!(parse_system_error("\r\nSystemfehler 1244 aufgetreten.\r\n"), Some(1244));
        assert_eq!(parse_system_error("The syntax of this command is:\r\n"), None);
    }

    #[test]
    fn webclient_settings_are_read_from_reg_query() {
        let out = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters\r\n    \
                   BasicAuthLevel    REG_DWORD    0x2\r\n\r\n";
        assert_eq!(parse_reg_dword(out, "BasicAuthLevel"), Some(2));
        assert_eq!(parse_reg_dword(out, "FileSizeLimitInBytes"), None);
        let size = "    FileSizeLimitInBytes    REG_DWORD    0xffffffff\r\n";
        assert_eq!(parse_reg_dword(size, "FileSizeLimitInBytes"), Some(u32::MAX));
        assert_eq!(
            parse_reg_dword("    FileSizeLimitInBytes    REG_DWORD    0x2faf080\r\n", "FileSizeLimitInBytes"),
            Some(50_000_000)
        );
        assert_eq!(parse_reg_dword("    BasicAuthLevel    REG_SZ    2\r\n", "BasicAuthLevel"), None);
        assert_eq!(
            reg_query_command("BasicAuthLevel").shown(),
            "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters /v BasicAuthLevel"
        );
    }

    #[test]
    fn the_webclient_service_state_is_read_from_sc_query() {
        let running = "\r\nSERVICE_NAME: WebClient\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n        \
                       STATE              : 4  RUNNING\r\n                                (STOPPABLE, NOT_PAUSABLE)\r\n";
        assert_eq!(parse_service_state(running), ServiceState::Running);
        let stopped = "SERVICE_NAME: WebClient\r\n        STATE              : 1  STOPPED\r\n";
        assert_eq!(parse_service_state(stopped), ServiceState::NotRunning);
        let missing = "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not \
                       exist as an installed service.\r\n";
        assert_eq!(parse_service_state(missing), ServiceState::Missing);
        assert_eq!(parse_service_state(""), ServiceState::Unknown);
        assert_eq!(service_query_command().shown(), "sc query WebClient");
    }

    #[test]
    fn net_use_failures_say_what_to_do() {
        let s = served("pw");
        let e67 = Ran::new(Some(2), "", "System error 67 has occurred.\r\n\r\nThe network name cannot be found.\r\n");
        assert!(matches!(net_use_failure(&e67, ServiceState::NotRunning, &s), OsMountError::WebClientStopped));
        assert!(matches!(net_use_failure(&e67, ServiceState::Missing, &s), OsMountError::WebClientMissing));
        let unreachable = net_use_failure(&e67, ServiceState::Running, &s);
        assert!(matches!(unreachable, OsMountError::Unreachable { .. }));
        assert!(unreachable.to_string().contains("restart the WebClient service"), "{unreachable}");
        let e1244 = Ran::new(
            Some(2),
            "",
            "System error 1244 has occurred.\r\n\r\nThe operation being requested was \
                                            not performed because the user has not been authenticated.\r\n",
        );
        assert!(matches!(net_use_failure(&e1244, ServiceState::Running, &s), OsMountError::LoginRefused { .. }));
        let other =
            Ran::new(Some(2), "", "System error 85 has occurred.\r\n\r\nThe local device name is already in use.\r\n");
        let err = net_use_failure(&other, ServiceState::Unknown, &s);
        assert_eq!(
            err.to_string(),
            "net use failed: System error 85 has occurred. The local device name is already in use."
        );
    }

    #[test]
    fn the_basic_auth_error_names_the_setting_and_the_value() {
        let msg = OsMountError::BasicAuthOverHttp { level: 1 }.to_string();
        assert!(
            msg.contains(
                "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters\\BasicAuthLevel to 2"
            ),
            "{msg}"
        );
        assert!(msg.contains("BasicAuthLevel is 1"), "{msg}");
        assert!(msg.contains("restart the WebClient service"), "{msg}");
    }

    #[test]
    fn unmounting_a_drive_that_is_gone_is_done() {
        assert_eq!(net_delete_command('Z').shown(), "net use Z: /delete /y");
        assert!(delete_outcome(&Ran::new(Some(0), "Z: was deleted successfully.\r\n\r\n", "")).is_ok());
        let gone = Ran::new(
            Some(2),
            "",
            "The network connection could not be found.\r\n\r\nMore help is available by typing NET HELPMSG 2250.\r\n",
        );
        assert!(delete_outcome(&gone).is_ok());
        let other = Ran::new(Some(2), "", "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n");
        assert!(delete_outcome(&other).is_err());
        assert_eq!(explorer_command('Z').shown(), "explorer Z:\\");
    }
}
