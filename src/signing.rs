//! Signed evidence: manifest.json signed with a minisign (Ed25519) key the audit team holds.
//!
//! The manifest proves the files of a run match each other; anyone who edits a report can
//! rewrite it too. Its signature proves who wrote it: `manifest.json.minisig` is a standard
//! minisign signature (prehashed, with a trusted comment), so `minisign -V` checks it without
//! orgtrail, and `orgtrail verify --public-key` checks it and then every file's digest.

use std::fmt;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use ct_codecs::{Base64, Decoder};
use minisign::{PublicKey, SecretKey, SignatureBox};

/// The signature's file, next to the manifest it signs (minisign's own naming).
pub const SIGNATURE_FILE: &str = "manifest.json.minisig";

/// The environment variable holding the secret key's password: never a flag, so it stays out
/// of shell history, process listings and the manifest's recorded command line.
pub const PASSWORD_VARIABLE: &str = "ORGTRAIL_SIGN_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("cannot read the key {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a minisign {kind} key ({reason}); make one with `orgtrail keygen` or `minisign -G`", path.display())]
    NotAKey {
        path: PathBuf,
        kind: &'static str,
        reason: String,
    },
    #[error("{} is password-protected: set {PASSWORD_VARIABLE} to its password", path.display())]
    PasswordNeeded { path: PathBuf },
    #[error("wrong password for {} (from {PASSWORD_VARIABLE})", path.display())]
    WrongPassword { path: PathBuf },
    #[error("{} exists; pass --force to replace it", path.display())]
    Exists { path: PathBuf },
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A minisign key id: eight bytes, shown as minisign shows them (`minisign -V`, the public key's
/// comment): the little-endian number in 16 upper-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyId([u8; 8]);

impl KeyId {
    fn of(keynum: &[u8]) -> Self {
        let mut id = [0u8; 8];
        id.copy_from_slice(&keynum[..8]);
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

/// A decrypted secret key, ready to sign.
pub struct SigningKey {
    secret: SecretKey,
    public: PublicKey,
    pub id: KeyId,
}

impl SigningKey {
    /// Read a minisign secret key (`orgtrail keygen`, `minisign -G`, or `minisign -G -W` for one
    /// without a password). `password` is needed only for a password-protected key.
    pub fn load(path: &Path, password: Option<String>) -> Result<Self, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|source| SigningError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_key = |reason: String| SigningError::NotAKey {
            path: path.to_path_buf(),
            kind: "secret",
            reason,
        };
        let encoded = text
            .lines()
            .nth(1)
            .ok_or_else(|| not_a_key("no key line after the comment".into()))?;
        let bytes = Base64::decode_to_vec(encoded.trim(), None)
            .map_err(|e| not_a_key(format!("not base64: {e}")))?;
        let parsed = SecretKey::from_bytes(&bytes).map_err(|e| not_a_key(e.to_string()))?;
        let secret = if parsed.is_encrypted() {
            let password = password.ok_or_else(|| SigningError::PasswordNeeded {
                path: path.to_path_buf(),
            })?;
            SecretKey::from_box(text.into(), Some(password)).map_err(|e| {
                match e.to_string().contains("Wrong password") {
                    true => SigningError::WrongPassword {
                        path: path.to_path_buf(),
                    },
                    false => not_a_key(e.to_string()),
                }
            })?
        } else {
            parsed
        };
        let public = PublicKey::from_secret_key(&secret).map_err(|e| not_a_key(e.to_string()))?;
        Ok(SigningKey {
            id: KeyId::of(secret.keynum()),
            secret,
            public,
        })
    }

    /// Whether the key file is password-protected (so a password must be found before
    /// [`SigningKey::load`]).
    pub fn needs_password(path: &Path) -> bool {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| {
                let encoded = text.lines().nth(1)?.trim().to_string();
                let bytes = Base64::decode_to_vec(&encoded, None).ok()?;
                SecretKey::from_bytes(&bytes).ok()
            })
            .is_some_and(|key| key.is_encrypted())
    }

    /// The `.minisig` file's text for `data`, with `trusted_comment` (one line) signed with it.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<String, SigningError> {
        let untrusted = format!("signature from orgtrail, minisign key {}", self.id);
        let signature = minisign::sign(
            Some(&self.public),
            &self.secret,
            Cursor::new(data),
            Some(trusted_comment),
            Some(&untrusted),
        )
        .map_err(|e| SigningError::Sign(e.to_string()))?;
        let mut text = signature.into_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }
}

/// A new key pair: the public key at `public`, the secret key (encrypted with `password`,
/// readable by its owner only) at `secret`. Existing files are kept unless `force`.
pub fn generate_key_pair(
    public: &Path,
    secret: &Path,
    password: String,
    force: bool,
) -> Result<KeyId, SigningError> {
    for path in [public, secret] {
        if path.exists() && !force {
            return Err(SigningError::Exists {
                path: path.to_path_buf(),
            });
        }
    }
    let mut public_text = Vec::new();
    let mut secret_text = Vec::new();
    let pair = minisign::KeyPair::generate_and_write_encrypted_keypair(
        &mut public_text,
        &mut secret_text,
        Some("orgtrail secret key (minisign, encrypted)"),
        Some(password),
    )
    .map_err(|e| SigningError::Sign(e.to_string()))?;
    write_file(secret, &secret_text, 0o600)?;
    write_file(public, &public_text, 0o644)?;
    Ok(KeyId::of(pair.pk.keynum()))
}

fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), SigningError> {
    let error = |source| SigningError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(error)?;
    #[cfg(unix)]
    {
        // A replaced file (--force) keeps its old mode on open: set it.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(error)?;
    }
    file.write_all(contents).map_err(error)?;
    file.sync_all().map_err(error)
}

