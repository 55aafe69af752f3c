//! Servers that do not answer like the API (issue 11, points 8 and 9): a
//! silent one ends in `Error::NoAnswer` within the client's (here short)
//! limits, tried again a bounded number of times (the "waiting" event it
//! emits meanwhile is tested alone in `tests/waiting.rs`); a web page or
//! garbage ends in `Error::NotTheApi`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use jottacloud::{Allocation, Client, ClientOptions, Endpoints, Error, ListMode, ReplyKind, Timeouts, Waiting};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use crate::common::*;

/// What the test server does with a request target.
#[derive(Clone, Copy)]
enum Act {
    /// Answer 200 with this content type and body.
    Reply(u16, &'static str, &'static str),
    /// Send the head and part of a body, then nothing.
    Stall,
    /// Read the request head, then nothing.
    Silent,
    /// Read the whole request body, then nothing.
    SwallowBody,
}

struct Server {
    url: Url,
    /// Connections accepted so far.
    conns: Arc<AtomicUsize>,
}

async fn read_head(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = vec![0u8; 8192];
    let mut got = Vec::new();
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            return Some((head, got[end + 4..].to_vec()));
        }
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

async fn server(route: fn(&str) -> Act) -> Server {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", l.local_addr().unwrap())).unwrap();
    let conns = Arc::new(AtomicUsize::new(0));
    let count = conns.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Some((head, mut body)) = read_head(&mut s).await else { return };
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                match route(&target) {
                    Act::Reply(status, ct, text) => {
                        let resp = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                            text.len()
                        );
                        let _ = s.write_all(resp.as_bytes()).await;
                    }
                    Act::Stall => {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\npart")
                            .await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Act::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
                    Act::SwallowBody => {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        let mut buf = vec![0u8; 65536];
                        while body.len() < len {
                            match s.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => body.extend_from_slice(&buf[..n]),
                            }
                        }
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                }
            });
        }
    });
    Server { url, conns }
}

fn short_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(5),
        idle: Duration::from_millis(400),
        short_call: Duration::from_millis(400),
        notice_after: Duration::from_millis(100),
        retries: 1,
    }
}

fn client_for(origin: &Url) -> Client {
    client_at(origin, ClientOptions { timeouts: short_timeouts(), ..fast_options() })
}

fn no_answer(e: Error, waiting: Waiting) {
    match &e {
        Error::NoAnswer(n) => {
            assert_eq!(n.waiting, waiting, "{e}");
            assert_eq!(n.host, "127.0.0.1");
        }
        _ => panic!("expected NoAnswer({waiting:?}), got {e:?}"),
    }
}

const CUSTOMER: Act = Act::Reply(200, "application/json", r#"{"username":"u1"}"#);

#[tokio::test]
async fn silent_server_is_a_no_answer_error_tried_again_once() {
    bounded(30, async {
        let s = server(|t| if t.starts_with("/account/") { CUSTOMER } else { Act::Silent }).await;
        let c = client_for(&s.url);
        c.username().await.unwrap();
        let before = s.conns.load(Ordering::SeqCst);
        let e = c.list_folder(&archive(), ListMode::Live).await.unwrap_err();
        assert_eq!(e.to_string(), "127.0.0.1 did not answer within 0.4 s");
        no_answer(e, Waiting::Reply);
        // An idempotent call is tried again `retries` (1) times, no more.
        assert_eq!(s.conns.load(Ordering::SeqCst) - before, 2);
        // A call that is never repeated blindly (a copy) is sent once.
        let before = s.conns.load(Ordering::SeqCst);
        let e = c.copy_file(&archive().join("a").unwrap(), &archive().join("b").unwrap()).await.unwrap_err();
        no_answer(e, Waiting::Reply);
        // mkdir of the parent (idempotent, tried twice) would come first; the
        // mountpoint root needs none, so only the copy is sent.
        assert_eq!(s.conns.load(Ordering::SeqCst) - before, 1);
    })
    .await;
}

#[tokio::test]
async fn silent_sign_in_is_a_no_answer_error() {
    bounded(30, async {
        let s = server(|_| Act::Silent).await;
        let o = ClientOptions { timeouts: short_timeouts(), ..fast_options() };
        let emu = fjordsync_emulator::Emulator::start(fjordsync_emulator::Config::default()).await.unwrap();
        let e = jottacloud::auth::login_with_token(&Endpoints::from_origin(&s.url), &o, &emu.issue_login_token())
            .await
            .unwrap_err();
        no_answer(e, Waiting::Reply);
        assert!(s.conns.load(Ordering::SeqCst) <= 2, "{} attempts", s.conns.load(Ordering::SeqCst));
        emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn stalled_download_is_a_no_answer_error() {
    bounded(30, async {
        let s = server(|t| if t.starts_with("/account/") { CUSTOMER } else { Act::Stall }).await;
        let c = client_for(&s.url);
        let mut stream = c.download(&archive().join("f").unwrap(), Default::default()).await.unwrap();
        let mut last = None;
        while let Some(item) = stream.next().await {
            if let Err(e) = item {
                last = Some(e);
                break;
            }
        }
        no_answer(last.expect("the stream fails"), Waiting::MoreData);
    })
    .await;
}

#[tokio::test]
async fn stalled_upload_is_a_no_answer_error() {
    bounded(30, async {
        let s = server(|t| if t.starts_with("/up/swallow") { Act::SwallowBody } else { Act::Silent }).await;
        let c = client_for(&s.url);
        let body =
            || futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![7u8; 1 << 16]))));
        let alloc = |path: &str| Allocation {
            completed: false,
            upload_id: Some("x".into()),
            upload_url: Some(s.url.join(path).unwrap().to_string()),
            resume_pos: 0,
            bytes: 4 << 16,
        };
        // All bytes taken, no reply.
        no_answer(c.upload_body(&alloc("up/swallow"), body()).await.unwrap_err(), Waiting::Reply);
        // Nothing read at all: the upload stops moving once the socket buffers are full.
        let big =
            futures_util::stream::iter((0..512).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![7u8; 1 << 16]))));
        let mut a = alloc("up/silent");
        a.bytes = 512 << 16;
        no_answer(c.upload_body(&a, big).await.unwrap_err(), Waiting::UploadProgress);
    })
    .await;
}

const PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n<body><h1>Welcome</h1>\n<p>If you see this page, the web server works.</p></body></html>\n";

/// A web site where the API should be: a 404 page, unreadable bytes, a
/// proxy's 502 page, and the home page for everything else.
fn site(t: &str) -> Act {
    if t.contains("/missing") {
        return Act::Reply(404, "text/html", PAGE);
    }
    if t.contains("/garbage") {
        return Act::Reply(200, "application/octet-stream", "\u{1}\u{2}PK\u{3}\u{4} not an API");
    }
    if t.contains("/proxy") {
        return Act::Reply(502, "text/html", PAGE);
    }
    Act::Reply(200, "text/html", PAGE)
}

fn not_the_api(e: Error, kind: ReplyKind) {
    match &e {
        Error::NotTheApi(d) => {
            assert_eq!(d.kind, kind, "{e}");
            assert!(d.excerpt.chars().count() <= 201 && !d.excerpt.contains('\n'), "{:?}", d.excerpt);
        }
        _ => panic!("expected NotTheApi({kind:?}), got {e:?}"),
    }
}

#[tokio::test]
async fn web_pages_and_garbage_are_not_the_api() {
    bounded(30, async {
        let s = server(|t| {
            if t.starts_with("/account/") {
                return Act::Reply(200, "text/html", PAGE);
            }
            site(t)
        })
        .await;
        let c = client_for(&s.url);
        let e = c.customer().await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server at 127.0.0.1 answered with a web page, not the Jottacloud API: is the address right?"
        );
        not_the_api(e, ReplyKind::WebPage);
        // The sign-in's discovery document too.
        let emu = fjordsync_emulator::Emulator::start(fjordsync_emulator::Config::default()).await.unwrap();
        let o = ClientOptions { timeouts: short_timeouts(), ..fast_options() };
        let e = jottacloud::auth::login_with_token(&Endpoints::from_origin(&s.url), &o, &emu.issue_login_token())
            .await
            .unwrap_err();
        not_the_api(e, ReplyKind::WebPage);
        emu.shutdown().await;
    })
    .await;
    bounded(30, async {
        let s = server(|t| {
            if t.starts_with("/account/") {
                return CUSTOMER;
            }
            site(t)
        })
        .await;
        let c = client_for(&s.url);
        let a = archive();
        not_the_api(c.list_folder(&a, ListMode::Live).await.unwrap_err(), ReplyKind::WebPage);
        not_the_api(c.stat(&a.join("missing").unwrap()).await.unwrap_err(), ReplyKind::WebPage);
        not_the_api(c.stat(&a.join("garbage").unwrap()).await.unwrap_err(), ReplyKind::Unreadable);
        // A proxy's error page stays a (retried) server error, described in one line.
        let e = c.stat(&a.join("proxy").unwrap()).await.unwrap_err();
        assert!(matches!(e, Error::Server(_)), "{e:?}");
        assert_eq!(e.to_string(), "server error: HTTP 502: a web page titled \"Welcome to nginx!\"");
    })
    .await;
}
