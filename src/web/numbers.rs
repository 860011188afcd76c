//! The desk's numbers at a glance and its failed-messages tile: the
//! domain's [`DeskNumbers`] turned into three charts ([`super::charts`])
//! and the tables that hold the same numbers, and the outbox's failed
//! count turned into a tile. The desk's home page only asks for these.

use chrono_tz::Europe::London;

use super::{
    charts::{self, LimitBar, Series},
    desk::Tile,
};
use crate::domain::{
    desk_numbers::{DeskNumbers, Outcome},
    requests::Span,
};

/// How many trainers the load chart and its table show (the busiest);
/// the trainers page lists everyone, so the desk stays light however
/// many trainers the network has.
const CHART_TRAINERS: usize = 20;

fn series(outcome: Outcome) -> Series {
    // Okabe and Ito's colours, told apart with any colour vision.
    let (name, colour) = match outcome {
        Outcome::Delivered => ("Delivered", "#009e73"),
        Outcome::Confirmed => ("Confirmed", "#0072b2"),
        Outcome::Declined => ("Declined", "#d55e00"),
        Outcome::Withdrawn => ("Withdrawn", "#999999"),
        Outcome::Cancelled => ("Cancelled", "#cc79a7"),
        Outcome::Open => ("Open", "#e69f00"),
    };
    Series { name, colour }
}

/// "Mar" for a chart's axis.
fn short_month(month: &Span) -> String {
    month.starts_at.with_timezone(&London).format("%b").to_string()
}

/// "Mar 2027" for a table.
fn long_month(month: &Span) -> String {
    month.starts_at.with_timezone(&London).format("%b %Y").to_string()
}

pub struct OutcomeRow {
    pub month: String,
    pub counts: Vec<u64>,
    pub total: u64,
}

pub struct WaitRow {
    pub month: String,
    /// "2.5", or "none confirmed".
    pub median: String,
    pub confirmed: u64,
}

pub struct LoadRow {
    pub name: String,
    pub path: String,
    pub load: u64,
    pub cap: i32,
    pub over: bool,
}

/// What `_desk_numbers.html` shows.
pub struct NumbersView {
    /// The three charts' markup (escaped by [`charts`]).
    pub outcomes_chart: String,
    pub waits_chart: String,
    pub load_chart: String,
    pub outcome_names: Vec<&'static str>,
    pub outcomes: Vec<OutcomeRow>,
    pub waits: Vec<WaitRow>,
    pub load_month: String,
    /// The busiest trainers, as the chart draws them.
    pub loads: Vec<LoadRow>,
    /// How many trainers there are in all, when the chart leaves some out.
    pub load_chart_cut: Option<usize>,
}

impl NumbersView {
    pub fn new(numbers: &DeskNumbers) -> Self {
        let short: Vec<String> = numbers.outcomes.iter().map(|m| short_month(&m.month)).collect();
        let all_series: Vec<Series> = Outcome::ALL.iter().map(|o| series(*o)).collect();
        let outcomes_chart = charts::stacked_bars(
            "chart-outcomes",
            "Requests per month by outcome, as stacked columns; the numbers are in the table that follows.",
            &short,
            &all_series,
            &numbers.outcomes.iter().map(|m| m.counts.to_vec()).collect::<Vec<_>>(),
        );
        let wait_labels: Vec<String> = numbers.waits.iter().map(|w| short_month(&w.month)).collect();
        let waits_chart = charts::bars(
            "chart-waits",
            "Median days from submission to confirmation, by month; the numbers are in the table that follows.",
            &wait_labels,
            &numbers.waits.iter().map(|w| w.median_days).collect::<Vec<_>>(),
        );
        let mut busiest: Vec<&crate::domain::desk_numbers::TrainerLoad> = numbers.loads.iter().collect();
        busiest.sort_by(|a, b| b.load.cmp(&a.load).then_with(|| a.name.cmp(&b.name)));
        busiest.truncate(CHART_TRAINERS);
        let load_chart = charts::limit_bars(
            "chart-load",
            "Each trainer's engagements this month against their monthly cap; the numbers are in the table that follows.",
            &busiest
                .iter()
                .map(|t| LimitBar {
                    label: t.name.clone(),
                    value: t.load,
                    limit: u64::try_from(t.monthly_cap).unwrap_or(0),
                })
                .collect::<Vec<_>>(),
        );
        Self {
            outcomes_chart,
            waits_chart,
            load_chart,
            outcome_names: all_series.iter().map(|s| s.name).collect(),
            outcomes: numbers
                .outcomes
                .iter()
                .map(|m| OutcomeRow {
                    month: long_month(&m.month),
                    counts: m.counts.to_vec(),
                    total: m.total(),
                })
                .collect(),
            waits: numbers
                .waits
                .iter()
                .map(|w| WaitRow {
                    month: long_month(&w.month),
                    median: w
                        .median_days
                        .map_or_else(|| "none confirmed".to_owned(), charts::number),
                    confirmed: w.confirmed,
                })
                .collect(),
            load_month: numbers
                .load_month
                .starts_at
                .with_timezone(&London)
                .format("%B %Y")
                .to_string(),
            loads: busiest
                .iter()
                .map(|t| LoadRow {
                    name: t.name.clone(),
                    path: format!("/desk/trainers/{}", t.trainer_id),
                    load: t.load,
                    cap: t.monthly_cap,
                    over: i64::try_from(t.load).unwrap_or(i64::MAX) > i64::from(t.monthly_cap),
                })
                .collect(),
            load_chart_cut: (numbers.loads.len() > CHART_TRAINERS).then_some(numbers.loads.len()),
        }
    }
}

