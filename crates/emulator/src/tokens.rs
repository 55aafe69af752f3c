//! Token bookkeeping: personal login tokens, OAuth sessions (token families),
//! refresh rotation with reuse detection (spec 2.8), authorization codes and the
//! legacy registered clients.
//!
//! The rule that matters most for real clients (2.9): only a *successful* grant
//! changes state. Failed attempts (wrong client, bad form) never rotate, revoke
//! or consume anything, so rclone's Basic-then-form probing is harmless. The one
//! deliberate exception is genuine reuse of a rotated-away refresh token, which
//! revokes the whole family.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::time::now_ms;

/// Keycloak realms of spec table 2.6 and the client id each service uses.
pub const REALMS: &[(&str, &str)] = &[
    ("jottacloud", "desktop"),
    ("elgiganten", "desktop"),
    ("elkjop", "desktop"),
    ("elko", "desktop"),
    ("gigantti", "desktop"),
    ("letsgo", "desktop-win"),
    ("mediamarkt", "desktop"),
    ("onlime_wl", "desktop"),
    ("phonero", "desktop-win"),
    ("comhem", "desktop"),
    ("get", "desktop"),
    ("telia_se", "desktop"),
];

/// The personal-login-token client every realm accepts.
pub const CLI_CLIENT: &str = "jottacli";
/// rclone's built-in legacy client id.
pub const LEGACY_CLIENT: &str = "nibfk8biu12ju7hpqomr8b1e40";

pub fn realm_known(realm: &str) -> bool {
    REALMS.iter().any(|(r, _)| *r == realm)
}

/// Whether `client` may use `realm` (its service client or `jottacli`).
pub fn client_allowed(realm: &str, client: &str) -> bool {
    client == CLI_CLIENT || REALMS.iter().any(|(r, c)| *r == realm && *c == client)
}

/// Random alphanumeric string (lower case + digits).
pub fn random_id(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A JWT-shaped, unsigned token (clients must treat tokens as opaque).
fn jwt(claims: serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"emulator"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.{}", random_b64(32))
}

/// Encode a personal login token (2.2).
pub fn encode_login_token(username: &str, realm: &str, well_known: &str, secret: &str) -> String {
    // Field order as the real service writes it (tokens start `eyJ1c2VybmFtZSI6`).
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let doc = format!(
        "{{\"username\":{},\"realm\":{},\"well_known_link\":{},\"auth_token\":{}}}",
        q(username),
        q(realm),
        q(well_known),
        q(secret)
    );
    URL_SAFE_NO_PAD.encode(doc)
}

/// One token family: the state Keycloak keeps per login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub client_id: String,
    pub realm: String,
    pub scope: String,
    pub current_refresh: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Access {
    session: String,
    expires_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoginSecret {
    reusable: bool,
    used: bool,
}

/// A pending authorization code (traditional flow).
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub realm: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub method: Option<String>,
    pub scope: String,
    pub session_state: String,
    pub expires_ms: i64,
}

/// A freshly issued token pair, ready to be written as 2.4.2 JSON.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    pub expires_in: i64,
    pub session_state: String,
    pub scope: String,
}

impl Grant {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_expires_in": 0,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "id_token": self.id_token,
            "not-before-policy": 0,
            "session_state": self.session_state,
            "scope": self.scope,
        })
    }
}

/// Why a refresh failed; mapped to 2.5 descriptions by the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    Unknown,
    Inactive,
    ClientMismatch,
    /// A rotated-away token: the family is revoked now.
    Reused,
    /// A rotated-away token of a family that is already revoked.
    ReusedAgain,
}

