//! The legacy username/password flow on the API host (spec 2.7):
//! `/auth/v1/token` (query-parameter login, optional SMS 2FA, upper-case
//! `REFRESH_TOKEN` refresh) and `/auth/v1/register` (per-machine clients).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::auth::{basic_client, is_account};
use super::{get, query_pairs, small_body};
use crate::errors::{json_response, oauth_error};
use crate::server::{App, lock};
use crate::tokens::RefreshError;

const REALM: &str = "legacy";

pub async fn token(app: &Arc<App>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    // Parameters may come in the query (login) or the form body (refresh).
    let mut params = query_pairs(parts.uri.query());
    if let Ok(b) = small_body(body).await {
        params.extend(url::form_urlencoded::parse(&b).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    let basic = basic_client(&parts.headers);
    let client_id = basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| get(&params, "client_id").map(str::to_string))
        .unwrap_or_default();
    let secret = basic
        .as_ref()
        .map(|(_, s)| s.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| get(&params, "client_secret").map(str::to_string));
    if let (Some((b, _)), Some(f)) = (&basic, get(&params, "client_id"))
        && b != f
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client or Invalid client credentials");
    }
    // The secret is checked at login only: rclone's refresh sends its stored
    // (still obscured) secret for registered clients, and the family is bound
    // to the client id anyway.
    let grant = get(&params, "grant_type").unwrap_or("");
    let check_secret = grant == "PASSWORD";
    if !lock(&app.tokens).legacy_client_ok(&client_id, secret.as_deref(), check_secret) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client or Invalid client credentials");
    }
    let lifetime = app.token_lifetime;
    let user = app.account.username.clone();
    match get(&params, "grant_type").unwrap_or("") {
        "PASSWORD" => {
            let username = get(&params, "username").unwrap_or("");
            let password = get(&params, "password").unwrap_or("");
            let creds_ok = is_account(app, username)
                && (password == app.account.password || lock(&app.tokens).check_login_secret(password, false));
            if !creds_ok {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_grant", "Invalid user credentials");
            }
            if let Some(want) = &app.require_2fa {
                let given = parts
                    .headers
                    .get("x-jottacloud-otp")
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.replace(['-', ' '], ""));
                let want = want.replace(['-', ' '], "");
                if given.as_deref() != Some(want.as_str()) {
                    let mut r = oauth_error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_grant",
                        if given.is_some() { "Invalid one-time code" } else { "One-time code required" },
                    );
                    r.headers_mut().insert("X-JottaCloud-OTP", HeaderValue::from_static("required; SMS"));
                    return r;
                }
            }
            // Only a successful login consumes a single-use token.
            let _ = lock(&app.tokens).check_login_secret(password, true);
            let g = lock(&app.tokens).new_session(REALM, &client_id, "openid offline_access", None, &user, lifetime);
            app.stat(|s| *s.token_grants.entry("legacy_password".into()).or_default() += 1);
            app.mark_dirty();
            json_response(StatusCode::OK, &g.json())
        }
        "REFRESH_TOKEN" => {
            let rt = get(&params, "refresh_token").unwrap_or("");
            let res = lock(&app.tokens).refresh(rt, &client_id, &user, lifetime);
            match res {
                Ok(g) => {
                    app.stat(|s| {
                        s.refresh_ok += 1;
                        *s.token_grants.entry("legacy_refresh".into()).or_default() += 1;
                    });
                    app.mark_dirty();
                    json_response(StatusCode::OK, &g.json())
                }
                Err(e) => {
                    app.stat(|s| {
                        s.refresh_failed += 1;
                        if e == RefreshError::Reused {
                            s.reuse_detections += 1;
                        }
                    });
                    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", e.description())
                }
            }
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant_type {other:?} (expected PASSWORD or REFRESH_TOKEN)"),
        ),
    }
}

/// `POST /auth/v1/register?device_id=…` → a new client id and secret.
pub async fn register(app: &Arc<App>, req: Request) -> Response {
    let q = query_pairs(req.uri().query());
    let _device = get(&q, "device_id");
    let (id, secret) = lock(&app.tokens).register_legacy_client();
    app.mark_dirty();
    json_response(StatusCode::OK, &serde_json::json!({"client_id": id, "client_secret": secret}))
}
