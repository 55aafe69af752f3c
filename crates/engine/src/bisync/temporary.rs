//! Files editors and office programs make while they save, which a two-way
//! sync must never carry to the other side: a half-written temp file sent to
//! the cloud, or an Office lock file downloaded onto another computer, looks
//! like a real document to the user and then turns into a conflict. The
//! engine's one-way transfers have no such rule (a backup or copy takes what
//! it is given), so this list is two-way sync's own.

/// True when `name` (one file name, no folders) is an editor's or an office
/// program's temporary file.
///
/// - `~$report.docx`: Microsoft Office's owner/lock file;
/// - `.~lock.report.odt#`: LibreOffice's lock file;
/// - `.report.txt.swp`, `.swo`, `.swx`: Vim's swap files;
/// - `report.txt~`: the backup many editors leave (gedit, Emacs);
/// - `#report.txt#`: Emacs' auto-save;
/// - `*.tmp`, `*.temp`, `*.crdownload`, `*.part`: temporary and partial downloads;
/// - `.sb-*` and `.DS_Store`, `Thumbs.db`, `desktop.ini`: macOS safe-save
///   folders' files and the systems' own view files.
pub fn is_temporary(name: &str) -> bool {
    let lower = name.to_lowercase();
    if lower.starts_with("~$") || lower.starts_with(".~lock.") || lower.starts_with(".sb-") {
        return true;
    }
    if lower.ends_with('~') || (lower.starts_with('#') && lower.ends_with('#') && lower.len() > 1) {
        return true;
    }
    if lower.starts_with('.') && [".swp", ".swo", ".swx"].iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    if matches!(lower.as_str(), ".ds_store" | "thumbs.db" | "desktop.ini") {
        return true;
    }
    [".tmp", ".temp", ".crdownload", ".part"].iter().any(|e| lower.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::is_temporary;

    #[test]
    fn editor_and_office_files_are_temporary_real_documents_are_not() {
        for t in [
            "~$Report.docx",
            ".~lock.budget.ods#",
            ".notes.txt.swp",
            ".x.swo",
            "notes.txt~",
            "#notes.txt#",
            "upload.TMP",
            "film.mkv.part",
            "a.crdownload",
            ".DS_Store",
            "Thumbs.db",
            ".sb-1a2b3c-XyZ",
        ] {
            assert!(is_temporary(t), "{t}");
        }
        for real in ["Report.docx", "swp", "notes.swp.txt", "#", "temp.txt", "tmp", ".bashrc", "part.1"] {
            assert!(!is_temporary(real), "{real}");
        }
    }
}
