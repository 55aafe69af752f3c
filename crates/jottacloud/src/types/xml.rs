//! JFS XML wire shapes (spec 3, 4) and a tiny tolerant DOM to read them.
//!
//! We build a small element tree with quick-xml's event reader instead of
//! serde-deriving the DTOs, so that unknown elements, missing wrappers,
//! `xml:space` attributes and surrounding whitespace in names are all handled
//! in one obvious place, and any malformed input becomes
//! [`Error::Protocol`] instead of a panic.

use jiff::Timestamp;
use quick_xml::events::Event;

use crate::error::{Error, Result};
use crate::time::parse_jotta_time;

/// One XML element with its attributes, text and children.
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

/// Deepest element nesting accepted. JFS documents are about six levels
/// deep; the limit keeps a hostile reply from exhausting the stack (the
/// element tree is built, and dropped, recursively).
pub(crate) const MAX_DEPTH: usize = 64;

fn proto(e: impl std::fmt::Display) -> Error {
    Error::Protocol(format!("malformed XML: {e}"))
}

/// Collect an element's attributes (local names, normalised values).
pub(crate) fn attrs_of(e: &quick_xml::events::BytesStart<'_>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(proto)?;
        let key = a.key.local_name().as_ref().to_string();
        let val = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(proto)?.into_owned();
        out.push((key, val));
    }
    Ok(out)
}

/// Resolve `&amp;`, `&#x41;` and friends (reported as separate events).
pub(crate) fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<String> {
    if let Some(c) = r.resolve_char_ref().map_err(proto)? {
        return Ok(c.to_string());
    }
    let name = r.xml10_content();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_string)
        .ok_or_else(|| proto(format!("unknown entity &{name};")))
}

/// Parse a whole (small) XML document into its root element.
pub(crate) fn parse_document(bytes: &[u8]) -> Result<Element> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(proto)?;
        match ev {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(proto(format!("elements nested deeper than {MAX_DEPTH} levels")));
                }
                stack.push(Element {
                    name: e.local_name().as_ref().to_string(),
                    attrs: attrs_of(&e)?,
                    ..Default::default()
                });
            }
            Event::Empty(e) => {
                let el =
                    Element { name: e.local_name().as_ref().to_string(), attrs: attrs_of(&e)?, ..Default::default() };
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(proto("more than one root element")),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| proto("unbalanced end tag"))?;
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(proto("more than one root element")),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(proto("text outside the root element"));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    let s: &str = t.as_ref();
                    top.text.push_str(s);
                }
            }
            Event::GeneralRef(r) => {
                let s = resolve_ref(&r)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(proto("document ended inside an element"));
    }
    root.ok_or_else(|| proto("no root element"))
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Text of a child, untrimmed (names keep their spaces).
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
    /// Text of a child, trimmed; empty → None.
    pub fn child_trim(&self, name: &str) -> Option<&str> {
        self.child_text(name).map(str::trim).filter(|s| !s.is_empty())
    }
    pub fn child_i64(&self, name: &str) -> Result<Option<i64>> {
        self.child_trim(name)
            .map(|s| s.parse::<i64>().map_err(|_| proto(format!("<{name}> is not an integer: {s:?}"))))
            .transpose()
    }
    pub fn child_bool(&self, name: &str) -> Option<bool> {
        self.child_trim(name).map(|s| s.eq_ignore_ascii_case("true"))
    }
    pub fn child_time(&self, name: &str) -> Result<Option<Timestamp>> {
        match self.child_text(name) {
            None => Ok(None),
            Some(s) => parse_jotta_time(s).map_err(Error::Protocol),
        }
    }
    pub fn attr_time(&self, name: &str) -> Result<Option<Timestamp>> {
        match self.attr(name) {
            None => Ok(None),
            Some(s) => parse_jotta_time(s).map_err(Error::Protocol),
        }
    }
    /// `deleted` is presence-tested (rclone's Flag); a value we cannot parse
    /// still counts as deleted.
    pub fn deleted(&self) -> Option<Option<Timestamp>> {
        self.attr("deleted").map(|s| parse_jotta_time(s).ok().flatten())
    }
}

