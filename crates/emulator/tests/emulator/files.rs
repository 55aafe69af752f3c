//! JFS: account/device XML, folders, listings, liststream, downloads, copy/move,
//! cphash, trash, sharing, names.

use crate::common::*;

#[tokio::test]
async fn user_device_and_mountpoints() {
    bounded(async {
        let t = setup().await;
        let (s, x) = t.get("").await;
        assert_eq!(s, 200);
        assert!(x.starts_with("<?xml"));
        assert_eq!(tag(&x, "username"), Some(t.user.as_str()));
        assert_eq!(tag(&x, "capacity"), Some("-1"));
        assert_eq!(tag(&x, "write-locked"), Some("false"));
        let (s, x) = t.get("Jotta").await;
        assert_eq!(s, 200);
        for m in ["Archive", "Shared", "Sync"] {
            assert!(x.contains(&format!("<name xml:space=\"preserve\">{m}</name>")), "{m}");
        }
        assert_eq!(tag(&x, "type"), Some("JOTTA"));
        // Case-insensitive device/mountpoint names.
        assert_eq!(t.get("jotta/archive").await.0, 200);
        // Custom mountpoints on Jotta are refused; a new device takes them.
        assert_eq!(t.post("Jotta/Custom").await.0, 403);
        let (s, x) = t.post("rclone-box?type=WORKSTATION").await;
        assert_eq!(s, 200);
        assert_eq!(tag(&x, "type"), Some("WORKSTATION"));
        let (s, x) = t.post("rclone-box/backup-set-1").await;
        assert_eq!(s, 200);
        assert!(x.contains("<mountPoint"));
        t.upload("rclone-box/backup-set-1/f.txt", b"x").await;
        assert!(t.get("rclone-box").await.1.contains("backup-set-1"));
        assert_eq!(t.get("nodevice").await.0, 404);
        // Another user's tree.
        let r = t.http.get(format!("{}/jfs/someoneelse", t.base)).bearer_auth(&t.access).send().await.unwrap();
        assert_eq!(r.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn mkdir_parents_idempotent_and_conflicts() {
    bounded(async {
        let t = setup().await;
        let (s, x) = t.post("Jotta/Archive/a/b/c?mkDir=true").await;
        assert_eq!(s, 200);
        assert!(x.contains("<folder name=\"c\""));
        assert_eq!(tag(&x, "path"), Some(format!("/{}/Jotta/Archive/a/b", t.user).as_str()));
        assert_eq!(t.post("Jotta/Archive/a/b/c?mkDir=true").await.0, 200);
        assert_eq!(t.post("Jotta/Archive/A/B?mkDir=true").await.0, 200);
        let (_, x) = t.get("Jotta/Archive/a").await;
        assert!(x.contains("<folder name=\"b\"/>"));
        t.upload("Jotta/Archive/a/file", b"data").await;
        assert_eq!(t.post("Jotta/Archive/a/file?mkDir=true").await.0, 409);
        assert_eq!(t.post("Jotta/Archive/a/FILE/sub?mkDir=true").await.0, 409);
        // Upload onto a folder name → 409.
        let r = t.allocate_raw("Jotta/Archive/a/b", &md5_hex(b"zz"), 2).await;
        assert_eq!(r.status(), 409);
        assert_eq!(t.get("Jotta/Archive/missing").await.0, 404);
        let (s, x) = t.get("Jotta/Archive/missing").await;
        assert_eq!(s, 404);
        assert!(x.contains("<code>404</code>") && x.contains("NoSuchPathException"));
        // mkDir brings back a trashed folder (but not its other trashed children).
        t.upload("Jotta/Archive/t/keep.txt", b"k").await;
        assert_eq!(t.post("Jotta/Archive/t?dlDir=true").await.0, 200);
        let (_, x) = t.get("Jotta/Archive/t").await;
        assert!(x.contains("deleted=\""));
        assert_eq!(t.post("Jotta/Archive/t/new?mkDir=true").await.0, 200);
        let (_, x) = t.get("Jotta/Archive/t").await;
        assert!(!x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<folder name=\"t\" deleted"));
        assert!(x.contains("<file name=\"keep.txt\"") && x.contains("deleted="));
    })
    .await;
}

#[tokio::test]
async fn file_metadata_revisions_and_download() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/docs/cat.jpg", b"version one").await;
        let up = t.upload("Jotta/Archive/docs/cat.jpg", b"version two!").await;
        assert_eq!(up["md5"], md5_hex(b"version two!"));
        assert!(up["modified"].is_i64());
        let (s, x) = t.get("Jotta/Archive/docs/cat.jpg").await;
        assert_eq!(s, 200);
        assert!(x.contains("<file name=\"cat.jpg\" uuid="));
        let cur = tag(&x, "currentRevision").unwrap();
        assert_eq!(tag(cur, "number"), Some("2"));
        assert_eq!(tag(cur, "state"), Some("COMPLETED"));
        assert_eq!(tag(cur, "size"), Some("12"));
        assert_eq!(tag(cur, "mime"), Some("image/jpeg"));
        assert_eq!(tag(cur, "created"), Some("2023-06-01-T12:00:00Z"));
        let revs = tag(&x, "revisions").unwrap();
        assert_eq!(tag(revs, "number"), Some("1"));
        let r = t.download("Jotta/Archive/docs/cat.jpg", None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["accept-ranges"], "bytes");
        assert_eq!(r.headers()["etag"], format!("\"{}\"", md5_hex(b"version two!")));
        assert!(r.headers()["last-modified"].to_str().unwrap().ends_with("GMT"));
        assert_eq!(&r.bytes().await.unwrap()[..], b"version two!");
        let r = t
            .http
            .get(format!("{}?mode=bin&revision=1", t.jfs("Jotta/Archive/docs/cat.jpg")))
            .bearer_auth(&t.access)
            .send()
            .await
            .unwrap();
        assert_eq!(&r.bytes().await.unwrap()[..], b"version one");
        let r = t
            .http
            .get(format!("{}?mode=bin&revision=9", t.jfs("Jotta/Archive/docs/cat.jpg")))
            .bearer_auth(&t.access)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(t.download("Jotta/Archive/docs", None).await.status(), 400);
        // Restoring an old revision by a dedup allocate.
        let a = t.allocate("Jotta/Archive/docs/cat.jpg", b"version one").await;
        assert_eq!(a["state"], "COMPLETED");
        let (_, x) = t.get("Jotta/Archive/docs/cat.jpg").await;
        assert_eq!(tag(tag(&x, "currentRevision").unwrap(), "number"), Some("3"));
        // Folder listing shows the file and its folder.
        let (_, x) = t.get("Jotta/Archive/docs").await;
        assert!(x.contains("<folder name=\"docs\""));
        assert!(x.contains("<files><file name=\"cat.jpg\""));
        let (_, x) = t.get("Jotta/Archive").await;
        assert!(x.contains("<mountPoint"));
        assert!(x.contains("<folders><folder name=\"docs\"/></folders>"));
    })
    .await;
}

