//! Turning any failure into one clear line plus, where we know one, a hint.

use fjordsync_engine::EngineError;
use fjordsync_jottacloud::Error as ApiError;

pub fn report(err: &anyhow::Error) {
    let mut line = format!("fjordsync: {err}");
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    eprintln!("{line}");
    if let Some(hint) = hint(err) {
        eprintln!("hint: {hint}");
    }
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
        if let Some(e) = cause.downcast_ref::<EngineError>() {
            if let EngineError::NotSignedIn(name) = e {
                return Some(format!("run `fjordsync remote reconnect {name}` to sign in again"));
            }
            if let EngineError::Api(api) = e {
                return api_hint(api);
            }
        }
        if let Some(api) = cause.downcast_ref::<ApiError>() {
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
