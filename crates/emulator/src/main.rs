//! `fjordsync-emulator`: run the local Jottacloud emulator.

use clap::Parser;

#[derive(Parser)]
#[command(name = "fjordsync-emulator", version, about = "Local Jottacloud emulator")]
struct Cli {
    #[command(flatten)]
    args: fjordsync_emulator::Args,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fjordsync_emulator::serve(cli.args).await
}
