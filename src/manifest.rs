//! The evidence manifest: what a run wrote, with the SHA-256 of every file, so a report filed as
//! evidence can later be shown to be the one orgtrail produced (`orgtrail verify DIR`); signed
//! (`--sign-key`), it also shows who produced it ([`crate::signing`]).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::{digest_file, is_run_file_name, FileDigest, ACCOUNTS_DIR};
use crate::signing::{self, SignatureCheck, VerifyingKey, SIGNATURE_FILE};

pub const MANIFEST_SCHEMA: &str = "orgtrail/manifest/v1";
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub tool_version: String,
    /// The resolved command line (the configuration file's options included), with secret
    /// values replaced by `<redacted>`.
    pub arguments: Vec<String>,
    /// The configuration file those options came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_file: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub caller_arn: String,
    /// The inventory the reports were evaluated from (for `scan`, the inventory.json it wrote).
    pub inventory: FileDigest,
    /// Every file the run wrote next to this manifest.
    pub files: Vec<FileDigest>,
    /// The minisign key id manifest.json.minisig was made with, when the run signed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_id: Option<String>,
    /// The audit period the evidence attests (`--period`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<crate::model::Period>,
}

/// Options whose value must never reach a file.
const SECRET_OPTIONS: &[&str] = &["--external-id"];

pub fn redact(arguments: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut redacted = Vec::new();
    let mut hide_next = false;
    for argument in arguments {
        if hide_next {
            redacted.push("<redacted>".to_string());
            hide_next = false;
            continue;
        }
        match SECRET_OPTIONS
            .iter()
            .find(|o| argument.starts_with(&format!("{o}=")))
        {
            Some(option) => redacted.push(format!("{option}=<redacted>")),
            None => {
                hide_next = SECRET_OPTIONS.contains(&argument.as_str());
                redacted.push(argument);
            }
        }
    }
    redacted
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(
        "cannot read {path}: {message}; name a directory written by orgtrail scan, report or merge"
    )]
    Unreadable { path: String, message: String },
}

/// One file the manifest lists, as found in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCheck {
    Matches(FileDigest),
    Missing {
        name: String,
        error: String,
    },
    Changed {
        listed: FileDigest,
        found: FileDigest,
    },
    /// A name that could reach outside the directory (`../x`, `/etc/x`, a symbolic link): not
    /// read, and a failure whatever it holds.
    Outside {
        name: String,
        reason: &'static str,
    },
}

impl FileCheck {
    pub fn matches(&self) -> bool {
        matches!(self, FileCheck::Matches(_))
    }

    /// The file's name, as the manifest lists it.
    pub fn name(&self) -> &str {
        match self {
            FileCheck::Matches(file) => &file.name,
            FileCheck::Missing { name, .. } => name,
            FileCheck::Changed { listed, .. } => &listed.name,
            FileCheck::Outside { name, .. } => name,
        }
    }
}

impl std::fmt::Display for FileCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileCheck::Matches(file) => write!(f, "{}: sha256 {} OK", file.name, file.sha256),
            FileCheck::Missing { name, error } => write!(f, "{name}: missing ({error})"),
            FileCheck::Changed { listed, found } => write!(
                f,
                "{}: changed (sha256 {}, {} bytes; the manifest says {}, {} bytes)",
                listed.name, found.sha256, found.bytes, listed.sha256, listed.bytes
            ),
            FileCheck::Outside { name, reason } => {
                write!(f, "{name}: refused, not read ({reason})")
            }
        }
    }
}

/// What `orgtrail verify` found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// manifest.json itself, as found: the digest to quote in a ticket or on paper.
    pub manifest: FileDigest,
    /// The inventory the reports were evaluated from, as the manifest lists it (the reports
    /// print the same digest).
    pub inventory: FileDigest,
    /// The key the manifest says signed it.
    pub signing_key_id: Option<String>,
    /// The signature checked with the public key given; `None` when none was given.
    pub signature: Option<SignatureCheck>,
    /// Each file the manifest lists, checked against the directory.
    pub files: Vec<FileCheck>,
    /// Files in the directory (or its account pages) the manifest does not list: a report added
    /// or swapped in after the run, which nothing vouches for.
    pub unlisted: Vec<String>,
}

impl Verification {
    /// Every file matches, and the signature verifies when a public key was given.
    pub fn passed(&self) -> bool {
        self.files.iter().all(FileCheck::matches)
            && self.unlisted.is_empty()
            && !matches!(
                self.signature,
                Some(SignatureCheck::Missing | SignatureCheck::Invalid { .. })
            )
    }
}

