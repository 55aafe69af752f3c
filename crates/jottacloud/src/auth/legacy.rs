//! Legacy flow (spec 2.7): all parameters in the URL query of an empty POST
//! to `<api>/auth/v1/token`, upper-case grant types, SMS 2FA through the
//! `X-JottaCloud-OTP` header.
//!
//! Not implemented: per-machine client registration (`/auth/v1/register`
//! needs a bearer token baked into rclone). Callers pass the client id and
//! secret; [`LegacyClient::default`] uses rclone's public client id with an
//! empty secret (assumption: accepted by servers that still speak this flow).

use std::future::Future;

use super::{AuthHttp, Token, TokenKind, TokenReply, TokenRequest, login_failure, token_from_json};
use crate::client::ClientOptions;
use crate::error::{Error, Result};
use crate::http::Endpoints;

/// Client credentials for the legacy flow.
#[derive(Clone)]
pub struct LegacyClient {
    /// Client id.
    pub client_id: String,
    /// Client secret (may be empty).
    pub client_secret: String,
}

impl std::fmt::Debug for LegacyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LegacyClient({}, <secret>)", self.client_id)
    }
}

impl Default for LegacyClient {
    fn default() -> Self {
        LegacyClient { client_id: "nibfk8biu12ju7hpqomr8b1e40".into(), client_secret: String::new() }
    }
}

/// Log in with username and password. When the server demands an SMS code
/// (any non-2xx carrying `X-JottaCloud-OTP: required…`), `ask_otp` is awaited
/// once; `None` aborts. Dashes are stripped from the code.
pub async fn login_legacy<F, Fut>(
    endpoints: &Endpoints,
    options: &ClientOptions,
    client: &LegacyClient,
    username: &str,
    password: &str,
    ask_otp: F,
) -> Result<Token>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<String>>,
{
    let auth = AuthHttp::new(options)?;
    let url = endpoints.api_url("auth/v1/token")?;
    let query = vec![
        ("client_id", client.client_id.clone()),
        ("client_secret", client.client_secret.clone()),
        ("grant_type", "PASSWORD".to_string()),
        ("password", password.to_string()),
        ("username", username.to_string()),
    ];
    let mut ask = Some(ask_otp);
    let mut otp: Option<String> = None;
    loop {
        let req = TokenRequest {
            url: &url,
            form: vec![],
            query: query.clone(),
            basic: None,
            headers: otp.iter().map(|c| ("X-Jottacloud-Otp", c.clone())).collect(),
        };
        match auth.token_call(req).await? {
            TokenReply::Ok(tj) => {
                return token_from_json(
                    tj,
                    None,
                    &url,
                    &client.client_id,
                    TokenKind::Legacy {
                        client_id: client.client_id.clone(),
                        client_secret: client.client_secret.clone(),
                    },
                );
            }
            TokenReply::Failed { otp_required: true, .. } if otp.is_none() => {
                let Some(f) = ask.take() else {
                    return Err(Error::Auth("two-factor code required".into()));
                };
                let code = f().await.ok_or_else(|| Error::Auth("two-factor code required but none given".into()))?;
                let code: String = code.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect();
                otp = Some(code);
            }
            TokenReply::Failed { status, error, description, .. } => {
                return Err(login_failure(status, error, description));
            }
        }
    }
}