#[tokio::test]
async fn ranges() {
    bounded(async {
        let t = setup().await;
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        t.upload("Jotta/Archive/r.bin", &data).await;
        let r = t.download("Jotta/Archive/r.bin", Some("bytes=10-19")).await;
        assert_eq!(r.status(), 206);
        assert_eq!(r.headers()["content-range"], "bytes 10-19/1000");
        assert_eq!(r.headers()["content-length"], "10");
        assert_eq!(&r.bytes().await.unwrap()[..], &data[10..20]);
        let r = t.download("Jotta/Archive/r.bin", Some("bytes=990-")).await;
        assert_eq!(r.status(), 206);
        assert_eq!(&r.bytes().await.unwrap()[..], &data[990..]);
        let r = t.download("Jotta/Archive/r.bin", Some("bytes=-5")).await;
        assert_eq!(r.headers()["content-range"], "bytes 995-999/1000");
        assert_eq!(&r.bytes().await.unwrap()[..], &data[995..]);
        let r = t.download("Jotta/Archive/r.bin", Some("bytes=900-5000")).await;
        assert_eq!(r.headers()["content-range"], "bytes 900-999/1000");
        assert_eq!(t.download("Jotta/Archive/r.bin", Some("bytes=1000-")).await.status(), 416);
        assert_eq!(t.download("Jotta/Archive/r.bin", Some("bytes=5000-6000")).await.status(), 416);
        t.upload("Jotta/Archive/empty", b"").await;
        let r = t.download("Jotta/Archive/empty", Some("bytes=0-")).await;
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn liststream_shape_and_stats() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/photos/cat.jpg", b"meow").await;
        t.upload("Jotta/Archive/photos/2023/dog & 'co'.jpg", b"woof").await;
        t.post("Jotta/Archive/photos/2023/empty?mkDir=true").await;
        t.upload("Jotta/Archive/photos/gone.txt", b"gone").await;
        t.post("Jotta/Archive/photos/gone.txt?dl=true").await;
        t.upload("Jotta/Archive/photos/oldDir/x.txt", b"x").await;
        t.post("Jotta/Archive/photos/oldDir?dlDir=true").await;
        // An unfinished upload is not listed.
        t.allocate("Jotta/Archive/photos/pending.bin", b"pending bytes").await;
        let (s, x) = t.get("Jotta/Archive/photos?mode=liststream").await;
        assert_eq!(s, 200);
        let want = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><filetree>\
            <folder name=\"photos\"><path xml:space=\"preserve\">/Archive/photos</path></folder>\
            <file name=\"cat.jpg\" uuid=\"";
        assert!(x.starts_with(want), "{x}");
        assert!(x.contains("<path xml:space=\"preserve\">/Archive/photos</path><filename xml:space=\"preserve\">cat.jpg</filename><size>4</size>"));
        assert!(x.contains("<modified>2023-06-01T12:00:00.000Z</modified>"));
        assert!(x.contains("<folder name=\"2023\"><path xml:space=\"preserve\">/Archive/photos/2023</path></folder>"));
        assert!(x.contains("<filename xml:space=\"preserve\">dog &amp; &apos;co&apos;.jpg</filename>"));
        assert!(x.contains("/Archive/photos/2023/empty</path>"));
        assert!(!x.contains("gone.txt") && !x.contains("oldDir") && !x.contains("pending.bin"));
        assert!(x.ends_with("<stats><folders>3</folders><files>2</files></stats></filetree>"), "{x}");
        // Folders come before their files.
        let f2023 = x.find("/Archive/photos/2023</path></folder>").unwrap();
        let dog = x.find("dog &amp;").unwrap();
        assert!(f2023 < dog);
        // Mountpoint root; missing folder.
        let (_, x) = t.get("Jotta/Archive?mode=liststream").await;
        assert!(x.contains("<folder name=\"Archive\"><path xml:space=\"preserve\">/Archive</path></folder>"));
        assert_eq!(t.get("Jotta/Archive/nothing?mode=liststream").await.0, 404);
        // A big flat folder stays consistent.
        for i in 0..30 {
            t.upload(&format!("Jotta/Sync/many/f{i:03}"), format!("c{i}").as_bytes()).await;
        }
        let (_, x) = t.get("Jotta/Sync/many?mode=liststream").await;
        assert_eq!(x.matches("<file ").count(), 30);
        assert!(x.ends_with("<stats><folders>1</folders><files>30</files></stats></filetree>"));
        // Many batches: 1200 files in nested folders, each exactly once.
        let md5 = md5_hex(b"c0");
        for i in 0..1200 {
            let r = t
                .http
                .post(format!("{}?cphash=true", t.jfs(&format!("Jotta/Sync/big/d{}/e{}/f{i:04}", i % 3, i % 2))))
                .bearer_auth(&t.access)
                .header("JMd5", &md5)
                .header("JSize", "2")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let (_, x) = t.get("Jotta/Sync/big?mode=liststream").await;
        assert_eq!(x.matches("<file ").count(), 1200);
        for i in [0, 599, 1199] {
            assert_eq!(x.matches(&format!(">f{i:04}</filename>")).count(), 1);
        }
        assert!(x.ends_with("<stats><folders>10</folders><files>1200</files></stats></filetree>"), "{}", &x[x.len() - 200..]);
        // mode=list (optional shape).
        let (s, x) = t.get("Jotta/Archive/photos?mode=list").await;
        assert_eq!(s, 200);
        assert!(x.contains("<filedirlist"));
    })
    .await;
}

#[tokio::test]
async fn copy_move_and_dir_move() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/src/a.txt", b"A").await;
        let u = &t.user;
        // cp with an escaped target (slashes %2F, space '+'), parents created.
        let target = format!("%2F{u}%2FJotta%2FArchive%2Fbackup%2Fdeep%2Fa+copy.txt");
        let (s, x) = t.post(&format!("Jotta/Archive/src/a.txt?cp={target}")).await;
        assert_eq!(s, 200, "{x}");
        assert!(x.contains("<file name=\"a copy.txt\""));
        assert_eq!(&t.download("Jotta/Archive/backup/deep/a%20copy.txt", None).await.bytes().await.unwrap()[..], b"A");
        // Literal slashes, and %2B for a plus.
        let (s, _) = t.post(&format!("Jotta/Archive/src/a.txt?cp=/{u}/Jotta/Sync/x%2By.txt")).await;
        assert_eq!(s, 200);
        assert_eq!(t.get("Jotta/Sync/x%2By.txt").await.0, 200);
        // cp onto an existing file adds a revision.
        t.upload("Jotta/Archive/src/b.txt", b"B").await;
        t.post(&format!("Jotta/Archive/src/b.txt?cp=/{u}/Jotta/Sync/x%2By.txt")).await;
        let (_, x) = t.get("Jotta/Sync/x%2By.txt").await;
        assert_eq!(tag(tag(&x, "currentRevision").unwrap(), "number"), Some("2"));
        // mv keeps the uuid.
        let (_, before) = t.get("Jotta/Archive/src/b.txt").await;
        let uuid = before.split("uuid=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let (s, x) = t.post(&format!("Jotta/Archive/src/b.txt?mv=/{u}/Jotta/Archive/moved/b2.txt")).await;
        assert_eq!(s, 200);
        assert!(x.contains(&uuid));
        assert_eq!(t.get("Jotta/Archive/src/b.txt").await.0, 404);
        // Errors.
        assert_eq!(t.post(&format!("Jotta/Archive/src/none.txt?mv=/{u}/Jotta/Archive/z.txt")).await.0, 404);
        assert_eq!(t.post(&format!("Jotta/Archive/src?cp=/{u}/Jotta/Archive/z")).await.0, 400);
        assert_eq!(t.post(&format!("Jotta/Archive/src/a.txt?cp=/{u}/Jotta/Archive/moved")).await.0, 409);
        assert_eq!(t.post("Jotta/Archive/src/a.txt?cp=/other/Jotta/Archive/z").await.0, 403);
        // mvDir with trailing slash on the source.
        t.upload("Jotta/Archive/tree/nested/f.txt", b"F").await;
        let (s, x) = t.post(&format!("Jotta/Archive/tree/nested/?mvDir=%2F{u}%2FJotta%2FArchive%2Fnested-moved")).await;
        assert_eq!(s, 200, "{x}");
        assert!(x.contains("<folder name=\"nested-moved\""));
        assert_eq!(t.get("Jotta/Archive/nested-moved/f.txt").await.0, 200);
        assert_eq!(t.get("Jotta/Archive/tree/nested").await.0, 404);
        // Without trailing slash; onto an existing folder → 409; into itself → 400.
        assert_eq!(t.post(&format!("Jotta/Archive/nested-moved?mvDir=/{u}/Jotta/Archive/tree")).await.0, 409);
        assert_eq!(
            t.post(&format!("Jotta/Archive/nested-moved?mvDir=/{u}/Jotta/Archive/nested-moved/in")).await.0,
            400
        );
        assert_eq!(t.post(&format!("Jotta/Archive/nested-moved?mvDir=/{u}/Jotta/Sync/a/b")).await.0, 200);
        assert_eq!(t.get("Jotta/Sync/a/b/f.txt").await.0, 200);
        // Case-only rename.
        assert_eq!(t.post(&format!("Jotta/Sync/a/b?mvDir=/{u}/Jotta/Sync/a/B")).await.0, 200);
        assert!(t.get("Jotta/Sync/a").await.1.contains("<folder name=\"B\"/>"));
    })
    .await;
}

