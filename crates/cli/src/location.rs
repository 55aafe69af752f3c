//! Parsing `REMOTE:PATH` and local paths from the command line.

use std::path::PathBuf;

/// One side of a copy: a local path or a path on a remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path on this machine.
    Local(PathBuf),
    /// `remote` is the remote's name; `path` the slash-separated path inside
    /// its mountpoint, without leading or trailing slashes ("" is the root).
    Remote { remote: String, path: String },
}

impl Location {
    /// `NAME:PATH` is remote when NAME could be a remote name; anything else
    /// (absolute paths, `./x:y`, Windows drive letters) is local.
    pub fn parse(arg: &str) -> Location {
        Location::parse_with(arg, |_| true)
    }

    /// Like [`Location::parse`], but `a:b.txt` stays a local file name when no
    /// remote `a` is configured and the local file exists.
    pub fn parse_with(arg: &str, is_remote: impl Fn(&str) -> bool) -> Location {
        if let Some((name, rest)) = arg.split_once(':') {
            let drive_letter = cfg!(windows) && name.len() == 1;
            let local_file = !is_remote(name) && std::path::Path::new(arg).exists();
            if !drive_letter && !local_file && fjordsync_engine::remotes::validate_name(name).is_ok() {
                return Location::Remote { remote: name.to_string(), path: rest.trim_matches('/').to_string() };
            }
        }
        Location::Local(PathBuf::from(arg))
    }

    /// The remote form, or an error naming the argument.
    pub fn remote(arg: &str) -> anyhow::Result<(String, String)> {
        match Location::parse(arg) {
            Location::Remote { remote, path } => Ok((remote, path)),
            Location::Local(_) => anyhow::bail!("{arg:?} is not a remote path: write REMOTE:PATH (e.g. demo:photos)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_and_local_forms() {
        assert_eq!(
            Location::parse("demo:photos/2024/"),
            Location::Remote { remote: "demo".into(), path: "photos/2024".into() }
        );
        assert_eq!(Location::parse("demo:"), Location::Remote { remote: "demo".into(), path: String::new() });
        assert_eq!(Location::parse("/tmp/a:b"), Location::Local("/tmp/a:b".into()));
        assert_eq!(Location::parse("./a:b"), Location::Local("./a:b".into()));
        assert_eq!(Location::parse("file.txt"), Location::Local("file.txt".into()));
        assert!(Location::remote("file.txt").is_err());
        let tmp = tempfile::tempdir().unwrap();
        let odd = tmp.path().join("a:b.txt");
        std::fs::write(&odd, b"x").unwrap();
        let arg = odd.to_str().unwrap();
        assert_eq!(Location::parse_with(arg, |_| false), Location::Local(odd.clone()));
        std::env::set_current_dir(tmp.path()).unwrap();
        assert_eq!(Location::parse_with("a:b.txt", |_| false), Location::Local("a:b.txt".into()));
        assert!(matches!(Location::parse_with("a:b.txt", |n| n == "a"), Location::Remote { .. }));
    }
}
