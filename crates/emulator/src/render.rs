//! JFS XML documents for store items (spec sections 3 and 4): user, device,
//! mountpoint, folder, file, trash view, `mode=list` and liststream pieces.

use std::fmt::Write as _;

use crate::store::{Device, File, Folder, Revision, Store, StreamEntry, Trashed};
use crate::time::{jotta, rfc3339_ms};
use crate::xml::{Xml, esc};

const HOST: &str = "dn-emu";

/// `/<user>/<names…>` from display names.
pub fn abs(user: &str, names: &[String]) -> String {
    let mut s = format!("/{user}");
    for n in names {
        s.push('/');
        s.push_str(n);
    }
    s
}

/// `now`: the server's clock (see [`crate::server::App::now`]).
fn root_attrs(extra: &mut Vec<(&str, String)>, deleted: Option<Trashed>, now: i64) {
    if let Some(t) = deleted {
        extra.push(("deleted", jotta(t.at)));
    }
    extra.push(("time", jotta(now)));
    extra.push(("host", HOST.to_string()));
}

fn open(x: &mut Xml, tag: &str, attrs: &[(&str, String)], empty: bool) {
    let refs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    x.open(tag, &refs, empty);
}

fn revision(x: &mut Xml, tag: &str, r: &Revision) {
    x.open(tag, &[], false);
    x.text("number", &r.number.to_string());
    x.text("state", r.state.as_str());
    x.text("created", &jotta(r.created));
    x.text("modified", &jotta(r.modified));
    x.text("mime", &r.mime);
    if r.state == crate::store::RevState::Completed {
        x.text("size", &r.size.to_string());
    }
    x.text("md5", &r.md5);
    x.text("updated", &jotta(r.updated));
    x.close(tag);
}

fn revisions_of(x: &mut Xml, f: &File, history: bool) {
    if let Some(r) = f.current() {
        revision(x, "currentRevision", r);
    }
    if let Some(r) = f.latest_pending() {
        revision(x, "latestRevision", r);
    }
    if history {
        let h = f.history();
        if !h.is_empty() {
            x.open("revisions", &[], false);
            for r in h {
                revision(x, "revision", r);
            }
            x.close("revisions");
        }
    }
}

/// A `<file>` child inside a listing; `parent_abs` is its folder's path.
fn file_child(x: &mut Xml, f: &File, parent_abs: &str, trash_ctx: bool) {
    let mut attrs = vec![("name", f.name.clone()), ("uuid", f.uuid.clone())];
    if let Some(t) = f.deleted {
        attrs.push(("deleted", jotta(t.at)));
    }
    if trash_ctx {
        attrs.push(("contextType", "TRASH".into()));
    }
    open(x, "file", &attrs, false);
    if f.deleted.is_some() {
        x.pre("abspath", parent_abs);
    }
    revisions_of(x, f, false);
    x.close("file");
}

fn folder_child(x: &mut Xml, d: &Folder, parent_abs: &str, trash_ctx: bool) {
    let mut attrs = vec![("name", d.name.clone())];
    if let Some(t) = d.deleted {
        attrs.push(("deleted", jotta(t.at)));
    }
    if trash_ctx {
        attrs.push(("contextType", "TRASH".into()));
    }
    if d.deleted.is_some() {
        open(x, "folder", &attrs, false);
        x.pre("abspath", parent_abs);
        x.close("folder");
    } else {
        open(x, "folder", &attrs, true);
    }
}

fn children(x: &mut Xml, f: &Folder, own_abs: &str) {
    if !f.folders.is_empty() {
        x.open("folders", &[], false);
        for d in f.folders.values() {
            folder_child(x, d, own_abs, false);
        }
        x.close("folders");
    }
    if !f.files.is_empty() {
        x.open("files", &[], false);
        for file in f.files.values() {
            file_child(x, file, own_abs, false);
        }
        x.close("files");
    }
    let total = (f.folders.len() + f.files.len()).to_string();
    x.open(
        "metadata",
        &[
            ("first", ""),
            ("max", ""),
            ("total", &total),
            ("num_folders", &f.folders.len().to_string()),
            ("num_files", &f.files.len().to_string()),
        ],
        true,
    );
}

