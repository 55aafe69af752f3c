//! The emulator's own endpoints under `/emulator/` (no auth; the real service
//! has nothing like them): login tokens, statistics and runtime control.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{get, query_pairs, small_body};
use crate::errors::json_response;
use crate::server::{App, external_base, lock};
use crate::tokens::encode_login_token;
use crate::xml::esc;

/// Issue a personal login token whose `well_known_link` points at `base`.
pub fn issue_login_token(app: &App, base: &str) -> String {
    let secret = lock(&app.tokens).new_login_secret(!app.single_use_tokens);
    app.mark_dirty();
    encode_login_token(
        &app.account.username,
        "jottacloud",
        &format!("{base}/auth/realms/jottacloud/.well-known/openid-configuration"),
        &secret,
    )
}

/// Fields of `POST /emulator/control`; all optional.
#[derive(Debug, Default, Deserialize)]
pub struct Control {
    pub expire_access_tokens: Option<bool>,
    pub write_locked: Option<bool>,
    /// `null` removes the quota; absent leaves it.
    #[serde(default, deserialize_with = "some_nullable")]
    pub quota: Option<Option<i64>>,
    pub fail_rate: Option<f64>,
    pub latency_ms: Option<u64>,
    pub reset_rate: Option<f64>,
}

fn some_nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

pub fn set_quota(app: &App, q: Option<i64>) {
    lock(&app.runtime).quota = q;
    lock(&app.store).quota_write_locked = false;
    app.mark_dirty();
}

pub fn set_write_locked(app: &App, on: bool) {
    lock(&app.store).write_locked = on;
    app.mark_dirty();
}

pub fn apply(app: &App, c: &Control) {
    if c.expire_access_tokens == Some(true) {
        lock(&app.tokens).expire_all_access();
    }
    if let Some(w) = c.write_locked {
        set_write_locked(app, w);
    }
    if let Some(q) = c.quota {
        set_quota(app, q);
    }
    let mut rt = lock(&app.runtime);
    if let Some(f) = c.fail_rate {
        rt.fail_rate = f.clamp(0.0, 1.0);
    }
    if let Some(r) = c.reset_rate {
        rt.reset_rate = r.clamp(0.0, 1.0);
    }
    if let Some(l) = c.latency_ms {
        rt.latency = Duration::from_millis(l);
    }
}

pub fn index_redirect() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/emulator/")]).into_response()
}

fn index_page(app: &App, token: Option<&str>) -> Response {
    let mut tok = String::new();
    if let Some(t) = token {
        tok.push_str("<h2>New login token</h2><pre style=\"white-space:pre-wrap;word-break:break-all\" id=\"token\">");
        esc(t, &mut tok);
        tok.push_str("</pre>");
    }
    let mut user = String::new();
    esc(&app.account.username, &mut user);
    let mut email = String::new();
    esc(&app.account.email, &mut email);
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Fjordsync Jottacloud emulator</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\
         <h1>Fjordsync Jottacloud emulator</h1>\
         <p>Account <b>{user}</b> ({email}).</p>\
         <form method=\"post\" action=\"/emulator/login-tokens?format=html\">\
         <button type=\"submit\">Generate personal login token</button></form>{tok}\
         <p><a href=\"/emulator/stats\">Statistics</a></p></body></html>"
    );
    Html(page).into_response()
}

pub async fn handle(app: &Arc<App>, req: Request) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let q = query_pairs(req.uri().query());
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/emulator") => index_page(app, None),
        (Method::POST, "/emulator/login-tokens") => {
            let base = external_base(req.headers());
            let token = issue_login_token(app, &base);
            if get(&q, "format") == Some("html") {
                index_page(app, Some(&token))
            } else {
                json_response(StatusCode::OK, &serde_json::json!({"login_token": token}))
            }
        }
        (Method::GET, "/emulator/stats") => {
            let stats = lock(&app.stats).clone();
            json_response(StatusCode::OK, &serde_json::to_value(stats).unwrap_or_default())
        }
        (Method::POST, "/emulator/control") => {
            let Ok(body) = small_body(req.into_body()).await else {
                return json_response(StatusCode::BAD_REQUEST, &serde_json::json!({"error": "unreadable body"}));
            };
            let c: Control = if body.is_empty() {
                Control::default()
            } else {
                match serde_json::from_slice(&body) {
                    Ok(c) => c,
                    Err(e) => {
                        return json_response(StatusCode::BAD_REQUEST, &serde_json::json!({"error": e.to_string()}));
                    }
                }
            };
            apply(app, &c);
            let rt = app.runtime();
            let s = lock(&app.store);
            json_response(
                StatusCode::OK,
                &serde_json::json!({
                    "write_locked": s.write_locked,
                    "quota": rt.quota,
                    "fail_rate": rt.fail_rate,
                    "reset_rate": rt.reset_rate,
                    "latency_ms": rt.latency.as_millis() as u64,
                }),
            )
        }
        _ => json_response(StatusCode::NOT_FOUND, &serde_json::json!({"error": "no such control endpoint"})),
    }
}
