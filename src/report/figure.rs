//! What a plot shows, as plain data: the panels decide it from a run ([`super::panels`]),
//! the renderer draws it ([`super::draw`]). Tests check figures without drawing them.

/// One plot: a PNG and an SVG named after `file`.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File stem under `plots/` (`pods-by-phase` gives `pods-by-phase.svg` and `.png`).
    pub file: String,
    /// Title drawn above the plot.
    pub title: String,
    /// One sentence under the plot in the report: what it shows.
    pub caption: String,
    /// The plot itself.
    pub body: Body,
}

/// Kinds of plot.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Series over simulated time.
    Lines(Lines),
    /// Cumulative distributions.
    Cdf(Cdf),
    /// A value per row and time bucket.
    Heatmap(Heatmap),
    /// Pods on nodes over time.
    Gantt(Gantt),
    /// Means with 95% intervals, one per group.
    Intervals(Intervals),
}

/// A marker on a time axis: a timeline action or a fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Seconds.
    pub time: f64,
    /// What happened.
    pub label: String,
}

/// How values on a y axis are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Whole numbers (pods, nodes, Events).
    Count,
    /// Any number.
    Value,
    /// Fractions drawn as percent.
    Percent,
    /// CPU cores.
    Cores,
    /// Bytes drawn in GiB.
    Bytes,
    /// Seconds.
    Seconds,
}

impl Unit {
    /// Text of the axis for this unit.
    pub fn axis(self, what: &str) -> String {
        match self {
            Unit::Count | Unit::Value => what.to_string(),
            Unit::Percent => format!("{what} (%)"),
            Unit::Cores => format!("{what} (cores)"),
            Unit::Bytes => format!("{what} (GiB)"),
            Unit::Seconds => format!("{what} (s)"),
        }
    }

    /// A value in the axis' unit.
    pub fn scale(self, v: f64) -> f64 {
        match self {
            Unit::Percent => v * 100.0,
            Unit::Bytes => v / (1u64 << 30) as f64,
            _ => v,
        }
    }
}

/// A line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Points, x ascending.
    pub points: Vec<(f64, f64)>,
    /// Dashed (a capacity or a target rather than a measurement).
    pub dashed: bool,
    /// Palette index; `None` takes the next colour.
    pub color: Option<usize>,
}

impl Series {
    /// A solid line in the next colour.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.into(),
            points,
            dashed: false,
            color: None,
        }
    }
}

/// Series over simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct Lines {
    /// The y axis' quantity (the unit is added).
    pub y_label: String,
    /// Unit of the values.
    pub unit: Unit,
    /// The series.
    pub series: Vec<Series>,
    /// Simulated seconds the x axis spans.
    pub duration: f64,
    /// Timeline actions and faults.
    pub markers: Vec<Marker>,
    /// Drawn as stacked areas (the series share their x values), not lines.
    pub stacked: bool,
}

/// Cumulative distributions: each series' points are (value, fraction at or below).
#[derive(Clone, Debug, PartialEq)]
pub struct Cdf {
    /// The x axis' quantity (the unit is added).
    pub x_label: String,
    /// Unit of the values.
    pub unit: Unit,
    /// The distributions.
    pub series: Vec<Series>,
}

/// A value per row and time bucket (e.g. CPU allocation of groups of nodes).
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// What a row is (axis text).
    pub row_label: String,
    /// Simulated seconds the columns span, in equal buckets.
    pub duration: f64,
    /// `cells[row][column]`: a fraction in 0..=1, or NaN where nothing was sampled.
    pub cells: Vec<Vec<f64>>,
    /// What a cell's value is (legend text).
    pub value_label: String,
    /// Timeline actions and faults.
    pub markers: Vec<Marker>,
}

/// Pods on nodes over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Gantt {
    /// Nodes, top to bottom.
    pub nodes: Vec<String>,
    /// Lanes each node's row is split into (pods that overlap in time).
    pub lanes: Vec<usize>,
    /// The pods.
    pub bars: Vec<Bar>,
    /// Legend: what each colour stands for, in palette order.
    pub legend: Vec<String>,
    /// What the colours are (`owner`, `priority`).
    pub colored_by: String,
    /// Pods taken off their node: where and why.
    pub marks: Vec<GanttMark>,
    /// Simulated seconds.
    pub duration: f64,
    /// Timeline actions and faults.
    pub markers: Vec<Marker>,
}

/// A pod on a node.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Node row.
    pub row: usize,
    /// Lane in the row.
    pub lane: usize,
    /// Bound at.
    pub start: f64,
    /// Finished, deleted, or the end of the run.
    pub end: f64,
    /// Legend index.
    pub color: usize,
    /// The pod ended Failed.
    pub failed: bool,
}

/// A pod preempted or evicted.
#[derive(Clone, Debug, PartialEq)]
pub struct GanttMark {
    /// Node row.
    pub row: usize,
    /// Lane in the row.
    pub lane: usize,
    /// When.
    pub time: f64,
    /// The Event's reason (`Preempted`, `Evicted`, ...).
    pub reason: String,
}

/// Means with 95% intervals: one group per profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervals {
    /// The quantity (axis text).
    pub y_label: String,
    /// The groups, left to right.
    pub groups: Vec<Group>,
}

/// One bar of an [`Intervals`] plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Label under the bar.
    pub label: String,
    /// Mean.
    pub mean: f64,
    /// The interval's ends, when there is one.
    pub interval: Option<(f64, f64)>,
}
