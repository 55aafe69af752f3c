//! `fjordsync trash list|restore|empty`.

use std::io::Write;

use anyhow::Context as _;
use serde_json::json;

use crate::args::TrashCommand;
use crate::context::Context;
use crate::location::Location;
use crate::output;
use crate::render::{self, escape};

pub async fn run(ctx: &Context, cmd: TrashCommand) -> anyhow::Result<()> {
    match cmd {
        TrashCommand::List { remote, json } => {
            let (name, _) = Location::remote(&remote)?;
            let s = ctx.open(&name)?;
            let items = s.client.list_trash().await.with_context(|| remote.clone())?;
            let mut out = output::stdout();
            for item in items {
                let original = item
                    .original_path
                    .as_ref()
                    .map(|p| format!("{}/{}/{}", p.device(), p.mountpoint(), render::user_path(p.segments())))
                    .unwrap_or_else(|| render::user_name(&item.name));
                let size = item.file.as_ref().map(|f| f.size);
                if json {
                    let line = json!({
                        "name": render::user_name(&item.name),
                        "folder": item.is_folder,
                        "size": size,
                        "deleted": item.deleted.map(|t| t.to_string()),
                        "original_path": original,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    let size = match size {
                        Some(b) => render::size(b),
                        None if item.is_folder => "folder".to_string(),
                        None => "-".to_string(),
                    };
                    writeln!(out, "{:>10}  {}  {}", size, render::time(item.deleted), escape(&original))?;
                }
            }
            Ok(out.flush()?)
        }
        TrashCommand::Restore { path } => {
            let (name, p) = Location::remote(&path)?;
            let s = ctx.open(&name)?;
            s.client.restore(&s.path(&p)?).await.with_context(|| path.clone())?;
            eprintln!("{}: restored", escape(&path));
            Ok(())
        }
        TrashCommand::Empty { remote } => {
            let (name, _) = Location::remote(&remote)?;
            let s = ctx.open(&name)?;
            let purged = s.client.empty_trash().await.with_context(|| remote.clone())?;
            eprintln!("Trash emptied: {} folders and {} files deleted permanently.", purged.folders, purged.files);
            Ok(())
        }
    }
}
