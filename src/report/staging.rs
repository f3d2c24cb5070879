//! Files written side by side, all or nothing. Every file of a run is written in full into a
//! private staging directory inside the target directory, hashed on the way, and made durable
//! with one sync; only then does [`Staged::commit`] move them into place, taking the earlier
//! run's files aside first and putting them back if any move fails. A failed or interrupted run
//! never leaves half a report, or a mix of two runs, in place of a good one.

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
    /// A move into place failed; every move done before it was undone.
    #[error("moving {} into place: {source}; nothing was changed, the earlier files are back in place", path.display())]
    Commit {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A move into place failed, and so did putting an earlier file back: say where it is.
    #[error("moving {} into place: {source}; putting {} back also failed ({undo}): the earlier run's files are kept in {}", path.display(), undone.display(), kept.display())]
    Rollback {
        path: PathBuf,
        source: std::io::Error,
        undone: PathBuf,
        undo: std::io::Error,
        kept: PathBuf,
    },
    #[error("interrupted before the reports were complete: nothing was written")]
    Interrupted,
}

/// Raised when the process is told to stop (Ctrl-C, SIGTERM). Process-wide, as signals are.
static STOP_STAGING: AtomicBool = AtomicBool::new(false);

/// Abandon every staged write in this process, mid-render if need be: files not yet moved into
/// place never will be, and the staging directory is removed.
pub fn stop_staging() {
    STOP_STAGING.store(true, Ordering::SeqCst);
}

/// Whether [`stop_staging`] was called.
pub fn staging_stopped() -> bool {
    STOP_STAGING.load(Ordering::SeqCst)
}

/// The one directory below the target a run may write into (one page per account); a manifest
/// name is a plain file name, or this directory and a plain file name.
pub const ACCOUNTS_DIR: &str = "accounts";

/// Whether `name` is a name a run writes: a plain file name, or [`ACCOUNTS_DIR`]`/`a plain file
/// name. Anything else (`..`, an absolute path, a deeper path) could reach outside the directory.
pub fn is_run_file_name(name: &str) -> bool {
    let plain = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && !part.contains(['/', '\\', '\0'])
            && !part.contains(':')
    };
    match name.split_once('/') {
        None => plain(name),
        Some((dir, file)) => dir == ACCOUNTS_DIR && plain(file),
    }
}

/// Files written side by side in one directory, all or nothing (see the module's comment).
/// Dropped before [`Staged::commit`], the staging directory goes and nothing in the target
/// directory changes.
pub struct Staged {
    dir: PathBuf,
    staging: tempfile::TempDir,
    /// What lands in `dir`, in order: file names, and [`ACCOUNTS_DIR`] once for all its files.
    entries: Vec<String>,
    digests: Vec<FileDigest>,
    /// Names in `dir` an earlier run wrote and this one does not: taken away on commit.
    retired: Vec<String>,
}

impl Staged {
    pub fn new(dir: &Path) -> Result<Self, StageError> {
        let io_error = |source| StageError::Write {
            path: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(io_error)?;
        // Ends in .tmp like the files the earlier layout staged, so a leftover reads as one.
        let staging = tempfile::Builder::new()
            .prefix(".orgtrail-")
            .suffix(".tmp")
            .tempdir_in(dir)
            .map_err(io_error)?;
        Ok(Staged {
            dir: dir.to_path_buf(),
            staging,
            entries: Vec::new(),
            digests: Vec::new(),
            retired: Vec::new(),
        })
    }

    /// Write one file now; its digest, as written.
    pub fn add(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut Out) -> Result<(), RenderError>,
    ) -> Result<FileDigest, StageError> {
        let digest = stage(self.staging.path(), name, write)?;
        self.push(digest.clone());
        Ok(digest)
    }

