//! The formats rendered through templates: report.html and report.md, both from the same
//! [`ReportView`].

use super::output::{Out, Output, RenderError};
use super::templates::Templates;
use super::view::ReportView;
use crate::findings::Report;

pub struct Html<'t>(pub &'t Templates);

impl Output for Html<'_> {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        Ok(self.0.render_html(&ReportView::new(report), out)?)
    }
}

pub struct Markdown<'t>(pub &'t Templates);

impl Output for Markdown<'_> {
    fn write(&self, report: &Report, _: usize, out: &mut Out) -> Result<(), RenderError> {
        Ok(self.0.render_markdown(&ReportView::new(report), out)?)
    }
}
