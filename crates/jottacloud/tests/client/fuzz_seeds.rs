//! The fuzz targets' seeds as a plain test: every input in `fuzz/seeds/`
//! (the protocol reference's samples and the inputs that once crashed a
//! parser) goes through the same entry point its fuzz target calls, on
//! the stable toolchain. The fuzzing itself (`scripts/fuzz.sh`, nightly)
//! looks for new crashes; this keeps the known ones fixed in every run.

use std::path::PathBuf;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("jfs_xml", jottacloud::fuzzing::jfs_xml),
    ("liststream", jottacloud::fuzzing::liststream),
    ("api_json", jottacloud::fuzzing::api_json),
    ("error_body", jottacloud::fuzzing::error_body),
    ("login_token", jottacloud::fuzzing::login_token),
    ("names", jottacloud::fuzzing::names),
];

fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds")
}

#[test]
fn every_fuzz_seed_goes_through_its_parser_without_a_panic() {
    let mut total = 0;
    for (target, parse) in TARGETS {
        let dir = seeds_dir().join(target);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{} has no seeds", dir.display());
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| parse(&data));
            assert!(outcome.is_ok(), "{target} panicked on {}", input.display());
            total += 1;
        }
    }
    // Every target directory exists in fuzz/ (a renamed target would skip its seeds silently).
    let fuzz_targets = seeds_dir().join("../fuzz_targets");
    for (target, _) in TARGETS {
        assert!(fuzz_targets.join(format!("{target}.rs")).is_file(), "fuzz target {target} is gone");
    }
    assert!(total >= TARGETS.len());
}
