//! Who may call the web server (the app's `--bridge` and `fjordsync daemon`).
//!
//! Binding 127.0.0.1 keeps other machines out, but not other local processes
//! and users, nor a web page that reaches 127.0.0.1 through DNS rebinding. So,
//! like Jupyter, there is a random access token ([`AccessToken`]) that only the
//! printed link carries; the page keeps it and sends it with every API call.
//! The bridge makes a new one at each start; the daemon keeps one in its
//! configuration folder ([`token_file`](super::token_file)). The checks, in order:
//!
//! 1. `Host` must name the server itself, else 403: on a loopback address
//!    127.0.0.1, localhost or [::1] with its port, so a rebound name
//!    (`evil.example` resolving to 127.0.0.1) never gets an answer, not even
//!    the UI. On another address (the daemon on a home network) any `Host` is
//!    accepted, because the machine is reached by names we cannot know
//!    (`nas.local`, `192.168.1.5`), and there every request needs the
//!    password or the token anyway, which a rebound page does not have.
//! 2. An `Origin`, when sent, must be the server's own (on another address:
//!    the `Host` of the request), else 403.
//! 3. With a login (`--user`/`--pass`), every request needs it (HTTP Basic),
//!    else 401: the page asks for it. `/api/*` also accepts the token instead.
//! 4. `/api/*` (HTTP and the event WebSocket) needs the token, else 401. The
//!    UI's static files do not: they hold nothing secret.

use std::net::SocketAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// The WebSocket subprotocol the server speaks on `/api/events`. A browser
/// cannot set headers on a WebSocket, so the page offers this protocol plus
/// `fjordsync-token.<TOKEN>` ([`TOKEN_PROTOCOL_PREFIX`]); the server answers with
/// this one, so the token is never echoed back.
pub const EVENTS_PROTOCOL: &str = "fjordsync";

/// Prefix of the subprotocol that carries the token on the WebSocket.
pub const TOKEN_PROTOCOL_PREFIX: &str = "fjordsync-token.";

/// A secret: 32 random bytes as 64 lowercase hex digits (URL- and
/// header-safe, and a valid WebSocket subprotocol token).
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    /// A fresh token from the thread's CSPRNG (ChaCha, seeded by the OS).
    pub fn generate() -> AccessToken {
        let bytes: [u8; 32] = rand::random();
        AccessToken(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A token read back from a file, if it has the shape [`generate`](Self::generate) gives.
    pub fn parse(text: &str) -> Option<AccessToken> {
        let t = text.trim();
        (t.len() == 64 && t.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)))
            .then(|| AccessToken(t.to_string()))
    }

    /// The token as it goes into the printed link.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so the time an answer takes says nothing
    /// about how much of a guess was right.
    fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

/// Never print the token by accident (logs, panics).
impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

#[cfg(test)]
impl AccessToken {
    /// A known token for tests.
    pub fn from_test(key: &str) -> AccessToken {
        AccessToken(key.to_string())
    }
}

/// A user name and password for HTTP Basic (the daemon's `--user`/`--pass`).
#[derive(Clone)]
pub struct BasicLogin {
    user: String,
    pass: String,
}

impl BasicLogin {
    pub fn new(user: impl Into<String>, pass: impl Into<String>) -> BasicLogin {
        BasicLogin { user: user.into(), pass: pass.into() }
    }

    /// True if `headers` carry exactly one `Authorization: Basic` with this
    /// user and password. Both parts are compared in constant time, and both
    /// always, so the time does not tell which one was wrong.
    fn accepts(&self, headers: &HeaderMap) -> bool {
        let Some((scheme, value)) = single_authorization(headers) else { return false };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value) else { return false };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else { return false };
        let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
        let user_ok = self.user.as_bytes().ct_eq(user);
        let pass_ok = self.pass.as_bytes().ct_eq(pass);
        (user_ok & pass_ok).into()
    }
}

impl std::fmt::Debug for BasicLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicLogin").field("user", &self.user).finish_non_exhaustive()
    }
}

/// Which program serves: the words of the messages that say where the link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    /// `fjordsync-app --bridge`: a new token at every start.
    Bridge,
    /// `fjordsync daemon`: the token kept in `daemon.token`.
    Daemon,
}

impl Door {
    fn program(self) -> &'static str {
        match self {
            Door::Bridge => "fjordsync-app",
            Door::Daemon => "fjordsync daemon",
        }
    }
}

/// What a 401 asks for in `WWW-Authenticate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// The API's token (no browser dialog).
    Bearer,
    /// The daemon's login: the browser asks for the user name and password.
    Basic,
}

/// Why a request was refused: its status and the `{code, message}` body.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: AppError,
    /// For a 401: what to ask for.
    pub challenge: Option<Challenge>,
}

impl Refusal {
    fn forbidden(message: String) -> Refusal {
        Refusal { status: StatusCode::FORBIDDEN, error: AppError::new("forbidden", message), challenge: None }
    }

    fn unauthorized(message: String, challenge: Challenge) -> Refusal {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            error: AppError::new("unauthorized", message),
            challenge: Some(challenge),
        }
    }
}

