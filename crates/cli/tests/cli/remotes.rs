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
    let mut c = env.cmd(&["remote", "add", "demo", "--endpoint", &url]);
    c.env("FJORDSYNC_LOGIN_TOKEN", "not-a-token");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
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

/// A login token never has to appear in the process list: `--login-token -`
/// reads it from standard input and FJORDSYNC_LOGIN_TOKEN is read when no
/// other way is given; a literal token still works but warns.
#[tokio::test(flavor = "multi_thread")]
async fn login_token_from_stdin_or_the_environment() {
    let env = Env::start().await;
    let url = env.emu.base_url();

    let mut c = env.cmd(&["remote", "add", "piped", "--login-token", "-", "--endpoint", &url]);
    c.write_stdin(format!("{}\n", env.emu.issue_login_token()));
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "{out:?}");

    let mut c = env.cmd(&["remote", "add", "fromenv", "--endpoint", &url]);
    c.env("FJORDSYNC_LOGIN_TOKEN", env.emu.issue_login_token());
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "{out:?}");
    env.ok(&["mkdir", "fromenv:works"]).await;
    env.ok(&["mkdir", "piped:works"]).await;

    // The variable works for reconnect too.
    let mut c = env.cmd(&["remote", "reconnect", "fromenv"]);
    c.env("FJORDSYNC_LOGIN_TOKEN", env.emu.issue_login_token());
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let t = env.emu.issue_login_token();
    let out = env.run(&["remote", "add", "literal", "--login-token", &t, "--endpoint", &url]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning") && stderr.contains("--login-token -"), "{stderr}");
    assert!(stderr.contains("FJORDSYNC_LOGIN_TOKEN"), "{stderr}");

    // Nothing on stdin, or an empty variable: a clear error, nothing added.
    let mut c = env.cmd(&["remote", "add", "nothing", "--login-token", "-", "--endpoint", &url]);
    c.write_stdin("");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no personal login token on stdin"), "{out:?}");
    let mut c = env.cmd(&["remote", "add", "nothing", "--endpoint", &url]);
    c.env("FJORDSYNC_LOGIN_TOKEN", " ");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("FJORDSYNC_LOGIN_TOKEN is set but empty"), "{out:?}");
    assert!(!env.ok(&["remote", "list"]).await.contains("nothing:"));

    let help = env.ok(&["remote", "add", "--help"]).await;
    assert!(help.contains("FJORDSYNC_LOGIN_TOKEN") && help.contains("process list"), "{help}");
}
