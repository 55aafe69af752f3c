//! Exporting a run from the task log: its summary and every per-file row,
//! as CSV or JSON.
//!
//! The window asks for a path with the OS save dialog and [`Api::export_run`]
//! writes the export there (atomically, and only a `.csv` / `.json` file: it
//! is not a way to write arbitrary files); a browser on the bridge gets the
//! text from [`Api::export_run_text`] and downloads it itself.

use std::path::{Path, PathBuf};

use fjordsync_engine::state::EventFilter;
use serde::Serialize;

use super::Api;
use super::dto::{FileRowDto, RunDto};
use crate::error::{AppError, AppResult};

/// CSV or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    fn parse(s: &str) -> AppResult<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            other => Err(AppError::invalid(format!("unknown export format {other:?} (csv or json)"))),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The JSON export: the run, then its files.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunExport<'a> {
    run: &'a RunDto,
    files: &'a [FileRowDto],
}

/// One CSV field: quoted when it holds a comma, quote, CR or LF (quotes
/// doubled, RFC 4180), and when it starts with a character a spreadsheet
/// would read as a formula (`=`, `+`, `-`, `@`), so a file name cannot run
/// as one.
pub(crate) fn csv_field(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula || s.contains([',', '"', '\n', '\r']) {
        let body = s.replace('"', "\"\"");
        if formula { format!("\"'{body}\"") } else { format!("\"{body}\"") }
    } else {
        s.to_string()
    }
}

fn csv_line(out: &mut String, fields: &[String]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

fn rfc3339(ms: Option<i64>) -> String {
    ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok()).map(|t| t.to_string()).unwrap_or_default()
}

/// The CSV export: a header and one row for the run summary, an empty line,
/// then a header and one row per file.
pub(crate) fn to_csv(run: &RunDto, files: &[FileRowDto]) -> String {
    let c = &run.counters;
    let mut out = String::new();
    let summary = [
        "run",
        "kind",
        "source",
        "destination",
        "started",
        "ended",
        "outcome",
        "uploaded",
        "downloaded",
        "updated",
        "retimed",
        "copied",
        "deleted",
        "moved",
        "unchanged",
        "skipped",
        "failed",
        "deduplicated",
        "bytes",
        "parent",
    ];
    csv_line(&mut out, &summary.map(String::from));
    let nums = [
        c.uploaded,
        c.downloaded,
        c.updated,
        c.retimed,
        c.copied,
        c.deleted,
        c.moved,
        c.unchanged,
        c.skipped,
        c.failed,
        c.deduplicated,
        c.bytes,
    ];
    let mut row = vec![
        run.id.to_string(),
        run.kind.clone(),
        run.source.clone(),
        run.destination.clone(),
        rfc3339(Some(run.started_ms)),
        rfc3339(run.ended_ms),
        run.outcome.clone(),
    ];
    row.extend(nums.iter().map(u64::to_string));
    row.push(run.parent.map(|p| p.to_string()).unwrap_or_default());
    csv_line(&mut out, &row);
    out.push_str("\r\n");
    csv_line(&mut out, &["path", "action", "bytes", "result", "error"].map(String::from));
    for f in files {
        csv_line(
            &mut out,
            &[
                f.path.clone(),
                f.action.clone(),
                f.bytes.to_string(),
                f.result.clone(),
                f.error.clone().unwrap_or_default(),
            ],
        );
    }
    out
}

/// Temp file beside the target, fsync, rename: never half an export.
fn write_atomic(path: &Path, text: &str) -> AppResult<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).ok_or_else(|| AppError::invalid("no folder"))?;
    if !dir.is_dir() {
        return Err(AppError::invalid(format!("{} is not a folder", dir.display())));
    }
    Ok(super::json_file::replace(dir, path, text.as_bytes())?)
}

