//! One module per group of verbs; each function is a thin call into the
//! engine or the client plus rendering.

mod files;
mod remote;
mod trash;

use crate::args::Command;
use crate::context::Context;

pub async fn dispatch(ctx: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Remote(cmd) => remote::run(ctx, cmd).await,
        Command::About { remote } => files::about(ctx, &remote).await,
        Command::Ls(a) => files::list_tree(ctx, &a, files::TreeFormat::Ls).await,
        Command::Lsl(a) => files::list_tree(ctx, &a, files::TreeFormat::Lsl).await,
        Command::Md5sum(a) => files::list_tree(ctx, &a, files::TreeFormat::Md5).await,
        Command::Lsd(a) => files::lsd(ctx, &a).await,
        Command::Mkdir { path } => files::mkdir(ctx, &path).await,
        Command::Cat { path } => files::cat(ctx, &path).await,
        Command::Copyto { src, dst } => files::copyto(ctx, &src, &dst).await,
        Command::Delete { path, hard } => files::delete(ctx, &path, hard).await,
        Command::Link { path, unlink } => files::link(ctx, &path, unlink).await,
        Command::Trash(cmd) => trash::run(ctx, cmd).await,
        Command::Emulator(_) => unreachable!("handled before the context is opened"),
    }
}
