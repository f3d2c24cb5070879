//! accounts.html and each account's page as the embedded `templates/accounts.html.tera` and
//! `templates/account.html.tera` render them, written directly.
//!
//! The 10,000-account report writes 10,000 account pages (160 MB) and an index of 10,000 rows.
//! Through Tera, each page's context is converted to JSON values and every
//! `{{ finding.evidence.summary }}` is looked up by its dotted path: the pages took 2.2 of the 3.8
//! user CPU s of `--format html`, and the index's context 80 MB of its 410 MB peak (perf and GNU
//! time, issue 24). Written here, the whole of `--format html` takes 1.0–1.4 user CPU s and 330 MB
//! (BENCHMARKS.md). A `--templates` directory's own `account.html.tera`, `accounts.html.tera` or
//! `style.html.tera` is rendered through Tera, as before; tests/layout.rs asserts that copies of
//! the embedded templates render accounts.html and every page byte for byte as this module writes
//! them, so a change to one shows there.

use std::io::Write;

use super::present::account_page;
use super::templates::RunHeader;
use super::view::AccountView;

/// What the pages share with the templates, rendered through Tera once: the stylesheet, split
/// where each page's print header goes (`{{ print_header | safe }}`), and accounts.html's script.
pub struct Parts {
    pub style_before_header: String,
    pub style_after_header: String,
    pub index_script: String,
}

/// Write `account`'s page into `out`, as the embedded template renders it.
pub fn write_account(
    out: &mut dyn Write,
    parts: &Parts,
    run: &RunHeader,
    account: &AccountView,
) -> std::io::Result<()> {
    let mut page = Page(Vec::with_capacity(24 * 1024));
    page.account_head(parts, run, account);
    page.findings(account);
    page.coverage(account);
    page.raw("</body>\n</html>\n");
    out.write_all(&page.0)
}

/// Write accounts.html into `out`, as the embedded template renders it: a row per account, in
/// the view's order, written out every 1,000 rows.
pub fn write_index(
    out: &mut dyn Write,
    parts: &Parts,
    run: &RunHeader,
    accounts: &[AccountView],
) -> std::io::Result<()> {
    let mut page = Page(Vec::with_capacity(1 << 20));
    page.index_head(parts, run, accounts.len());
    for (n, account) in accounts.iter().enumerate() {
        page.index_row(account);
        if n % 1000 == 999 {
            out.write_all(&page.0)?;
            page.0.clear();
        }
    }
    page.raw("</tbody>\n</table>\n");
    page.raw(&parts.index_script);
    page.raw("\n</body>\n</html>\n");
    out.write_all(&page.0)
}

struct Page(Vec<u8>);

