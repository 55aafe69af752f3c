//! The remote side: one recursive listing (liststream), streamed into a
//! compact [`Listing`] (names, sizes, times and MD5 bytes per folder); a
//! per-folder walk when the stream fails. The stream's order is not relied
//! on: a file finds its folder by key whatever came before it.

use fjordsync_jottacloud::{Client, ListMode, RemotePath, TreeEntry};
use futures_util::StreamExt;

use crate::filter::Filter;
use crate::tree::{Entry, Listing, parse_md5, user_path};

/// Lists everything below `root`. A missing root is an empty tree with
/// `exists == false`.
pub async fn list(client: &Client, root: &RemotePath, filter: &Filter) -> Result<Listing, fjordsync_jottacloud::Error> {
    // No `stat` first: on a flat folder of 100k files its one-level listing
    // would cost as much as the recursive one. A missing root is a 404 here.
    let mut tree = Listing::empty_root();
    match list_stream(client, root, filter, &mut tree).await {
        Ok(()) => Ok(tree),
        Err(e) if e.is_not_found() => {
            tree = Listing::default();
            Ok(tree)
        }
        Err(e) if matches!(e, fjordsync_jottacloud::Error::InvalidArgument(_)) => Err(e),
        Err(e) => {
            tracing::info!(%root, "recursive listing failed ({e}); listing folder by folder");
            if let fjordsync_jottacloud::Entry::File(_) = client.stat(root).await? {
                return Err(fjordsync_jottacloud::Error::InvalidArgument(format!("{root} is a file, not a folder")));
            }
            let mut tree = Listing::empty_root();
            list_folders(client, root, filter, &mut tree).await?;
            Ok(tree)
        }
    }
}

async fn list_stream(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    tree: &mut Listing,
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
                let Some((name, parent)) = path.split_last() else { continue };
                tree.add_file(&parent.join("/"), entry_of(name, size, mtime, &md5));
            }
        }
    }
    Ok(())
}

fn entry_of(name: &str, size: u64, mtime: i64, md5: &str) -> Entry {
    Entry { name: name.into(), size, mtime, mtime_ns: 0, inode: 0, md5: parse_md5(md5) }
}

fn under_any(key: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| key.len() > p.len() && key.starts_with(p.as_str()) && key.as_bytes()[p.len()] == b'/')
}

async fn list_folders(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    tree: &mut Listing,
) -> Result<(), fjordsync_jottacloud::Error> {
    let mut queue = vec![(root.clone(), String::new())];
    while let Some((path, key)) = queue.pop() {
        let listing = client.list_folder(&path, ListMode::Live).await?;
        let mut files = Vec::new();
        for f in listing.files {
            let k = if key.is_empty() { f.name.clone() } else { format!("{key}/{}", f.name) };
            let mtime = f.modified.map(|t| t.as_second()).unwrap_or(0);
            if filter.accepts_file(&user_path(&k), &k, f.size, mtime) {
                files.push(entry_of(&f.name, f.size, mtime, &f.md5));
            }
        }
        tree.add_dir(key.clone());
        for e in files {
            tree.add_file(&key, e);
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
