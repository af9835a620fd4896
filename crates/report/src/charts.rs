//! The report's charts, drawn once as SVG with plotters: the HTML report
//! embeds the SVG and the PDF draws the same SVG through usvg.

use crate::model::{DayActivity, Night, Week};
use crate::ReportError;
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use phr_model::Lang;
use plotters::prelude::*;

/// Minutes per actogram bin.
const BIN_MINUTES: usize = 10;
const INK: RGBColor = RGBColor(31, 78, 121);
const MISSING: RGBColor = RGBColor(200, 200, 200);
const REST: RGBColor = RGBColor(226, 232, 246);
const GRID: RGBColor = RGBColor(150, 150, 150);
/// Outline of the minutes a clock change skipped (a white strip, dashed).
const CLOCK: RGBColor = RGBColor(214, 110, 0);
const FONT: &str = "sans-serif";

fn chart_error<E: std::error::Error + Send + Sync>(err: DrawingAreaErrorKind<E>) -> ReportError {
    ReportError::Chart(err.to_string())
}

/// One bin of a day: the mean count of its recorded minutes, or `None`
/// when fewer than half of them were recorded. Minutes the clock skipped
/// (`DayActivity::skipped`) do not count either way; a bin made only of
/// them is `Some(0.0)` (drawn flat, under the "clock changed" strip).
fn bins(day: &DayActivity) -> Vec<Option<f64>> {
    let skipped = &day.skipped;
    (0..day.minutes.len())
        .step_by(BIN_MINUTES)
        .map(|start| {
            let end = (start + BIN_MINUTES).min(day.minutes.len());
            let existing: Vec<Option<f64>> = (start..end)
                .filter(|m| !skipped.contains(m))
                .map(|m| day.minutes[m])
                .collect();
            if existing.is_empty() {
                return Some(0.0);
            }
            let present: Vec<f64> = existing.iter().flatten().copied().collect();
            (present.len() * 2 >= existing.len())
                .then(|| present.iter().sum::<f64>() / present.len() as f64)
        })
        .collect()
}

/// The count that fills a row: the 95th percentile of non-zero bins, so a
/// few very active minutes do not flatten everything else.
fn scale(binned: &[Vec<Option<f64>>]) -> f64 {
    let mut values: Vec<f64> = binned
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|v| *v > 0.0)
        .collect();
    if values.is_empty() {
        return 1.0;
    }
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) * 95 / 100].max(1.0)
}

/// Hours from the row's first midnight (0 to 48) of a local time.
fn hours_from(row_day: NaiveDate, time: NaiveDateTime) -> f64 {
    let days = (time.date() - row_day).num_days() as f64;
    days * 24.0 + f64::from(time.hour()) + f64::from(time.minute()) / 60.0
}

/// Rough width in pixels of `text` drawn by plotters at font size `size`
/// in a sans-serif face (wide characters one em, others a little over
/// half), for laying out the key. Plotters' SVG writes `size / 1.24` as
/// the font size.
fn text_px(text: &str, size: u32) -> u32 {
    let ems: f64 = text
        .chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.58 })
        .sum();
    (ems * f64::from(size) / 1.24).ceil() as u32
}

/// What a key entry's swatch looks like.
#[derive(Clone, Copy)]
enum Swatch {
    Activity,
    NoData,
    Night,
    ClockChanged,
}

