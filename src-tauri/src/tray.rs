//! The tray icon and its menu.
//!
//! Closing the window only hides it; the tray keeps the app running and is
//! the way back (Open) or out (Quit). "Sync all now" and "Pause" act on sync
//! tasks, which arrive with the transfer engine; until then they are shown
//! disabled rather than pretending to do something.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

/// The tray's id.
pub const TRAY_ID: &str = "main-tray";

/// Builds the tray icon with its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Fjordsync", true, None::<&str>)?;
    let sync = MenuItem::with_id(app, "sync-all", "Sync all now", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause all", false, None::<&str>)?;
    let last = MenuItem::with_id(app, "last", "No sync results yet", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Fjordsync", true, None::<&str>)?;
    let sep = || PredefinedMenuItem::separator(app);
    let menu = Menu::with_items(app, &[&open, &sep()?, &sync, &pause, &sep()?, &last, &sep()?, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Fjordsync")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Shows, unminimises and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}
