//! Names and paths (spec 7).
//!
//! Two layers, kept apart on purpose:
//!
//! 1. **Name mapping** ([`encode_name`] / [`decode_name`]): local names (raw
//!    bytes, possibly invalid UTF-8) ↔ names the service can store. It is the
//!    same reversible look-alike mapping rclone applies by default for
//!    Jottacloud (`Slash, Ctl, Del, Dot, Colon, Question, DoubleQuote,
//!    Asterisk, LtGt, Pipe, InvalidUtf8, Percent`), so data written by rclone
//!    and by us read back identically.
//! 2. **Wire paths** ([`RemotePath`]): already-mapped ("remote") names joined
//!    into JFS URLs (each segment percent-encoded, `+` → `%2B`), allocate
//!    paths (`/jfs/<device>/<mp>/…`, plain) and absolute query targets
//!    (`/<user>/<device>/<mp>/…`, plain; the query encoder escapes them).
//!
//! Everything in this crate's API (paths, listing names) is in *remote* form;
//! callers map local names with [`encode_name`] and back with [`decode_name`].

use std::fmt;

use crate::error::{Error, Result};

/// U+201B, the quote rune that marks a literal look-alike or an encoded byte.
pub const QUOTE: char = '\u{201B}';
const FULL_OFFSET: u32 = 0xFEE0;
const SYMBOL_NUL: u32 = 0x2400;

/// Maximum length of one name, counted in Unicode scalar values (the unit
/// the service uses is unverified: spec 7.4).
pub const MAX_NAME_CHARS: usize = 255;

fn is_ascii_mapped(c: char) -> bool {
    matches!(c, '"' | '*' | ':' | '<' | '>' | '?' | '|' | '%' | '/')
}

fn is_fullwidth_mapped(c: char) -> bool {
    let u = c as u32;
    u > FULL_OFFSET && char::from_u32(u - FULL_OFFSET).is_some_and(is_ascii_mapped)
}

fn push_char(out: &mut String, u: u32) {
    if let Some(c) = char::from_u32(u) {
        out.push(c);
    }
}

/// Map a local name (raw bytes) to the name stored on the service.
///
/// Restricted characters become full-width/symbol look-alikes, literal
/// look-alikes get the quote rune `‛` so the mapping is reversible, and every
/// byte of invalid UTF-8 becomes `‛XX`.
pub fn encode_name(raw: &[u8]) -> String {
    match raw {
        b"" => return String::new(),
        b"." => return "\u{FF0E}".into(),
        b".." => return "\u{FF0E}\u{FF0E}".into(),
        _ => {}
    }
    if raw == "\u{FF0E}".as_bytes() {
        return format!("{QUOTE}\u{FF0E}");
    }
    if raw == "\u{FF0E}\u{FF0E}".as_bytes() {
        return format!("{QUOTE}\u{FF0E}{QUOTE}\u{FF0E}");
    }
    let mut out = String::with_capacity(raw.len() + 8);
    let mut rest = raw;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                encode_valid(s, &mut out);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                // SAFETY-free: from_utf8 told us this prefix is valid.
                if let Ok(s) = std::str::from_utf8(&rest[..good]) {
                    encode_valid(s, &mut out);
                }
                let bad = e.error_len().unwrap_or(rest.len() - good);
                for b in &rest[good..good + bad] {
                    out.push(QUOTE);
                    out.push_str(&format!("{b:02X}"));
                }
                rest = &rest[good + bad..];
            }
        }
    }
    out
}

