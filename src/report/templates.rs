//! Tera templates under `templates/`, embedded in the binary.
//!
//! Tera only autoescapes templates whose *name* ends in `.html`, so a template called
//! `report.html.tera` would be rendered raw; the suffixes are registered explicitly, and the
//! Markdown template gets an escaper of its own, so nothing that came from AWS (account names are
//! user-controlled) reaches a report unescaped.

use std::io::Write;

use tera::{Context, Tera};

use super::view::ReportView;

const PAGE: (&str, &str) = (
    "report.html.tera",
    include_str!("../../templates/report.html.tera"),
);
const ACCOUNT: (&str, &str) = (
    "account.html.tera",
    include_str!("../../templates/account.html.tera"),
);
const MARKDOWN: (&str, &str) = (
    "report.md.tera",
    include_str!("../../templates/report.md.tera"),
);

/// Where the page template places the accounts: `{{ accounts | safe }}` renders this marker,
/// and each account is streamed in its place.
const ACCOUNTS_MARKER: &str = "<!-- orgtrail:accounts -->";

pub fn render_html(view: &ReportView, out: &mut dyn Write) -> Result<(), String> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html.tera"]);
    tera.add_raw_templates(vec![PAGE, ACCOUNT])
        .map_err(|e| chain(&e))?;

    let mut context = Context::from_serialize(&view.page).map_err(|e| chain(&e))?;
    context.insert("accounts", ACCOUNTS_MARKER);
    let page = tera.render(PAGE.0, &context).map_err(|e| chain(&e))?;
    let (head, tail) = page
        .split_once(ACCOUNTS_MARKER)
        .ok_or_else(|| format!("{} does not place {{{{ accounts | safe }}}}", PAGE.0))?;

    let io = |e: std::io::Error| e.to_string();
    out.write_all(head.as_bytes()).map_err(io)?;
    let mut context = Context::new();
    for account in &view.accounts {
        context.insert("account", account);
        tera.render_to(ACCOUNT.0, &context, &mut *out)
            .map_err(|e| chain(&e))?;
    }
    out.write_all(tail.as_bytes()).map_err(io)
}

pub fn render_markdown(view: &ReportView, out: &mut dyn Write) -> Result<(), String> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".md.tera"]);
    tera.set_escape_fn(escape_markdown);
    tera.add_raw_template(MARKDOWN.0, MARKDOWN.1)
        .map_err(|e| chain(&e))?;
    let context = Context::from_serialize(&view.page).map_err(|e| chain(&e))?;
    tera.render_to(MARKDOWN.0, &context, out)
        .map_err(|e| chain(&e))
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
