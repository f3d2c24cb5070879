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

use super::present::escape_markdown;
use super::view::ReportView;

const PAGE: &str = "report.html.tera";
const ACCOUNT: &str = "account.html.tera";
const MARKDOWN: &str = "report.md.tera";
const TREND: &str = "trend.html.tera";
const PERIOD: &str = "period.html.tera";
const EMBEDDED: [(&str, &str); 5] = [
    (PAGE, include_str!("../../templates/report.html.tera")),
    (ACCOUNT, include_str!("../../templates/account.html.tera")),
    (MARKDOWN, include_str!("../../templates/report.md.tera")),
    (TREND, include_str!("../../templates/trend.html.tera")),
    (PERIOD, include_str!("../../templates/period.html.tera")),
];

/// Where the page template places the accounts: `{{ accounts | safe }}` renders this marker,
/// and each account is streamed in its place.
const ACCOUNTS_MARKER: &str = "<!-- orgtrail:accounts -->";

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
    #[error("{0} does not place {{{{ accounts | safe }}}}")]
    NoAccounts(Origin),
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
        let mut tera = self.tera(&[PAGE, ACCOUNT, PERIOD])?;
        tera.autoescape_on(vec![".html.tera"]);
        Ok(tera)
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

    pub fn render_html(&self, view: &ReportView, out: &mut dyn Write) -> Result<(), TemplateError> {
        let tera = self.html()?;
        let mut context = Context::from_serialize(&view.page).map_err(TemplateError::Context)?;
        context.insert("accounts", ACCOUNTS_MARKER);
        let page = tera.render(PAGE, &context).map_err(self.failed(PAGE))?;
        let (head, tail) = page
            .split_once(ACCOUNTS_MARKER)
            .ok_or_else(|| TemplateError::NoAccounts(self.origin(PAGE)))?;

        out.write_all(head.as_bytes())?;
        let mut context = Context::new();
        for account in &view.accounts {
            context.insert("account", account);
            tera.render_to(ACCOUNT, &context, &mut *out)
                .map_err(self.failed(ACCOUNT))?;
        }
        out.write_all(tail.as_bytes())?;
        Ok(())
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
