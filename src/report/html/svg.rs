//! The charts of the HTML reports, drawn with `plotters` on its SVG backend: horizontal bars,
//! columns and a scatter plot with lines, as inline `<svg>` text that needs no script, font file
//! or network to display.
//!
//! Invariants: text is XML-escaped (by the backend);
//! a bar without a value is drawn as its label and a note (`n/a`), never as a zero-length bar;
//! geometry is computed in f64 from the exact values (pixels only: the figures printed beside the
//! bars are the exact values formatted by the caller); the output depends on the values alone.

use plotters::coord::ranged1d::{SegmentValue, SegmentedCoord};
use plotters::coord::types::RangedCoordusize;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// One bar: its label, its value (None: no data), and the text shown beside it.
pub struct Bar {
    pub label: String,
    pub value: Option<Decimal>,
    pub text: String,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x3b, 0x6e, 0xa8),
    RGBColor(0xe0, 0x7b, 0x39),
    RGBColor(0x4f, 0x9d, 0x69),
    RGBColor(0xb5, 0x48, 0x5d),
    RGBColor(0x7a, 0x5e, 0xa8),
    RGBColor(0x8c, 0x8c, 0x3c),
];
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const MUTED: RGBColor = RGBColor(0x99, 0x99, 0x99);
const REFERENCE: RGBColor = RGBColor(0xb5, 0x48, 0x5d);
const FONT: &str = "sans-serif";
/// Text sizes as plotters takes them: its SVG text comes out at about 0.8 of the size, 12 and 11 px.
const LABEL: u32 = 15;
const NOTE: u32 = 14;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), Box<dyn std::error::Error>>;

fn px(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

/// The SVG of a `width` × `height` chart drawn by `draw` on a white area; the `chart` class lets
/// the page scale it to its width.
fn render(width: u32, height: u32, draw: impl FnOnce(&Area) -> Drawn) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into));
        // Drawing into a string fails only on a coordinate the chart never produces.
        debug_assert!(drawn.is_ok(), "{drawn:?}");
    }
    out.replacen("<svg ", r#"<svg class="chart" role="img" "#, 1)
}

/// `count` slots of a segmented axis (0 to `count` − 1). A range `0..k` of plotters has `k + 1`
/// segments, and `0..0` none that can be drawn on, so one slot is drawn as two with the second empty.
fn segments(count: usize) -> SegmentedCoord<RangedCoordusize> {
    (0..count.saturating_sub(1).max(1)).into_segmented()
}

fn text_style(size: u32, colour: RGBColor, h: HPos) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font()).pos(Pos::new(h, VPos::Center));
    style.color = colour.to_backend_color();
    style
}

/// Horizontal bars, one per row, scaled to the largest value (or `reference`, drawn as a dashed
/// line, e.g. 100%).
pub fn hbars(bars: &[Bar], reference: Option<(Decimal, &str)>) -> String {
    let rows = bars.len().max(1);
    let height = 22 * rows as u32 + 30;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .chain(reference.map(|r| r.0))
        .fold(Decimal::ZERO, Decimal::max);
    // Room to the right of the longest bar for its text.
    let extent = if max.is_zero() { 1.0 } else { px(max) * 1.35 };
    render(760, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(4)
            .y_label_area_size(170)
            .x_label_area_size(18)
            .build_cartesian_2d(0f64..extent, segments(rows))?;
        // Row 0 at the top.
        let at = |i: usize| rows - 1 - i;
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(rows)
            .y_label_style((FONT, LABEL).into_font().color(&INK))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(r) if *r < rows => {
                    labels.get(at(*r)).unwrap_or(&"").to_string()
                }
                _ => String::new(),
            })
            .draw()?;
        for (i, b) in bars.iter().enumerate() {
            let row = at(i);
            let centre = SegmentValue::CenterOf(row);
            match b.value {
                Some(v) => {
                    let w = px(v.max(Decimal::ZERO));
                    let mut bar = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(row)),
                            (w, SegmentValue::Exact(row + 1)),
                        ],
                        PALETTE[0].filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    chart.draw_series([bar])?;
                    let style = text_style(LABEL, BLACK, HPos::Left);
                    let text = Text::new(b.text.clone(), (6, 0), style);
                    chart.draw_series([EmptyElement::at((w, centre)) + text])?;
                }
                None => {
                    let style = text_style(LABEL, MUTED, HPos::Left);
                    chart.draw_series([Text::new(b.text.clone(), (0.0, centre), style)])?;
                }
            }
        }
        if let Some((r, name)) = reference.filter(|_| !max.is_zero()) {
            let x = px(r);
            let line = [(x, SegmentValue::Exact(0)), (x, SegmentValue::Exact(rows))];
            chart.draw_series(DashedLineSeries::new(line, 4, 3, REFERENCE.stroke_width(1)))?;
            let style = text_style(NOTE, INK, HPos::Left);
            chart.draw_series([Text::new(
                name.to_string(),
                (x, SegmentValue::Exact(0)),
                style.pos(Pos::new(HPos::Left, VPos::Top)),
            )])?;
        }
        Ok(())
    })
}

