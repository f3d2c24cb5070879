//! The one trait every output format implements, and what its writers write into.

use std::io::Write;

use super::templates::TemplateError;
use crate::findings::Report;

/// What a format writes into: a file on its way to disk (the XLSX writer needs it `Send`).
pub type Out = dyn Write + Send;

/// An output format: how many files it makes of a report (most make one), and how each is
/// written. Renderers see the report model only.
pub trait Output: Send + Sync {
    /// Write file `part` of [`Output::parts`] into `out`.
    fn write(&self, report: &Report, part: usize, out: &mut Out) -> Result<(), RenderError>;

    fn parts(&self, _report: &Report) -> usize {
        1
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}
