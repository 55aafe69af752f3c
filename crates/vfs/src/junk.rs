//! Files that Finder and Explorer write next to everything they touch.
//!
//! Refusing them makes a whole Finder copy fail (an AppleDouble `._` file
//! refused aborts the copy), and uploading them fills the storage with
//! clutter every other device shows. So they are accepted, kept in the cache
//! folder only and never uploaded; probes for them are answered without
//! asking Jottacloud.

/// True for a name kept in the cache only.
pub fn is_local_only(name: &str) -> bool {
    const MAC: [&str; 4] = [".DS_Store", ".localized", ".metadata_never_index", ".ql_disablethumbnails"];
    const WINDOWS: [&str; 2] = ["Thumbs.db", "desktop.ini"];
    name.starts_with("._") || MAC.contains(&name) || WINDOWS.iter().any(|w| w.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::is_local_only;

    #[test]
    fn finder_and_explorer_files_stay_local() {
        for n in ["._photo.jpg", ".DS_Store", ".localized", ".metadata_never_index", ".ql_disablethumbnails"] {
            assert!(is_local_only(n), "{n}");
        }
        for n in ["Thumbs.db", "thumbs.db", "desktop.ini", "Desktop.ini"] {
            assert!(is_local_only(n), "{n}");
        }
        for n in ["photo.jpg", ".bashrc", "_x", "DS_Store", "Thumbs.db.txt"] {
            assert!(!is_local_only(n), "{n}");
        }
    }
}