/// Vertical columns (a histogram of counts), labels below.
pub fn columns(bars: &[Bar]) -> String {
    let n = bars.len().max(1);
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .fold(Decimal::ZERO, Decimal::max);
    let top = if max.is_zero() { 1.0 } else { px(max) * 1.15 };
    let width = 108 * n as u32 + 40;
    render(width, 240, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(26)
            .build_cartesian_2d(segments(n), 0f64..top)?;
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_y_axis()
            .x_labels(n)
            .x_label_style((FONT, LABEL).into_font().color(&INK))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).unwrap_or(&"").to_string(),
                _ => String::new(),
            })
            .draw()?;
        for (i, b) in bars.iter().enumerate() {
            let v = px(b.value.unwrap_or_default());
            let mut column = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), v),
                ],
                PALETTE[i % PALETTE.len()].filled(),
            );
            column.set_margin(0, 0, 9, 9);
            chart.draw_series([column])?;
            let style =
                text_style(LABEL, BLACK, HPos::Center).pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series([Text::new(
                b.text.clone(),
                (SegmentValue::CenterOf(i), v),
                style,
            )])?;
        }
        Ok(())
    })
}

/// A point of a scatter plot: its series (colour and legend), x and y.
pub struct Point {
    pub series: String,
    pub x: Decimal,
    pub y: Decimal,
}

/// A line of a series in a scatter plot (a plan's payout curve), with its legend text.
pub struct Polyline {
    pub series: String,
    pub legend: String,
    /// (x, y), by x.
    pub points: Vec<(Decimal, Decimal)>,
}

