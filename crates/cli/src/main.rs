//! `fjordsync`: the command-line shell over the Fjordsync engine.
//!
//! This crate only parses arguments ([`args`]), calls the engine and the
//! client, and renders results. Errors end as one clear line plus a hint.

mod args;
mod commands;
mod context;
mod errors;
mod location;
mod render;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fjordsync: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            errors::report(&err);
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Emulator(args) = cli.command {
        return fjordsync_emulator::serve(args).await;
    }
    let ctx = context::Context::new(cli.config_dir.as_deref())?;
    commands::dispatch(&ctx, cli.command).await
}

/// Logs go to stderr so that `cat` and `--json` output stay clean. Tokens are
/// never logged by any of our crates.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        // rustic's restore notes every file already in the target folder.
        0 => "warn,rustic_core::commands::restore=error",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).without_time().try_init();
}
