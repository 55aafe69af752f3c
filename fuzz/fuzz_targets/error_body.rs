//! Fuzz target: see `jottacloud::fuzzing::error_body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jottacloud::fuzzing::error_body(data));
