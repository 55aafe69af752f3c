//! Fuzz target: see `jottacloud::fuzzing::names`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jottacloud::fuzzing::names(data));
