//! Signed evidence at the edge: the signing key read (and its password asked for) before any long
//! work, `orgtrail verify` as an auditor runs it, and `orgtrail keygen`.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use crate::cli::{KeygenArgs, VerifyArgs};
use crate::failure::{exit, Failure};
use orgtrail::manifest::{self, MANIFEST_FILE};
use orgtrail::signing::{self, SignatureCheck, SigningKey, VerifyingKey, PASSWORD_VARIABLE};

/// The secret key's password: from ORGTRAIL_SIGN_PASSWORD, else asked for when a terminal is
/// there to ask on; `None` when neither.
fn sign_password(prompt: &str) -> Result<Option<String>> {
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE) {
        return Ok(Some(password));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let password = rpassword::prompt_password(prompt).context("reading the password")?;
    Ok(Some(password))
}

/// The signing key, decrypted before any long work so a wrong password fails fast.
pub fn load_signer(path: &Path) -> Result<SigningKey, Failure> {
    let password = if SigningKey::needs_password(path) {
        sign_password(&format!("password for {}: ", path.display()))?
    } else {
        None
    };
    SigningKey::load(path, password).map_err(|e| Failure::Usage(anyhow!(e)))
}

pub fn verify(args: VerifyArgs) -> Result<u8, Failure> {
    let key = match &args.public_key {
        Some(path) => Some(VerifyingKey::load(path).map_err(|e| Failure::Usage(anyhow!(e)))?),
        None => None,
    };
    let found =
        manifest::verify(&args.dir, key.as_ref()).map_err(|e| Failure::Usage(anyhow!(e)))?;
    println!("{MANIFEST_FILE}: sha256 {}", found.manifest.sha256);
    println!(
        "inventory {}: sha256 {} (the digest the reports show)",
        found.inventory.name, found.inventory.sha256
    );
    let signature_failed = match &found.signature {
        Some(SignatureCheck::Valid {
            key_id,
            trusted_comment,
        }) => {
            println!("signature: valid, minisign key {key_id}; trusted comment: {trusted_comment}");
            None
        }
        Some(SignatureCheck::Missing) => {
            println!("signature: MISSING (no {})", signing::SIGNATURE_FILE);
            Some(format!("{} is missing", signing::SIGNATURE_FILE))
        }
        Some(SignatureCheck::Invalid { reason }) => {
            println!("signature: FAILED ({reason})");
            Some(format!(
                "{MANIFEST_FILE} does not verify against {}: {reason}",
                signing::SIGNATURE_FILE
            ))
        }
        None => {
            match &found.signing_key_id {
                Some(id) => println!(
                    "signature: not checked (signed with minisign key {id}; pass --public-key to check it)"
                ),
                None => println!("signature: none (the run was not signed)"),
            }
            None
        }
    };
    let changed: Vec<_> = found.files.iter().filter(|c| !c.matches()).collect();
    if changed.is_empty() && found.unlisted.is_empty() && signature_failed.is_none() {
        for check in &found.files {
            println!("{check}");
        }
        println!(
            "verified: {} files match {MANIFEST_FILE}{}",
            found.files.len(),
            match &found.signature {
                Some(SignatureCheck::Valid { key_id, .. }) => format!(", signed by key {key_id}"),
                _ => String::new(),
            }
        );
        return Ok(0);
    }
    for problem in &changed {
        println!("{problem}");
    }
    for name in &found.unlisted {
        println!("{name}: not listed in {MANIFEST_FILE} (added after the run?)");
    }
    let mut reasons = Vec::new();
    reasons.extend(signature_failed);
    if !changed.is_empty() {
        reasons.push(format!(
            "{} file(s) do not match {MANIFEST_FILE}: {}",
            changed.len(),
            changed
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !found.unlisted.is_empty() {
        reasons.push(format!(
            "{} file(s) in the directory are not listed in {MANIFEST_FILE}: {}",
            found.unlisted.len(),
            found.unlisted.join(", ")
        ));
    }
    eprintln!(
        "error: {} failed verification: {}",
        args.dir.display(),
        reasons.join("; ")
    );
    Ok(exit::FAILED)
}

pub fn keygen(args: KeygenArgs) -> Result<u8, Failure> {
    let password = match std::env::var(PASSWORD_VARIABLE) {
        Ok(password) => password,
        Err(_) if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("password for the new secret key: ")
                .context("reading the password")?;
            let again = rpassword::prompt_password("the same password again: ")
                .context("reading the password")?;
            if first != again {
                return Err(Failure::Usage(anyhow!("the two passwords differ")));
            }
            first
        }
        Err(_) => {
            return Err(Failure::Usage(anyhow!(
                "set {PASSWORD_VARIABLE} to the password that will protect the secret key"
            )))
        }
    };
    if password.is_empty() {
        return Err(Failure::Usage(anyhow!(
            "an empty password would leave the secret key unprotected; choose one"
        )));
    }
    let id = signing::generate_key_pair(&args.public_key, &args.secret_key, password, args.force)
        .map_err(|e| match e {
        signing::SigningError::Exists { .. } => Failure::Usage(anyhow!(e)),
        e => Failure::Run(anyhow!(e)),
    })?;
    println!(
        "wrote minisign key {id}: public key {} (give it to whoever verifies the evidence), \
         secret key {} (keep it, and its password, with the audit team)",
        args.public_key.display(),
        args.secret_key.display()
    );
    Ok(0)
}
