//! findings.junit.xml: the findings as a JUnit XML test report, for CI dashboards (GitLab,
//! Jenkins, Azure Pipelines). A test suite per rule and a test case per account: `<failure>` for
//! FAIL with the evidence, `<error>` for ERROR with the reason, `<skipped>` for MUTED with the
//! waiver. Accounts that were not audited get one skipped case each in a last suite, so the
//! counts are the CSV's: tests = rows, failures = FAIL, errors = ERROR, skipped = MUTED +
//! NOT_AUDITED.

use std::collections::HashMap;

use super::output::{Out, Output, RenderError};
use super::present::{control_label, waiver_sentence};
use crate::findings::{Finding, Report, Status};
use crate::model::Audit;

/// The suite of accounts that were not audited (closed, suspended, excluded).
const NOT_AUDITED_SUITE: &str = "accounts-not-audited";

pub struct Junit;

impl Output for Junit {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        let suites = suites(report);
        let not_audited: Vec<(&str, &str, &str)> = report
            .accounts
            .iter()
            .filter_map(|entry| match &entry.audit {
                Audit::Skipped { reason } => Some((
                    entry.account.id.as_str(),
                    entry.account.name.as_str(),
                    reason.as_str(),
                )),
                _ => None,
            })
            .collect();
        let names: HashMap<&str, &str> = report
            .accounts
            .iter()
            .map(|entry| (entry.account.id.as_str(), entry.account.name.as_str()))
            .collect();
        let timestamp = report.collected_at.format("%Y-%m-%dT%H:%M:%S").to_string();

        let mut total = Counts::default();
        for (_, findings) in &suites {
            total.add(&Counts::of(findings));
        }
        total.tests += not_audited.len();
        total.skipped += not_audited.len();

        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="{}" {} time="0" timestamp="{timestamp}">"#,
            attribute(&format!(
                "orgtrail {}",
                report.organization.id.as_deref().unwrap_or("accounts")
            )),
            total.attributes()
        )?;
        for (rule_id, findings) in &suites {
            let first = findings[0];
            writeln!(
                out,
                r#"  <testsuite name="{}" {} time="0" timestamp="{timestamp}">"#,
                attribute(rule_id),
                Counts::of(findings).attributes()
            )?;
            writeln!(out, "    <properties>")?;
            property(out, "title", &first.title)?;
            property(out, "severity", first.severity.as_str())?;
            let controls: Vec<String> = first.controls.iter().map(control_label).collect();
            property(out, "controls", &controls.join("; "))?;
            writeln!(out, "    </properties>")?;
            for finding in findings {
                let name = names
                    .get(finding.account_id.as_str())
                    .copied()
                    .unwrap_or(&finding.account_name);
                case(out, finding, name)?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        if !not_audited.is_empty() {
            let counts = Counts {
                tests: not_audited.len(),
                skipped: not_audited.len(),
                ..Counts::default()
            };
            writeln!(
                out,
                r#"  <testsuite name="{NOT_AUDITED_SUITE}" {} time="0" timestamp="{timestamp}">"#,
                counts.attributes()
            )?;
            for (id, name, reason) in not_audited {
                writeln!(
                    out,
                    r#"    <testcase name="{}" classname="{NOT_AUDITED_SUITE}" time="0">"#,
                    attribute(&format!("{id} {name}"))
                )?;
                writeln!(
                    out,
                    r#"      <skipped message="{}"/>"#,
                    attribute(&format!("not audited: {reason}"))
                )?;
                writeln!(out, "    </testcase>")?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")?;
        Ok(())
    }
}

/// The findings grouped by rule, rules in the order they first appear (the catalogue's).
fn suites(report: &Report) -> Vec<(&str, Vec<&Finding>)> {
    let mut suites: Vec<(&str, Vec<&Finding>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for finding in &report.findings {
        let position = *index.entry(&*finding.rule_id).or_insert_with(|| {
            suites.push((&*finding.rule_id, Vec::new()));
            suites.len() - 1
        });
        suites[position].1.push(finding);
    }
    suites
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn of(findings: &[&Finding]) -> Self {
        let mut counts = Counts::default();
        for finding in findings {
            counts.tests += 1;
            match finding.status {
                Status::Pass => {}
                Status::Fail => counts.failures += 1,
                Status::Error => counts.errors += 1,
                Status::Muted => counts.skipped += 1,
            }
        }
        counts
    }

    fn add(&mut self, other: &Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }

    fn attributes(&self) -> String {
        format!(
            r#"tests="{}" failures="{}" errors="{}" skipped="{}""#,
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

fn property(out: &mut Out, name: &str, value: &str) -> std::io::Result<()> {
    writeln!(
        out,
        r#"      <property name="{name}" value="{}"/>"#,
        attribute(value)
    )
}

fn case(out: &mut Out, finding: &Finding, account_name: &str) -> std::io::Result<()> {
    let name = match &finding.region {
        Some(region) => format!("{} {account_name} {region}", finding.account_id),
        None => format!("{} {account_name}", finding.account_id),
    };
    write!(
        out,
        r#"    <testcase name="{}" classname="{}" time="0""#,
        attribute(&name),
        attribute(&finding.rule_id)
    )?;
    let summary = &finding.evidence.summary;
    match finding.status {
        Status::Pass => return writeln!(out, "/>"),
        Status::Fail => writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>",
            attribute(summary),
            finding.severity.as_str(),
            text(&evidence(finding, true))
        )?,
        Status::Error => writeln!(
            out,
            ">\n      <error message=\"{}\" type=\"ERROR\">{}</error>",
            attribute(summary),
            text(&evidence(finding, false))
        )?,
        Status::Muted => {
            let waiver = finding
                .waiver
                .as_deref()
                .map(waiver_sentence)
                .unwrap_or_else(|| "a waiver".to_string());
            writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>",
                attribute(&format!("muted by waiver: {waiver}; {summary}"))
            )?
        }
    }
    writeln!(out, "    </testcase>")
}

/// What decided the finding, as a failure's or error's body.
fn evidence(finding: &Finding, with_remediation: bool) -> String {
    let mut body = finding.evidence.summary.clone();
    for trail in &finding.evidence.trails {
        body.push_str(&format!(
            "\n- {} ({}): {}{}",
            trail.arn,
            trail.home_region,
            if trail.meets_rule {
                "meets the rule"
            } else {
                "does not meet the rule"
            },
            if trail.detail.is_empty() {
                String::new()
            } else {
                format!("; {}", trail.detail)
            }
        ));
    }
    for warning in &finding.evidence.warnings {
        body.push_str("\nWarning: ");
        body.push_str(warning);
    }
    if with_remediation && !finding.remediation.is_empty() {
        body.push_str("\nRemediation:\n");
        body.push_str(&finding.remediation);
    }
    body
}

/// Escaped for an attribute value; line breaks kept as character references.
fn attribute(value: &str) -> String {
    escape(value, true)
}

/// Escaped for element content.
fn text(value: &str) -> String {
    escape(value, false)
}

/// XML 1.0 allows no control character but tab, line feed and carriage return, not even as a
/// reference: anything else (from a hostile or corrupted name) becomes U+FFFD.
fn escape(value: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_cannot_break_the_xml() {
        assert_eq!(
            attribute("a<b>&\"c\"\n'd'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&#10;&apos;d&apos;"
        );
        assert_eq!(text("x\u{0}y\u{1b}z\tw\n"), "x\u{FFFD}y\u{FFFD}z\tw\n");
        assert_eq!(text("</failure>"), "&lt;/failure&gt;");
    }
}
