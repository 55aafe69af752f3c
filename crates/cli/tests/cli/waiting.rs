//! A server that does not answer like the Jottacloud API (issue 11, points
//! 8 and 9): a silent one gets a "waiting" line and Ctrl-C ends the command;
//! a plain web server gets one short error, not its page.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::Env;

/// A server on 127.0.0.1 that accepts connections and never answers.
async fn silent_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
            if held.len() > 64 {
                return;
            }
        }
    });
    format!("http://{addr}")
}

/// A plain web server: the same HTML page (status 404) for every request.
async fn web_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let page = format!(
                    "<!DOCTYPE html>\n<html>\n<head><title>404 Not Found</title></head>\n<body>\n{}</body>\n</html>\n",
                    "<p>Nothing to see here.</p>\n".repeat(200)
                );
                let head = format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    page.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(page.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// Point the configured remote `name` at `endpoint` (its token stays).
fn move_remote(env: &Env, name: &str, endpoint: &str) {
    let path = env.config_dir().join("remotes.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let remotes = v.get_mut("remotes").and_then(|r| r.as_array_mut()).expect("remotes.json has a remotes list");
    for r in remotes {
        if r["name"] == name {
            r["endpoint"] = serde_json::Value::String(endpoint.to_string());
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// Start `fjordsync ARGS` with its stderr lines sent to the returned channel.
fn spawn(env: &Env, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
        .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", env.secret_store)
        .env_remove("RUST_LOG")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// The first stderr line containing `text`, waiting at most `limit`.
fn wait_for_line(rx: &mpsc::Receiver<String>, text: &str, limit: Duration) -> Option<String> {
    let deadline = std::time::Instant::now() + limit;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(text) => return Some(line),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

fn interrupt(child: &Child) {
    let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill -INT failed");
}

/// Whether the child ends within `limit` (killed otherwise).
fn ends_within(child: &mut Child, limit: Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_server_gets_a_waiting_line_and_ctrl_c_ends_ls() {
    let env = Env::start().await;
    env.add_demo().await;
    let silent = silent_server().await;
    move_remote(&env, "demo", &silent);
    let (mut child, rx) = spawn(&env, &["ls", "demo:"]);
    let line =
        tokio::task::spawn_blocking(move || wait_for_line(&rx, "to answer", Duration::from_secs(40))).await.unwrap();
    let line = line.expect("a line saying what it waits for");
    assert!(line.starts_with("Waiting for 127.0.0.1 to answer"), "{line}");
    interrupt(&child);
    assert!(ends_within(&mut child, Duration::from_secs(20)), "Ctrl-C did not end `fjordsync ls`");
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_server_second_ctrl_c_ends_sync() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("a.txt"), b"a").unwrap();
    let silent = silent_server().await;
    move_remote(&env, "demo", &silent);
    let (mut child, rx) = spawn(&env, &["sync", src.to_str().unwrap(), "demo:dst"]);
    let rx = tokio::task::spawn_blocking(move || {
        let got = wait_for_line(&rx, "to answer", Duration::from_secs(40));
        assert!(got.is_some(), "no waiting line");
        rx
    })
    .await
    .unwrap();
    interrupt(&child);
    let rx = tokio::task::spawn_blocking(move || {
        assert!(wait_for_line(&rx, "cancelling", Duration::from_secs(20)).is_some(), "first Ctrl-C not acknowledged");
        rx
    })
    .await
    .unwrap();
    drop(rx);
    interrupt(&child);
    assert!(ends_within(&mut child, Duration::from_secs(20)), "a second Ctrl-C did not end `fjordsync sync`");
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_add_against_a_web_server_is_one_short_error() {
    let env = Env::start().await;
    let web = web_server().await;
    let token = env.emu.issue_login_token();
    let err = env.fails(&["remote", "add", "web", "--login-token", &token, "--endpoint", &web]).await;
    assert!(
        err.contains("the server at 127.0.0.1 answered with a web page, not the Jottacloud API: is the address right?"),
        "{err}"
    );
    assert!(!err.contains('<'), "the page reached the terminal:\n{err}");
    assert!(err.lines().count() <= 3, "{err}");
    assert!(env.ok(&["remote", "list"]).await.contains("No remotes"));
}
