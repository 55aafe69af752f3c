//! `completion` and `man`: shell completion scripts and manual pages,
//! generated from the same clap definitions that parse the command line, so
//! they can never disagree with it.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory;

use crate::args::Cli;
use crate::output;

/// The completion script for `shell` on standard output.
pub fn completion(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fjordsync", &mut script);
    let mut out = output::stdout();
    out.write_all(&script)?;
    Ok(out.flush()?)
}

/// The main manual page on standard output, or every page (one per
/// subcommand, `fjordsync-sync.1`, `fjordsync-backup-run.1`, ...) in `dir`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<()> {
    let cmd = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing manual pages into {}", dir.display()))?;
            eprintln!("manual pages written to {}", crate::render::shown_local(dir));
            Ok(())
        }
        None => {
            let mut out = output::stdout();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            Ok(out.flush()?)
        }
    }
}
