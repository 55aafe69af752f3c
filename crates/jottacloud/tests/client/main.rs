//! Integration tests: names (proptest), the client against the emulator over
//! real HTTP on 127.0.0.1, and malformed replies from a hand-made server.
//! Every test is bounded in time.

mod auth_flows;
mod common;
mod files;
mod fuzz_seeds;
mod malformed;
mod names;
mod silent;
mod tokens;
mod upload_rounds;
