//! Every XML/JSON sample of the spec, copied verbatim to `tests/fixtures/`,
//! must parse into the DTOs and domain types.

use super::json::*;
use super::xml::*;
use crate::model::{FileInfo, FolderListing, ListMode, RevisionState};

macro_rules! fixture {
    ($f:literal) => {
        include_str!(concat!("../../tests/fixtures/", $f))
    };
}

fn doc(s: &str) -> Element {
    parse_document(s.as_bytes()).expect("fixture parses")
}

#[test]
fn user_xml() {
    let u = UserXml::from_el(&doc(fixture!("user.xml"))).unwrap();
    assert_eq!(u.username, "12qh1wsht8cssxdtwl15rqh9");
    assert_eq!(u.capacity, Some(-1));
    assert_eq!(u.usage, Some(123456789));
    assert!(!u.write_locked);
    assert_eq!(u.devices.len(), 2);
    assert_eq!(u.devices[1].name, "my-laptop");
    assert_eq!(u.devices[1].kind.as_deref(), Some("WORKSTATION"));
}

#[test]
fn device_xml() {
    let d = DeviceXml::from_el(&doc(fixture!("device.xml"))).unwrap();
    assert_eq!(d.name, "Jotta");
    let names: Vec<_> = d.mountpoints.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Archive", "Shared", "Sync"]);
    assert!(d.mountpoints[1].modified.is_none(), "empty <modified> is no time");
}

#[test]
fn folder_xml() {
    let el = doc(fixture!("folder.xml"));
    assert_eq!(el.name, "folder");
    let f = FolderXml::from_el(&el).unwrap();
    assert_eq!(f.name, "photos");
    assert_eq!(f.folders.len(), 2);
    assert!(f.folders[1].deleted.is_some());
    let live = FolderListing::from_xml(&f, ListMode::Live);
    assert_eq!(live.folders.len(), 1);
    assert_eq!(live.files.len(), 1, "incomplete-only dog.jpg is hidden");
    assert_eq!(live.files[0].name, "cat.jpg");
    assert_eq!(live.files[0].size, 30827730);
    assert_eq!(live.files[0].revision, 2);
    let trashed = FolderListing::from_xml(&f, ListMode::TrashedOnly);
    assert_eq!(trashed.folders.len(), 1);
    assert_eq!(trashed.folders[0].name, "old");
    assert!(trashed.files.is_empty());
}

#[test]
fn mountpoint_xml() {
    let el = doc(fixture!("mountpoint.xml"));
    assert_eq!(el.name, "mountPoint");
    let f = FolderXml::from_el(&el).unwrap();
    assert_eq!(f.name, "Archive");
    assert_eq!(f.folders[0].name, "photos");
    assert!(f.files.is_empty());
}

#[test]
fn file_xml() {
    let f = FileXml::from_el(&doc(fixture!("file.xml"))).unwrap();
    let info = FileInfo::from_xml(&f, false).unwrap();
    assert_eq!(info.md5, "1e8a7b728ab678048df00075c9507158");
    assert_eq!(info.state, RevisionState::Completed);
    assert_eq!(info.uuid.as_deref(), Some("f6553cd4-1135-48fe-8e6a-bb9565c50ef2"));
    assert_eq!(f.revisions.len(), 1);
    assert_eq!(f.revisions[0].size, Some(2048));
    assert!(!info.is_deleted());
}

#[test]
fn trash_and_share_xml() {
    let t = FolderXml::from_el(&doc(fixture!("trash.xml"))).unwrap();
    assert_eq!(t.folders[0].name, "old");
    assert_eq!(t.folders[0].abspath.as_deref(), Some("/12qh1wsht8cssxdtwl15rqh9/Jotta/Archive/photos"));
    assert!(t.files[0].deleted.is_some());
    let s = doc(fixture!("share.xml"));
    assert_eq!(s.child_trim("publicURI"), Some("a8c4e1f0b2d94c7e9f3a6b5d2c1e0f98"));
}

#[test]
fn error_bodies() {
    let e = ErrorXml::parse(fixture!("error.xml").as_bytes()).unwrap();
    assert_eq!(e.code, Some(404));
    assert_eq!(e.message.as_deref(), Some("no.jotta.backup.errors.NoSuchPathException"));
    let api = crate::http::api_error_from_body(404, fixture!("error.xml").as_bytes());
    assert_eq!(api.reason.as_deref(), Some("Not Found"));
    let api = crate::http::api_error_from_body(420, fixture!("api_error.json").as_bytes());
    assert_eq!(api.error_id.as_deref(), Some("IncompleteUploadOpenApiException"));
    let oauth = br#"{"error":"invalid_grant","error_description":"Session doesn't have required client"}"#;
    let api = crate::http::api_error_from_body(400, oauth);
    assert_eq!(api.error_id.as_deref(), Some("invalid_grant"));
    let api = crate::http::api_error_from_body(460, b"quota gone");
    assert!(matches!(crate::Error::from_status(api, None), crate::Error::QuotaExceeded(_)));
}

#[test]
fn json_samples() {
    let c: CustomerJson = serde_json::from_str(fixture!("customer.json")).unwrap();
    assert_eq!(c.username, "12qh1wsht8cssxdtwl15rqh9");
    assert_eq!(c.quota, Some(-1));
    let t: TokenJson = serde_json::from_str(fixture!("token_response.json")).unwrap();
    assert_eq!(t.expires_in, Some(3600));
    assert!(t.refresh_token.is_some());
    let w: WellKnownJson = serde_json::from_str(fixture!("well_known.json")).unwrap();
    assert!(w.token_endpoint.ends_with("/protocol/openid-connect/token"));
    let a: AllocateResponseJson = serde_json::from_str(fixture!("allocate_response.json")).unwrap();
    assert_eq!(a.resume_pos, Some(0));
    assert_eq!(a.state.as_deref(), Some("INCOMPLETE"));
    let u: UploadResponseJson = serde_json::from_str(fixture!("upload_response.json")).unwrap();
    assert_eq!(u.bytes, Some(30827730));
    let p: PurgeJson = serde_json::from_str(fixture!("purge_trash.json")).unwrap();
    assert_eq!((p.folders, p.files), (Some(5), Some(3)));
    let l: LoginTokenJson = serde_json::from_str(fixture!("login_token_payload.json")).unwrap();
    assert_eq!(l.realm, "jottacloud");
}

#[test]
fn liststream_fixture_is_well_formed() {
    let el = doc(fixture!("liststream.xml"));
    assert_eq!(el.name, "filetree");
}

#[test]
fn malformed_documents_are_errors() {
    for bad in ["", "<folder>", "<a></b>", "not xml at all <", "<file name=\"x\"><size>abc</size></file>"] {
        let r = parse_document(bad.as_bytes()).and_then(|e| {
            if e.name == "file" {
                FileXml::from_el(&e).map(|_| ())?;
                RevisionXml::from_el(&e).map(|_| ())
            } else {
                Ok(())
            }
        });
        assert!(matches!(r, Err(crate::Error::Protocol(_))), "{bad:?}: {r:?}");
    }
}
