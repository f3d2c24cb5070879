//! How a scan shows it is moving: a progress bar on a terminal, a log line every few seconds
//! otherwise (CI logs, cron mail), nothing with --quiet.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orgtrail::collect::Progress;
use orgtrail::model::{AccountInventory, Audit};
use tracing::{debug, info, warn};

const LOG_EVERY: Duration = Duration::from_secs(10);

pub struct ScanProgress {
    bar: Option<ProgressBar>,
    total: AtomicUsize,
    done: AtomicUsize,
    errors: AtomicUsize,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl ScanProgress {
    /// A bar when standard error is a terminal and output is not quieted.
    pub fn new(terminal: bool, quiet: bool) -> Self {
        let bar = (terminal && !quiet).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {bar:30} {pos}/{len} accounts  {msg}  {elapsed} elapsed, ETA {eta}",
                )
                .expect("progress template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        ScanProgress {
            bar,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            errors: AtomicUsize::new(0),
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn log_line(&self, done: usize) {
        let total = self.total.load(Ordering::Relaxed);
        let mut last = self.last_line.lock().expect("progress lock");
        if last.elapsed() < LOG_EVERY || done == total {
            return;
        }
        *last = Instant::now();
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = elapsed / done.max(1) as f64 * (total - done) as f64;
        info!(
            "progress: {done}/{total} accounts, {} could not be audited, ETA {eta:.0}s",
            self.errors.load(Ordering::Relaxed)
        );
    }
}

impl Progress for ScanProgress {
    fn planned(&self, accounts: usize) {
        self.total.store(accounts, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_length(accounts as u64);
        }
    }

    fn account_done(&self, account: &AccountInventory) {
        let who = format!("{} ({})", account.account.id, account.account.name);
        let print = |line: String| match &self.bar {
            Some(bar) => bar.suspend(|| warn!("{line}")),
            None => warn!("{line}"),
        };
        match &account.audit {
            Audit::Audited => debug!("{who}: audited, {} trail(s)", account.trails.len()),
            Audit::Skipped { reason } => debug!("{who}: not audited: {reason}"),
            Audit::Error { error } => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                print(format!("{who}: could not be audited: {error}"));
            }
        }
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                bar.set_message(format!("{} errors", self.errors.load(Ordering::Relaxed)));
            }
            None => self.log_line(done),
        }
    }
}
