//! Reads and writes at an offset (`pread`/`pwrite`), which move no shared
//! cursor: readers and the download filling a cache file use one open file
//! at once, and a staged file is written at the offsets the client gives
//! without a seek before each write. They block, so callers run them with
//! [`tokio::task::spawn_blocking`].

use std::fs::File;
use std::io;

/// Fills `buf` from `file` at `offset` (an error if the file ends first).
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
}

/// Writes all of `buf` to `file` at `offset`.
pub(crate) fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_write(file, buf, offset)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
}

/// Asks the system to start writing `len` bytes from `offset` to the disk
/// now, without waiting: a big file written in pieces is then mostly on the
/// disk when it is closed, so the `fsync` at close is short. Only a hint:
/// where the system has no such call, or it fails, nothing happens.
pub(crate) fn start_writeback(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
        // SAFETY: the descriptor is open for the call's duration (borrowed
        // from `file`); the call only starts the disk write of the range.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, offset, len);
    }
}

/// Bytes `offset..end` of `file`, read off the async threads (an error if
/// the file ends first).
pub(crate) async fn read_range(file: std::sync::Arc<File>, offset: u64, end: u64) -> io::Result<bytes::Bytes> {
    blocking(move || {
        let mut buf = vec![0u8; (end - offset) as usize];
        read_exact_at(&file, &mut buf, offset)?;
        Ok(bytes::Bytes::from(buf))
    })
    .await
}

/// Runs a blocking file operation off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(io::Error::other)?
}
