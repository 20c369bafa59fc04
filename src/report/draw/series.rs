//! Charts over a continuous axis: lines over time (plain or stacked), cumulative
//! distributions, and means with intervals.

use super::{
    DrawResult, FONT, GRID, Glyph, Legend, MARKER, PALETTE, color, label_style, tick, time_unit,
    y_top,
};
use crate::report::figure::{Cdf, Intervals, Lines, Marker, Series, Unit};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Running sums of series that share their x values: the first, the first two, ...
fn stack(series: &[Series]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::with_capacity(series.len());
    for s in series {
        let mut points = s.points.clone();
        if let Some(below) = out.last() {
            for (p, b) in points.iter_mut().zip(&below.points) {
                p.1 += b.1;
            }
        }
        out.push(Series::new(s.label.clone(), points));
    }
    out
}

/// A sampled series as drawn: each value holds until the next sample (a line between two
/// samples would invent the values in between).
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

pub(super) fn lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    l: &Lines,
) -> Result<Legend, DrawingAreaErrorKind<DB::ErrorType>> {
    let (div, unit) = time_unit(l.duration);
    let stacks = if l.stacked {
        stack(&l.series)
    } else {
        Vec::new()
    };
    let max = l
        .series
        .iter()
        .chain(stacks.last())
        .flat_map(|s| s.points.iter().map(|p| l.unit.scale(p.1)))
        .fold(0.0, f64::max);
    let top = y_top(max);
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..(l.duration / div).max(1e-9), 0.0..top)?;
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_desc(format!("simulated time ({unit})"))
        .y_desc(l.unit.axis(&l.y_label))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| {
            // Counts are whole: no tick at half a pod.
            if l.unit == Unit::Count && v.fract() != 0.0 {
                String::new()
            } else {
                tick(*v)
            }
        })
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
    let mut legend = Vec::new();
    if l.stacked {
        // The highest stack first: each lower one is drawn over it.
        for (i, s) in stacks.iter().enumerate().rev() {
            let c = color(&l.series[i], i);
            let points: Vec<(f64, f64)> = steps(&s.points)
                .into_iter()
                .map(|(x, y)| (x / div, l.unit.scale(y)))
                .collect();
            chart.draw_series(AreaSeries::new(points, 0.0, c.filled()).border_style(c))?;
        }
        for (i, s) in l.series.iter().enumerate() {
            legend.push((s.label.clone(), Glyph::Block(color(s, i))));
        }
        draw_markers(&mut chart, &l.markers, div, top)?;
        return Ok(legend);
    }
    for (i, s) in l.series.iter().enumerate() {
        let c = color(s, i);
        let style = c.stroke_width(2);
        let points: Vec<(f64, f64)> = steps(&s.points)
            .into_iter()
            .map(|(x, y)| (x / div, l.unit.scale(y)))
            .collect();
        if s.dashed {
            chart.draw_series(DashedLineSeries::new(points, 8, 5, style))?;
            legend.push((s.label.clone(), Glyph::Dashed(c)));
        } else {
            chart.draw_series(LineSeries::new(points, style))?;
            legend.push((s.label.clone(), Glyph::Line(c)));
        }
    }
    draw_markers(&mut chart, &l.markers, div, top)?;
    Ok(legend)
}

/// Rows of marker labels under the top of a chart.
const MARKER_ROWS: i32 = 3;