#[tokio::test]
async fn copy_onto_trashed_stays_trashed_then_cphash_restores() {
    bounded(async {
        let t = setup().await;
        let u = &t.user;
        t.upload("Jotta/Archive/s.txt", b"new").await;
        t.upload("Jotta/Archive/d.txt", b"old").await;
        t.post("Jotta/Archive/d.txt?dl=true").await;
        let (s, x) = t.post(&format!("Jotta/Archive/s.txt?cp=/{u}/Jotta/Archive/d.txt")).await;
        assert_eq!(s, 200);
        assert!(x.contains("deleted=\""));
        assert_eq!(tag(tag(&x, "currentRevision").unwrap(), "state"), Some("COMPLETED"));
        let r = t
            .http
            .post(format!("{}?cphash=true", t.jfs("Jotta/Archive/d.txt")))
            .bearer_auth(&t.access)
            .header("JMd5", md5_hex(b"new"))
            .header("JSize", "3")
            .header("JCreated", "0001-01-01-T00:00:00Z")
            .header("JModified", "0001-01-01-T00:00:00Z")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let x = r.text().await.unwrap();
        assert!(!x.contains("deleted="));
        assert_eq!(tag(tag(&x, "currentRevision").unwrap(), "modified"), Some("0001-01-01-T00:00:00Z"));
    })
    .await;
}

