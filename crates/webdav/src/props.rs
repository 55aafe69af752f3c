//! Dead properties (any property a client sets with PROPPATCH that WebDAV
//! does not define) kept in the core's property store, so they survive
//! moves, copies and restarts. rclone answers "OK" without keeping them.
//!
//! A property is stored under `dav:<namespace>\n<name>` with the value
//! `<prefix>\0<xml>`: everything dav-server needs to give it back as sent.

use dav_server::fs::DavProp;

const PREFIX: &str = "dav:";

/// The store's key of a property.
pub fn key(p: &DavProp) -> String {
    format!("{PREFIX}{}\n{}", p.namespace.as_deref().unwrap_or(""), p.name)
}

/// The stored value of a property being set.
pub fn value(p: &DavProp) -> Vec<u8> {
    let mut v = p.prefix.as_deref().unwrap_or("").as_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(p.xml.as_deref().unwrap_or(b""));
    v
}

/// A stored property back as dav-server's, with its XML if `content`.
pub fn decode(key: &str, value: &[u8], content: bool) -> Option<DavProp> {
    let (ns, name) = key.strip_prefix(PREFIX)?.split_once('\n')?;
    let zero = value.iter().position(|&b| b == 0)?;
    let prefix = String::from_utf8_lossy(&value[..zero]).into_owned();
    Some(DavProp {
        name: name.to_string(),
        prefix: (!prefix.is_empty()).then_some(prefix),
        namespace: (!ns.is_empty()).then(|| ns.to_string()),
        xml: content.then(|| value[zero + 1..].to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_comes_back_as_it_was_set() {
        let p = DavProp::new("color".into(), "x".into(), "http://example.com/ns".into(), "blue".into());
        let back = decode(&key(&p), &value(&p), true).unwrap();
        assert_eq!((back.name.as_str(), back.prefix.as_deref()), ("color", Some("x")));
        assert_eq!(back.namespace.as_deref(), Some("http://example.com/ns"));
        assert_eq!(back.xml, p.xml);
        assert!(decode(&key(&p), &value(&p), false).unwrap().xml.is_none());
        assert!(decode("user.other", b"x", true).is_none());
    }
}
