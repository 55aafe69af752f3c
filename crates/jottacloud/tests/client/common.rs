use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fjordsync_emulator::{Config, Emulator};
use jottacloud::auth::login_with_token;
use jottacloud::{Client, ClientOptions, Endpoints, MemoryTokenStore, RemotePath, Token, TokenKind, TokenStore};
use url::Url;

/// Run a test body with a hard time limit.
pub async fn bounded<F: Future<Output = ()>>(secs: u64, f: F) {
    tokio::time::timeout(Duration::from_secs(secs), f).await.expect("test exceeded its time limit");
}

pub fn endpoints(emu: &Emulator) -> Endpoints {
    Endpoints::from_origin(&Url::parse(&emu.base_url()).unwrap())
}

pub fn fast_options() -> ClientOptions {
    let mut o = ClientOptions::default();
    o.retry.max_delay = Duration::from_millis(200);
    o.upload_attempts = 8;
    o.retry.max_attempts = 8;
    o
}

/// A client for a hand-made test server at `origin`, with a token that
/// never needs refreshing.
pub fn client_at(origin: &Url, options: ClientOptions) -> Client {
    let token = Token {
        access_token: "a".into(),
        refresh_token: "r".into(),
        expires_at: i64::MAX / 2,
        token_endpoint: origin.join("token").unwrap().to_string(),
        client_id: "jottacli".into(),
        kind: TokenKind::Standard,
    };
    let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
    Client::new(Endpoints::from_origin(origin), token, store, options).unwrap()
}

pub struct Env {
    pub emu: Emulator,
    pub client: Client,
    pub store: Arc<MemoryTokenStore>,
}

pub async fn start_with(cfg: Config) -> Env {
    let emu = Emulator::start(cfg).await.expect("emulator starts");
    let ep = endpoints(&emu);
    let token = login_with_token(&ep, &fast_options(), &emu.login_token()).await.expect("standard login");
    let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
    let client = Client::new(ep, token, store.clone() as Arc<dyn TokenStore>, fast_options()).unwrap();
    Env { emu, client, store }
}

pub async fn start() -> Env {
    start_with(Config::default()).await
}

pub fn archive() -> RemotePath {
    RemotePath::new("Jotta", "Archive").unwrap()
}

pub fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Deterministic pseudo-random content.
pub fn content(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9 ^ seed as u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect()
}

pub fn write_temp(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, data).unwrap();
    p
}

pub async fn read_all(client: &Client, p: &RemotePath, opts: jottacloud::DownloadOptions) -> Vec<u8> {
    use futures_util::StreamExt;
    let mut s = client.download(p, opts).await.unwrap();
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}