#[tokio::test]
async fn cphash_times_and_dedup() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/c.txt", b"content").await;
        let md5 = md5_hex(b"content");
        // Canonicalised lower-case header names as Go sends them, offset forms.
        let r = t
            .http
            .post(format!("{}?cphash=true", t.jfs("Jotta/Archive/c.txt")))
            .bearer_auth(&t.access)
            .header("jmd5", &md5)
            .header("jsize", "7")
            .header("jcreated", "2011-03-13-T08:06:40+0100")
            .header("jmodified", "2024-01-02-T05:04:05+02:00")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let x = r.text().await.unwrap();
        let cur = tag(&x, "currentRevision").unwrap();
        assert_eq!(tag(cur, "number"), Some("1"), "no new revision");
        assert_eq!(tag(cur, "created"), Some("2011-03-13-T07:06:40Z"));
        assert_eq!(tag(cur, "modified"), Some("2024-01-02-T03:04:05Z"));
        // Dedup from content stored elsewhere.
        let r = t
            .http
            .post(format!("{}?cphash=true", t.jfs("Jotta/Sync/dup/c2.txt")))
            .bearer_auth(&t.access)
            .header("JMd5", &md5)
            .header("JSize", "7")
            .header("JModified", "2024-01-02-T03:04:05Z")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(&t.download("Jotta/Sync/dup/c2.txt", None).await.bytes().await.unwrap()[..], b"content");
        // Unknown content → 404; bad headers → 400; folder → 409.
        let r = t
            .http
            .post(format!("{}?cphash=true", t.jfs("Jotta/Archive/u.txt")))
            .bearer_auth(&t.access)
            .header("JMd5", md5_hex(b"unknown"))
            .header("JSize", "7")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = t
            .http
            .post(format!("{}?cphash=true", t.jfs("Jotta/Archive/c.txt")))
            .bearer_auth(&t.access)
            .header("JMd5", &md5)
            .header("JSize", "7")
            .header("JModified", "yesterday")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = t
            .http
            .post(format!("{}?cphash=true", t.jfs("Jotta/Sync/dup")))
            .bearer_auth(&t.access)
            .header("JMd5", &md5)
            .header("JSize", "7")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
    })
    .await;
}

