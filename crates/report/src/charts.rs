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

/// A double-plotted actogram: row `r` shows day `r` and day `r + 1`; bars
/// are activity, grey is no data, the pale band is each detected night.
pub(crate) fn actogram(
    days: &[DayActivity],
    nights: &[Night],
    lang: Lang,
) -> Result<String, ReportError> {
    let rows = days.len().max(1);
    let row_px = (480 / rows).clamp(6, 22) as u32;
    let (width, height) = (760u32, 40 + row_px * rows as u32 + 10);
    let binned: Vec<Vec<Option<f64>>> = days.iter().map(bins).collect();
    let full = scale(&binned);
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
    let hour_label = crate::text::labels(lang).hours_axis;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(8)
            .margin_right(12)
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
            .x_label_formatter(&|x| format!("{:02}{hour_label}", (x * 6.0).round() as i64 % 24))
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
                .filter_map(|(i, w)| pick(w).map(|v| (i as f64, v.clamp(0.0, top))))
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
        let svg = actogram(&[spring], &[], Lang::En).expect("chart");
        let svg = svg.to_ascii_uppercase();
        assert!(!svg.contains("#C8C8C8"), "no grey 'no data' block: {svg}");
        assert!(svg.contains("#D66E00"), "the clock-change strip is drawn");
    }
}
