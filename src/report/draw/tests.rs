use super::rows::viridis;
use super::*;
use crate::report::figure::{Lines, Marker, Unit};

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

/// Twenty markers a second apart on a two-minute axis: labels fill three rows (and again
/// once the first labels end), the rest are left out (their lines stay); two at one instant
/// go one under the other; one at the end is drawn inside the chart.
#[test]
fn close_markers_keep_their_lines_and_only_the_labels_that_fit() {
    let mut fig = two_lines();
    let Body::Lines(l) = &mut fig.body else {
        unreachable!()
    };
    l.markers = (0..20)
        .map(|i| Marker {
            time: 10.0 + f64::from(i),
            label: format!("node-crash n-{i}"),
        })
        .collect();
    l.markers.push(Marker {
        time: 10.0,
        label: "zone-outage a for 1m".into(),
    });
    l.markers.push(Marker {
        time: 120.0,
        label: "node-recover n-19".into(),
    });
    let svg = svg(&fig).unwrap();
    let drawn: Vec<String> = (0..20)
        .map(|i| format!("\nnode-crash n-{i}\n"))
        .filter(|t| svg.contains(t.as_str()))
        .collect();
    assert!(
        drawn.len() <= 4 && drawn[0] == "\nnode-crash n-0\n",
        "{drawn:?}"
    );
    assert!(svg.contains("\nzone-outage a for 1m\n"));
    assert!(svg.contains("\nnode-recover n-19\n"));
    // Every marker keeps its line: dashes at each of the 21 distinct times.
    let marker_dashes = svg.matches("stroke=\"#555555\"").count();
    assert!(marker_dashes >= 21 * 10, "{marker_dashes} marker dashes");
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
fn labels_wrap_at_spaces_and_long_names_at_slashes() {
    assert_eq!(
        wrap("node(s) had untolerated taint {gpu: present}", 24),
        ["node(s) had untolerated", "taint {gpu: present}"]
    );
    assert_eq!(wrap("", 10), [""]);
    // A name longer than a line breaks after a slash or a dash, else at the width.
    assert_eq!(
        wrap("deployment/default/checkout-service-v2 offered", 24),
        ["deployment/default/", "checkout-service-v2", "offered"]
    );
    assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    // A little longer than a line is left whole.
    assert_eq!(
        wrap("ReplicaSet/web-57bddc95d8", 24),
        ["ReplicaSet/web-57bddc95d8"]
    );
}

#[test]
fn viridis_runs_from_purple_to_yellow() {
    assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
    assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    assert_eq!(viridis(2.0), viridis(1.0));
}
