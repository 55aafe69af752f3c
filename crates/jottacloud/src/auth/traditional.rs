//! Traditional flow (spec 2.6, 2.4.4): browser authorization code with PKCE
//! S256, a random `state`, and a one-shot loopback listener on
//! `127.0.0.1:<free port>`.
//!
//! rclone does not use PKCE; Keycloak advertises S256 and the emulator
//! accepts it, so we add it (defence against code interception). The
//! redirect URI is `http://127.0.0.1:PORT/` (rclone uses `localhost:53682`;
//! Keycloak-style servers accept any loopback port).
//!
//! Cancel by dropping the future: the listener closes with it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::{
    AuthHttp, Service, Token, TokenKind, TokenReply, TokenRequest, login_failure, token_call, token_from_json,
};
use crate::client::ClientOptions;
use crate::error::{Error, Result};
use crate::http::Endpoints;

/// Options of the browser flow.
#[derive(Debug, Clone)]
pub struct TraditionalOptions {
    /// How long to wait for the browser to come back. Default 5 minutes.
    pub timeout: Duration,
}

impl Default for TraditionalOptions {
    fn default() -> Self {
        TraditionalOptions { timeout: Duration::from_secs(300) }
    }
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// Run the browser login for `service`.
///
/// `open_url` receives the authorization URL and must show it to the user
/// (the CLI opens the system browser; tests play the browser themselves,
/// e.g. by spawning a task). It must not block for long.
pub async fn login_traditional<F>(
    endpoints: &Endpoints,
    options: &ClientOptions,
    service: &Service,
    open_url: F,
    flow: &TraditionalOptions,
) -> Result<Token>
where
    F: FnOnce(&Url) -> std::io::Result<()>,
{
    let auth = AuthHttp::new(options)?;
    let wk = auth.well_known(&service.well_known_url(endpoints)).await?;
    let auth_endpoint = wk
        .authorization_endpoint
        .as_deref()
        .ok_or_else(|| Error::Protocol("OpenID configuration lacks authorization_endpoint".into()))?;
    let mut auth_url =
        Url::parse(auth_endpoint).map_err(|e| Error::Protocol(format!("bad authorization_endpoint: {e}")))?;
    let token_url = Url::parse(&wk.token_endpoint).map_err(|e| Error::Protocol(format!("bad token_endpoint: {e}")))?;

    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/");
    let verifier = random_b64(32);
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let state = random_b64(16);
    auth_url
        .query_pairs_mut()
        .append_pair("access_type", "offline")
        .append_pair("client_id", service.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", service.scopes)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    open_url(&auth_url).map_err(|e| Error::Auth(format!("could not open the browser: {e}")))?;

    let code = tokio::time::timeout(flow.timeout, wait_for_code(&listener, &state))
        .await
        .map_err(|_| Error::Timeout("no browser login within the time limit".into()))??;
    drop(listener);

    let req = TokenRequest {
        url: &token_url,
        form: vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", service.client_id.into()),
            ("code_verifier", verifier),
        ],
        query: vec![],
        basic: None,
        headers: vec![],
    };
    match token_call(&auth.http, &auth.retry, req).await? {
        TokenReply::Ok(tj) => token_from_json(tj, None, &token_url, service.client_id, TokenKind::Traditional),
        TokenReply::Failed { status, error, description, .. } => Err(login_failure(status, error, description)),
    }
}

const PAGE_OK: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fjordsync</title></head><body><h1>Login complete</h1><p>You can close this window and return to Fjordsync.</p></body></html>";

fn page_err(msg: &str) -> String {
    let esc = msg.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fjordsync</title></head><body><h1>Login failed</h1><p>{esc}</p></body></html>"
    )
}

async fn respond(sock: &mut TcpStream, status: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// Read one request head (bounded) and return its request target.
async fn read_target(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut tmp = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut tmp)).await.ok()?.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > 16 * 1024 {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    let _method = parts.next()?;
    parts.next().map(str::to_string)
}

async fn wait_for_code(listener: &TcpListener, state: &str) -> Result<String> {
    loop {
        let (mut sock, _) = listener.accept().await?;
        let Some(target) = read_target(&mut sock).await else {
            continue;
        };
        let Ok(u) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            respond(&mut sock, "400 Bad Request", &page_err("bad request")).await;
            continue;
        };
        if u.path() != "/" {
            respond(&mut sock, "404 Not Found", &page_err("not found")).await;
            continue;
        }
        let get = |k: &str| u.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        if let Some(err) = get("error") {
            let desc = get("error_description").unwrap_or_default();
            respond(&mut sock, "200 OK", &page_err(&format!("{err}: {desc}"))).await;
            return Err(Error::Auth(format!("authorization refused: {err} {desc}")));
        }
        let (Some(code), Some(got_state)) = (get("code"), get("state")) else {
            // Not the redirect (e.g. a probe): keep waiting.
            respond(&mut sock, "400 Bad Request", &page_err("missing code or state")).await;
            continue;
        };
        if got_state != state {
            respond(&mut sock, "400 Bad Request", &page_err("state mismatch")).await;
            return Err(Error::Auth("state mismatch in the login redirect (possible CSRF)".into()));
        }
        respond(&mut sock, "200 OK", PAGE_OK).await;
        return Ok(code);
    }
}
