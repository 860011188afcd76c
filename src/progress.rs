//! Progress of long commands (`seed-demo --scale`, `backup`, `restore`, and
//! whatever long command comes next): a bar with counts and an estimate on
//! a terminal, plain periodic log lines otherwise (a service's log, CI).
//!
//! Work is reported in stages ("writing", "verifying"), each either counted
//! (rows, bytes) against a total or open-ended. The library's long
//! functions take a `&Progress` and say how far they are; the command line
//! chooses how that is shown ([`Progress::for_command`]), and tests and
//! other callers pass [`Progress::hidden`]. Nothing but counts, sizes and
//! stage names is ever shown.

use std::{
    io::IsTerminal,
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a line is logged when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// What a stage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Rows,
    Bytes,
}

/// How far a long command is; cheap to update from any thread.
pub struct Progress {
    task: &'static str,
    shown: Shown,
}

enum Shown {
    Hidden,
    /// The current stage's bar; each stage gets a new one.
    Bar(Mutex<ProgressBar>),
    Lines(Mutex<Stage>),
}

/// The stage being logged as lines.
#[derive(Debug, Clone)]
struct Stage {
    name: &'static str,
    unit: Unit,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Stage {
    fn idle() -> Self {
        let now = Instant::now();
        Self {
            name: "",
            unit: Unit::Rows,
            total: None,
            done: 0,
            started: now,
            last_line: now,
        }
    }
}

impl Progress {
    /// Shows nothing.
    pub fn hidden() -> Self {
        Self {
            task: "",
            shown: Shown::Hidden,
        }
    }

    /// A bar when stderr is a terminal, periodic log lines otherwise.
    pub fn for_command(task: &'static str) -> Self {
        if std::io::stderr().is_terminal() {
            Self::bar(task)
        } else {
            Self::lines(task)
        }
    }

    /// Log lines at stage starts and ends and every few seconds between.
    pub fn lines(task: &'static str) -> Self {
        Self {
            task,
            shown: Shown::Lines(Mutex::new(Stage::idle())),
        }
    }

    fn bar(task: &'static str) -> Self {
        Self {
            task,
            shown: Shown::Bar(Mutex::new(ProgressBar::hidden())),
        }
    }

    /// Begins a stage counted against `total` (or open-ended, `None`).
    pub fn stage(&self, name: &'static str, total: Option<u64>, unit: Unit) {
        match &self.shown {
            Shown::Hidden => {}
            Shown::Bar(bar) => {
                // Made whole before it is first drawn, so no frame shows the
                // last stage's style with this one's name.
                let next = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr())
                    .with_style(bar_style(total.is_some(), unit))
                    .with_prefix(self.task)
                    .with_message(name);
                next.enable_steady_tick(Duration::from_millis(200));
                let previous = std::mem::replace(&mut *lock(bar), next);
                previous.finish_and_clear();
            }
            Shown::Lines(stage) => {
                let mut stage = lock(stage);
                let now = Instant::now();
                *stage = Stage {
                    name,
                    unit,
                    total,
                    done: 0,
                    started: now,
                    last_line: now,
                };
                let line = match total {
                    Some(total) => format!("{}: {name} {}", self.task, amount(total, unit)),
                    None => format!("{}: {name}", self.task),
                };
                tracing::info!("{line}");
            }
        }
    }

    /// `n` more rows or bytes of the stage are done.
    pub fn advance(&self, n: u64) {
        match &self.shown {
            Shown::Hidden => {}
            Shown::Bar(bar) => lock(bar).inc(n),
            Shown::Lines(stage) => {
                let mut stage = lock(stage);
                stage.done = stage.done.saturating_add(n);
                self.maybe_line(&mut stage);
            }
        }
    }

    /// The stage has `done` rows or bytes done in all.
    pub fn set_done(&self, done: u64) {
        match &self.shown {
            Shown::Hidden => {}
            Shown::Bar(bar) => lock(bar).set_position(done),
            Shown::Lines(stage) => {
                let mut stage = lock(stage);
                stage.done = done;
                self.maybe_line(&mut stage);
            }
        }
    }

