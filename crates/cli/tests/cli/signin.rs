//! The browser and legacy sign-in flows through the real binary.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::Env;

/// Plays the user's browser: opens the login page, fills in the form, follows
/// the redirect to fjordsync's loopback listener.
async fn play_browser(url: &str, username: &str, password: &str) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = url::Url::parse(url).unwrap();
    let page = http.get(url.clone()).send().await.unwrap().text().await.unwrap();
    let mut form: Vec<(String, String)> = Vec::new();
    for chunk in page.split("<input").skip(1).filter(|c| c.contains("type=\"hidden\"")) {
        let attr = |n: &str| {
            let key = format!("{n}=\"");
            let start = chunk.find(&key)? + key.len();
            let end = chunk[start..].find('"')? + start;
            Some(chunk[start..end].replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'"))
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            form.push((n, v));
        }
    }
    form.push(("username".into(), username.into()));
    form.push(("password".into(), password.into()));
    let start = page.find("action=\"").unwrap() + 8;
    let end = page[start..].find('"').unwrap() + start;
    let action = url.join(&page[start..end].replace("&amp;", "&")).unwrap();
    let resp = http.post(action).form(&form).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302, "the login form accepted the demo account");
    let back = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("http://127.0.0.1:"), "redirect goes to the loopback listener: {back}");
    assert!(http.get(&back).send().await.unwrap().status().is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_sign_in_for_a_white_label_service() {
    let env = Env::start().await;
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
        .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", "file")
        .args(["remote", "add", "telia", "--browser", "--no-open", "--service", "telia_no"])
        .args(["--endpoint", &env.emu.base_url()])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr).lines().map_while(Result::ok).take(20).find_map(|l| {
            let l = l.trim();
            l.starts_with("http").then(|| l.to_string())
        })
    })
    .await
    .unwrap()
    .expect("the sign-in URL is printed");
    assert!(url.contains("/auth/realms/get/"), "Telia Norway's realm is `get`: {url}");
    assert!(url.contains("code_challenge_method=S256") && url.contains("state="), "{url}");
    play_browser(&url, &env.emu.email(), &env.emu.password()).await;
    let status = tokio::time::timeout(Duration::from_secs(60), tokio::task::spawn_blocking(move || child.wait()))
        .await
        .expect("fjordsync finishes after the browser came back")
        .unwrap()
        .unwrap();
    assert!(status.success());
    let show = env.ok(&["remote", "show", "telia"]).await;
    assert!(show.contains("Telia Sky") && show.contains("traditional"), "{show}");
    env.ok(&["mkdir", "telia:from-the-browser-flow"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_sign_in_with_sms_code() {
    let env = Env::with(fjordsync_emulator::Config { require_2fa: Some("123456".into()), ..Default::default() }).await;
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
        .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", "file")
        .args(["remote", "add", "old", "--legacy", "--username", &env.emu.email(), "--endpoint", &env.emu.base_url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The password, then the code as the user types it from the SMS.
    write!(child.stdin.take().unwrap(), "{}\n123-456\n", env.emu.password()).unwrap();
    let out =
        tokio::time::timeout(Duration::from_secs(60), tokio::task::spawn_blocking(move || child.wait_with_output()))
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Two-factor code"), "the code was asked for: {stderr}");
    env.ok(&["mkdir", "old:legacy-works"]).await;
}