impl Api {
    /// The run and all its file rows.
    async fn run_with_files(&self, run: i64) -> AppResult<(RunDto, Vec<FileRowDto>)> {
        let db = self.state_db()?;
        let (rec, rows) = tokio::task::spawn_blocking(move || {
            let rec = db.run(run)?;
            let rows = db.events(run, &EventFilter::default())?;
            Ok::<_, fjordsync_engine::state::StateError>((rec, rows))
        })
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))?
        .map_err(|e| AppError::new("state", e.to_string()))?;
        let rec = rec.ok_or_else(|| AppError::new("not_found", format!("no run {run}")))?;
        let files = rows
            .into_iter()
            .map(|e| FileRowDto { path: e.path, action: e.action, bytes: e.bytes, result: e.result, error: e.error })
            .collect();
        Ok((RunDto::from(&rec), files))
    }

    /// A run as CSV or JSON text (the browser downloads it).
    pub async fn export_run_text(&self, run: i64, format: String) -> AppResult<String> {
        let format = ExportFormat::parse(&format)?;
        let (dto, files) = self.run_with_files(run).await?;
        Ok(match format {
            ExportFormat::Csv => to_csv(&dto, &files),
            ExportFormat::Json => serde_json::to_string_pretty(&RunExport { run: &dto, files: &files })
                .map_err(|e| AppError::new("internal", e.to_string()))?,
        })
    }

    /// Writes a run's export to `path` (chosen in the save dialog), which
    /// must be a full path ending in `.csv` or `.json` as the format says.
    /// Returns the path written.
    pub async fn export_run(&self, run: i64, format: String, path: String) -> AppResult<String> {
        let fmt = ExportFormat::parse(&format)?;
        let path = PathBuf::from(path.trim());
        if !path.is_absolute() {
            return Err(AppError::invalid("the export needs a full path"));
        }
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if ext.as_deref() != Some(fmt.extension()) {
            return Err(AppError::invalid(format!("a {} export must be saved as a .{} file", format, fmt.extension())));
        }
        if path.is_dir() {
            return Err(AppError::invalid(format!("{} is a folder", path.display())));
        }
        let text = self.export_run_text(run, format).await?;
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_atomic(&target, &text))
            .await
            .map_err(|e| AppError::new("internal", e.to_string()))??;
        Ok(path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::CountersDto;

    fn run() -> RunDto {
        RunDto {
            id: 7,
            kind: "sync".into(),
            source: "/home/me/a,b".into(),
            destination: "demo:Backup".into(),
            started_ms: 1_700_000_000_000,
            ended_ms: Some(1_700_000_001_500),
            outcome: "failed".into(),
            counters: CountersDto { uploaded: 2, failed: 1, bytes: 30, ..Default::default() },
            parent: None,
            refusal: None,
            warning: None,
            stopped: None,
        }
    }

    fn row(path: &str, error: Option<&str>) -> FileRowDto {
        FileRowDto {
            path: path.into(),
            action: "upload".into(),
            bytes: 10,
            result: if error.is_some() { "failed" } else { "completed" }.into(),
            error: error.map(String::from),
        }
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain.txt"), "plain.txt");
        assert_eq!(csv_field("a,b.txt"), "\"a,b.txt\"");
        assert_eq!(csv_field("say \"hi\".txt"), "\"say \"\"hi\"\".txt\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r"), "\"cr\r\"");
        assert_eq!(csv_field(""), "");
        // A name a spreadsheet would run as a formula stays text.
        assert_eq!(csv_field("=cmd()"), "\"'=cmd()\"");
        assert_eq!(csv_field("-x,y"), "\"'-x,y\"");
    }

    /// A minimal RFC 4180 reader, to prove the export reads back as written.
    fn parse(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => field.push(c),
            }
        }
        rows
    }

    #[test]
    fn csv_has_the_summary_and_every_row_and_reads_back() {
        let files = vec![
            row("plain.txt", None),
            row("with, comma.txt", None),
            row("with \"quotes\".txt", None),
            row("line\nbreak.txt", Some("the service said \"no\", twice")),
        ];
        let text = to_csv(&run(), &files);
        let rows = parse(&text);
        assert_eq!(rows[0][0], "run");
        assert_eq!(rows[1][0], "7");
        assert_eq!(rows[1][2], "/home/me/a,b");
        assert_eq!(rows[1][4], "2023-11-14T22:13:20Z");
        assert_eq!(rows[1][7], "2", "uploaded");
        assert_eq!(rows[1][16], "1", "failed");
        assert_eq!(rows[0].len(), rows[1].len());
        assert_eq!(rows[2], vec![String::new()], "a blank line between the two tables");
        assert_eq!(rows[3], ["path", "action", "bytes", "result", "error"]);
        let paths: Vec<&str> = rows[4..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(paths, ["plain.txt", "with, comma.txt", "with \"quotes\".txt", "line\nbreak.txt"]);
        assert_eq!(rows[7][4], "the service said \"no\", twice");
        assert!(rows[4..].iter().all(|r| r.len() == 5));
    }

    #[tokio::test]
    async fn export_writes_only_matching_files_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Api::new(config, dir.path().join("data")).unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let p = |n: &str| out.join(n).display().to_string();
        assert_eq!(api.export_run(1, "csv".into(), p("x.json")).await.unwrap_err().code, "invalid");
        assert_eq!(api.export_run(1, "csv".into(), "rel.csv".into()).await.unwrap_err().code, "invalid");
        assert_eq!(api.export_run(1, "xml".into(), p("x.xml")).await.unwrap_err().code, "invalid");
        assert_eq!(api.export_run(1, "csv".into(), p("x.csv")).await.unwrap_err().code, "not_found");
        assert!(std::fs::read_dir(&out).unwrap().next().is_none(), "nothing written for a refused export");
        let path = out.join("r.csv");
        write_atomic(&path, "a,b\r\n").unwrap();
        write_atomic(&path, "c,d\r\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "c,d\r\n");
        let names: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("r.csv")]);
    }
}
