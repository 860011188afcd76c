//! Small charts drawn on the server as inline SVG: stacked bars, plain
//! bars with their values, and horizontal bars against a limit. Pure
//! functions from numbers to markup, so they are tested without a page.
//!
//! The pages' policy allows no inline style (`style-src 'self'`), so
//! every colour and size is a presentation attribute (`fill`, `stroke`,
//! `font-size`), which the policy does not govern, and there is no
//! script. Each chart is `role="img"` named by its `<title>`, which says
//! where the same numbers are in a table: the picture is for the eye, the
//! table for everyone. Text from the database (a trainer's name) is
//! escaped here, since the markup reaches the page unescaped.

/// One stacked series: its name (the legend) and colour.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    pub name: &'static str,
    pub colour: &'static str,
}

/// One horizontal bar: what it is, how much, and the limit it is against.
#[derive(Debug, Clone)]
pub struct LimitBar {
    pub label: String,
    pub value: u64,
    pub limit: u64,
}

const WIDTH: f64 = 480.0;
const INK: &str = "#1b1b1b";
const GRID: &str = "#c9c9c9";
const BAR: &str = "#0b4f8a";
const OVER: &str = "#b10e1e";
/// A name longer than this is cut in the picture (the table has it whole).
const LABEL_CHARS: usize = 22;

/// Text made safe inside SVG markup: element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The smallest of 1, 2, 5, 10, 20, 50, … at least `max` (and at least 1):
/// the top of a scale that has round gridlines.
pub fn nice_top(max: f64) -> f64 {
    let mut top = 1.0;
    loop {
        for step in [1.0, 2.0, 5.0] {
            if top * step >= max {
                return top * step;
            }
        }
        top *= 10.0;
    }
}

/// A number as a chart's label: whole numbers without a point, others
/// with one decimal.
pub fn number(value: f64) -> String {
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn open(id: &str, title: &str, height: f64) -> String {
    let (id, title) = (escape(id), escape(title));
    format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{title}</title>"
    )
}

fn text(x: f64, y: f64, anchor: &str, words: &str) -> String {
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" font-size=\"12\" fill=\"{INK}\">{}</text>",
        escape(words)
    )
}

fn rect(x: f64, y: f64, width: f64, height: f64, fill: &str) -> String {
    format!("<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{fill}\"/>")
}

/// The plot area of the column charts, in the SVG's units.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    scale_top: f64,
}

impl Plot {
    fn y(&self, value: f64) -> f64 {
        self.bottom - (self.bottom - self.top) * (value / self.scale_top)
    }

    fn slot(&self, columns: usize) -> f64 {
        (self.right - self.left) / columns.max(1) as f64
    }

    /// Gridlines at 0, half and the top, with their values.
    fn grid(&self) -> String {
        let mut out = String::new();
        for value in [0.0, self.scale_top / 2.0, self.scale_top] {
            let y = self.y(value);
            out.push_str(&format!(
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\" stroke-width=\"1\"/>",
                self.left, self.right
            ));
            out.push_str(&text(self.left - 4.0, y + 4.0, "end", &number(value)));
        }
        out
    }

    fn labels(&self, labels: &[String]) -> String {
        let slot = self.slot(labels.len());
        labels
            .iter()
            .enumerate()
            .map(|(i, label)| text(self.left + slot * (i as f64 + 0.5), self.bottom + 16.0, "middle", label))
            .collect()
    }
}

/// Columns of stacked segments, one column per label, one segment per
/// series (the first at the bottom), with a legend above. `values[i]`
/// holds column `i`'s value for each series.
pub fn stacked_bars(id: &str, title: &str, labels: &[String], series: &[Series], values: &[Vec<u64>]) -> String {
    const HEIGHT: f64 = 250.0;
    let max = values.iter().map(|v| v.iter().sum::<u64>()).max().unwrap_or(0);
    let plot = Plot {
        left: 36.0,
        right: WIDTH - 8.0,
        top: 34.0,
        bottom: HEIGHT - 24.0,
        scale_top: nice_top(max as f64),
    };
    let mut out = open(id, title, HEIGHT);
    let entry = (WIDTH - 8.0) / series.len().max(1) as f64;
    for (i, s) in series.iter().enumerate() {
        let x = 8.0 + entry * i as f64;
        out.push_str(&rect(x, 6.0, 12.0, 12.0, s.colour));
        out.push_str(&text(x + 16.0, 16.0, "start", s.name));
    }
    out.push_str(&plot.grid());
    let slot = plot.slot(labels.len());
    for (i, column) in values.iter().enumerate().take(labels.len()) {
        let x = plot.left + slot * i as f64 + slot * 0.15;
        let mut below = 0u64;
        for (value, s) in column.iter().zip(series) {
            if *value == 0 {
                continue;
            }
            let (top, bottom) = (plot.y((below + value) as f64), plot.y(below as f64));
            out.push_str(&rect(x, top, slot * 0.7, bottom - top, s.colour));
            below += value;
        }
    }
    out.push_str(&plot.labels(labels));
    out.push_str("</svg>");
    out
}

