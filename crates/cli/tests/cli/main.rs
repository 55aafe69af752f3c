//! End-to-end tests of the `fjordsync` binary against the emulator over HTTP.
//! One integration binary (one link step); modules per topic.

mod support;

mod backup;
mod crash;
mod files;
mod remotes;
mod signin;
mod sync;
mod tokens;
mod waiting;
