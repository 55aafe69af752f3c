//! The Keycloak identity endpoints under `/auth/realms/<realm>/` (spec 2.3–2.9):
//! discovery document, token endpoint, the browser login form, userinfo, certs
//! and logout.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};

use super::{authorize, get, query_pairs, small_body};
use crate::errors::{json_response, oauth_error};
use crate::server::{App, external_base, lock};
use crate::tokens::{AuthCode, RefreshError, client_allowed, realm_known};
use crate::xml::esc;

pub async fn handle(app: &Arc<App>, req: Request, rest: &str) -> Response {
    let (realm, sub) = rest.split_once('/').unwrap_or((rest, ""));
    let realm = realm.to_string();
    if !realm_known(&realm) {
        return json_response(StatusCode::NOT_FOUND, &serde_json::json!({"error": "Realm does not exist"}));
    }
    let sub = sub.to_string();
    match (req.method().clone(), sub.as_str()) {
        (Method::GET, ".well-known/openid-configuration") => well_known(req.headers(), &realm),
        (Method::POST, "protocol/openid-connect/token") => token(app, req, &realm).await,
        (Method::GET, "protocol/openid-connect/auth") => {
            let q = query_pairs(req.uri().query());
            login_page(&realm, &q, None)
        }
        (Method::POST, "protocol/openid-connect/auth") => login_submit(app, req, &realm).await,
        (Method::GET | Method::POST, "protocol/openid-connect/userinfo") => userinfo(app, req.headers()),
        (Method::GET, "protocol/openid-connect/certs") => {
            json_response(StatusCode::OK, &serde_json::json!({"keys": []}))
        }
        (Method::GET | Method::POST, "protocol/openid-connect/logout") => logout(app, req).await,
        _ => oauth_error(StatusCode::NOT_FOUND, "not_found", "Unknown endpoint"),
    }
}

/// The discovery document; every URL is built from the request's external origin.
pub fn well_known(headers: &HeaderMap, realm: &str) -> Response {
    let issuer = format!("{}/auth/realms/{realm}", external_base(headers));
    let oc = format!("{issuer}/protocol/openid-connect");
    let body = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{oc}/auth"),
        "token_endpoint": format!("{oc}/token"),
        "introspection_endpoint": format!("{oc}/token/introspect"),
        "token_introspection_endpoint": format!("{oc}/token/introspect"),
        "userinfo_endpoint": format!("{oc}/userinfo"),
        "end_session_endpoint": format!("{oc}/logout"),
        "jwks_uri": format!("{oc}/certs"),
        "check_session_iframe": format!("{oc}/login-status-iframe.html"),
        "registration_endpoint": format!("{issuer}/clients-registrations/openid-connect"),
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password", "client_credentials"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token", "code token", "code id_token token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256"],
        "request_object_signing_alg_values_supported": ["RS256", "none"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "client_secret_post", "client_secret_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["aud", "sub", "iss", "auth_time", "name", "given_name", "family_name", "preferred_username", "email"],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": false,
        "scopes_supported": ["openid", "offline_access", "jotta-default", "profile", "email"],
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "code_challenge_methods_supported": ["plain", "S256"],
        "tls_client_certificate_bound_access_tokens": true,
    });
    json_response(StatusCode::OK, &body)
}

/// Client id and secret from a Basic header (`id:secret`, each form-escaped).
pub fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':').unwrap_or((raw.as_str(), ""));
    let dec = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    Some((dec(id), dec(secret)))
}

/// Client authentication of 2.9: Basic with empty secret and/or the form's
/// `client_id`; both present must agree.
fn client_of(headers: &HeaderMap, form: &[(String, String)]) -> Option<String> {
    let basic = basic_client(headers).map(|(id, _)| id);
    let field = get(form, "client_id").map(str::to_string);
    match (basic, field) {
        (Some(a), Some(b)) if a != b => None,
        (Some(a), _) | (None, Some(a)) if !a.is_empty() => Some(a),
        _ => None,
    }
}