    /// Several files at once, written by one thread per core (the formats of a large report take
    /// about as long each), kept in the order given.
    pub fn add_all<'w>(&mut self, files: Vec<(String, WriteFile<'w>)>) -> Result<(), StageError> {
        let dir = self.staging.path();
        let count = files.len();
        let queue = std::sync::Mutex::new(files.into_iter().enumerate());
        let creating = std::sync::Mutex::new(());
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(count);
        let mut results: Vec<(usize, Result<FileDigest, StageError>)> =
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut done = Vec::new();
                            let mut page = Vec::new();
                            loop {
                                let next = queue.lock().expect("writer queue").next();
                                let Some((index, (name, write))) = next else {
                                    return done;
                                };
                                let staged = if name.starts_with(ACCOUNTS_PREFIX) {
                                    stage_page(dir, &name, write, &mut page, &creating)
                                } else {
                                    stage(dir, &name, write)
                                };
                                let failed = staged.is_err();
                                done.push((index, staged));
                                if failed {
                                    return done;
                                }
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

    fn push(&mut self, digest: FileDigest) {
        let entry = match digest.name.split_once('/') {
            Some((dir, _)) => dir,
            None => digest.name.as_str(),
        };
        if !self.entries.iter().any(|e| e == entry) {
            self.entries.push(entry.to_string());
        }
        self.digests.push(digest);
    }

    /// Name, size and SHA-256 of every file added so far, as written.
    pub fn digests(&self) -> &[FileDigest] {
        &self.digests
    }

    /// Take `name` out of the directory on commit (a format an earlier run wrote and this one
    /// does not), unless this run writes it.
    pub fn retire(&mut self, name: &str) {
        self.retired.push(name.to_string());
    }

    /// Move every file into place, all or nothing. First every staged byte is made durable;
    /// then the earlier files this run replaces or retires are moved aside, the manifest's
    /// first (a directory caught half-way by a crash has no manifest and fails `verify`); then
    /// the new ones move in, in the order added (the manifest last). If a move fails, every move
    /// done is undone in reverse. A stop requested before this begins lands nothing.
    pub fn commit(self) -> Result<Vec<PathBuf>, StageError> {
        self.commit_with(|from, to| fs::rename(from, to))
    }

    fn commit_with(
        self,
        mut rename: impl FnMut(&Path, &Path) -> std::io::Result<()>,
    ) -> Result<Vec<PathBuf>, StageError> {
        if staging_stopped() {
            return Err(StageError::Interrupted);
        }
        let staging = self.staging.path();
        sync_tree(staging, &self.digests).map_err(|source| StageError::Write {
            path: staging.to_path_buf(),
            source,
        })?;
        let aside = staging.join(".earlier");
        fs::create_dir(&aside).map_err(|source| StageError::Write {
            path: aside.clone(),
            source,
        })?;

        let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
        // Aside: the earlier files, last-added entry (the manifest's signature, the manifest)
        // first, then the retired ones. What is not ours (a directory where a file goes) stays,
        // and the move into its place fails below.
        let replaced = self.entries.iter().rev();
        let retired = self.retired.iter().filter(|r| !self.entries.contains(r));
        for name in replaced.chain(retired) {
            let target = self.dir.join(name);
            let Ok(found) = fs::symlink_metadata(&target) else {
                continue;
            };
            let ours = !found.is_dir() || name == ACCOUNTS_DIR;
            if ours {
                moves.push((target, aside.join(name)));
            }
        }
        for name in &self.entries {
            moves.push((staging.join(name), self.dir.join(name)));
        }

        for (done, (from, to)) in moves.iter().enumerate() {
            if let Err(source) = rename(from, to) {
                let path = to.clone();
                return Err(match undo(&moves[..done], &mut rename) {
                    Ok(()) => {
                        let _ = sync_dir(&self.dir);
                        StageError::Commit { path, source }
                    }
                    // The earlier files that could not be put back stay where they are, in
                    // the staging directory, for a person to put back.
                    Err((undone, undo)) => StageError::Rollback {
                        path,
                        source,
                        undone,
                        undo,
                        kept: self.staging.keep(),
                    },
                });
            }
        }
        sync_dir(&self.dir).map_err(|source| StageError::Write {
            path: self.dir.clone(),
            source,
        })?;
        remove_pages(&aside.join(ACCOUNTS_DIR));
        Ok(self.entries.iter().map(|e| self.dir.join(e)).collect())
    }
}

/// Remove the earlier run's account pages, set aside by the commit, from several threads at
/// once; the rest of the staging directory goes when it is dropped. Each unlink waits for the
/// disk (freeing the file's blocks; on this machine's `discard` mount, a discard each): 10,000
/// pages took 1.0–1.8 s one after another, 0.7–1.1 s from 8 threads (BENCHMARKS.md, issue 24).
/// What cannot be removed here is left to the drop, which reports nothing either.
fn remove_pages(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let pages: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                while let Some(page) = pages.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let _ = fs::remove_file(page);
                }
            });
        }
    });
}

