//! Tauri commands: a few lines each, taking the shared [`Api`] and calling
//! one of its methods. Logic lives in `api/`, so the web bridge runs the
//! same code. Each command must be listed in [`NAMES`] (the bridge test
//! checks that the bridge knows them all), in `generate_handler!` in
//! `lib.rs`, in `src-tauri/build.rs` and in `capabilities/main.json`.

pub mod app;
pub mod browse;
pub mod storages;
pub mod trash;
pub mod wizard;

use std::sync::Arc;

use crate::api::Api;

/// The shared state as commands receive it.
pub type ApiState<'a> = tauri::State<'a, Arc<Api>>;

/// Every command the UI may call.
pub const NAMES: &[&str] = &[
    "app_info",
    "use_file_store",
    "list_storages",
    "list_services",
    "storage_quota",
    "remove_storage",
    "start_demo",
    "wizard_login_token",
    "wizard_browser",
    "wizard_cancel",
    "wizard_save",
    "reconnect_login_token",
    "reconnect_browser",
    "list_folder",
    "create_folder",
    "move_item",
    "delete_item",
    "download",
    "set_share",
    "list_trash",
    "restore_trash_item",
    "delete_trash_item",
    "empty_trash",
];

#[cfg(test)]
mod tests {
    /// The build script's permission list and the capability file must name
    /// every command, or the UI gets "not allowed" at run time.
    #[test]
    fn build_script_and_capability_list_every_command() {
        let build = include_str!("../../build.rs");
        let cap: serde_json::Value = serde_json::from_str(include_str!("../../capabilities/main.json")).unwrap();
        let perms: Vec<&str> = cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        for name in super::NAMES {
            assert!(build.contains(&format!("\"{name}\"")), "build.rs lacks {name}");
            let perm = format!("allow-{}", name.replace('_', "-"));
            assert!(perms.contains(&perm.as_str()), "main.json lacks {perm}");
        }
    }
}