/// The server's address, token and login: what every request is checked against.
#[derive(Clone, Debug)]
pub struct Access {
    addr: SocketAddr,
    token: AccessToken,
    login: Option<BasicLogin>,
    door: Door,
}

impl Access {
    /// The bridge: 127.0.0.1:`port`, token only.
    pub fn new(port: u16, token: AccessToken) -> Access {
        Access { addr: SocketAddr::from(([127, 0, 0, 1], port)), token, login: None, door: Door::Bridge }
    }

    /// The daemon on `addr` (the address it listens on, with its real port).
    pub fn daemon(addr: SocketAddr, token: AccessToken, login: Option<BasicLogin>) -> Access {
        Access { addr, token, login, door: Door::Daemon }
    }

    /// True when the server listens on loopback only (the strict `Host` check).
    fn loopback(&self) -> bool {
        self.addr.ip().is_loopback()
    }

    /// True when a user name and password are required.
    pub fn has_login(&self) -> bool {
        self.login.is_some()
    }

    /// The token (for the redirect that hands it to a page after the login).
    pub(super) fn token(&self) -> &AccessToken {
        &self.token
    }

    /// The link to open: the token rides in the fragment, which the browser
    /// never sends to a server (nor puts in a `Referer`). On an address that
    /// names no one machine (0.0.0.0, ::), the link names this machine's
    /// loopback, which also works.
    pub fn link(&self) -> String {
        let host = match self.addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        format!("http://{host}:{}/#token={}", self.addr.port(), self.token.as_str())
    }

    /// Checks 1 and 2 (every request, static files included).
    pub fn check_host_and_origin(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !self.is_own_host(host) {
            return Err(Refusal::forbidden(format!(
                "this server answers only at 127.0.0.1:{port} or localhost:{port} (the request named {host:?}): \
                 open the link that {program} printed",
                port = self.addr.port(),
                program = self.door.program(),
            )));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().ok().and_then(|o| o.strip_prefix("http://"));
            let own = match origin {
                Some(o) if self.loopback() => self.is_own_host(o),
                Some(o) => o.eq_ignore_ascii_case(host),
                None => false,
            };
            if !own {
                return Err(Refusal::forbidden("only the server's own page may call it (origin not allowed)".into()));
            }
        }
        Ok(())
    }

    /// Check 3 for the UI's files: the login, when there is one.
    pub fn check_login(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        match &self.login {
            Some(login) if !login.accepts(headers) => Err(Refusal::unauthorized(
                "this fjordsync daemon asks for the user name and password it was started with (--user, --pass)".into(),
                Challenge::Basic,
            )),
            _ => Ok(()),
        }
    }

    /// Checks 3 and 4 for the API: the token from `Authorization: Bearer
    /// TOKEN`, or on a WebSocket from the `fjordsync-token.TOKEN`
    /// subprotocol; or, when the daemon has a login, that login.
    pub fn check_token(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        if self.login.as_ref().is_some_and(|l| l.accepts(headers)) {
            return Ok(());
        }
        let program = self.door.program();
        match presented_token(headers) {
            None => Err(Refusal::unauthorized(
                format!(
                    "this call carries no access token: open the link that {program} printed when it started \
                     (http://127.0.0.1:PORT/#token=…)"
                ),
                Challenge::Bearer,
            )),
            Some(k) if self.token.matches(k) => Ok(()),
            Some(_) => Err(Refusal::unauthorized(
                match self.door {
                    Door::Bridge => "the access token does not match: fjordsync-app makes a new one at every start, \
                                     so open the link it printed this time"
                        .to_string(),
                    Door::Daemon => "the access token does not match: open the link that fjordsync daemon printed \
                                     (it keeps its token in daemon.token in the configuration folder)"
                        .to_string(),
                },
                Challenge::Bearer,
            )),
        }
    }

    /// On loopback, `host` is `127.0.0.1:PORT`, `localhost:PORT` or
    /// `[::1]:PORT`; elsewhere any non-empty `Host` (see check 1).
    fn is_own_host(&self, host: &str) -> bool {
        if !self.loopback() {
            return !host.is_empty();
        }
        let Some((name, port)) = host.rsplit_once(':') else { return false };
        port.parse::<u16>().ok() == Some(self.addr.port())
            && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "[::1]")
    }
}

/// The one `Authorization` header's scheme and value; several headers or
/// one that is not text count as none.
fn single_authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let mut auth = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (auth.next(), auth.next()) else { return None };
    let (scheme, rest) = value.to_str().ok()?.split_once(' ')?;
    Some((scheme, rest.trim()))
}

