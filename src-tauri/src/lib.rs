//! Fjordsync's desktop app: a thin Tauri 2 shell over the engine.
//!
//! The commands themselves are plain async methods of `fjordsync_api::Api`
//! (the one door to the engine that the CLI's daemon also serves).
//!
//! - [`commands`]: the Tauri commands, a few lines each, over [`Api`].
//! - [`tray`]: the tray icon (status, quota, last results, Pause / Sync all)
//!   and notifications; closing the window hides it to the tray.

pub mod commands;
pub mod tray;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{Emitter, Manager, WindowEvent};

use fjordsync_api::{Api, web};

/// The binary's entry: the desktop app, or `--bridge PORT [--ui DIR]`.
pub fn main_entry() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FJORDSYNC_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--bridge") {
        let port = args.get(i + 1).and_then(|p| p.parse().ok()).unwrap_or(0);
        let ui = match args.iter().position(|a| a == "--ui") {
            Some(j) => args.get(j + 1).map(PathBuf::from),
            None => None,
        }
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/dist")));
        if let Err(e) = run_bridge(port, ui) {
            eprintln!("fjordsync-app: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    run_app();
}

fn run_bridge(port: u16, ui: PathBuf) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let api = Arc::new(Api::from_env()?);
        let starting = api.clone();
        // The demo's emulator comes back with the app (its state is on disk).
        tokio::spawn(async move { starting.ensure_demo_running().await });
        // Schedules run in the bridge too (same Api).
        tokio::spawn(api.clone().run_scheduler());
        tokio::select! {
            r = web::serve(api.clone(), port, ui) => r?,
            _ = tokio::signal::ctrl_c() => {}
        }
        api.shutdown().await;
        Ok(())
    })
}

/// Runs the desktop app until Quit.
pub fn run_app() {
    let api = match Api::from_env() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("fjordsync-app: {}", e.message);
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        // First, so a second launch focuses this one before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| tray::show_main(app)))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(api.clone())
        .setup(move |app| {
            tray::create(app.handle())?;
            let handle = app.handle().clone();
            let opener_handle = handle.clone();
            api.set_opener(Arc::new(move |url: &str| {
                use tauri_plugin_opener::OpenerExt;
                opener_handle.opener().open_url(url, None::<&str>).map_err(std::io::Error::other)
            }));
            let autostart_handle = handle.clone();
            api.set_autostart(Arc::new(move |on| {
                use tauri_plugin_autostart::ManagerExt;
                let l = autostart_handle.autolaunch();
                if on { l.enable() } else { l.disable() }.map_err(|e| e.to_string())
            }));
            // Quit (the tray's, or the window's answer when uploads wait).
            let quit_handle = handle.clone();
            api.set_quit_hook(Arc::new(move || quit_handle.exit(0)));
            let mut events = api.subscribe();
            // The scheduler runs while the app runs, window shown or not.
            tauri::async_runtime::spawn(api.clone().run_scheduler());
            tauri::async_runtime::spawn(tray::watch(handle.clone(), api.clone()));
            let starting = api.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = starting.ensure_demo_running().await {
                    tracing::warn!("demo storage: {}", e.message);
                }
            });
            tauri::async_runtime::spawn(async move {
                while let Ok(ev) = events.recv().await {
                    let _ = handle.emit("fjordsync://event", ev);
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            // Close to tray: the app keeps running (and its scheduler syncing).
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::use_file_store,
            commands::storages::list_storages,
            commands::storages::list_services,
            commands::storages::storage_quota,
            commands::storages::remove_storage,
            commands::storages::start_demo,
            commands::storages::demo_sign_in,
            commands::wizard::wizard_login_token,
            commands::wizard::wizard_legacy,
            commands::wizard::wizard_browser,
            commands::wizard::wizard_cancel,
            commands::wizard::wizard_save,
            commands::wizard::reconnect_login_token,
            commands::wizard::reconnect_browser,
            commands::browse::list_folder,
            commands::browse::create_folder,
            commands::browse::move_item,
            commands::browse::delete_item,
            commands::browse::download,
            commands::browse::set_share,
            commands::browse::list_revisions,
            commands::browse::download_revision,
            commands::browse::restore_revision,
            commands::trash::list_trash,
            commands::trash::restore_trash_item,
            commands::trash::delete_trash_item,
            commands::trash::empty_trash,
            commands::tasks::list_tasks,
            commands::tasks::save_task,
            commands::tasks::delete_task,
            commands::tasks::list_conflicts,
            commands::tasks::resolve_conflict,
            commands::tasks::list_kept_aside,
            commands::tasks::retry_kept_aside,
            commands::tasks::preview_task,
            commands::tasks::run_task,
            commands::tasks::cancel_task,
            commands::tasks::running_tasks,
            commands::tasks::list_runs,
            commands::tasks::run_files,
            commands::tasks::undo_run,
            commands::tasks::retry_run,
            commands::tasks::export_run,
            commands::tasks::export_run_text,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::app_status,
            commands::settings::pause_all,
            commands::settings::resume_all,
            commands::settings::sync_all_now,
            commands::tasks::overview,
            commands::backup::create_backup,
            commands::backup::run_backup,
            commands::backup::list_snapshots,
            commands::backup::diff_snapshots,
            commands::backup::snapshot_folder,
            commands::backup::restore_snapshot,
            commands::backup::check_backup,
            commands::backup::forget_snapshots,
            commands::backup::prune_backup,
            commands::backup::change_backup_password,
            commands::backup::backup_size,
            commands::mounts::list_mounts,
            commands::mounts::save_mount,
            commands::mounts::delete_mount,
            commands::mounts::set_mounted,
            commands::mounts::open_mount,
            commands::mounts::pending_mount_uploads,
            commands::mounts::quit_app,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                let api = handle.state::<Arc<Api>>().inner().clone();
                tauri::async_runtime::block_on(api.shutdown());
            }
        }),
        Err(e) => {
            eprintln!("fjordsync-app: {e}");
            std::process::exit(1);
        }
    }
}
