//! Who may call the web bridge.
//!
//! Binding 127.0.0.1 keeps other machines out, but not other local processes
//! and users, nor a web page that reaches 127.0.0.1 through DNS rebinding. So,
//! like Jupyter, each start makes a random access token ([`AccessToken`]) that only the
//! link printed by `fjordsync-app --bridge` carries; the page keeps it and
//! sends it with every API call. The checks, in order:
//!
//! 1. `Host` must name the bridge itself (127.0.0.1, localhost or [::1] with
//!    its port), else 403: a rebound name (`evil.example` resolving to
//!    127.0.0.1) never gets an answer, not even the UI.
//! 2. An `Origin`, when sent, must be the bridge's own, else 403.
//! 3. `/api/*` (HTTP and the event WebSocket) needs the token, else 401. The
//!    UI's static files do not: they hold nothing secret.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// The WebSocket subprotocol the bridge speaks on `/api/events`. A browser
/// cannot set headers on a WebSocket, so the page offers this protocol plus
/// `fjordsync-token.<TOKEN>` ([`TOKEN_PROTOCOL_PREFIX`]); the bridge answers with
/// this one, so the token is never echoed back.
pub const EVENTS_PROTOCOL: &str = "fjordsync";

/// Prefix of the subprotocol that carries the token on the WebSocket.
pub const TOKEN_PROTOCOL_PREFIX: &str = "fjordsync-token.";

/// A per-start secret: 32 random bytes as 64 lowercase hex digits (URL- and
/// header-safe, and a valid WebSocket subprotocol token).
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    /// A fresh token from the thread's CSPRNG (ChaCha, seeded by the OS).
    pub fn generate() -> AccessToken {
        let bytes: [u8; 32] = rand::random();
        AccessToken(bytes.iter().map(|b| format!("{b:02x}")).collect())
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

/// Why a request was refused: its status and the `{code, message}` body.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: AppError,
}

/// The bridge's address and token: what every request is checked against.
#[derive(Clone, Debug)]
pub struct Access {
    port: u16,
    token: AccessToken,
}

impl Access {
    pub fn new(port: u16, token: AccessToken) -> Access {
        Access { port, token }
    }

    /// The link to open: the token rides in the fragment, which the browser
    /// never sends to a server (nor puts in a `Referer`).
    pub fn link(&self) -> String {
        format!("http://127.0.0.1:{}/#token={}", self.port, self.token.as_str())
    }

    /// Checks 1 and 2 (every request, static files included).
    pub fn check_host_and_origin(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !self.is_own_host(host) {
            return Err(Refusal {
                status: StatusCode::FORBIDDEN,
                error: AppError::new(
                    "forbidden",
                    format!(
                        "this bridge answers only at 127.0.0.1:{port} or localhost:{port} (the request named {host:?}): \
                         open the link that fjordsync-app printed",
                        port = self.port
                    ),
                ),
            });
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let own = origin.to_str().ok().and_then(|o| o.strip_prefix("http://")).is_some_and(|o| self.is_own_host(o));
            if !own {
                return Err(Refusal {
                    status: StatusCode::FORBIDDEN,
                    error: AppError::new("forbidden", "only the bridge's own page may call it (origin not allowed)"),
                });
            }
        }
        Ok(())
    }

    /// Check 3 (API routes): the token from `Authorization: Bearer TOKEN`, or on
    /// a WebSocket from the `fjordsync-token.TOKEN` subprotocol.
    pub fn check_token(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let unauthorized =
            |message: &str| Refusal { status: StatusCode::UNAUTHORIZED, error: AppError::new("unauthorized", message) };
        match presented_token(headers) {
            None => Err(unauthorized(
                "this call carries no access token: open the link that fjordsync-app printed when it started \
                 (http://127.0.0.1:PORT/#token=…)",
            )),
            Some(k) if self.token.matches(k) => Ok(()),
            Some(_) => Err(unauthorized(
                "the access token does not match: fjordsync-app makes a new one at every start, so open the link it printed \
                 this time",
            )),
        }
    }

    /// `host` is `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`.
    fn is_own_host(&self, host: &str) -> bool {
        let Some((name, port)) = host.rsplit_once(':') else { return false };
        port.parse::<u16>().ok() == Some(self.port)
            && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "[::1]")
    }
}

/// The token a request presents, if any. Several `Authorization` headers or a
/// header that is not text count as none.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let mut auth = headers.get_all(header::AUTHORIZATION).iter();
    if let (Some(value), None) = (auth.next(), auth.next()) {
        let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim());
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
}
