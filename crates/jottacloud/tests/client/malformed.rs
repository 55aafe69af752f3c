//! A tiny hand-made server answering garbage: every reply problem must be
//! `Error::Protocol`, never a panic.

use futures_util::StreamExt;
use jottacloud::{Client, Error, ListMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use crate::common::*;

/// Serve `reply(path)` → (status, content type, body) for every request.
async fn garbage_server(reply: fn(&str) -> (u16, &'static str, String)) -> Url {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&got).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let path = target.split('?').next().unwrap_or("").to_string();
                let (status, ct, body) = reply(&target);
                let _ = path;
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

fn client_for(origin: &Url) -> Client {
    let mut o = fast_options();
    o.retry.max_attempts = 2;
    client_at(origin, o)
}

fn proto(e: Error) {
    assert!(matches!(e, Error::Protocol(_)), "expected Protocol, got {e:?}");
}

#[tokio::test]
async fn garbage_everywhere() {
    bounded(30, async {
        let url = garbage_server(|_| (200, "application/xml", "<<<\u{0}not xml }{".into())).await;
        let c = client_for(&url);
        // JSON expected, something else entirely came: not the API at all.
        let e = c.customer().await.unwrap_err();
        assert!(matches!(e, Error::NotTheApi(_)), "expected NotTheApi, got {e:?}");
    })
    .await;
}

#[tokio::test]
async fn malformed_documents() {
    bounded(30, async {
        let url = garbage_server(|t| {
            if t.starts_with("/account/v1/customer") {
                return (200, "application/json", r#"{"username":"u1"}"#.into());
            }
            if t.contains("mode=liststream") {
                // stats lie about the counts
                return (200, "application/xml", "<filetree><folder name=\"x\"><path>/Archive</path></folder><stats><folders>7</folders><files>0</files></stats></filetree>".into());
            }
            if t.starts_with("/jfs/u1/Jotta/Archive/bad-time") {
                return (200, "application/xml", "<file name=\"f\"><currentRevision><state>COMPLETED</state><modified>tuesday</modified></currentRevision></file>".into());
            }
            if t.starts_with("/jfs/u1/Jotta/Archive/weird-root") {
                return (200, "application/xml", "<banana/>".into());
            }
            if t.starts_with("/files/v1/allocate") {
                return (200, "application/json", r#"{"state":"INCOMPLETE"}"#.into());
            }
            if t.starts_with("/jfs/u1/Jotta/Archive/unclosed") {
                return (200, "application/xml", "<folder name=\"a\"><folders>".into());
            }
            (200, "application/xml", "<user><capacity>lots</capacity></user>".into())
        })
        .await;
        let c = client_for(&url);
        proto(c.drive_info().await.unwrap_err());
        let a = archive();
        let mut s = c.list_tree(&a).await.unwrap();
        let mut last = None;
        while let Some(x) = s.next().await {
            last = Some(x);
        }
        proto(last.unwrap().unwrap_err());
        proto(c.stat(&a.join("bad-time").unwrap()).await.unwrap_err());
        proto(c.stat(&a.join("weird-root").unwrap()).await.unwrap_err());
        proto(c.list_folder(&a.join("unclosed").unwrap(), ListMode::Live).await.unwrap_err());
        let req = jottacloud::AllocateRequest {
            path: a.join("x").unwrap(),
            md5: "d41d8cd98f00b204e9800998ecf8427e".into(),
            size: 1,
            created: None,
            modified: None,
        };
        proto(c.allocate(&req).await.unwrap_err());
    })
    .await;
}

#[tokio::test]
async fn error_statuses_are_typed() {
    bounded(30, async {
        let url = garbage_server(|t| {
            if t.starts_with("/account/v1/customer") {
                return (200, "application/json", r#"{"username":"u1"}"#.into());
            }
            if t.contains("/nf") {
                return (404, "application/xml", "<error><code>404</code><message>no.jotta.backup.errors.NoSuchPathException</message><reason>Not Found</reason><cause>x</cause></error>".into());
            }
            if t.contains("/conflict") {
                return (409, "application/xml", "<error><code>409</code><message>no.jotta.backup.errors.UniqueFileException</message></error>".into());
            }
            if t.contains("/locked") {
                return (403, "text/plain", "locked".into());
            }
            if t.contains("/odd") {
                return (460, "text/plain", "over quota, buy more".into());
            }
            (503, "text/plain", "busy".into())
        })
        .await;
        let c = client_for(&url);
        let a = archive();
        let e = c.stat(&a.join("nf").unwrap()).await.unwrap_err();
        assert!(e.is_not_found());
        assert!(e.to_string().contains("NoSuchPathException"), "{e}");
        assert!(matches!(c.stat(&a.join("conflict").unwrap()).await.unwrap_err(), Error::Conflict(_)));
        assert!(matches!(c.stat(&a.join("locked").unwrap()).await.unwrap_err(), Error::Forbidden(_)));
        let e = c.stat(&a.join("odd").unwrap()).await.unwrap_err();
        assert!(matches!(e, Error::QuotaExceeded(_)) && e.to_string().contains("buy more"), "{e}");
        let e = c.stat(&a.join("busy").unwrap()).await.unwrap_err();
        assert!(matches!(e, Error::Server(_)), "{e}");
    })
    .await;
}

static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[tokio::test]
async fn retry_after_is_honoured() {
    bounded(30, async {
        let url = garbage_server(|t| {
            if t.starts_with("/account/v1/customer") {
                return (200, "application/json", r#"{"username":"u1"}"#.into());
            }
            if CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                return (429, "text/plain\r\nRetry-After: 1", "slow down".into());
            }
            (200, "application/xml", "<mountPoint><name>Archive</name></mountPoint>".into())
        })
        .await;
        let c = client_for(&url);
        c.username().await.unwrap();
        let t0 = std::time::Instant::now();
        let l = c.list_folder(&archive(), ListMode::Live).await.unwrap();
        assert!(l.files.is_empty() && l.folders.is_empty());
        assert!(t0.elapsed() >= std::time::Duration::from_millis(900), "{:?}", t0.elapsed());
        assert_eq!(CALLS.load(std::sync::atomic::Ordering::SeqCst), 2);
    })
    .await;
}

/// Deeply nested replies are refused with a protocol error. Before the
/// nesting limit, the element tree of such a reply was dropped recursively
/// and a 2 MB document overflowed the stack (the process aborted).
#[tokio::test]
async fn deeply_nested_replies_are_refused() {
    bounded(60, async {
        fn nested(root: &str) -> String {
            let depth = 300_000;
            format!("<{root} name=\"x\">{}{}</{root}>", "<a>".repeat(depth), "</a>".repeat(depth))
        }
        let url = garbage_server(|t| {
            if t.starts_with("/account/v1/customer") {
                return (200, "application/json", r#"{"username":"u1"}"#.into());
            }
            if t.contains("mode=liststream") {
                return (200, "application/xml", format!("<filetree>{}</filetree>", nested("folder")));
            }
            (200, "application/xml", nested("folder"))
        })
        .await;
        let c = client_for(&url);
        let e = c.list_folder(&archive(), ListMode::Live).await.unwrap_err();
        assert!(matches!(&e, Error::Protocol(m) if m.contains("nested deeper")), "{e:?}");
        let mut s = c.list_tree(&archive()).await.unwrap();
        let e = s.next().await.expect("an item").unwrap_err();
        assert!(matches!(&e, Error::Protocol(m) if m.contains("nested deeper")), "{e:?}");
    })
    .await;
}
