//! Every integration test, as modules of one test binary: one link instead of eleven, and the
//! tests of different files run side by side (an emulator test waiting on moto beside a rendering
//! test using the CPU) instead of one file after another. `cargo test` runs them all; one file's
//! tests with `cargo test --test suite layout::`.

mod support;

#[path = "cli.rs"]
mod cli;
#[path = "discovery.rs"]
mod discovery;
#[path = "emulator.rs"]
mod emulator;
#[path = "evidence_dir.rs"]
mod evidence_dir;
#[path = "exports.rs"]
mod exports;
#[path = "faults.rs"]
mod faults;
#[path = "history.rs"]
mod history;
#[path = "layout.rs"]
mod layout;
#[path = "parsers.rs"]
mod parsers;
#[path = "spreadsheet.rs"]
mod spreadsheet;
#[path = "trend.rs"]
mod trend;
