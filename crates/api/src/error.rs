//! The error that crosses IPC: `{code, message}`.
//!
//! The UI branches on `code` (a short stable string) and shows `message` (a
//! sentence a user can act on). Keeping the mapping in one place means the
//! Tauri commands and the web bridge report the same codes, and a renamed
//! engine variant shows up here as a compile error instead of a UI surprise.

use fjordsync_engine::{EngineError, RemotesError, SecretError};
use fjordsync_jottacloud::Error as ApiErr;
use fjordsync_jottacloud::Waiting;
use serde::Serialize;

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{code}: {message}")]
pub struct AppError {
    /// Stable machine code, e.g. `reconnect_needed`, `keyring_unavailable`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

/// Result with [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> AppError {
        AppError { code, message: message.into() }
    }

    /// The user asked for something that cannot work as given.
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new("invalid", message)
    }
}

impl From<ApiErr> for AppError {
    fn from(e: ApiErr) -> AppError {
        let code = match &e {
            ApiErr::NotFound(_) => "not_found",
            ApiErr::Conflict(_) => "already_exists",
            ApiErr::QuotaExceeded(_) => "quota_exceeded",
            ApiErr::Forbidden(_) => "write_locked",
            ApiErr::InvalidName { .. } | ApiErr::InvalidArgument(_) | ApiErr::BadRequest(_) => "invalid",
            ApiErr::ReconnectNeeded(_) | ApiErr::Unauthorized(_) => "reconnect_needed",
            ApiErr::Auth(_) => "sign_in_failed",
            // No connection at all: offline, or the address names no server.
            ApiErr::NoAnswer(n) if n.waiting == Waiting::Connection => "offline",
            ApiErr::Http(h) if h.is_connect() => "offline",
            ApiErr::Timeout(_) | ApiErr::NoAnswer(_) => "timeout",
            // A wrong address (a web page answered): the user fixes the address.
            ApiErr::NotTheApi(_) => "invalid",
            ApiErr::Http(_) | ApiErr::Io(_) => "network",
            ApiErr::Store(_) => "keyring_unavailable",
            _ => "service",
        };
        AppError::new(code, e.to_string())
    }
}

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> AppError {
        let code = match e {
            SecretError::Keyring(_) => "keyring_unavailable",
            _ => "secret_store",
        };
        AppError::new(code, e.to_string())
    }
}

impl From<RemotesError> for AppError {
    fn from(e: RemotesError) -> AppError {
        let code = match &e {
            RemotesError::Exists(_) => "already_exists",
            RemotesError::NotFound(_) => "not_found",
            RemotesError::InvalidName(..) => "bad_name",
            _ => "config",
        };
        AppError::new(code, e.to_string())
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> AppError {
        match e {
            EngineError::Remotes(r) => r.into(),
            EngineError::Secret(s) => s.into(),
            EngineError::Api(ApiErr::Store(s)) => {
                // The token store wraps the keyring's error; keep its code.
                let msg = s.to_string();
                let code = if msg.contains("keyring") { "keyring_unavailable" } else { "secret_store" };
                AppError::new(code, msg)
            }
            EngineError::Api(a) => a.into(),
            EngineError::NotSignedIn(_) => AppError::new("reconnect_needed", e.to_string()),
            EngineError::Invalid(m) => AppError::invalid(m),
            EngineError::Bisync(b) => {
                use fjordsync_engine::bisync::BisyncError as B;
                let code = match &b {
                    B::Busy { .. } => "busy",
                    B::NoConflict(_) => "not_found",
                    B::ConflictChanged(_) => "conflict_changed",
                    B::NotLocal(_) | B::NotRemote(_) => "invalid",
                    _ => "internal",
                };
                AppError::new(code, b.to_string())
            }
            other => AppError::new("internal", other.to_string()),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> AppError {
        AppError::new("io", e.to_string())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> AppError {
        AppError::invalid(format!("bad arguments: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let e = AppError::new("not_found", "no such file");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "not_found", "message": "no such file"})
        );
    }

    #[test]
    fn keyring_errors_have_their_own_code() {
        let e: AppError = EngineError::Secret(SecretError::Keyring("no D-Bus".into())).into();
        assert_eq!(e.code, "keyring_unavailable");
        assert!(e.message.contains("FJORDSYNC_SECRET_STORE=file"), "{}", e.message);
    }

    #[test]
    fn missing_sign_in_means_reconnect() {
        let e: AppError = EngineError::NotSignedIn("demo".into()).into();
        assert_eq!(e.code, "reconnect_needed");
    }
}