/// The key's entries in order, with their labels in `lang`.
fn key_entries(lang: Lang) -> [(Swatch, &'static str); 4] {
    let l = crate::text::labels(lang);
    [
        (Swatch::Activity, l.key_activity),
        (Swatch::NoData, l.key_no_data),
        (Swatch::Night, l.key_night),
        (Swatch::ClockChanged, l.key_clock_changed),
    ]
}

const KEY_FONT: u32 = 13;
const KEY_ROW: u32 = 18;
const KEY_SWATCH: u32 = 14;
/// Left edge of the key, under the date labels.
const KEY_LEFT: i32 = 12;

/// Entry positions of the key, flowing into rows within `width`: the
/// swatch's left edge and row of each entry, and the number of rows.
fn key_layout(lang: Lang, width: u32) -> (Vec<(i32, u32)>, u32) {
    let mut at = Vec::new();
    let (mut x, mut row) = (KEY_LEFT, 0u32);
    for (_, label) in key_entries(lang) {
        let w = (KEY_SWATCH + 5 + text_px(label, KEY_FONT) + 14) as i32;
        if x > KEY_LEFT && x + w > width as i32 - 8 {
            x = KEY_LEFT;
            row += 1;
        }
        at.push((x, row));
        x += w;
    }
    (at, row + 1)
}

/// Clock-time labels of the actogram's x axis (in units of 6 hours from
/// the row's first midnight): `00:00`, `06:00`, ... `00:00`.
fn hour_tick(x: f64) -> String {
    format!("{:02}:00", (x * 6.0).round() as i64 % 24)
}

/// A double-plotted actogram: row `r` shows day `r` and day `r + 1`; bars
/// are activity, grey is no data, the pale band is each detected night, a
/// white dashed strip the minutes a clock change skipped. A key under the
/// chart names them.
pub(crate) fn actogram(
    days: &[DayActivity],
    nights: &[Night],
    lang: Lang,
) -> Result<String, ReportError> {
    let rows = days.len().max(1);
    let row_px = (480 / rows).clamp(6, 22) as u32;
    let width = 760u32;
    let (key_at, key_rows) = key_layout(lang, width);
    let key_height = 8 + KEY_ROW * key_rows;
    let chart_height = 40 + row_px * rows as u32 + 10;
    let height = chart_height + key_height;
    let binned: Vec<Vec<Option<f64>>> = days.iter().map(bins).collect();
    let full = scale(&binned);
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (plot_area, key_area) = root.split_vertically(chart_height);
        draw_key(&key_area, lang, &key_at)?;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_top(8)
            // Room for half of the last tick label ("00:00" at 48 h),
            // which is centred on the right edge.
            .margin_right(24)
            .x_label_area_size(26)
            .y_label_area_size(92)
            // x in units of 6 hours, so the axis ticks fall on 00, 06, 12...
            .build_cartesian_2d(0f64..8f64, -0.5f64..rows as f64 - 0.5)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID.mix(0.35))
            .label_style((FONT, 11))
            .x_labels(9)
            .y_labels(16)
            .x_label_formatter(&|x| hour_tick(*x))
            .y_label_formatter(&|y| {
                if (y - y.round()).abs() > 0.01 {
                    return String::new();
                }
                let r = rows as i64 - 1 - y.round() as i64;
                usize::try_from(r)
                    .ok()
                    .and_then(|r| dates.get(r))
                    .map_or(String::new(), |d| crate::text::date(lang, *d))
            })
            .draw()
            .map_err(chart_error)?;
        let center = |r: usize| (rows - 1 - r) as f64;
        // Nights first, so activity draws over them.
        let mut rects = Vec::new();
        for night in nights {
            for (r, day) in dates.iter().enumerate() {
                let (a, b) = (hours_from(*day, night.bed), hours_from(*day, night.wake));
                let (a, b) = (a.max(0.0) / 6.0, b.min(48.0) / 6.0);
                if a < b {
                    let y = center(r);
                    rects.push(Rectangle::new([(a, y - 0.5), (b, y + 0.5)], REST.filled()));
                }
            }
        }
        chart.draw_series(rects).map_err(chart_error)?;
        // Width of a bin in x units (6 h).
        let per_day = 4.0 / (1440 / BIN_MINUTES) as f64;
        let mut missing = Vec::new();
        let mut bars = Vec::new();
        for r in 0..rows {
            let y = center(r);
            for half in 0..2 {
                let Some(day) = binned.get(r + half) else {
                    continue;
                };
                let offset = half as f64 * 4.0;
                // Runs of missing bins as one grey block each.
                let mut run: Option<usize> = None;
                for (i, bin) in day.iter().chain(std::iter::once(&Some(0.0))).enumerate() {
                    match (bin, run) {
                        (None, None) => run = Some(i),
                        (Some(_), Some(start)) => {
                            let (a, b) =
                                (offset + start as f64 * per_day, offset + i as f64 * per_day);
                            missing.push(Rectangle::new(
                                [(a, y - 0.45), (b.min(8.0), y + 0.45)],
                                MISSING.filled(),
                            ));
                            run = None;
                        }
                        _ => {}
                    }
                }
                // Activity as one filled outline per half row.
                let base = y - 0.45;
                let mut outline = vec![(offset, base)];
                for (i, bin) in day.iter().enumerate() {
                    let h = bin.map_or(0.0, |v| (v / full).min(1.0) * 0.9);
                    // Below a pixel: flat, or rounding draws stray lines.
                    let h = if h * f64::from(row_px) < 1.0 { 0.0 } else { h };
                    let (a, b) = (
                        offset + i as f64 * per_day,
                        offset + (i + 1) as f64 * per_day,
                    );
                    outline.push((a, base + h));
                    outline.push((b.min(8.0), base + h));
                }
                outline.push(((offset + day.len() as f64 * per_day).min(8.0), base));
                bars.push(Polygon::new(outline, INK.filled()));
            }
        }
        chart.draw_series(missing).map_err(chart_error)?;
        chart.draw_series(bars).map_err(chart_error)?;
        // Minutes that did not exist (clocks went forward): a white strip
        // with a dashed outline, over whatever was drawn beneath.
        let per_minute = 4.0 / 1440.0;
        let mut gaps = Vec::new();
        let mut outlines = Vec::new();
        for r in 0..rows {
            let y = center(r);
            for half in 0..2 {
                let Some(day) = days.get(r + half) else {
                    continue;
                };
                if day.skipped.is_empty() {
                    continue;
                }
                let offset = half as f64 * 4.0;
                let a = offset + day.skipped.start as f64 * per_minute;
                let b = (offset + day.skipped.end as f64 * per_minute).min(8.0);
                let (lo, hi) = (y - 0.45, y + 0.45);
                gaps.push(Rectangle::new([(a, lo), (b, hi)], WHITE.filled()));
                outlines.push(plotters::element::DashedPathElement::new(
                    vec![(a, lo), (a, hi), (b, hi), (b, lo), (a, lo)],
                    2,
                    2,
                    CLOCK.stroke_width(1),
                ));
            }
        }
        chart.draw_series(gaps).map_err(chart_error)?;
        chart.draw_series(outlines).map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// The actogram's key: one swatch and label per kind of mark.
fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    lang: Lang,
    at: &[(i32, u32)],
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from((FONT, KEY_FONT).into_font()).color(&BLACK);
    for ((swatch, label), (x, row)) in key_entries(lang).into_iter().zip(at) {
        let top = 8 + (row * KEY_ROW) as i32;
        let (x0, y0, x1, y1) = (*x, top, *x + KEY_SWATCH as i32, top + 10);
        match swatch {
            Swatch::Activity => {
                // Bars of a few heights, as in the chart.
                for (i, h) in [4, 9, 6, 10, 3].into_iter().enumerate() {
                    let bx = x0 + i as i32 * 3;
                    area.draw(&Rectangle::new([(bx, y1 - h), (bx + 2, y1)], INK.filled()))
                        .map_err(chart_error)?;
                }
            }
            Swatch::NoData => area
                .draw(&Rectangle::new([(x0, y0), (x1, y1)], MISSING.filled()))
                .map_err(chart_error)?,
            Swatch::Night => area
                .draw(&Rectangle::new([(x0, y0), (x1, y1)], REST.filled()))
                .map_err(chart_error)?,
            Swatch::ClockChanged => {
                area.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))
                    .map_err(chart_error)?;
                area.draw(&plotters::element::DashedPathElement::new(
                    vec![(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)],
                    2,
                    2,
                    CLOCK.stroke_width(1),
                ))
                .map_err(chart_error)?;
            }
        }
        area.draw(&Text::new(
            label.to_string(),
            (x1 + 5, top - 1),
            style.clone(),
        ))
        .map_err(chart_error)?;
    }
    Ok(())
}