/// A dashed vertical line for each timeline action or fault, and its label in the first
/// row (from the top) where it overlaps no other; a label no row has room for is left out
/// (its line stays), so that close markers, or a week of random faults, stay readable.
pub(super) fn draw_markers<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    markers: &[Marker],
    div: f64,
    top: f64,
) -> DrawResult<DB> {
    let font = (FONT, 12).into_font().color(&MARKER);
    let right = chart.plotting_area().get_pixel_range().0.end;
    let mut order: Vec<&Marker> = markers.iter().collect();
    order.sort_by(|a, b| a.time.total_cmp(&b.time));
    let mut row_end = [i32::MIN; MARKER_ROWS as usize];
    let mut labels = Vec::new();
    let mut lines: Vec<f64> = Vec::new();
    for m in order {
        let x = m.time / div;
        if lines.last() != Some(&x) {
            lines.push(x);
        }
        let px = chart.backend_coord(&(x, top)).0;
        let width = (chart.plotting_area())
            .estimate_text_size(&m.label, &font)
            .map_or(m.label.len() as i32 * 7, |(w, _)| w as i32);
        // Kept inside the chart at the right edge.
        let left = px.min(right - width);
        if let Some(row) = (0..MARKER_ROWS).find(|&r| row_end[r as usize] + 6 <= left) {
            row_end[row as usize] = left + width;
            labels.push((x, m.label.clone(), left - px, row * 14, width));
        }
    }
    for x in lines {
        chart.draw_series(DashedLineSeries::new(
            [(x, 0.0), (x, top)],
            4,
            4,
            MARKER.stroke_width(1),
        ))?;
    }
    // Each label on a light backing, readable over lines and bars.
    for (x, label, dx, dy, width) in labels {
        let backing = Rectangle::new(
            [(dx - 1, dy), (dx + width + 1, dy + 14)],
            WHITE.mix(0.8).filled(),
        );
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, top)) + backing + Text::new(label, (dx, dy), font.clone()),
        ))?;
    }
    Ok(())
}

pub(super) fn cdf<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Cdf,
) -> Result<Legend, DrawingAreaErrorKind<DB::ErrorType>> {
    let max = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| c.unit.scale(p.0)))
        .fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        // A little room left of 0, so that a distribution all at 0 is seen beside the axis.
        .build_cartesian_2d(-y_top(max) * 0.02..y_top(max), 0.0..100.0)?;
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_desc(c.unit.axis(&c.x_label))
        .y_desc("pods at or below (%)")
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
    let mut legend = Vec::new();
    for (i, s) in c.series.iter().enumerate() {
        let col = color(s, i);
        // A step: the fraction holds until the next value.
        let mut steps = vec![(0.0, 0.0)];
        for &(x, f) in &s.points {
            let x = c.unit.scale(x);
            let last = steps.last().map_or(0.0, |p: &(f64, f64)| p.1);
            steps.push((x, last));
            steps.push((x, f * 100.0));
        }
        chart.draw_series(LineSeries::new(steps, col.stroke_width(2)))?;
        legend.push((s.label.clone(), Glyph::Line(col)));
    }
    Ok(legend)
}

pub(super) fn intervals<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    iv: &Intervals,
) -> DrawResult<DB> {
    let n = iv.groups.len().max(1);
    let max = iv
        .groups
        .iter()
        .map(|g| g.interval.map_or(g.mean, |c| c.1.max(g.mean)))
        .fold(0.0, f64::max);
    let min = iv
        .groups
        .iter()
        .map(|g| g.interval.map_or(g.mean, |c| c.0.min(g.mean)))
        .fold(0.0, f64::min);
    let names: Vec<String> = iv.groups.iter().map(|g| g.label.clone()).collect();
    let name_at = move |x: &f64| -> String {
        let i = x - 0.5;
        if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
            names.get(i.round() as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..n as f64, (min * 1.1).min(0.0)..y_top(max))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_labels(n * 2 + 1)
        .x_label_formatter(&name_at)
        .y_label_formatter(&|v| tick(*v))
        .y_desc(iv.y_label.as_str())
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
    for (i, g) in iv.groups.iter().enumerate() {
        let (mean, ci) = (&g.mean, &g.interval);
        let c = PALETTE[i % PALETTE.len()];
        let x = i as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x + 0.25, 0.0), (x + 0.75, *mean)],
            c.mix(0.8).filled(),
        )))?;
        if let Some((lo, hi)) = ci {
            let (mid, cap) = (x + 0.5, 0.08);
            let whisker = [
                vec![(mid, *lo), (mid, *hi)],
                vec![(mid - cap, *lo), (mid + cap, *lo)],
                vec![(mid - cap, *hi), (mid + cap, *hi)],
            ];
            chart.draw_series(
                whisker
                    .into_iter()
                    .map(|p| PathElement::new(p, BLACK.stroke_width(2))),
            )?;
        }
    }
    Ok(())
}
