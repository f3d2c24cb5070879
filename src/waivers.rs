//! Waivers: accepted risks, each approved by someone until a date. A waiver turns the FAIL or
//! ERROR findings it matches into MUTED, with its reason shown wherever the finding is; an expired
//! waiver mutes nothing and is listed as expired; a waiver matching nothing is listed as unused.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::findings::{Report, Status, Waiver, WaiverState, WaiverUse};
use crate::rules::Rule;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    waiver: Vec<WaiverEntry>,
}

/// A waiver as written in TOML, where `expires = 2027-03-31` is a TOML date.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverEntry {
    rule: Spanned<String>,
    accounts: Vec<String>,
    region: Option<String>,
    resource: Option<String>,
    reason: Spanned<String>,
    approver: Spanned<String>,
    expires: Spanned<toml::value::Datetime>,
}

#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    #[error("cannot read the waivers file {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: {message}\nA waiver reads: [[waiver]] rule = \"<rule id>\", accounts = [\"<id or pattern>\"], reason = \"...\", approver = \"...\", expires = 2027-03-31 (region and resource optional)")]
    Malformed { path: String, message: String },
    #[error("{path}:{line}: waiver {index} names rule '{rule}', which is not in the catalogue (see `orgtrail rules`)")]
    UnknownRule {
        path: String,
        line: usize,
        index: usize,
        rule: String,
    },
    #[error("{path}:{line}: waiver {index} has an empty {field}: say why, and who approved it")]
    Empty {
        path: String,
        line: usize,
        index: usize,
        field: &'static str,
    },
}

pub fn load(path: &Path, rules: &[Rule]) -> Result<Vec<Waiver>, WaiverError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| WaiverError::Unreadable {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let file: WaiverFile = toml::from_str(&text).map_err(|e| WaiverError::Malformed {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    // The line a value starts on, 1-based, to point the user at it.
    let line = |span: std::ops::Range<usize>| text[..span.start].matches('\n').count() + 1;
    let mut waivers = Vec::with_capacity(file.waiver.len());
    for (n, entry) in file.waiver.into_iter().enumerate() {
        let index = n + 1;
        let expires = match (entry.expires.get_ref().date, entry.expires.get_ref().time) {
            (Some(date), None) => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            ),
            _ => None,
        }
        .ok_or_else(|| WaiverError::Malformed {
            path: shown.clone(),
            message: format!(
                "line {}: waiver {index}: expires = {} is not a date; write a day, e.g. expires = 2027-03-31",
                line(entry.expires.span()),
                entry.expires.get_ref()
            ),
        })?;
        let rule = entry.rule.get_ref();
        if rule != "*" && !rules.iter().any(|r| r.meta.id == *rule) {
            return Err(WaiverError::UnknownRule {
                path: shown,
                line: line(entry.rule.span()),
                index,
                rule: rule.clone(),
            });
        }
        for (field, value) in [("reason", &entry.reason), ("approver", &entry.approver)] {
            if value.get_ref().trim().is_empty() {
                return Err(WaiverError::Empty {
                    path: shown,
                    line: line(value.span()),
                    index,
                    field,
                });
            }
        }
        waivers.push(Waiver {
            rule: entry.rule.into_inner(),
            accounts: entry.accounts,
            region: entry.region,
            resource: entry.resource,
            reason: entry.reason.into_inner(),
            approver: entry.approver.into_inner(),
            expires,
        });
    }
    Ok(waivers)
}

impl Waiver {
    fn matches(&self, rule: &str, account: &str, region: Option<&str>, resource: &str) -> bool {
        (self.rule == "*" || self.rule == rule)
            && self.accounts.iter().any(|pattern| glob(pattern, account))
            && self.region.as_deref().is_none_or(|r| Some(r) == region)
            && self.resource.as_deref().is_none_or(|r| r == resource)
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(remainder) = text.strip_prefix(prefix) else {
                return false;
            };
            (0..=remainder.len())
                .any(|skip| remainder.is_char_boundary(skip) && glob(rest, &remainder[skip..]))
        }
    }
}

/// Mute what the waivers cover on `today`, and record what each waiver did.
pub fn apply(report: &mut Report, waivers: Vec<Waiver>, today: NaiveDate) {
    let mut uses: Vec<WaiverUse> = waivers
        .into_iter()
        .map(|waiver| WaiverUse {
            state: if waiver.expires < today {
                WaiverState::Expired
            } else {
                WaiverState::Unused
            },
            waiver: Arc::new(waiver),
            muted: 0,
        })
        .collect();
    for finding in report
        .findings
        .iter_mut()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error))
    {
        let active = uses.iter_mut().find(|u| {
            u.state != WaiverState::Expired
                && u.waiver.matches(
                    &finding.rule_id,
                    &finding.account_id,
                    finding.region.as_deref(),
                    &finding.resource,
                )
        });
        if let Some(waiver) = active {
            waiver.state = WaiverState::Active;
            waiver.muted += 1;
            finding.status = Status::Muted;
            finding.waiver = Some(waiver.waiver.clone());
        }
    }
    report.waivers = uses;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_patterns_match_ids() {
        assert!(glob("111122223333", "111122223333"));
        assert!(glob("1111*", "111122223333"));
        assert!(glob("*", "111122223333"));
        assert!(glob("*3333", "111122223333"));
        assert!(!glob("2222*", "111122223333"));
        assert!(!glob("11112222333", "111122223333"));
    }
}