/// The failed-messages tile: red when any failed; for an admin a link to
/// the retry form, for a coordinator the word that an admin can retry.
pub fn failed_tile(failed: u64, admin: bool) -> Tile {
    Tile {
        label: "Messages that could not be sent",
        count: failed.to_string(),
        href: if admin {
            "/admin#outbox-heading".to_owned()
        } else {
            String::new()
        },
        alarm: (failed > 0).then(|| {
            if admin {
                "Retry them on the admin page".to_owned()
            } else {
                "An admin can retry them".to_owned()
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        desk_numbers::{MonthOutcomes, MonthWait, TrainerLoad, last_months},
        requests::matching::month_of,
    };
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn numbers(trainers: usize) -> DeskNumbers {
        let now = Utc.with_ymd_and_hms(2027, 3, 15, 12, 0, 0).unwrap();
        let months = last_months(now);
        DeskNumbers {
            outcomes: months
                .iter()
                .map(|m| MonthOutcomes {
                    month: *m,
                    counts: [1, 0, 2, 0, 0, 3],
                })
                .collect(),
            waits: months
                .iter()
                .enumerate()
                .map(|(i, m)| MonthWait {
                    month: *m,
                    median_days: (i == 11).then_some(2.5),
                    confirmed: u64::from(i == 11),
                })
                .collect(),
            load_month: month_of(now),
            loads: (0..trainers)
                .map(|i| TrainerLoad {
                    trainer_id: Uuid::nil(),
                    name: format!("Trainer {i:02}"),
                    load: if i == 0 { 5 } else { 1 },
                    monthly_cap: 4,
                })
                .collect(),
        }
    }

    #[test]
    fn the_tables_hold_what_the_charts_draw() {
        let view = NumbersView::new(&numbers(3));
        assert_eq!(view.outcomes.len(), 12);
        assert_eq!(view.outcomes[0].month, "Apr 2026");
        assert_eq!(view.outcomes[11].month, "Mar 2027");
        assert_eq!(
            (view.outcomes[3].counts.clone(), view.outcomes[3].total),
            (vec![1, 0, 2, 0, 0, 3], 6)
        );
        assert_eq!(
            view.outcome_names,
            ["Delivered", "Confirmed", "Declined", "Withdrawn", "Cancelled", "Open"]
        );
        assert_eq!(view.waits[0].median, "none confirmed");
        assert_eq!(view.waits[11].median, "2.5");
        assert_eq!(view.load_month, "March 2027");
        assert!(view.loads[0].over, "5 engagements against a cap of 4");
        assert!(!view.loads[1].over);
        assert!(view.outcomes_chart.contains(">Open</text>") && view.outcomes_chart.contains(">Mar</text>"));
        assert!(view.waits_chart.contains(">2.5</text>"));
        assert!(view.load_chart.contains(">5 of 4</text>"));
        assert_eq!(view.load_chart_cut, None);
    }

    #[test]
    fn the_load_chart_and_its_table_show_the_busiest() {
        let view = NumbersView::new(&numbers(30));
        assert_eq!(view.loads.len(), CHART_TRAINERS);
        assert_eq!(view.loads[0].name, "Trainer 00", "the busiest first");
        assert_eq!(view.load_chart_cut, Some(30));
        assert_eq!(view.load_chart.matches(" of 4</text>").count(), CHART_TRAINERS);
        assert!(view.load_chart.contains(">Trainer 00</text>"), "the busiest first");
    }

    #[test]
    fn the_failed_tile_is_red_only_with_failures_and_links_only_for_admins() {
        let calm = failed_tile(0, false);
        assert_eq!(
            (calm.count.as_str(), calm.alarm.is_none(), calm.href.is_empty()),
            ("0", true, true)
        );
        let coordinator = failed_tile(3, false);
        assert_eq!(coordinator.alarm.as_deref(), Some("An admin can retry them"));
        assert!(coordinator.href.is_empty(), "no link a coordinator cannot open");
        let admin = failed_tile(3, true);
        assert_eq!(admin.href, "/admin#outbox-heading");
        assert!(admin.alarm.is_some());
    }
}
