//! Writing output files safely: atomically (temporary file + rename), with names built from user ids
//! sanitised (CSV cells are neutralised by [`crate::csv_cell`]).
//!
//! Invariants: a crash never leaves a half-written file under its final name; a file name built from
//! an id never contains a path separator, `..`, or a control character, and two distinct ids never map
//! to the same name (a changed name gets a hash suffix of the original id).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// Write `bytes` to `path` atomically (a temporary file in the same folder, renamed over the final
/// name): a reader or a crash never sees a half-written file. Files are not synced one by one (a
/// batch writes tens of thousands of statements); [`sync_file`] makes the manifest, written last,
/// durable. Returns the SHA-256 of what was written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<String> {
    write_atomic_with(path, |w| w.write_all(bytes))?;
    Ok(sha256_hex(bytes))
}

/// Like [`write_atomic`], the file being the concatenation of `parts` (a byte-order mark and a
/// large CSV are written without first copying them into one buffer).
pub fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> anyhow::Result<String> {
    write_atomic_with(path, |w| parts.iter().try_for_each(|p| w.write_all(p)))?;
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p);
    }
    Ok(format!("{:x}", hash.finalize()))
}

/// Like [`write_atomic`], with the content streamed by `write` into the temporary file (through a
/// buffer) instead of held whole in memory: a manifest listing a million files is tens of MB.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The folder is created only when it is missing: thousands of statements share a few folders,
    // and a `create_dir_all` per file costs a `mkdir` and a `stat` each.
    let tmp = match tempfile::NamedTempFile::new_in(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
            tempfile::NamedTempFile::new_in(dir)
        }
        other => other,
    }
    .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, tmp);
    write(&mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let tmp = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Put the complete folder `staging` in place of `target` (replacing an older one): the old folder
/// is moved aside, the new one renamed into place, then the old one removed.
pub fn replace_dir(staging: &Path, target: &Path) -> anyhow::Result<()> {
    let old = target.with_extension("old");
    if old.exists() {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    }
    if target.exists() {
        std::fs::rename(target, &old)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
    }
    std::fs::rename(staging, target).with_context(|| {
        format!(
            "cannot rename {} to {}",
            staging.display(),
            target.display()
        )
    })?;
    if old.exists() {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(())
}

/// Flush a written file to disk.
pub fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))
}

/// A file-name-safe form of an id: `[A-Za-z0-9._-]` kept, anything else replaced, and when anything
/// was replaced (or the name could be read as `.`/`..`), a short hash of the id appended.
pub fn safe_name(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let changed = out != id || out.is_empty() || out.starts_with('.') || out.len() > 100;
    if changed {
        out.truncate(80);
        let hash = format!("{:x}", Sha256::digest(id.as_bytes()));
        out = format!("{}~{}", out.trim_start_matches('.'), &hash[..10]);
    }
    out
}

/// Make sure `dir` may receive the outputs of run `run_id`: it is created if missing; a folder that
/// holds the same run is rewritten (byte-identical); a folder holding another run, or files that are
/// not a payout run, is refused unless `force`, in which case the previous run's files are removed. A
/// folder holding only `exceptions.csv` (what a run refused by its guards writes) is taken.
pub fn claim_output_dir(dir: &Path, run_id: &str, force: bool) -> anyhow::Result<()> {
    if !dir.exists() {
        return std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output folder {}", dir.display()));
    }
    if !dir.is_dir() {
        anyhow::bail!("--out {} exists and is not a folder", dir.display());
    }
    let names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the output folder {}", dir.display()))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read the output folder {}", dir.display()))?;
    if names.is_empty() {
        return Ok(());
    }
    // A run refused by its guards leaves only its exceptions: the next run takes the folder.
    if names.iter().all(|n| n == "exceptions.csv") {
        let path = dir.join("exceptions.csv");
        return std::fs::remove_file(&path)
            .with_context(|| format!("cannot remove {}", path.display()));
    }
    let manifest = dir.join("manifest.json");
    let previous = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("run_id").and_then(|r| r.as_str()).map(str::to_string));
    if previous.as_deref() == Some(run_id) {
        return Ok(());
    }
    if !force {
        let what = match &previous {
            Some(id) => format!("holds run {id}, a different run (other inputs, plans or period)"),
            None => "is not empty and holds no payout manifest".to_string(),
        };
        anyhow::bail!(
            "the output folder {} {what}; refusing to mix runs. Choose another --out, or pass --force to replace it",
            dir.display()
        );
    }
    for name in [
        "manifest.json",
        "payouts.csv",
        "reconciliation.csv",
        "exceptions.csv",
        super::xlsx::FILE,
    ] {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    let statements = dir.join("statements");
    if statements.exists() {
        std::fs::remove_dir_all(&statements)
            .with_context(|| format!("cannot remove {}", statements.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_distinct() {
        assert_eq!(safe_name("A004"), "A004");
        let a = safe_name("../etc/passwd");
        assert!(!a.contains('/') && !a.starts_with('.'));
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert_ne!(safe_name("a/b"), safe_name("a:b"));
        assert!(!safe_name("..").contains(".."));
        assert!(!safe_name("x\ny").contains('\n'));
    }
}
