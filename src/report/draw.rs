//! Draws a [`Figure`] with plotters, as SVG text and as PNG bytes. Text is laid out and, in
//! PNGs, drawn with DejaVu Sans embedded in the binary (the `dejavu` crate), so images do not
//! depend on the fonts of the machine.

use super::figure::{Body, Cdf, Figure, Gantt, Heatmap, Intervals, Lines, Marker, Series, Unit};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

/// Image size in pixels.
pub const WIDTH: u32 = 960;
/// Image height.
pub const HEIGHT: u32 = 520;

/// The font family every text uses (registered from embedded bytes).
const FONT: &str = "sans-serif";

/// Tableau 10: distinct and readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0x79, 0x70, 0x6e),
];

/// Grid and axis colours.
const GRID: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);
const MARKER: RGBColor = RGBColor(0x55, 0x55, 0x55);

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Registers the embedded font once per process.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the crate: registration cannot fail
        // on them, and if it did, text would be missing rather than the run lost.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The figure as an SVG document.
pub fn svg(fig: &Figure) -> Result<String, String> {
    register_font();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        draw(fig, &root).map_err(|e| format!("{}: {e}", fig.file))?;
        root.present().map_err(|e| format!("{}: {e}", fig.file))?;
    }
    Ok(text)
}

/// The figure as a PNG image.
pub fn png(fig: &Figure) -> Result<Vec<u8>, String> {
    register_font();
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let bitmap = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT));
        let root = super::raster::Raster(bitmap).into_drawing_area();
        draw(fig, &root).map_err(|e| format!("{}: {e}", fig.file))?;
        root.present().map_err(|e| format!("{}: {e}", fig.file))?;
    }
    encode_png(&pixels, WIDTH, HEIGHT).map_err(|e| format!("{}: {e}", fig.file))
}

/// RGB pixels as PNG bytes.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(pixels, width, height, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Width of the column beside the plot that holds its legend or colour scale.
const SIDE: u32 = 210;

fn draw<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let titled = root.titled(&fig.title, (FONT, 22).into_font().style(FontStyle::Bold))?;
    if let Body::Intervals(i) = &fig.body {
        return intervals(&titled, i);
    }
    let (plot, side) = titled.split_horizontally(titled.dim_in_pixel().0 - SIDE);
    let legend = match &fig.body {
        Body::Lines(l) => lines(&plot, l)?,
        Body::Cdf(c) => cdf(&plot, c)?,
        Body::Gantt(g) => gantt(&plot, g)?,
        Body::Heatmap(h) => return heatmap(&plot, &side, h),
        Body::Intervals(_) => Vec::new(),
    };
    side_legend(&side, &legend)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
enum Glyph {
    Line(RGBColor),
    Dashed(RGBColor),
    Block(RGBColor),
    Cross,
}

/// The legend in the column beside the plot, labels wrapped to fit.
fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(String, Glyph)],
) -> DrawResult<DB> {
    let style = (FONT, 13).into_font().color(&BLACK);
    let mut y = 24;
    for (label, glyph) in items {
        let mid = y + 7;
        match *glyph {
            Glyph::Line(c) => area.draw(&PathElement::new(
                vec![(6, mid), (30, mid)],
                c.stroke_width(3),
            ))?,
            Glyph::Dashed(c) => {
                for x in [6, 16, 26] {
                    area.draw(&PathElement::new(
                        vec![(x, mid), (x + 6, mid)],
                        c.stroke_width(3),
                    ))?;
                }
            }
            Glyph::Block(c) => {
                area.draw(&Rectangle::new([(6, y + 1), (30, y + 13)], c.filled()))?
            }
            Glyph::Cross => area.draw(&Cross::new((18, mid), 5, BLACK.stroke_width(2)))?,
        }
        for line in wrap(label, 24) {
            area.draw(&Text::new(line, (38, y), style.clone()))?;
            y += 16;
        }
        y += 6;
        if y > area.dim_in_pixel().1 as i32 - 20 {
            break;
        }
    }
    Ok(())
}

/// `text` in lines of at most about `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// An axis value: `12`, `0.25`, `1.5k`, `2.3M`.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{x:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let text = if text == "-0" { "0" } else { text };
    format!("{text}{suffix}")
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

/// Simulated time on an axis: divisor and unit name, by the run's length.
pub fn time_unit(duration: f64) -> (f64, &'static str) {
    if duration <= 600.0 {
        (1.0, "s")
    } else if duration <= 36_000.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

fn color(s: &Series, i: usize) -> RGBColor {
    PALETTE[s.color.unwrap_or(i) % PALETTE.len()]
}

/// Top of a y axis for values up to `max`: a little headroom, never empty.
fn y_top(max: f64) -> f64 {
    if max > 0.0 { max * 1.1 } else { 1.0 }
}

fn label_style() -> TextStyle<'static> {
    (FONT, 14).into_font().color(&BLACK)
}

