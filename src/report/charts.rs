//! Inline SVG charts, laid out here and drawn by the templates: trend.html's charts and the
//! sparklines of report.html's trend block. Coordinates are computed in Rust and handed to the
//! templates as numbers, so a template only places `<polyline>`, `<circle>` and `<rect>`
//! elements; nothing is fetched, nothing is scripted.

use serde::Serialize;

/// The drawing area of a chart, in SVG user units.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// Room left of the plot for the y axis' labels, and below it for the x axis' labels.
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// A card's chart: axis labels, gridlines at 0, 50 and 100 %.
    pub const CARD: Frame = Frame {
        width: 320.0,
        height: 150.0,
        left: 38.0,
        // Room for half of the last date label, centred on the last point.
        right: 28.0,
        top: 14.0,
        bottom: 26.0,
    };
    /// A bar chart: no y axis, each bar says its value.
    pub const BARS: Frame = Frame {
        width: 320.0,
        height: 150.0,
        left: 12.0,
        right: 12.0,
        top: 10.0,
        bottom: 26.0,
    };
    /// A line in a table cell or beside a number: no axes.
    pub const SPARKLINE: Frame = Frame {
        width: 120.0,
        height: 30.0,
        left: 4.0,
        right: 4.0,
        top: 4.0,
        bottom: 4.0,
    };

    fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }

    fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }

    /// The x of run `index` of `count`, evenly spaced (runs are read as months, not as days).
    fn x(&self, index: usize, count: usize) -> f64 {
        if count <= 1 {
            return self.left + self.plot_width() / 2.0;
        }
        self.left + self.plot_width() * index as f64 / (count - 1) as f64
    }

    /// The y of a value between 0 and `max`.
    fn y(&self, value: f64, max: f64) -> f64 {
        let share = if max > 0.0 { value / max } else { 0.0 };
        self.top + self.plot_height() * (1.0 - share.clamp(0.0, 1.0))
    }

    fn bottom_y(&self) -> f64 {
        self.height - self.bottom
    }
}

