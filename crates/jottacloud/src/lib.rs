//! Async client for Jottacloud's JFS (XML) and JSON APIs, following the
//! wire protocol in `shared/docs/jottacloud-api.md` (as rclone speaks it).
//!
//! * [`auth`]: the three login flows (personal login token, browser
//!   authorization code for every white-label [`auth::SERVICES`], legacy
//!   username/password with SMS 2FA), the persistable [`Token`] and the
//!   [`TokenStore`] that makes refresh-token rotation safe across tasks and
//!   processes.
//! * [`Client`]: a cheap-to-clone handle; every call gets a fresh bearer
//!   token, one refresh-and-retry on 401, and backoff on 429/5xx.
//! * [`Retry`]: which failures are worth another try, and by whom (the
//!   client retries the HTTP exchange; callers only re-read bodies they read).
//! * [`names`]: rclone-compatible name mapping and path escaping.
//! * [`timeouts`]: connect, idle and whole-call limits; a silent server is
//!   [`Error::NoAnswer`] and a slow one a `tracing` event a shell may show.
//!   A reply that is not the API at all (a web page) is [`Error::NotTheApi`].
//!
//! Paths and names in this API are in *remote* form (see [`names`]).
//! Wire DTOs live in a private `types` module; the public types are in
//! [`model`].

mod account;
pub mod auth;
mod client;
mod content_md5;
mod download;
pub mod error;
mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod liststream;
pub mod model;
pub mod names;
mod reply;
mod retry;
mod share;
pub mod time;
pub mod timeouts;
mod trash;
mod types;
mod upload;
mod versions;

pub use auth::{MemoryTokenStore, Token, TokenKind, TokenStore};
pub use client::{Client, ClientOptions};
pub use content_md5::ContentMd5;
pub use download::{ByteStream, DownloadOptions};
pub use error::{ApiError, Error, NoAnswer, NotTheApi, ReplyKind, Result, StoreError, Waiting};
pub use files::CpHash;
pub use http::{Endpoints, RetryPolicy, decode_error};
pub use liststream::TreeStream;
pub use model::*;
pub use names::RemotePath;
pub use retry::Retry;
pub use timeouts::{Timeouts, WAITING_TARGET};
pub use upload::{AllocateRequest, BytesSource, FileSource, UploadBody, UploadOptions, UploadSource, md5_file};

/// Re-exported so callers use the same time type.
pub use jiff::Timestamp;
