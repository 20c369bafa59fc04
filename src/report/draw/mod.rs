//! Draws a [`Figure`] with plotters, as SVG text and as PNG bytes. Text is laid out and, in
//! PNGs, drawn with DejaVu Sans embedded in the binary (the `dejavu` crate), so images do not
//! depend on the fonts of the machine.

use super::figure::{Body, Figure, Series};
use plotters::coord::Shift;
use plotters::prelude::*;
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
        return series::intervals(&titled, i);
    }
    let (plot, side) = titled.split_horizontally(titled.dim_in_pixel().0 - SIDE);
    let legend = match &fig.body {
        Body::Lines(l) => series::lines(&plot, l)?,
        Body::Cdf(c) => series::cdf(&plot, c)?,
        Body::Gantt(g) => rows::gantt(&plot, g)?,
        Body::Heatmap(h) => return rows::heatmap(&plot, &side, h),
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

/// `text` in lines of at most about `width` characters, broken at spaces; a word well
/// longer than a line (a quarter more: `deployment/default/a-long-name`, not
/// `ReplicaSet/web-57bddc95d8`, which the margin holds) is broken after a `/` or `-`, or
/// else at the width.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let longest = width + width / 4;
    // Pieces of at most `width` characters, and whether a space comes before each.
    let mut pieces: Vec<(String, bool)> = Vec::new();
    for word in text.split(' ') {
        let mut rest: Vec<char> = word.chars().collect();
        let mut first = true;
        while rest.len() > longest {
            let cut = (rest[..width].iter())
                .rposition(|&c| c == '/' || c == '-')
                .map_or(width, |i| i + 1);
            pieces.push((rest.drain(..cut).collect(), first));
            first = false;
        }
        pieces.push((rest.into_iter().collect(), first));
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (piece, spaced) in pieces {
        let sep = usize::from(spaced && !line.is_empty());
        if !line.is_empty() && line.chars().count() + sep + piece.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        } else if sep == 1 {
            line.push(' ');
        }
        line.push_str(&piece);
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

mod rows;
mod series;

#[cfg(test)]
mod tests;
