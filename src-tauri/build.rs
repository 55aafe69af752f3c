//! Tauri's build step: embeds `tauri.conf.json`, the capabilities and the
//! command permissions into the binary.
//!
//! The app's commands are listed so Tauri generates `allow-<command>`
//! permissions for them; only commands granted in
//! `src-tauri/capabilities/main.json` can then be called from the UI.

const COMMANDS: &[&str] = &[
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

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attrs = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/*.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attrs).expect("tauri build step failed");
}
