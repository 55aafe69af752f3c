//! Uploads, resume, dedup, quota/locks, persistence, control endpoints, faults.

use std::time::Duration;

use fjordsync_emulator::Config;

use crate::common::*;

#[tokio::test]
async fn allocate_states_and_dedup() {
    bounded(async {
        let t = setup().await;
        // Empty file: COMPLETED at once.
        let a = t.allocate("Jotta/Archive/e/empty.txt", b"").await;
        assert_eq!(a["state"], "COMPLETED");
        assert_eq!(a["path"], format!("/{}/Jotta/Archive/e/empty.txt", t.user));
        let (s, x) = t.get("Jotta/Archive/e/empty.txt").await;
        assert_eq!(s, 200);
        assert_eq!(tag(tag(&x, "currentRevision").unwrap(), "size"), Some("0"));
        // New content: INCOMPLETE, shown as latestRevision only.
        let a = t.allocate("Jotta/Archive/u/f.bin", b"0123456789").await;
        assert_eq!(a["state"], "INCOMPLETE");
        assert_eq!(a["resume_pos"], 0);
        assert_eq!(a["bytes"], 10);
        assert!(a["upload_url"].as_str().unwrap().starts_with(&format!("{}/files/v1/upload/", t.base)));
        let (_, x) = t.get("Jotta/Archive/u/f.bin").await;
        assert!(tag(&x, "currentRevision").is_none());
        let latest = tag(&x, "latestRevision").unwrap();
        assert_eq!(tag(latest, "state"), Some("INCOMPLETE"));
        assert!(tag(latest, "size").is_none());
        // Same path + md5 + size → the same upload.
        let b = t.allocate("Jotta/Archive/u/f.bin", b"0123456789").await;
        assert_eq!(a["upload_id"], b["upload_id"]);
        let up = t.upload("Jotta/Archive/u/f.bin", b"0123456789").await;
        assert_eq!(up["bytes"], 10);
        assert_eq!(up["content_id"].as_str().unwrap(), format!("{}-10", md5_hex(b"0123456789")));
        // Same content again at the path → COMPLETED, no new revision.
        let a = t.allocate("Jotta/Archive/u/f.bin", b"0123456789").await;
        assert_eq!(a["state"], "COMPLETED");
        let (_, x) = t.get("Jotta/Archive/u/f.bin").await;
        assert_eq!(tag(tag(&x, "currentRevision").unwrap(), "number"), Some("1"));
        // Dedup anywhere.
        let a = t.allocate("Jotta/Sync/elsewhere.bin", b"0123456789").await;
        assert_eq!(a["state"], "COMPLETED");
        assert_eq!(&t.download("Jotta/Sync/elsewhere.bin", None).await.bytes().await.unwrap()[..], b"0123456789");
        // Upload URL follows X-Forwarded-*.
        let r = t
            .http
            .post(format!("{}/files/v1/allocate", t.base))
            .bearer_auth(&t.access)
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "api.jottacloud.com")
            .json(&serde_json::json!({"bytes": 3, "md5": md5_hex(b"fwd"), "path": "/jfs/Jotta/Archive/fwd.txt",
                "created": "2020-09-13T14:26:40+02:00", "modified": 1600000000000i64}))
            .send()
            .await
            .unwrap();
        let j: serde_json::Value = r.json().await.unwrap();
        assert!(j["upload_url"].as_str().unwrap().starts_with("https://api.jottacloud.com/files/v1/upload/"), "{j}");
        let s = t.emu.stats();
        assert!(s.uploads_started >= 2 && s.uploads_completed >= 1 && s.bytes_uploaded >= 10);
    })
    .await;
}

