//! Files written side by side, all or nothing: each is written in full to a temporary file in
//! the target directory and hashed on the way; only when every one is complete are they renamed
//! into place, so a failed or interrupted run never leaves half a report in place of a good one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::{Out, RenderError};

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("rendering {file}: {source}")]
    Render { file: String, source: RenderError },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted before the reports were complete: nothing was written")]
    Interrupted,
}

/// Raised when the process is told to stop (Ctrl-C, SIGTERM). Process-wide, as signals are.
static STOP_STAGING: AtomicBool = AtomicBool::new(false);

/// Abandon every staged write in this process, mid-render if need be: files not yet renamed
/// into place never will be, and their temporary files are removed.
pub fn stop_staging() {
    STOP_STAGING.store(true, Ordering::SeqCst);
}

/// Whether [`stop_staging`] was called.
pub fn staging_stopped() -> bool {
    STOP_STAGING.load(Ordering::SeqCst)
}

/// Files written side by side in one directory: each is written in full to a temporary file
/// there, and only when every one is complete are they renamed into place. Dropped before
/// [`Staged::commit`], the temporary files are removed and nothing in the directory changes.
pub struct Staged {
    dir: PathBuf,
    files: Vec<(tempfile::NamedTempFile, PathBuf)>,
    digests: Vec<FileDigest>,
}

impl Staged {
    pub fn new(dir: &Path) -> Result<Self, StageError> {
        fs::create_dir_all(dir).map_err(|source| StageError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Staged {
            dir: dir.to_path_buf(),
            files: Vec::new(),
            digests: Vec::new(),
        })
    }

    /// Write one file now; its digest, as written.
    pub fn add(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut Out) -> Result<(), RenderError>,
    ) -> Result<FileDigest, StageError> {
        let staged = stage(&self.dir, name, write)?;
        let digest = staged.2.clone();
        self.push(staged);
        Ok(digest)
    }

    /// Several files at once, written by one thread per core (the formats of a large report take
    /// about as long each), kept in the order given.
    pub fn add_all<'w>(&mut self, files: Vec<(String, WriteFile<'w>)>) -> Result<(), StageError> {
        let dir = &self.dir;
        let count = files.len();
        let queue = std::sync::Mutex::new(files.into_iter().enumerate());
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(count);
        let mut results: Vec<(usize, Result<StagedFile, StageError>)> =
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut done = Vec::new();
                            loop {
                                let next = queue.lock().expect("writer queue").next();
                                let Some((index, (name, write))) = next else {
                                    return done;
                                };
                                done.push((index, stage(dir, &name, write)));
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|worker| worker.join().expect("a report writer panicked"))
                    .collect()
            });
        results.sort_by_key(|(index, _)| *index);
        for (_, result) in results {
            self.push(result?);
        }
        Ok(())
    }

    fn push(&mut self, (temp, path, digest): StagedFile) {
        self.files.push((temp, path));
        self.digests.push(digest);
    }

    /// Name, size and SHA-256 of every file added so far, as written.
    pub fn digests(&self) -> &[FileDigest] {
        &self.digests
    }

    /// Rename every file into place (each rename is atomic). A stop requested before this
    /// begins lands nothing; once renaming has begun it finishes, so the directory never holds
    /// some files of this run and some of the last.
    pub fn commit(self) -> Result<Vec<PathBuf>, StageError> {
        if staging_stopped() {
            return Err(StageError::Interrupted);
        }
        let mut written = Vec::with_capacity(self.files.len());
        for (temp, path) in self.files {
            temp.persist(&path).map_err(|e| StageError::Write {
                path: path.clone(),
                source: e.error,
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

/// A file as written: its name, size and SHA-256, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileDigest {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A writer that hashes and counts what passes through it.
struct Digesting<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Digesting<W> {
    fn new(inner: W) -> Self {
        Digesting {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self, name: &str) -> FileDigest {
        FileDigest {
            name: name.to_string(),
            bytes: self.bytes,
            sha256: hex(&self.hasher.finalize()),
        }
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if staging_stopped() {
            // Not ErrorKind::Interrupted: `write_all` would retry that forever.
            return Err(std::io::Error::other("interrupted"));
        }
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Size and SHA-256 of a file on disk, named as given.
pub fn digest_file(path: &Path, name: &str) -> std::io::Result<FileDigest> {
    let mut file = fs::File::open(path)?;
    let mut digesting = Digesting::new(std::io::sink());
    std::io::copy(&mut file, &mut digesting)?;
    Ok(digesting.finish(name))
}

/// Writes one file's content; sent to a thread of its own by [`Staged::add_all`].
pub type WriteFile<'w> = Box<dyn FnOnce(&mut Out) -> Result<(), RenderError> + Send + 'w>;

type StagedFile = (tempfile::NamedTempFile, PathBuf, FileDigest);

/// Write `name` in full into a temporary file in `dir`, hashing it on the way.
fn stage(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut Out) -> Result<(), RenderError>,
) -> Result<StagedFile, StageError> {
    if staging_stopped() {
        return Err(StageError::Interrupted);
    }
    let path = dir.join(name);
    let io_error = |source| StageError::Write {
        path: path.clone(),
        source,
    };
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_error)?;
    let file = temp.as_file().try_clone().map_err(io_error)?;
    // Buffered above the digest: renderers write in small pieces (a JSON key, a CSV cell), and
    // hashing and checking for a stop per 64 KiB rather than per piece takes about a fifth off
    // the 10,000-account report (BENCHMARKS.md, Offline).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, Digesting::new(file));
    // A stop makes the next write through to the file fail (see `Digesting`), so the renderer
    // gives up within 64 KiB; the temporary file goes with `temp`.
    let written = write(&mut out);
    if staging_stopped() {
        return Err(StageError::Interrupted);
    }
    written.map_err(|source| StageError::Render {
        file: name.to_string(),
        source,
    })?;
    let digest = out
        .into_inner()
        .map_err(|e| io_error(e.into_error()))?
        .finish(name);
    readable_by_others(temp.as_file())
        .and_then(|_| temp.as_file().sync_all())
        .map_err(io_error)?;
    Ok((temp, path, digest))
}

/// Temporary files are created private; a report is meant to be shared like any other file.
#[cfg(unix)]
fn readable_by_others(file: &fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_others(_: &fs::File) -> std::io::Result<()> {
    Ok(())
}
