//! Files the façade (and its front ends) write whole or not at all: reports,
//! FHIR exports, private keys. One writer for all of them: the bytes go to a
//! temporary file in the target's own folder, are flushed to disk, and only
//! then take the target's name in one rename, so a reader (or a crash) never
//! sees half a file. The temporary file is removed on every error.

use crate::{ApiError, ErrorCode, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How [`write_atomically`] treats the new file and one already at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Only the owner may read or write it (mode 0600 on unix) from its
    /// first byte on: for secrets such as private keys.
    pub private: bool,
    /// Never replace a file already at the path: the write fails instead
    /// (checked in the same atomic step that gives the file its name).
    pub keep_existing: bool,
}

impl WriteOptions {
    /// An ordinary file that replaces whatever was at the path.
    pub const REPLACE: WriteOptions = WriteOptions {
        private: false,
        keep_existing: false,
    };

    /// A secret (a private key): owner-only, and never over an existing
    /// file.
    pub const PRIVATE_NEW: WriteOptions = WriteOptions {
        private: true,
        keep_existing: true,
    };
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file next
/// to it, flushed to disk, then renamed over `path` (or, with
/// [`WriteOptions::keep_existing`], linked to `path` only if nothing is
/// there). On any error nothing is left behind but what was at `path`
/// before.
pub fn write_atomically(path: &Path, bytes: &[u8], options: WriteOptions) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| ApiError::invalid(format!("{} is not a file name", path.display())))?;
    let (temp, mut file) = create_temp(path, &name.to_string_lossy(), options.private)
        .map_err(|e| write_error(path, &e))?;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            if options.keep_existing {
                // A hard link fails if the name is taken; the temporary
                // name goes either way (below on error, here once linked).
                std::fs::hard_link(&temp, path).map(|()| {
                    let _ = std::fs::remove_file(&temp);
                })
            } else {
                std::fs::rename(&temp, path)
            }
        });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(match e.kind() {
            std::io::ErrorKind::AlreadyExists => ApiError::new(
                ErrorCode::Io,
                format!(
                    "cannot create {} (it must not exist yet): {e}",
                    path.display()
                ),
            ),
            _ => write_error(path, &e),
        });
    }
    sync_folder(path);
    Ok(())
}

fn write_error(path: &Path, e: &std::io::Error) -> ApiError {
    ApiError::new(
        ErrorCode::Io,
        format!("cannot write {}: {e}", path.display()),
    )
}

/// A new, empty temporary file in `path`'s folder, named after it (hidden,
/// unique to this process and call).
fn create_temp(path: &Path, name: &str, private: bool) -> std::io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = path.with_file_name(format!(".{name}.{}-{n}.partial", std::process::id()));
        let mut open = OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        match open.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            // Left by an earlier process with the same id: try the next name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes the folder entry of a renamed file, where the system allows it
/// (best effort: the file itself is already on disk).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        if let Ok(dir) = File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_a_new_file_and_replaces_an_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        write_atomically(&path, b"first", WriteOptions::REPLACE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_atomically(&path, b"second, longer", WriteOptions::REPLACE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        assert_eq!(names(dir.path()), ["report.html"]);
    }

    #[test]
    fn keep_existing_refuses_and_leaves_the_old_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_atomically(&path, b"old key", WriteOptions::PRIVATE_NEW).unwrap();
        let err = write_atomically(&path, b"new key", WriteOptions::PRIVATE_NEW).unwrap_err();
        assert_eq!(err.code, ErrorCode::Io);
        assert!(err.message.contains("must not exist yet"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old key");
        assert_eq!(names(dir.path()), ["key.pem"]);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_atomically(&path, b"secret", WriteOptions::PRIVATE_NEW).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder: the rename over it fails.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"x").unwrap();
        let err = write_atomically(&path, b"bytes", WriteOptions::REPLACE).unwrap_err();
        assert_eq!(err.code, ErrorCode::Io);
        assert!(err.message.starts_with("cannot write"), "{err}");
        assert_eq!(names(dir.path()), ["taken"]);
    }

    #[test]
    fn a_missing_folder_is_an_io_error_and_a_bare_root_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(
            &dir.path().join("missing").join("out.json"),
            b"{}",
            WriteOptions::REPLACE,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Io);
        let err = write_atomically(Path::new("/"), b"{}", WriteOptions::REPLACE).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }
}