/// Whether `user` is the demo account (internal username or e-mail).
pub fn is_account(app: &App, user: &str) -> bool {
    let user = user.trim();
    user.eq_ignore_ascii_case(&app.account.username) || user.eq_ignore_ascii_case(&app.account.email)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

fn grant_response(json: serde_json::Value) -> Response {
    let mut r = json_response(StatusCode::OK, &json);
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}

async fn token(app: &Arc<App>, req: Request, realm: &str) -> Response {
    let (parts, body) = req.into_parts();
    if !is_form(&parts.headers) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Expected form data");
    }
    let Ok(body) = small_body(body).await else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Unreadable body");
    };
    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let Some(client) = client_of(&parts.headers, &form) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client or Invalid client credentials");
    };
    if !client_allowed(realm, &client) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client or Invalid client credentials");
    }
    let lifetime = app.token_lifetime;
    let user = app.account.username.clone();
    match get(&form, "grant_type").unwrap_or("") {
        "password" => {
            let username = get(&form, "username").unwrap_or("");
            let password = get(&form, "password").unwrap_or("");
            let ok = is_account(app, username)
                && (lock(&app.tokens).check_login_secret(password, true) || password == app.account.password);
            if !ok {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_grant", "Invalid user credentials");
            }
            let scope = get(&form, "scope").unwrap_or("openid offline_access").to_string();
            let g = lock(&app.tokens).new_session(realm, &client, &scope, None, &user, lifetime);
            app.stat(|s| *s.token_grants.entry("password".into()).or_default() += 1);
            app.mark_dirty();
            grant_response(g.json())
        }
        "authorization_code" => {
            let code = get(&form, "code").unwrap_or("");
            let mut tokens = lock(&app.tokens);
            let Some(c) = tokens.peek_code(code).filter(|c| c.realm == realm && c.client_id == client) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code not valid");
            };
            if get(&form, "redirect_uri").unwrap_or("") != c.redirect_uri {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Incorrect redirect_uri");
            }
            if let Some(challenge) = &c.challenge {
                let verifier = get(&form, "code_verifier").unwrap_or("");
                let ok = match c.method.as_deref().unwrap_or("plain") {
                    "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge,
                    _ => verifier == challenge,
                };
                if verifier.is_empty() || !ok {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed");
                }
            }
            tokens.consume_code(code);
            let g = tokens.new_session(realm, &client, &c.scope, Some(c.session_state.clone()), &user, lifetime);
            drop(tokens);
            app.stat(|s| *s.token_grants.entry("authorization_code".into()).or_default() += 1);
            app.mark_dirty();
            grant_response(g.json())
        }
        "refresh_token" => {
            let rt = get(&form, "refresh_token").unwrap_or("");
            let res = lock(&app.tokens).refresh(rt, &client, &user, lifetime);
            match res {
                Ok(g) => {
                    app.stat(|s| {
                        s.refresh_ok += 1;
                        *s.token_grants.entry("refresh_token".into()).or_default() += 1;
                    });
                    app.mark_dirty();
                    grant_response(g.json())
                }
                Err(e) => {
                    app.stat(|s| {
                        s.refresh_failed += 1;
                        if e == RefreshError::Reused {
                            s.reuse_detections += 1;
                        }
                    });
                    if e == RefreshError::Reused {
                        app.mark_dirty();
                    }
                    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", e.description())
                }
            }
        }
        "" => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing form parameter: grant_type"),
        other => {
            oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &format!("Unsupported grant_type {other}"))
        }
    }
}

/// Loopback redirect URIs only (rclone uses `http://localhost:53682/`).
fn redirect_ok(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    (u.scheme() == "http" || u.scheme() == "https")
        && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]" | "::1"))
}

fn html_page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:30em;margin:3em auto\">{body}</body></html>"
    );
    (status, Html(page)).into_response()
}

fn escaped(s: &str) -> String {
    let mut o = String::new();
    esc(s, &mut o);
    o
}

const HIDDEN: &[&str] =
    &["client_id", "redirect_uri", "response_type", "state", "scope", "code_challenge", "code_challenge_method"];