/// A scatter plot of attainments (x, a ratio shown as a percentage) against amounts (y), with axes
/// from zero, a dashed line at 100%, a legend of the series and the axis names; a line per series
/// (`lines`) is drawn under its points, in the series' colour, and the axes cover the lines too.
pub fn scatter_with_lines(
    points: &[Point],
    lines: &[Polyline],
    x_name: &str,
    y_name: &str,
) -> String {
    let line_points = || lines.iter().flat_map(|l| l.points.iter().copied());
    let max_x = points
        .iter()
        .map(|p| p.x)
        .chain(line_points().map(|p| p.0))
        .fold(Decimal::ONE, Decimal::max);
    let max_y = points
        .iter()
        .map(|p| p.y)
        .chain(line_points().map(|p| p.1))
        .fold(Decimal::ZERO, Decimal::max);
    let top = if max_y.is_zero() {
        1.0
    } else {
        px(max_y) * 1.05
    };
    let mut series: Vec<&str> = points
        .iter()
        .map(|p| p.series.as_str())
        .chain(lines.iter().map(|l| l.series.as_str()))
        .collect();
    series.sort();
    series.dedup();
    let colour =
        |name: &str| PALETTE[series.iter().position(|s| *s == name).unwrap_or(0) % PALETTE.len()];
    render(900, 380, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..px(max_x) * 1.05, 0f64..top)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .x_desc(x_name)
            .y_desc(y_name)
            .label_style((FONT, LABEL).into_font().color(&INK))
            .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
            .y_label_formatter(&|y| grouped_whole(*y))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            [(1.0, 0.0), (1.0, top)],
            4,
            3,
            REFERENCE.stroke_width(1),
        ))?;
        for l in lines {
            let c = colour(&l.series);
            let coords = l.points.iter().map(|&(x, y)| (px(x), px(y)));
            chart
                .draw_series(LineSeries::new(coords, c.stroke_width(2)))?
                .label(l.legend.clone())
                .legend(swatch(c));
        }
        for name in &series {
            let c = colour(name);
            let dots = points
                .iter()
                .filter(|p| p.series == *name)
                .map(|p| Circle::new((px(p.x), px(p.y)), 5, c.filled()));
            let drawn = chart.draw_series(dots)?;
            if !lines.iter().any(|l| l.series == *name) {
                drawn.label(name.to_string()).legend(swatch(c));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, LABEL).into_font().color(&INK))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()?;
        Ok(())
    })
}

/// A series' square in the legend, in its colour.
fn swatch(c: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled())
}

