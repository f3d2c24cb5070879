//! report.html's small trend: this run and the earlier ones `--history` or `--baseline` gave
//! (the report's `history`), one sparkline per seed control.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::charts::{change, rate_chart, Frame, RateChart, RatePoint};
use crate::findings::{Report, Tally};
use crate::rules::{short_name, SEED_CONTROLS};

#[derive(Serialize)]
pub struct HistoryView {
    /// Runs drawn, this one included.
    pub runs: usize,
    pub first: String,
    pub last: String,
    pub controls: Vec<HistoryLine>,
}

#[derive(Serialize)]
pub struct HistoryLine {
    pub label: &'static str,
    pub short: String,
    pub latest: String,
    /// Since the run before this one.
    pub change: String,
    pub direction: &'static str,
    pub chart: RateChart,
}

/// `None` when the report has no earlier runs.
pub fn history_view(report: &Report) -> Option<HistoryView> {
    if report.history.is_empty() {
        return None;
    }
    let runs: Vec<(DateTime<Utc>, &[Tally])> = report
        .history
        .iter()
        .map(|point| (point.collected_at, &point.rules[..]))
        .chain([(report.collected_at, &report.summary.rules[..])])
        .collect();
    let date = |t: &DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    let controls = SEED_CONTROLS
        .iter()
        .filter(|(_, rule)| report.summary.rules.iter().any(|t| t.key == *rule))
        .map(|&(label, rule)| {
            let rates: Vec<Option<f64>> = runs
                .iter()
                .map(|(_, rules)| rules.iter().find(|t| t.key == rule)?.pass_rate())
                .collect();
            let points: Vec<RatePoint> = runs
                .iter()
                .zip(&rates)
                .map(|((at, _), rate)| RatePoint {
                    label: date(at),
                    rate: *rate,
                    title: format!(
                        "{label}, {}: {}",
                        date(at),
                        rate.map_or("n/a".to_string(), |r| format!("{r:.0}%"))
                    ),
                })
                .collect();
            let (change, direction) = match &rates[..] {
                [.., before, now] => change(*before, *now),
                _ => (String::new(), ""),
            };
            HistoryLine {
                label,
                short: short_name(rule).to_string(),
                latest: rates
                    .last()
                    .copied()
                    .flatten()
                    .map_or("n/a".to_string(), |r| format!("{r:.0}%")),
                change,
                direction,
                chart: rate_chart(&points, Frame::SPARKLINE),
            }
        })
        .collect();
    Some(HistoryView {
        runs: runs.len(),
        first: date(&runs[0].0),
        last: date(&report.collected_at),
        controls,
    })
}
