//! The formats rendered through templates: report.html (the bounded summary), accounts.html and
//! one page per account under accounts/, and report.md, all from the same [`ReportView`].

use std::sync::Arc;

use super::output::{Out, Output, RenderError};
use super::staging::WriteFile;
use super::templates::{RunHeader, Templates};
use super::view::{account_page, ReportView};
use crate::findings::Report;

/// accounts.html: every account, a row each, linking to its page.
pub const INDEX_FILE: &str = "accounts.html";

/// report.html alone (see [`html_files`] for every HTML file of a run).
pub struct Html<'t>(pub &'t Templates);

impl Output for Html<'_> {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        let view = ReportView::new(report);
        Ok(self.0.html_pages()?.summary(&view.page, out)?)
    }
}

/// Every HTML file of a run, each with its writer: report.html, accounts.html, then one page
/// per account. The view and the templates are built once and shared by all 10,000 writers.
pub fn html_files<'a>(
    report: &'a Report,
    templates: &'a Templates,
) -> Vec<(String, WriteFile<'a>)> {
    let pages = match templates.html_pages() {
        Ok(pages) => Arc::new(pages),
        Err(e) => {
            let failed: WriteFile<'a> = Box::new(move |_| Err(e.into()));
            return vec![("report.html".to_string(), failed)];
        }
    };
    let view = Arc::new(ReportView::new(report));
    let mut files: Vec<(String, WriteFile<'a>)> = Vec::with_capacity(view.accounts.len() + 2);
    {
        let (pages, view) = (pages.clone(), view.clone());
        files.push((
            "report.html".to_string(),
            Box::new(move |out| Ok(pages.summary(&view.page, out)?)),
        ));
    }
    let run = match pages.run_context(&RunHeader::of(&view.page)) {
        Ok(run) => Arc::new(run),
        Err(e) => {
            files.push((INDEX_FILE.to_string(), Box::new(move |_| Err(e.into()))));
            return files;
        }
    };
    {
        let (pages, view, run) = (pages.clone(), view.clone(), run.clone());
        files.push((
            INDEX_FILE.to_string(),
            Box::new(move |out| {
                let header = RunHeader::of(&view.page);
                Ok(pages.index(&run, &header, &view, out)?)
            }),
        ));
    }
    for index in 0..view.accounts.len() {
        let (pages, view, run) = (pages.clone(), view.clone(), run.clone());
        files.push((
            account_page(view.accounts[index].id),
            Box::new(move |out| {
                let header = RunHeader::of(&view.page);
                Ok(pages.account(&run, &header, &view.accounts[index], out)?)
            }),
        ));
    }
    files
}

pub struct Markdown<'t>(pub &'t Templates);

impl Output for Markdown<'_> {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        Ok(self.0.render_markdown(&ReportView::new(report), out)?)
    }
}
