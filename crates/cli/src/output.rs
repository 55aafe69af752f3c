//! Standard output, where a closed pipe is the reader's choice, not a failure.
//!
//! `fjordsync md5sum demo: | head -3` closes our standard output after three
//! lines. Like `ls`, `rg` and `rclone`, we then stop quietly and exit 0. Rust
//! ignores SIGPIPE, so a write fails with `BrokenPipe` instead; [`stdout`]
//! marks that failure as [`StdoutClosed`] so that [`is_stdout_closed`] can
//! tell it apart from a broken pipe anywhere else (a cut upload connection
//! also reports `BrokenPipe`, and that one is a real error).
//!
//! Commands print results with `writeln!(output::stdout(), ...)?` (never
//! `println!`, which panics on a closed pipe; clippy's `print_stdout` lint
//! keeps it out of this crate).

use std::io::{self, BufWriter, Write};

/// The marker inside the `io::Error` of a write to a closed standard output.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Buffered standard output whose broken-pipe errors are marked. Flush it
/// (`out.flush()?`) at the end: dropping it flushes too, but loses the error.
/// It takes the process-wide stdout lock only while it writes, so holding one
/// across a long operation blocks nobody else.
pub struct Stdout(BufWriter<io::Stdout>);

/// Standard output for results (see the module comment).
pub fn stdout() -> Stdout {
    Stdout(BufWriter::new(io::stdout()))
}

fn mark(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe { io::Error::new(io::ErrorKind::BrokenPipe, StdoutClosed) } else { e }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(mark)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).map_err(mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(mark)
    }
}

/// True when the command failed only because its reader went away.
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<StdoutClosed>()
            || cause
                .downcast_ref::<io::Error>()
                .and_then(|e| e.get_ref())
                .is_some_and(|inner| inner.is::<StdoutClosed>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_closed_stdout_counts() {
        let ours = anyhow::Error::from(mark(io::Error::from(io::ErrorKind::BrokenPipe)));
        assert!(is_stdout_closed(&ours));
        assert!(is_stdout_closed(&ours.context("listing demo:")));
        // A broken pipe elsewhere (a cut connection) is a real error.
        let theirs = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(!is_stdout_closed(&theirs));
    }
}
