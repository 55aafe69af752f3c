//! Error values and their two wire shapes: JFS XML (8.1) and API JSON (8.2).
//!
//! Store operations return [`Fail`], which carries the HTTP status and the Java
//! exception name; the route decides which body shape the client expects.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::xml::Xml;

pub const INVALID_ARGUMENT: &str = "no.jotta.backup.errors.InvalidArgumentException";
pub const BAD_CREDENTIALS: &str = "org.springframework.security.authentication.BadCredentialsException";
pub const ACCESS_DENIED: &str = "no.jotta.backup.errors.AccessDeniedException";
pub const NO_SUCH_PATH: &str = "no.jotta.backup.errors.NoSuchPathException";
pub const NO_SUCH_FILE: &str = "no.jotta.backup.errors.NoSuchFileException";
pub const UNIQUE_FILE: &str = "no.jotta.backup.errors.UniqueFileException";
pub const RANGE: &str = "no.jotta.backup.errors.RequestedRangeNotSatisfiedException";
pub const INTERNAL: &str = "java.lang.RuntimeException";

/// A failed operation: status, exception class and a human detail (`cause`).
#[derive(Debug, Clone)]
pub struct Fail {
    pub status: StatusCode,
    pub exception: &'static str,
    pub cause: String,
}

pub type Res<T> = Result<T, Fail>;

impl Fail {
    pub fn new(status: StatusCode, exception: &'static str, cause: impl Into<String>) -> Self {
        Fail { status, exception, cause: cause.into() }
    }
    pub fn bad(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::BAD_REQUEST, INVALID_ARGUMENT, cause)
    }
    pub fn not_found(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::NOT_FOUND, NO_SUCH_PATH, cause)
    }
    pub fn no_file(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::NOT_FOUND, NO_SUCH_FILE, cause)
    }
    pub fn conflict(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::CONFLICT, UNIQUE_FILE, cause)
    }
    pub fn denied(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::FORBIDDEN, ACCESS_DENIED, cause)
    }
    pub fn unauthorized(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::UNAUTHORIZED, BAD_CREDENTIALS, cause)
    }
    pub fn internal(cause: impl Into<String>) -> Self {
        Fail::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL, cause)
    }

    /// Exception name without package, as the API's `error_id`.
    pub fn short_name(&self) -> &'static str {
        self.exception.rsplit('.').next().unwrap_or(self.exception)
    }

    /// JFS XML body; `<code>` always equals the HTTP status (rclone acts on it).
    pub fn jfs(&self) -> Response {
        jfs_error(self.status, self.exception, &self.cause)
    }

    /// API JSON body.
    pub fn api(&self) -> Response {
        api_error(self.status, self.short_name(), &self.cause)
    }
}

fn x_id() -> String {
    format!("{:012}", rand::random::<u64>() % 1_000_000_000_000)
}

/// `<error>` document of 8.1.
pub fn jfs_error(status: StatusCode, exception: &str, cause: &str) -> Response {
    let mut x = Xml::new();
    x.open("error", &[], false);
    x.text("code", status.as_str());
    let msg = if cause.is_empty() { exception.to_string() } else { format!("{exception}: {cause}") };
    x.text("message", &msg);
    x.text("reason", status.canonical_reason().unwrap_or("Error"));
    x.text("cause", cause);
    x.text("hostname", "dn-emu");
    x.text("x-id", &x_id());
    x.close("error");
    xml_response(status, x.finish())
}

/// JSON error of 8.2.
pub fn api_error(status: StatusCode, error_id: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "code": status.as_u16(),
        "message": message,
        "cause": "",
        "error_id": error_id,
        "x-id": x_id(),
    });
    json_response(status, &body)
}

/// OAuth error of 2.5.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": error, "error_description": description});
    let mut r = json_response(status, &body);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")], body).into_response()
}

pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body.to_string()).into_response()
}
