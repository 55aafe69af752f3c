//! A tiny XML writer for the JFS responses.
//!
//! The JFS documents are shallow and built in one pass, so a string builder with
//! careful escaping is simpler (and faster for liststream) than a DOM.

use std::fmt::Write as _;

/// Escape text and attribute values. Names never contain control characters
/// (they are refused on the way in), so the five entities suffice.
pub fn esc(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// The XML declaration JFS puts before every document.
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// String-backed writer with helpers for the element shapes JFS uses.
#[derive(Default)]
pub struct Xml {
    pub buf: String,
}

impl Xml {
    pub fn new() -> Self {
        Xml { buf: String::from(DECL) }
    }

    pub fn bare() -> Self {
        Xml::default()
    }

    /// `<tag a="v" …>` (or `/>` when `empty`).
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)], empty: bool) {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            esc(v, &mut self.buf);
            self.buf.push('"');
        }
        self.buf.push_str(if empty { "/>" } else { ">" });
    }

    pub fn close(&mut self, tag: &str) {
        let _ = write!(self.buf, "</{tag}>");
    }

    /// `<tag>text</tag>`.
    pub fn text(&mut self, tag: &str, text: &str) {
        let _ = write!(self.buf, "<{tag}>");
        esc(text, &mut self.buf);
        self.close(tag);
    }

    /// `<tag xml:space="preserve">text</tag>` for names and paths, which may have
    /// significant leading/trailing spaces.
    pub fn pre(&mut self, tag: &str, text: &str) {
        let _ = write!(self.buf, "<{tag} xml:space=\"preserve\">");
        esc(text, &mut self.buf);
        self.close(tag);
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut x = Xml::bare();
        x.open("file", &[("name", "a&b\"<>'")], false);
        x.pre("path", " sp ");
        x.close("file");
        assert_eq!(
            x.finish(),
            "<file name=\"a&amp;b&quot;&lt;&gt;&apos;\"><path xml:space=\"preserve\"> sp </path></file>"
        );
    }
}