/// `GET /jfs/<user>` (3.2).
pub fn user(store: &Store, username: &str, capacity: i64, now: i64) -> String {
    let mut x = Xml::new();
    let mut attrs = Vec::new();
    root_attrs(&mut attrs, None, now);
    open(&mut x, "user", &attrs, false);
    x.text("username", username);
    x.text("account-type", if capacity > 0 { "limited" } else { "unlimited" });
    x.text("locked", "false");
    x.text("capacity", &capacity.to_string());
    x.text("max-devices", "-1");
    x.text("max-mobile-devices", "-1");
    x.text("usage", &store.usage().to_string());
    x.text("read-locked", "false");
    x.text("write-locked", &store.write_locked.to_string());
    x.text("quota-write-locked", &store.quota_write_locked.to_string());
    x.text("enable-sync", "true");
    x.text("enable-foldershare", "true");
    x.open("devices", &[], false);
    for d in store.devices.values() {
        x.open("device", &[], false);
        device_fields(&mut x, d);
        x.close("device");
    }
    x.close("devices");
    x.close("user");
    x.finish()
}

fn device_size(d: &Device) -> u64 {
    d.mountpoints.values().map(Folder::size).sum()
}

fn device_fields(x: &mut Xml, d: &Device) {
    x.pre("name", &d.name);
    x.pre("display_name", &d.name);
    x.text("type", &d.dtype);
    x.text("sid", &d.sid);
    x.text("size", &device_size(d).to_string());
    x.text("modified", &jotta(d.modified));
}

/// `GET /jfs/<user>/<device>` (3.3).
pub fn device(d: &Device, username: &str, now: i64) -> String {
    let mut x = Xml::new();
    let mut attrs = Vec::new();
    root_attrs(&mut attrs, None, now);
    open(&mut x, "device", &attrs, false);
    device_fields(&mut x, d);
    x.text("user", username);
    x.open("mountPoints", &[], false);
    for m in d.mountpoints.values() {
        x.open("mountPoint", &[], false);
        x.pre("name", &m.name);
        x.text("size", &m.size().to_string());
        x.text("modified", &jotta(m.modified));
        x.close("mountPoint");
    }
    x.close("mountPoints");
    let n = d.mountpoints.len().to_string();
    x.open("metadata", &[("first", ""), ("max", ""), ("total", &n), ("num_mountpoints", &n)], true);
    x.close("device");
    x.finish()
}

/// Mountpoint root listing (4.2.1).
pub fn mountpoint(dev: &Device, m: &Folder, username: &str, now: i64) -> String {
    let mut x = Xml::new();
    let mut attrs = Vec::new();
    root_attrs(&mut attrs, None, now);
    open(&mut x, "mountPoint", &attrs, false);
    x.pre("name", &m.name);
    let dev_abs = abs(username, std::slice::from_ref(&dev.name));
    x.pre("path", &dev_abs);
    x.pre("abspath", &dev_abs);
    x.text("size", &m.size().to_string());
    x.text("modified", &jotta(m.modified));
    x.text("device", &dev.name);
    x.text("user", username);
    children(&mut x, m, &format!("{dev_abs}/{}", m.name));
    x.close("mountPoint");
    x.finish()
}

/// Folder listing (4.2); `display` = device, mountpoint, folders… down to it.
pub fn folder(f: &Folder, display: &[String], username: &str, now: i64) -> String {
    let mut x = Xml::new();
    let mut attrs = vec![("name", f.name.clone())];
    root_attrs(&mut attrs, f.deleted, now);
    open(&mut x, "folder", &attrs, false);
    let parent_abs = abs(username, &display[..display.len().saturating_sub(1)]);
    x.pre("path", &parent_abs);
    x.pre("abspath", &parent_abs);
    children(&mut x, f, &abs(username, display));
    x.close("folder");
    x.finish()
}

/// File metadata (4.4); `parent` = display names of its folder.
pub fn file(f: &File, parent: &[String], username: &str, history: bool, now: i64) -> String {
    let mut x = Xml::new();
    let mut attrs = vec![("name", f.name.clone()), ("uuid", f.uuid.clone())];
    root_attrs(&mut attrs, f.deleted, now);
    open(&mut x, "file", &attrs, false);
    let parent_abs = abs(username, parent);
    x.pre("path", &parent_abs);
    x.pre("abspath", &parent_abs);
    if let Some(uri) = &f.public_uri {
        x.text("publicURI", uri);
        x.text("publicSharePath", &format!("/s/{uri}"));
    }
    revisions_of(&mut x, f, history);
    x.close("file");
    x.finish()
}