/// The token a request presents, if any.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if headers.get(header::AUTHORIZATION).is_some() {
        let (scheme, token) = single_authorization(headers)?;
        return scheme.eq_ignore_ascii_case("bearer").then_some(token);
    }
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(TOKEN_PROTOCOL_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn access() -> Access {
        Access::new(8090, AccessToken::from_test("k3y"))
    }

    #[test]
    fn tokens_are_fresh_and_long() {
        let (a, b) = (AccessToken::generate(), AccessToken::generate());
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.as_str(), b.as_str());
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn only_the_bridges_own_host_names() {
        let a = access();
        for ok in ["127.0.0.1:8090", "localhost:8090", "LocalHost:8090", "[::1]:8090"] {
            assert!(a.check_host_and_origin(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in ["evil.example:8090", "127.0.0.1:8091", "127.0.0.1", "localhost", "", "127.0.0.1.evil:8090"] {
            let r = a.check_host_and_origin(&headers(&[("host", bad)])).unwrap_err();
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad}");
        }
        assert!(a.check_host_and_origin(&HeaderMap::new()).is_err(), "no Host at all");
    }

    #[test]
    fn only_the_bridges_own_origin() {
        let a = access();
        let with = |o: &str| a.check_host_and_origin(&headers(&[("host", "127.0.0.1:8090"), ("origin", o)]));
        assert!(with("http://127.0.0.1:8090").is_ok());
        assert!(with("http://localhost:8090").is_ok());
        for bad in ["http://evil.example", "https://127.0.0.1:8090", "http://127.0.0.1:1", "null"] {
            assert_eq!(with(bad).unwrap_err().status, StatusCode::FORBIDDEN, "{bad}");
        }
    }

    #[test]
    fn the_token_from_a_header_or_a_websocket_protocol() {
        let a = access();
        assert!(a.check_token(&headers(&[("authorization", "Bearer k3y")])).is_ok());
        assert!(a.check_token(&headers(&[("authorization", "bearer k3y")])).is_ok());
        assert!(a.check_token(&headers(&[("sec-websocket-protocol", "fjordsync, fjordsync-token.k3y")])).is_ok());
        for bad in [
            &[][..],
            &[("authorization", "Bearer k3")][..],
            &[("authorization", "Bearer k3yy")][..],
            &[("authorization", "Basic k3y")][..],
            &[("authorization", "k3y")][..],
            &[("authorization", "Bearer k3y"), ("authorization", "Bearer k3y")][..],
            &[("sec-websocket-protocol", "fjordsync")][..],
            &[("sec-websocket-protocol", "fjordsync-token.nope")][..],
        ] {
            let r = a.check_token(&headers(bad)).unwrap_err();
            assert_eq!((r.status, r.error.code), (StatusCode::UNAUTHORIZED, "unauthorized"), "{bad:?}");
        }
    }

    fn basic(user: &str, pass: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
    }

    #[test]
    fn the_daemons_login_opens_pages_and_api() {
        let addr: SocketAddr = "0.0.0.0:8090".parse().unwrap();
        let a = Access::daemon(addr, AccessToken::from_test("k3y"), Some(BasicLogin::new("alice", "pa:ss")));
        let right = basic("alice", "pa:ss");
        assert!(a.check_login(&headers(&[("authorization", &right)])).is_ok());
        assert!(a.check_token(&headers(&[("authorization", &right)])).is_ok(), "the login opens the API");
        assert!(a.check_token(&headers(&[("authorization", "Bearer k3y")])).is_ok(), "so does the token");
        for bad in
            [basic("alice", "pa:s"), basic("alic", "pa:ss"), basic("alice", ""), "Basic !!".into(), "Bearer k3y".into()]
        {
            let r = a.check_login(&headers(&[("authorization", &bad)])).unwrap_err();
            assert_eq!((r.status, r.challenge), (StatusCode::UNAUTHORIZED, Some(Challenge::Basic)), "{bad}");
        }
        let r = a.check_token(&headers(&[("authorization", &basic("alice", "nope"))])).unwrap_err();
        assert_eq!(r.challenge, Some(Challenge::Bearer), "no browser dialog for an API call");
        assert!(!format!("{a:?}").contains("pa:ss"), "the password is never printed");
    }

    #[test]
    fn on_a_network_any_host_but_only_its_own_origin() {
        let addr: SocketAddr = "192.168.1.5:8090".parse().unwrap();
        let a = Access::daemon(addr, AccessToken::from_test("k3y"), None);
        assert_eq!(a.link(), "http://192.168.1.5:8090/#token=k3y");
        for host in ["nas.local:8090", "192.168.1.5:8090", "nas"] {
            assert!(a.check_host_and_origin(&headers(&[("host", host)])).is_ok(), "{host}");
            let own = format!("http://{host}");
            assert!(a.check_host_and_origin(&headers(&[("host", host), ("origin", &own)])).is_ok(), "{host}");
            let other = headers(&[("host", host), ("origin", "http://evil.example")]);
            assert_eq!(a.check_host_and_origin(&other).unwrap_err().status, StatusCode::FORBIDDEN, "{host}");
        }
        assert!(a.check_host_and_origin(&HeaderMap::new()).is_err(), "no Host at all");
        let any = Access::daemon("0.0.0.0:8090".parse().unwrap(), AccessToken::from_test("k3y"), None);
        assert_eq!(any.link(), "http://127.0.0.1:8090/#token=k3y");
    }
}
