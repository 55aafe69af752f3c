//! The app's small files (`settings.json`, exports): read with
//! a default when missing, written atomically so a crash leaves the old or
//! the new content, never half of it.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// The file's JSON, or `default()` when there is no file yet.
pub(crate) fn read_or<T: DeserializeOwned>(path: &Path, default: impl FnOnce() -> T) -> AppResult<T> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| AppError::new("config", format!("{} is damaged: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(default()),
        Err(e) => Err(e.into()),
    }
}

/// Writes `value` as pretty JSON, creating the folder if needed.
pub(crate) fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> AppResult<()> {
    let dir = path.parent().ok_or_else(|| AppError::new("config", format!("no folder for {}", path.display())))?;
    std::fs::create_dir_all(dir)?;
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| AppError::new("internal", e.to_string()))?;
    Ok(replace(dir, path, &bytes)?)
}

/// Temp file in `dir` (the target's folder), fsync, rename over `path`; the
/// temp file is removed when any step fails.
pub(crate) fn replace(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
