//! `Client::upload`, the one allocate/resume path: what it asks of an
//! `UploadSource`, and how many requests a busy service costs.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use jottacloud::{AllocateRequest, BytesSource, DownloadOptions, UploadBody, UploadSource};

use crate::common::{archive, bounded, content, md5_hex, read_all, start};

/// Bytes in memory that note every offset they are read from.
struct Noting {
    data: Bytes,
    asked: Mutex<Vec<u64>>,
}

impl UploadSource for Noting {
    fn read_from(&self, offset: u64) -> BoxFuture<'_, jottacloud::Result<UploadBody>> {
        self.asked.lock().unwrap().push(offset);
        let rest = self.data.slice(offset as usize..);
        Box::pin(async move { Ok(Box::pin(futures_util::stream::iter([Ok(rest)])) as UploadBody) })
    }
}

#[tokio::test]
async fn an_upload_reads_its_source_from_where_the_service_stopped() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let data = content(400_000, 7);
        let req = AllocateRequest {
            path: archive().join("src.bin").unwrap(),
            md5: md5_hex(&data),
            size: data.len() as u64,
            created: None,
            modified: None,
        };
        // An earlier upload sent half, then broke off.
        let alloc = c.allocate(&req).await.unwrap();
        let half = Bytes::copy_from_slice(&data[..200_000]);
        let cut = futures_util::stream::iter(vec![Ok(half)]).chain(futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut"))
        }));
        assert!(c.upload_body(&alloc, cut).await.is_err());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let held = c.allocate(&req).await.unwrap().resume_pos;
        assert!(held > 0);

        let source = Noting { data: Bytes::from(data.clone()), asked: Mutex::default() };
        let up = c.upload(&req, &source).await.unwrap();
        assert_eq!(*source.asked.lock().unwrap(), vec![held], "read once, from what the service held");
        assert_eq!((up.resumed_from, up.bytes_sent, up.deduplicated), (held, data.len() as u64 - held, false));
        assert_eq!(read_all(c, &req.path, DownloadOptions::default()).await, data);

        // The same content elsewhere: allocate says "completed", nothing is read.
        let again = Noting { data: Bytes::from(data.clone()), asked: Mutex::default() };
        let copy = AllocateRequest { path: archive().join("copy.bin").unwrap(), ..req.clone() };
        let up = c.upload(&copy, &again).await.unwrap();
        assert!(up.deduplicated && up.bytes_sent == 0, "{up:?}");
        assert!(again.asked.lock().unwrap().is_empty());
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_busy_service_costs_one_allocate_per_round() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let data = content(1000, 8);
        let req = AllocateRequest {
            path: archive().join("busy.bin").unwrap(),
            md5: md5_hex(&data),
            size: data.len() as u64,
            created: None,
            modified: None,
        };
        c.mkdir(&archive()).await.unwrap();
        env.emu.set_faults(1.0, 0.0, Duration::ZERO);
        let e = c.upload(&req, &BytesSource::new(vec![Bytes::from(data)])).await.unwrap_err();
        env.emu.set_faults(0.0, 0.0, Duration::ZERO);
        assert_eq!(e.retry(), jottacloud::Retry::Refused, "{e:?}");
        // Each round's allocate is sent once: the rounds are the retries.
        let rounds = u64::from(crate::common::fast_options().upload_attempts);
        assert_eq!(env.emu.stats().faults_injected, rounds);
        env.emu.shutdown().await;
    })
    .await;
}