fn encode_valid(s: &str, out: &mut String) {
    for c in s.chars() {
        let u = c as u32;
        match c {
            '\0' => push_char(out, SYMBOL_NUL),
            '\u{2400}' | QUOTE => {
                out.push(QUOTE);
                out.push(c);
            }
            c if is_ascii_mapped(c) => push_char(out, u + FULL_OFFSET),
            c if is_fullwidth_mapped(c) => {
                out.push(QUOTE);
                out.push(c);
            }
            '\u{7F}' => out.push('\u{2421}'),
            '\u{2421}' => {
                out.push(QUOTE);
                out.push(c);
            }
            _ if (1..=0x1F).contains(&u) => push_char(out, SYMBOL_NUL + u),
            c if u > SYMBOL_NUL && u <= SYMBOL_NUL + 0x1F => {
                out.push(QUOTE);
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// Map a stored name back to the local name (raw bytes; may be invalid UTF-8).
pub fn decode_name(name: &str) -> Vec<u8> {
    match name {
        "\u{FF0E}" => return b".".to_vec(),
        "\u{FF0E}\u{FF0E}" => return b"..".to_vec(),
        "\u{201B}\u{FF0E}" => return "\u{FF0E}".as_bytes().to_vec(),
        "\u{201B}\u{FF0E}\u{201B}\u{FF0E}" => return "\u{FF0E}\u{FF0E}".as_bytes().to_vec(),
        _ => {}
    }
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::with_capacity(name.len());
    let mut buf = [0u8; 4];
    let mut push = |out: &mut Vec<u8>, c: char| out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    let mut i = 0;
    let mut unquote = false;
    while i < chars.len() {
        let c = chars[i];
        let u = c as u32;
        let quoted = std::mem::take(&mut unquote);
        i += 1;
        if c == '\u{2400}' {
            if quoted {
                push(&mut out, c);
            } else {
                out.push(0);
            }
            continue;
        }
        if c == QUOTE {
            if quoted {
                push(&mut out, c);
            } else {
                unquote = true;
            }
            continue;
        }
        let mapped = if is_fullwidth_mapped(c) {
            char::from_u32(u - FULL_OFFSET)
        } else if c == '\u{2421}' {
            Some('\u{7F}')
        } else if u > SYMBOL_NUL && u <= SYMBOL_NUL + 0x1F {
            char::from_u32(u - SYMBOL_NUL)
        } else {
            None
        };
        if let Some(m) = mapped {
            push(&mut out, if quoted { c } else { m });
            continue;
        }
        if quoted {
            // `‛XX` → one raw byte.
            if i < chars.len() {
                let pair: String = [c, chars[i]].iter().collect();
                if pair.chars().all(|h| h.is_ascii_hexdigit())
                    && let Ok(b) = u8::from_str_radix(&pair, 16)
                {
                    out.push(b);
                    i += 1;
                    continue;
                }
            }
            push(&mut out, QUOTE);
        }
        push(&mut out, c);
    }
    if unquote {
        push(&mut out, QUOTE);
    }
    out
}

/// [`encode_name`] for an `OsStr` (raw bytes on Unix; lossless UTF-8 on
/// Windows where names are UTF-16 and almost always valid).
pub fn encode_os_name(name: &std::ffi::OsStr) -> String {
    encode_name(name.as_encoded_bytes())
}

/// Check a *remote* (already mapped) name before sending it.
///
/// Refuses what the service refuses (spec 7.2–7.4): empty, `.`/`..`,
/// restricted characters, controls, a literal `%XX` escape, more than
/// [`MAX_NAME_CHARS`] characters. The error names the file.
pub fn validate_remote_name(name: &str) -> Result<()> {
    let bad = |reason: &str| Err(Error::InvalidName { name: name.to_string(), reason: reason.to_string() });
    if name.is_empty() {
        return bad("empty name");
    }
    if name == "." || name == ".." {
        return bad("`.` and `..` are not allowed");
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return bad(&format!("{n} characters, the limit is {MAX_NAME_CHARS}"));
    }
    if let Some(c) =
        name.chars().find(|c| matches!(c, '"' | '*' | ':' | '<' | '>' | '?' | '|' | '/') || c.is_ascii_control())
    {
        return bad(&format!("contains the reserved character {c:?} (map names with encode_name)"));
    }
    let b = name.as_bytes();
    if b.windows(3).any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit()) {
        return bad("contains a literal percent escape (%XX), which the service refuses");
    }
    Ok(())
}

/// Case folding used for the service's case-insensitive comparisons
/// (modelled as Unicode lower-casing; spec 7.4).
pub fn fold_case(name: &str) -> String {
    name.to_lowercase()
}

/// Whether two remote names denote the same item on the service.
pub fn same_name(a: &str, b: &str) -> bool {
    a == b || fold_case(a) == fold_case(b)
}

/// Percent-encode one path segment like rclone: keep `A-Za-z0-9-._~` and
/// `$&,:;=@`, escape everything else, notably `+` → `%2B` (Jottacloud
/// would otherwise read it as a space), `#`, `%`, `'`, `\`, space.
pub fn escape_segment(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    for &b in seg.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$&,:;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path on the service: device, mountpoint and folder/file names, all in
/// remote form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemotePath {
    device: String,
    mountpoint: String,
    segments: Vec<String>,
}

impl fmt::Debug for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemotePath({self})")
    }
}

impl fmt::Display for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.device, self.mountpoint)?;
        for s in &self.segments {
            write!(f, "/{s}")?;
        }
        Ok(())
    }
}

