//! End-to-end tests of the `fjordsync` binary against the emulator over HTTP.
//! One integration binary (one link step); modules per topic.

mod support;

mod files;
mod remotes;
mod tokens;