#[tokio::test]
async fn trash_round_trip() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/p/old/x.txt", b"x").await;
        t.upload("Jotta/Archive/p/old/y.txt", b"y").await;
        t.upload("Jotta/Archive/p/cat.txt", b"cat").await;
        // dl on missing → 200; dlDir/rm/rmDir on missing → 404.
        assert_eq!(t.post("Jotta/Archive/p/none.txt?dl=true").await.0, 200);
        assert_eq!(t.post("Jotta/Archive/p/none?dlDir=true").await.0, 404);
        assert_eq!(t.post("Jotta/Archive/p/none.txt?rm=true").await.0, 404);
        assert_eq!(t.post("Jotta/Archive/p/none?rmDir=true").await.0, 404);
        assert_eq!(t.post("Jotta/Archive?dlDir=true").await.0, 400);
        let (s, x) = t.post("Jotta/Archive/p/cat.txt?dl=true").await;
        assert_eq!(s, 200);
        assert!(x.contains("deleted=\""));
        assert_eq!(t.post("Jotta/Archive/p/old?dlDir=true").await.0, 200);
        // Listing keeps trashed children with deleted + abspath.
        let (_, x) = t.get("Jotta/Archive/p").await;
        assert!(x.contains(&"<folder name=\"old\" deleted=\"".to_string()));
        assert!(x.contains(&format!("<abspath xml:space=\"preserve\">/{}/Jotta/Archive/p</abspath>", t.user)));
        assert!(x.contains("<file name=\"cat.txt\""));
        // Trash view lists top-level trashed items only.
        let (s, x) = t.get("Jotta/Trash").await;
        assert_eq!(s, 200);
        assert!(x.contains("<name xml:space=\"preserve\">Trash</name>"));
        assert!(x.contains("<folder name=\"old\" deleted=") && x.contains("contextType=\"TRASH\""));
        assert!(x.contains("<file name=\"cat.txt\""));
        assert!(!x.contains("x.txt"));
        // restore=true brings back the folder with what was trashed with it.
        let (s, _) = t.post("Jotta/Archive/p/old?restore=true").await;
        assert_eq!(s, 200);
        let (_, x) = t.get("Jotta/Archive/p?mode=liststream").await;
        assert!(x.contains("x.txt") && x.contains("y.txt") && !x.contains("cat.txt"));
        // Upload restores a trashed file.
        t.upload("Jotta/Archive/p/cat.txt", b"cat2").await;
        let (_, x) = t.get("Jotta/Archive/p/cat.txt").await;
        assert!(!x.contains("deleted="));
        // New content under a trashed folder brings the folder back.
        t.post("Jotta/Archive/p/old?dlDir=true").await;
        t.upload("Jotta/Archive/p/old/z.txt", b"z").await;
        let (_, x) = t.get("Jotta/Archive/p?mode=liststream").await;
        assert!(x.contains("z.txt") && !x.contains("x.txt"));
        // purge_trash counts.
        t.post("Jotta/Archive/p/cat.txt?dl=true").await;
        let j: serde_json::Value = t.api_post("/files/v1/purge_trash").await.json().await.unwrap();
        assert_eq!(j["files"], 3, "{j}");
        assert_eq!(j["folders"], 0, "{j}");
        t.post("Jotta/Archive/p/old?dlDir=true").await;
        let j: serde_json::Value = t.api_post("/files/v1/purge_trash").await.json().await.unwrap();
        assert_eq!(j, serde_json::json!({"folders": 1, "files": 1}));
        assert_eq!(t.get("Jotta/Archive/p/old").await.0, 404);
        // rm / rmDir are permanent.
        t.upload("Jotta/Archive/q/r.txt", b"r").await;
        assert_eq!(t.post("Jotta/Archive/q/r.txt?rm=true").await.0, 200);
        assert_eq!(t.get("Jotta/Archive/q/r.txt").await.0, 404);
        assert_eq!(t.post("Jotta/Archive/q?rmDir=true").await.0, 200);
        assert_eq!(t.get("Jotta/Archive/q").await.0, 404);
        assert!(!t.get("Jotta/Trash").await.1.contains("r.txt"));
    })
    .await;
}

