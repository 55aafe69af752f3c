//! One command of a system's WebDAV client: built by the pure functions of
//! each system's file (so tests can read it), run with a time limit, its
//! output kept for parsing. The password is marked where it appears (an
//! argument, standard input) so [`Cmd::shown`] and [`Ran::words`] never
//! show it.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::OsMountError;

/// What stands in for the password wherever it would be shown.
const HIDDEN: &str = "<password>";

/// One argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    /// An ordinary argument.
    Plain(OsString),
    /// The password (Windows' `net use` takes it only here).
    Secret(String),
}

/// What the program reads on standard input.
#[derive(Debug)]
pub(super) enum Input {
    /// Nothing (`/dev/null`): a client that asks a question gets no answer
    /// and fails instead of waiting.
    Nothing,
    /// These bytes, then end of input (they hold the password).
    Secret(Vec<u8>),
    /// This open file (macOS hands `mount_webdav` its credentials this way).
    File(std::fs::File),
}

/// A command to run.
pub(super) struct Cmd {
    /// The program (a name looked up in `PATH`, or a full path).
    pub program: &'static str,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Its standard input.
    pub input: Input,
    /// Extra environment (e.g. `LC_ALL=C`, so messages parse in English).
    pub env: Vec<(&'static str, &'static str)>,
    /// The password, to blank out of whatever the program says.
    secret: Option<String>,
}

impl Cmd {
    /// `program` with no arguments, reading nothing.
    pub fn new(program: &'static str) -> Cmd {
        Cmd { program, args: Vec::new(), input: Input::Nothing, env: Vec::new(), secret: None }
    }

    /// Adds an ordinary argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Cmd {
        self.args.push(Arg::Plain(arg.into()));
        self
    }

    /// Adds the password as an argument.
    pub fn secret_arg(mut self, pass: &str) -> Cmd {
        self.args.push(Arg::Secret(pass.to_string()));
        self.secret = Some(pass.to_string());
        self
    }

    /// Gives `bytes` (which hold `pass`) on standard input.
    pub fn secret_input(mut self, bytes: Vec<u8>, pass: &str) -> Cmd {
        self.input = Input::Secret(bytes);
        self.secret = Some(pass.to_string());
        self
    }

    /// Gives the open `file` (which holds `pass`) as standard input.
    pub fn file_input(mut self, file: std::fs::File, pass: &str) -> Cmd {
        self.input = Input::File(file);
        self.secret = Some(pass.to_string());
        self
    }

    /// Sets an environment variable for the program.
    pub fn env(mut self, key: &'static str, value: &'static str) -> Cmd {
        self.env.push((key, value));
        self
    }

    /// The command line as it may be shown: the password replaced.
    pub fn shown(&self) -> String {
        let mut out = self.program.to_string();
        for a in &self.args {
            out.push(' ');
            match a {
                Arg::Plain(s) => out.push_str(&s.to_string_lossy()),
                Arg::Secret(_) => out.push_str(HIDDEN),
            }
        }
        out
    }
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmd").field("line", &self.shown()).finish_non_exhaustive()
    }
}

/// A program that ran to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ran {
    /// Its exit code (`None`: ended by a signal).
    pub code: Option<i32>,
    /// What it printed (lossy UTF-8).
    pub stdout: String,
    /// What it printed on standard error (lossy UTF-8).
    pub stderr: String,
    /// The password, to blank out.
    secret: Option<String>,
}

impl Ran {
    /// A finished program, as the parsing tests build one.
    #[cfg(test)]
    pub fn new(code: Option<i32>, stdout: &str, stderr: &str) -> Ran {
        Ran { code, stdout: stdout.into(), stderr: stderr.into(), secret: None }
    }

    /// True if it exited 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Everything it printed, standard output first.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// What it said, fit for an error message: its non-empty lines joined,
    /// the password blanked out, at most 400 characters.
    pub fn words(&self) -> String {
        self.words_of(|_| true)
    }

    /// Like [`Ran::words`], only the lines `keep` picks (e.g. the error
    /// lines among prompts and warnings); all of them if it picks none.
    pub fn words_of(&self, keep: impl Fn(&str) -> bool) -> String {
        let text = self.all();
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let picked: Vec<&str> = lines.iter().copied().filter(|l| keep(l)).collect();
        let mut said = if picked.is_empty() { lines.join(" ") } else { picked.join(" ") };
        if let Some(secret) = self.secret.as_deref().filter(|s| !s.is_empty()) {
            said = said.replace(secret, HIDDEN);
        }
        if said.chars().count() > 400 {
            said = said.chars().take(400).collect::<String>() + "…";
        }
        if said.is_empty() {
            match self.code {
                Some(c) => format!("exit code {c}, no message"),
                None => "stopped by a signal, no message".into(),
            }
        } else {
            said
        }
    }
}

