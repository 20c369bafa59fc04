//! Charts of labelled rows over time: the node heatmap and the Gantt chart of pods on nodes.

use super::series::draw_markers;
use super::{DrawResult, FONT, GRID, Glyph, Legend, PALETTE, label_style, tick, time_unit, wrap};
use crate::report::figure::{Gantt, Heatmap};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The cap of a failed pod's bar.
const FAILED: RGBColor = RGBColor(0x7a, 0x12, 0x12);

/// Viridis at five stops, interpolated: 0 is dark purple, 1 is yellow.
pub fn viridis(v: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let v = v.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (v.floor() as usize).min(STOPS.len() - 2);
    let f = v - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Writes each row's label left of the plot, centred on the row (rows counted from the top).
fn row_labels<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    labels: &[String],
) -> DrawResult<DB> {
    let rows = labels.len();
    let step = rows.div_ceil(40).max(1);
    let (bx, by) = area.get_base_pixel();
    let x0 = chart.x_range().start;
    let style = (FONT, 12)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, label) in labels.iter().enumerate().step_by(step) {
        let (px, py) = chart.backend_coord(&(x0, (rows - i) as f64 - 0.5));
        area.draw(&Text::new(
            label.clone(),
            (px - bx - 6, py - by),
            style.clone(),
        ))?;
    }
    Ok(())
}

/// Pixels left of a plot for row labels as long as the longest of `labels`.
fn label_room(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|r| r.chars().count()).max().unwrap_or(4);
    (longest as u32 * 7 + 24).clamp(60, 260)
}

/// A chart of rows over simulated time.
type RowChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The axes of a chart of labelled rows (top to bottom) over simulated time: the chart, the
/// time unit's divisor and the axis' end in that unit.
fn row_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    duration: f64,
    labels: &[String],
    y_desc: &str,
) -> Result<(RowChart<'a, DB>, f64, f64), DrawingAreaErrorKind<DB::ErrorType>> {
    let (div, unit) = time_unit(duration);
    let rows = labels.len().max(1);
    let end = (duration / div).max(1e-9);
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(label_room(labels))
        .build_cartesian_2d(0.0..end, 0.0..rows as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("simulated time ({unit})"))
        .y_desc(y_desc)
        .y_labels(0)
        .x_label_formatter(&|v| tick(*v))
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
    Ok((chart, div, end))
}

pub(super) fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    side: &DrawingArea<DB, Shift>,
    h: &Heatmap,
) -> DrawResult<DB> {
    let rows = h.rows.len().max(1);
    let columns = h.cells.first().map_or(1, |r| r.len().max(1));
    let (mut chart, div, end) = row_chart(area, h.duration, &h.rows, &h.row_label)?;
    let width = end / columns as f64;
    chart.draw_series(h.cells.iter().enumerate().flat_map(|(r, row)| {
        let y = (rows - 1 - r) as f64;
        row.iter().enumerate().map(move |(c, &v)| {
            let x = c as f64 * width;
            let fill = if v.is_nan() { GRID } else { viridis(v) };
            Rectangle::new([(x, y), (x + width, y + 1.0)], fill.filled())
        })
    }))?;
    row_labels(area, &chart, &h.rows)?;
    draw_markers(&mut chart, &h.markers, div, rows as f64)?;
    color_scale(side, &h.value_label)
}

/// The heatmap's colour scale, 0% to 100%.
fn color_scale<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, label: &str) -> DrawResult<DB> {
    let h = area.dim_in_pixel().1 as i32;
    let (top, bottom) = (30i32, h - 90);
    let steps = 50;
    let step = (bottom - top) as f64 / steps as f64;
    for i in 0..steps {
        let y0 = bottom - ((i + 1) as f64 * step).round() as i32;
        let y1 = bottom - (i as f64 * step).round() as i32;
        let fill = viridis((i as f64 + 0.5) / steps as f64);
        area.draw(&Rectangle::new([(10, y0), (34, y1)], fill.filled()))?;
    }
    let style = label_style().pos(Pos::new(HPos::Left, VPos::Center));
    for (v, text) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
        let y = bottom - ((bottom - top) as f64 * v).round() as i32;
        area.draw(&Text::new(text, (42, y), style.clone()))?;
    }
    for (i, line) in wrap(label, 24).into_iter().enumerate() {
        area.draw(&Text::new(
            line,
            (6, bottom + 16 + i as i32 * 16),
            label_style(),
        ))?;
    }
    Ok(())
}

pub(super) fn gantt<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    g: &Gantt,
) -> Result<Legend, DrawingAreaErrorKind<DB::ErrorType>> {
    let rows = g.nodes.len().max(1);
    let (mut chart, div, end) = row_chart(area, g.duration, &g.nodes, "node")?;
    // A light band behind every other node's row.
    chart.draw_series((0..rows).filter(|r| r % 2 == 1).map(|r| {
        let y = (rows - 1 - r) as f64;
        Rectangle::new(
            [(0.0, y), (end, y + 1.0)],
            RGBColor(0xf4, 0xf4, 0xf4).filled(),
        )
    }))?;
    let lane_box = |row: usize, lane: usize| {
        let lanes = g.lanes.get(row).copied().unwrap_or(1).max(1) as f64;
        let base = (rows - 1 - row) as f64 + 0.08;
        let h = 0.84 / lanes;
        (base + lane as f64 * h, base + (lane as f64 + 1.0) * h)
    };
    chart.draw_series(g.bars.iter().map(|b| {
        let (y0, y1) = lane_box(b.row, b.lane);
        let fill = PALETTE[b.color % PALETTE.len()];
        Rectangle::new([(b.start / div, y0), (b.end / div, y1)], fill.filled())
    }))?;
    // A white edge tells apart pods of one colour that touch (only where bars are few enough
    // to be told apart at all).
    if g.bars.len() <= 600 {
        chart.draw_series(g.bars.iter().map(|b| {
            let (y0, y1) = lane_box(b.row, b.lane);
            Rectangle::new(
                [(b.start / div, y0), (b.end / div, y1)],
                WHITE.stroke_width(1),
            )
        }))?;
    }
    // A failed pod's bar ends in a dark cap, a few pixels wide whatever the time scale.
    let cap = end / 150.0;
    chart.draw_series(g.bars.iter().filter(|b| b.failed).map(|b| {
        let (y0, y1) = lane_box(b.row, b.lane);
        let x1 = b.end / div;
        let x0 = (x1 - cap).max(b.start / div);
        Rectangle::new([(x0, y0), (x1, y1)], FAILED.filled())
    }))?;
    chart.draw_series(g.marks.iter().map(|m| {
        let (y0, y1) = lane_box(m.row, m.lane);
        Cross::new((m.time / div, (y0 + y1) / 2.0), 5, BLACK.stroke_width(2))
    }))?;
    row_labels(area, &chart, &g.nodes)?;
    draw_markers(&mut chart, &g.markers, div, rows as f64)?;
    let mut legend: Legend = g
        .legend
        .iter()
        .enumerate()
        .map(|(i, name)| (name.clone(), Glyph::Block(PALETTE[i % PALETTE.len()])))
        .collect();
    if g.bars.iter().any(|b| b.failed) {
        legend.push(("failed (dark end)".into(), Glyph::Block(FAILED)));
    }
    if !g.marks.is_empty() {
        legend.push(("preempted or evicted".into(), Glyph::Cross));
    }
    Ok(legend)
}
