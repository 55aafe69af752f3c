//! Fuzz target: see `jottacloud::fuzzing::api_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jottacloud::fuzzing::api_json(data));