impl Page {
    fn raw(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    /// Text from AWS or the inventory, escaped as Tera's autoescape does (`tera::escape_html`).
    fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut start = 0;
        for (at, byte) in bytes.iter().enumerate() {
            let escaped = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#x27;",
                b'/' => "&#x2F;",
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[start..at]);
            self.raw(escaped);
            start = at + 1;
        }
        self.0.extend_from_slice(&bytes[start..]);
    }

    fn number(&mut self, n: usize) {
        let _ = write!(self.0, "{n}");
    }

    fn title_date(&mut self, run: &RunHeader) {
        // The template's `truncate(length=10, end="")`: the first ten characters of an ASCII date.
        let day: String = run.collected_at.chars().take(10).collect();
        self.text(&day);
    }

    /// The stylesheet with `print_header` in its place (unescaped: `| safe` in the template).
    fn style(&mut self, parts: &Parts, run: &RunHeader, account_id: Option<&str>) {
        self.raw(&parts.style_before_header);
        self.raw(run.print_header);
        if let Some(id) = account_id {
            self.raw(" · account ");
            self.raw(id);
        }
        self.raw(&parts.style_after_header);
    }

    fn account_head(&mut self, parts: &Parts, run: &RunHeader, account: &AccountView) {
        self.raw("\n<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>");
        self.text(account.name);
        self.raw(" ");
        self.text(account.id);
        self.raw(" — ");
        self.text(run.title);
        self.raw(" — ");
        self.title_date(run);
        self.raw("</title>\n");
        self.style(parts, run, Some(account.id));
        self.raw("\n</head>\n<body>\n<nav class=\"back noprint\"><a href=\"../report.html\">← the summary</a> · <a href=\"../accounts.html\">every account</a></nav>\n<h1>");
        self.text(account.name);
        self.raw(" <small>");
        self.text(account.id);
        self.raw("</small> — <span class=\"badge ");
        let state = account.state.as_str();
        self.text(state);
        self.raw("\">");
        self.text(state);
        self.raw("</span></h1>\n<p class=\"meta\">\n<span>OU <b>");
        self.text(account.ou);
        self.raw("</b></span><span>");
        self.text(account.email);
        self.raw("</span><span>Organizations status: ");
        self.text(account.status);
        self.raw("</span><br>\n<span>");
        self.text(run.title);
        self.raw("</span><span>Collected ");
        self.text(run.collected_at);
        self.raw("</span><span>Report generated ");
        self.text(run.generated_at);
        self.raw("</span><span>orgtrail ");
        self.text(run.report.tool_version);
        self.raw("</span>\n");
        if let Some(seal) = run.report.seal {
            self.raw("<br><span class=\"seal\">Evidence: inventory SHA-256 <code>");
            self.text(&seal.inventory_sha256);
            self.raw("</code>; this page is listed with its SHA-256 in manifest.json");
            // Tera's `{% if %}` holds an empty string false.
            if let Some(key) = seal.signing_key_id.as_deref().filter(|k| !k.is_empty()) {
                self.raw(", signed with minisign key <b>");
                self.text(key);
                self.raw("</b>");
            }
            self.raw(" (<code>orgtrail verify</code> checks it)</span>");
        }
        self.raw("\n</p>\n");
        if state == "audited" {
            self.raw("<div class=\"cards\">\n<div class=\"card\"><b>");
            self.number(account.passed);
            self.raw("</b><small>passed</small></div>\n<div class=\"card\"><b>");
            self.number(account.failed);
            self.raw("</b><small>failed</small></div>\n<div class=\"card\"><b>");
            self.number(account.errored);
            self.raw("</b><small>could not be judged</small></div>\n");
            if account.muted > 0 {
                self.raw("<div class=\"card\"><b>");
                self.number(account.muted);
                self.raw("</b><small>muted by waivers</small></div>");
            }
            self.raw("\n</div>");
        } else if let Some(detail) = account.detail.filter(|d| !d.is_empty()) {
            self.raw("<p class=\"alert warn\"><b>Not audited:</b> ");
            self.text(detail);
            self.raw("</p>");
        }
        self.raw("\n\n<h2>Findings</h2>\n");
    }

    fn index_head(&mut self, parts: &Parts, run: &RunHeader, count: usize) {
        self.raw("\n<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>Every account — ");
        self.text(run.title);
        self.raw(" — ");
        self.title_date(run);
        self.raw("</title>\n");
        self.style(parts, run, None);
        self.raw("\n</head>\n<body>\n<nav class=\"back noprint\"><a href=\"report.html\">← the summary</a></nav>\n<h1>Every account</h1>\n<p class=\"meta\"><span>");
        self.text(run.title);
        self.raw("</span><span>Collected ");
        self.text(run.collected_at);
        self.raw("</span><span>");
        self.number(count);
        self.raw(" accounts, those that could not be audited first, then the most failures</span></p>\n<div class=\"toolbar\">\n<input id=\"filter\" type=\"search\" size=\"36\" placeholder=\"Filter by account id, name or OU\" aria-label=\"Filter accounts\">\n<select id=\"state\" aria-label=\"Show accounts\">\n<option value=\"\">All accounts</option><option value=\"failing\">With failures</option><option value=\"error\">Could not be audited</option><option value=\"not-audited\">Not audited, for any reason</option><option value=\"gap\">With a region coverage gap</option>\n</select>\n<span id=\"shown\" class=\"meta\"></span> <a id=\"every\" href=\"#\" class=\"hidden\">show every account</a>\n</div>\n<table id=\"accounts\">\n<thead><tr><th>Account</th><th>OU</th><th>State</th><th class=\"num\">Pass</th><th class=\"num\">Fail</th><th class=\"num\">Error</th><th>Failing rules</th></tr></thead>\n<tbody>\n");
    }

    fn index_row(&mut self, account: &AccountView) {
        let state = account.state.as_str();
        self.raw("<tr data-search=\"");
        self.text(account.id);
        self.raw(" ");
        self.text(&account.name.to_lowercase());
        self.raw(" ");
        self.text(&account.ou.to_lowercase());
        self.raw("\" data-ou=\"");
        self.text(account.ou);
        self.raw("\" data-state=\"");
        self.text(state);
        if state != "audited" {
            self.raw(" not-audited");
        }
        if account.failed > 0 {
            self.raw(" failing");
        }
        if account.coverage_gap {
            self.raw(" gap");
        }
        self.raw("\" data-fail=\" ");
        for rule in &account.failing_rules {
            self.text(rule.id);
            self.raw(" ");
            self.text(rule.short);
            self.raw(" ");
        }
        self.raw("\"><td><a href=\"");
        self.raw(&account_page(account.id));
        self.raw("\"><b>");
        self.text(account.name);
        self.raw("</b> ");
        self.text(account.id);
        self.raw("</a></td><td>");
        self.text(account.ou);
        self.raw("</td><td><span class=\"badge ");
        self.text(state);
        self.raw("\">");
        self.text(state);
        self.raw("</span>");
        if let Some(detail) = account.detail.filter(|d| !d.is_empty()) {
            self.raw(" <small>");
            self.text(detail);
            self.raw("</small>");
        }
        self.raw("</td><td class=\"num\">");
        self.number(account.passed);
        self.raw("</td><td class=\"num\">");
        self.number(account.failed);
        self.raw("</td><td class=\"num\">");
        self.number(account.errored);
        self.raw("</td><td>");
        for (n, rule) in account.failing_rules.iter().enumerate() {
            if n > 0 {
                self.raw(", ");
            }
            self.text(rule.short);
        }
        self.raw("</td></tr>\n");
    }

    fn findings(&mut self, account: &AccountView) {
        if account.state.as_str() == "error" && !account.findings.is_empty() {
            self.raw("\n<div class=\"finding\"><div class=\"warn\">Every rule (");
            self.number(account.findings.len());
            self.raw(") is ERROR for this account: it could not be audited.</div>\n<pre>");
            self.text(account.findings[0].remediation);
            self.raw("</pre></div>\n");
        } else if account.findings.is_empty() {
            self.raw("<p>No findings: the account was not audited.</p>");
        } else {
            for finding in &account.findings {
                self.raw(
                    "\n<div class=\"finding\">\n<div class=\"finding-head\"><span class=\"badge ",
                );
                self.text(finding.status);
                self.raw("\">");
                self.text(finding.status);
                self.raw("</span> <b>");
                self.text(finding.title);
                self.raw("</b> <small>");
                self.text(finding.severity);
                self.raw(" · ");
                self.text(finding.rule_id);
                self.raw("</small></div>\n<div class=\"evidence\">");
                let evidence = finding.evidence;
                self.text(&evidence.summary);
                self.raw("\n");
                if !evidence.trails.is_empty() {
                    self.raw("<ul>");
                    for trail in &evidence.trails {
                        let class = if trail.meets_rule {
                            "meets"
                        } else if trail.unread.as_deref().is_some_and(|u| !u.is_empty()) {
                            "unread"
                        } else {
                            "misses"
                        };
                        self.raw("<li class=\"");
                        self.raw(class);
                        self.raw("\">");
                        self.text(&trail.name);
                        self.raw(" (");
                        self.text(&trail.home_region);
                        self.raw("): ");
                        self.text(&trail.detail);
                        self.raw("</li>");
                    }
                    self.raw("</ul>");
                }
                self.raw("\n");
                for warning in &evidence.warnings {
                    self.raw("<div class=\"warn\">⚠ ");
                    self.text(warning);
                    self.raw("</div>");
                }
                self.raw("\n");
                if let Some(waiver) = finding.waiver {
                    self.raw("<div class=\"waived\">Muted by waiver: ");
                    self.text(&waiver.reason);
                    self.raw(" (approved by ");
                    self.text(&waiver.approver);
                    self.raw(", until ");
                    self.text(&waiver.expires.to_string());
                    self.raw(")</div>");
                }
                self.raw("</div>\n");
                if finding.status != "PASS" {
                    self.raw("<pre>");
                    self.text(finding.remediation);
                    self.raw("</pre>");
                }
                self.raw("\n</div>\n");
            }
        }
        self.raw("\n\n");
    }

    fn coverage(&mut self, account: &AccountView) {
        let Some(cells) = account.coverage.as_ref().filter(|c| !c.is_empty()) else {
            self.raw("\n");
            return;
        };
        self.raw("<h2>Region coverage</h2>\n<p class=\"meta\">Management reads and writes recorded, region by region, and the logging trails that record them.</p>\n<table class=\"coverage\">\n<thead><tr><th>Region</th><th>Recorded</th><th>Trails</th></tr></thead>\n<tbody>\n");
        for cell in cells {
            self.raw("<tr><td>");
            self.text(cell.region);
            self.raw("</td><td class=\"");
            if cell.mark != "RW" {
                self.raw("gap");
            }
            self.raw("\">");
            self.text(cell.recorded);
            self.raw("</td><td>");
            self.text(&cell.trails);
            self.raw("</td></tr>\n");
        }
        self.raw("</tbody>\n</table>\n");
    }
}