/// Three small line charts of IS, IV and RA by week.
pub(crate) fn weekly_trend(weeks: &[Week], lang: Lang) -> Result<String, ReportError> {
    let (width, height) = (760u32, 170u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let panels = root.split_evenly((1, 3));
        type Pick = fn(&Week) -> Option<f64>;
        let series: [(&str, Pick, f64); 3] = [
            ("IS", |w| w.metrics.is, 1.0),
            ("IV", |w| w.metrics.iv, 2.0),
            ("RA", |w| w.metrics.ra, 1.0),
        ];
        let n = weeks.len().max(1);
        for (panel, (name, pick, top)) in panels.iter().zip(series) {
            // The usual range, widened to show a figure above it (IS can
            // exceed 1 on short or gappy weeks): never clamped.
            let highest = weeks.iter().filter_map(pick).fold(top, f64::max);
            let top = if highest > top {
                (highest * 10.0).ceil() / 10.0
            } else {
                top
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(name, (FONT, 14))
                .margin(6)
                .x_label_area_size(22)
                .y_label_area_size(34)
                .build_cartesian_2d(-0.3f64..n as f64 - 0.7, 0f64..top)
                .map_err(chart_error)?;
            chart
                .configure_mesh()
                .y_labels(5)
                .x_labels(n.min(6))
                .label_style((FONT, 10))
                .light_line_style(WHITE)
                .bold_line_style(GRID.mix(0.3))
                .x_label_formatter(&|x| {
                    if (x - x.round()).abs() > 0.01 {
                        return String::new();
                    }
                    weeks
                        .get(x.round() as usize)
                        .map_or(String::new(), |w| match lang {
                            Lang::En => w.from.format("%m-%d").to_string(),
                            Lang::Ja => w.from.format("%-m/%-d").to_string(),
                        })
                })
                .draw()
                .map_err(chart_error)?;
            let points: Vec<(f64, f64)> = weeks
                .iter()
                .enumerate()
                .filter_map(|(i, w)| pick(w).map(|v| (i as f64, v.max(0.0))))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), INK.stroke_width(2)))
                .map_err(chart_error)?;
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 3, INK.filled())))
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, minutes: Vec<Option<f64>>) -> DayActivity {
        DayActivity {
            date: NaiveDate::from_ymd_opt(2026, 11, d).expect("valid date"),
            minutes,
            skipped: 0..0,
        }
    }

    #[test]
    fn bins_keep_missing_apart_from_zero() {
        let mut minutes = vec![Some(0.0); 1440];
        for m in minutes.iter_mut().take(10) {
            *m = None;
        }
        minutes[10] = Some(50.0);
        let b = bins(&day(2, minutes));
        assert_eq!(b.len(), 144);
        assert_eq!(b[0], None);
        assert_eq!(b[1], Some(5.0));
        assert_eq!(b[2], Some(0.0));
    }

    #[test]
    fn actogram_draws_one_outline_per_half_row_and_grey_for_gaps() {
        let worn = day(2, vec![Some(100.0); 1440]);
        let mut gap = vec![Some(10.0); 1440];
        for m in gap.iter_mut().skip(600).take(120) {
            *m = None;
        }
        let svg = actogram(&[worn, day(3, gap)], &[], Lang::En).expect("chart");
        // Rows: day 2 (two halves) and day 3 (one half) = three outlines.
        assert_eq!(svg.matches("<polygon").count(), 3, "{svg}");
        assert!(
            svg.contains("#C8C8C8") || svg.contains("#c8c8c8"),
            "grey gap drawn"
        );
        assert!(svg.contains("Mon 2026-11-02"));
    }

    /// A spring-forward day: 02:00–02:59 did not exist (the caller leaves
    /// those minutes `None`). No grey block there, a "clock changed" strip.
    #[test]
    fn skipped_hour_is_neither_activity_nor_missing() {
        let mut minutes = vec![Some(10.0); 1440];
        for m in minutes.iter_mut().skip(120).take(60) {
            *m = None;
        }
        let spring = DayActivity {
            skipped: 120..180,
            ..day(2, minutes)
        };
        let b = bins(&spring);
        assert!(b.iter().all(Option::is_some), "no bin is missing: {b:?}");
        assert_eq!(b[11], Some(10.0));
        assert_eq!(b[12], Some(0.0), "a skipped bin draws no activity");
        let grey = |svg: &str| svg.to_ascii_uppercase().matches("#C8C8C8").count();
        let clock = |svg: &str| svg.to_ascii_uppercase().matches("#D66E00").count();
        let plain = actogram(&[day(2, vec![Some(10.0); 1440])], &[], Lang::En).expect("chart");
        let svg = actogram(&[spring], &[], Lang::En).expect("chart");
        // Only the key's swatch is grey; the strip adds dashes of its own.
        assert_eq!(grey(&svg), grey(&plain), "no grey 'no data' block: {svg}");
        assert!(
            clock(&svg) > clock(&plain),
            "the clock-change strip is drawn"
        );
    }

    /// `(x, text)` of every `<text>` element of an SVG from plotters.
    fn texts(svg: &str) -> Vec<(f64, String)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let x = t.split("x=\"").nth(1)?.split('"').next()?.parse().ok()?;
                let body = t.split_once('>')?.1.split("</text>").next()?;
                Some((x, body.trim().to_string()))
            })
            .collect()
    }

    #[test]
    fn hour_ticks_are_clock_times_and_the_last_is_not_clipped() {
        let days = [day(2, vec![Some(5.0); 1440]), day(3, vec![Some(5.0); 1440])];
        for lang in [Lang::En, Lang::Ja] {
            let svg = actogram(&days, &[], lang).expect("chart");
            let ticks: Vec<(f64, String)> = texts(&svg)
                .into_iter()
                .filter(|(_, t)| t.ends_with(":00"))
                .collect();
            let labels: Vec<&str> = ticks.iter().map(|(_, t)| t.as_str()).collect();
            assert_eq!(
                labels,
                ["00:00", "06:00", "12:00", "18:00", "00:00", "06:00", "12:00", "18:00", "00:00"],
                "{lang:?}"
            );
            assert!(
                !texts(&svg)
                    .iter()
                    .any(|(_, t)| t.ends_with("hour") || t.ends_with('時')),
                "no unit suffix on the ticks"
            );
            // Labels are centred on their tick: the last one's right half
            // must fit inside the 760 px wide picture.
            let (last_x, last) = ticks.last().expect("ticks");
            assert!(
                last_x + f64::from(text_px(last, 11)) / 2.0 <= 760.0,
                "last tick label clipped at x = {last_x}"
            );
        }
    }

    #[test]
    fn the_key_names_every_mark_in_both_languages() {
        let days = [day(2, vec![Some(5.0); 1440])];
        for (lang, names) in [
            (
                Lang::En,
                [
                    "Activity",
                    "No data",
                    "Night (detected rest period)",
                    "Clock changed",
                ],
            ),
            (
                Lang::Ja,
                [
                    "活動量",
                    "データなし",
                    "夜間（検出した休息期間）",
                    "時刻変更",
                ],
            ),
        ] {
            let svg = actogram(&days, &[], lang).expect("chart");
            let texts = texts(&svg);
            for name in names {
                assert!(
                    texts.iter().any(|(_, t)| t.contains(name)),
                    "{name} missing from the key: {texts:?}"
                );
            }
            // The key stays within the picture.
            let (at, _) = key_layout(lang, 760);
            for ((_, label), (x, _)) in key_entries(lang).iter().zip(&at) {
                let right = *x as u32 + KEY_SWATCH + 5 + text_px(label, KEY_FONT);
                assert!(right <= 760, "{label} runs off the chart");
            }
        }
    }
}
