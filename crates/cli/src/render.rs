//! Formatting for terminal output: sizes, times, names.
//!
//! Every name or path printed for a human goes through [`escape`] (directly,
//! or through [`shown_name`] / [`shown_path`] / [`shown_local`]), because
//! names come from other people: a shared folder can hold a file whose name
//! carries an escape sequence that clears the screen, retitles the window or
//! reverses the text around it. JSON output prints names exactly (serde
//! escapes what JSON needs), so scripts still get the real name.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use fjordsync_jottacloud::Timestamp;

/// `s` with every character that a terminal acts on, or that reorders the
/// text around it, written out visibly: C0 controls, DEL and C1 controls as
/// `\n`, `\r`, `\t` or `\xNN`/`\u{NN}`, and the Unicode bidirectional controls
/// (U+202E and friends, the "Trojan Source" characters) and line/paragraph
/// separators as `\u{NNNN}`. Everything else, including any other non-ASCII
/// text, is left alone, so ordinary names print as they are.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters (C0, DEL, C1: Unicode category Cc), the bidirectional
/// embedding, override and isolate controls and marks, and the line and
/// paragraph separators.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A remote name escaped for the terminal (see [`user_name`] for the exact one).
pub fn shown_name(remote_name: &str) -> String {
    escape(&user_name(remote_name)).into_owned()
}

/// A relative remote path escaped for the terminal.
pub fn shown_path(segments: &[String]) -> String {
    escape(&user_path(segments)).into_owned()
}

/// A local path escaped for the terminal (not UTF-8 bytes shown lossily).
pub fn shown_local(path: &Path) -> String {
    escape(&path.to_string_lossy()).into_owned()
}

/// A remote name as the user sees it: look-alike characters mapped back
/// (`：` → `:`), bytes that are not UTF-8 shown lossily.
pub fn user_name(remote_name: &str) -> String {
    String::from_utf8_lossy(&fjordsync_jottacloud::names::decode_name(remote_name)).into_owned()
}

/// A relative remote path as the user sees it.
pub fn user_path(segments: &[String]) -> String {
    segments.iter().map(|s| user_name(s)).collect::<Vec<_>>().join("/")
}

/// `2024-03-01 10:15:00` in UTC, or `-` when unknown.
pub fn time(t: Option<Timestamp>) -> String {
    match t {
        Some(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        None => "-".to_string(),
    }
}

/// Bytes in binary units with one decimal: `1.5 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(1 << 30), "1.0 GiB");
    }

    #[test]
    fn terminal_controls_are_written_out() {
        assert_eq!(escape("plain æøå 🎉.txt"), "plain æøå 🎉.txt");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}]0;pwned\u{7}b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(escape("l1\nl2\rx\ty"), "l1\\nl2\\rx\\ty");
        assert_eq!(escape("\u{7f}\u{9b}2J"), "\\x7f\\u{9b}2J");
        assert_eq!(escape("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(escape("\u{2066}x\u{2069}\u{200f}"), "\\u{2066}x\\u{2069}\\u{200f}");
        // The service's look-alike for ESC decodes to ESC, and is escaped.
        assert_eq!(shown_name("a\u{241B}[2J"), "a\\x1b[2J");
    }

    #[test]
    fn names_map_back_to_what_the_user_typed() {
        assert_eq!(user_name("a\u{FF1A}b"), "a:b");
        assert_eq!(user_path(&["x".into(), "q\u{FF1F}".into()]), "x/q?");
    }
}
