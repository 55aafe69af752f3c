//! Who may use the server: one user and password over HTTP Basic, always.
//! A WebDAV share without a password on 127.0.0.1 would still be open to
//! every program and every user of the machine.

use base64::Engine;
use http::HeaderMap;
use rand::distr::{Alphanumeric, SampleString};
use subtle::ConstantTimeEq;

/// The user name when none is given.
pub const DEFAULT_USER: &str = "fjordsync";

/// The one login the server accepts.
#[derive(Clone)]
pub struct Login {
    user: String,
    pass: String,
}

impl Login {
    /// A given user and password.
    pub fn new(user: impl Into<String>, pass: impl Into<String>) -> Login {
        Login { user: user.into(), pass: pass.into() }
    }

    /// User `fjordsync` with a new random password (20 letters and digits).
    pub fn random() -> Login {
        Login::new(DEFAULT_USER, Alphanumeric.sample_string(&mut rand::rng(), 20))
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password (to show once at start).
    pub fn pass(&self) -> &str {
        &self.pass
    }

    /// True if `headers` carry this user and password as HTTP Basic. Both
    /// parts are compared in constant time, and both always.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else { return false };
        let Ok(value) = value.to_str() else { return false };
        let Some((scheme, encoded)) = value.split_once(' ') else { return false };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else { return false };
        let user_ok = self.user.as_bytes().ct_eq(&decoded[..colon]);
        let pass_ok = self.pass.as_bytes().ct_eq(&decoded[colon + 1..]);
        (user_ok & pass_ok).into()
    }
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("user", &self.user).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass));
        h.insert(http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn only_the_right_user_and_password_pass() {
        let login = Login::new("u", "p:w");
        assert!(login.accepts(&basic("u:p:w")));
        assert!(!login.accepts(&basic("u:p")));
        assert!(!login.accepts(&basic("x:p:w")));
        assert!(!login.accepts(&HeaderMap::new()));
        let random = Login::random();
        assert_eq!((random.user(), random.pass().len()), ("fjordsync", 20));
        assert_ne!(random.pass(), Login::random().pass());
    }
}
