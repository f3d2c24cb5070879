//! How a scan shows it is moving: a progress bar on a terminal, a log line every few seconds
//! otherwise (CI logs, cron mail), nothing with --quiet.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orgtrail::aws::{CallCounter, CallInFlight};
use orgtrail::collect::Progress;
use orgtrail::model::{Account, AccountInventory, Audit};
use tracing::{debug, info, warn};

/// The README's promise: off a terminal, a line at least this often, even when nothing finishes.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// How often the heartbeat looks whether a line is due.
const HEARTBEAT_TICK: Duration = Duration::from_secs(1);
/// Accounts a line names by themselves; the rest are counted.
const ACCOUNTS_NAMED: usize = 5;
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
    /// Accounts being collected: id → (name, since when).
    in_flight: Mutex<HashMap<String, (String, Instant)>>,
    calls: CallCounter,
}

impl ScanProgress {
    /// A bar when standard error is a terminal and output is not quieted; `calls` says which
    /// AWS calls are still running.
    pub fn new(terminal: bool, quiet: bool, calls: CallCounter) -> Self {
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
            in_flight: Mutex::new(HashMap::new()),
            calls,
        }
    }

    /// Runs `work`, and while it runs makes sure a stalled scan still says, every
    /// [`LOG_EVERY`], what it waits on: lines otherwise come only when an account finishes.
    pub async fn beating<T>(&self, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        let mut tick = tokio::time::interval(HEARTBEAT_TICK);
        loop {
            tokio::select! {
                done = &mut work => return done,
                _ = tick.tick() => match &self.bar {
                    Some(bar) => bar.set_message(self.message()),
                    None => self.log_line(),
                },
            }
        }
    }

    /// "waiting on 2 accounts: 111122223333 (prod) for 42s, ...; slowest call
    /// cloudtrail:GetTrailStatus in eu-west-1, 40s": empty when nothing is in flight.
    fn waiting_on(&self) -> String {
        let mut accounts: Vec<(String, String, Instant)> = self
            .in_flight
            .lock()
            .map(|in_flight| {
                in_flight
                    .iter()
                    .map(|(id, (name, since))| (id.clone(), name.clone(), *since))
                    .collect()
            })
            .unwrap_or_default();
        if accounts.is_empty() {
            return String::new();
        }
        accounts.sort_by_key(|(id, _, since)| (*since, id.clone()));
        let named: Vec<String> = accounts
            .iter()
            .take(ACCOUNTS_NAMED)
            .map(|(id, name, since)| format!("{id} ({name}) for {}s", since.elapsed().as_secs()))
            .collect();
        let mut text = format!(
            "waiting on {} account(s): {}",
            accounts.len(),
            named.join(", ")
        );
        if accounts.len() > ACCOUNTS_NAMED {
            text.push_str(&format!(" and {} more", accounts.len() - ACCOUNTS_NAMED));
        }
        let (calls, slowest) = self.calls.in_flight();
        if let Some(slowest) = slowest {
            text.push_str(&format!(
                "; {calls} AWS call(s) running, the slowest {}",
                describe_call(&slowest)
            ));
        }
        text
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// What the bar says beside the counts.
    fn message(&self) -> String {
        let errors = self.errors.load(Ordering::Relaxed);
        let counts = if self.discovering.load(Ordering::Relaxed) {
            let left = self.units_left.load(Ordering::Relaxed);
            format!("discovering, {left} OUs left to list; {errors} errors")
        } else {
            format!("{errors} errors")
        };
        match self.waiting_on() {
            waiting if waiting.is_empty() => counts,
            waiting => format!("{counts}; {waiting}"),
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
        let waiting = match self.waiting_on() {
            waiting if waiting.is_empty() => waiting,
            waiting => format!("; {waiting}"),
        };
        if discovering {
            info!(
                "progress: discovering, {total} accounts found so far, {} OUs left to list; \
                 {done} accounts done, {errors} could not be audited{waiting}",
                self.units_left.load(Ordering::Relaxed)
            );
        } else {
            let elapsed = self.started.elapsed().as_secs_f64();
            let eta = elapsed / done.max(1) as f64 * total.saturating_sub(done) as f64;
            info!(
                "progress: {done}/{total} accounts, {errors} could not be audited, ETA {eta:.0}s{waiting}"
            );
        }
    }
}

/// "cloudtrail:GetTrailStatus in eu-west-1, running 40s"
fn describe_call(call: &CallInFlight) -> String {
    let region = call
        .region
        .as_deref()
        .map(|r| format!(" in {r}"))
        .unwrap_or_default();
    format!(
        "{}{region}, running {}s",
        call.operation,
        call.started.elapsed().as_secs()
    )
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

    fn account_started(&self, account: &Account) {
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.insert(account.id.clone(), (account.name.clone(), Instant::now()));
        }
    }

    fn account_done(&self, account: &AccountInventory) {
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.remove(&account.account.id);
        }
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
