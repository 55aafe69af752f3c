//! End-to-end tests of the `fjordsync` binary against the emulator over HTTP.
//! One integration binary (one link step); modules per topic.

mod support;

mod backup;
mod backup_log;
mod bisync;
mod bisync_crash;
mod crash;
mod daemon;
mod fatal;
mod files;
#[cfg(target_os = "linux")]
mod mount;
mod remotes;
mod repo_guard;
mod serve_webdav;
mod shell;
mod signin;
mod sync;
mod tasks;
mod terminal;
mod tokens;
mod waiting;
mod watch;
