//! Fuzz target: see `jottacloud::fuzzing::login_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jottacloud::fuzzing::login_token(data));
