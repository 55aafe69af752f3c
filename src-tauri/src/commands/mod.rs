//! Tauri commands: a few lines each, taking the shared [`Api`] and calling
//! one of its methods. Logic lives in the `fjordsync-api` crate, so its web
//! server (the bridge and the daemon) runs the same code. Each command must be
//! listed in `crates/api/src/command_names.rs` ([`NAMES`], also read by
//! `build.rs`; the web server's test checks that it routes them all), in
//! `generate_handler!` in `lib.rs` and in `capabilities/main.json` (checked
//! below).

pub mod app;
pub mod backup;
pub mod browse;
pub mod mounts;
pub mod settings;
pub mod storages;
pub mod tasks;
pub mod trash;
pub mod wizard;

use std::sync::Arc;

use fjordsync_api::Api;

/// The shared state as commands receive it.
pub type ApiState<'a> = tauri::State<'a, Arc<Api>>;

/// Every command the UI may call (the API crate's one list).
pub use fjordsync_api::COMMANDS as NAMES;

#[cfg(test)]
mod tests {
    /// The capability file must grant every command, or the UI gets "not
    /// allowed" at run time. (`build.rs` reads the same list as [`super::NAMES`].)
    #[test]
    fn capability_grants_every_command() {
        let cap: serde_json::Value = serde_json::from_str(include_str!("../../capabilities/main.json")).unwrap();
        // Scoped grants are objects with an `identifier`.
        let perms: Vec<&str> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().or_else(|| p["identifier"].as_str()).unwrap())
            .collect();
        for name in super::NAMES {
            let perm = format!("allow-{}", name.replace('_', "-"));
            assert!(perms.contains(&perm.as_str()), "main.json lacks {perm}");
        }
    }

    /// The window may open exactly the links the UI opens: one outside the
    /// opener scope is refused at run time (the wizard's "where do I get a
    /// token" link was), and a wider scope would let a subverted page open
    /// any URL. Links are matched the way the plugin matches them (its `url`
    /// entries are `glob` patterns).
    #[test]
    fn opener_scope_is_exactly_the_links_the_ui_opens() {
        let cap: serde_json::Value = serde_json::from_str(include_str!("../../capabilities/main.json")).unwrap();
        let perms = cap["permissions"].as_array().unwrap();
        for p in perms.iter().filter_map(|p| p.as_str()) {
            // `opener:default` allows every http(s) URL; a bare `allow-open-url` none.
            assert!(!p.starts_with("opener:"), "{p} must not be granted without a scope");
        }
        let grants: Vec<&serde_json::Value> =
            perms.iter().filter(|p| p["identifier"].as_str().is_some_and(|i| i.starts_with("opener:"))).collect();
        assert_eq!(grants.len(), 1, "one opener grant: {grants:?}");
        assert_eq!(grants[0]["identifier"], "opener:allow-open-url");
        let scope: Vec<glob::Pattern> = grants[0]["allow"]
            .as_array()
            .expect("an allow list")
            .iter()
            .map(|e| {
                let url = e["url"].as_str().expect("url entries only");
                assert!(!url.contains(['*', '?', '[']), "{url}: exact links, no patterns");
                glob::Pattern::new(url).unwrap()
            })
            .collect();

        let links = links_the_ui_opens();
        assert!(!links.is_empty());
        for link in &links {
            assert!(scope.iter().any(|p| p.matches(link)), "{link} is opened by the UI but not in the opener scope");
        }
        for p in &scope {
            assert!(links.iter().any(|l| p.matches(l)), "{p} is in the opener scope but the UI never opens it");
        }
        for other in ["https://evil.example/", "http://www.jottacloud.com/web/secure", "file:///etc/passwd"] {
            assert!(!scope.iter().any(|p| p.matches(other)), "{other} must be refused");
        }
    }

    /// Every https link the UI can open: the links the backend hands it (the
    /// services' login-token pages) and every `https://` literal in its
    /// sources. Each `openUrl(...)` call in `ui/src` must open one of those,
    /// so a new call with links from elsewhere fails here until it is added.
    fn links_the_ui_opens() -> Vec<String> {
        let mut links: Vec<String> = fjordsync_jottacloud::auth::SERVICES
            .iter()
            .filter_map(|s| fjordsync_api::storages::login_token_url(s.key))
            .map(str::to_string)
            .collect();
        let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src");
        let mut sources = Vec::new();
        ui_sources(&ui, &mut sources);
        assert!(sources.len() > 10, "the UI's sources under {}", ui.display());
        for (path, text) in &sources {
            for (i, _) in text.match_indices("https://") {
                let end = text[i..].find(['"', '\'', '`', ' ', ')']).map_or(text.len(), |e| i + e);
                links.push(text[i..end].to_string());
            }
            for (i, _) in text.match_indices("openUrl(") {
                let arg = &text[i + "openUrl(".len()..];
                let arg = &arg[..arg.find(')').unwrap_or(arg.len())];
                let known = arg.starts_with(['"', '\'', '`']) || arg.contains("loginTokenUrl");
                assert!(known, "{}: openUrl({arg}) opens links this test does not know", path.display());
            }
        }
        links.sort();
        links.dedup();
        links
    }

    /// The UI's own sources: not its tests, nor `lib/api/` (the backends that
    /// pass `openUrl` through, and the mock's made-up data).
    fn ui_sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !path.ends_with("lib/api") {
                    ui_sources(&path, out);
                }
            } else if (name.ends_with(".svelte") || name.ends_with(".ts")) && !name.contains(".test.") {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
}
