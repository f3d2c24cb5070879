//! Markdown that is not a template: the catalogue table (`orgtrail rules --format md`,
//! docs/rules.md) and `orgtrail diff`.

use super::present::escape_markdown;
use crate::findings::{ReportDiff, Status};
use crate::rules::{framework_name, RuleMeta};

/// The catalogue as a Markdown table, one row per rule, controls grouped by framework.
pub fn catalogue_markdown(rules: &[&RuleMeta]) -> String {
    let escape = escape_markdown;
    let mut out =
        String::from("| Rule | Title | Severity | Controls |\n| --- | --- | --- | --- |\n");
    for rule in rules {
        let mut frameworks: Vec<(String, Vec<&str>)> = Vec::new();
        for control in rule.controls.iter() {
            match frameworks.iter_mut().find(|(f, _)| *f == control.framework) {
                Some((_, ids)) => ids.push(&control.id),
                None => frameworks.push((control.framework.clone(), vec![&control.id])),
            }
        }
        let controls: Vec<String> = frameworks
            .iter()
            .map(|(framework, ids)| {
                format!(
                    "{}: {}",
                    escape(framework_name(framework)),
                    escape(&ids.join(", "))
                )
            })
            .collect();
        let controls = if controls.is_empty() {
            "none (informational)".to_string()
        } else {
            controls.join("<br>")
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            escape(&rule.id),
            escape(&rule.title),
            rule.severity.as_str(),
            controls
        ));
    }
    out.push_str(
        "\n## How each rule reads its sources\n\n\
         Every rule judges the trails that cover an audited region (and a single-region trail \
         homed in us-east-1, which receives the account's global service events). When a call \
         about one trail fails, what the other trails prove still stands: a rule whose answer \
         depends on the trail that could not be read is ERROR, naming the trail and the call, \
         never a PASS or FAIL built on what was not read. Times (\"within 24 hours\") are judged \
         against the time each account was collected.\n",
    );
    for rule in rules {
        out.push_str(&format!(
            "\n### {}\n\n{}\n",
            escape(&rule.id),
            escape(&rule.rationale)
        ));
    }
    out
}

/// `orgtrail diff` as GitHub-flavoured Markdown.
pub fn diff_markdown(changes: &ReportDiff) -> String {
    let escape = escape_markdown;
    let mut out = format!(
        "# Changes since the run collected {}\n\n{} new failures, {} fixed, {} still failing; {} new accounts, {} removed.\n",
        changes.baseline_collected_at.format("%Y-%m-%d %H:%M UTC"),
        changes.new_failures.len(),
        changes.fixed.len(),
        changes.still_failing,
        changes.new_accounts.len(),
        changes.removed_accounts.len()
    );
    for (heading, list) in [
        ("New failures", &changes.new_failures),
        ("Fixed", &changes.fixed),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {heading}\n\n| Account | Rule | Before | Now |\n| --- | --- | --- | --- |\n"
        ));
        for change in list {
            let status = |s: Option<Status>| s.map(|s| s.as_str()).unwrap_or("(none)");
            out.push_str(&format!(
                "| {} ({}) | {} | {} | {} |\n",
                escape(&change.account_name),
                change.account_id,
                escape(&change.title),
                status(change.before),
                status(change.after)
            ));
        }
    }
    for (heading, list) in [
        ("New accounts", &changes.new_accounts),
        ("Removed accounts", &changes.removed_accounts),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("\n## {heading}\n\n"));
            for account in list {
                out.push_str(&format!("- {} ({})\n", escape(&account.name), account.id));
            }
        }
    }
    out
}
