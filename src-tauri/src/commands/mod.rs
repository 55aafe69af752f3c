//! Tauri commands: a few lines each, taking the shared [`Api`] and calling
//! one of its methods. Logic lives in `api/`, so the web bridge runs the
//! same code. Each command must be listed in `src-tauri/command_names.rs`
//! ([`NAMES`], also read by `build.rs`; the bridge test checks that the bridge
//! knows them all), in `generate_handler!` in `lib.rs` and in
//! `capabilities/main.json`.

pub mod app;
pub mod backup;
pub mod browse;
pub mod settings;
pub mod storages;
pub mod tasks;
pub mod trash;
pub mod wizard;

use std::sync::Arc;

use crate::api::Api;

/// The shared state as commands receive it.
pub type ApiState<'a> = tauri::State<'a, Arc<Api>>;

/// Every command the UI may call.
pub const NAMES: &[&str] = include!("../../command_names.rs");

#[cfg(test)]
mod tests {
    /// The capability file must grant every command, or the UI gets "not
    /// allowed" at run time. (`build.rs` reads the same list as [`super::NAMES`].)
    #[test]
    fn capability_grants_every_command() {
        let cap: serde_json::Value = serde_json::from_str(include_str!("../../capabilities/main.json")).unwrap();
        let perms: Vec<&str> = cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        for name in super::NAMES {
            let perm = format!("allow-{}", name.replace('_', "-"));
            assert!(perms.contains(&perm.as_str()), "main.json lacks {perm}");
        }
    }
}