#[tokio::test]
async fn upload_errors() {
    bounded(async {
        let t = setup().await;
        let r = t
            .http
            .post(format!("{}/files/v1/upload/nonexistent", t.base))
            .bearer_auth(&t.access)
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(j["error_id"], "NoSuchUploadException");
        assert_eq!(j["code"], 404);
        // Short body → 420, bytes kept.
        let data = b"abcdefghij";
        let a = t.allocate("Jotta/Archive/e.bin", data).await;
        let url = a["upload_url"].as_str().unwrap().to_string();
        let r = t.http.post(&url).bearer_auth(&t.access).body(&data[..4]).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 420);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error_id"], "IncompleteUploadOpenApiException");
        let a2 = t.allocate("Jotta/Archive/e.bin", data).await;
        assert_eq!(a2["resume_pos"], 4);
        // Resume beyond what is held → 416.
        let r = t
            .http
            .post(&url)
            .bearer_auth(&t.access)
            .header("range", "bytes=6-9")
            .body(&data[6..])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 416);
        // Too many bytes → 400.
        let r = t
            .http
            .post(&url)
            .bearer_auth(&t.access)
            .header("range", "bytes=4-12")
            .body(b"efghijXYZ".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Content-Range resume completes it.
        let r = t
            .http
            .post(&url)
            .bearer_auth(&t.access)
            .header("content-range", "bytes 4-9/10")
            .body(&data[4..])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Finished upload id → 404.
        let r = t.http.post(&url).bearer_auth(&t.access).body(&data[..]).send().await.unwrap();
        assert_eq!(r.status(), 404);
        // Wrong md5 → 400 Corrupt, revision CORRUPT.
        let a = t.allocate_raw("Jotta/Archive/c.bin", &md5_hex(b"something else"), 4).await;
        let a: serde_json::Value = a.json().await.unwrap();
        let r =
            t.http.post(a["upload_url"].as_str().unwrap()).bearer_auth(&t.access).body("abcd").send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error_id"], "CorruptUploadOpenApiException");
        let (_, x) = t.get("Jotta/Archive/c.bin").await;
        assert_eq!(tag(tag(&x, "latestRevision").unwrap(), "state"), Some("CORRUPT"));
        // Unauthenticated upload → 401.
        let a = t.allocate("Jotta/Archive/n.bin", b"nnn").await;
        let r = t.http.post(a["upload_url"].as_str().unwrap()).body("nnn").send().await.unwrap();
        assert_eq!(r.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn resume_after_dropped_connection() {
    bounded(async {
        let t = setup().await;
        let data: Vec<u8> = (0..3_158_073u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let a = t.allocate("Jotta/Archive/big/drop.bin", &data).await;
        let url = a["upload_url"].as_str().unwrap().to_string();
        let half = 1_579_036usize;
        let first = bytes::Bytes::copy_from_slice(&data[..half]);
        let stream = futures_util::stream::iter(vec![
            Ok::<bytes::Bytes, std::io::Error>(first),
            Err(std::io::Error::other("client dies")),
        ]);
        let r = t
            .http
            .post(&url)
            .bearer_auth(&t.access)
            .header("content-length", data.len().to_string())
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await;
        assert!(r.is_err() || r.unwrap().status() != 200);
        // The server keeps what arrived; poll (bounded) until it has written it.
        let mut pos = 0;
        for _ in 0..100 {
            let a = t.allocate("Jotta/Archive/big/drop.bin", &data).await;
            assert_eq!(a["upload_id"].as_str().unwrap(), url.rsplit('/').next().unwrap());
            pos = a["resume_pos"].as_u64().unwrap();
            if pos == half as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(pos, half as u64);
        let r = t
            .http
            .post(&url)
            .bearer_auth(&t.access)
            .header("range", format!("bytes={half}-{}", data.len() - 1))
            .body(data[half..].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = t.download("Jotta/Archive/big/drop.bin", None).await;
        assert_eq!(md5_hex(&r.bytes().await.unwrap()), md5_hex(&data));
    })
    .await;
}

#[tokio::test]
async fn quota_and_write_lock() {
    bounded(async {
        let t = start(Config { quota: Some(100), ..Config::default() }).await;
        t.upload("Jotta/Archive/q1", &[1u8; 60]).await;
        let (_, x) = t.get("").await;
        assert_eq!(tag(&x, "capacity"), Some("100"));
        assert_eq!(tag(&x, "usage"), Some("60"));
        let r = t.allocate_raw("Jotta/Archive/q2", &md5_hex(&[2u8; 60]), 60).await;
        assert_eq!(r.status(), 403);
        let (_, x) = t.get("").await;
        assert_eq!(tag(&x, "quota-write-locked"), Some("true"));
        t.emu.set_quota(None);
        let (_, x) = t.get("").await;
        assert_eq!(tag(&x, "capacity"), Some("-1"));
        t.upload("Jotta/Archive/q2", &[2u8; 60]).await;
        // Write lock via the control endpoint.
        let r = t
            .http
            .post(format!("{}/emulator/control", t.base))
            .json(&serde_json::json!({"write_locked": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(tag(&t.get("").await.1, "write-locked"), Some("true"));
        assert_eq!(t.post("Jotta/Archive/x?mkDir=true").await.0, 403);
        assert_eq!(t.post("Jotta/Archive/q1?dl=true").await.0, 403);
        assert_eq!(t.allocate_raw("Jotta/Archive/q3", &md5_hex(b"z"), 1).await.status(), 403);
        let c: serde_json::Value = t.api_get("/account/v1/customer").await.json().await.unwrap();
        assert_eq!(c["write_locked"], true);
        // Reads still work.
        assert_eq!(t.get("Jotta/Archive/q1").await.0, 200);
        t.emu.set_write_locked(false);
        assert_eq!(t.post("Jotta/Archive/x?mkDir=true").await.0, 200);
        // Quota via control with null removal.
        let r = t
            .http
            .post(format!("{}/emulator/control", t.base))
            .json(&serde_json::json!({"quota": 10}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["quota"], 10);
        let r = t
            .http
            .post(format!("{}/emulator/control", t.base))
            .json(&serde_json::json!({"quota": null}))
            .send()
            .await
            .unwrap();
        assert!(r.json::<serde_json::Value>().await.unwrap()["quota"].is_null());
    })
    .await;
}

#[tokio::test]
async fn faults_control_and_log() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("req.log");
        let t = start(Config { log: Some(log.clone()), ..Config::default() }).await;
        t.emu.set_faults(1.0, 0.0, Duration::ZERO);
        let (s, _) = t.get("").await;
        assert!(s == 429 || s == 503, "{s}");
        // Never on /emulator/.
        let r = t.http.get(format!("{}/emulator/stats", t.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let stats: serde_json::Value = r.json().await.unwrap();
        assert!(stats["requests_by_group"]["jfs"].as_u64().unwrap() >= 1);
        assert!(stats["token_grants"]["password"].as_u64().unwrap() >= 1);
        t.http
            .post(format!("{}/emulator/control", t.base))
            .json(&serde_json::json!({"fail_rate": 0.0, "latency_ms": 0, "reset_rate": 1.0}))
            .send()
            .await
            .unwrap();
        // A reset download: the body breaks off.
        t.emu.set_faults(0.0, 0.0, Duration::ZERO);
        let data = vec![7u8; 2_000_000];
        t.upload("Jotta/Archive/r.bin", &data).await;
        t.emu.set_faults(0.0, 1.0, Duration::ZERO);
        let r = t.download("Jotta/Archive/r.bin", None).await;
        assert!(r.bytes().await.is_err());
        t.emu.set_faults(0.0, 0.0, Duration::from_millis(50));
        let started = std::time::Instant::now();
        assert_eq!(t.get("").await.0, 200);
        assert!(started.elapsed() >= Duration::from_millis(50));
        t.emu.set_faults(0.0, 0.0, Duration::ZERO);
        // Expire access tokens through the control endpoint.
        t.http
            .post(format!("{}/emulator/control", t.base))
            .json(&serde_json::json!({"expire_access_tokens": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(t.get("").await.0, 401);
        let text = std::fs::read_to_string(&log).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        for k in ["time", "method", "path", "query", "status", "duration_ms", "bytes"] {
            assert!(first.get(k).is_some(), "{k}");
        }
    })
    .await;
}

#[tokio::test]
async fn state_dir_survives_restart() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config { state_dir: Some(dir.path().to_path_buf()), ..Config::default() };
        let t = start(cfg.clone()).await;
        t.upload("Jotta/Archive/keep/me.txt", b"persisted").await;
        t.allocate("Jotta/Archive/keep/partial.bin", b"partial content").await;
        let user = t.user.clone();
        let pw = t.emu.password();
        let refresh = t.refresh.clone();
        t.emu.shutdown().await;
        let emu = fjordsync_emulator::Emulator::start(cfg).await.unwrap();
        assert_eq!(emu.username(), user);
        assert_eq!(emu.password(), pw);
        let http = client();
        // The old refresh token still works after the restart.
        let r = http
            .post(format!("{}/auth/realms/jottacloud/protocol/openid-connect/token", emu.base_url()))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("client_id", "jottacli")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let at = r.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
        let r = http
            .get(format!("{}/jfs/{user}/Jotta/Archive/keep/me.txt?mode=bin", emu.base_url()))
            .bearer_auth(&at)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(&r.bytes().await.unwrap()[..], b"persisted");
        let x = http
            .get(format!("{}/jfs/{user}/Jotta/Archive/keep/partial.bin", emu.base_url()))
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(x.contains("INCOMPLETE"));
        emu.shutdown().await;
    })
    .await;
}