impl RemotePath {
    /// The root of a mountpoint, e.g. `RemotePath::new("Jotta", "Archive")`.
    pub fn new(device: &str, mountpoint: &str) -> Result<Self> {
        validate_remote_name(device)?;
        validate_remote_name(mountpoint)?;
        Ok(RemotePath { device: device.into(), mountpoint: mountpoint.into(), segments: Vec::new() })
    }

    /// Parse `device/mountpoint/a/b` (remote names, `/`-separated; leading,
    /// trailing and doubled slashes are ignored).
    pub fn parse(s: &str) -> Result<Self> {
        let mut parts = s.split('/').filter(|p| !p.is_empty());
        let (Some(d), Some(m)) = (parts.next(), parts.next()) else {
            return Err(Error::InvalidArgument(format!("remote path {s:?} needs at least device/mountpoint")));
        };
        let mut p = RemotePath::new(d, m)?;
        for seg in parts {
            p = p.join(seg)?;
        }
        Ok(p)
    }

    /// Append one remote name (validated).
    pub fn join(&self, name: &str) -> Result<Self> {
        validate_remote_name(name)?;
        let mut p = self.clone();
        p.segments.push(name.into());
        Ok(p)
    }

    /// Append a local name, mapping it with [`encode_name`] first.
    pub fn join_local(&self, name: &[u8]) -> Result<Self> {
        self.join(&encode_name(name))
    }

    /// Append a `/`-separated relative remote path.
    pub fn join_path(&self, rel: &str) -> Result<Self> {
        let mut p = self.clone();
        for seg in rel.split('/').filter(|s| !s.is_empty()) {
            p = p.join(seg)?;
        }
        Ok(p)
    }

    /// Device name.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Mountpoint name.
    pub fn mountpoint(&self) -> &str {
        &self.mountpoint
    }

    /// Names below the mountpoint.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Last name (the mountpoint for a mountpoint root).
    pub fn name(&self) -> &str {
        self.segments.last().unwrap_or(&self.mountpoint)
    }

    /// Parent folder; `None` for a mountpoint root.
    pub fn parent(&self) -> Option<RemotePath> {
        if self.segments.is_empty() {
            return None;
        }
        let mut p = self.clone();
        p.segments.pop();
        Some(p)
    }

    /// True for the mountpoint itself.
    pub fn is_mountpoint_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// URL path below the JFS base: `<user>/<device>/<mp>/<names…>`, every
    /// segment escaped with [`escape_segment`].
    pub fn jfs_url_path(&self, user: &str) -> String {
        let mut s = escape_segment(user);
        for seg in [&self.device, &self.mountpoint].into_iter().chain(&self.segments) {
            s.push('/');
            s.push_str(&escape_segment(seg));
        }
        s
    }

    /// Plain absolute path for `cp`/`mv`/`mvDir` targets:
    /// `/<user>/<device>/<mp>/<names…>` (the query encoder escapes it).
    pub fn absolute(&self, user: &str) -> String {
        format!("/{user}/{self}")
    }

    /// Plain path for allocate: `/jfs/<device>/<mp>/<names…>` (no username).
    pub fn allocate_path(&self) -> String {
        format!("/jfs/{self}")
    }

    /// Parse a server path `/<user>/<device>/<mp>/…` (as in `<abspath>`).
    pub(crate) fn from_server_abspath(s: &str) -> Option<RemotePath> {
        let mut parts = s.split('/').filter(|p| !p.is_empty());
        let _user = parts.next()?;
        let device = parts.next()?;
        let mountpoint = parts.next()?;
        Some(RemotePath {
            device: device.into(),
            mountpoint: mountpoint.into(),
            segments: parts.map(String::from).collect(),
        })
    }