#[tokio::test]
async fn sharing_and_public_download() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/share/s.txt", b"shared!").await;
        let (s, x) = t.get("Jotta/Archive/share/s.txt?mode=enableShare").await;
        assert_eq!(s, 200);
        let uri = tag(&x, "publicURI").unwrap().to_string();
        assert!(!uri.is_empty());
        assert_eq!(tag(&x, "publicSharePath").unwrap(), format!("/s/{uri}"));
        let body = t.http.get(format!("{}/opin/io/downloadPublic/{}/{uri}", t.base, t.user)).send().await.unwrap();
        assert_eq!(body.status(), 200);
        assert_eq!(&body.bytes().await.unwrap()[..], b"shared!");
        let body = t.http.get(format!("{}/s/{uri}", t.base)).send().await.unwrap();
        assert_eq!(&body.bytes().await.unwrap()[..], b"shared!");
        let (_, x) = t.get("Jotta/Archive/share/s.txt?mode=disableShare").await;
        assert!(tag(&x, "publicURI").is_none());
        assert_eq!(t.http.get(format!("{}/s/{uri}", t.base)).send().await.unwrap().status(), 404);
        assert_eq!(t.get("Jotta/Archive/share?mode=enableShare").await.0, 400);
        assert_eq!(t.get("Jotta/Archive/share/none?mode=enableShare").await.0, 404);
    })
    .await;
}

