//! How a command fails: the exit codes and the two kinds of failure the edge tells apart.

/// Exit codes, documented in the README.
pub mod exit {
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const ACCOUNTS_NOT_AUDITED: u8 = 3;
    pub const FINDINGS_FAILED: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

/// A user's mistake (exit 2) or a failure of the run itself (exit 1).
pub enum Failure {
    Usage(anyhow::Error),
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Run(error)
    }
}
