//! Typed errors.
//!
//! The client decides **by HTTP status** (spec 8.3); the XML (8.1) or JSON
//! (8.2) body only supplies the message. Reply details are boxed to keep
//! `Result<T>` small, because exception names and texts
//! are not verified against the real service.

use std::fmt;
use std::time::Duration;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the service said about a failed request, kept for messages and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the reply.
    pub status: u16,
    /// `message` from the XML/JSON body (Java exception class, maybe with detail).
    pub message: Option<String>,
    /// `reason` (XML) when present.
    pub reason: Option<String>,
    /// `cause` when present.
    pub cause: Option<String>,
    /// `error_id` (JSON API errors) or OAuth `error`.
    pub error_id: Option<String>,
    /// Start of the raw body when it could not be parsed (shown so unknown
    /// statuses such as 460 are still explained).
    pub body: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        } else if let Some(b) = &self.body {
            write!(f, ": {b}")?;
        }
        if let Some(r) = &self.reason {
            write!(f, " ({r})")?;
        }
        if let Some(c) = self.cause.as_deref().filter(|c| !c.is_empty()) {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

/// Errors of the Jottacloud client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 404: path, file, upload or content not found.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// 409: name conflict (file vs folder, existing target, trashed leftovers).
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),
    /// Quota exhausted: 403 whose message mentions quota, or 460/507
    /// (the official CLI once reported 460 for a full account).
    #[error("quota exceeded: {0}")]
    QuotaExceeded(Box<ApiError>),
    /// 403: account write-/read-locked, or a path of another user.
    #[error("forbidden (account locked or not allowed): {0}")]
    Forbidden(Box<ApiError>),
    /// 400 from the service (bad argument, refused name, corrupt upload).
    #[error("bad request: {0}")]
    BadRequest(Box<ApiError>),
    /// A name refused client-side before anything was sent.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The offending name.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// A call the client refuses to make (e.g. mountpoint on `Jotta`).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// 401 that survived one token refresh.
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ApiError>),
    /// The token family is dead (`invalid_grant`): the user must log in again.
    /// Never retried.
    #[error("reconnect needed: {0}")]
    ReconnectNeeded(String),
    /// Login or OAuth failure other than `invalid_grant` on refresh.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// 429 after all retries.
    #[error("rate limited (retry after {retry_after:?}): {detail}")]
    RateLimited {
        /// The server's `Retry-After`, when given.
        retry_after: Option<Duration>,
        /// The reply.
        detail: Box<ApiError>,
    },
    /// 5xx after all retries.
    #[error("server error: {0}")]
    Server(Box<ApiError>),
    /// Any other non-success status (405, 416, 420, unknown 4xx...).
    #[error("unexpected status: {0}")]
    Status(Box<ApiError>),
    /// The reply could not be understood (malformed XML/JSON, stats mismatch...).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Downloaded or uploaded content did not match its MD5.
    #[error("md5 mismatch for {what}: expected {expected}, got {actual}")]
    Md5Mismatch {
        /// What was checked.
        what: String,
        /// Expected hex digest.
        expected: String,
        /// Actual hex digest.
        actual: String,
    },
    /// The token store failed.
    #[error("token store: {0}")]
    Store(#[from] StoreError),
    /// Timed out waiting (e.g. for the browser login).
    #[error("timed out: {0}")]
    Timeout(String),
    /// The server did not answer in time. The client has already tried
    /// again as far as [`crate::Timeouts::retries`] allows, so callers
    /// should not retry it on their own (see [`crate::Retry::Silent`]).
    #[error("{0}")]
    NoAnswer(Box<NoAnswer>),
    /// The server answered, but not as the Jottacloud API does (a web page,
    /// unreadable data): usually a wrong address.
    #[error("{0}")]
    NotTheApi(Box<NotTheApi>),
    /// Local I/O.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Transport failure (connect, TLS, reset, body read).
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
}

