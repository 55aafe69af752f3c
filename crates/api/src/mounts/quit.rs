//! Quitting the app while mounted folders still have files to upload:
//! the tray's Quit asks first (`AppEvent::QuitRequested` with the count,
//! shown by the window), and the answer comes back as [`Api::quit_app`]:
//! wait for the uploads, quit now (they stay in the mounts' caches and go
//! up at the next start), or stay.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Api;
use crate::dto::AppEvent;
use crate::error::{AppError, AppResult};

/// Ends the program (the window's; the daemon has none: it is stopped
/// from its terminal or its service manager).
pub type QuitHook = Arc<dyn Fn() + Send + Sync>;

/// How often "quit when the uploads are done" looks again.
const WAIT_STEP: Duration = Duration::from_millis(500);

/// The answer to "files are still uploading".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum QuitWhen {
    /// Quit once every mount's pending uploads are done.
    AfterUploads,
    /// Quit now; pending uploads go up at the next start.
    Now,
}

impl Api {
    /// Sets how the program ends (the window sets it; without it
    /// [`Api::quit_app`] is refused).
    pub fn set_quit_hook(&self, hook: QuitHook) {
        *self.mounts.quit.write().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    /// The tray's Quit: ends the program at once when no mounted folder
    /// has files waiting for upload; otherwise announces
    /// `AppEvent::QuitRequested` (the window asks) and returns false.
    pub fn request_quit(&self) -> bool {
        let pending = self.mounts.pending_uploads();
        if pending == 0 {
            self.quit_hook_now();
            return true;
        }
        self.emit(AppEvent::QuitRequested { pending });
        false
    }

    /// The answer to the question [`Api::request_quit`] asked.
    pub async fn quit_app(self: &Arc<Self>, when: QuitWhen) -> AppResult<()> {
        if self.mounts.quit.read().unwrap_or_else(|p| p.into_inner()).is_none() {
            return Err(AppError::new(
                "unsupported",
                "this Fjordsync program is not quit from its window: stop it where it was started",
            ));
        }
        match when {
            QuitWhen::Now => {
                self.hurry_mounts();
                self.quit_hook_now();
            }
            QuitWhen::AfterUploads => {
                let api = self.clone();
                tokio::spawn(async move {
                    // Each mount uploads at its own pace; a failed upload
                    // stays pending, so this also ends when only failures
                    // are left (they wait for the next start either way).
                    while api.mounts.uploadable() > 0 {
                        tokio::time::sleep(WAIT_STEP).await;
                    }
                    api.quit_hook_now();
                });
            }
        }
        Ok(())
    }

    fn quit_hook_now(&self) {
        let hook = self.mounts.quit.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(hook) = hook {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use fjordsync_engine::mount::{MountState, MountStatus};

    use super::*;

    fn api(dir: &tempfile::TempDir) -> (Arc<Api>, Arc<AtomicU32>) {
        let api = Arc::new(crate::tasks::tests::api(dir.path()));
        let quits = Arc::new(AtomicU32::new(0));
        let q = quits.clone();
        api.set_quit_hook(Arc::new(move || {
            q.fetch_add(1, Ordering::SeqCst);
        }));
        (api, quits)
    }

    fn pending(api: &Api, id: &str, pending: u32, failed: u32) {
        let mut s = MountStatus::new(MountState::Mounted);
        s.pending_uploads = pending;
        s.failed_uploads = failed;
        api.mounts.set_status(id, s);
    }

    #[tokio::test]
    async fn quit_asks_only_while_files_wait_for_upload() {
        let dir = tempfile::tempdir().unwrap();
        let (api, quits) = api(&dir);
        // Nothing waits: quits at once, asks nothing.
        assert!(api.request_quit());
        assert_eq!(quits.load(Ordering::SeqCst), 1);

        pending(&api, "3", 2, 0);
        let mut events = api.subscribe();
        assert!(!api.request_quit(), "asks first");
        assert_eq!(quits.load(Ordering::SeqCst), 1);
        assert!(matches!(events.try_recv(), Ok(AppEvent::QuitRequested { pending: 2 })));

        // "Quit when uploads finish": not before they are done (a file that
        // failed for good does not hold it up).
        api.quit_app(QuitWhen::AfterUploads).await.unwrap();
        tokio::time::sleep(WAIT_STEP * 3).await;
        assert_eq!(quits.load(Ordering::SeqCst), 1, "still uploading");
        pending(&api, "3", 1, 1);
        for _ in 0..50 {
            if quits.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(WAIT_STEP).await;
        }
        assert_eq!(quits.load(Ordering::SeqCst), 2);

        // "Quit now": the mounts are hurried (their uploads wait for the next start).
        assert!(!api.mounts.hurry.is_cancelled());
        api.quit_app(QuitWhen::Now).await.unwrap();
        assert!(api.mounts.hurry.is_cancelled());
        assert_eq!(quits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_program_without_a_window_is_not_quit_from_the_page() {
        let dir = tempfile::tempdir().unwrap();
        let api = Arc::new(crate::tasks::tests::api(dir.path()));
        let e = api.quit_app(QuitWhen::Now).await.unwrap_err();
        assert_eq!(e.code, "unsupported");
        assert!(!api.mounts.hurry.is_cancelled(), "nothing was stopped");
    }
}
