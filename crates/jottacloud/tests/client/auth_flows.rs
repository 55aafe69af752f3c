use std::sync::Arc;
use std::time::Duration;

use fjordsync_emulator::{Config, Emulator};
use jottacloud::auth::{LegacyClient, TraditionalOptions, login_legacy, login_traditional, login_with_token, service};
use jottacloud::{Client, Error, MemoryTokenStore, TokenKind};
use url::Url;

use crate::common::*;

/// Play the browser: load the login form, post credentials with the hidden
/// fields, follow the redirect to the client's loopback listener.
async fn play_browser(auth_url: Url, username: String, password: String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(auth_url.clone()).send().await.unwrap().text().await.unwrap();
    let mut form: Vec<(String, String)> = Vec::new();
    for chunk in page.split("<input").skip(1) {
        if !chunk.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |n: &str| {
            let key = format!("{n}=\"");
            let start = chunk.find(&key)? + key.len();
            let end = chunk[start..].find('"')? + start;
            Some(
                chunk[start..end]
                    .replace("&amp;", "&")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&#39;", "'"),
            )
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            form.push((n, v));
        }
    }
    form.push(("username".into(), username));
    form.push(("password".into(), password));
    let action = {
        let start = page.find("action=\"").unwrap() + 8;
        let end = page[start..].find('"').unwrap() + start;
        auth_url.join(&page[start..end]).unwrap()
    };
    let resp = http.post(action).form(&form).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302, "login accepted");
    let loc = resp.headers().get("location").unwrap().to_str().unwrap().to_string();
    let back = http.get(&loc).send().await.unwrap();
    assert!(back.status().is_success());
    assert!(back.text().await.unwrap().contains("Login complete"));
}