impl RefreshError {
    pub fn description(self) -> &'static str {
        match self {
            RefreshError::Unknown => "Invalid refresh token",
            RefreshError::Inactive => "Session not active",
            RefreshError::ClientMismatch => "Invalid refresh token. Token client and authorized client don't match",
            RefreshError::Reused | RefreshError::ReusedAgain => "Session doesn't have required client",
        }
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessError {
    Missing,
    Unknown,
    Expired,
    Revoked,
}

/// All token state. Persisted with the store (codes are not: they live a minute).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tokens {
    sessions: HashMap<String, Session>,
    /// Every refresh token ever issued → its session (old ones detect reuse).
    refresh_index: HashMap<String, String>,
    access: HashMap<String, Access>,
    login_secrets: HashMap<String, LoginSecret>,
    /// Legacy per-machine registered clients: id → secret.
    legacy_clients: HashMap<String, String>,
    #[serde(skip)]
    codes: HashMap<String, AuthCode>,
}

impl Tokens {
    /// Create a login-token secret; `reusable` ones survive being exchanged.
    pub fn new_login_secret(&mut self, reusable: bool) -> String {
        let s = random_b64(24);
        self.login_secrets.insert(s.clone(), LoginSecret { reusable, used: false });
        s
    }

    /// Check a login-token secret; consumes single-use ones when `consume`.
    pub fn check_login_secret(&mut self, secret: &str, consume: bool) -> bool {
        match self.login_secrets.get_mut(secret) {
            Some(s) if !s.used => {
                if consume && !s.reusable {
                    s.used = true;
                }
                true
            }
            _ => false,
        }
    }

    fn issue_access(&mut self, session: &str, scope: &str, username: &str, lifetime_s: i64) -> String {
        let now = now_ms();
        // Prune expired tokens now and then so the map stays small.
        if self.access.len() > 10_000 {
            self.access.retain(|_, a| a.expires_ms > now);
        }
        let exp = now + lifetime_s * 1000;
        let tok = jwt(serde_json::json!({
            "exp": exp / 1000, "iat": now / 1000, "jti": random_id(16), "sub": username,
            "sid": session, "typ": "Bearer", "scope": scope,
            "preferred_username": username,
        }));
        self.access.insert(tok.clone(), Access { session: session.to_string(), expires_ms: exp });
        tok
    }

    fn new_refresh(&mut self, session: &str) -> String {
        let tok = jwt(serde_json::json!({"typ": "Offline", "sid": session, "jti": random_id(16)}));
        self.refresh_index.insert(tok.clone(), session.to_string());
        tok
    }

    fn grant_for(&mut self, session_id: &str, username: &str, lifetime_s: i64) -> Option<Grant> {
        let scope = self.sessions.get(session_id)?.scope.clone();
        let access = self.issue_access(session_id, &scope, username, lifetime_s);
        let refresh = self.new_refresh(session_id);
        let s = self.sessions.get_mut(session_id)?;
        s.current_refresh = refresh.clone();
        let id_token = jwt(serde_json::json!({"typ": "ID", "sub": username, "sid": session_id}));
        Some(Grant {
            access_token: access,
            refresh_token: refresh,
            id_token,
            expires_in: lifetime_s,
            session_state: s.id.clone(),
            scope: s.scope.clone(),
        })
    }

    /// Start a new token family (password grant, code exchange, legacy login).
    pub fn new_session(
        &mut self,
        realm: &str,
        client_id: &str,
        scope: &str,
        session_id: Option<String>,
        username: &str,
        lifetime_s: i64,
    ) -> Grant {
        let id = session_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.sessions.insert(
            id.clone(),
            Session {
                id: id.clone(),
                client_id: client_id.to_string(),
                realm: realm.to_string(),
                scope: scope.to_string(),
                current_refresh: String::new(),
                active: true,
            },
        );
        // The session was just inserted, so this cannot fail.
        self.grant_for(&id, username, lifetime_s).unwrap_or_else(|| Grant {
            access_token: String::new(),
            refresh_token: String::new(),
            id_token: String::new(),
            expires_in: lifetime_s,
            session_state: id.clone(),
            scope: scope.to_string(),
        })
    }

