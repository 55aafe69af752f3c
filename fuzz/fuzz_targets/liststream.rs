//! Fuzz target: see `jottacloud::fuzzing::liststream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jottacloud::fuzzing::liststream(data));