/// One column per label, its value written above it; a missing value
/// draws no column and writes "–".
pub fn bars(id: &str, title: &str, labels: &[String], values: &[Option<f64>]) -> String {
    const HEIGHT: f64 = 220.0;
    let max = values.iter().flatten().fold(0.0_f64, |a, b| a.max(*b));
    let plot = Plot {
        left: 36.0,
        right: WIDTH - 8.0,
        top: 20.0,
        bottom: HEIGHT - 24.0,
        scale_top: nice_top(max),
    };
    let mut out = open(id, title, HEIGHT);
    out.push_str(&plot.grid());
    let slot = plot.slot(labels.len());
    for (i, value) in values.iter().enumerate().take(labels.len()) {
        let middle = plot.left + slot * (i as f64 + 0.5);
        match value {
            Some(value) => {
                let top = plot.y(*value);
                out.push_str(&rect(middle - slot * 0.35, top, slot * 0.7, plot.bottom - top, BAR));
                out.push_str(&text(middle, top - 4.0, "middle", &number(*value)));
            }
            None => out.push_str(&text(middle, plot.bottom - 4.0, "middle", "–")),
        }
    }
    out.push_str(&plot.labels(labels));
    out.push_str("</svg>");
    out
}

/// One row per bar: its label, the value as a filled bar (red past the
/// limit) over the limit as an outline, and "value of limit".
pub fn limit_bars(id: &str, title: &str, rows: &[LimitBar]) -> String {
    const ROW: f64 = 24.0;
    const LEFT: f64 = 160.0;
    const RIGHT: f64 = WIDTH - 64.0;
    let height = ROW * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|r| r.value.max(r.limit)).max().unwrap_or(0).max(1);
    let unit = (RIGHT - LEFT) / max as f64;
    let mut out = open(id, title, height);
    for (i, row) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let label: String = if row.label.chars().count() > LABEL_CHARS {
            row.label.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
        } else {
            row.label.clone()
        };
        out.push_str(&text(LEFT - 6.0, y + 15.0, "end", &label));
        let fill = if row.value > row.limit { OVER } else { BAR };
        if row.value > 0 {
            out.push_str(&rect(LEFT, y + 4.0, unit * row.value as f64, ROW - 8.0, fill));
        }
        out.push_str(&format!(
            "<rect x=\"{LEFT:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"1.5\"/>",
            y + 2.0,
            unit * row.limit as f64,
            ROW - 4.0
        ));
        out.push_str(&text(
            RIGHT + 6.0,
            y + 15.0,
            "start",
            &format!("{} of {}", row.value, row.limit),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("M{i}")).collect()
    }

    const TWO: [Series; 2] = [
        Series {
            name: "done",
            colour: "#009e73",
        },
        Series {
            name: "open",
            colour: "#e69f00",
        },
    ];

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(1.0), 1.0);
        assert_eq!(nice_top(3.0), 5.0);
        assert_eq!(nice_top(7.5), 10.0);
        assert_eq!(nice_top(11.0), 20.0);
        assert_eq!(nice_top(120.0), 200.0);
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
    }

    #[test]
    fn a_stacked_column_is_as_tall_as_its_total() {
        let svg = stacked_bars("c", "Requests", &labels(2), &TWO, &[vec![3, 1], vec![0, 0]]);
        assert!(svg.starts_with("<svg class=\"chart\" id=\"c\""), "{svg}");
        assert!(svg.contains("role=\"img\" aria-labelledby=\"c-title\""));
        assert!(svg.contains("<title id=\"c-title\">Requests</title>"));
        // Scale 0..5 over the plot's 192 units (34 to 226): 3 is 115.2
        // high, 1 is 38.4 on top of it; a column is 0.7 of its 218 wide slot.
        assert!(
            svg.contains("y=\"110.8\" width=\"152.6\" height=\"115.2\" fill=\"#009e73\""),
            "{svg}"
        );
        assert!(
            svg.contains("y=\"72.4\" width=\"152.6\" height=\"38.4\" fill=\"#e69f00\""),
            "{svg}"
        );
        // The empty column draws nothing; the legend names both series.
        assert_eq!(svg.matches("<rect").count(), 2 + 2, "{svg}");
        assert!(svg.contains(">done</text>") && svg.contains(">open</text>"));
        assert!(svg.contains(">M1</text>") && svg.contains(">M2</text>"));
        assert!(!svg.contains("style="), "presentation attributes only");
    }

    #[test]
    fn bars_write_their_values_and_a_dash_for_none() {
        let svg = bars("w", "Waits", &labels(3), &[Some(2.5), None, Some(10.0)]);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">2.5</text>") && svg.contains(">10</text>") && svg.contains(">–</text>"));
        assert!(svg.contains(">M3</text>"));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn limit_bars_mark_what_passes_the_limit_and_escape_names() {
        let rows = [
            LimitBar {
                label: "Sam <b>& co".to_owned(),
                value: 2,
                limit: 4,
            },
            LimitBar {
                label: "A name far longer than any chart has room for".to_owned(),
                value: 5,
                limit: 4,
            },
            LimitBar {
                label: "Idle".to_owned(),
                value: 0,
                limit: 0,
            },
        ];
        let svg = limit_bars("l", "Load", &rows);
        assert!(svg.contains(">Sam &lt;b&gt;&amp; co</text>"), "{svg}");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains(">A name far longer tha…</text>"), "{svg}");
        assert!(svg.contains(">2 of 4</text>") && svg.contains(">5 of 4</text>") && svg.contains(">0 of 0</text>"));
        assert_eq!(
            svg.matches(&format!("fill=\"{OVER}\"")).count(),
            1,
            "only the one past its cap"
        );
        assert!(svg.contains("viewBox=\"0 0 480 80\""), "{svg}");
    }

    #[test]
    fn titles_are_escaped_too() {
        let svg = bars("x", "a \"quoted\" <title>", &[], &[]);
        assert!(svg.contains("a &quot;quoted&quot; &lt;title&gt;"));
    }
}