/// Validate the authorization request; `Err` is the error page's text.
fn check_auth_request(realm: &str, q: &[(String, String)]) -> Result<(), &'static str> {
    let client = get(q, "client_id").unwrap_or("");
    if !client_allowed(realm, client) {
        return Err("<p>Client not found.</p>");
    }
    if !redirect_ok(get(q, "redirect_uri").unwrap_or("")) {
        return Err("<p>Invalid parameter: redirect_uri</p>");
    }
    if get(q, "response_type").is_some_and(|t| t != "code") {
        return Err("<p>Unsupported response_type</p>");
    }
    if let Some(m) = get(q, "code_challenge_method")
        && m != "plain"
        && m != "S256"
    {
        return Err("<p>Invalid code_challenge_method</p>");
    }
    Ok(())
}

/// `GET …/auth`: the login form, carrying the request in hidden fields.
fn login_page(realm: &str, q: &[(String, String)], error: Option<&str>) -> Response {
    if let Err(msg) = check_auth_request(realm, q) {
        return html_page(StatusCode::BAD_REQUEST, "Error", msg);
    }
    let mut hidden = String::new();
    for k in HIDDEN {
        if let Some(v) = get(q, k) {
            hidden.push_str(&format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", escaped(v)));
        }
    }
    let err =
        error.map(|e| format!("<p style=\"color:#b00\" id=\"input-error\">{}</p>", escaped(e))).unwrap_or_default();
    let body = format!(
        "<h1>Sign in ({realm})</h1>{err}\
         <form id=\"kc-form-login\" method=\"post\" action=\"/auth/realms/{realm}/protocol/openid-connect/auth\">\
         {hidden}\
         <p><label for=\"username\">Username or e-mail</label><br><input id=\"username\" name=\"username\" type=\"text\" autofocus></p>\
         <p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\"></p>\
         <p><input type=\"submit\" name=\"login\" value=\"Sign In\"></p></form>"
    );
    html_page(StatusCode::OK, "Sign in", &body)
}

/// `POST …/auth`: check credentials, then redirect back with a code.
async fn login_submit(app: &Arc<App>, req: Request, realm: &str) -> Response {
    let Ok(body) = small_body(req.into_body()).await else {
        return html_page(StatusCode::BAD_REQUEST, "Error", "<p>Bad request</p>");
    };
    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if let Err(msg) = check_auth_request(realm, &form) {
        return html_page(StatusCode::BAD_REQUEST, "Error", msg);
    }
    let username = get(&form, "username").unwrap_or("");
    let password = get(&form, "password").unwrap_or("");
    let ok = is_account(app, username)
        && (password == app.account.password || lock(&app.tokens).check_login_secret(password, true));
    if !ok {
        return login_page(realm, &form, Some("Invalid username or password."));
    }
    let redirect = get(&form, "redirect_uri").unwrap_or("").to_string();
    let session_state = uuid::Uuid::new_v4().to_string();
    let code = lock(&app.tokens).store_code(AuthCode {
        realm: realm.to_string(),
        client_id: get(&form, "client_id").unwrap_or("").to_string(),
        redirect_uri: redirect.clone(),
        challenge: get(&form, "code_challenge").filter(|c| !c.is_empty()).map(str::to_string),
        method: get(&form, "code_challenge_method").map(str::to_string),
        scope: get(&form, "scope").unwrap_or("openid offline_access").to_string(),
        session_state: session_state.clone(),
        expires_ms: crate::time::now_ms() + 60_000,
    });
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(s) = get(&form, "state") {
        q.append_pair("state", s);
    }
    q.append_pair("session_state", &session_state);
    q.append_pair("code", &code);
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = format!("{redirect}{sep}{}", q.finish());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn userinfo(app: &App, headers: &HeaderMap) -> Response {
    if authorize(app, headers).is_err() {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "Token verification failed");
    }
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "sub": app.account.username,
            "preferred_username": app.account.username,
            "email": app.account.email,
            "email_verified": true,
            "name": app.account.name,
        }),
    )
}

async fn logout(app: &Arc<App>, req: Request) -> Response {
    let q = query_pairs(req.uri().query());
    let body = small_body(req.into_body()).await.unwrap_or_default();
    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if let Some(rt) = get(&form, "refresh_token").or(get(&q, "refresh_token"))
        && lock(&app.tokens).revoke_by_refresh(rt)
    {
        app.mark_dirty();
    }
    StatusCode::NO_CONTENT.into_response()
}
