//! The small mappings every renderer shares, so a finding reads the same in each format.

use std::borrow::Cow;

use crate::findings::{Control, Evidence, RegionCoverage, Report, Waiver};
use crate::model::{Account, Audit};

/// The rule id the exports carry an account under when it was not audited (closed, suspended
/// or excluded): it has no finding, and every account appears in every report.
pub const NOT_AUDITED_RULE: &str = "orgtrail-account-not-audited";

/// The accounts listed but not audited, each with the reason: they have no finding, so a format
/// of findings carries them in its own way.
pub fn not_audited(report: &Report) -> impl Iterator<Item = (&Account, &str)> {
    report
        .accounts
        .iter()
        .filter_map(|entry| match &entry.audit {
            Audit::Skipped { reason } => Some((&entry.account, reason.as_str())),
            Audit::Audited | Audit::Error { .. } => None,
        })
}

/// "RW" reads and writes, "R" or "W" one of them, "" none: a cell of the coverage matrix.
pub fn coverage_mark(region: &RegionCoverage) -> &'static str {
    match (region.reads, region.writes) {
        (true, true) => "RW",
        (true, false) => "R",
        (false, true) => "W",
        (false, false) => "",
    }
}

/// "reason (approved by who, until when)": a waiver in one line.
pub fn waiver_sentence(waiver: &Waiver) -> String {
    format!(
        "{} (approved by {}, until {})",
        waiver.reason, waiver.approver, waiver.expires
    )
}

/// The evidence summary followed by one "WARNING: ..." line per warning, so a warning on a
/// passing finding is never left out of a format that shows only one text.
pub fn summary_with_warnings(evidence: &Evidence) -> Cow<'_, str> {
    if evidence.warnings.is_empty() {
        return Cow::Borrowed(&evidence.summary);
    }
    let mut text = evidence.summary.clone();
    for warning in &evidence.warnings {
        text.push_str("\nWARNING: ");
        text.push_str(warning);
    }
    Cow::Owned(text)
}

/// "framework id", as the CSV, OCSF and ASFF list a control.
pub fn control_label(control: &Control) -> String {
    format!("{} {}", control.framework, control.id)
}

/// Text that stays text inside GitHub-flavoured Markdown, table cells included.
pub fn escape_markdown(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Where an account's page is, relative to the report's directory: accounts/ID.html, the id
/// kept as it is when it is letters, digits and dashes (AWS account ids are 12 digits), each
/// other byte written as `_` and two hex digits, so no id can name a path outside accounts/.
pub fn account_page(id: &str) -> String {
    let mut name = String::with_capacity(id.len() + 14);
    name.push_str("accounts/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            name.push(byte as char);
        } else {
            name.push_str(&format!("_{byte:02x}"));
        }
    }
    name.push_str(".html");
    name
}

/// The page of `account_id` in the run whose report.html is at `report_href`.
pub fn account_page_beside(report_href: &str, account_id: &str) -> String {
    match report_href.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{}", account_page(account_id)),
        None => account_page(account_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_keeps_table_cells_and_html_inert() {
        assert_eq!(
            escape_markdown("a|b <script>x</script> [l](u)"),
            "a\\|b &lt;script&gt;x&lt;/script&gt; \\[l\\](u)"
        );
        assert_eq!(escape_markdown("two\nlines"), "two lines");
    }

    #[test]
    fn an_account_page_is_named_by_its_id_and_never_leaves_accounts() {
        assert_eq!(account_page("123456789012"), "accounts/123456789012.html");
        assert_eq!(account_page("../x"), "accounts/_2e_2e_2fx.html");
        assert_eq!(account_page("a_b"), "accounts/a_5fb.html");
    }
}
