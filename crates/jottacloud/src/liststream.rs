//! Recursive listing with `mode=liststream` (spec 4.5), parsed while the
//! body arrives so a 100k-entry tree never sits in memory as a document.
//!
//! Like rclone we read only `folder`, `file` and `stats` elements wherever
//! they are (the `filetree` envelope name is unverified), strip the
//! `/<mp>/<listed path>` prefix case-insensitively, and check the final
//! `<stats>` counts; a mismatch or a missing `<stats>` (truncated stream) is
//! [`Error::Protocol`]. Memory grows only with the set of folder paths
//! (needed for that count), not with files.

use std::collections::HashSet;
use std::pin::Pin;

use futures_util::{Stream, TryStreamExt};
use quick_xml::events::Event;
use tokio::io::AsyncBufRead;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Req;
use crate::model::TreeEntry;
use crate::names::{RemotePath, fold_case};
use crate::time::{parse_jotta_time, truncate_to_seconds};
use crate::types::xml::{Element, MAX_DEPTH, attrs_of, resolve_ref};

/// A stream of recursive-listing entries.
pub type TreeStream = Pin<Box<dyn Stream<Item = Result<TreeEntry>> + Send>>;

fn proto(e: impl std::fmt::Display) -> Error {
    Error::Protocol(format!("liststream: {e}"))
}

/// A stalled body stays [`Error::NoAnswer`]; anything else is a protocol error.
fn read_error(e: quick_xml::Error) -> Error {
    if let quick_xml::Error::Io(io) = &e
        && let Some(Error::NoAnswer(n)) = io.get_ref().and_then(|r| r.downcast_ref::<Error>())
    {
        return Error::NoAnswer(n.clone());
    }
    proto(e)
}

impl Client {
    /// Every folder and live, completed file below `path` (the folder itself
    /// is not emitted), streamed. Paths are relative to `path`.
    pub async fn list_tree(&self, path: &RemotePath) -> Result<TreeStream> {
        let req = Req::get(self.jfs_url(path).await?).q("mode", "liststream");
        let resp = self.call(req).await?;
        let timeouts = self.inner.options.timeouts.clone();
        let (idle, host) = (timeouts.idle, crate::timeouts::host_of(resp.url()));
        let body =
            resp.bytes_stream().map_err(move |e| std::io::Error::other(timeouts.error(e, idle).with_host(&host)));
        let reader = tokio_util::io::StreamReader::new(body);
        let mut prefix = vec![fold_case(path.mountpoint())];
        prefix.extend(path.segments().iter().map(|s| fold_case(s)));
        Ok(parse_stream(reader, prefix))
    }

    /// A fingerprint (MD5) of `path`'s whole-tree listing exactly as the
    /// service sends it, read as it arrives and never parsed: equal
    /// fingerprints mean an identical listing. A caller watching a big
    /// tree for changes parses only a listing whose fingerprint moved (a
    /// service that sends the same tree in another order only costs that
    /// caller a parse). `None` when the folder does not exist.
    pub async fn list_tree_fingerprint(&self, path: &RemotePath) -> Result<Option<[u8; 16]>> {
        use md5::Digest;
        let req = Req::get(self.jfs_url(path).await?).q("mode", "liststream");
        let resp = match self.call(req).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let timeouts = self.inner.options.timeouts.clone();
        let (idle, host) = (timeouts.idle, crate::timeouts::host_of(resp.url()));
        let mut body = resp.bytes_stream();
        let mut hash = md5::Md5::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
            hash.update(chunk.map_err(|e| timeouts.error(e, idle).with_host(&host))?);
        }
        Ok(Some(hash.finalize().into()))
    }
}

/// Parse a liststream body from any async reader. `prefix` is the folded
/// `[mp, segments…]` of the listed folder.
pub(crate) fn parse_stream<R>(reader: R, prefix: Vec<String>) -> TreeStream
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    let mut xml = quick_xml::Reader::from_reader(reader);
    xml.config_mut().trim_text(false);
    let state = Parser { xml, buf: Vec::new(), prefix, seen: HashSet::new(), folders: 0, files: 0, done: false };
    Box::pin(futures_util::stream::try_unfold(state, |mut p| async move {
        match p.next().await? {
            Some(e) => Ok(Some((e, p))),
            None => Ok(None),
        }
    }))
}

struct Parser<R> {
    xml: quick_xml::Reader<R>,
    buf: Vec<u8>,
    prefix: Vec<String>,
    seen: HashSet<String>,
    folders: u64,
    files: u64,
    done: bool,
}

