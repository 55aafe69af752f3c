//! Formatting for terminal output: sizes, times, names.

use fjordsync_jottacloud::Timestamp;

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
    fn names_map_back_to_what_the_user_typed() {
        assert_eq!(user_name("a\u{FF1A}b"), "a:b");
        assert_eq!(user_path(&["x".into(), "q\u{FF1F}".into()]), "x/q?");
    }
}
