//! Open files as dav-server uses them: GET reads through the core's read
//! cache; PUT writes a staged file, and `flush` (called once, when the body
//! has ended) closes it, which queues the upload. A PUT cut short never
//! reaches `flush`, so nothing of it is uploaded.

use std::io::SeekFrom;

use bytes::{Buf, Bytes};
use dav_server::fs::{DavFile, DavMetaData, FsError, FsFuture};
use fjordsync_vfs::{FileState, Kind, Meta, Reader, Writer};

use crate::fs::fs_error;
use crate::meta::DavMeta;

/// One open file.
#[derive(Debug)]
pub struct DavVfsFile {
    pos: u64,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Read(Reader),
    Write { writer: Option<Writer>, size: u64 },
    Closed(Meta),
}

impl DavVfsFile {
    pub(crate) fn reader(r: Reader) -> DavVfsFile {
        DavVfsFile { pos: 0, mode: Mode::Read(r) }
    }

    pub(crate) fn writer(w: Writer, size: u64) -> DavVfsFile {
        DavVfsFile { pos: 0, mode: Mode::Write { writer: Some(w), size } }
    }

    fn size(&self) -> u64 {
        match &self.mode {
            Mode::Read(r) => r.meta().size,
            Mode::Write { size, .. } => *size,
            Mode::Closed(m) => m.size,
        }
    }

    async fn write(&mut self, data: Bytes) -> Result<(), FsError> {
        let Mode::Write { writer: Some(w), size } = &mut self.mode else { return Err(FsError::Forbidden) };
        w.write_at(self.pos, &data).await.map_err(|e| fs_error(&e))?;
        self.pos += data.len() as u64;
        *size = (*size).max(self.pos);
        Ok(())
    }
}

impl DavFile for DavVfsFile {
    fn metadata(&mut self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        Box::pin(async move {
            let meta = match &self.mode {
                Mode::Read(r) => r.meta().clone(),
                Mode::Closed(m) => m.clone(),
                Mode::Write { size, .. } => Meta {
                    kind: Kind::File,
                    size: *size,
                    modified: Some(jiff::Timestamp::now()),
                    created: None,
                    md5: None,
                    revision: None,
                    state: FileState::Pending,
                },
            };
            Ok(Box::new(DavMeta(meta)) as Box<dyn DavMetaData>)
        })
    }

    fn write_buf(&mut self, mut buf: Box<dyn Buf + Send>) -> FsFuture<'_, ()> {
        Box::pin(async move {
            let data = buf.copy_to_bytes(buf.remaining());
            self.write(data).await
        })
    }

    fn write_bytes(&mut self, buf: Bytes) -> FsFuture<'_, ()> {
        Box::pin(self.write(buf))
    }

    fn read_bytes(&mut self, count: usize) -> FsFuture<'_, Bytes> {
        Box::pin(async move {
            let Mode::Read(r) = &mut self.mode else { return Err(FsError::Forbidden) };
            let data = r.read_at(self.pos, count).await.map_err(|e| fs_error(&e))?;
            self.pos += data.len() as u64;
            Ok(data)
        })
    }

    fn seek(&mut self, pos: SeekFrom) -> FsFuture<'_, u64> {
        Box::pin(async move {
            let size = self.size() as i128;
            let new = match pos {
                SeekFrom::Start(n) => n as i128,
                SeekFrom::Current(d) => self.pos as i128 + d as i128,
                SeekFrom::End(d) => size + d as i128,
            };
            if new < 0 {
                return Err(FsError::GeneralFailure);
            }
            self.pos = new as u64;
            Ok(self.pos)
        })
    }

    fn flush(&mut self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            if let Mode::Write { writer, .. } = &mut self.mode
                && let Some(w) = writer.take()
            {
                let meta = w.close().await.map_err(|e| fs_error(&e))?;
                self.mode = Mode::Closed(meta);
            }
            Ok(())
        })
    }
}
