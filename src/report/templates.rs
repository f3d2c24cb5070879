//! Tera templates under `templates/`, embedded in the binary.
//!
//! Tera only autoescapes templates whose *name* ends in `.html`, so a template called
//! `report.html.tera` would be rendered raw; the suffixes are registered explicitly, and the
//! Markdown template gets an escaper of its own, so nothing that came from AWS (account names are
//! user-controlled) reaches a report unescaped.

use tera::{Context, Tera};

use super::view::ReportView;

const HTML: (&str, &str) = (
    "report.html.tera",
    include_str!("../../templates/report.html.tera"),
);
const MARKDOWN: (&str, &str) = (
    "report.md.tera",
    include_str!("../../templates/report.md.tera"),
);

pub fn render_html(view: &ReportView) -> Result<String, String> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html.tera"]);
    render(tera, HTML, view)
}

pub fn render_markdown(view: &ReportView) -> Result<String, String> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".md.tera"]);
    tera.set_escape_fn(escape_markdown);
    render(tera, MARKDOWN, view)
}

fn render(
    mut tera: Tera,
    (name, source): (&str, &str),
    view: &ReportView,
) -> Result<String, String> {
    tera.add_raw_template(name, source).map_err(|e| chain(&e))?;
    let context = Context::from_serialize(view).map_err(|e| chain(&e))?;
    tera.render(name, &context).map_err(|e| chain(&e))
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
