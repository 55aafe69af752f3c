use crate::support::Env;

#[tokio::test(flavor = "multi_thread")]
async fn add_list_show_remove() {
    let env = Env::start().await;
    env.add_demo().await;
    let list = env.ok(&["remote", "list"]).await;
    assert!(list.contains("demo:") && list.contains("Jotta/Archive"), "{list}");
    let show = env.ok(&["remote", "show", "demo"]).await;
    assert!(show.contains(&env.emu.username()), "{show}");
    assert!(show.contains("stored"), "{show}");
    // The token is never written to the settings file.
    let settings = std::fs::read_to_string(env.config_dir().join("remotes.json")).unwrap();
    assert!(!settings.contains("token"), "{settings}");

    let err = env.fails(&["remote", "add", "demo", "--login-token", &env.emu.issue_login_token()]).await;
    assert!(err.contains("exists already"), "{err}");

    env.ok(&["remote", "remove", "demo"]).await;
    assert!(env.ok(&["remote", "list"]).await.contains("No remotes"));
    let secrets: Vec<_> = std::fs::read_dir(env.config_dir().join("secrets")).unwrap().collect();
    assert!(secrets.is_empty(), "token left behind after remove");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_login_token_is_a_clear_error_and_adds_nothing() {
    let env = Env::start().await;
    let url = env.emu.base_url();
    let err = env.fails(&["remote", "add", "demo", "--login-token", "not-a-token", "--endpoint", &url]).await;
    assert!(err.lines().next().unwrap().starts_with("fjordsync: "), "{err}");
    assert!(err.to_lowercase().contains("login token"), "{err}");
    assert!(env.ok(&["remote", "list"]).await.contains("No remotes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_mountpoint_is_refused_and_create_makes_one() {
    let env = Env::start().await;
    let url = env.emu.base_url();
    let err = env
        .fails(&[
            "remote",
            "add",
            "x",
            "--login-token",
            &env.emu.issue_login_token(),
            "--endpoint",
            &url,
            "--mountpoint",
            "Nope",
        ])
        .await;
    assert!(err.contains("no mountpoint") && err.contains("Archive"), "{err}");
    assert!(env.ok(&["remote", "list"]).await.contains("No remotes"), "nothing recorded after a failed add");
    // Case-insensitive match keeps the account's casing.
    let t = env.emu.issue_login_token();
    env.ok(&["remote", "add", "s", "--login-token", &t, "--endpoint", &url, "--mountpoint", "sync"]).await;
    assert!(env.ok(&["remote", "show", "s"]).await.contains("mountpoint: Sync"));
    // A new device and mountpoint with --create.
    let t = env.emu.issue_login_token();
    env.ok(&[
        "remote",
        "add",
        "box",
        "--login-token",
        &t,
        "--endpoint",
        &url,
        "--device",
        "nas",
        "--mountpoint",
        "photos",
        "--create",
    ])
    .await;
    env.ok(&["mkdir", "box:inside"]).await;
    assert!(env.ok(&["lsd", "box:"]).await.contains("inside"));
}

/// Tokens go to the OS keyring by default; CI runs this against a real
/// gnome-keyring (FJORDSYNC_TEST_KEYRING=1), elsewhere it is skipped.
#[tokio::test(flavor = "multi_thread")]
async fn keyring_is_the_default_store() {
    if std::env::var("FJORDSYNC_TEST_KEYRING").as_deref() != Ok("1") {
        eprintln!("skipping: set FJORDSYNC_TEST_KEYRING=1 with a Secret Service running");
        return;
    }
    let mut env = Env::start().await;
    env.secret_store = "keyring";
    env.add_demo().await;
    assert!(env.ok(&["remote", "show", "demo"]).await.contains("OS keyring"));
    env.ok(&["mkdir", "demo:k"]).await;
    // Nothing in the config directory holds a token.
    for entry in walk(&env.config_dir()) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!text.contains("refresh_token"), "{} holds a token", entry.display());
    }
    env.ok(&["remote", "remove", "demo"]).await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