    /// Whether `other` equals this path or lies below it (case-insensitive).
    pub fn contains(&self, other: &RemotePath) -> bool {
        same_name(&self.device, &other.device)
            && same_name(&self.mountpoint, &other.mountpoint)
            && other.segments.len() >= self.segments.len()
            && self.segments.iter().zip(&other.segments).all(|(a, b)| same_name(a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain.txt", "plain.txt"),
            (b"a\"b", "a\u{FF02}b"),
            (b"*", "\u{FF0A}"),
            (b"c:d", "c\u{FF1A}d"),
            (b"<>", "\u{FF1C}\u{FF1E}"),
            (b"what?", "what\u{FF1F}"),
            (b"a|b", "a\u{FF5C}b"),
            (b"100%", "100\u{FF05}"),
            (b"a/b", "a\u{FF0F}b"),
            (b"nul\0", "nul\u{2400}"),
            (b"\x01\x1f", "\u{2401}\u{241F}"),
            (b"del\x7f", "del\u{2421}"),
            (b".", "\u{FF0E}"),
            (b"..", "\u{FF0E}\u{FF0E}"),
            ("\u{FF0E}".as_bytes(), "\u{201B}\u{FF0E}"),
            ("\u{FF0E}\u{FF0E}".as_bytes(), "\u{201B}\u{FF0E}\u{201B}\u{FF0E}"),
            (b"...", "..."),
            (b"bad\xff", "bad\u{201B}FF"),
            (b"\xe2\x82", "\u{201B}E2\u{201B}82"),
            ("ful\u{FF1F}l".as_bytes(), "ful\u{201B}\u{FF1F}l"),
            ("q\u{201B}".as_bytes(), "q\u{201B}\u{201B}"),
            ("sym\u{2400}".as_bytes(), "sym\u{201B}\u{2400}"),
            ("\u{FFFD}".as_bytes(), "\u{FFFD}"),
            (b"a+b#c&d;e'f\\g h", "a+b#c&d;e'f\\g h"),
            ("emoji 🎉".as_bytes(), "emoji 🎉"),
            (b" lead and trail ", " lead and trail "),
        ];
        for (raw, enc) in cases {
            assert_eq!(encode_name(raw), *enc, "encode {:?}", String::from_utf8_lossy(raw));
            assert_eq!(decode_name(enc), raw.to_vec(), "decode {enc:?}");
        }
    }

    #[test]
    fn segment_escape() {
        let cases = [
            ("a+b c+d.txt", "a%2Bb%20c%2Bd.txt"),
            ("hash#tag.txt", "hash%23tag.txt"),
            ("amp&and.txt", "amp&and.txt"),
            ("semi;colon.txt", "semi;colon.txt"),
            ("apos'trophe.txt", "apos%27trophe.txt"),
            ("back\\slash.txt", "back%5Cslash.txt"),
            ("emoji 🎉 party.txt", "emoji%20%F0%9F%8E%89%20party.txt"),
            ("renamed ✓ file.txt", "renamed%20%E2%9C%93%20file.txt"),
            ("spe\u{FF1F}ial+dir", "spe%EF%BC%9Fial%2Bdir"),
            ("100%", "100%25"),
        ];
        for (n, w) in cases {
            assert_eq!(escape_segment(n), w);
        }
    }

    #[test]
    fn validation() {
        assert!(validate_remote_name("ok name.txt").is_ok());
        assert!(validate_remote_name(&"x".repeat(255)).is_ok());
        let e = validate_remote_name(&"x".repeat(256)).unwrap_err();
        assert!(e.to_string().contains("xxxx"), "{e}");
        for bad in ["", ".", "..", "a:b", "a/b", "a\u{1}", "Pinus%20palustris.jpg"] {
            assert!(validate_remote_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_remote_name(&encode_name(b"Pinus%20palustris.jpg")).is_ok());
    }

    #[test]
    fn paths() {
        let p = RemotePath::parse("Jotta/Archive/a b/c+d").unwrap();
        assert_eq!(p.jfs_url_path("u1"), "u1/Jotta/Archive/a%20b/c%2Bd");
        assert_eq!(p.allocate_path(), "/jfs/Jotta/Archive/a b/c+d");
        assert_eq!(p.absolute("u1"), "/u1/Jotta/Archive/a b/c+d");
        assert_eq!(p.name(), "c+d");
        assert_eq!(p.parent().unwrap().to_string(), "Jotta/Archive/a b");
        assert!(RemotePath::parse("Jotta").is_err());
        assert!(p.parent().unwrap().contains(&RemotePath::parse("jotta/archive/A B/x").unwrap()));
        assert!(same_name("Hello.DOC", "hello.doc"));
        let q = RemotePath::from_server_abspath("/u1/Jotta/Archive/photos").unwrap();
        assert_eq!(q.to_string(), "Jotta/Archive/photos");
    }
}
