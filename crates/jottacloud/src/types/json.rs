//! JSON wire shapes of the API host and the token endpoint (spec 2, 5, 8.2).
//!
//! Numbers that the spec calls integers are read through [`lenient_i64`] so a
//! string or float variant does not break us; unknown fields are ignored.

use serde::{Deserialize, Deserializer, Serialize};

/// Accept an integer, a float, a numeric string or null.
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `GET /account/v1/customer` (spec 2.10). Only `username` is essential.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CustomerJson {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub subscription_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub usage: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub quota: Option<i64>,
    #[serde(default)]
    pub write_locked: Option<bool>,
    #[serde(default)]
    pub read_locked: Option<bool>,
}

/// Token endpoint success (spec 2.4.2).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenJson {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_in: Option<i64>,
}

/// OAuth error (spec 2.5).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OAuthErrorJson {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// API error body (spec 8.2, modelled).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ApiErrorJson {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub error_id: Option<String>,
}

/// The parts of the OpenID well-known document we use (spec 2.3).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WellKnownJson {
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: String,
}

/// Allocate request (spec 5.1).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AllocateJson<'a> {
    pub bytes: u64,
    pub created: String,
    pub md5: &'a str,
    pub modified: String,
    pub path: String,
}

/// Allocate response (spec 5.1).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AllocateResponseJson {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub upload_id: Option<String>,
    #[serde(default)]
    pub upload_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub bytes: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub resume_pos: Option<i64>,
}

/// Upload success (spec 5.2); we only log it and re-read metadata.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UploadResponseJson {
    #[serde(default)]
    pub md5: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub bytes: Option<i64>,
}

/// `purge_trash` response (spec 4.14).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PurgeJson {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub folders: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub files: Option<i64>,
}

/// Personal login token payload (spec 2.2).
#[derive(Clone, Deserialize)]
pub(crate) struct LoginTokenJson {
    pub username: String,
    #[serde(default)]
    pub realm: String,
    pub well_known_link: String,
    pub auth_token: String,
}