/// A tick label of an amount axis: whole units with thousands separators.
fn grouped_whole(v: f64) -> String {
    let whole = Decimal::from_f64_retain(v.round()).unwrap_or_default();
    crate::report::format::grouped(whole.round(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<i64>) -> Bar {
        Bar {
            label: label.into(),
            value: value.map(Decimal::from),
            text: value.map_or("n/a".into(), |v| v.to_string()),
        }
    }

    /// The value of attribute `name` of each `tag` element filled with `fill`, in order.
    fn attrs(svg: &str, tag: &str, fill: &str, name: &str) -> Vec<i64> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter(|e| e.contains(&format!("fill=\"{fill}\"")))
            .filter_map(|e| {
                let e = format!(" {e}");
                let at = e.find(&format!(" {name}=\""))? + name.len() + 3;
                e[at..].split('"').next()?.parse().ok()
            })
            .collect()
    }

    /// The `y` of the text element reading `text`.
    fn text_y(svg: &str, text: &str) -> i64 {
        let end = svg.find(&format!(">\n{text}\n</text>")).expect(text);
        let start = svg[..end].rfind("<text ").expect("a text element");
        attrs(&svg[start..], "text", "#333333", "y")[0]
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_labels() {
        let svg = hbars(
            &[
                bar("A<1>", Some(50)),
                bar("B & co", Some(100)),
                bar("C", None),
            ],
            None,
        );
        // Two bars, the first half as long as the second (a pixel either way for rounding).
        let widths = attrs(&svg, "rect", "#3B6EA8", "width");
        assert_eq!(widths.len(), 2, "{svg}");
        assert!((widths[1] - 2 * widths[0]).abs() <= 1, "{widths:?}");
        assert!(
            svg.contains("A&lt;1&gt;") && svg.contains("B &amp; co"),
            "{svg}"
        );
        // No data: the note, no bar.
        assert!(svg.contains("\nn/a\n"), "{svg}");
        // Top to bottom in the given order.
        assert!(text_y(&svg, "A&lt;1&gt;") < text_y(&svg, "B &amp; co"));
        assert!(text_y(&svg, "B &amp; co") < text_y(&svg, "C"));
        let ys = attrs(&svg, "rect", "#3B6EA8", "y");
        assert!(ys[0] < ys[1], "{ys:?}");
    }

    #[test]
    fn a_reference_line_extends_the_scale() {
        // 50 against a reference of 200: the bar reaches a quarter of the way to the dashed line.
        let svg = hbars(&[bar("A", Some(50))], Some((Decimal::from(200), "100%")));
        let bar_x = attrs(&svg, "rect", "#3B6EA8", "x")[0];
        let bar_w = attrs(&svg, "rect", "#3B6EA8", "width")[0];
        let dash = svg
            .split("<polyline ")
            .find(|e| e.contains("stroke=\"#B5485D\""))
            .unwrap_or_else(|| panic!("a dashed reference line: {svg}"));
        let line_x: i64 = dash
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            ((line_x - bar_x) - 4 * bar_w).abs() <= 4,
            "bar {bar_x}+{bar_w}, line {line_x}"
        );
        assert!(svg.contains("\n100%\n"), "{svg}");
    }

    #[test]
    fn columns_and_scatter_draw_one_shape_per_value() {
        let svg = columns(&[bar("<50%", Some(1)), bar("50–75%", Some(2))]);
        // One column per value in its own colour, the second twice as high.
        let (first, second) = (
            attrs(&svg, "rect", "#3B6EA8", "height"),
            attrs(&svg, "rect", "#E07B39", "height"),
        );
        assert_eq!((first.len(), second.len()), (1, 1), "{svg}");
        assert!(
            (second[0] - 2 * first[0]).abs() <= 1,
            "{first:?} {second:?}"
        );
        assert!(svg.contains("&lt;50%"), "{svg}");
        let p = |x: i64, y: i64| Point {
            series: "ae".into(),
            x: Decimal::new(x, 2),
            y: Decimal::from(y),
        };
        let svg = scatter_with_lines(&[p(50, 10), p(150, 30)], &[], "attainment", "payable");
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        // The larger attainment is further right, the larger amount higher up.
        let cx = attrs(&svg, "circle", "#3B6EA8", "cx");
        let cy = attrs(&svg, "circle", "#3B6EA8", "cy");
        assert!(cx[0] < cx[1] && cy[0] > cy[1], "{cx:?} {cy:?}");
        assert!(
            svg.contains("\nattainment\n") && svg.contains("\nae\n"),
            "{svg}"
        );
    }

    #[test]
    fn lines_are_drawn_in_their_series_colour_with_their_legend() {
        let line = Polyline {
            series: "ae".into(),
            legend: "ae: mean quota 1,000".into(),
            points: vec![
                (Decimal::ZERO, Decimal::ZERO),
                (Decimal::ONE, Decimal::from(100)),
                (Decimal::new(15, 1), Decimal::from(200)),
            ],
        };
        let dot = Point {
            series: "ae".into(),
            x: Decimal::ONE,
            y: Decimal::from(100),
        };
        let svg = scatter_with_lines(&[dot], &[line], "attainment", "payable");
        let curve = svg
            .split("<polyline ")
            .find(|e| e.contains("stroke=\"#3B6EA8\"") && e.contains("stroke-width=\"2\""))
            .expect("the curve");
        // Three points, the dot on the middle one.
        let points: Vec<&str> = curve
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(points.len(), 3, "{curve}");
        let (cx, cy) = (
            attrs(&svg, "circle", "#3B6EA8", "cx")[0],
            attrs(&svg, "circle", "#3B6EA8", "cy")[0],
        );
        assert_eq!(points[1], format!("{cx},{cy}"));
        assert!(svg.contains("\nae: mean quota 1,000\n"), "{svg}");
    }

    #[test]
    fn zero_values_draw_nothing_and_divide_by_nothing() {
        let svg = hbars(&[bar("A", Some(0))], None);
        assert!(
            attrs(&svg, "rect", "#3B6EA8", "width")
                .iter()
                .all(|&w| w == 0),
            "{svg}"
        );
        let svg = columns(&[bar("A", Some(0))]);
        assert!(
            attrs(&svg, "rect", "#3B6EA8", "height")
                .iter()
                .all(|&h| h == 0),
            "{svg}"
        );
        let svg = scatter_with_lines(&[], &[], "attainment", "payable");
        assert!(svg.starts_with("<svg class=\"chart\""), "{svg}");
    }
}