    /// The stage is over.
    pub fn stage_done(&self) {
        match &self.shown {
            Shown::Hidden => {}
            Shown::Bar(bar) => lock(bar).finish_and_clear(),
            Shown::Lines(stage) => {
                let stage = lock(stage);
                let took = stage.started.elapsed().as_secs_f64();
                let line = match stage.total {
                    Some(_) => format!(
                        "{}: {} done, {} in {took:.1} s",
                        self.task,
                        stage.name,
                        amount(stage.done, stage.unit)
                    ),
                    None => format!("{}: {} done in {took:.1} s", self.task, stage.name),
                };
                tracing::info!("{line}");
            }
        }
    }

    fn maybe_line(&self, stage: &mut Stage) {
        if stage.last_line.elapsed() < LINE_EVERY {
            return;
        }
        stage.last_line = Instant::now();
        tracing::info!("{}", progress_line(self.task, stage));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // A bar left on screen by an error would sit above the error line.
        if let Shown::Bar(bar) = &self.shown {
            lock(bar).finish_and_clear();
        }
    }
}

fn lock<T>(shown: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain counts or a bar: a panic mid-update leaves them usable.
    shown.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn bar_style(counted: bool, unit: Unit) -> ProgressStyle {
    let template = match (counted, unit) {
        (false, _) => "{prefix}: {msg} {spinner} {elapsed}",
        (true, Unit::Rows) => "{prefix}: {msg} [{bar:30}] {human_pos}/{human_len} rows, {rows_per_sec}, {eta} left",
        (true, Unit::Bytes) => {
            "{prefix}: {msg} [{bar:30}] {binary_bytes}/{binary_total_bytes}, {binary_bytes_per_sec}, {eta} left"
        }
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        // indicatif's own `per_sec` shows four decimals of a row.
        .with_key(
            "rows_per_sec",
            |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{}/s", grouped(state.per_sec() as u64));
            },
        )
        .progress_chars("=> ")
}

/// `1,234 rows` or `12.3 MiB`.
fn amount(n: u64, unit: Unit) -> String {
    match unit {
        Unit::Rows => format!("{} rows", grouped(n)),
        Unit::Bytes => {
            let mib = n as f64 / (1024.0 * 1024.0);
            format!("{mib:.1} MiB")
        }
    }
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `seed-demo: writing 40,000 of 100,000 rows (40%), about 6 s left`.
fn progress_line(task: &str, stage: &Stage) -> String {
    let Some(total) = stage.total.filter(|t| *t > 0) else {
        return format!("{task}: {} {} so far", stage.name, amount(stage.done, stage.unit));
    };
    let share = (stage.done.min(total) as f64 / total as f64) * 100.0;
    let elapsed = stage.started.elapsed().as_secs_f64();
    let left = if stage.done > 0 && elapsed > 0.0 {
        let rate = stage.done as f64 / elapsed;
        format!(", about {:.0} s left", total.saturating_sub(stage.done) as f64 / rate)
    } else {
        String::new()
    };
    let counts = match stage.unit {
        Unit::Rows => format!("{} of {} rows", grouped(stage.done), grouped(total)),
        Unit::Bytes => format!("{} of {}", amount(stage.done, Unit::Bytes), amount(total, Unit::Bytes)),
    };
    format!("{task}: {} {counts} ({share:.0}%){left}", stage.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_counts_share_and_estimate() {
        let started = Instant::now() - Duration::from_secs(4);
        let stage = Stage {
            name: "writing",
            unit: Unit::Rows,
            total: Some(100_000),
            done: 40_000,
            started,
            last_line: started,
        };
        let line = progress_line("seed-demo", &stage);
        assert!(
            line.starts_with("seed-demo: writing 40,000 of 100,000 rows (40%), about "),
            "{line}"
        );
        assert!(line.ends_with(" s left"), "{line}");
        let bytes = Stage {
            unit: Unit::Bytes,
            total: None,
            done: 3 * 1024 * 1024,
            ..stage
        };
        assert_eq!(progress_line("backup", &bytes), "backup: writing 3.0 MiB so far");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn hidden_progress_takes_every_call() {
        let progress = Progress::hidden();
        progress.stage("writing", Some(10), Unit::Rows);
        progress.advance(3);
        progress.set_done(10);
        progress.stage_done();
    }
}
