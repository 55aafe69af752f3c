use crate::support::{Env, write};

#[tokio::test(flavor = "multi_thread")]
async fn file_verbs_round_trip() {
    let env = Env::start().await;
    env.add_demo().await;

    let about = env.ok(&["about", "demo:"]).await;
    assert!(about.contains("demo@fjordsync.test") && about.contains("Locks:     none"), "{about}");

    env.ok(&["mkdir", "demo:photos/2024"]).await;
    let odd = "a+b c#d%e: what?.txt";
    let local = env.path("upload.bin");
    let content: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    write(&local, &content);
    env.ok(&["copyto", local.to_str().unwrap(), &format!("demo:photos/2024/{odd}")]).await;

    let ls = env.ok(&["ls", "demo:"]).await;
    assert!(ls.contains(&format!("{} photos/2024/{odd}", content.len())), "{ls}");
    let md5 = crate::sync::md5_hex(&content);
    assert!(env.ok(&["md5sum", "demo:photos"]).await.contains(&format!("{md5}  2024/{odd}")));
    assert!(env.ok(&["lsd", "demo:photos"]).await.contains("2024"));
    let lsl = env.ok(&["lsl", "--json", "demo:photos/2024"]).await;
    let v: serde_json::Value = serde_json::from_str(lsl.lines().next().unwrap()).unwrap();
    assert_eq!(v["path"], odd);
    assert_eq!(v["size"], content.len());

    // Download: byte-identical, and the remote modification time is applied.
    let back = env.path("back.bin");
    env.ok(&["copyto", &format!("demo:photos/2024/{odd}"), back.to_str().unwrap()]).await;
    assert_eq!(std::fs::read(&back).unwrap(), content);
    let local_mtime = std::fs::metadata(&local).unwrap().modified().unwrap();
    let back_mtime = std::fs::metadata(&back).unwrap().modified().unwrap();
    let diff = local_mtime.duration_since(back_mtime).unwrap_or_else(|e| e.duration());
    assert!(diff.as_secs() < 1, "mtime not kept: {local_mtime:?} vs {back_mtime:?}");
    // Into an existing folder: keeps the (mapped back) name.
    let dir = env.path("dl");
    std::fs::create_dir(&dir).unwrap();
    env.ok(&["copyto", &format!("demo:photos/2024/{odd}"), dir.to_str().unwrap()]).await;
    assert_eq!(std::fs::read(dir.join(odd)).unwrap(), content);

    // cat streams the bytes.
    let out = env.run(&["cat", &format!("demo:photos/2024/{odd}")]).await;
    assert_eq!(out.stdout, content);

    // Server-side copy, then a second upload of the same content is deduplicated.
    env.ok(&["copyto", &format!("demo:photos/2024/{odd}"), "demo:copy/of it+.bin"]).await;
    assert!(env.ok(&["ls", "demo:copy"]).await.contains("of it+.bin"));
    let before = env.emu.stats().bytes_uploaded;
    let out = env.run(&["copyto", local.to_str().unwrap(), "demo:dedup.bin"]).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bytes sent"));
    assert_eq!(env.emu.stats().bytes_uploaded, before, "dedup must not send bytes");

    // Public link on and off.
    let link = env.ok(&["link", "demo:dedup.bin"]).await;
    assert!(link.trim().starts_with(&env.emu.base_url()) && link.contains("/opin/io/downloadPublic/"), "{link}");
    env.ok(&["link", "--unlink", "demo:dedup.bin"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn trash_round_trip() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("f.txt");
    write(&local, b"keep me");
    env.ok(&["copyto", local.to_str().unwrap(), "demo:docs/f.txt"]).await;
    env.ok(&["mkdir", "demo:docs/sub"]).await;

    env.ok(&["delete", "demo:docs/f.txt"]).await;
    assert!(!env.ok(&["ls", "demo:"]).await.contains("f.txt"));
    let trash = env.ok(&["trash", "list", "demo:"]).await;
    assert!(trash.contains("Jotta/Archive/docs/f.txt"), "{trash}");
    env.ok(&["trash", "restore", "demo:docs/f.txt"]).await;
    assert_eq!(env.run(&["cat", "demo:docs/f.txt"]).await.stdout, b"keep me");

    env.ok(&["delete", "demo:docs/sub"]).await;
    assert!(env.ok(&["trash", "list", "--json", "demo:"]).await.contains("\"folder\":true"));
    let out = env.run(&["trash", "empty", "demo:"]).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 folders"), "{out:?}");
    assert!(env.ok(&["trash", "list", "demo:"]).await.trim().is_empty());

    env.ok(&["delete", "--hard", "demo:docs/f.txt"]).await;
    assert!(env.ok(&["trash", "list", "demo:"]).await.trim().is_empty(), "hard delete skips the trash");
    let err = env.fails(&["cat", "demo:docs/f.txt"]).await;
    assert!(err.contains("demo:docs/f.txt: no such file or folder"), "{err}");
    let err = env.fails(&["delete", "demo:"]).await;
    assert!(err.contains("refusing"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_the_service_cannot_store_are_refused_clearly() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("x");
    write(&local, b"x");
    let long = "n".repeat(256);
    let err = env.fails(&["copyto", local.to_str().unwrap(), &format!("demo:{long}")]).await;
    assert!(err.contains("255"), "{err}");
    // A case collision: the service keeps the first casing; the second upload
    // becomes a new revision of the same file, not a second file.
    env.ok(&["copyto", local.to_str().unwrap(), "demo:Hello.doc"]).await;
    env.ok(&["copyto", local.to_str().unwrap(), "demo:hello.doc"]).await;
    let ls = env.ok(&["ls", "demo:"]).await;
    assert_eq!(ls.lines().count(), 1, "{ls}");
    assert!(ls.contains("Hello.doc"), "{ls}");
}
