//! The `fjordsync-app` binary: the desktop app, or with `--bridge PORT` the
//! web bridge that serves the same commands over HTTP for browser tests.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    fjordsync_app::main_entry();
}