/// Runs `cmd` for at most `limit`; a program still running then is killed.
/// A program that is not installed is [`OsMountError::ClientMissing`] with
/// `missing` as the remedy.
pub(super) async fn run(cmd: Cmd, limit: Duration, missing: &'static str) -> Result<Ran, OsMountError> {
    let program = cmd.program;
    let mut command = tokio::process::Command::new(program);
    for a in &cmd.args {
        match a {
            Arg::Plain(s) => command.arg(s),
            Arg::Secret(s) => command.arg(s),
        };
    }
    command.envs(cmd.env.iter().copied());
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    #[cfg(windows)]
    command.creation_flags(0x0800_0000); // CREATE_NO_WINDOW: no console flashes up from the app
    let mut secret_input = None;
    match cmd.input {
        Input::Nothing => {
            command.stdin(Stdio::null());
        }
        Input::Secret(bytes) => {
            command.stdin(Stdio::piped());
            secret_input = Some(bytes);
        }
        Input::File(file) => {
            command.stdin(Stdio::from(file));
        }
    }
    let mut child = command.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => OsMountError::ClientMissing { program, remedy: missing },
        _ => OsMountError::Spawn { program, source },
    })?;
    let finished = async {
        if let Some(bytes) = secret_input
            && let Some(mut stdin) = child.stdin.take()
        {
            // A program that exits without reading it all is not an error here:
            // its exit code and words say what happened.
            let _ = stdin.write_all(&bytes).await;
            drop(stdin);
        }
        child.wait_with_output().await
    };
    let output = match tokio::time::timeout(limit, finished).await {
        Ok(Ok(output)) => output,
        Ok(Err(source)) => return Err(OsMountError::Spawn { program, source }),
        Err(_) => return Err(OsMountError::TimedOut { program, secs: limit.as_secs() }),
    };
    Ok(Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        secret: cmd.secret,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{Seek, Write};

    use super::*;

    const MISSING: &str = "install it";

    #[test]
    fn the_password_is_never_shown() {
        let cmd = Cmd::new("net").arg("use").arg("*").secret_arg("s3cret").arg("/user:me");
        assert_eq!(cmd.shown(), "net use * <password> /user:me");
        assert!(!format!("{cmd:?}").contains("s3cret"));
        let ran = Ran { secret: Some("s3cret".into()), ..Ran::new(Some(2), "bad s3cret\n\n", "  again: s3cret ") };
        assert_eq!(ran.words(), "bad <password> again: <password>");
        assert_eq!(Ran::new(Some(3), "", "\n").words(), "exit code 3, no message");
        let noisy =
            Ran { secret: Some("s3cret".into()), ..Ran::new(Some(2), "Password: \n", "warning\nerr: s3cret\n") };
        assert_eq!(noisy.words_of(|l| l.starts_with("err: ")), "err: <password>");
        assert_eq!(noisy.words_of(|l| l.starts_with("nothing")), "Password: warning err: <password>");
    }

    #[tokio::test]
    async fn the_password_arrives_on_standard_input_and_output_is_kept() {
        let cmd = Cmd::new("sh").arg("-c").arg("read p; echo \"got $p\"; echo oops >&2; exit 3");
        let ran = run(cmd.secret_input(b"pw\n".to_vec(), "pw"), Duration::from_secs(30), MISSING).await.unwrap();
        assert_eq!(ran.code, Some(3));
        assert_eq!(ran.stdout, "got pw\n");
        assert_eq!(ran.stderr, "oops\n");
        assert_eq!(ran.words(), "got <password> oops");
    }

    #[tokio::test]
    async fn a_file_can_be_standard_input() {
        // As mount_webdav gets its credentials: an unnamed file read from
        // its start.
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"abc").unwrap();
        file.rewind().unwrap();
        let ran = run(Cmd::new("cat").file_input(file, "abc"), Duration::from_secs(30), MISSING).await.unwrap();
        assert!(ran.ok());
        assert_eq!(ran.stdout, "abc");
    }

    #[tokio::test]
    async fn a_program_that_hangs_is_stopped() {
        let cmd = Cmd::new("sleep").arg("600");
        let err = run(cmd, Duration::from_millis(200), MISSING).await.unwrap_err();
        assert!(matches!(err, OsMountError::TimedOut { program: "sleep", .. }), "{err}");
    }

    #[tokio::test]
    async fn a_missing_program_says_what_to_install() {
        let err = run(Cmd::new("fjordsync-no-such-program"), Duration::from_secs(5), MISSING).await.unwrap_err();
        assert_eq!(err.to_string(), "fjordsync-no-such-program was not found: install it");
    }
}