#[tokio::test]
async fn standard_login_and_client() {
    bounded(60, async {
        let emu = Emulator::start(Config::default()).await.unwrap();
        let ep = endpoints(&emu);
        let token = login_with_token(&ep, &fast_options(), &format!("  {}\n", emu.issue_login_token())).await.unwrap();
        assert_eq!(token.kind, TokenKind::Standard);
        assert_eq!(token.client_id, "jottacli");
        assert!(token.token_endpoint.starts_with(&emu.base_url()));
        assert!(!format!("{token:?}").contains(&token.refresh_token));
        let bad = login_with_token(&ep, &fast_options(), "bm90IGEgdG9rZW4").await.unwrap_err();
        assert!(matches!(bad, Error::Auth(_)), "{bad}");
        emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn traditional_flow_end_to_end() {
    bounded(60, async {
        let emu = Emulator::start(Config::default()).await.unwrap();
        let ep = endpoints(&emu);
        let (user, pass) = (emu.email(), emu.password());
        let svc = service("jottacloud").unwrap();
        let token = login_traditional(
            &ep,
            &fast_options(),
            svc,
            move |url| {
                assert_eq!(url.host_str(), Some("127.0.0.1"));
                assert!(url.query().unwrap().contains("code_challenge_method=S256"));
                tokio::spawn(play_browser(url.clone(), user, pass));
                Ok(())
            },
            &TraditionalOptions { timeout: Duration::from_secs(30) },
        )
        .await
        .unwrap();
        assert_eq!(token.kind, TokenKind::Traditional);
        assert_eq!(token.client_id, "desktop");
        let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
        let c = Client::new(ep, token, store, fast_options()).unwrap();
        assert_eq!(c.username().await.unwrap(), emu.username());
        emu.expire_access_tokens();
        c.drive_info().await.unwrap();
        assert_eq!(emu.stats().refresh_ok, 1);
        emu.shutdown().await;
    })
    .await;
}

/// GET `path_and_query` on the loopback listener of `auth_url`'s redirect URI;
/// returns (status, body).
async fn hit_listener(auth_url: &Url, path_and_query: &str) -> (u16, String) {
    let redirect = auth_url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    let url = Url::parse(&redirect).unwrap().join(path_and_query).unwrap();
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn state_of(auth_url: &Url) -> String {
    auth_url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

/// Issue 11, point 7: requests without this sign-in's `state` (an `?error=`
/// from any local process, a wrong state, idle connections) are answered
/// "not for this sign-in" and the wait goes on; the real redirect still
/// completes the sign-in.
#[tokio::test]
async fn traditional_listener_ignores_requests_without_our_state() {
    bounded(60, async {
        let emu = Emulator::start(Config::default()).await.unwrap();
        let (user, pass) = (emu.email(), emu.password());
        let answers = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = answers.clone();
        let token = login_traditional(
            &endpoints(&emu),
            &fast_options(),
            service("jottacloud").unwrap(),
            move |url| {
                let url = url.clone();
                tokio::spawn(async move {
                    // Idle connections that never send a request must not hold the listener.
                    let redirect = url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
                    let addr = Url::parse(&redirect).unwrap().socket_addrs(|| None).unwrap()[0];
                    let mut idle = Vec::new();
                    for _ in 0..40 {
                        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
                    }
                    for probe in [
                        "/?error=access_denied&error_description=bye".to_string(),
                        "/?error=access_denied&state=wrong".to_string(),
                        "/?code=stolen&state=wrong".to_string(),
                        "/?code=stolen".to_string(),
                        format!("/elsewhere?code=x&state={}", state_of(&url)),
                    ] {
                        let got = hit_listener(&url, &probe).await;
                        seen.lock().unwrap().push(got);
                    }
                    play_browser(url, user, pass).await;
                    drop(idle);
                });
                Ok(())
            },
            &TraditionalOptions { timeout: Duration::from_secs(40) },
        )
        .await
        .expect("the real redirect still signs in");
        assert_eq!(token.kind, TokenKind::Traditional);
        let answers = answers.lock().unwrap().clone();
        assert_eq!(answers.len(), 5);
        for (status, body) in answers.iter() {
            assert_eq!(*status, 400);
            assert!(body.contains("Not for this sign-in"), "{body}");
        }
        emu.shutdown().await;
    })
    .await;
}

/// With the right `state`, the service's `?error=` does end the sign-in.
#[tokio::test]
async fn traditional_listener_reports_an_error_with_our_state() {
    bounded(60, async {
        let emu = Emulator::start(Config::default()).await.unwrap();
        let e = login_traditional(
            &endpoints(&emu),
            &fast_options(),
            service("jottacloud").unwrap(),
            |url| {
                let url = url.clone();
                tokio::spawn(async move {
                    let q = format!("/?error=access_denied&error_description=no&state={}", state_of(&url));
                    let (status, _) = hit_listener(&url, &q).await;
                    assert_eq!(status, 200);
                });
                Ok(())
            },
            &TraditionalOptions { timeout: Duration::from_secs(30) },
        )
        .await
        .unwrap_err();
        assert!(matches!(&e, Error::Auth(m) if m.contains("access_denied")), "{e}");
        emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn traditional_flow_times_out() {
    bounded(30, async {
        let emu = Emulator::start(Config::default()).await.unwrap();
        let e = login_traditional(
            &endpoints(&emu),
            &fast_options(),
            service("telia_se").unwrap(),
            |_| Ok(()),
            &TraditionalOptions { timeout: Duration::from_millis(300) },
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::Timeout(_)), "{e}");
        emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn legacy_login_with_2fa_and_refresh() {
    bounded(60, async {
        let emu = Emulator::start(Config { require_2fa: Some("123456".into()), ..Default::default() }).await.unwrap();
        let ep = endpoints(&emu);
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let a2 = asked.clone();
        let token = login_legacy(
            &ep,
            &fast_options(),
            &LegacyClient::default(),
            &emu.username(),
            &emu.password(),
            move || async move {
                a2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Some("123-456".to_string())
            },
        )
        .await
        .unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(matches!(token.kind, TokenKind::Legacy { .. }));
        let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
        let c = Client::new(ep.clone(), token, store, fast_options()).unwrap();
        c.username().await.unwrap();
        emu.expire_access_tokens();
        c.drive_info().await.unwrap();
        assert_eq!(emu.stats().token_grants.get("legacy_refresh").copied(), Some(1));
        // Wrong code and no code are errors.
        let e =
            login_legacy(&ep, &fast_options(), &LegacyClient::default(), &emu.username(), &emu.password(), || async {
                Some("000000".into())
            })
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Auth(_)), "{e}");
        let e =
            login_legacy(&ep, &fast_options(), &LegacyClient::default(), &emu.username(), &emu.password(), || async {
                None
            })
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Auth(_)), "{e}");
        emu.shutdown().await;
    })
    .await;
}
