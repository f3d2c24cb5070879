//! The evidence manifest: what a run wrote, with the SHA-256 of every file, so a report filed as
//! evidence can later be shown to be the one orgtrail produced (`orgtrail verify DIR`).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::{digest_file, FileDigest};

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

/// Each file the manifest lists, checked against the directory.
pub fn verify(dir: &Path) -> Result<Vec<FileCheck>, VerifyError> {
    let path = dir.join(MANIFEST_FILE);
    let unreadable = |message: String| VerifyError::Unreadable {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    if manifest.schema != MANIFEST_SCHEMA {
        return Err(unreadable(format!(
            "schema '{}' is not {MANIFEST_SCHEMA}",
            manifest.schema
        )));
    }
    Ok(manifest
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
        .collect())
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