#[tokio::test]
async fn names_case_and_validation() {
    bounded(async {
        let t = setup().await;
        t.upload("Jotta/Archive/Hello.doc", b"h").await;
        let (s, x) = t.get("Jotta/Archive/hello.DOC").await;
        assert_eq!(s, 200);
        assert!(x.contains("<file name=\"Hello.doc\""));
        t.upload("Jotta/Archive/HELLO.doc", b"h2").await;
        let (_, x) = t.get("Jotta/Archive").await;
        assert_eq!(x.matches("name=\"Hello.doc\"").count(), 1);
        assert!(!x.contains("HELLO.doc"));
        // File vs folder with the same name in another casing.
        assert_eq!(t.post("Jotta/Archive/hello.doc?mkDir=true").await.0, 409);
        // Escaping: %2B is plus, literal + is space (default), %20 is space.
        t.upload("Jotta/Archive/a+b c.txt", b"p").await;
        assert_eq!(t.get("Jotta/Archive/a%2Bb%20c.txt").await.0, 200);
        t.upload("Jotta/Archive/sp ace.txt", b"s").await;
        assert_eq!(t.get("Jotta/Archive/sp+ace.txt").await.0, 200);
        t.upload("Jotta/Archive/emoji 🎉 ✓.txt", b"e").await;
        assert_eq!(t.get("Jotta/Archive/emoji%20%F0%9F%8E%89%20%E2%9C%93.txt").await.0, 200);
        // Refused names.
        for bad in [
            "Pinus%2520palustris.jpg",
            "a%3Ab",
            "q%3F",
            "star%2A",
            "%22q%22",
            "lt%3C",
            "pipe%7C",
            "ctl%01",
            "bad%FF",
            "slash%2Fin",
        ] {
            let (s, x) = t.get(&format!("Jotta/Archive/{bad}")).await;
            assert_eq!(s, 400, "{bad}: {x}");
            assert!(x.contains("<code>400</code>"));
        }
        let long = "x".repeat(256);
        assert_eq!(t.post(&format!("Jotta/Archive/{long}?mkDir=true")).await.0, 400);
        let ok = "é".repeat(255);
        assert_eq!(
            t.post(&format!(
                "Jotta/Archive/{}?mkDir=true",
                url::form_urlencoded::byte_serialize(ok.as_bytes()).collect::<String>().replace('+', "%20")
            ))
            .await
            .0,
            200
        );
        let r = t.allocate_raw("Jotta/Archive/we:ird.txt", &md5_hex(b"w"), 1).await;
        assert_eq!(r.status(), 400);
        let r = t.allocate_raw("Jotta/Archive/Pinus%20p.txt", &md5_hex(b"w"), 1).await;
        assert_eq!(r.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn plus_as_space_switch() {
    bounded(async {
        let t = start(fjordsync_emulator::Config { plus_as_space: false, ..Default::default() }).await;
        t.upload("Jotta/Archive/a+b.txt", b"p").await;
        assert_eq!(t.get("Jotta/Archive/a+b.txt").await.0, 200);
        assert_eq!(t.get("Jotta/Archive/a%20b.txt").await.0, 404);
    })
    .await;
}

/// `--clock-offset`: a service whose clock is off dates what it sets (a
/// revision's `updated`, the `time` attribute) by its own clock, and keeps
/// the times a client gives (`modified`) as given.
#[tokio::test]
async fn a_clock_offset_dates_by_the_servers_clock() {
    bounded(async {
        let t = start(fjordsync_emulator::Config { clock_offset: 3600, ..Default::default() }).await;
        let secs = |jotta: &str| {
            let rfc = format!("{}{}", &jotta[..10], &jotta[11..]);
            rfc.parse::<jiff::Timestamp>().unwrap().as_second() - jiff::Timestamp::now().as_second()
        };
        let near = |got: i64, want: i64| (want - 60..=want + 60).contains(&got);
        t.upload("Jotta/Archive/skew.txt", b"ahead").await;
        let (s, x) = t.get("Jotta/Archive/skew.txt").await;
        assert_eq!(s, 200);
        assert!(near(secs(tag(&x, "updated").unwrap()), 3600), "{x}");
        let time = x.split("time=\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(near(secs(time), 3600), "{x}");
        assert!(tag(&x, "modified").unwrap().starts_with("2023-06-01-T12:00:00"), "{x}");

        // The clock can move while it runs.
        t.emu.set_clock_offset(-3600);
        t.upload("Jotta/Archive/skew.txt", b"behind now").await;
        let (_, x) = t.get("Jotta/Archive/skew.txt").await;
        assert!(near(secs(tag(&x, "updated").unwrap()), -3600), "{x}");
    })
    .await;
}