/// The Trash view (4.13): top-level trashed items of every device.
pub fn trash(store: &Store, username: &str, now: i64) -> String {
    let mut folders = Xml::bare();
    let mut files = Xml::bare();
    let (mut nfo, mut nfi) = (0usize, 0usize);
    // Explicit stack: (folder, its display path).
    let mut stack: Vec<(&Folder, Vec<String>)> = Vec::new();
    for d in store.devices.values() {
        for m in d.mountpoints.values() {
            stack.push((m, vec![d.name.clone(), m.name.clone()]));
        }
    }
    while let Some((f, path)) = stack.pop() {
        let own = abs(username, &path);
        for file in f.files.values().filter(|x| !x.is_live()) {
            file_child(&mut files, file, &own, true);
            nfi += 1;
        }
        for d in f.folders.values() {
            if d.deleted.is_some() {
                folder_child(&mut folders, d, &own, true);
                nfo += 1;
            } else {
                let mut p = path.clone();
                p.push(d.name.clone());
                stack.push((d, p));
            }
        }
    }
    let mut x = Xml::new();
    let mut attrs = Vec::new();
    root_attrs(&mut attrs, None, now);
    open(&mut x, "mountPoint", &attrs, false);
    x.pre("name", crate::store::TRASH);
    let dev_abs = format!("/{username}/{}", crate::store::JOTTA);
    x.pre("path", &dev_abs);
    x.pre("abspath", &dev_abs);
    x.text("size", "");
    x.text("modified", "");
    x.text("device", crate::store::JOTTA);
    x.text("user", username);
    if nfo > 0 {
        x.open("folders", &[], false);
        x.buf.push_str(&folders.buf);
        x.close("folders");
    }
    if nfi > 0 {
        x.open("files", &[], false);
        x.buf.push_str(&files.buf);
        x.close("files");
    }
    x.open(
        "metadata",
        &[
            ("first", ""),
            ("max", ""),
            ("total", &(nfo + nfi).to_string()),
            ("num_folders", &nfo.to_string()),
            ("num_files", &nfi.to_string()),
        ],
        true,
    );
    x.close("mountPoint");
    x.finish()
}

/// `mode=list` (4.6): one `<folder>` per live folder of the subtree with its files.
pub fn filedirlist(root: &Folder, display: &[String], username: &str, now: i64) -> String {
    let mut x = Xml::new();
    let mut attrs = Vec::new();
    root_attrs(&mut attrs, None, now);
    open(&mut x, "filedirlist", &attrs, false);
    x.open("folders", &[], false);
    let mut stack: Vec<(&Folder, Vec<String>)> = vec![(root, display.to_vec())];
    while let Some((f, path)) = stack.pop() {
        let parent = abs(username, &path[..path.len().saturating_sub(1)]);
        x.open("folder", &[("name", &f.name)], false);
        x.pre("path", &parent);
        x.pre("abspath", &parent);
        let own = abs(username, &path);
        let live: Vec<&File> = f.files.values().filter(|x| x.is_live()).collect();
        if !live.is_empty() {
            x.open("files", &[], false);
            for file in live {
                file_child(&mut x, file, &own, false);
            }
            x.close("files");
        }
        x.close("folder");
        for d in f.folders.values().rev().filter(|d| d.deleted.is_none()) {
            let mut p = path.clone();
            p.push(d.name.clone());
            stack.push((d, p));
        }
    }
    x.close("folders");
    x.close("filedirlist");
    x.finish()
}

pub const LISTSTREAM_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><filetree>";

/// One liststream element (4.5), appended to `out`.
pub fn stream_entry(e: &StreamEntry, out: &mut String) {
    match e {
        StreamEntry::Folder { name, path } => {
            out.push_str("<folder name=\"");
            esc(name, out);
            out.push_str("\"><path xml:space=\"preserve\">");
            esc(path, out);
            out.push_str("</path></folder>");
        }
        StreamEntry::File { path, name, uuid, size, md5, created, modified, updated } => {
            out.push_str("<file name=\"");
            esc(name, out);
            let _ = write!(out, "\" uuid=\"{uuid}\"><path xml:space=\"preserve\">");
            esc(path, out);
            out.push_str("</path><filename xml:space=\"preserve\">");
            esc(name, out);
            let _ = write!(
                out,
                "</filename><size>{size}</size><md5>{md5}</md5><modified>{}</modified><created>{}</created><updated>{}</updated></file>",
                rfc3339_ms(*modified),
                rfc3339_ms(*created),
                rfc3339_ms(*updated)
            );
        }
    }
}

pub fn stream_tail(folders: usize, files: usize) -> String {
    format!("<stats><folders>{folders}</folders><files>{files}</files></stats></filetree>")
}
