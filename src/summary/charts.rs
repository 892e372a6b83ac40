//! The page's charts, drawn with `plotters` into SVG strings that the page inlines. Colours are
//! colour-blind safe: ColorBrewer's diverging RdBu for signed values (red hostile/negative, blue
//! friendly/positive) and the Okabe–Ito palette for lines.

use super::SummaryError;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// ColorBrewer RdBu, 11 classes, from -1 (red) to +1 (blue).
const RDBU: [(u8, u8, u8); 11] = [
    (0x67, 0x00, 0x1f),
    (0xb2, 0x18, 0x2b),
    (0xd6, 0x60, 0x4d),
    (0xf4, 0xa5, 0x82),
    (0xfd, 0xdb, 0xc7),
    (0xf7, 0xf7, 0xf7),
    (0xd1, 0xe5, 0xf0),
    (0x92, 0xc5, 0xde),
    (0x43, 0x93, 0xc3),
    (0x21, 0x66, 0xac),
    (0x05, 0x30, 0x61),
];

/// Okabe–Ito, without the yellow that vanishes on white.
pub const LINE_COLOURS: [(u8, u8, u8); 7] = [
    (0x00, 0x72, 0xb2),
    (0xd5, 0x5e, 0x00),
    (0x00, 0x9e, 0x73),
    (0xcc, 0x79, 0xa7),
    (0x56, 0xb4, 0xe9),
    (0xe6, 0x9f, 0x00),
    (0x00, 0x00, 0x00),
];

/// The diverging colour of `x` in [-1, 1] (clamped), interpolated between the RdBu classes.
pub fn diverging(x: f64) -> (u8, u8, u8) {
    let x = if x.is_finite() { x.clamp(-1.0, 1.0) } else { 0.0 };
    let pos = (x + 1.0) / 2.0 * (RDBU.len() - 1) as f64;
    let i = (pos.floor() as usize).min(RDBU.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (RDBU[i], RDBU[i + 1]);
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

fn chart_err<E: std::fmt::Display>(e: E) -> SummaryError {
    SummaryError::Chart(e.to_string())
}

/// An axis value: signed, two decimals, a plain 0 (never "-0.00").
fn axis(v: f64) -> String {
    if v.abs() < 0.005 {
        "0".into()
    } else {
        format!("{v:+.2}")
    }
}

/// One bar: a label and a signed value in [-1, 1].
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// Horizontal bars from zero, first bar on top, coloured by value.
pub fn coverage(bars: &[Bar]) -> Result<String, SummaryError> {
    let n = bars.len();
    let height = 50 + 24 * n as u32;
    let reach = bars.iter().map(|b| b.value.abs()).filter(|v| v.is_finite()).fold(0.1_f64, f64::max) * 1.15;
    let reach = reach.min(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(330)
            .build_cartesian_2d(-reach..reach, (0..n as i32).into_segmented())
            .map_err(chart_err)?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if *i >= 0 => {
                bars.get(n.wrapping_sub(1).wrapping_sub(*i as usize)).map(|b| b.label.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(9)
            .y_labels(n)
            .y_label_formatter(&label)
            .x_desc("mean sentiment toward the country (−1 negative … +1 positive)")
            .x_label_formatter(&|x| axis(*x))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(k, b)| {
                let row = (n - 1 - k) as i32;
                let v = if b.value.is_finite() { b.value.clamp(-reach, reach) } else { 0.0 };
                let mut r = Rectangle::new(
                    [(0.0, SegmentValue::Exact(row)), (v, SegmentValue::Exact(row + 1))],
                    rgb(diverging(b.value / reach.max(0.25))).filled(),
                );
                r.set_margin(3, 3, 0, 0);
                r
            }))
            .map_err(chart_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                [(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n as i32))],
                BLACK.stroke_width(1),
            )))
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

/// One line over the buckets; `None` is a bucket without data (a gap).
pub struct Series {
    pub name: String,
    pub points: Vec<Option<f64>>,
}

/// Lines over `labels` (one per bucket), broken where a bucket has no data, with a dot on
/// every point so a single isolated value is seen. The legend is the page's (HTML).
pub fn lines(labels: &[String], series: &[Series], y_desc: &str) -> Result<String, SummaryError> {
    let n = labels.len().max(1);
    let reach = series
        .iter()
        .flat_map(|s| s.points.iter().flatten())
        .map(|v| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.1_f64, f64::max);
    let reach = (reach * 1.15).min(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), -reach..reach)
            .map_err(chart_err)?;
        let xl = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(n.min(8))
            .x_label_formatter(&xl)
            .y_desc(y_desc)
            .y_label_formatter(&|y| axis(*y))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new([(-0.5, 0.0), (n as f64 - 0.5, 0.0)], BLACK.mix(0.4))))
            .map_err(chart_err)?;
        for (k, s) in series.iter().enumerate() {
            let colour = rgb(LINE_COLOURS[k % LINE_COLOURS.len()]);
            let mut run: Vec<(f64, f64)> = Vec::new();
            let points = s.points.iter().map(|p| p.filter(|v| v.is_finite()));
            for (i, p) in points.chain(std::iter::once(None)).enumerate() {
                match p {
                    Some(v) => run.push((i as f64, v)),
                    None if !run.is_empty() => {
                        chart
                            .draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(2)))
                            .map_err(chart_err)?;
                        chart
                            .draw_series(run.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                            .map_err(chart_err)?;
                        run.clear();
                    }
                    None => {}
                }
            }
        }
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_scale_ends_and_middle() {
        assert_eq!(diverging(-1.0), RDBU[0]);
        assert_eq!(diverging(0.0), RDBU[5]);
        assert_eq!(diverging(1.0), RDBU[10]);
        assert_eq!(diverging(7.0), RDBU[10]);
        assert_eq!(diverging(f64::NAN), RDBU[5]);
        assert_eq!(hex((0, 0x30, 0xff)), "#0030ff");
    }

    #[test]
    fn gaps_are_not_drawn_as_zeros() {
        let labels: Vec<String> = (1..=5).map(|d| format!("2024-01-0{d}")).collect();
        let s = Series { name: "a".into(), points: vec![Some(0.5), Some(0.4), None, Some(-0.3), None] };
        let svg = lines(&labels, &[s], "y").unwrap();
        // Two runs: two polylines of the series colour (the zero line is black).
        let colour = hex(LINE_COLOURS[0]).to_uppercase();
        let runs = svg.split('<').filter(|t| t.starts_with("polyline") && t.contains(&colour)).count();
        assert_eq!(runs, 2, "{svg}");
        // Three points have dots.
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
    }
}
