//! The remote side: one recursive listing (liststream), streamed into a
//! [`Tree`]; a per-folder walk when the stream fails.

use fjordsync_jottacloud::{Client, Entry, ListMode, RemotePath, TreeEntry};
use futures_util::StreamExt;

use crate::filter::Filter;
use crate::tree::{FileItem, Tree, user_path};

/// Lists everything below `root`. A missing root is an empty tree with
/// `exists == false`.
pub async fn list(client: &Client, root: &RemotePath, filter: &Filter) -> Result<Tree, fjordsync_jottacloud::Error> {
    // No `stat` first: on a flat folder of 100k files its one-level listing
    // would cost as much as the recursive one. A missing root is a 404 here.
    let mut tree = Tree { exists: true, ..Default::default() };
    match list_stream(client, root, filter, &mut tree).await {
        Ok(()) => Ok(tree),
        Err(e) if e.is_not_found() => {
            tree = Tree { exists: false, ..Default::default() };
            Ok(tree)
        }
        Err(e) if matches!(e, fjordsync_jottacloud::Error::InvalidArgument(_)) => Err(e),
        Err(e) => {
            tracing::info!(%root, "recursive listing failed ({e}); listing folder by folder");
            if let Entry::File(_) = client.stat(root).await? {
                return Err(fjordsync_jottacloud::Error::InvalidArgument(format!("{root} is a file, not a folder")));
            }
            let mut tree = Tree { exists: true, ..Default::default() };
            list_folders(client, root, filter, &mut tree).await?;
            Ok(tree)
        }
    }
}

async fn list_stream(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    tree: &mut Tree,
) -> Result<(), fjordsync_jottacloud::Error> {
    let mut stream = client.list_tree(root).await?;
    let mut excluded_dirs: Vec<String> = Vec::new();
    while let Some(entry) = stream.next().await {
        match entry? {
            TreeEntry::Folder { path } => {
                let key = path.join("/");
                if under_any(&key, &excluded_dirs) {
                    continue;
                }
                if filter.skips_dir(&user_path(&key)) {
                    excluded_dirs.push(key);
                    continue;
                }
                tree.add_dir(key);
            }
            TreeEntry::File { path, size, md5, modified, .. } => {
                let key = path.join("/");
                let mtime = modified.map(|t| t.as_second()).unwrap_or(0);
                if under_any(&key, &excluded_dirs) || !filter.accepts_file(&user_path(&key), &key, size, mtime) {
                    continue;
                }
                tree.add_file(FileItem { key, size, mtime, mtime_ns: 0, inode: 0, md5: Some(md5) });
            }
        }
    }
    Ok(())
}

fn under_any(key: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| key.len() > p.len() && key.starts_with(p.as_str()) && key.as_bytes()[p.len()] == b'/')
}

async fn list_folders(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    tree: &mut Tree,
) -> Result<(), fjordsync_jottacloud::Error> {
    let mut queue = vec![(root.clone(), String::new())];
    while let Some((path, key)) = queue.pop() {
        let listing = client.list_folder(&path, ListMode::Live).await?;
        for f in listing.files {
            let k = if key.is_empty() { f.name.clone() } else { format!("{key}/{}", f.name) };
            let mtime = f.modified.map(|t| t.as_second()).unwrap_or(0);
            if filter.accepts_file(&user_path(&k), &k, f.size, mtime) {
                tree.add_file(FileItem { key: k, size: f.size, mtime, mtime_ns: 0, inode: 0, md5: Some(f.md5) });
            }
        }
        for d in listing.folders {
            let k = if key.is_empty() { d.name.clone() } else { format!("{key}/{}", d.name) };
            if filter.skips_dir(&user_path(&k)) {
                continue;
            }
            tree.add_dir(k.clone());
            queue.push((path.join(&d.name)?, k));
        }
    }
    Ok(())
}
