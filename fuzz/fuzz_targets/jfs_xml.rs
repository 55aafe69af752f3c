//! Fuzz target: see `jottacloud::fuzzing::jfs_xml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jottacloud::fuzzing::jfs_xml(data));
