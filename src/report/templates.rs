//! Tera templates under `templates/`, embedded in the binary.
//!
//! Tera only autoescapes templates whose *name* ends in `.html`, so a template called
//! `report.html.tera` would be rendered raw; the suffixes are registered explicitly, and the
//! Markdown template gets an escaper of its own, so nothing that came from AWS (account names are
//! user-controlled) reaches a report unescaped.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use tera::{Context, Tera};

use super::direct;
use super::present::escape_markdown;
use super::view::{account_page, AccountView, PageView, ReportView};

const PAGE: &str = "report.html.tera";
const ACCOUNT: &str = "account.html.tera";
const INDEX: &str = "accounts.html.tera";
const MARKDOWN: &str = "report.md.tera";
const TREND: &str = "trend.html.tera";
const STYLE: &str = "style.html.tera";
const INDEX_SCRIPT: &str = "accounts-script.html.tera";
/// Every embedded template. The HTML pages' Tera holds each `.html.tera` but the trend's, so a
/// partial added here (a section of the summary, `{% include "name.html.tera" %}`) needs no
/// other change.
const EMBEDDED: [(&str, &str); 8] = [
    (PAGE, include_str!("../../templates/report.html.tera")),
    (ACCOUNT, include_str!("../../templates/account.html.tera")),
    (INDEX, include_str!("../../templates/accounts.html.tera")),
    (STYLE, include_str!("../../templates/style.html.tera")),
    (
        INDEX_SCRIPT,
        include_str!("../../templates/accounts-script.html.tera"),
    ),
    (MARKDOWN, include_str!("../../templates/report.md.tera")),
    (TREND, include_str!("../../templates/trend.html.tera")),
    (
        "period.html.tera",
        include_str!("../../templates/period.html.tera"),
    ),
];

/// Where a template's text came from, to name it in an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Embedded(&'static str),
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded(name) => write!(f, "embedded {name}"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("--templates {}: not a directory; name a directory holding any of {}", .0.display(), EMBEDDED.map(|(name, _)| name).join(", "))]
    NotADirectory(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A template that does not parse, or fails while rendering (an unknown variable).
    #[error("{origin}: {}", chain(source))]
    Template { origin: Origin, source: tera::Error },
    #[error("{}", chain(.0))]
    Context(tera::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The report templates: the embedded ones, each replaced by a file of the same name in a
/// user's directory (`--templates DIR`) when there is one.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: Vec<(&'static str, Cow<'static, str>, Origin)>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            sources: EMBEDDED
                .iter()
                .map(|(name, text)| (*name, Cow::Borrowed(*text), Origin::Embedded(name)))
                .collect(),
        }
    }
}

impl Templates {
    /// The embedded templates with `dir`'s files of the same names in their place, each parsed
    /// now so a broken one is reported before any work, by file and line.
    pub fn with_overrides(dir: &Path) -> Result<Self, TemplateError> {
        if !dir.is_dir() {
            return Err(TemplateError::NotADirectory(dir.to_path_buf()));
        }
        let mut templates = Templates::default();
        for (name, text, origin) in &mut templates.sources {
            let path = dir.join(*name);
            if path.is_file() {
                *text = Cow::Owned(std::fs::read_to_string(&path).map_err(|source| {
                    TemplateError::Unreadable {
                        path: path.clone(),
                        source,
                    }
                })?);
                *origin = Origin::File(path);
            }
        }
        templates.html()?;
        templates.markdown()?;
        templates.trend()?;
        Ok(templates)
    }

    /// The files that replaced embedded templates.
    pub fn overridden(&self) -> Vec<&Path> {
        self.sources
            .iter()
            .filter_map(|(_, _, origin)| match origin {
                Origin::File(path) => Some(path.as_path()),
                Origin::Embedded(_) => None,
            })
            .collect()
    }

    fn tera(&self, names: &[&str]) -> Result<Tera, TemplateError> {
        let mut tera = Tera::default();
        for (name, text, origin) in self.sources.iter().filter(|(n, _, _)| names.contains(n)) {
            tera.add_raw_template(name, text)
                .map_err(|source| TemplateError::Template {
                    origin: origin.clone(),
                    source,
                })?;
        }
        Ok(tera)
    }