/// A `<currentRevision>`, `<latestRevision>` or `<revision>` block.
#[derive(Debug, Clone, Default)]
pub(crate) struct RevisionXml {
    pub number: Option<i64>,
    pub state: Option<String>,
    pub created: Option<Timestamp>,
    pub modified: Option<Timestamp>,
    pub mime: Option<String>,
    pub size: Option<i64>,
    pub md5: Option<String>,
    pub updated: Option<Timestamp>,
}

impl RevisionXml {
    pub fn from_el(e: &Element) -> Result<Self> {
        Ok(RevisionXml {
            number: e.child_i64("number")?,
            state: e.child_trim("state").map(str::to_string),
            created: e.child_time("created")?,
            modified: e.child_time("modified")?,
            mime: e.child_trim("mime").map(str::to_string),
            size: e.child_i64("size")?,
            md5: e.child_trim("md5").map(str::to_ascii_lowercase),
            updated: e.child_time("updated")?,
        })
    }
}

/// A `<file>` element (root of file metadata or child of a listing).
#[derive(Debug, Clone, Default)]
pub(crate) struct FileXml {
    pub name: String,
    pub uuid: Option<String>,
    pub deleted: Option<Option<Timestamp>>,
    pub abspath: Option<String>,
    pub current: Option<RevisionXml>,
    pub latest: Option<RevisionXml>,
    pub revisions: Vec<RevisionXml>,
    pub public_uri: Option<String>,
    pub public_share_path: Option<String>,
}

impl FileXml {
    pub fn from_el(e: &Element) -> Result<Self> {
        let name = e.attr("name").ok_or_else(|| proto("<file> without a name attribute"))?.to_string();
        let mut revisions = Vec::new();
        if let Some(rs) = e.child("revisions") {
            for r in rs.children_named("revision") {
                revisions.push(RevisionXml::from_el(r)?);
            }
        }
        Ok(FileXml {
            name,
            uuid: e.attr("uuid").map(str::to_string),
            deleted: e.deleted(),
            abspath: e.child_text("abspath").map(str::to_string),
            current: e.child("currentRevision").map(RevisionXml::from_el).transpose()?,
            latest: e.child("latestRevision").map(RevisionXml::from_el).transpose()?,
            revisions,
            public_uri: e.child_trim("publicURI").map(str::to_string),
            public_share_path: e.child_trim("publicSharePath").map(str::to_string),
        })
    }
}

/// A child `<folder>` in a listing.
#[derive(Debug, Clone, Default)]
pub(crate) struct FolderChildXml {
    pub name: String,
    pub deleted: Option<Option<Timestamp>>,
    pub abspath: Option<String>,
    pub modified: Option<Timestamp>,
}

/// A `<folder>` or `<mountPoint>` document (listing).
#[derive(Debug, Clone, Default)]
pub(crate) struct FolderXml {
    pub root_element: String,
    pub name: String,
    pub deleted: Option<Option<Timestamp>>,
    pub folders: Vec<FolderChildXml>,
    pub files: Vec<FileXml>,
}

impl FolderXml {
    pub fn from_el(e: &Element) -> Result<Self> {
        let name =
            e.attr("name").map(str::to_string).or_else(|| e.child_text("name").map(str::to_string)).unwrap_or_default();
        let mut folders = Vec::new();
        if let Some(fs) = e.child("folders") {
            for f in fs.children_named("folder") {
                folders.push(FolderChildXml {
                    name: f.attr("name").ok_or_else(|| proto("<folder> without a name attribute"))?.to_string(),
                    deleted: f.deleted(),
                    abspath: f.child_text("abspath").map(str::to_string),
                    modified: f.child_time("modified")?,
                });
            }
        }
        let mut files = Vec::new();
        if let Some(fs) = e.child("files") {
            for f in fs.children_named("file") {
                files.push(FileXml::from_el(f)?);
            }
        }
        Ok(FolderXml { root_element: e.name.clone(), name, deleted: e.deleted(), folders, files })
    }
}

