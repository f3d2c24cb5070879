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
}