type Legend = Vec<(String, Glyph)>;

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

fn lines<DB: DrawingBackend>(
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

/// A dashed vertical line and its label for each timeline action or fault.
fn draw_markers<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    markers: &[Marker],
    div: f64,
    top: f64,
) -> DrawResult<DB> {
    for m in markers {
        let x = m.time / div;
        chart.draw_series(DashedLineSeries::new(
            [(x, 0.0), (x, top)],
            4,
            4,
            MARKER.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            m.label.clone(),
            (x, top),
            (FONT, 12).into_font().color(&MARKER),
        )))?;
    }
    Ok(())
}

fn cdf<DB: DrawingBackend>(
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

/// Pixels left of a plot for row labels as long as the longest of `labels`.
fn label_room(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|r| r.chars().count()).max().unwrap_or(4);
    (longest as u32 * 7 + 24).clamp(60, 260)
}

fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    side: &DrawingArea<DB, Shift>,
    h: &Heatmap,
) -> DrawResult<DB> {
    let (div, unit) = time_unit(h.duration);
    let rows = h.rows.len().max(1);
    let columns = h.cells.first().map_or(1, |r| r.len().max(1));
    let end = (h.duration / div).max(1e-9);
    let width = end / columns as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(label_room(&h.rows))
        .build_cartesian_2d(0.0..end, 0.0..rows as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("simulated time ({unit})"))
        .y_desc(h.row_label.as_str())
        .y_labels(0)
        .x_label_formatter(&|v| tick(*v))
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
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

fn gantt<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    g: &Gantt,
) -> Result<Legend, DrawingAreaErrorKind<DB::ErrorType>> {
    let (div, unit) = time_unit(g.duration);
    let rows = g.nodes.len().max(1);
    let end = (g.duration / div).max(1e-9);
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(label_room(&g.nodes))
        .build_cartesian_2d(0.0..end, 0.0..rows as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("simulated time ({unit})"))
        .y_desc("node")
        .y_labels(0)
        .x_label_formatter(&|v| tick(*v))
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
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
    if !g.marks.is_empty() {
        legend.push(("preempted or evicted".into(), Glyph::Cross));
    }
    Ok(legend)
}

fn intervals<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, iv: &Intervals) -> DrawResult<DB> {
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

#[cfg(test)]
mod tests {
    use super::super::figure::{Lines, Unit};
    use super::*;

    fn two_lines() -> Figure {
        Figure {
            file: "t".into(),
            title: "Pods by phase".into(),
            caption: String::new(),
            body: Body::Lines(Lines {
                y_label: "pods".into(),
                unit: Unit::Count,
                series: vec![
                    Series::new("Running", vec![(0.0, 1.0), (60.0, 5.0), (120.0, 3.0)]),
                    Series {
                        dashed: true,
                        ..Series::new("allocatable", vec![(0.0, 8.0), (120.0, 8.0)])
                    },
                ],
                duration: 120.0,
                markers: vec![Marker {
                    time: 30.0,
                    label: "node-crash a".into(),
                }],
                stacked: false,
            }),
        }
    }

    #[test]
    fn the_svg_has_its_title_axes_series_and_markers() {
        let svg = svg(&two_lines()).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for text in [
            "Pods by phase",
            "simulated time (s)",
            "\npods\n",
            "Running",
            "allocatable",
            "node-crash a",
        ] {
            assert!(svg.contains(text), "no {text} in the SVG");
        }
        assert_eq!(
            svg.matches("<text").count(),
            22,
            "title, axes, ticks and labels"
        );
        // The solid series is one line in the first colour (and its legend glyph); the dashed
        // one is segments in the second.
        let solid = svg.matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#4E79A7\"");
        assert_eq!(solid.count(), 2);
        let dashes = svg.matches("stroke=\"#F28E2B\"").count();
        assert!(dashes > 10, "{dashes} dashes");
    }

    #[test]
    fn the_png_has_its_size_and_is_not_one_colour() {
        let png = png(&two_lines()).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        let first = img.get_pixel(0, 0);
        let different = img.pixels().filter(|p| *p != first).count();
        assert!(
            different > 5_000,
            "{different} pixels differ from the background"
        );
        // Text was drawn with the embedded font: dark pixels in the title band.
        let dark = (0..30)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 100))
            .count();
        assert!(dark > 50, "{dark} dark pixels in the title");
    }

    #[test]
    fn ticks_read_well() {
        assert_eq!(tick(45.0), "45");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.126), "0.13");
        assert_eq!(tick(12_500.0), "12.5k");
        assert_eq!(tick(3_000_000.0), "3M");
        assert_eq!(tick(-0.0), "0");
    }

    #[test]
    fn labels_wrap_at_spaces() {
        assert_eq!(
            wrap("node(s) had untolerated taint {gpu: present}", 24),
            ["node(s) had untolerated", "taint {gpu: present}"]
        );
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(2.0), viridis(1.0));
    }
}
