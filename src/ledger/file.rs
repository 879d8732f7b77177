//! The ledger's files on disk: the ledger itself (a symlink is followed to its target), and beside
//! the target its head record (`<name>.head`), its lock file (`<name>.lock`) and the temporary copies
//! a close writes before renaming them over the originals (`<name>.tmp`, `<name>.head.tmp`): both
//! are written and synced first, then renamed one after the other, so a close killed between the two
//! renames leaves a complete `<name>.head.tmp` naming the ledger's head, which the next holder of the
//! lock renames into place.
//!
//! Invariants: only a holder of the exclusive lock writes, from the first read of the ledger to the
//! last rename, so two closes never interleave; the lock is the kernel's (`flock`), released when
//! its process ends however it ends, and the lock file is never deleted (deleting it would let two
//! processes lock two different files). A replaced file keeps the mode of the one it replaces.
//! Readers take no lock: they read the ledger and its head record again when the pair does not match
//! (a close renames one then the other).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

/// The paths of one ledger.
#[derive(Debug, Clone)]
pub struct LedgerFiles {
    /// The file written: the ledger's path with symlinks resolved.
    pub target: PathBuf,
    pub head: PathBuf,
    pub lock: PathBuf,
    pub tmp: PathBuf,
    pub head_tmp: PathBuf,
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Follow symlinks, a dangling one included (its target is where the ledger will be created).
fn resolve(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    // A bounded walk: a loop of links stops here and fails later at open.
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(to) => {
                p = match p.parent() {
                    Some(dir) => dir.join(to),
                    None => to,
                }
            }
            Err(_) => return p,
        }
    }
    p
}

impl LedgerFiles {
    pub fn of(path: &Path) -> LedgerFiles {
        let target = resolve(path);
        LedgerFiles {
            head: with_suffix(&target, ".head"),
            lock: with_suffix(&target, ".lock"),
            tmp: with_suffix(&target, ".tmp"),
            head_tmp: with_suffix(&target, ".head.tmp"),
            target,
        }
    }

    /// The folder the files are in.
    pub fn dir(&self) -> &Path {
        self.target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

/// The exclusive lock of a ledger, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Take the ledger's exclusive lock, waiting at most `wait` for another holder to finish.
pub fn lock_exclusive(files: &LedgerFiles, wait: Duration) -> anyhow::Result<Lock> {
    let dir = files.dir();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&files.lock)
        .with_context(|| format!("cannot open the lock file {}", files.lock.display()))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another `payout close` holds the ledger's lock {} (waited {} s); nothing was written: run the close again when it has finished, or pass a longer --wait",
                files.lock.display(),
                wait.as_secs_f64()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e)
                    .with_context(|| format!("cannot lock {}", files.lock.display()))
            }
        }
    }
}

/// Remove the temporary copies an interrupted close left behind (call with the lock held); returns
/// the ones removed.
pub fn remove_leftovers(files: &LedgerFiles) -> anyhow::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for tmp in [&files.tmp, &files.head_tmp] {
        match std::fs::remove_file(tmp) {
            Ok(()) => removed.push(tmp.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", tmp.display())),
        }
    }
    Ok(removed)
}

/// Read a file; `None` when it does not exist.
pub fn read_optional(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Write `bytes` to `tmp` (call with the lock held), with the mode of the first of `mode_of` that
/// exists (none: the default mode of a new file), synced: ready to be renamed over its original.
pub fn prepare(tmp: &Path, bytes: &[u8], mode_of: &[&Path]) -> anyhow::Result<()> {
    let what = || format!("cannot write {}", tmp.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .with_context(what)?;
    file.write_all(bytes).with_context(what)?;
    if let Some(mode) = mode_of.iter().find_map(|p| std::fs::metadata(p).ok()) {
        file.set_permissions(mode.permissions())
            .with_context(what)?;
    }
    file.sync_all().with_context(what)
}

/// Rename a prepared temporary file over its original.
pub fn rename(tmp: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::rename(tmp, target).with_context(|| format!("cannot write {}", target.display()))
}

/// Make the renames in the folder durable (where the platform allows it).
pub fn sync_dir(files: &LedgerFiles) {
    if let Ok(d) = File::open(files.dir()) {
        let _ = d.sync_all();
    }
}
