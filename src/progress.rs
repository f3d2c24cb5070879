//! How a scan shows it is moving: a progress bar on a terminal, a log line every few seconds
//! otherwise (CI logs, cron mail), nothing with --quiet.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orgtrail::collect::Progress;
use orgtrail::model::{AccountInventory, Audit};
use tracing::{debug, info, warn};

const LOG_EVERY: Duration = Duration::from_secs(10);
const WHILE_DISCOVERING: &str =
    "{spinner} {bar:30} {pos}/{len} accounts so far  {msg}  {elapsed} elapsed";
const ONCE_DISCOVERED: &str =
    "{spinner} {bar:30} {pos}/{len} accounts  {msg}  {elapsed} elapsed, ETA {eta}";

pub struct ScanProgress {
    bar: Option<ProgressBar>,
    /// Accounts planned so far; all of them once discovery is over.
    total: AtomicUsize,
    /// OUs or roots the walk has still to list.
    units_left: AtomicUsize,
    discovering: AtomicBool,
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
            bar.set_style(style(WHILE_DISCOVERING));
            bar.set_message("discovering");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        ScanProgress {
            bar,
            total: AtomicUsize::new(0),
            units_left: AtomicUsize::new(0),
            discovering: AtomicBool::new(true),
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

    /// What the bar says beside the counts.
    fn message(&self) -> String {
        let errors = self.errors.load(Ordering::Relaxed);
        if self.discovering.load(Ordering::Relaxed) {
            let left = self.units_left.load(Ordering::Relaxed);
            format!("discovering, {left} OUs left to list; {errors} errors")
        } else {
            format!("{errors} errors")
        }
    }

    fn log_line(&self) {
        let (total, done) = (
            self.total.load(Ordering::Relaxed),
            self.done.load(Ordering::Relaxed),
        );
        let discovering = self.discovering.load(Ordering::Relaxed);
        let mut last = self.last_line.lock().expect("progress lock");
        if last.elapsed() < LOG_EVERY || (done == total && !discovering) {
            return;
        }
        *last = Instant::now();
        let errors = self.errors.load(Ordering::Relaxed);
        if discovering {
            info!(
                "progress: discovering, {total} accounts found so far, {} OUs left to list; \
                 {done} accounts done, {errors} could not be audited",
                self.units_left.load(Ordering::Relaxed)
            );
        } else {
            let elapsed = self.started.elapsed().as_secs_f64();
            let eta = elapsed / done.max(1) as f64 * (total - done) as f64;
            info!(
                "progress: {done}/{total} accounts, {errors} could not be audited, ETA {eta:.0}s"
            );
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("progress template")
}

impl Progress for ScanProgress {
    fn discovered(&self, accounts: usize, units_left: usize) {
        self.total.store(accounts, Ordering::Relaxed);
        self.units_left.store(units_left, Ordering::Relaxed);
        let finished_now = units_left == 0 && self.discovering.swap(false, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => {
                bar.set_length(accounts as u64);
                if finished_now {
                    bar.set_style(style(ONCE_DISCOVERED));
                }
                bar.set_message(self.message());
            }
            None => self.log_line(),
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
                bar.set_message(self.message());
            }
            None => self.log_line(),
        }
    }
}
