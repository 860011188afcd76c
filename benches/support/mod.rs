//! What the in-process benchmarks share: the full run or the smoke run, a
//! timing loop that interleaves a case with its baseline, and the table.
//!
//! Figures are medians of single operations, and every case is reported as
//! a ratio to a baseline timed in the same run, in alternating batches, so
//! that whatever else the machine is doing weighs on both alike.
#![allow(dead_code)]

pub mod baseline;
pub mod databases;

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// How much a bench binary does.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `cargo bench` passes `--bench`; without it (`cargo test` runs bench
    /// targets that set `test = true`) only a smoke run: the same code on
    /// small data, a couple of iterations, no figure checked.
    pub full: bool,
    warmup: usize,
    min_runs: usize,
    min_time: Duration,
    batch: usize,
}

impl Settings {
    pub fn from_args() -> Self {
        let full = std::env::args().any(|arg| arg == "--bench");
        if full {
            Self {
                full,
                warmup: 20,
                min_runs: 200,
                min_time: Duration::from_secs(2),
                batch: 10,
            }
        } else {
            Self {
                full,
                warmup: 0,
                min_runs: 2,
                min_time: Duration::ZERO,
                batch: 1,
            }
        }
    }

    /// Whether a smoke run is wanted: `cargo test FILTER` hands its filter
    /// to every test binary, so the smoke run of bench `name` runs when
    /// there is no filter or one is part of `name`, as a test's would.
    pub fn selected(&self, name: &str) -> bool {
        let mut filters = std::env::args().skip(1).filter(|arg| !arg.starts_with('-')).peekable();
        self.full || filters.peek().is_none() || filters.any(|filter| name.contains(filter.as_str()))
    }

    /// The full size, or the smoke run's.
    pub fn pick<T>(&self, full: T, smoke: T) -> T {
        if self.full { full } else { smoke }
    }
}

/// Durations of single operations, sorted.
#[derive(Debug, Clone)]
pub struct Sample(Vec<Duration>);

impl Sample {
    pub fn new(mut times: Vec<Duration>) -> Self {
        times.sort_unstable();
        Self(times)
    }

    pub fn quantile(&self, q: f64) -> Duration {
        let last = self.0.len().saturating_sub(1);
        self.0
            .get(((last as f64) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    }

    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    pub fn p90(&self) -> Duration {
        self.quantile(0.9)
    }

    pub fn runs(&self) -> usize {
        self.0.len()
    }
}

/// Times `case` and `baseline` in alternating batches after a warm-up of
/// each, until both have run `min_runs` times and `min_time` has passed.
pub async fn compare<A, FA, B, FB>(settings: &Settings, mut case: A, mut baseline: B) -> (Sample, Sample)
where
    A: FnMut() -> FA,
    FA: Future<Output = ()>,
    B: FnMut() -> FB,
    FB: Future<Output = ()>,
{
    for _ in 0..settings.warmup {
        case().await;
        baseline().await;
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while ours.len() < settings.min_runs || started.elapsed() < settings.min_time {
        for _ in 0..settings.batch {
            let t = Instant::now();
            case().await;
            ours.push(t.elapsed());
        }
        for _ in 0..settings.batch {
            let t = Instant::now();
            baseline().await;
            theirs.push(t.elapsed());
        }
        if ours.len() >= 100_000 {
            break;
        }
    }
    (Sample::new(ours), Sample::new(theirs))
}

/// One line of the table.
pub struct Row {
    pub backend: &'static str,
    pub case: String,
    pub sample: Sample,
    pub baseline_name: &'static str,
    pub baseline: Sample,
}

impl Row {
    /// `case` against `baseline_name` on `backend`, from what [`compare`]
    /// measured.
    pub fn new(
        backend: &'static str,
        case: impl Into<String>,
        baseline_name: &'static str,
        (sample, baseline): (Sample, Sample),
    ) -> Self {
        Self {
            backend,
            case: case.into(),
            sample,
            baseline_name,
            baseline,
        }
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn print_table(rows: &[Row]) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{} cores, load average {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "{:<8} {:<44} {:>6} {:>11} {:>11} {:<26} {:>11} {:>7} {:>9}",
        "database", "case", "runs", "median µs", "p90 µs", "baseline", "median µs", "ratio", "rate"
    );
    for row in rows {
        let ratio = micros(row.sample.median()) / micros(row.baseline.median()).max(f64::MIN_POSITIVE);
        println!(
            "{:<8} {:<44} {:>6} {:>11.0} {:>11.0} {:<26} {:>11.0} {:>7.2} {:>8.0}%",
            row.backend,
            row.case,
            row.sample.runs(),
            micros(row.sample.median()),
            micros(row.sample.p90()),
            row.baseline_name,
            micros(row.baseline.median()),
            ratio,
            100.0 / ratio
        );
    }
    println!(
        "ratio: median time of the case over its baseline's; rate: the case's operations per second as a \
         share of the baseline's"
    );
}