/// Undo `done` in reverse; the first move that cannot be undone, if any.
fn undo(
    done: &[(PathBuf, PathBuf)],
    rename: &mut impl FnMut(&Path, &Path) -> std::io::Result<()>,
) -> Result<(), (PathBuf, std::io::Error)> {
    for (from, to) in done.iter().rev() {
        rename(to, from).map_err(|e| (from.clone(), e))?;
    }
    Ok(())
}

/// Make every staged file durable before any is moved into place. On Linux one `syncfs` does it
/// for all: a report of 10,000 accounts stages over 10,000 files, and an fsync each took 1.8 ms
/// on this machine's disk (18 s), against about 0.2 s for one syncfs after 2,000 files.
fn sync_tree(staging: &Path, files: &[FileDigest]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = files;
        let dir = fs::File::open(staging)?;
        // SAFETY: syncfs takes an open file descriptor, which `dir` holds for the call.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for file in files {
            fs::File::open(staging.join(&file.name))?.sync_all()?;
        }
        if staging.join(ACCOUNTS_DIR).is_dir() {
            sync_dir(&staging.join(ACCOUNTS_DIR))?;
        }
        sync_dir(staging)
    }
}

/// A directory's entries (the renames into it) made durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
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
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut text, b| {
            let _ = write!(text, "{b:02x}");
            text
        })
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

/// `accounts/`, as the names of the pages in it begin.
const ACCOUNTS_PREFIX: &str = "accounts/";

/// Write an account page (5–19 kB, 10,000 of them at 10,000 accounts): rendered whole into the
/// worker's `buffer`, hashed at once, and written with one write into a file created while
/// holding `creating`. Two threads creating files in one directory at once made the second spin
/// on the directory's lock inside the kernel (a fifth of the 10,000-account report's CPU, and
/// most of its system time on an ext4 without a journal, where each new inode is searched for
/// past the recently deleted ones of the run before; BENCHMARKS.md, issue 24): holding
/// `creating`, it sleeps, and the other threads go on rendering.
fn stage_page(
    staging: &Path,
    name: &str,
    write: impl FnOnce(&mut Out) -> Result<(), RenderError>,
    buffer: &mut Vec<u8>,
    creating: &std::sync::Mutex<()>,
) -> Result<FileDigest, StageError> {
    if staging_stopped() {
        return Err(StageError::Interrupted);
    }
    debug_assert!(is_run_file_name(name), "{name}");
    buffer.clear();
    write(&mut *buffer).map_err(|source| StageError::Render {
        file: name.to_string(),
        source,
    })?;
    let path = staging.join(name);
    let io_error = |source| StageError::Write {
        path: path.clone(),
        source,
    };
    let created = {
        let _creating = creating.lock().expect("page creation lock");
        if staging_stopped() {
            return Err(StageError::Interrupted);
        }
        match fs::File::create(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(staging.join(ACCOUNTS_DIR)).map_err(io_error)?;
                fs::File::create(&path)
            }
            created => created,
        }
    };
    created
        .and_then(|mut file| file.write_all(buffer))
        .map_err(io_error)?;
    Ok(FileDigest {
        name: name.to_string(),
        bytes: buffer.len() as u64,
        sha256: hex(&Sha256::digest(&buffer[..])),
    })
}

