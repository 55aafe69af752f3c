use std::time::Duration;

use crate::support::Env;

/// Several processes sharing one remote, all holding an expired access token:
/// the lock beside the token makes one refresh and the rest adopt its result,
/// so the service never sees a rotated refresh token again.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_processes_never_reuse_a_rotated_refresh_token() {
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:shared"]).await;
    for round in 0..3 {
        env.emu.expire_access_tokens();
        let runs: Vec<_> = (0..6).map(|_| env.run(&["lsd", "demo:"])).collect();
        for out in futures_util::future::join_all(runs).await {
            assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let stats = env.emu.stats();
    assert_eq!(stats.reuse_detections, 0, "{stats:?}");
    assert_eq!(stats.refresh_failed, 0, "{stats:?}");
    assert_eq!(stats.refresh_ok, 3, "exactly one refresh per round: {stats:?}");
}

/// A dead sign-in surfaces as "reconnect needed" with the command to run, and
/// `remote reconnect` fixes it without touching the remote's settings.
#[tokio::test(flavor = "multi_thread")]
async fn dead_sign_in_says_reconnect_and_reconnect_fixes_it() {
    let env = Env::start().await;
    env.add_demo().await;
    // Make the stored refresh token one the service no longer accepts.
    let secret = env.config_dir().join("secrets").join("demo.secret");
    let mut token: serde_json::Value = serde_json::from_slice(&std::fs::read(&secret).unwrap()).unwrap();
    token["refresh_token"] = "revoked-by-test".into();
    token["expires_at"] = 0.into();
    std::fs::write(&secret, token.to_string()).unwrap();

    let err = env.fails(&["ls", "demo:"]).await;
    assert!(err.contains("reconnect needed"), "{err}");
    assert!(err.contains("fjordsync remote reconnect"), "{err}");

    let t = env.emu.issue_login_token();
    env.ok(&["remote", "reconnect", "demo", "--login-token", &t]).await;
    env.ok(&["ls", "demo:"]).await;
}

/// Access tokens expire while the emulator runs; the CLI refreshes on its own.
#[tokio::test(flavor = "multi_thread")]
async fn short_lived_access_tokens_are_refreshed() {
    let env =
        Env::with(fjordsync_emulator::Config { token_lifetime: Duration::from_secs(2), ..Default::default() }).await;
    env.add_demo().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    env.ok(&["mkdir", "demo:after-expiry"]).await;
    assert!(env.emu.stats().refresh_ok >= 1);
}
