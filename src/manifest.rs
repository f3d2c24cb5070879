//! The evidence manifest: what a run wrote, with the SHA-256 of every file, so a report filed as
//! evidence can later be shown to be the one orgtrail produced (`orgtrail verify DIR`); signed
//! (`--sign-key`), it also shows who produced it ([`crate::signing`]).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::{digest_file, FileDigest};
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
}

impl Verification {
    /// Every file matches, and the signature verifies when a public key was given.
    pub fn passed(&self) -> bool {
        self.files.iter().all(FileCheck::matches)
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
    let files = manifest
        .files
        .into_iter()
        .map(
            |listed| match digest_file(&dir.join(&listed.name), &listed.name) {
                Err(e) => FileCheck::Missing {
                    name: listed.name,
                    error: e.to_string(),
                },
                Ok(found) if found != listed => FileCheck::Changed { listed, found },
                Ok(found) => FileCheck::Matches(found),
            },
        )
        .collect();
    Ok(Verification {
        manifest: digest_bytes(MANIFEST_FILE, &bytes),
        inventory: manifest.inventory,
        signing_key_id: manifest.signing_key_id,
        signature,
        files,
    })
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
