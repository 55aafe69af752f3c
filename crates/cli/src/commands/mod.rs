//! One module per group of verbs; each function is a thin call into the
//! engine or the client plus rendering.

mod backup;
mod bisync;
mod daemon;
mod files;
mod folder;
pub mod generate;
mod log;
#[cfg(all(target_os = "linux", feature = "fuse"))]
mod mount;
mod remote;
mod serve;
mod task;
mod transfer;
mod trash;
mod watch;

use fjordsync_engine::FilterOptions;

use crate::args::{Command, FilterArgs};
use crate::context::Context;

/// The one conversion of the filter flags, which the sync verbs and
/// `backup run` share, so both read them alike.
impl From<crate::args::RetentionArgs> for fjordsync_engine::backup::RetentionPolicy {
    fn from(a: crate::args::RetentionArgs) -> Self {
        fjordsync_engine::backup::RetentionPolicy {
            keep_last: a.keep_last,
            keep_hourly: a.keep_hourly,
            keep_daily: a.keep_daily,
            keep_weekly: a.keep_weekly,
            keep_monthly: a.keep_monthly,
            keep_yearly: a.keep_yearly,
        }
    }
}

impl From<FilterArgs> for FilterOptions {
    fn from(a: FilterArgs) -> FilterOptions {
        FilterOptions {
            include: a.include,
            exclude: a.exclude,
            min_size: a.min_size,
            max_size: a.max_size,
            min_age_secs: a.min_age,
            max_age_secs: a.max_age,
        }
    }
}

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
        Command::Copy(a) => transfer::run(ctx, fjordsync_engine::TaskKind::Copy, a).await,
        Command::Sync(a) => transfer::run(ctx, fjordsync_engine::TaskKind::Sync, a).await,
        Command::Move(a) => transfer::run(ctx, fjordsync_engine::TaskKind::Move, a).await,
        Command::Check(a) => transfer::run(ctx, fjordsync_engine::TaskKind::Check, a).await,
        Command::Bisync(a) => bisync::run(ctx, a).await,
        Command::Task(cmd) => task::run(ctx, cmd).await,
        Command::Log(a) => log::run(ctx, a),
        Command::Undo { run, json } => transfer::undo(ctx, run, json).await,
        Command::Retry { run, json } => transfer::retry(ctx, run, json).await,
        Command::Backup(a) => backup::run(ctx, a).await,
        Command::Daemon(a) => daemon::run(ctx, a).await,
        Command::Serve(crate::args::ServeCommand::Webdav(a)) => serve::webdav(ctx, a).await,
        #[cfg(all(target_os = "linux", feature = "fuse"))]
        Command::Mount(a) => mount::mount(ctx, a).await,
        #[cfg(all(target_os = "linux", feature = "fuse"))]
        Command::Unmount(a) => mount::unmount(a),
        Command::Emulator(_) | Command::Completion { .. } | Command::Man { .. } => {
            unreachable!("handled before the context is opened")
        }
    }
}
