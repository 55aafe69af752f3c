//! Traditional flow (spec 2.6, 2.4.4): browser authorization code with PKCE
//! S256, a random `state`, and a one-shot loopback listener on
//! `127.0.0.1:<free port>`.
//!
//! rclone does not use PKCE; Keycloak advertises S256 and the emulator
//! accepts it, so we add it (defence against code interception). The
//! redirect URI is `http://127.0.0.1:PORT/` (rclone uses `localhost:53682`;
//! Keycloak-style servers accept any loopback port).
//!
//! Only a request carrying this sign-in's `state` can end the wait (with a
//! code or the service's error): any local process can reach the loopback
//! port, and must not be able to cut a sign-in short.
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

use super::{AuthHttp, Service, Token, TokenKind, TokenReply, TokenRequest, login_failure, token_from_json};
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
    match auth.token_call(req).await? {
        TokenReply::Ok(tj) => token_from_json(tj, None, &token_url, service.client_id, TokenKind::Traditional),
        TokenReply::Failed { status, error, description, .. } => Err(login_failure(status, error, description)),
    }
}

const PAGE_OK: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fjordsync</title></head><body><h1>Login complete</h1><p>You can close this window and return to Fjordsync.</p></body></html>";

/// Answer to anything that does not carry this sign-in's `state`: a probe, a
/// stale tab, or another local process trying to end the wait.
const PAGE_NOT_OURS: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fjordsync</title></head><body><h1>Not for this sign-in</h1><p>This address only accepts the answer to the sign-in Fjordsync is waiting for.</p></body></html>";

/// Connections handled at once; more are closed unanswered, so a flood of
/// idle local connections cannot hold back the browser's redirect.
const MAX_PENDING_CONNECTIONS: usize = 256;

/// How long one connection may take to send its request head.
const REQUEST_HEAD_LIMIT: Duration = Duration::from_secs(10);

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

/// Read one request head (bounded in size and time) and return its request target.
async fn read_target(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut tmp = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(REQUEST_HEAD_LIMIT, sock.read(&mut tmp)).await.ok()?.ok()?;
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

/// Wait for the browser's redirect. Only a request that carries this
/// sign-in's `state` can end the wait, with a code or with the service's
/// error; everything else is answered and ignored. Each connection is
/// served on its own task so a silent one cannot block the others.
async fn wait_for_code(listener: &TcpListener, state: &str) -> Result<String> {
    let mut conns: tokio::task::JoinSet<Option<Result<String>>> = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (sock, _) = accepted?;
                if conns.len() >= MAX_PENDING_CONNECTIONS {
                    drop(sock);
                    continue;
                }
                conns.spawn(serve_redirect(sock, state.to_string()));
            }
            Some(done) = conns.join_next(), if !conns.is_empty() => {
                if let Ok(Some(outcome)) = done {
                    return outcome;
                }
            }
        }
    }
}

/// Serve one connection: `Some` ends the sign-in (it carried our `state`),
/// `None` means keep waiting.
async fn serve_redirect(mut sock: TcpStream, state: String) -> Option<Result<String>> {
    let target = read_target(&mut sock).await?;
    let Ok(u) = Url::parse(&format!("http://127.0.0.1{target}")) else {
        respond(&mut sock, "400 Bad Request", PAGE_NOT_OURS).await;
        return None;
    };
    let get = |k: &str| u.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let ours = u.path() == "/" && get("state").is_some_and(|s| same_secret(&s, &state));
    if !ours {
        respond(&mut sock, "400 Bad Request", PAGE_NOT_OURS).await;
        return None;
    }
    if let Some(err) = get("error") {
        let desc = get("error_description").unwrap_or_default();
        respond(&mut sock, "200 OK", &page_err(&format!("{err}: {desc}"))).await;
        return Some(Err(Error::Auth(format!("authorization refused: {err} {desc}"))));
    }
    match get("code") {
        Some(code) => {
            respond(&mut sock, "200 OK", PAGE_OK).await;
            Some(Ok(code))
        }
        None => {
            respond(&mut sock, "400 Bad Request", &page_err("the redirect carried neither a code nor an error")).await;
            None
        }
    }
}

/// Compare secrets without stopping at the first differing byte.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
