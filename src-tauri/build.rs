//! Tauri's build step: embeds `tauri.conf.json`, the capabilities and the
//! command permissions into the binary.
//!
//! The app's commands are listed so Tauri generates `allow-<command>`
//! permissions for them; only commands granted in
//! `src-tauri/capabilities/main.json` can then be called from the UI.

const COMMANDS: &[&str] = include!("../crates/api/src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=crates/api/src/command_names.rs");
    let attrs = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/*.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attrs).expect("tauri build step failed");
}
