//! Standard flow (spec 2.2–2.4.1): personal login token → well-known
//! document → password grant with client `jottacli`.

use super::{AuthHttp, LoginToken, Token, TokenKind, TokenReply, TokenRequest, login_failure, token_from_json};
use crate::client::ClientOptions;
use crate::error::{Error, Result};
use crate::http::Endpoints;

/// Client id of the standard flow ("Jottacloud CLI").
pub const STANDARD_CLIENT_ID: &str = "jottacli";

/// Exchange a personal login token for a token pair. The login token is
/// single-use; persist the returned [`Token`] right away.
pub async fn login_with_token(
    endpoints: &Endpoints,
    options: &ClientOptions,
    personal_login_token: &str,
) -> Result<Token> {
    let lt = LoginToken::decode(personal_login_token)?;
    let auth = AuthHttp::new(options)?;
    let wk_url = endpoints.rewrite_identity(&lt.well_known_link);
    let wk = auth.well_known(&wk_url).await?;
    let token_url = url::Url::parse(&wk.token_endpoint)
        .map_err(|e| Error::Protocol(format!("bad token_endpoint in OpenID configuration: {e}")))?;
    let req = TokenRequest {
        url: &token_url,
        form: vec![
            ("client_id", STANDARD_CLIENT_ID.into()),
            ("grant_type", "password".into()),
            ("password", lt.auth_token.clone()),
            ("scope", "openid offline_access".into()),
            ("username", lt.username.clone()),
        ],
        query: vec![],
        basic: None,
        headers: vec![],
    };
    match auth.token_call(req).await? {
        TokenReply::Ok(tj) => token_from_json(tj, None, &token_url, STANDARD_CLIENT_ID, TokenKind::Standard),
        TokenReply::Failed { status, error, description, .. } => Err(login_failure(status, error, description)),
    }
}