/// What a call was waiting for when it gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Waiting {
    /// A connection to the server.
    Connection,
    /// The reply to a request.
    Reply,
    /// More of a reply that had started (a listing, a download).
    MoreData,
    /// The server to take more of an upload.
    UploadProgress,
}

/// Details of [`Error::NoAnswer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAnswer {
    /// The server's host name.
    pub host: String,
    /// What the call was waiting for.
    pub waiting: Waiting,
    /// How long it waited.
    pub after: Duration,
}

/// `1 s`, `60 s`, `0.5 s`: short and exact enough for a message.
fn secs(d: Duration) -> String {
    if d >= Duration::from_secs(1) { format!("{} s", d.as_secs()) } else { format!("{:.1} s", d.as_secs_f64()) }
}

impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (host, after) = (&self.host, secs(self.after));
        match self.waiting {
            Waiting::Connection => write!(f, "could not connect to {host} within {after}"),
            Waiting::Reply => write!(f, "{host} did not answer within {after}"),
            Waiting::MoreData => write!(f, "{host} stopped sending in the middle of a reply (nothing for {after})"),
            Waiting::UploadProgress => write!(f, "{host} stopped taking the upload (nothing for {after})"),
        }
    }
}

/// What a server sent instead of an API reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyKind {
    /// An HTML page.
    WebPage,
    /// Anything else we cannot read (binary data, text that is neither XML nor JSON).
    Unreadable,
}

/// Details of [`Error::NotTheApi`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotTheApi {
    /// The server's host name.
    pub host: String,
    /// HTTP status of the reply.
    pub status: u16,
    /// What it sent.
    pub kind: ReplyKind,
    /// The start of the body (at most a few hundred characters, control
    /// characters escaped), for a details view; never part of the message.
    pub excerpt: String,
}

impl fmt::Display for NotTheApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ReplyKind::WebPage => "a web page",
            ReplyKind::Unreadable => "unreadable data",
        };
        write!(f, "the server at {} answered with {what}, not the Jottacloud API: is the address right?", self.host)
    }
}

/// Error of a [`crate::TokenStore`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// Wrap any displayable error.
    pub fn new(e: impl fmt::Display) -> Self {
        StoreError(e.to_string())
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl Error {
    /// The HTTP status behind this error, if it came from a reply.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::NotFound(a)
            | Error::Conflict(a)
            | Error::QuotaExceeded(a)
            | Error::Forbidden(a)
            | Error::BadRequest(a)
            | Error::Unauthorized(a)
            | Error::Server(a)
            | Error::Status(a) => Some(a.status),
            Error::RateLimited { detail, .. } => Some(detail.status),
            _ => None,
        }
    }

    /// Name `host` in a [`Error::NoAnswer`] whose transport error lost its URL.
    pub(crate) fn with_host(mut self, host: &str) -> Self {
        if let Error::NoAnswer(n) = &mut self {
            n.host = host.to_string();
        }
        self
    }

    /// True for 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// Map a non-success status plus its parsed body to an error.
    pub(crate) fn from_status(api: ApiError, retry_after: Option<Duration>) -> Error {
        let quota_text = |a: &ApiError| {
            let hay = format!(
                "{} {} {}",
                a.message.as_deref().unwrap_or(""),
                a.error_id.as_deref().unwrap_or(""),
                a.body.as_deref().unwrap_or("")
            )
            .to_ascii_lowercase();
            hay.contains("quota")
        };
        let status = api.status;
        let quota = quota_text(&api);
        let api = Box::new(api);
        match status {
            400 => Error::BadRequest(api),
            401 => Error::Unauthorized(api),
            403 if quota => Error::QuotaExceeded(api),
            403 => Error::Forbidden(api),
            404 => Error::NotFound(api),
            409 => Error::Conflict(api),
            429 => Error::RateLimited { retry_after, detail: api },
            460 | 507 => Error::QuotaExceeded(api),
            s if s >= 500 => Error::Server(api),
            _ => Error::Status(api),
        }
    }
}
