//! Decoding and validating item names (spec section 7).
//!
//! Every name that reaches the store has passed [`validate`], so the store never
//! has to think about escaping; lookups use [`fold`] so the tree is
//! case-insensitive while keeping the first casing for display.

/// Why a name or path was refused; always answered with 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadName(pub String);

/// The key a name is stored under: Unicode lower case, so `Hello.doc` and
/// `hello.doc` are the same item.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode one raw URL path segment. A literal `+` becomes a space when
/// `plus_as_space` is set (spec 7.1: unverified on the real service, so it is a
/// switch). Invalid UTF-8 or a broken escape is refused.
pub fn decode_segment(raw: &str, plus_as_space: bool) -> Result<String, BadName> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(h), Some(l)) = (b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex))
                else {
                    return Err(BadName(format!("broken percent escape in {raw:?}")));
                };
                out.push(h * 16 + l);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| BadName(format!("invalid UTF-8 in {raw:?}")))
}

/// Split a raw (still percent-encoded) path into decoded segments. A single
/// trailing slash is tolerated (rclone's `mvDir` source has one); empty
/// segments elsewhere are refused by [`validate`] later.
pub fn split_path(raw: &str, plus_as_space: bool) -> Result<Vec<String>, BadName> {
    let trimmed = raw.strip_prefix('/').unwrap_or(raw);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    trimmed.split('/').map(|s| decode_segment(s, plus_as_space)).collect()
}

/// Split an already decoded absolute path (query values, allocate paths).
pub fn split_decoded(path: &str) -> Vec<String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split('/').map(str::to_string).collect()
}

/// Refuse names the service cannot store (7.2–7.4).
pub fn validate(name: &str) -> Result<(), BadName> {
    if name.is_empty() {
        return Err(BadName("empty name".into()));
    }
    if name == "." || name == ".." {
        return Err(BadName(format!("reserved name {name:?}")));
    }
    if name.chars().count() > 255 {
        return Err(BadName("name longer than 255 characters".into()));
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|' | '/')
            || c.is_control()
            || ('\u{fdd0}'..='\u{fdef}').contains(c)
    }) {
        return Err(BadName(format!("character {c:?} not allowed in {name:?}")));
    }
    let b = name.as_bytes();
    if b.windows(3).any(|w| w[0] == b'%' && hex(w[1]).is_some() && hex(w[2]).is_some()) {
        return Err(BadName(format!("percent escape sequence in {name:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode_segment("a%2Bb%20c", true).unwrap(), "a+b c");
        assert_eq!(decode_segment("a+b", true).unwrap(), "a b");
        assert_eq!(decode_segment("a+b", false).unwrap(), "a+b");
        assert!(decode_segment("%ff", true).is_err());
        assert!(decode_segment("%zz", true).is_err());
        assert_eq!(split_path("/a/b/", true).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn validation() {
        assert!(validate("ok name.txt").is_ok());
        assert!(validate("spe？ial").is_ok());
        for bad in ["", ".", "..", "a:b", "a*", "q?", "x\"", "<", ">", "|", "c\u{1}", "Pinus%20p"] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
        assert!(validate(&"x".repeat(255)).is_ok());
        assert!(validate(&"x".repeat(256)).is_err());
        assert!(validate("100%").is_ok());
    }
}
