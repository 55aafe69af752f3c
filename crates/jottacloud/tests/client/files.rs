use std::time::Duration;

use futures_util::StreamExt;
use jottacloud::names::encode_name;
use jottacloud::{CpHash, DownloadOptions, Entry, Error, ListMode, RemotePath, TreeEntry, UploadOptions};

use crate::common::*;

#[tokio::test]
async fn account_devices_mountpoints() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let cust = c.customer().await.unwrap();
        assert_eq!(cust.username, env.emu.username());
        assert_eq!(c.username().await.unwrap(), env.emu.username());
        let drive = c.drive_info().await.unwrap();
        assert_eq!(drive.username, env.emu.username());
        assert!(drive.devices.iter().any(|d| d.name == "Jotta"));
        let jotta = c.device("Jotta").await.unwrap();
        assert!(jotta.mountpoints.iter().any(|m| m.name == "Archive"));
        let dev = c.create_device("fjord-box").await.unwrap();
        assert_eq!(dev.name, "fjord-box");
        let mp = c.create_mountpoint("fjord-box", "set one").await.unwrap();
        assert_eq!(mp.name, "set one");
        let dev = c.device("fjord-box").await.unwrap();
        assert!(dev.mountpoints.iter().any(|m| m.name == "set one"));
        assert!(matches!(c.create_mountpoint("Jotta", "x").await, Err(Error::InvalidArgument(_))));
        // Files on the custom mountpoint work like anywhere else.
        let dir = tempfile::tempdir().unwrap();
        let local = write_temp(&dir, "a.txt", b"hello device");
        let remote = RemotePath::new("fjord-box", "set one").unwrap().join("a.txt").unwrap();
        c.upload_file(&local, &remote, &UploadOptions::default()).await.unwrap();
        assert_eq!(c.file_info(&remote).await.unwrap().size, 12);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn upload_list_download_copy_move_delete() {
    bounded(90, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let data = content(300_000, 1);
        let local = write_temp(&dir, "big.bin", &data);
        let folder = archive().join_path("docs/2024").unwrap();
        c.mkdir(&folder).await.unwrap();
        c.mkdir(&folder).await.unwrap(); // idempotent
        let remote = folder.join("big.bin").unwrap();
        let t = jiff::Timestamp::from_second(1_600_000_000).unwrap();
        let out = c.upload_file(&local, &remote, &UploadOptions { created: None, modified: Some(t) }).await.unwrap();
        assert!(!out.deduplicated);
        assert_eq!(out.bytes_sent, data.len() as u64);
        assert_eq!(out.file.md5, md5_hex(&data));
        assert_eq!(out.file.modified, Some(t));

        // listing, stat
        let l = c.list_folder(&folder, ListMode::Live).await.unwrap();
        assert_eq!(l.files.len(), 1);
        assert_eq!(l.files[0].name, "big.bin");
        assert!(matches!(c.stat(&folder).await.unwrap(), Entry::Folder(_)));
        assert!(matches!(c.stat(&archive()).await.unwrap(), Entry::MountPoint(_)));
        assert!(matches!(c.stat(&remote).await.unwrap(), Entry::File(_)));
        assert!(c.stat(&folder.join("nope").unwrap()).await.unwrap_err().is_not_found());

        // download whole / range / to file
        assert_eq!(read_all(c, &remote, DownloadOptions::default()).await, data);
        let part = read_all(c, &remote, DownloadOptions { start: 1000, end: Some(1999), revision: None }).await;
        assert_eq!(part, &data[1000..2000]);
        let tail = read_all(c, &remote, DownloadOptions { start: 299_990, end: None, revision: None }).await;
        assert_eq!(tail, &data[299_990..]);
        let target = dir.path().join("back.bin");
        c.download_to_file(&remote, &target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), data);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temp files left");

        // names that need escaping and mapping
        let odd_local = b"a+b c#d%41e'f\\g?.txt";
        let odd = archive().join_path("odd + dir #1").unwrap().join_local(odd_local).unwrap();
        assert_eq!(odd.name(), encode_name(odd_local));
        let small = write_temp(&dir, "small.txt", b"small");
        c.upload_file(&small, &odd, &UploadOptions::default()).await.unwrap();
        let l = c.list_folder(&odd.parent().unwrap(), ListMode::Live).await.unwrap();
        assert_eq!(l.files[0].name, encode_name(odd_local));
        assert_eq!(read_all(c, &odd, DownloadOptions::default()).await, b"small");

        // copy and move files
        let copy = archive().join_path("copies/c+opy #1.bin").unwrap();
        let ci = c.copy_file(&remote, &copy).await.unwrap();
        assert_eq!(ci.md5, md5_hex(&data));
        let moved = archive().join_path("moved/m%v.bin").unwrap();
        c.move_file(&copy, &moved).await.unwrap();
        assert!(c.file_info(&copy).await.unwrap_err().is_not_found());
        assert_eq!(c.file_info(&moved).await.unwrap().size, data.len() as u64);

        // move a folder with + and # in both names
        let src = archive().join_path("odd + dir #1").unwrap();
        let dst = archive().join_path("renamed+dir #2").unwrap();
        c.move_folder(&src, &dst).await.unwrap();
        let l = c.list_folder(&dst, ListMode::Live).await.unwrap();
        assert_eq!(l.files.len(), 1);
        assert!(c.list_folder(&src, ListMode::Live).await.unwrap_err().is_not_found());

        // recursive listing
        let mut s = c.list_tree(&archive()).await.unwrap();
        let mut entries = Vec::new();
        while let Some(e) = s.next().await {
            entries.push(e.unwrap());
        }
        let files: Vec<String> =
            entries.iter().filter(|e| matches!(e, TreeEntry::File { .. })).map(|e| e.path().join("/")).collect();
        assert!(files.contains(&"docs/2024/big.bin".to_string()), "{files:?}");
        assert!(files.contains(&"moved/m%v.bin".to_string()), "{files:?}");
        assert!(files.contains(&format!("renamed+dir #2/{}", encode_name(odd_local))), "{files:?}");
        assert!(entries.iter().any(|e| matches!(e, TreeEntry::Folder { path } if path == &["docs"])));
        let sub: Vec<_> = c.list_tree(&folder).await.unwrap().collect::<Vec<_>>().await;
        assert_eq!(sub.len(), 1);
        assert!(
            matches!(&sub[0], Ok(TreeEntry::File { path, md5, .. }) if path == &["big.bin"] && *md5 == md5_hex(&data))
        );

        // cphash: set times without upload
        let t2 = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let f = c
            .cphash(
                &remote,
                &CpHash { md5: md5_hex(&data), size: data.len() as u64, created: Some(t2), modified: Some(t2) },
            )
            .await
            .unwrap();
        assert_eq!(f.modified, Some(t2));
        let unknown = CpHash { md5: "0123456789abcdef0123456789abcdef".into(), size: 3, created: None, modified: None };
        assert!(c.cphash(&archive().join("x").unwrap(), &unknown).await.unwrap_err().is_not_found());

        // delete to trash, trashed-only listing, restore, hard delete
        c.delete_file(&remote, false).await.unwrap();
        assert!(c.list_folder(&folder, ListMode::Live).await.unwrap().files.is_empty());
        let tr = c.list_folder(&folder, ListMode::TrashedOnly).await.unwrap();
        assert_eq!(tr.files.len(), 1);
        assert!(tr.files[0].is_deleted());
        let trash = c.list_trash().await.unwrap();
        let item = trash.iter().find(|t| t.name == "big.bin").expect("in trash");
        assert_eq!(item.original_path.as_ref().unwrap(), &remote);
        c.restore(&remote).await.unwrap();
        assert_eq!(c.list_folder(&folder, ListMode::Live).await.unwrap().files.len(), 1);
        c.delete_file(&remote, true).await.unwrap();
        assert!(c.stat(&remote).await.unwrap_err().is_not_found());
        assert!(c.delete_file(&remote, true).await.unwrap_err().is_not_found());

        // folder to trash, restore (restore=true fallback), then empty trash
        let docs = archive().join("docs").unwrap();
        c.delete_folder(&docs, false).await.unwrap();
        assert!(c.list_folder(&docs, ListMode::Live).await.unwrap_err().is_not_found());
        match c.restore(&docs).await {
            Ok(()) => assert!(c.list_folder(&docs, ListMode::Live).await.is_ok()),
            Err(e) => eprintln!("folder restore via restore=true unsupported here: {e}"),
        }
        c.delete_folder(&docs, false).await.unwrap();
        let purged = c.empty_trash().await.unwrap();
        assert!(purged.folders + purged.files >= 1, "{purged:?}");
        assert!(c.list_trash().await.unwrap().iter().all(|t| t.name != "docs"));
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn dedup_sends_no_bytes() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let data = content(100_000, 2);
        let local = write_temp(&dir, "d.bin", &data);
        let first =
            c.upload_file(&local, &archive().join("one.bin").unwrap(), &UploadOptions::default()).await.unwrap();
        assert_eq!(first.bytes_sent, 100_000);
        let before = env.emu.stats().bytes_uploaded;
        let second =
            c.upload_file(&local, &archive().join("two.bin").unwrap(), &UploadOptions::default()).await.unwrap();
        assert!(second.deduplicated);
        assert_eq!(second.bytes_sent, 0);
        assert_eq!(env.emu.stats().bytes_uploaded, before);
        // the same path again: also COMPLETED
        let third =
            c.upload_file(&local, &archive().join("one.bin").unwrap(), &UploadOptions::default()).await.unwrap();
        assert!(third.deduplicated);
        // empty file
        let empty = write_temp(&dir, "empty", b"");
        let e = c.upload_file(&empty, &archive().join("empty").unwrap(), &UploadOptions::default()).await.unwrap();
        assert_eq!((e.bytes_sent, e.file.size), (0, 0));
        let target = dir.path().join("empty.back");
        c.download_to_file(&archive().join("empty").unwrap(), &target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap().len(), 0);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn resume_after_cut_connection() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let data = content(400_000, 3);
        let local = write_temp(&dir, "r.bin", &data);
        let remote = archive().join("resume.bin").unwrap();
        let req = jottacloud::AllocateRequest {
            path: remote.clone(),
            md5: md5_hex(&data),
            size: data.len() as u64,
            created: None,
            modified: Some(jiff::Timestamp::from_second(1_650_000_000).unwrap()),
        };
        let alloc = c.allocate(&req).await.unwrap();
        assert!(!alloc.completed);
        assert_eq!(alloc.resume_pos, 0);
        // Send half, then cut the body.
        let half = bytes::Bytes::copy_from_slice(&data[..200_000]);
        // Let the first half reach the server before cutting the body.
        let cut = futures_util::stream::iter(vec![Ok(half)]).chain(futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut"))
        }));
        assert!(c.upload_body(&alloc, cut).await.is_err());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let again = c.allocate(&req).await.unwrap();
        assert!(again.resume_pos > 0 && again.resume_pos <= 200_000, "resume_pos {}", again.resume_pos);
        let out =
            c.upload_file(&local, &remote, &UploadOptions { created: None, modified: req.modified }).await.unwrap();
        assert_eq!(out.bytes_sent, data.len() as u64 - again.resume_pos);
        assert_eq!(out.file.md5, md5_hex(&data));
        assert_eq!(read_all(c, &remote, DownloadOptions::default()).await, data);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn uploads_survive_resets_and_faults() {
    bounded(120, async {
        let env = start().await;
        let c = &env.client;
        c.username().await.unwrap();
        env.emu.set_faults(0.05, 0.05, Duration::from_millis(2));
        let dir = tempfile::tempdir().unwrap();
        let base = archive().join("faulty").unwrap();
        c.mkdir(&base).await.unwrap();
        let mut expect = Vec::new();
        for i in 0..6u8 {
            let data = content(50_000 + i as usize * 1000, 10 + i);
            let local = write_temp(&dir, &format!("f{i}"), &data);
            let remote = base.join(&format!("f{i}.bin")).unwrap();
            let out = c.upload_file(&local, &remote, &UploadOptions::default()).await.unwrap();
            assert_eq!(out.file.md5, md5_hex(&data));
            expect.push((remote, data));
        }
        for _ in 0..3 {
            let l = c.list_folder(&base, ListMode::Live).await.unwrap();
            assert_eq!(l.files.len(), 6);
        }
        env.emu.set_faults(0.05, 0.0, Duration::from_millis(2));
        let tree: Vec<_> = c.list_tree(&base).await.unwrap().collect::<Vec<_>>().await;
        assert_eq!(tree.len(), 6);
        // Downloads cut halfway resume with a Range request.
        env.emu.set_faults(0.0, 0.3, Duration::ZERO);
        for (remote, data) in &expect {
            let target = dir.path().join("dl");
            c.download_to_file(remote, &target).await.unwrap();
            assert_eq!(&std::fs::read(&target).unwrap(), data);
        }
        env.emu.set_faults(0.05, 0.0, Duration::from_millis(2));
        // Faults are random: keep listing (results must stay right) until at
        // least one was injected, so the test never passes vacuously.
        for _ in 0..500 {
            if env.emu.stats().faults_injected > 0 {
                break;
            }
            assert_eq!(c.list_folder(&base, ListMode::Live).await.unwrap().files.len(), 6);
        }
        assert!(env.emu.stats().faults_injected > 0);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn revisions_download_and_restore() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let remote = archive().join("versioned.txt").unwrap();
        let v1 = b"version one".to_vec();
        let v2 = b"version two, longer".to_vec();
        c.upload_file(&write_temp(&dir, "v1", &v1), &remote, &UploadOptions::default()).await.unwrap();
        c.upload_file(&write_temp(&dir, "v2", &v2), &remote, &UploadOptions::default()).await.unwrap();
        let revs = c.revisions(&remote).await.unwrap();
        assert!(revs.len() >= 2, "{revs:?}");
        assert!(revs[0].current);
        assert_eq!(revs[0].md5.as_deref(), Some(md5_hex(&v2).as_str()));
        let old = revs.iter().find(|r| r.md5.as_deref() == Some(md5_hex(&v1).as_str())).unwrap();
        let got = read_all(c, &remote, DownloadOptions { revision: Some(old.number), ..Default::default() }).await;
        assert_eq!(got, v1);
        let target = dir.path().join("old");
        c.download_revision_to_file(&remote, &target, Some(old.number), &md5_hex(&v1), v1.len() as u64).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), v1);
        let now = c.restore_revision(&remote, old.number).await.unwrap();
        assert_eq!(now.md5, md5_hex(&v1));
        assert_eq!(read_all(c, &remote, DownloadOptions::default()).await, v1);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn case_collisions_bad_names_locks_and_quota() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let a = write_temp(&dir, "a", b"first");
        let b = write_temp(&dir, "b", b"second!");
        c.upload_file(&a, &archive().join("Hello.txt").unwrap(), &UploadOptions::default()).await.unwrap();
        c.upload_file(&b, &archive().join("hello.TXT").unwrap(), &UploadOptions::default()).await.unwrap();
        let l = c.list_folder(&archive(), ListMode::Live).await.unwrap();
        let hellos: Vec<_> = l.files.iter().filter(|f| f.name.eq_ignore_ascii_case("hello.txt")).collect();
        assert_eq!(hellos.len(), 1, "case-insensitive: one file");
        assert_eq!(hellos[0].name, "Hello.txt", "first casing kept");
        assert_eq!(hellos[0].size, 7);
        // file vs folder with the same name (any case)
        c.mkdir(&archive().join("Dir").unwrap()).await.unwrap();
        let e = c.upload_file(&a, &archive().join("dir").unwrap(), &UploadOptions::default()).await.unwrap_err();
        assert!(matches!(e, Error::Conflict(_)), "{e}");
        // names refused client-side, error names the file
        assert!(matches!(archive().join("a:b"), Err(Error::InvalidName { .. })));
        let long = "x".repeat(256);
        let e = archive().join(&long).unwrap_err();
        assert!(e.to_string().contains(&long[..50]));
        // write lock and quota refuse uploads without retries
        let big = write_temp(&dir, "big", &content(10_000, 9));
        env.emu.set_write_locked(true);
        let e =
            c.upload_file(&big, &archive().join("locked.bin").unwrap(), &UploadOptions::default()).await.unwrap_err();
        assert!(matches!(e, Error::Forbidden(_) | Error::QuotaExceeded(_)), "{e}");
        assert!(c.drive_info().await.unwrap().write_locked);
        env.emu.set_write_locked(false);
        env.emu.set_quota(Some(1000));
        let e =
            c.upload_file(&big, &archive().join("quota.bin").unwrap(), &UploadOptions::default()).await.unwrap_err();
        assert!(matches!(e, Error::QuotaExceeded(_) | Error::Forbidden(_)), "{e}");
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn share_links() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let remote = archive().join("shared file.txt").unwrap();
        c.upload_file(&write_temp(&dir, "s", b"public data"), &remote, &UploadOptions::default()).await.unwrap();
        let link = c.enable_share(&remote).await.unwrap();
        assert!(!link.public_uri.is_empty());
        let path = link.direct_url.path().to_string();
        assert!(path.starts_with(&format!("/opin/io/downloadPublic/{}/", env.emu.username())), "{path}");
        let body = reqwest::get(link.direct_url.clone()).await.unwrap();
        assert!(body.status().is_success());
        assert_eq!(body.bytes().await.unwrap().as_ref(), b"public data");
        c.disable_share(&remote).await.unwrap();
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn copy_onto_trashed_file_is_restored() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let src = archive().join("src.txt").unwrap();
        let dst = archive().join("dst.txt").unwrap();
        c.upload_file(&write_temp(&dir, "s", b"source"), &src, &UploadOptions::default()).await.unwrap();
        c.upload_file(&write_temp(&dir, "d", b"old dst"), &dst, &UploadOptions::default()).await.unwrap();
        c.delete_file(&dst, false).await.unwrap();
        let f = c.copy_file(&src, &dst).await.unwrap();
        assert!(!f.is_deleted());
        let l = c.list_folder(&archive(), ListMode::Live).await.unwrap();
        assert!(l.files.iter().any(|f| f.name == "dst.txt"));
        assert_eq!(read_all(c, &dst, DownloadOptions::default()).await, b"source");
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn liststream_of_a_larger_tree() {
    bounded(90, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let local = write_temp(&dir, "x", b"same content everywhere");
        let root = archive().join("tree").unwrap();
        let mut want = std::collections::BTreeSet::new();
        for d in 0..10 {
            for f in 0..15 {
                let rel = format!("d{d}/sub {}/f{f}.txt", d % 3);
                c.upload_file(&local, &root.join_path(&rel).unwrap(), &UploadOptions::default()).await.unwrap();
                want.insert(rel);
            }
        }
        c.mkdir(&root.join_path("empty/deeper").unwrap()).await.unwrap();
        let mut files = std::collections::BTreeSet::new();
        let mut folders = std::collections::BTreeSet::new();
        let mut s = c.list_tree(&root).await.unwrap();
        while let Some(e) = s.next().await {
            match e.unwrap() {
                TreeEntry::File { path, size, .. } => {
                    assert_eq!(size, 23);
                    files.insert(path.join("/"));
                }
                TreeEntry::Folder { path } => {
                    folders.insert(path.join("/"));
                }
            }
        }
        assert_eq!(files, want);
        assert!(folders.contains("empty/deeper") && folders.contains("d9/sub 0"), "{folders:?}");
        assert_eq!(folders.len(), 10 + 10 + 2);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_listing_fingerprint_moves_only_when_the_tree_does() {
    bounded(90, async {
        let env = start().await;
        let c = &env.client;
        let dir = tempfile::tempdir().unwrap();
        let root = archive().join("watched").unwrap();
        assert_eq!(c.list_tree_fingerprint(&root).await.unwrap(), None, "no such folder yet");
        let a = write_temp(&dir, "a", b"first");
        c.upload_file(&a, &root.join_path("d/a.txt").unwrap(), &UploadOptions::default()).await.unwrap();
        let first = c.list_tree_fingerprint(&root).await.unwrap().expect("listed");
        assert_eq!(c.list_tree_fingerprint(&root).await.unwrap(), Some(first), "the same tree, the same fingerprint");
        let b = write_temp(&dir, "b", b"second");
        c.upload_file(&b, &root.join_path("d/a.txt").unwrap(), &UploadOptions::default()).await.unwrap();
        let changed = c.list_tree_fingerprint(&root).await.unwrap().unwrap();
        assert_ne!(changed, first, "new content");
        c.mkdir(&root.join_path("empty").unwrap()).await.unwrap();
        assert_ne!(c.list_tree_fingerprint(&root).await.unwrap().unwrap(), changed, "a new folder");
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_known_username_saves_the_customer_lookup() {
    bounded(60, async {
        let env = start().await;
        let c = &env.client;
        c.assume_username(&env.emu.username());
        let api_before = env.emu.stats().requests_by_group.get("api").copied().unwrap_or(0);
        let listing = c.list_folder(&archive(), ListMode::Live).await.unwrap();
        assert!(listing.files.is_empty());
        assert_eq!(c.username().await.unwrap(), env.emu.username());
        let api_after = env.emu.stats().requests_by_group.get("api").copied().unwrap_or(0);
        assert_eq!(api_after, api_before, "no customer lookup before the listing");
        // Known already: a later hint changes nothing.
        c.assume_username("someone-else");
        assert_eq!(c.username().await.unwrap(), env.emu.username());
        env.emu.shutdown().await;
    })
    .await;
}