    /// Refresh: rotate when `token` is the family's current one; revoke the family
    /// when it is an older one (reuse). Client mismatches change nothing.
    pub fn refresh(
        &mut self,
        token: &str,
        client_id: &str,
        username: &str,
        lifetime_s: i64,
    ) -> Result<Grant, RefreshError> {
        let sid = self.refresh_index.get(token).cloned().ok_or(RefreshError::Unknown)?;
        let s = self.sessions.get_mut(&sid).ok_or(RefreshError::Unknown)?;
        if s.client_id != client_id {
            return Err(RefreshError::ClientMismatch);
        }
        if s.current_refresh != token {
            let was_active = s.active;
            s.active = false;
            return Err(if was_active { RefreshError::Reused } else { RefreshError::ReusedAgain });
        }
        if !s.active {
            return Err(RefreshError::Inactive);
        }
        self.grant_for(&sid, username, lifetime_s).ok_or(RefreshError::Unknown)
    }

    /// Revoke the family a refresh token belongs to (logout).
    pub fn revoke_by_refresh(&mut self, token: &str) -> bool {
        let Some(sid) = self.refresh_index.get(token) else {
            return false;
        };
        match self.sessions.get_mut(sid) {
            Some(s) => {
                s.active = false;
                true
            }
            None => false,
        }
    }

    /// Validate a bearer token: known, not expired, family still active.
    pub fn check_access(&self, token: &str) -> Result<(), AccessError> {
        let a = self.access.get(token).ok_or(AccessError::Unknown)?;
        if a.expires_ms <= now_ms() {
            return Err(AccessError::Expired);
        }
        match self.sessions.get(&a.session) {
            Some(s) if s.active => Ok(()),
            _ => Err(AccessError::Revoked),
        }
    }

    /// Expire every outstanding access token at once (control endpoint).
    pub fn expire_all_access(&mut self) {
        for a in self.access.values_mut() {
            a.expires_ms = 0;
        }
    }

    pub fn store_code(&mut self, code: AuthCode) -> String {
        let now = now_ms();
        self.codes.retain(|_, c| c.expires_ms > now);
        let id = format!("{}.{}", uuid::Uuid::new_v4(), random_id(16));
        self.codes.insert(id.clone(), code);
        id
    }

    pub fn peek_code(&self, code: &str) -> Option<AuthCode> {
        self.codes.get(code).filter(|c| c.expires_ms > now_ms()).cloned()
    }

    pub fn consume_code(&mut self, code: &str) {
        self.codes.remove(code);
    }

    pub fn register_legacy_client(&mut self) -> (String, String) {
        let id = random_id(26);
        let secret = random_id(32);
        self.legacy_clients.insert(id.clone(), secret.clone());
        (id, secret)
    }

    /// Legacy clients: the built-in id (any secret, it is baked into rclone) or a
    /// registered id, with its secret when `check_secret`.
    pub fn legacy_client_ok(&self, id: &str, secret: Option<&str>, check_secret: bool) -> bool {
        if id == LEGACY_CLIENT {
            return true;
        }
        match (self.legacy_clients.get(id), secret) {
            (Some(_), _) if !check_secret => true,
            (Some(s), Some(given)) => s == given,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_and_reuse() {
        let mut t = Tokens::default();
        let g = t.new_session("jottacloud", "jottacli", "openid", None, "u", 60);
        assert!(t.check_access(&g.access_token).is_ok());
        assert_eq!(t.refresh(&g.refresh_token, "desktop", "u", 60).unwrap_err(), RefreshError::ClientMismatch);
        let g2 = t.refresh(&g.refresh_token, "jottacli", "u", 60).unwrap();
        assert_eq!(t.refresh(&g.refresh_token, "jottacli", "u", 60).unwrap_err(), RefreshError::Reused);
        assert_eq!(t.refresh(&g.refresh_token, "jottacli", "u", 60).unwrap_err(), RefreshError::ReusedAgain);
        assert_eq!(t.refresh(&g2.refresh_token, "jottacli", "u", 60).unwrap_err(), RefreshError::Inactive);
        assert_eq!(t.check_access(&g2.access_token), Err(AccessError::Revoked));
    }
}
