//! Tera templates under `templates/`, embedded in the binary.
//!
//! Tera only autoescapes templates whose *name* ends in `.html`, so a template called
//! `report.html.tera` would be rendered raw; the suffixes are registered explicitly, and the
//! Markdown template gets an escaper of its own, so nothing that came from AWS (account names are
//! user-controlled) reaches a report unescaped.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use tera::{Context, Tera};

use super::view::ReportView;

const PAGE: &str = "report.html.tera";
const ACCOUNT: &str = "account.html.tera";
const MARKDOWN: &str = "report.md.tera";
const EMBEDDED: [(&str, &str); 3] = [
    (PAGE, include_str!("../../templates/report.html.tera")),
    (ACCOUNT, include_str!("../../templates/account.html.tera")),
    (MARKDOWN, include_str!("../../templates/report.md.tera")),
];

/// Where the page template places the accounts: `{{ accounts | safe }}` renders this marker,
/// and each account is streamed in its place.
const ACCOUNTS_MARKER: &str = "<!-- orgtrail:accounts -->";

/// The report templates: the embedded ones, each replaced by a file of the same name in a
/// user's directory (`--templates DIR`) when there is one.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: Vec<(&'static str, Cow<'static, str>, String)>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            sources: EMBEDDED
                .iter()
                .map(|(name, text)| (*name, Cow::Borrowed(*text), format!("embedded {name}")))
                .collect(),
        }
    }
}

impl Templates {
    /// The embedded templates with `dir`'s files of the same names in their place, each parsed
    /// now so a broken one is reported before any work, by file and line.
    pub fn with_overrides(dir: &Path) -> Result<Self, String> {
        if !dir.is_dir() {
            return Err(format!(
                "--templates {}: not a directory; name a directory holding any of {}",
                dir.display(),
                EMBEDDED.map(|(name, _)| name).join(", ")
            ));
        }
        let mut templates = Templates::default();
        for (name, text, origin) in &mut templates.sources {
            let path = dir.join(*name);
            if path.is_file() {
                *text = Cow::Owned(
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                );
                *origin = path.display().to_string();
            }
        }
        templates.html()?;
        templates.markdown()?;
        Ok(templates)
    }

    /// The files that replaced embedded templates.
    pub fn overridden(&self) -> Vec<&str> {
        self.sources
            .iter()
            .filter(|(name, _, origin)| *origin != format!("embedded {name}"))
            .map(|(_, _, origin)| origin.as_str())
            .collect()
    }

    fn tera(&self, names: &[&str]) -> Result<Tera, String> {
        let mut tera = Tera::default();
        for (name, text, origin) in self.sources.iter().filter(|(n, _, _)| names.contains(n)) {
            tera.add_raw_template(name, text)
                .map_err(|e| format!("{origin}: {}", chain(&e)))?;
        }
        Ok(tera)
    }

    fn origin<'a>(&'a self, name: &'a str) -> &'a str {
        self.sources
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, origin)| origin.as_str())
            .unwrap_or(name)
    }

    fn html(&self) -> Result<Tera, String> {
        let mut tera = self.tera(&[PAGE, ACCOUNT])?;
        tera.autoescape_on(vec![".html.tera"]);
        Ok(tera)
    }

    fn markdown(&self) -> Result<Tera, String> {
        let mut tera = self.tera(&[MARKDOWN])?;
        tera.autoescape_on(vec![".md.tera"]);
        tera.set_escape_fn(escape_markdown);
        Ok(tera)
    }
}

pub fn render_html(
    templates: &Templates,
    view: &ReportView,
    out: &mut dyn Write,
) -> Result<(), String> {
    let tera = templates.html()?;
    let failed = |name: &str, e: tera::Error| format!("{}: {}", templates.origin(name), chain(&e));

    let mut context = Context::from_serialize(&view.page).map_err(|e| chain(&e))?;
    context.insert("accounts", ACCOUNTS_MARKER);
    let page = tera.render(PAGE, &context).map_err(|e| failed(PAGE, e))?;
    let (head, tail) = page.split_once(ACCOUNTS_MARKER).ok_or_else(|| {
        format!(
            "{} does not place {{{{ accounts | safe }}}}",
            templates.origin(PAGE)
        )
    })?;

    let io = |e: std::io::Error| e.to_string();
    out.write_all(head.as_bytes()).map_err(io)?;
    let mut context = Context::new();
    for account in &view.accounts {
        context.insert("account", account);
        tera.render_to(ACCOUNT, &context, &mut *out)
            .map_err(|e| failed(ACCOUNT, e))?;
    }
    out.write_all(tail.as_bytes()).map_err(io)
}

pub fn render_markdown(
    templates: &Templates,
    view: &ReportView,
    out: &mut dyn Write,
) -> Result<(), String> {
    let tera = templates.markdown()?;
    let context = Context::from_serialize(&view.page).map_err(|e| chain(&e))?;
    tera.render_to(MARKDOWN, &context, out)
        .map_err(|e| format!("{}: {}", templates.origin(MARKDOWN), chain(&e)))
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
