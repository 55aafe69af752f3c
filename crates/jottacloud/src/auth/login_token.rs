//! The personal login token (spec 2.2): base64url-without-padding JSON.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use url::Url;

use crate::error::{Error, Result};
use crate::types::json::LoginTokenJson;

/// A decoded personal login token. Single-use: exchanging it creates a new
/// token family. `Debug` hides the secret.
#[derive(Clone)]
pub struct LoginToken {
    /// Username for the password grant.
    pub username: String,
    /// Keycloak realm.
    pub realm: String,
    /// OpenID configuration URL.
    pub well_known_link: Url,
    /// The one-time secret (sent as the grant's `password`).
    pub auth_token: String,
}

impl fmt::Debug for LoginToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginToken")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("well_known_link", &self.well_known_link.as_str())
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

impl LoginToken {
    /// Decode. Tolerates surrounding/embedded whitespace, padding and the
    /// standard alphabet (rclone accepts only unpadded URL-safe).
    pub fn decode(input: &str) -> Result<Self> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(Error::Auth("empty personal login token".into()));
        }
        let bytes = [&URL_SAFE_NO_PAD, &URL_SAFE, &STANDARD_NO_PAD, &STANDARD]
            .iter()
            .find_map(|e| e.decode(s.as_bytes()).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=').as_bytes()).ok())
            .or_else(|| STANDARD_NO_PAD.decode(s.trim_end_matches('=').as_bytes()).ok())
            .ok_or_else(|| Error::Auth("personal login token is not valid base64".into()))?;
        let j: LoginTokenJson = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Auth(format!("personal login token is not the expected JSON: {e}")))?;
        let well_known_link = Url::parse(&j.well_known_link)
            .map_err(|e| Error::Auth(format!("personal login token has a bad well_known_link: {e}")))?;
        if j.username.is_empty() || j.auth_token.is_empty() {
            return Err(Error::Auth("personal login token lacks username or auth_token".into()));
        }
        Ok(LoginToken { username: j.username, realm: j.realm, well_known_link, auth_token: j.auth_token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"username":"12qh1wsht8cssxdtwl15rqh9","realm":"jottacloud","well_known_link":"https://id.jottacloud.com/auth/realms/jottacloud/.well-known/openid-configuration","auth_token":"Xk2hV0cS9yqJ8Yt7s1dQ4wLmN6pR3aZb"}"#;

    #[test]
    fn variants() {
        for enc in [
            URL_SAFE_NO_PAD.encode(JSON),
            format!("  {}\n", URL_SAFE.encode(JSON)),
            STANDARD.encode(JSON),
            STANDARD_NO_PAD.encode(JSON),
        ] {
            let t = LoginToken::decode(&enc).unwrap();
            assert_eq!(t.username, "12qh1wsht8cssxdtwl15rqh9");
            assert_eq!(t.realm, "jottacloud");
            assert_eq!(t.auth_token, "Xk2hV0cS9yqJ8Yt7s1dQ4wLmN6pR3aZb");
            assert!(!format!("{t:?}").contains("Xk2h"));
        }
        assert!(URL_SAFE_NO_PAD.encode(JSON).starts_with("eyJ1c2VybmFtZSI6"));
        assert!(LoginToken::decode("!!!").is_err());
        assert!(LoginToken::decode(&URL_SAFE_NO_PAD.encode("{}")).is_err());
    }
}
