//! Shared helpers: start an emulator, log in, call JFS/API, upload.

use std::future::Future;
use std::time::Duration;

use base64::Engine as _;
use fjordsync_emulator::{Config, Emulator};
use md5::{Digest as _, Md5};
use reqwest::StatusCode;

/// Run a test body with a hard time limit.
pub async fn bounded<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(Duration::from_secs(90), f).await.expect("test timed out");
}

pub fn md5_hex(b: &[u8]) -> String {
    format!("{:x}", Md5::digest(b))
}

pub struct T {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub base: String,
    pub user: String,
    pub access: String,
    pub refresh: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Decode a login token into its JSON document.
pub fn decode_login_token(tok: &str) -> serde_json::Value {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tok.trim()).unwrap();
    serde_json::from_slice(&raw).unwrap()
}

/// Exchange a login token with the password grant (client `jottacli`).
pub async fn password_grant(http: &reqwest::Client, base: &str, login_token: &str) -> reqwest::Response {
    let doc = decode_login_token(login_token);
    http.post(format!("{base}/auth/realms/jottacloud/protocol/openid-connect/token"))
        .form(&[
            ("client_id", "jottacli"),
            ("grant_type", "password"),
            ("password", doc["auth_token"].as_str().unwrap()),
            ("scope", "openid offline_access"),
            ("username", doc["username"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn start(cfg: Config) -> T {
    let emu = Emulator::start(cfg).await.unwrap();
    let http = client();
    let base = emu.base_url();
    let r = password_grant(&http, &base, &emu.login_token()).await;
    assert_eq!(r.status(), 200);
    let j: serde_json::Value = r.json().await.unwrap();
    T {
        user: emu.username(),
        access: j["access_token"].as_str().unwrap().to_string(),
        refresh: j["refresh_token"].as_str().unwrap().to_string(),
        emu,
        http,
        base,
    }
}

pub async fn setup() -> T {
    start(Config::default()).await
}

impl T {
    /// URL of a JFS path below the user (`rel` is already percent-encoded).
    pub fn jfs(&self, rel: &str) -> String {
        if rel.is_empty() {
            format!("{}/jfs/{}", self.base, self.user)
        } else {
            format!("{}/jfs/{}/{}", self.base, self.user, rel)
        }
    }

    pub async fn get(&self, rel: &str) -> (StatusCode, String) {
        let r = self.http.get(self.jfs(rel)).bearer_auth(&self.access).send().await.unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    pub async fn post(&self, rel: &str) -> (StatusCode, String) {
        let r =
            self.http.post(self.jfs(rel)).bearer_auth(&self.access).header("content-length", "0").send().await.unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    pub async fn allocate(&self, path: &str, data: &[u8]) -> serde_json::Value {
        let r = self.allocate_raw(path, &md5_hex(data), data.len() as u64).await;
        assert_eq!(r.status(), 200, "allocate {path}");
        r.json().await.unwrap()
    }

    pub async fn allocate_raw(&self, path: &str, md5: &str, size: u64) -> reqwest::Response {
        self.http
            .post(format!("{}/files/v1/allocate", self.base))
            .bearer_auth(&self.access)
            .json(&serde_json::json!({
                "bytes": size, "md5": md5, "path": format!("/jfs/{path}"),
                "created": "2023-06-01T14:00:00+02:00", "modified": "2023-06-01T14:00:00+02:00",
            }))
            .send()
            .await
            .unwrap()
    }

    /// Allocate + upload (`path` like `Jotta/Archive/a/b.txt`, plain names).
    pub async fn upload(&self, path: &str, data: &[u8]) -> serde_json::Value {
        let a = self.allocate(path, data).await;
        if a["state"] == "COMPLETED" {
            return a;
        }
        let r = self
            .http
            .post(a["upload_url"].as_str().unwrap())
            .bearer_auth(&self.access)
            .body(data.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "upload {path}");
        r.json().await.unwrap()
    }

    pub async fn download(&self, rel: &str, range: Option<&str>) -> reqwest::Response {
        let mut rb = self.http.get(format!("{}?mode=bin", self.jfs(rel))).bearer_auth(&self.access);
        if let Some(r) = range {
            rb = rb.header("range", r);
        }
        rb.send().await.unwrap()
    }

    pub async fn api_get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.access).send().await.unwrap()
    }

    pub async fn api_post(&self, path: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.access)
            .header("content-length", "0")
            .send()
            .await
            .unwrap()
    }
}

/// Value of the first `<tag>…</tag>` in `xml`.
pub fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}");
    let i = xml.find(&open)?;
    let rest = &xml[i..];
    let gt = rest.find('>')?;
    if rest[..gt].ends_with('/') {
        return Some("");
    }
    let body = &rest[gt + 1..];
    let end = body.find(&format!("</{name}>"))?;
    Some(&body[..end])
}
