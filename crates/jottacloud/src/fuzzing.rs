//! Entry points for the fuzz targets in `fuzz/` (not a stable API).
//!
//! Each function feeds bytes from a fuzzer to one parser of what a server
//! sends and checks what must hold for any input: no panic, and errors of
//! the documented kinds. The parsers stay private; only these wrappers are
//! public, hidden from the docs.

use std::task::{Context, Poll, Waker};

use crate::error::Error;
use crate::names::{decode_name, encode_name, fold_case};
use crate::types::json::{
    AllocateResponseJson, ApiErrorJson, CustomerJson, OAuthErrorJson, PurgeJson, TokenJson, UploadResponseJson,
    WellKnownJson,
};
use crate::types::xml::{DeviceXml, ErrorXml, FileXml, FolderXml, MountPointXml, UserXml, parse_document};

/// A JFS XML document, read as every document type the client knows.
pub fn jfs_xml(data: &[u8]) {
    let Ok(el) = parse_document(data) else { return };
    let _ = UserXml::from_el(&el);
    let _ = DeviceXml::from_el(&el);
    let _ = MountPointXml::from_el(&el);
    if let Ok(f) = FolderXml::from_el(&el) {
        let _ = crate::model::FolderListing::from_xml(&f, crate::model::ListMode::Live);
        let _ = crate::model::FolderListing::from_xml(&f, crate::model::ListMode::TrashedOnly);
    }
    if let Ok(f) = FileXml::from_el(&el) {
        let _ = crate::model::FileInfo::from_xml(&f, true);
        for r in &f.revisions {
            let _ = crate::model::Revision::from_xml(r, false);
        }
    }
    let _ = crate::files::entry_from(&el, &crate::names::RemotePath::new("Jotta", "Archive").expect("valid"));
    let _ = ErrorXml::parse(data);
}

/// A `mode=liststream` body, listed below `/Archive` and below `/Archive/a`.
/// Every error must be a protocol error.
pub fn liststream(data: &[u8]) {
    for prefix in [vec!["archive".to_string()], vec!["archive".to_string(), "a".to_string()]] {
        let reader = std::io::Cursor::new(data.to_vec());
        let mut stream = crate::liststream::parse_stream(reader, prefix);
        let mut cx = Context::from_waker(Waker::noop());
        // An in-memory reader never waits, so each poll makes progress; the
        // count bound is a guard, not a limit a real input reaches.
        for _ in 0..=data.len() + 2 {
            match stream.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(Some(Err(e))) => {
                    assert!(matches!(e, Error::Protocol(_)), "liststream error of the wrong kind: {e:?}");
                    break;
                }
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
    }
}

/// A JSON reply of the API host or the token endpoint, read as each shape.
pub fn api_json(data: &[u8]) {
    let _ = serde_json::from_slice::<CustomerJson>(data);
    let _ = serde_json::from_slice::<TokenJson>(data);
    let _ = serde_json::from_slice::<AllocateResponseJson>(data);
    let _ = serde_json::from_slice::<UploadResponseJson>(data);
    let _ = serde_json::from_slice::<PurgeJson>(data);
    let _ = serde_json::from_slice::<WellKnownJson>(data);
    let _ = serde_json::from_slice::<OAuthErrorJson>(data);
    let _ = serde_json::from_slice::<ApiErrorJson>(data);
    let url = url::Url::parse("https://api.jottacloud.com/x").expect("valid");
    let _ = crate::reply::not_the_api(&url, 200, data, crate::reply::Expect::Json);
}

/// An error reply body with the status in its first two bytes. The message
/// shown to the user must be one short line.
pub fn error_body(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (500, data),
    };
    let url = url::Url::parse("https://jfs.jottacloud.com/jfs/u").expect("valid");
    let e = crate::http::error_from_reply(&url, status, body, None);
    let shown = e.to_string();
    assert!(!shown.chars().any(char::is_control), "control character in the message {shown:?}");
    if let Some(b) = crate::http::api_error_from_body(status, body).body {
        assert!(!b.chars().any(char::is_control), "control character in {b:?}");
        assert!(b.chars().count() <= 320, "body text of {} characters", b.chars().count());
    }
}

/// A personal login token as a user might paste it.
pub fn login_token(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        match crate::auth::LoginToken::decode(s) {
            Ok(t) => assert!(format!("{t:?}").contains("<redacted>")),
            Err(e) => assert!(matches!(e, Error::Auth(_)), "login token error of the wrong kind: {e:?}"),
        }
    }
}

/// The name mapping: any stored name decodes, and any local name survives
/// encode + decode unchanged (the mapping is reversible).
pub fn names(data: &[u8]) {
    let encoded = encode_name(data);
    assert_eq!(decode_name(&encoded), data, "encode/decode round trip of {data:?} via {encoded:?}");
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = decode_name(s);
        let _ = fold_case(s);
        let _ = crate::names::validate_remote_name(s);
        let _ = crate::names::RemotePath::parse(s);
        let _ = crate::time::parse_jotta_time(s);
    }
}