    fn origin(&self, name: &'static str) -> Origin {
        self.sources
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, origin)| origin.clone())
            .unwrap_or(Origin::Embedded(name))
    }

    fn failed(&self, name: &'static str) -> impl Fn(tera::Error) -> TemplateError + '_ {
        move |source| TemplateError::Template {
            origin: self.origin(name),
            source,
        }
    }

    fn html(&self) -> Result<Tera, TemplateError> {
        let pages: Vec<&str> = EMBEDDED
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| name.ends_with(".html.tera") && *name != TREND)
            .collect();
        let mut tera = self.tera(&pages)?;
        tera.autoescape_on(vec![".html.tera"]);
        tera.register_filter("page", page_filter);
        tera.register_filter("fragment", fragment_filter);
        Ok(tera)
    }

    /// The HTML pages' templates, parsed once for the summary, accounts.html and every
    /// account's page.
    pub fn html_pages(&self) -> Result<HtmlPages<'_>, TemplateError> {
        let tera = self.html()?;
        let embedded = |name| matches!(self.origin(name), Origin::Embedded(_));
        let direct = if embedded(STYLE) {
            let header = "\u{0}print_header\u{0}";
            let mut context = Context::new();
            context.insert("print_header", header);
            let style = tera.render(STYLE, &context).map_err(self.failed(STYLE))?;
            let script = tera
                .render(INDEX_SCRIPT, &Context::new())
                .map_err(self.failed(INDEX_SCRIPT))?;
            style
                .split_once(header)
                .map(|(before, after)| direct::Parts {
                    style_before_header: before.to_string(),
                    style_after_header: after.to_string(),
                    index_script: script,
                })
        } else {
            None
        };
        Ok(HtmlPages {
            direct_account: direct.is_some() && embedded(ACCOUNT),
            direct_index: direct.is_some() && embedded(INDEX),
            direct,
            tera,
            templates: self,
        })
    }

    fn trend(&self) -> Result<Tera, TemplateError> {
        let mut tera = self.tera(&[TREND])?;
        tera.autoescape_on(vec![".html.tera"]);
        Ok(tera)
    }

    fn markdown(&self) -> Result<Tera, TemplateError> {
        let mut tera = self.tera(&[MARKDOWN])?;
        tera.autoescape_on(vec![".md.tera"]);
        tera.set_escape_fn(escape_markdown);
        Ok(tera)
    }

    pub fn render_markdown(
        &self,
        view: &ReportView,
        out: &mut dyn Write,
    ) -> Result<(), TemplateError> {
        let tera = self.markdown()?;
        let context = Context::from_serialize(&view.page).map_err(TemplateError::Context)?;
        tera.render_to(MARKDOWN, &context, out)
            .map_err(self.failed(MARKDOWN))
    }

    /// trend.html from the trend's view (report/trend.rs), which imports this module: taken as
    /// any serialisable value so this module does not import it back.
    pub fn render_trend(
        &self,
        view: &impl serde::Serialize,
        out: &mut dyn Write,
    ) -> Result<(), TemplateError> {
        let tera = self.trend()?;
        let context = Context::from_serialize(view).map_err(TemplateError::Context)?;
        tera.render_to(TREND, &context, out)
            .map_err(self.failed(TREND))
    }
}

/// The HTML pages, their templates parsed once: report.html (the summary), accounts.html
/// (every account, one row each) and each account's page.
pub struct HtmlPages<'t> {
    tera: Tera,
    templates: &'t Templates,
    /// What the pages written directly (report/direct.rs) share with the templates; `None` when
    /// the stylesheet is a user's own.
    direct: Option<direct::Parts>,
    /// Whether account pages, and accounts.html, are the embedded templates' and so written
    /// directly.
    direct_account: bool,
    direct_index: bool,
}

