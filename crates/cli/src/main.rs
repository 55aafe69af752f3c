//! `fjordsync`: the command-line shell over the Fjordsync engine.
//!
//! This crate only parses arguments ([`args`]), calls the engine and the
//! client, and renders results. Errors end as one clear line plus a hint.

// Results go through `output::stdout()`, which a closed pipe cannot panic.
#![warn(clippy::print_stdout)]

mod args;
mod commands;
mod context;
mod errors;
mod location;
mod output;
mod render;
mod signals;
mod waiting;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    init_logging(verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fjordsync: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `fjordsync ls demo: | head` closed the pipe: the reader has what it wanted.
        Err(err) if output::is_stdout_closed(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            errors::report(&err, verbose > 0);
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // These need no configuration directory.
    let command = match cli.command {
        Command::Emulator(args) => return fjordsync_emulator::serve(args).await,
        Command::Completion { shell } => return commands::generate::completion(shell),
        Command::Man { dir } => return commands::generate::man(dir.as_deref()),
        other => other,
    };
    let ctx = context::Context::new(cli.config_dir.as_deref())?;
    commands::dispatch(&ctx, command).await
}

/// Logs go to stderr so that `cat` and `--json` output stay clean. Tokens are
/// never logged by any of our crates. The client's "waiting for the server"
/// events become one plain line (see [`waiting`]), whatever the log level.
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let default = match verbose {
        // rustic's restore notes every file already in the target folder;
        // fuser warns of every unmount made from outside (`fjordsync unmount`).
        0 => "warn,rustic_core::commands::restore=error,fuser=error",
        1 => "info,jottacloud::waiting=off",
        _ => "debug,jottacloud::waiting=off",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).without_time().with_filter(filter);
    let waiting = waiting::WaitingNotice::default()
        .with_filter(Targets::new().with_target(fjordsync_jottacloud::WAITING_TARGET, LevelFilter::INFO));
    let _ = tracing_subscriber::registry().with(logs).with(waiting).try_init();
}
