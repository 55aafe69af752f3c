//! The "waiting" notice (issue 11, point 8) in a test binary of its own:
//! tracing caches per call site whether anyone listens, so a listener set
//! for one test while other tests run on other threads can miss the event.
//! Alone in its process, the listener is the global one and always hears it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jottacloud::{Client, ClientOptions, Endpoints, Error, MemoryTokenStore, Timeouts, Token, TokenKind, Waiting};
use tokio::net::TcpListener;
use url::Url;

/// Collects the `host` field of every waiting notice.
#[derive(Clone, Default)]
struct Notices(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Notices {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if e.metadata().target() != jottacloud::WAITING_TARGET {
            return;
        }
        struct Host(String);
        impl tracing::field::Visit for Host {
            fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
                if f.name() == "host" {
                    self.0 = v.to_string();
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut h = Host(String::new());
        e.record(&mut h);
        self.0.lock().unwrap().push(h.0);
    }
}

/// A server that accepts connections and never answers.
async fn silent_server() -> Url {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", l.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    url
}

#[tokio::test]
async fn slow_reply_emits_a_waiting_event() {
    use tracing_subscriber::prelude::*;
    let notices = Notices::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(notices.clone())).unwrap();
    let origin = silent_server().await;
    let token = Token {
        access_token: "a".into(),
        refresh_token: "r".into(),
        expires_at: i64::MAX / 2,
        token_endpoint: origin.join("token").unwrap().to_string(),
        client_id: "jottacli".into(),
        kind: TokenKind::Standard,
    };
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        idle: Duration::from_millis(400),
        short_call: Duration::from_millis(400),
        notice_after: Duration::from_millis(100),
        retries: 1,
    };
    let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
    let options = ClientOptions { timeouts, ..ClientOptions::default() };
    let c = Client::new(Endpoints::from_origin(&origin), token, store, options).unwrap();
    let e = tokio::time::timeout(Duration::from_secs(30), c.customer()).await.expect("bounded").unwrap_err();
    match &e {
        Error::NoAnswer(n) => assert_eq!(n.waiting, Waiting::Reply, "{e}"),
        _ => panic!("expected NoAnswer, got {e:?}"),
    }
    let seen = notices.0.lock().unwrap().clone();
    assert!(!seen.is_empty() && seen.iter().all(|h| h == "127.0.0.1"), "{seen:?}");
}
