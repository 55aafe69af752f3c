//! Whether a process still runs: a run row or a temporary file names the
//! process that made it, and only a dead process's leftovers are cleaned up.

/// True when process `pid` exists (also another user's). Where this cannot
/// be asked, true: leftovers stay rather than risk a live process's files.
#[cfg(unix)]
pub(crate) fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; kill only checks that the process
    // exists and may be signalled (EPERM: it exists, another user's).
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// True when process `pid` exists. Where this cannot be asked, true:
/// leftovers stay rather than risk a live process's files.
#[cfg(not(unix))]
pub(crate) fn alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_is_alive_and_a_finished_child_is_not() {
        assert!(super::alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        // Reaped: the id is free (reuse within this test is not plausible).
        assert!(!super::alive(pid));
        assert!(!super::alive(0));
    }
}
