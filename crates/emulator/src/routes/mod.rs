//! Request routing by path prefix, plus helpers shared by the route modules.

pub mod api;
pub mod auth;
pub mod control;
pub mod jfs;
pub mod legacy;
pub mod upload;
pub mod web;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

use crate::errors::{Fail, api_error, jfs_error};
use crate::server::{App, lock};
use crate::tokens::AccessError;

/// Form-decoded query pairs (`+` = space, `%2B` = plus), in order.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Read a small request body (forms, JSON); bigger than 1 MiB is refused.
pub async fn small_body(body: Body) -> Result<bytes::Bytes, StatusCode> {
    axum::body::to_bytes(body, 1 << 20).await.map_err(|_| StatusCode::BAD_REQUEST)
}

/// Check the bearer token. Errors describe why, for the 401 body.
pub fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Fail> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let res = match token {
        None => Err(AccessError::Missing),
        Some(t) => lock(&app.tokens).check_access(t),
    };
    res.map_err(|e| {
        Fail::unauthorized(match e {
            AccessError::Missing => "No token or token is malformed!",
            AccessError::Unknown => "Token is invalid",
            AccessError::Expired => "Token expired",
            AccessError::Revoked => "Session not active",
        })
    })
}

/// Route a request to its module.
pub async fn dispatch(app: &Arc<App>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if path == "/jfs" || path.starts_with("/jfs/") {
        if let Err(f) = authorize(app, req.headers()) {
            return f.jfs();
        }
        return jfs::handle(app, req).await;
    }
    if let Some(rest) = path.strip_prefix("/auth/realms/") {
        let rest = rest.to_string();
        return auth::handle(app, req, &rest).await;
    }
    match (method.clone(), path.as_str()) {
        (Method::POST, "/auth/v1/token") => return legacy::token(app, req).await,
        (Method::POST, "/auth/v1/register") => return legacy::register(app, req).await,
        _ => {}
    }
    if path.starts_with("/account/") || path.starts_with("/files/") {
        if let Err(f) = authorize(app, req.headers()) {
            return f.api();
        }
        return match (method, path.as_str()) {
            (Method::GET, "/account/v1/customer") => api::customer(app),
            (Method::POST, "/files/v1/purge_trash") => api::purge_trash(app),
            (Method::POST, "/files/v1/allocate") => upload::allocate(app, req).await,
            (Method::POST, p) if p.starts_with("/files/v1/upload/") => {
                let id = p.trim_start_matches("/files/v1/upload/").to_string();
                upload::upload(app, req, &id).await
            }
            _ => api_error(StatusCode::NOT_FOUND, "NotFoundException", "no such endpoint"),
        };
    }
    if path.starts_with("/opin/io/downloadPublic/") || path.starts_with("/s/") {
        return web::public_download(app, req).await;
    }
    if path == "/emulator" || path.starts_with("/emulator/") {
        return control::handle(app, req).await;
    }
    if path == "/" {
        return control::index_redirect();
    }
    jfs_error(StatusCode::NOT_FOUND, crate::errors::NO_SUCH_PATH, &path)
}
