//! What to mount, checked once before any client sees it.

use url::{Host, Url};

use super::OsMountError;

/// The longest user name or password every client carries: mount_webdav
/// reads at most 255 bytes of each, gio reads a password line into 256
/// bytes with its newline.
const LONGEST: usize = 254;

/// A served folder to mount.
#[derive(Clone)]
pub struct OsMountRequest {
    /// The served address: `http://127.0.0.1:PORT/` (a path below it is
    /// allowed). Only this computer: the password goes over plain http.
    pub url: String,
    /// The Basic login's user.
    pub user: String,
    /// The Basic login's password (never shown, logged or put in an error).
    pub pass: String,
    /// The name shown for the mounted volume (macOS: the volume and its
    /// folder's name); unused where the client has no name to set.
    pub name: String,
}

impl std::fmt::Debug for OsMountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsMountRequest")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("pass", &"<hidden>")
            .field("name", &self.name)
            .finish()
    }
}

/// A request that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Served {
    /// The address, normalised (`http://127.0.0.1:8080/`).
    pub url: Url,
    /// The host as written in URLs (`127.0.0.1`, `localhost`, `[::1]`).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The user.
    pub user: String,
    /// The password.
    pub pass: String,
    /// The volume name, safe as one folder name.
    pub name: String,
}

/// Checks `req`: an `http://` address on this computer with no login of
/// its own, and a user and password every client can carry.
pub(super) fn check(req: &OsMountRequest) -> Result<Served, OsMountError> {
    let bad = |why: &str| OsMountError::BadRequest { url: shown_url(&req.url), why: why.to_string() };
    let url = Url::parse(req.url.trim()).map_err(|_| bad("not an address: give http://127.0.0.1:PORT/"))?;
    if url.scheme() != "http" {
        return Err(bad("only http:// addresses of a folder served on this computer can be mounted"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("give the user and password separately, not inside the address"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("the address must end with its path (no ? or #)"));
    }
    let on_this_computer = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if !on_this_computer {
        return Err(bad(
            "only a folder served on this computer (127.0.0.1) can be mounted: the password would cross the \
             network in plain text",
        ));
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    check_login_part(&req.user, "user name").map_err(|why| bad(&why))?;
    if req.user.contains(':') {
        return Err(bad("the user name cannot hold a colon (HTTP Basic cannot carry one)"));
    }
    check_login_part(&req.pass, "password").map_err(|why| bad(&why))?;
    Ok(Served { url, host, port, user: req.user.clone(), pass: req.pass.clone(), name: volume_name(&req.name) })
}

/// The address for an error message: cut at a `@`, in case a password sits
/// before it.
fn shown_url(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((_, rest)) => format!("http://…@{rest}"),
        None => url.trim().to_string(),
    }
}

/// A user name or password: not empty, no control characters (clients read
/// them as lines), not too long.
fn check_login_part(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("the {what} holds a control character (such as a line break)"));
    }
    if s.len() > LONGEST {
        return Err(format!("the {what} is longer than {LONGEST} bytes"));
    }
    Ok(())
}

/// `name` made safe as a volume and a single folder name: no `/` (a path
/// separator), no `:` (Finder shows it as `/`), no control characters, not
/// `.` or `..`, at most 200 bytes; `Fjordsync` if nothing is left.
pub(super) fn volume_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c == '/' || c == ':' || c == '\\' || c.is_control() { '-' } else { c })
        .collect::<String>()
        .trim()
        .trim_matches('.')
        .trim()
        .to_string();
    let mut out = String::new();
    for c in cleaned.chars() {
        if out.len() + c.len_utf8() > 200 {
            break;
        }
        out.push(c);
    }
    if out.is_empty() { "Fjordsync".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(url: &str) -> OsMountRequest {
        OsMountRequest { url: url.into(), user: "fjordsync".into(), pass: "s3cret pw".into(), name: "Photos".into() }
    }

    fn why(r: &OsMountRequest) -> String {
        check(r).unwrap_err().to_string()
    }

    #[test]
    fn a_served_folder_on_this_computer_passes() {
        let s = check(&req("http://127.0.0.1:8080/")).unwrap();
        assert_eq!((s.host.as_str(), s.port, s.url.as_str()), ("127.0.0.1", 8080, "http://127.0.0.1:8080/"));
        assert_eq!(s.name, "Photos");
        let s = check(&req("http://localhost:9000")).unwrap();
        assert_eq!((s.host.as_str(), s.url.as_str()), ("localhost", "http://localhost:9000/"));
        let s = check(&req("http://[::1]:9000/sub/")).unwrap();
        assert_eq!((s.host.as_str(), s.url.path()), ("[::1]", "/sub/"));
    }

    #[test]
    fn addresses_that_would_expose_the_password_are_refused() {
        assert!(why(&req("http://192.168.1.5:8080/")).contains("only a folder served on this computer"));
        assert!(why(&req("http://example.com/")).contains("only a folder served on this computer"));
        assert!(why(&req("https://127.0.0.1:8080/")).contains("only http://"));
        assert!(why(&req("127.0.0.1:8080")).contains("only http://") || why(&req("127.0.0.1:8080")).contains("not an"));
        assert!(why(&req("http://127.0.0.1:8080/?a=b")).contains("no ? or #"));
    }

    #[test]
    fn a_password_inside_the_address_is_refused_and_not_repeated() {
        let e = why(&req("http://me:topsecret@127.0.0.1:8080/"));
        assert!(e.contains("separately"), "{e}");
        assert!(!e.contains("topsecret"), "{e}");
    }

    #[test]
    fn user_and_password_must_fit_every_client() {
        let mut r = req("http://127.0.0.1:1/");
        r.user = "a:b".into();
        assert!(why(&r).contains("colon"));
        r.user = String::new();
        assert!(why(&r).contains("user name is empty"));
        r.user = "me".into();
        r.pass = "two\nlines".into();
        assert!(why(&r).contains("control character"));
        assert!(!why(&r).contains("two"), "the password is not repeated");
        r.pass = "x".repeat(255);
        assert!(why(&r).contains("longer than 254"));
        r.pass = "x".repeat(254);
        assert!(check(&r).is_ok());
    }

    #[test]
    fn volume_names_are_one_safe_folder_name() {
        assert_eq!(volume_name("Jotta: Photos/2024"), "Jotta- Photos-2024");
        assert_eq!(volume_name(" .. "), "Fjordsync");
        assert_eq!(volume_name(""), "Fjordsync");
        assert_eq!(volume_name("a\\b\tc"), "a-b-c");
        assert_eq!(volume_name("Ærø"), "Ærø");
        assert!(volume_name(&"é".repeat(300)).len() <= 200);
    }

    #[test]
    fn debug_hides_the_password() {
        assert!(!format!("{:?}", req("http://127.0.0.1:1/")).contains("s3cret"));
    }
}
