//! File versions in the storage browser: a file's revisions, downloading
//! one of them, and making an old one current again.
//!
//! Paths are server segments below the storage's root, as in `browse`.

use fjordsync_jottacloud::{Revision, RevisionState};

use super::Api;
use super::browse::{at, free_name, local_file_name, non_empty};
use super::dto::{AppEvent, EntryDto, RevisionDto, file_entry, time};
use crate::error::{AppError, AppResult};

fn state_name(s: &RevisionState) -> String {
    match s {
        RevisionState::Completed => "completed".into(),
        RevisionState::Incomplete => "incomplete".into(),
        RevisionState::Corrupt => "corrupt".into(),
        RevisionState::Other(o) => o.to_lowercase(),
    }
}

fn revision_dto(r: &Revision) -> RevisionDto {
    RevisionDto {
        number: r.number,
        current: r.current,
        state: state_name(&r.state),
        size: r.size,
        md5: r.md5.clone(),
        created: time(r.created),
        modified: time(r.modified),
        uploaded: time(r.updated),
    }
}

/// `Report.pdf`, 2 → `Report (version 2).pdf`.
fn version_name(name: &str, number: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} (version {number}).{ext}"),
        _ => format!("{name} (version {number})"),
    }
}

impl Api {
    /// A file's revisions, newest first (the current one marked).
    pub async fn list_revisions(&self, storage: String, path: Vec<String>) -> AppResult<Vec<RevisionDto>> {
        non_empty(&path)?;
        let s = self.session(&storage).await?;
        let mut revs = s.client.revisions(&at(&s, &path)?).await?;
        revs.sort_by_key(|r| std::cmp::Reverse(r.number));
        Ok(revs.iter().map(revision_dto).collect())
    }

    /// Downloads revision `number` into `folder` as `name (version N).ext`,
    /// never overwriting (MD5-checked, through a temp file). Returns the
    /// local file written.
    pub async fn download_revision(
        &self,
        storage: String,
        path: Vec<String>,
        number: u32,
        folder: String,
    ) -> AppResult<String> {
        let (s, p, folder) = self.download_from(&storage, &path, folder).await?;
        let revs = s.client.revisions(&p).await?;
        let r = revs
            .iter()
            .find(|r| r.number == number)
            .ok_or_else(|| AppError::new("not_found", format!("the file has no version {number}")))?;
        let (Some(md5), Some(size), RevisionState::Completed) = (r.md5.as_deref(), r.size, &r.state) else {
            return Err(AppError::invalid(format!("version {number} is not complete on the server")));
        };
        let target = free_name(&folder, &version_name(&local_file_name(p.name())?, number));
        let revision = (!r.current).then_some(number);
        s.client.download_revision_to_file(&p, &target, revision, md5, size).await?;
        Ok(target.display().to_string())
    }

    /// Makes revision `number` the current content again (the service adds
    /// it as a new current revision; nothing is lost). Returns the file.
    pub async fn restore_revision(&self, storage: String, path: Vec<String>, number: u32) -> AppResult<EntryDto> {
        non_empty(&path)?;
        let s = self.session(&storage).await?;
        let info = s.client.restore_revision(&at(&s, &path)?, number).await?;
        self.emit(AppEvent::StorageChanged { storage });
        Ok(file_entry(&info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_keep_the_extension() {
        assert_eq!(version_name("Report.pdf", 2), "Report (version 2).pdf");
        assert_eq!(version_name("README", 1), "README (version 1)");
        assert_eq!(version_name(".bashrc", 3), ".bashrc (version 3)");
    }
}