/// Write `name` in full into the staging directory, hashing it on the way.
fn stage(
    staging: &Path,
    name: &str,
    write: impl FnOnce(&mut Out) -> Result<(), RenderError>,
) -> Result<FileDigest, StageError> {
    if staging_stopped() {
        return Err(StageError::Interrupted);
    }
    debug_assert!(is_run_file_name(name), "{name}");
    let path = staging.join(name);
    let io_error = |source| StageError::Write {
        path: path.clone(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| *p != staging) {
        fs::create_dir_all(parent).map_err(io_error)?;
    }
    let file = fs::File::create(&path).map_err(io_error)?;
    // Buffered above the digest: renderers write in small pieces (a JSON key, a CSV cell), and
    // hashing and checking for a stop per 64 KiB rather than per piece takes about a fifth off
    // the 10,000-account report (BENCHMARKS.md, Offline).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, Digesting::new(file));
    // A stop makes the next write through to the file fail (see `Digesting`), so the renderer
    // gives up within 64 KiB; the staging directory goes with `Staged`.
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
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                for (inner, text) in files(&path) {
                    found.push((format!("{name}/{inner}"), text));
                }
            } else {
                found.push((name, fs::read_to_string(&path).unwrap()));
            }
        }
        found.sort();
        found
    }

    fn run(dir: &Path, text: &str) -> Staged {
        let mut staged = Staged::new(dir).unwrap();
        for name in [
            "report.html",
            "accounts/1.html",
            "accounts/2.html",
            "manifest.json",
        ] {
            let text = format!("{name} {text}");
            staged
                .add(name, |out| Ok(out.write_all(text.as_bytes())?))
                .unwrap();
        }
        staged
    }

    #[test]
    fn a_move_failing_half_way_puts_every_earlier_file_back() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), "first").commit().unwrap();
        let before = files(dir.path());

        // The fifth move fails: by then the earlier files are aside and some new ones in.
        let mut moves = 0;
        let failed = run(dir.path(), "second").commit_with(|from, to| {
            moves += 1;
            if moves == 5 {
                return Err(std::io::Error::other("disk gone"));
            }
            fs::rename(from, to)
        });
        assert!(
            matches!(failed, Err(StageError::Commit { .. })),
            "{failed:?}"
        );
        assert_eq!(files(dir.path()), before);

        let written = run(dir.path(), "third").commit().unwrap();
        assert_eq!(written.len(), 3, "report.html, accounts, manifest.json");
        assert!(files(dir.path())
            .iter()
            .all(|(name, text)| *text == format!("{name} third")));
    }

    #[test]
    fn an_undo_that_fails_keeps_the_earlier_files_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), "first").commit().unwrap();
        let mut moves = 0;
        let failed = run(dir.path(), "second").commit_with(|from, to| {
            moves += 1;
            if moves >= 5 {
                return Err(std::io::Error::other("disk gone"));
            }
            fs::rename(from, to)
        });
        let Err(StageError::Rollback { kept, .. }) = failed else {
            panic!("{failed:?}");
        };
        assert!(kept.join(".earlier/manifest.json").is_file(), "{kept:?}");
    }

    #[test]
    fn retired_files_go_and_a_directory_in_the_way_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("findings.ocsf.jsonl"), "old").unwrap();
        let mut staged = run(dir.path(), "now");
        staged.retire("findings.ocsf.jsonl");
        staged.retire("report.html");
        staged.commit().unwrap();
        assert!(!dir.path().join("findings.ocsf.jsonl").exists());
        assert!(dir.path().join("report.html").is_file());

        fs::remove_file(dir.path().join("report.html")).unwrap();
        fs::create_dir(dir.path().join("report.html")).unwrap();
        let failed = run(dir.path(), "later").commit();
        assert!(
            matches!(failed, Err(StageError::Commit { .. })),
            "{failed:?}"
        );
        assert!(dir.path().join("report.html").is_dir());
        assert_eq!(
            fs::read_to_string(dir.path().join("manifest.json")).unwrap(),
            "manifest.json now"
        );
    }

    #[test]
    fn only_plain_names_and_account_pages_are_run_files() {
        for good in [
            "report.html",
            "accounts/123456789012.html",
            "report-001.asff.json",
        ] {
            assert!(is_run_file_name(good), "{good}");
        }
        for bad in [
            "../x",
            "/etc/hostname",
            "accounts/../x",
            "accounts/a/b",
            "other/x",
            "",
            ".",
            "..",
            "a\\b",
            "C:x",
            "accounts/",
        ] {
            assert!(!is_run_file_name(bad), "{bad}");
        }
    }
}
