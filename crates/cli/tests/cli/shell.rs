//! Shell completion and manual pages, generated from the argument definitions.

use crate::support::Env;

#[tokio::test(flavor = "multi_thread")]
async fn completion_scripts_know_the_subcommands() {
    let env = Env::start().await;
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef fjordsync"),
        ("fish", "complete -c fjordsync"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = env.ok(&["completion", shell]).await;
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["sync", "md5sum", "backup", "completion"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    // Flags of subcommands are completed too.
    assert!(env.ok(&["completion", "bash"]).await.contains("--max-delete"));
    let err = env.fails(&["completion", "tcsh"]).await;
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn man_pages_come_from_the_same_definitions() {
    let env = Env::start().await;
    let page = env.ok(&["man"]).await;
    assert!(page.starts_with(".ie") || page.contains(".TH fjordsync"), "{page}");
    for sub in ["sync", "md5sum", "backup", "remote", "completion"] {
        assert!(page.contains(sub), "the page lacks {sub}");
    }
    let dir = env.path("man1");
    env.ok(&["man", "--dir", dir.to_str().unwrap()]).await;
    let sync = std::fs::read_to_string(dir.join("fjordsync-sync.1")).expect("a page per subcommand");
    assert!(sync.contains("max\\-delete"), "{sync}");
    assert!(dir.join("fjordsync.1").exists() && dir.join("fjordsync-backup-run.1").exists());
}
