//! Turning any failure into one clear line plus, where we know one, a hint.
//!
//! The line names what the user asked for (commands attach their argument,
//! e.g. `demo:photos`, as context) and says what went wrong in the user's
//! words: `demo:nonexist: no such file or folder`. The service's own reply (a
//! Java exception class, the account's internal path) means nothing to most
//! users, so it is shown only with `-v`. Everything printed goes through
//! [`render::escape`], because error texts carry remote names.

use fjordsync_engine::EngineError;
use fjordsync_jottacloud::Error as ApiError;

use crate::render;

pub fn report(err: &anyhow::Error, verbose: bool) {
    let (line, reply) = message(err);
    eprintln!("{}", render::escape(&line));
    match reply {
        Some(reply) if verbose => eprintln!("the service replied: {}", render::escape(&reply)),
        _ => {}
    }
    if let Some(hint) = hint(err) {
        eprintln!("hint: {}", render::escape(&hint));
    }
}

/// What failed, in the words `report` uses, without the program's name:
/// a line inside a running command's output (`bisync --watch`).
pub fn words(err: &anyhow::Error) -> String {
    let line = message(err).0;
    line.strip_prefix("fjordsync: ").unwrap_or(&line).to_string()
}

/// The error line, and the service's reply when there was one.
fn message(err: &anyhow::Error) -> (String, Option<String>) {
    let mut line = String::from("fjordsync: ");
    for cause in err.chain() {
        if let Some((words, reply)) = api_error(cause).and_then(user_words) {
            push_part(&mut line, &words);
            return (line, Some(reply));
        }
        push_part(&mut line, &cause.to_string());
    }
    (line, None)
}

/// Appends one link of the chain unless an outer one already said it.
fn push_part(line: &mut String, text: &str) {
    if line.ends_with(": ") {
        line.push_str(text);
    } else if !line.contains(text) {
        line.push_str(": ");
        line.push_str(text);
    }
}

/// The client's error in this link of the chain, directly or inside the engine's.
fn api_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a ApiError> {
    if let Some(api) = cause.downcast_ref::<ApiError>() {
        return Some(api);
    }
    match cause.downcast_ref::<EngineError>() {
        Some(EngineError::Api(api)) => Some(api),
        _ => None,
    }
}

/// For errors that carry the service's reply: what happened in the user's
/// words, and the reply itself (shown with `-v`). Other errors (refused
/// names, sign-in, transport) already say what happened and keep their text.
fn user_words(err: &ApiError) -> Option<(String, String)> {
    let (words, reply) = match err {
        ApiError::NotFound(r) => ("no such file or folder".to_string(), r),
        ApiError::Conflict(r) => ("a file or folder of that name is in the way".to_string(), r),
        ApiError::QuotaExceeded(r) => ("the account is full".to_string(), r),
        ApiError::Forbidden(r) => ("not allowed: the account may be locked".to_string(), r),
        ApiError::BadRequest(r) => ("the service refused the request".to_string(), r),
        ApiError::Unauthorized(r) => ("the service did not accept the sign-in".to_string(), r),
        ApiError::RateLimited { detail, .. } => ("the service is busy (too many requests)".to_string(), detail),
        ApiError::Server(r) => (format!("the service failed (HTTP {})", r.status), r),
        ApiError::Status(r) => (format!("unexpected reply from the service (HTTP {})", r.status), r),
        _ => return None,
    };
    Some((words, reply.to_string()))
}

/// An error that carries its own hint (refused tasks, failed files).
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

fn hint(err: &anyhow::Error) -> Option<String> {
    for cause in err.chain() {
        if let Some(h) = cause.downcast_ref::<Hinted>() {
            return Some(h.hint.clone());
        }
        if let Some(EngineError::NotSignedIn(name)) = cause.downcast_ref::<EngineError>() {
            return Some(format!("run `fjordsync remote reconnect {name}` to sign in again"));
        }
        if let Some(api) = api_error(cause) {
            return api_hint(api);
        }
    }
    None
}

fn api_hint(err: &ApiError) -> Option<String> {
    Some(match err {
        ApiError::ReconnectNeeded(_) => {
            "reconnect needed: the service ended this sign-in; run `fjordsync remote reconnect NAME`".into()
        }
        ApiError::QuotaExceeded(_) => "the account is full: free space (and empty the trash) or upgrade".into(),
        ApiError::Forbidden(_) => "the account may be write-locked (see `fjordsync about REMOTE:`)".into(),
        ApiError::InvalidName { .. } => "Jottacloud cannot store this name; rename the file".into(),
        ApiError::Conflict(_) => {
            "a file and a folder cannot share a name; a trashed item at that path can also block it (see `fjordsync trash list`)".into()
        }
        ApiError::RateLimited { .. } => "the service is busy; try again in a minute".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjordsync_jottacloud::ApiError as Reply;

    fn not_found() -> ApiError {
        ApiError::NotFound(Box::new(Reply {
            status: 404,
            message: Some("no.jotta.backup.errors.NoSuchPathException: /user/Jotta/Archive/x".into()),
            ..Default::default()
        }))
    }

    #[test]
    fn the_service_reply_becomes_the_users_words() {
        let (words, reply) = user_words(&not_found()).unwrap();
        assert_eq!(words, "no such file or folder");
        assert!(reply.contains("NoSuchPathException"), "{reply}");
        let err = anyhow::Error::from(EngineError::Api(not_found())).context("demo:x");
        let (line, reply) = message(&err);
        assert_eq!(line, "fjordsync: demo:x: no such file or folder");
        assert!(reply.is_some_and(|r| r.contains("/user/Jotta/Archive/x")));
    }
}