/// A public key to check signatures with.
pub struct VerifyingKey {
    key: PublicKey,
    pub id: KeyId,
}

impl VerifyingKey {
    /// A minisign public key file (two lines), or the bare base64 key `minisign -P` takes.
    pub fn load(path: &Path) -> Result<Self, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|source| SigningError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let encoded = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with("untrusted comment:"))
            .unwrap_or_default();
        let key = PublicKey::from_base64(encoded).map_err(|e| SigningError::NotAKey {
            path: path.to_path_buf(),
            kind: "public",
            reason: e.to_string(),
        })?;
        Ok(VerifyingKey {
            id: KeyId::of(key.keynum()),
            key,
        })
    }
}

/// What checking a signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Signed by the key, and the trusted comment with it.
    Valid {
        key_id: String,
        trusted_comment: String,
    },
    /// No signature file next to the manifest.
    Missing,
    /// A signature file that does not verify with this key, and why.
    Invalid { reason: String },
}

/// Check `signature` (a `.minisig` file's text) over `data` with `key`.
pub fn check_signature(key: &VerifyingKey, data: &[u8], signature: &str) -> SignatureCheck {
    let invalid = |reason: String| SignatureCheck::Invalid { reason };
    let signature = match SignatureBox::from_string(signature) {
        Ok(signature) => signature,
        Err(e) => return invalid(format!("not a minisign signature: {e}")),
    };
    let signed_by = KeyId::of(signature.keynum());
    if signed_by != key.id {
        return invalid(format!(
            "signed by key {signed_by}, not by the public key given ({})",
            key.id
        ));
    }
    if let Err(e) = minisign::verify(&key.key, &signature, Cursor::new(data), true, false, false) {
        return invalid(e.to_string());
    }
    SignatureCheck::Valid {
        key_id: key.id.to_string(),
        trusted_comment: signature.trusted_comment().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_pair_signs_and_verifies_and_a_changed_byte_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (public, secret) = (dir.path().join("k.pub"), dir.path().join("k.key"));
        let id = generate_key_pair(&public, &secret, "pw".into(), false).unwrap();
        assert!(SigningKey::needs_password(&secret));
        assert!(matches!(
            SigningKey::load(&secret, None),
            Err(SigningError::PasswordNeeded { .. })
        ));
        assert!(matches!(
            SigningKey::load(&secret, Some("wrong".into())),
            Err(SigningError::WrongPassword { .. })
        ));
        let key = SigningKey::load(&secret, Some("pw".into())).unwrap();
        assert_eq!(key.id, id);
        let public_text = std::fs::read_to_string(&public).unwrap();
        assert!(
            public_text.contains(&format!("minisign public key: {id}")),
            "the key id is shown as minisign shows it: {public_text}"
        );

        let signature = key.sign(b"manifest", "org:o-1 run:now").unwrap();
        let verifying = VerifyingKey::load(&public).unwrap();
        assert_eq!(
            check_signature(&verifying, b"manifest", &signature),
            SignatureCheck::Valid {
                key_id: id.to_string(),
                trusted_comment: "org:o-1 run:now".into()
            }
        );
        assert!(matches!(
            check_signature(&verifying, b"manifesT", &signature),
            SignatureCheck::Invalid { .. }
        ));
        let forged = signature.replace("org:o-1", "org:o-2");
        assert!(matches!(
            check_signature(&verifying, b"manifest", &forged),
            SignatureCheck::Invalid { .. }
        ));
        assert!(matches!(
            generate_key_pair(&public, &secret, "pw".into(), false),
            Err(SigningError::Exists { .. })
        ));
    }
}
