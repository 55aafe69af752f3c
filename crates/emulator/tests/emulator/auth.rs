//! Identity: discovery, grants, rotation, reuse detection, code flow, legacy.

use std::time::Duration;

use base64::Engine as _;
use fjordsync_emulator::Config;
use sha2::{Digest as _, Sha256};

use crate::common::*;

const REALMS: &[(&str, &str)] = &[
    ("jottacloud", "desktop"),
    ("elgiganten", "desktop"),
    ("elkjop", "desktop"),
    ("elko", "desktop"),
    ("gigantti", "desktop"),
    ("letsgo", "desktop-win"),
    ("mediamarkt", "desktop"),
    ("onlime_wl", "desktop"),
    ("phonero", "desktop-win"),
    ("comhem", "desktop"),
    ("get", "desktop"),
    ("telia_se", "desktop"),
];

#[tokio::test]
async fn openid_document_shape_and_forwarded_urls() {
    bounded(async {
        let t = setup().await;
        let url = format!("{}/auth/realms/jottacloud/.well-known/openid-configuration", t.base);
        let j: serde_json::Value = t.http.get(&url).send().await.unwrap().json().await.unwrap();
        let issuer = format!("{}/auth/realms/jottacloud", t.base);
        assert_eq!(j["issuer"], issuer);
        assert_eq!(j["token_endpoint"], format!("{issuer}/protocol/openid-connect/token"));
        assert_eq!(j["authorization_endpoint"], format!("{issuer}/protocol/openid-connect/auth"));
        for k in [
            "introspection_endpoint",
            "userinfo_endpoint",
            "end_session_endpoint",
            "jwks_uri",
            "check_session_iframe",
            "registration_endpoint",
            "token_introspection_endpoint",
        ] {
            assert!(j[k].as_str().unwrap().starts_with(&issuer), "{k}");
        }
        for k in [
            "grant_types_supported",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
            "scopes_supported",
            "code_challenge_methods_supported",
            "token_endpoint_auth_methods_supported",
            "claims_supported",
            "response_modes_supported",
        ] {
            assert!(j[k].as_array().unwrap().iter().all(|v| v.is_string()), "{k}");
        }
        for k in [
            "claims_parameter_supported",
            "request_parameter_supported",
            "request_uri_parameter_supported",
            "tls_client_certificate_bound_access_tokens",
        ] {
            assert!(j[k].is_boolean(), "{k}");
        }
        // Behind a TLS proxy.
        let j: serde_json::Value = t
            .http
            .get(&url)
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "id.jottacloud.com")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            j["token_endpoint"],
            "https://id.jottacloud.com/auth/realms/jottacloud/protocol/openid-connect/token"
        );
        // `Forwarded` header, and a bare jottacloud.com Host implying https.
        let j: serde_json::Value = t
            .http
            .get(&url)
            .header("forwarded", "for=1.2.3.4;proto=https;host=id.example.net")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(j["issuer"], "https://id.example.net/auth/realms/jottacloud");
        let j: serde_json::Value =
            t.http.get(&url).header("host", "id.jottacloud.com").send().await.unwrap().json().await.unwrap();
        assert_eq!(j["issuer"], "https://id.jottacloud.com/auth/realms/jottacloud");
        // Every realm is served; unknown ones are not.
        for (realm, _) in REALMS {
            let r = t
                .http
                .get(format!("{}/auth/realms/{realm}/.well-known/openid-configuration", t.base))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{realm}");
        }
        let r =
            t.http.get(format!("{}/auth/realms/nope/.well-known/openid-configuration", t.base)).send().await.unwrap();
        assert_eq!(r.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn password_grant_token_shape_and_customer() {
    bounded(async {
        let emu = fjordsync_emulator::Emulator::start(Config::default()).await.unwrap();
        let http = client();
        let doc = decode_login_token(&emu.login_token());
        assert_eq!(doc["username"], emu.username());
        assert_eq!(doc["realm"], "jottacloud");
        assert_eq!(
            doc["well_known_link"],
            format!("{}/auth/realms/jottacloud/.well-known/openid-configuration", emu.base_url())
        );
        let r = password_grant(&http, &emu.base_url(), &emu.login_token()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let j: serde_json::Value = r.json().await.unwrap();
        assert!(j["expires_in"].is_i64());
        assert!(j["refresh_expires_in"].is_i64());
        assert!(j["not-before-policy"].is_i64());
        assert_eq!(j["token_type"], "Bearer");
        assert_eq!(j["access_token"].as_str().unwrap().split('.').count(), 3);
        // Reusable by default.
        let r = password_grant(&http, &emu.base_url(), &emu.login_token()).await;
        assert_eq!(r.status(), 200);
        // Wrong password.
        let r = http
            .post(format!("{}/auth/realms/jottacloud/protocol/openid-connect/token", emu.base_url()))
            .form(&[
                ("client_id", "jottacli"),
                ("grant_type", "password"),
                ("username", &emu.username()),
                ("password", "wrong"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"], "invalid_grant");
        // E-mail + account password works too.
        let r = http
            .post(format!("{}/auth/realms/jottacloud/protocol/openid-connect/token", emu.base_url()))
            .form(&[
                ("client_id", "jottacli"),
                ("grant_type", "password"),
                ("username", &emu.email()),
                ("password", &emu.password()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let access = r.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
        let c: serde_json::Value = http
            .get(format!("{}/account/v1/customer", emu.base_url()))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(c["username"], emu.username());
        assert!(c["usage"].is_i64() && c["quota"].is_i64() && c["write_locked"].is_boolean());
        assert!(c["locked_cause"].is_null());
        // No token → 401 JSON.
        let r = http.get(format!("{}/account/v1/customer", emu.base_url())).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(emu.stats().token_grants["password"] >= 3);
    })
    .await;
}

#[tokio::test]
async fn single_use_login_tokens() {
    bounded(async {
        let emu =
            fjordsync_emulator::Emulator::start(Config { single_use_tokens: true, ..Config::default() }).await.unwrap();
        let http = client();
        let tok = emu.issue_login_token();
        assert_eq!(password_grant(&http, &emu.base_url(), &tok).await.status(), 200);
        assert_eq!(password_grant(&http, &emu.base_url(), &tok).await.status(), 401);
        // POST /emulator/login-tokens hands out fresh ones.
        let j: serde_json::Value =
            http.post(format!("{}/emulator/login-tokens", emu.base_url())).send().await.unwrap().json().await.unwrap();
        let tok = j["login_token"].as_str().unwrap();
        assert_eq!(password_grant(&http, &emu.base_url(), tok).await.status(), 200);
        let page = http.get(format!("{}/emulator/", emu.base_url())).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("<button"));
    })
    .await;
}

async fn refresh(t: &T, token: &str, basic: Option<&str>, form_client: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(c) = form_client {
        form.push(("client_id", c));
    }
    let mut rb = t.http.post(format!("{}/auth/realms/jottacloud/protocol/openid-connect/token", t.base)).form(&form);
    if let Some(b) = basic {
        rb = rb.header(
            "authorization",
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{b}:"))),
        );
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_family() {
    bounded(async {
        let t = setup().await;
        let r = refresh(&t, &t.refresh, Some("jottacli"), None).await;
        assert_eq!(r.status(), 200);
        let j: serde_json::Value = r.json().await.unwrap();
        let rt2 = j["refresh_token"].as_str().unwrap().to_string();
        let at2 = j["access_token"].as_str().unwrap().to_string();
        assert_ne!(rt2, t.refresh);
        // Form-style client auth works too (rotation again).
        let r = refresh(&t, &rt2, None, Some("jottacli")).await;
        assert_eq!(r.status(), 200);
        let rt3 = r.json::<serde_json::Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_string();
        // Reuse of rt2: both rclone attempts get 400 and the family dies.
        for (basic, form) in [(Some("jottacli"), None), (None, Some("jottacli"))] {
            let r = refresh(&t, &rt2, basic, form).await;
            assert_eq!(r.status(), 400);
            let e: serde_json::Value = r.json().await.unwrap();
            assert_eq!(e["error"], "invalid_grant");
            assert_eq!(e["error_description"], "Session doesn't have required client");
        }
        let r = refresh(&t, &rt3, Some("jottacli"), None).await;
        assert_eq!(r.status(), 400);
        // Access tokens of the family answer 401 (XML on JFS, JSON on the API).
        let r = t.http.get(t.jfs("")).bearer_auth(&at2).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body = r.text().await.unwrap();
        assert!(body.contains("<code>401</code>") && body.contains("BadCredentialsException"));
        let r = t.http.get(format!("{}/account/v1/customer", t.base)).bearer_auth(&at2).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["content-type"].to_str().unwrap().contains("json"));
        let s = t.emu.stats();
        assert!(s.reuse_detections >= 1);
        assert_eq!(s.refresh_ok, 2);
    })
    .await;
}

#[tokio::test]
async fn failed_attempts_do_not_count_as_use() {
    bounded(async {
        let t = setup().await;
        // Unknown client via Basic → 401, then the form fallback succeeds.
        let r = refresh(&t, &t.refresh, Some("bogus"), None).await;
        assert_eq!(r.status(), 401);
        // Known client of another flow → 400 (client mismatch), nothing changes.
        let r = refresh(&t, &t.refresh, Some("desktop"), None).await;
        assert_eq!(r.status(), 400);
        // Basic and form disagreeing → 401.
        let r = refresh(&t, &t.refresh, Some("jottacli"), Some("desktop")).await;
        assert_eq!(r.status(), 401);
        let r = refresh(&t, &t.refresh, None, Some("jottacli")).await;
        assert_eq!(r.status(), 200);
        let j: serde_json::Value = r.json().await.unwrap();
        let r = refresh(&t, j["refresh_token"].as_str().unwrap(), Some("jottacli"), Some("jottacli")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(t.emu.stats().reuse_detections, 0);
    })
    .await;
}

#[tokio::test]
async fn authorization_code_with_pkce_via_html_form() {
    bounded(async {
        let t = setup().await;
        for (realm, client) in [("jottacloud", "desktop"), ("letsgo", "desktop-win")] {
            let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
            let auth = format!("{}/auth/realms/{realm}/protocol/openid-connect/auth", t.base);
            let page = t
                .http
                .get(&auth)
                .query(&[
                    ("access_type", "offline"),
                    ("client_id", client),
                    ("redirect_uri", "http://localhost:53682/"),
                    ("response_type", "code"),
                    ("scope", "openid jotta-default offline_access"),
                    ("state", "xyz"),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200);
            let html = page.text().await.unwrap();
            assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));
            assert!(html.contains(&format!("value=\"{challenge}\"")));
            // Not a loopback redirect → refused.
            let r = t
                .http
                .get(&auth)
                .query(&[("client_id", client), ("redirect_uri", "https://evil.example/"), ("response_type", "code")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400);
            // Wrong password → form again, no redirect.
            let mut form = vec![
                ("client_id", client.to_string()),
                ("redirect_uri", "http://localhost:53682/".into()),
                ("response_type", "code".into()),
                ("state", "xyz".into()),
                ("scope", "openid jotta-default offline_access".into()),
                ("code_challenge", challenge.clone()),
                ("code_challenge_method", "S256".into()),
                ("username", t.emu.email()),
                ("password", "nope".into()),
            ];
            let r = t.http.post(&auth).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 200);
            form.pop();
            form.push(("password", t.emu.password()));
            let r = t.http.post(&auth).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 302);
            let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
            assert_eq!(loc.host_str(), Some("localhost"));
            let q: std::collections::HashMap<String, String> = loc.query_pairs().into_owned().collect();
            assert_eq!(q["state"], "xyz");
            assert!(q.contains_key("session_state"));
            let code = q["code"].clone();
            let token = format!("{}/auth/realms/{realm}/protocol/openid-connect/token", t.base);
            let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{client}:")));
            let exchange = |verifier: &'static str, redirect: &'static str| {
                t.http
                    .post(&token)
                    .header("authorization", basic.clone())
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", redirect),
                        ("code_verifier", verifier),
                    ])
                    .send()
            };
            let r = exchange("wrong-verifier-wrong-verifier-wrong-verifier", "http://localhost:53682/").await.unwrap();
            assert_eq!(r.status(), 400);
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error_description"], "PKCE verification failed");
            let r = exchange("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "http://localhost:1/").await.unwrap();
            assert_eq!(r.status(), 400);
            let r = exchange("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "http://localhost:53682/").await.unwrap();
            assert_eq!(r.status(), 200);
            let j: serde_json::Value = r.json().await.unwrap();
            assert_eq!(j["session_state"].as_str().unwrap(), q["session_state"]);
            // Single use.
            let r = exchange("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "http://localhost:53682/").await.unwrap();
            assert_eq!(r.status(), 400);
            // The refresh token is bound to the client that got it.
            let rt = j["refresh_token"].as_str().unwrap();
            let r = t
                .http
                .post(&token)
                .form(&[("grant_type", "refresh_token"), ("refresh_token", rt), ("client_id", client)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        // Plain PKCE and no PKCE (rclone) also work.
        let auth = format!("{}/auth/realms/jottacloud/protocol/openid-connect/auth", t.base);
        let r = t
            .http
            .post(&auth)
            .form(&[
                ("client_id", "desktop"),
                ("redirect_uri", "http://127.0.0.1:9/cb"),
                ("response_type", "code"),
                ("username", &t.emu.username()),
                ("password", &t.emu.password()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        let code = loc.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        let r = t
            .http
            .post(format!("{}/auth/realms/jottacloud/protocol/openid-connect/token", t.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/cb"),
                ("client_id", "desktop"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(t.emu.stats().token_grants["authorization_code"], 3);
    })
    .await;
}

#[tokio::test]
async fn legacy_login_with_sms_2fa_and_refresh() {
    bounded(async {
        let emu =
            fjordsync_emulator::Emulator::start(Config { require_2fa: Some("123456".into()), ..Config::default() })
                .await
                .unwrap();
        let http = client();
        let base = emu.base_url();
        let reg: serde_json::Value = http
            .post(format!("{base}/auth/v1/register?device_id=rclone-abc"))
            .bearer_auth("baked")
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = reg["client_id"].as_str().unwrap().to_string();
        let secret = reg["client_secret"].as_str().unwrap().to_string();
        let login = |otp: Option<&'static str>| {
            let mut rb = http
                .post(format!("{base}/auth/v1/token"))
                .query(&[
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("grant_type", "PASSWORD"),
                    ("password", &emu.password()),
                    ("username", &emu.email()),
                ])
                .header("content-type", "application/x-www-form-urlencoded")
                .header("content-length", "0");
            if let Some(o) = otp {
                rb = rb.header("X-Jottacloud-Otp", o);
            }
            rb.send()
        };
        let r = login(None).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["x-jottacloud-otp"], "required; SMS");
        let r = login(Some("654321")).await.unwrap();
        assert_eq!(r.status(), 401);
        let r = login(Some("123-456")).await.unwrap();
        assert_eq!(r.status(), 200);
        let j: serde_json::Value = r.json().await.unwrap();
        assert!(j["expires_in"].is_i64());
        let rt = j["refresh_token"].as_str().unwrap().to_string();
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")));
        let r = http
            .post(format!("{base}/auth/v1/token"))
            .header("authorization", &basic)
            .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "lower-case grant type is refused");
        let r = http
            .post(format!("{base}/auth/v1/token"))
            .header("authorization", &basic)
            .form(&[("grant_type", "REFRESH_TOKEN"), ("refresh_token", rt.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let j: serde_json::Value = r.json().await.unwrap();
        assert_ne!(j["refresh_token"].as_str().unwrap(), rt);
        let r = http
            .get(format!("{base}/account/v1/customer"))
            .bearer_auth(j["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn access_tokens_expire() {
    bounded(async {
        let t = start(Config { token_lifetime: Duration::from_secs(1), ..Config::default() }).await;
        assert_eq!(t.get("").await.0, 200);
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let (s, body) = t.get("").await;
        assert_eq!(s, 401);
        assert!(body.contains("BadCredentialsException"));
        // A refresh gives a working token again; the control switch expires it.
        let r = refresh(&t, &t.refresh, Some("jottacli"), None).await;
        let at = r.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
        let ok = t.http.get(t.jfs("")).bearer_auth(&at).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        t.emu.expire_access_tokens();
        let r = t.http.get(t.jfs("")).bearer_auth(&at).send().await.unwrap();
        assert_eq!(r.status(), 401);
    })
    .await;
}
