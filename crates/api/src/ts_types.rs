//! The UI's TypeScript types, generated from the DTOs with ts-rs.
//!
//! `ui/src/lib/api/generated/` holds one file per type the UI receives or
//! sends; `ui/src/lib/api/types.ts` re-exports them under the names the UI
//! uses. They are written only by the ignored test [`regenerate_ts`] (or
//! `scripts/gen-types.sh`), and [`generated_types_are_committed`] fails when a
//! DTO changed without them, so a Rust change cannot leave the UI on a stale
//! shape.
//!
//! Only this crate's tests compile ts-rs: every DTO derives `TS` under
//! `cfg_attr(test, ...)`, and the engine types they embed (`Schedule`,
//! `PlanTotals`, `Change`, `SignIn`) under the engine's `ts` feature, which
//! this crate's dev-dependencies turn on. No binary carries it.
//!
//! The output folder and the number type are set here, in code, rather than
//! with `TS_RS_EXPORT_DIR` / `TS_RS_LARGE_INT` in a `.cargo/config.toml`:
//! cargo reads that file from where it is started, so a crate-level one is
//! missed by a build started at the workspace root, and the check would
//! depend on the folder it is run from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

use crate::backup::maintenance::{CheckDto, ForgetDto, PruneDto, RepoSizeDto};
use crate::backup::{BackupDto, RestoreDto, SnapshotDiffDto, SnapshotDto, SnapshotEntryDto};
use crate::dto::*;
use crate::error::AppError;
use crate::settings::{SettingsDto, StatusDto};

/// What to run after changing a DTO.
const REGENERATE: &str = "run `scripts/gen-types.sh` (or `cargo test -p fjordsync-api --lib -- --ignored regenerate_ts`) and commit ui/src/lib/api/generated/";

/// Where the UI keeps the generated files.
fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/api/generated")
}

/// The generator's settings: `u64` and `i64` become `number`, because that
/// is what `JSON.parse` gives the UI (ts-rs says `bigint` by default). Byte
/// counts and Unix milliseconds stay far below 2^53, where `number` is exact.
fn config(dir: &Path) -> Config {
    Config::new().with_out_dir(dir).with_large_int("number")
}

/// Writes every type the UI receives or sends, with the types they use, into `dir`.
fn export_into(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let cfg = config(dir);
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t as TS>::export_all(&cfg)?; )* };
    }
    export!(
        AppError,
        AppEvent,
        AppInfo,
        BackupDto,
        CheckDto,
        ConflictDto,
        KeptAsideDto,
        MountDto,
        MountFormDto,
        crate::mounts::quit::QuitWhen,
        fjordsync_engine::bisync::Resolution,
        crate::demo::DemoSignInDto,
        FileRowDto,
        ForgetDto,
        ListingDto,
        OverviewTaskDto,
        PreviewDto,
        PruneDto,
        PurgeDto,
        QuotaDto,
        RepoSizeDto,
        RestoreDto,
        RevisionDto,
        RunDto,
        ServiceDto,
        SettingsDto,
        ShareDto,
        SnapshotDiffDto,
        SnapshotDto,
        SnapshotEntryDto,
        StatusDto,
        StorageDto,
        TaskDto,
        TaskProgressDto,
        TrashItemDto,
        WizardAccountDto,
    );
    Ok(())
}

/// The `.ts` files of a folder by name (empty when it does not exist).
fn ts_files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

fn generate() -> (tempfile::TempDir, BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    export_into(tmp.path()).unwrap();
    let files = ts_files(tmp.path());
    (tmp, files)
}

#[test]
fn generated_types_are_committed() {
    let (_tmp, fresh) = generate();
    let committed = ts_files(&committed_dir());
    let mut differences = Vec::new();
    for (name, text) in &fresh {
        match committed.get(name) {
            None => differences.push(format!("missing: {name}")),
            Some(old) if old != text => differences.push(format!("out of date: {name}")),
            Some(_) => {}
        }
    }
    differences
        .extend(committed.keys().filter(|n| !fresh.contains_key(*n)).map(|n| format!("no longer generated: {n}")));
    assert!(
        differences.is_empty(),
        "the UI's generated types differ from the Rust DTOs ({}); {REGENERATE}",
        differences.join(", ")
    );
}

#[test]
fn numbers_are_numbers() {
    let (_tmp, fresh) = generate();
    let big: Vec<_> = fresh.iter().filter(|(_, text)| text.contains("bigint")).map(|(n, _)| n.as_str()).collect();
    assert!(big.is_empty(), "JSON.parse gives numbers, not bigints: {big:?}");
}

#[test]
fn the_language_type_lists_every_language() {
    let decl = SettingsDto::decl(&config(Path::new(".")));
    for code in crate::settings::LANGUAGES {
        assert!(
            decl.contains(&format!("\"{code}\"")),
            "{code} is missing from the `language` type in settings.rs: {decl}"
        );
    }
}

/// Writes the generated types into the UI (`scripts/gen-types.sh`).
#[test]
#[ignore = "writes into ui/src/lib/api/generated/; run by scripts/gen-types.sh"]
fn regenerate_ts() {
    let dir = committed_dir();
    std::fs::create_dir_all(&dir).unwrap();
    // Types that are gone must not linger.
    for name in ts_files(&dir).keys() {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    export_into(&dir).unwrap();
}