/// One point of a rate chart: the run's label (its date), its rate in percent when there was
/// one, and what the point says on hover.
pub struct RatePoint {
    pub label: String,
    pub rate: Option<f64>,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct RateChart {
    pub width: String,
    pub height: String,
    /// `points` attributes of polylines: one per unbroken stretch of runs that had a rate.
    pub lines: Vec<String>,
    pub dots: Vec<Dot>,
    pub grid: Vec<Tick>,
    /// Labels along the x axis (run dates); a few, so they never overlap.
    pub labels: Vec<Tick>,
    /// The plot area, 0 to 100 %: a sparkline shades it so that its height reads as a rate.
    pub band: Band,
}

#[derive(Debug, Serialize)]
pub struct Band {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
}

impl Band {
    fn of(frame: &Frame) -> Self {
        Band {
            x: coordinate(frame.left),
            y: coordinate(frame.top),
            width: coordinate(frame.plot_width()),
            height: coordinate(frame.plot_height()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Dot {
    pub x: String,
    pub y: String,
    pub title: String,
}

/// A gridline or an axis label: where it goes and what it says.
#[derive(Debug, Serialize)]
pub struct Tick {
    pub x: String,
    pub y: String,
    /// The far end of a gridline.
    pub x2: String,
    pub text: String,
}

/// An SVG coordinate: a tenth of a unit is finer than any screen or printer shows.
fn coordinate(value: f64) -> String {
    format!("{value:.1}")
}

/// Pass rates over runs, 0 to 100 %, a gap where a run had nothing decided.
pub fn rate_chart(points: &[RatePoint], frame: Frame) -> RateChart {
    let count = points.len();
    let mut lines = Vec::new();
    let mut line: Vec<String> = Vec::new();
    let mut dots = Vec::new();
    for (index, point) in points.iter().enumerate() {
        let Some(rate) = point.rate else {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line).join(" "));
            }
            continue;
        };
        let (x, y) = (frame.x(index, count), frame.y(rate, 100.0));
        line.push(format!("{},{}", coordinate(x), coordinate(y)));
        dots.push(Dot {
            x: coordinate(x),
            y: coordinate(y),
            title: point.title.clone(),
        });
    }
    if !line.is_empty() {
        lines.push(line.join(" "));
    }
    let axes = frame.left >= 20.0;
    let grid = if axes {
        [0.0, 50.0, 100.0]
            .iter()
            .map(|&value| Tick {
                x: coordinate(frame.left),
                y: coordinate(frame.y(value, 100.0)),
                x2: coordinate(frame.width - frame.right),
                text: format!("{value:.0}%"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let labels = if axes {
        x_labels(
            points.iter().map(|p| p.label.as_str()),
            count,
            |index| frame.x(index, count),
            frame,
        )
    } else {
        Vec::new()
    };
    RateChart {
        width: coordinate(frame.width),
        height: coordinate(frame.height),
        lines,
        dots,
        grid,
        labels,
        band: Band::of(&frame),
    }
}

/// At most five labels along the x axis: every `step`-th run and the last, never two close.
fn x_labels<'a>(
    labels: impl Iterator<Item = &'a str>,
    count: usize,
    x: impl Fn(usize) -> f64,
    frame: Frame,
) -> Vec<Tick> {
    let labels: Vec<&str> = labels.collect();
    let step = count.div_ceil(5).max(1);
    let mut picked: Vec<usize> = (0..count).step_by(step).collect();
    if let Some(&last) = picked.last() {
        if last + 1 != count {
            if count - 1 - last < step && picked.len() > 1 {
                picked.pop();
            }
            picked.push(count - 1);
        }
    }
    picked
        .into_iter()
        .map(|index| Tick {
            x: coordinate(x(index)),
            y: coordinate(frame.bottom_y() + 16.0),
            x2: String::new(),
            text: labels[index].to_string(),
        })
        .collect()
}

/// A bar chart over runs: stacked parts above the axis, or one part below it.
#[derive(Debug, Serialize)]
pub struct BarChart {
    pub width: String,
    pub height: String,
    pub bars: Vec<Bar>,
    /// The y of the axis the bars stand on (or hang from).
    pub axis: String,
    pub axis_end: String,
    pub left: String,
    pub labels: Vec<Tick>,
    /// Each bar's total, written above it (or below, for the part under the axis).
    pub values: Vec<Tick>,
}

#[derive(Debug, Serialize)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// The CSS class that colours it.
    pub class: &'static str,
    pub title: String,
}

/// One run's bar: its label, and its parts bottom up (`class`, value, hover text). A part with
/// `below` set hangs below the axis instead (fixed findings under new failures).
pub struct BarRun {
    pub label: String,
    pub parts: Vec<BarPart>,
}

pub struct BarPart {
    pub class: &'static str,
    pub value: usize,
    pub title: String,
    pub below: bool,
}

pub fn bar_chart(runs: &[BarRun], frame: Frame) -> BarChart {
    let count = runs.len();
    let total = |run: &BarRun, below: bool| -> usize {
        run.parts
            .iter()
            .filter(|p| p.below == below)
            .map(|p| p.value)
            .sum()
    };
    let above_max = runs.iter().map(|r| total(r, false)).max().unwrap_or(0);
    let below_max = runs.iter().map(|r| total(r, true)).max().unwrap_or(0);
    let max = (above_max + below_max).max(1) as f64;
    // Room above and below the bars for their values; the run labels stay under the plot.
    let labels_frame = frame;
    let frame = Frame {
        top: frame.top + 8.0,
        bottom: frame.bottom + if below_max > 0 { 16.0 } else { 0.0 },
        ..frame
    };
    // The axis sits where the parts above and below each get their share of the height.
    let axis = frame.top + frame.plot_height() * above_max as f64 / max;
    let unit = frame.plot_height() / max;
    let slot = frame.plot_width() / count.max(1) as f64;
    let bar_width = (slot * 0.6).min(48.0);
    let mut bars = Vec::new();
    let mut values = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let centre = frame.left + slot * (index as f64 + 0.5);
        let x = centre - bar_width / 2.0;
        let (mut up, mut down) = (axis, axis);
        for part in run.parts.iter().filter(|p| p.value > 0) {
            let height = part.value as f64 * unit;
            let y = if part.below {
                down += height;
                down - height
            } else {
                up -= height;
                up
            };
            bars.push(Bar {
                x: coordinate(x),
                y: coordinate(y),
                width: coordinate(bar_width),
                height: coordinate(height),
                class: part.class,
                title: part.title.clone(),
            });
        }
        for (below, y) in [(false, up - 4.0), (true, down + 11.0)] {
            let value = total(run, below);
            // An empty part below the axis says nothing; an empty one above says 0.
            if value > 0 || (!below && run.parts.iter().any(|p| !p.below)) {
                values.push(Tick {
                    x: coordinate(centre),
                    y: coordinate(y),
                    x2: String::new(),
                    text: value.to_string(),
                });
            }
        }
    }
    let labels = x_labels(
        runs.iter().map(|run| run.label.as_str()),
        count,
        |index| frame.left + slot * (index as f64 + 0.5),
        labels_frame,
    );
    BarChart {
        width: coordinate(frame.width),
        height: coordinate(frame.height),
        bars,
        axis: coordinate(axis),
        axis_end: coordinate(frame.width - frame.right),
        left: coordinate(frame.left),
        labels,
        values,
    }
}

/// How a rate moved since the run before, in percentage points, and whether that is better.
pub fn change(before: Option<f64>, now: Option<f64>) -> (String, &'static str) {
    match (before, now) {
        (Some(before), Some(now)) => {
            let delta = now - before;
            if delta.abs() < 0.05 {
                ("±0 pts".to_string(), "")
            } else if delta > 0.0 {
                (format!("+{delta:.1} pts"), "better")
            } else {
                (format!("−{:.1} pts", -delta), "worse")
            }
        }
        _ => (String::new(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(rate: Option<f64>) -> RatePoint {
        RatePoint {
            label: "2026-01-01".into(),
            rate,
            title: String::new(),
        }
    }

    #[test]
    fn a_run_without_a_rate_breaks_the_line_instead_of_dropping_to_zero() {
        let chart = rate_chart(
            &[
                point(Some(100.0)),
                point(None),
                point(Some(0.0)),
                point(Some(50.0)),
            ],
            Frame::CARD,
        );
        assert_eq!(chart.lines.len(), 2);
        assert_eq!(chart.dots.len(), 3);
        // 100 % at the top of the plot, 0 % at its bottom.
        assert_eq!(chart.dots[0].y, "14.0");
        assert_eq!(chart.dots[1].y, "124.0");
        assert_eq!(chart.grid.len(), 3);
    }

    #[test]
    fn a_sparkline_has_no_axes_and_one_run_sits_in_the_middle() {
        let chart = rate_chart(&[point(Some(50.0))], Frame::SPARKLINE);
        assert!(chart.grid.is_empty() && chart.labels.is_empty());
        assert_eq!(chart.dots[0].x, "60.0");
    }

    #[test]
    fn x_labels_never_crowd_the_axis() {
        let points: Vec<RatePoint> = (0..13).map(|_| point(Some(1.0))).collect();
        let chart = rate_chart(&points, Frame::CARD);
        assert!(chart.labels.len() <= 5, "{}", chart.labels.len());
        assert_eq!(
            chart.labels.last().unwrap().x,
            coordinate(Frame::CARD.x(12, 13))
        );
    }

    #[test]
    fn bars_below_the_axis_hang_from_it() {
        let run = |up, down| BarRun {
            label: String::new(),
            parts: vec![
                BarPart {
                    class: "new",
                    value: up,
                    title: String::new(),
                    below: false,
                },
                BarPart {
                    class: "fixed",
                    value: down,
                    title: String::new(),
                    below: true,
                },
            ],
        };
        let chart = bar_chart(&[run(3, 1), run(1, 1)], Frame::CARD);
        assert_eq!(chart.bars.len(), 4);
        let axis: f64 = chart.axis.parse().unwrap();
        let (up, down) = (&chart.bars[0], &chart.bars[1]);
        let end = |bar: &Bar| bar.y.parse::<f64>().unwrap() + bar.height.parse::<f64>().unwrap();
        assert!((end(up) - axis).abs() < 0.11);
        assert!((down.y.parse::<f64>().unwrap() - axis).abs() < 0.11);
    }
}