/// Check the manifest's signature with `public_key` (when given), then each file the manifest
/// lists against the directory. A manifest that fails its signature is still read, so the
/// answer names every file that differs too.
pub fn verify(dir: &Path, public_key: Option<&VerifyingKey>) -> Result<Verification, VerifyError> {
    let path = dir.join(MANIFEST_FILE);
    let unreadable = |message: String| VerifyError::Unreadable {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(&path).map_err(|e| unreadable(e.to_string()))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    if manifest.schema != MANIFEST_SCHEMA {
        return Err(unreadable(format!(
            "schema '{}' is not {MANIFEST_SCHEMA}",
            manifest.schema
        )));
    }
    let signature = public_key.map(
        |key| match std::fs::read_to_string(dir.join(SIGNATURE_FILE)) {
            Err(_) => SignatureCheck::Missing,
            Ok(text) => signing::check_signature(key, &bytes, &text),
        },
    );
    let unlisted = unlisted(dir, &manifest);
    let files = manifest
        .files
        .into_iter()
        .map(|listed| check_file(dir, listed))
        .collect();
    Ok(Verification {
        manifest: digest_bytes(MANIFEST_FILE, &bytes),
        inventory: manifest.inventory,
        signing_key_id: manifest.signing_key_id,
        signature,
        files,
        unlisted,
    })
}

/// One listed file against the directory: only names a run writes are read, and never through
/// a symbolic link.
fn check_file(dir: &Path, listed: FileDigest) -> FileCheck {
    let outside = |reason| FileCheck::Outside {
        name: listed.name.clone(),
        reason,
    };
    if !is_run_file_name(&listed.name) {
        return outside("not a file name in the directory, nor accounts/ and a file name");
    }
    let path = dir.join(&listed.name);
    let through_link = [dir.join(ACCOUNTS_DIR), path.clone()]
        .iter()
        .filter(|p| p.starts_with(dir) && *p != dir)
        .any(|p| fs_is_symlink(p));
    if through_link {
        return outside("a symbolic link, which could point anywhere");
    }
    match digest_file(&path, &listed.name) {
        Err(e) => FileCheck::Missing {
            name: listed.name,
            error: e.to_string(),
        },
        Ok(found) if found != listed => FileCheck::Changed { listed, found },
        Ok(found) => FileCheck::Matches(found),
    }
}

fn fs_is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Entries of the directory, and of its account pages, that the manifest does not list. The
/// manifest and its signature are expected, and so is the inventory a run read from the same
/// directory when it is the one the manifest names (same SHA-256).
fn unlisted(dir: &Path, manifest: &Manifest) -> Vec<String> {
    let listed: std::collections::HashSet<&str> =
        manifest.files.iter().map(|f| f.name.as_str()).collect();
    let mut names = Vec::new();
    let mut read = |sub: Option<&str>| {
        let Ok(entries) = std::fs::read_dir(sub.map_or(dir.to_path_buf(), |s| dir.join(s))) else {
            return;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            names.push(match sub {
                Some(sub) => format!("{sub}/{file}"),
                None => file,
            });
        }
    };
    read(None);
    if listed.iter().any(|n| n.starts_with("accounts/")) && !fs_is_symlink(&dir.join(ACCOUNTS_DIR))
    {
        read(Some(ACCOUNTS_DIR));
    }
    let the_inventory = |name: &str| {
        name == crate::INVENTORY_FILE
            && digest_file(&dir.join(name), name)
                .is_ok_and(|found| found.sha256 == manifest.inventory.sha256)
    };
    let mut unlisted: Vec<String> = names
        .into_iter()
        .filter(|name| {
            !listed.contains(name.as_str())
                && name != MANIFEST_FILE
                && name != SIGNATURE_FILE
                && !(name == ACCOUNTS_DIR && listed.iter().any(|n| n.starts_with("accounts/")))
                && !the_inventory(name)
        })
        .collect();
    unlisted.sort();
    unlisted
}

fn digest_bytes(name: &str, bytes: &[u8]) -> FileDigest {
    use sha2::{Digest, Sha256};
    FileDigest {
        name: name.to_string(),
        bytes: bytes.len() as u64,
        sha256: crate::report::hex(&Sha256::digest(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_redacted_in_both_spellings() {
        let args = [
            "orgtrail",
            "scan",
            "--external-id",
            "s3cret",
            "--external-id=s3cret",
            "--out",
            "x",
        ];
        let redacted = redact(args.iter().map(|a| a.to_string()));
        assert_eq!(
            redacted,
            [
                "orgtrail",
                "scan",
                "--external-id",
                "<redacted>",
                "--external-id=<redacted>",
                "--out",
                "x"
            ]
        );
    }
}