impl<R: AsyncBufRead + Unpin + Send> Parser<R> {
    /// Read the next `folder`/`file`/`stats` element as a small tree.
    async fn next_element(&mut self) -> Result<Option<Element>> {
        let mut stack: Vec<Element> = Vec::new();
        loop {
            self.buf.clear();
            let ev = self.xml.read_event_into_async(&mut self.buf).await.map_err(read_error)?;
            match ev {
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_string();
                    if stack.is_empty() && !matches!(name.as_str(), "folder" | "file" | "stats") {
                        continue; // envelope or unknown wrapper
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(proto(format!("elements nested deeper than {MAX_DEPTH} levels")));
                    }
                    stack.push(Element { name, attrs: attrs_of(&e)?, ..Default::default() });
                }
                Event::Empty(e) => {
                    let el = Element {
                        name: e.local_name().as_ref().to_string(),
                        attrs: attrs_of(&e)?,
                        ..Default::default()
                    };
                    match stack.last_mut() {
                        Some(p) => p.children.push(el),
                        None if matches!(el.name.as_str(), "folder" | "file" | "stats") => return Ok(Some(el)),
                        None => {}
                    }
                }
                Event::End(_) => {
                    if let Some(el) = stack.pop() {
                        match stack.last_mut() {
                            Some(p) => p.children.push(el),
                            None => return Ok(Some(el)),
                        }
                    }
                }
                Event::Text(t) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&t.xml10_content());
                    }
                }
                Event::CData(t) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(t.as_ref());
                    }
                }
                Event::GeneralRef(r) => {
                    let s = resolve_ref(&r)?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Event::Eof => {
                    if !stack.is_empty() {
                        return Err(proto("stream ended inside an element"));
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    /// Split `/<mp>/<a>/<b>` and strip the listed prefix.
    fn relative(&self, raw: &str) -> Result<Vec<String>> {
        let parts: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() < self.prefix.len() || parts.iter().zip(&self.prefix).any(|(a, b)| fold_case(a) != *b) {
            return Err(proto(format!("path {raw:?} is outside the listed folder")));
        }
        Ok(parts[self.prefix.len()..].iter().map(|s| s.to_string()).collect())
    }

    async fn next(&mut self) -> Result<Option<TreeEntry>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let Some(el) = self.next_element().await? else {
                return Err(proto("stream ended without <stats> (truncated listing?)"));
            };
            match el.name.as_str() {
                "folder" => {
                    self.folders += 1;
                    let raw = el.child_text("path").ok_or_else(|| proto("<folder> without <path>"))?;
                    let rel = self.relative(raw)?;
                    self.seen.insert(fold_case(&rel.join("/")));
                    if rel.is_empty() {
                        continue; // the listed folder itself
                    }
                    return Ok(Some(TreeEntry::Folder { path: rel }));
                }
                "file" => {
                    self.files += 1;
                    let raw = el.child_text("path").ok_or_else(|| proto("<file> without <path>"))?;
                    let mut rel = self.relative(raw)?;
                    let key = fold_case(&rel.join("/"));
                    if self.seen.insert(key) {
                        self.folders += 1; // parent never announced: rclone counts it
                    }
                    let name = el
                        .child_text("filename")
                        .map(str::to_string)
                        .or_else(|| el.attr("name").map(str::to_string))
                        .ok_or_else(|| proto("<file> without <filename>"))?;
                    rel.push(name);
                    let time = |n: &str| -> Result<_> {
                        Ok(match el.child_text(n) {
                            Some(s) => parse_jotta_time(s).map_err(proto)?.map(truncate_to_seconds),
                            None => None,
                        })
                    };
                    let size = el.child_i64("size")?.ok_or_else(|| proto("<file> without <size>"))?;
                    return Ok(Some(TreeEntry::File {
                        path: rel,
                        size: size.max(0) as u64,
                        md5: el.child_trim("md5").unwrap_or("").to_ascii_lowercase(),
                        created: time("created")?,
                        modified: time("modified")?,
                        updated: time("updated")?,
                        uuid: el.attr("uuid").map(str::to_string),
                    }));
                }
                "stats" => {
                    let want_folders = el.child_i64("folders")?.unwrap_or(0);
                    let want_files = el.child_i64("files")?.unwrap_or(0);
                    if want_folders != self.folders as i64 || want_files != self.files as i64 {
                        return Err(proto(format!(
                            "stats mismatch: expected {want_folders} folders/{want_files} files, got {}/{}",
                            self.folders, self.files
                        )));
                    }
                    self.done = true;
                    return Ok(None);
                }
                _ => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><filetree><folder name="photos"><path xml:space="preserve">/Archive/photos</path></folder><file name="cat.jpg" uuid="f6553cd4-1135-48fe-8e6a-bb9565c50ef2"><path xml:space="preserve">/Archive/photos</path><filename xml:space="preserve">cat.jpg</filename><size>30827730</size><md5>1e8a7b728ab678048df00075c9507158</md5><modified>2023-06-01T12:00:00.000Z</modified><created>2023-06-01T12:00:00.000Z</created><updated>2024-03-01T10:19:55.000Z</updated></file><folder name="2023"><path xml:space="preserve">/Archive/photos/2023</path></folder><folder name="empty"><path xml:space="preserve">/Archive/photos/2023/empty</path></folder><stats><folders>3</folders><files>1</files></stats></filetree>"#;

    async fn collect(doc: &str, prefix: &[&str]) -> Result<Vec<TreeEntry>> {
        let r = std::io::Cursor::new(doc.as_bytes().to_vec());
        let s = parse_stream(r, prefix.iter().map(|s| fold_case(s)).collect());
        s.collect::<Vec<_>>().await.into_iter().collect()
    }

    #[tokio::test]
    async fn sample() {
        let v = collect(SAMPLE, &["Archive", "photos"]).await.unwrap();
        assert_eq!(v.len(), 3);
        assert!(matches!(&v[0], TreeEntry::File { path, size: 30827730, .. } if path == &["cat.jpg"]));
        assert!(matches!(&v[0], TreeEntry::File { uuid: Some(u), .. } if u == "f6553cd4-1135-48fe-8e6a-bb9565c50ef2"));
        assert_eq!(v[1].path(), &["2023"]);
        assert_eq!(v[2].path(), &["2023", "empty"]);
    }

    #[tokio::test]
    async fn bad_streams() {
        let mismatch = SAMPLE.replace("<files>1</files>", "<files>2</files>");
        assert!(matches!(collect(&mismatch, &["Archive", "photos"]).await, Err(Error::Protocol(_))));
        let truncated = &SAMPLE[..SAMPLE.find("<stats>").unwrap()];
        assert!(matches!(collect(truncated, &["Archive", "photos"]).await, Err(Error::Protocol(_))));
        assert!(matches!(collect(SAMPLE, &["Archive", "other"]).await, Err(Error::Protocol(_))));
        assert!(collect("<<<garbage", &["Archive"]).await.is_err());
    }
}