/// What an account's page and accounts.html show of the run, beside the accounts.
#[derive(serde::Serialize)]
pub struct RunHeader<'a> {
    pub title: &'a str,
    pub print_header: &'a str,
    pub collected_at: &'a str,
    pub generated_at: &'a str,
    pub report: &'a super::view::ReportHeader<'a>,
    pub regions: &'a [String],
}

impl<'a> RunHeader<'a> {
    pub fn of(page: &'a PageView<'a>) -> Self {
        RunHeader {
            title: &page.title,
            print_header: &page.print_header,
            collected_at: &page.collected_at,
            generated_at: &page.generated_at,
            report: &page.report,
            regions: page.report.regions,
        }
    }
}

impl HtmlPages<'_> {
    /// report.html: the organization's standing, bounded whatever its size.
    pub fn summary(&self, page: &PageView, out: &mut dyn Write) -> Result<(), TemplateError> {
        let mut context = Context::from_serialize(page).map_err(TemplateError::Context)?;
        // Templates written for the single-file report place `{{ accounts | safe }}`: the
        // accounts are on pages of their own now.
        context.insert("accounts", "");
        self.tera
            .render_to(PAGE, &context, out)
            .map_err(self.templates.failed(PAGE))
    }

    /// The context every account page shares: the run's header, serialised once.
    pub fn run_context(&self, header: &RunHeader) -> Result<Context, TemplateError> {
        let mut context = Context::new();
        context.insert("run", header);
        Ok(context)
    }

    /// accounts/ID.html: one account's full evidence, a page of its own. `run` is `header` as
    /// [`HtmlPages::run_context`] made it, for a user's own template.
    pub fn account(
        &self,
        run: &Context,
        header: &RunHeader,
        account: &AccountView,
        out: &mut dyn Write,
    ) -> Result<(), TemplateError> {
        if let (true, Some(parts)) = (self.direct_account, &self.direct) {
            return Ok(direct::write_account(out, parts, header, account)?);
        }
        let mut context = run.clone();
        context.insert("account", account);
        self.tera
            .render_to(ACCOUNT, &context, out)
            .map_err(self.templates.failed(ACCOUNT))
    }

    /// accounts.html: every account, a row each, linking to its page.
    pub fn index(
        &self,
        run: &Context,
        header: &RunHeader,
        view: &ReportView,
        out: &mut dyn Write,
    ) -> Result<(), TemplateError> {
        if let (true, Some(parts)) = (self.direct_index, &self.direct) {
            return Ok(direct::write_index(out, parts, header, &view.accounts)?);
        }
        let mut context = run.clone();
        let rows: Vec<AccountRow> = view.accounts.iter().map(AccountRow::of).collect();
        context.insert("accounts", &rows);
        self.tera
            .render_to(INDEX, &context, out)
            .map_err(self.templates.failed(INDEX))
    }
}

/// An account as accounts.html lists it: everything but its findings.
#[derive(serde::Serialize)]
struct AccountRow<'a> {
    id: &'a str,
    name: &'a str,
    ou: &'a str,
    state: &'static str,
    detail: Option<&'a str>,
    passed: usize,
    failed: usize,
    errored: usize,
    muted: usize,
    failing_rules: &'a [super::view::RuleName<'a>],
    coverage_gap: bool,
}

impl<'a> AccountRow<'a> {
    fn of(account: &'a AccountView<'a>) -> Self {
        AccountRow {
            id: account.id,
            name: account.name,
            ou: account.ou,
            state: account.state.as_str(),
            detail: account.detail,
            passed: account.passed,
            failed: account.failed,
            errored: account.errored,
            muted: account.muted,
            failing_rules: &account.failing_rules,
            coverage_gap: account.coverage_gap,
        }
    }
}

/// `{{ account.id | page }}`: the account's page, relative to the report's directory.
fn page_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let id = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("page: an account id is text"))?;
    Ok(tera::Value::String(account_page(id)))
}

/// `{{ text | fragment }}`: text percent-encoded for a URL's `#fragment` (an OU path).
fn fragment_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("fragment: takes text"))?;
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.,/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(tera::Value::String(encoded))
}

/// Tera's errors nest the useful part ("variable not found") a few sources deep.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}