/// A `<device>` element (root of a device document or child of `<devices>`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceXml {
    pub name: String,
    pub display_name: Option<String>,
    pub kind: Option<String>,
    pub sid: Option<String>,
    pub size: Option<i64>,
    pub modified: Option<Timestamp>,
    pub mountpoints: Vec<MountPointXml>,
}

/// A `<mountPoint>` summary.
#[derive(Debug, Clone, Default)]
pub(crate) struct MountPointXml {
    pub name: String,
    pub size: Option<i64>,
    pub modified: Option<Timestamp>,
}

impl MountPointXml {
    pub fn from_el(e: &Element) -> Result<Self> {
        Ok(MountPointXml {
            name: e
                .child_text("name")
                .or_else(|| e.attr("name"))
                .ok_or_else(|| proto("<mountPoint> without a name"))?
                .to_string(),
            size: e.child_i64("size")?,
            modified: e.child_time("modified")?,
        })
    }
}

impl DeviceXml {
    pub fn from_el(e: &Element) -> Result<Self> {
        let mut mountpoints = Vec::new();
        if let Some(m) = e.child("mountPoints") {
            for mp in m.children_named("mountPoint") {
                mountpoints.push(MountPointXml::from_el(mp)?);
            }
        }
        Ok(DeviceXml {
            name: e.child_text("name").ok_or_else(|| proto("<device> without a name"))?.to_string(),
            display_name: e.child_text("display_name").map(str::to_string),
            kind: e.child_trim("type").map(str::to_string),
            sid: e.child_trim("sid").map(str::to_string),
            size: e.child_i64("size")?,
            modified: e.child_time("modified")?,
            mountpoints,
        })
    }
}

/// The `<user>` document (spec 3.2).
#[derive(Debug, Clone, Default)]
pub(crate) struct UserXml {
    pub username: String,
    pub account_type: Option<String>,
    pub locked: bool,
    pub read_locked: bool,
    pub write_locked: bool,
    pub quota_write_locked: bool,
    pub capacity: Option<i64>,
    pub usage: Option<i64>,
    pub max_devices: Option<i64>,
    pub devices: Vec<DeviceXml>,
}

impl UserXml {
    pub fn from_el(e: &Element) -> Result<Self> {
        if e.name != "user" {
            return Err(proto(format!("expected <user>, got <{}>", e.name)));
        }
        let mut devices = Vec::new();
        if let Some(ds) = e.child("devices") {
            for d in ds.children_named("device") {
                devices.push(DeviceXml::from_el(d)?);
            }
        }
        Ok(UserXml {
            username: e.child_trim("username").unwrap_or_default().to_string(),
            account_type: e.child_trim("account-type").map(str::to_string),
            locked: e.child_bool("locked").unwrap_or(false),
            read_locked: e.child_bool("read-locked").unwrap_or(false),
            write_locked: e.child_bool("write-locked").unwrap_or(false),
            quota_write_locked: e.child_bool("quota-write-locked").unwrap_or(false),
            capacity: e.child_i64("capacity")?,
            usage: e.child_i64("usage")?,
            max_devices: e.child_i64("max-devices")?,
            devices,
        })
    }
}

/// The JFS error body (spec 8.1).
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorXml {
    pub code: Option<i64>,
    pub message: Option<String>,
    pub reason: Option<String>,
    pub cause: Option<String>,
}

impl ErrorXml {
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let e = parse_document(bytes).ok()?;
        if e.name != "error" {
            return None;
        }
        Some(ErrorXml {
            code: e.child_i64("code").ok().flatten(),
            message: e.child_trim("message").map(str::to_string),
            reason: e.child_trim("reason").map(str::to_string),
            cause: e.child_trim("cause").map(str::to_string),
        })
    }
}
