//! Telling an API reply from something else at the same address.
//!
//! A wrong endpoint (a plain web server, a captive portal, a proxy's error
//! page) answers with HTML or arbitrary bytes. Those must end as a short,
//! specific [`Error::NotTheApi`], never as the page itself in a terminal;
//! the start of the body is kept, escaped, for a details view.

use url::Url;

use crate::error::{Error, NotTheApi, ReplyKind};
use crate::timeouts::host_of;

/// Characters of a body kept for a details view.
const EXCERPT_CHARS: usize = 200;

/// What kind of document a call expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Xml,
    Json,
}

/// True if the body looks like an HTML page.
pub(crate) fn is_web_page(bytes: &[u8]) -> bool {
    let head: Vec<u8> = bytes.iter().take(512).map(u8::to_ascii_lowercase).collect();
    let head = String::from_utf8_lossy(&head);
    let t = head.trim_start_matches('\u{feff}').trim_start();
    // JSON and JFS XML never start like this, and escape `<` inside text.
    t.starts_with('<') && ["<!doctype html", "<html", "<head>", "<body"].iter().any(|m| t.contains(m))
}

/// If `bytes` cannot be a document of the expected kind at all (a web page,
/// binary data, plain text), the error to report; `None` when it may be one
/// (a malformed one is then a protocol error of its own).
pub(crate) fn not_the_api(url: &Url, status: u16, bytes: &[u8], expect: Expect) -> Option<Error> {
    let kind = if is_web_page(bytes) {
        ReplyKind::WebPage
    } else {
        let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
        let plausible = first.is_none() // empty: the caller's own error says more
            || match expect {
            Expect::Xml => first == Some(b'<'),
            Expect::Json => matches!(first, Some(b'{' | b'[' | b'"')) || first.is_some_and(|b| b.is_ascii_digit()),
        };
        if plausible {
            return None;
        }
        ReplyKind::Unreadable
    };
    let e = NotTheApi { host: host_of(url), status, kind, excerpt: excerpt(bytes) };
    tracing::info!(host = %e.host, status, excerpt = %e.excerpt, "the reply is not the Jottacloud API");
    Some(Error::NotTheApi(Box::new(e)))
}

/// The start of a body as one line of text: control characters escaped,
/// whitespace runs collapsed, at most [`EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    short_text(bytes, EXCERPT_CHARS)
}

/// Like [`excerpt`] with a caller's length limit.
pub(crate) fn short_text(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max_chars * 4)]);
    let mut out = String::new();
    let mut n = 0;
    let mut space = false;
    for c in text.trim().chars() {
        if n >= max_chars {
            out.push('…');
            break;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            n += 1;
            space = false;
        }
        if c.is_control() {
            let esc: String = c.escape_default().collect();
            n += esc.chars().count();
            out.push_str(&esc);
        } else {
            out.push(c);
            n += 1;
        }
    }
    out
}

/// A one-line description of an error body nobody could parse: a web
/// page's title, or the start of the text.
pub(crate) fn describe(bytes: &[u8]) -> String {
    if is_web_page(bytes) {
        let head = &bytes[..bytes.len().min(4096)];
        // ASCII lower-casing keeps every byte where it was.
        let low = head.to_ascii_lowercase();
        let find = |tag: &[u8]| low.windows(tag.len()).position(|w| w == tag);
        if let (Some(a), Some(b)) = (find(b"<title>"), find(b"</title>"))
            && a + 7 <= b
        {
            return format!("a web page titled \"{}\"", short_text(&head[a + 7..b], 80));
        }
        return "a web page".into();
    }
    short_text(bytes, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let u = Url::parse("http://example.org/x").unwrap();
        let page = b"<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body>hi</body></html>";
        let e = not_the_api(&u, 200, page, Expect::Json).unwrap();
        assert_eq!(
            e.to_string(),
            "the server at example.org answered with a web page, not the Jottacloud API: is the address right?"
        );
        assert!(
            matches!(e, Error::NotTheApi(d) if d.kind == ReplyKind::WebPage && d.excerpt.starts_with("<!DOCTYPE html> <html>"))
        );
        assert!(not_the_api(&u, 200, b"\x00\x01garbage", Expect::Xml).is_some());
        assert!(not_the_api(&u, 200, b"<folder><bad", Expect::Xml).is_none());
        assert!(not_the_api(&u, 200, b" {\"a\":", Expect::Json).is_none());
        assert_eq!(describe(page), "a web page titled \"Welcome to nginx!\"");
        assert_eq!(short_text(b"a\x1b[2J  b\n\nc", 50), "a\\u{1b}[2J b c");
        assert_eq!(short_text("é".repeat(500).as_bytes(), 3), "ééé…");
    }
}
