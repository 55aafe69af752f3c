//! The signals that ask a long-running command to stop: Ctrl-C, or SIGTERM
//! (how a service manager such as systemd stops a program).

/// Waits for Ctrl-C or SIGTERM (listening from the first poll).
pub async fn stop_requested() {
    Stops::listen().next().await
}

/// Ctrl-C and SIGTERM, listened for from the moment this is made: a
/// signal that comes between two waits (the second Ctrl-C while a stop
/// prints its first line) is kept for the next [`Stops::next`], never
/// missed.
pub struct Stops {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Stops {
    /// Starts listening.
    pub fn listen() -> Stops {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)));
            Stops { signals: signals.ok() }
        }
        #[cfg(not(unix))]
        {
            Stops {}
        }
    }

    /// Waits for the next Ctrl-C or SIGTERM.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        if let Some((int, term)) = self.signals.as_mut() {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
