//! Revisions (spec 4.3, 4.7.1): restore an old revision as current.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::model::{FileInfo, RevisionState};
use crate::names::RemotePath;
use crate::upload::AllocateRequest;

impl Client {
    /// Make revision `number` current again without sending bytes: allocate
    /// the same path with the old md5/size; the content is stored, so the
    /// service answers `COMPLETED` and adds a new current revision (spec
    /// 4.7.1; modelled). Download an old revision with
    /// [`crate::DownloadOptions::revision`].
    pub async fn restore_revision(&self, path: &RemotePath, number: u32) -> Result<FileInfo> {
        let revs = self.revisions(path).await?;
        let r = revs
            .iter()
            .find(|r| r.number == number)
            .ok_or_else(|| crate::files::not_found(&format!("{path} has no revision {number}")))?;
        if r.current {
            return self.file_info(path).await;
        }
        if r.state != RevisionState::Completed {
            return Err(Error::InvalidArgument(format!("revision {number} of {path} is not completed")));
        }
        let (Some(md5), Some(size)) = (r.md5.clone(), r.size) else {
            return Err(Error::Protocol(format!("revision {number} lacks md5 or size")));
        };
        let alloc = self
            .allocate(&AllocateRequest { path: path.clone(), md5, size, created: r.created, modified: r.modified })
            .await?;
        if !alloc.completed {
            return Err(Error::Protocol(format!(
                "service did not deduplicate revision {number} of {path}; upload the content instead"
            )));
        }
        self.file_info(path).await
    }
}
