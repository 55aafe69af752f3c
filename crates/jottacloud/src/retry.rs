//! Which failures are worth another try, and by whom: the one classifier
//! every retry loop asks ([`Error::retry`]).
//!
//! The client is the layer that retries failures of the HTTP exchange
//! itself: a request is sent again ([`crate::Client`]'s request path, with
//! [`crate::RetryPolicy`]'s backoff), an upload starts another round, a
//! download to a file resumes. Callers must not retry those again on top,
//! or one busy server costs `client tries × caller tries` requests. What is
//! left for a caller is [`Retry::Interrupted`] on a body it reads itself
//! (a stream from [`crate::Client::download`] or [`crate::Client::list_tree`]).

use crate::error::Error;

/// How a failure may be tried again. See [`Error::retry`] for which error
/// is which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The service refused before doing anything (429, 503) or no connection
    /// could be opened. Any request may be sent again after a backoff (a
    /// `Retry-After` wins), even one that is not safe to repeat.
    Refused,
    /// The service failed (500, 502, 504, 509) or the connection broke after
    /// the request went out. Only a request that is safe to repeat may be
    /// sent again after a backoff: the first one may have been carried out.
    Backoff,
    /// Nothing came within the time limits ([`Error::NoAnswer`]). The client
    /// tries again at most [`crate::Timeouts::retries`] times: a server that
    /// was silent twice is not helped by waiting longer.
    Silent,
    /// The request worked but its reply (or an upload's body) broke off in
    /// the middle or came garbled. Whoever reads the bytes reads them again
    /// from where they stopped: a download with `Range`, an upload with a
    /// new round. Sending the same request again is not the fix.
    Interrupted,
    /// The upload in progress is gone or out of step: its upload id expired
    /// (404), the token was refreshed (401), the service disagrees on the
    /// range (416, 420). A new upload round (a fresh allocate) fixes that;
    /// for any other request this is final.
    NewUpload,
    /// Final: the same request would get the same answer (bad request,
    /// conflict, locked account, full storage, invalid name, local I/O...).
    Never,
}

impl Error {
    /// How this failure may be tried again (see [`Retry`]).
    pub fn retry(&self) -> Retry {
        match self {
            Error::RateLimited { .. } => Retry::Refused,
            Error::Server(a) if a.status == 503 => Retry::Refused,
            Error::Server(a) if matches!(a.status, 500 | 502 | 504 | 509) => Retry::Backoff,
            Error::NoAnswer(_) => Retry::Silent,
            Error::Http(e) if e.is_timeout() => Retry::Silent,
            Error::Http(e) if e.is_connect() => Retry::Refused,
            Error::Http(e) if e.is_request() => Retry::Backoff,
            Error::Http(e) if e.is_body() || e.is_decode() => Retry::Interrupted,
            Error::Protocol(_) | Error::Md5Mismatch { .. } => Retry::Interrupted,
            Error::NotFound(_) | Error::Unauthorized(_) => Retry::NewUpload,
            Error::Status(a) if matches!(a.status, 416 | 420) => Retry::NewUpload,
            _ => Retry::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::{ApiError, NoAnswer, StoreError, Waiting};

    fn api(status: u16) -> Box<ApiError> {
        Box::new(ApiError { status, ..Default::default() })
    }

    #[test]
    fn the_table() {
        let no_answer = || NoAnswer { host: "h".into(), waiting: Waiting::Reply, after: Duration::from_secs(1) };
        let cases: Vec<(Error, Retry)> = vec![
            (Error::RateLimited { retry_after: None, detail: api(429) }, Retry::Refused),
            (Error::Server(api(503)), Retry::Refused),
            (Error::Server(api(500)), Retry::Backoff),
            (Error::Server(api(502)), Retry::Backoff),
            (Error::Server(api(504)), Retry::Backoff),
            (Error::Server(api(509)), Retry::Backoff),
            (Error::Server(api(501)), Retry::Never),
            (Error::Server(api(505)), Retry::Never),
            (Error::NoAnswer(Box::new(no_answer())), Retry::Silent),
            (Error::Protocol("body ended at 3 of 9 bytes".into()), Retry::Interrupted),
            (Error::Md5Mismatch { what: "f".into(), expected: "a".into(), actual: "b".into() }, Retry::Interrupted),
            (Error::NotFound(api(404)), Retry::NewUpload),
            (Error::Unauthorized(api(401)), Retry::NewUpload),
            (Error::Status(api(416)), Retry::NewUpload),
            (Error::Status(api(420)), Retry::NewUpload),
            (Error::Status(api(405)), Retry::Never),
            (Error::BadRequest(api(400)), Retry::Never),
            (Error::Conflict(api(409)), Retry::Never),
            (Error::Forbidden(api(403)), Retry::Never),
            (Error::QuotaExceeded(api(507)), Retry::Never),
            (Error::ReconnectNeeded("gone".into()), Retry::Never),
            (Error::Auth("no".into()), Retry::Never),
            (Error::InvalidArgument("x".into()), Retry::Never),
            (Error::InvalidName { name: "x".into(), reason: "y".into() }, Retry::Never),
            (Error::Timeout("browser".into()), Retry::Never),
            (Error::Store(StoreError("locked".into())), Retry::Never),
            (Error::Io(std::io::Error::from(std::io::ErrorKind::StorageFull)), Retry::Never),
        ];
        for (e, want) in cases {
            assert_eq!(e.retry(), want, "{e:?}");
        }
    }

    /// Status codes as the client decodes them, so the table above matches
    /// what a reply turns into.
    #[test]
    fn decoded_statuses() {
        let of = |status| Error::from_status(ApiError { status, ..Default::default() }, None).retry();
        assert_eq!(of(429), Retry::Refused);
        assert_eq!(of(503), Retry::Refused);
        assert_eq!(of(500), Retry::Backoff);
        assert_eq!(of(460), Retry::Never, "a full account");
        assert_eq!(of(507), Retry::Never, "a full account");
        assert_eq!(of(400), Retry::Never);
    }

    #[tokio::test]
    async fn a_refused_connection_may_be_sent_again() {
        // Port 1 on loopback: nothing listens, the connection is refused.
        let e = reqwest::get("http://127.0.0.1:1/").await.map_err(Error::from).unwrap_err();
        assert_eq!(e.retry(), Retry::Refused, "{e:?}");
    }
}
