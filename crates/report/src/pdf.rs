//! The report as a PDF: a small layout pass turns the view into pages of
//! positioned text, rules, boxes and charts, then krilla writes them with
//! the fonts subset and embedded. Layout measures text with rustybuzz, the
//! shaper krilla itself uses, so what is measured is what is drawn.

use crate::view::{Figure, Table, View};
use crate::{ReportError, ReportFonts};
use chrono::{Datelike, Timelike};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use krilla_svg::{SurfaceExt, SvgSettings};
use std::sync::Arc;

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 42.0;
const BOTTOM: f32 = PAGE_H - MARGIN - 18.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
const INK: (u8, u8, u8) = (26, 26, 26);
const MUTED: (u8, u8, u8) = (64, 64, 64);
const ACCENT: (u8, u8, u8) = (31, 78, 121);
const HEAD_BG: (u8, u8, u8) = (238, 242, 248);
const RULE: (u8, u8, u8) = (208, 208, 208);

/// One drawing operation at page coordinates (top-left origin, points).
enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        color: (u8, u8, u8),
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: (u8, u8, u8),
    },
    Line {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        color: (u8, u8, u8),
    },
    Svg {
        tree: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// Measures text with the same shaper krilla uses.
struct Measure<'a> {
    regular: rustybuzz::Face<'a>,
    bold: rustybuzz::Face<'a>,
}

impl Measure<'_> {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        let shaped = rustybuzz::shape(face, &[], buffer);
        let advance: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        advance as f32 / f32::from(face.units_per_em() as u16) * size
    }

    /// Breaks `text` into lines no wider than `width`: at spaces in Latin
    /// text, between any two characters in Japanese.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in text.chars() {
            let wide = (c as u32) >= 0x2E80;
            if wide || c == ' ' {
                if c == ' ' {
                    word.push(c);
                }
                if !word.is_empty() {
                    tokens.push(std::mem::take(&mut word));
                }
                if wide {
                    tokens.push(c.to_string());
                }
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            tokens.push(word);
        }
        // A token wider than the line on its own (a long date span, a
        // serial number) is cut between characters, so it never runs into
        // the next column.
        let tokens: Vec<String> = tokens
            .into_iter()
            .flat_map(|token| {
                if self.width(token.trim_end(), size, bold) <= width {
                    return vec![token];
                }
                let mut pieces = vec![String::new()];
                for c in token.chars() {
                    let last = pieces.last_mut().expect("one piece");
                    let candidate = format!("{last}{c}");
                    if !last.is_empty() && self.width(candidate.trim_end(), size, bold) > width {
                        pieces.push(c.to_string());
                    } else {
                        *last = candidate;
                    }
                }
                pieces
            })
            .collect();
        let mut lines = Vec::new();
        let mut line = String::new();
        for token in tokens {
            let candidate = format!("{line}{token}");
            if !line.is_empty() && self.width(candidate.trim_end(), size, bold) > width {
                lines.push(line.trim_end().to_string());
                line = token.trim_start().to_string();
            } else {
                line = candidate;
            }
        }
        if !line.trim().is_empty() || lines.is_empty() {
            lines.push(line.trim_end().to_string());
        }
        lines
    }
}

/// The vertical space above headings, charts and tables, as a share of the
/// usual; the compact pass squeezes it to keep a short tail off a page of
/// its own.
const COMPACT: f32 = 0.5;
/// A last page holding less than this (points of content) is a runt: the
/// layout is tried again compact, and kept if it needs fewer pages.
const RUNT: f32 = 160.0;
/// Rows of a table kept with its heading and header.
const KEEP_ROWS: usize = 2;
/// Paragraphs of up to this many lines are never split across pages.
const KEEP_LINES: usize = 4;

/// Lays out pages top to bottom.
struct Layout<'a> {
    measure: Measure<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
    trees: Vec<usvg::Tree>,
    /// Share of the usual vertical space (1, or [`COMPACT`]).
    space: f32,
}

impl Layout<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    fn text(
        &mut self,
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        color: (u8, u8, u8),
        text: &str,
    ) {
        self.ops().push(Op::Text {
            x,
            baseline,
            size,
            bold,
            color,
            text: text.to_string(),
        });
    }

    fn title(&mut self, text: &str) {
        self.y += 20.0;
        self.text(MARGIN, self.y, 18.0, true, INK, text);
        self.y += 10.0;
    }

    /// The space above a heading's baseline: its own ascent (a 12.5 pt
    /// line, never squeezed) and the gap from what is above.
    fn heading_space(&self) -> f32 {
        14.0 + 8.0 * self.space
    }

    /// The height a heading takes.
    fn heading_height(&self) -> f32 {
        self.heading_space() + 11.0
    }

    /// A section heading, on a new page unless it and the first
    /// `keep_with` points of what follows fit on this one.
    fn heading(&mut self, text: &str, keep_with: f32) {
        self.ensure(self.heading_height() + keep_with);
        self.y += self.heading_space();
        self.text(MARGIN, self.y, 12.5, true, ACCENT, text);
        self.y += 5.0;
        let y = self.y;
        self.ops().push(Op::Line {
            x1: MARGIN,
            x2: MARGIN + WIDTH,
            y,
            width: 1.5,
            color: ACCENT,
        });
        self.y += 6.0;
    }

    fn paragraph_height(&self, text: &str, size: f32) -> f32 {
        self.measure.wrap(text, size, false, WIDTH).len() as f32 * size * 1.5
    }

    /// A wrapped paragraph; a short one (up to [`KEEP_LINES`]) is never
    /// split, a longer one leaves no line alone at the top of a page.
    fn paragraph(&mut self, text: &str, size: f32, color: (u8, u8, u8)) {
        let lines = self.measure.wrap(text, size, false, WIDTH);
        let keep = if lines.len() <= KEEP_LINES {
            lines.len()
        } else {
            2
        };
        self.ensure(keep as f32 * size * 1.5);
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            if i + 2 == n {
                // The last two lines go together.
                self.ensure(2.0 * size * 1.5);
            }
            self.ensure(size * 1.5);
            self.y += size * 1.5;
            self.text(MARGIN, self.y, size, false, color, &line);
        }
    }

    fn pairs_label_width(&self, pairs: &[Figure], size: f32) -> f32 {
        pairs
            .iter()
            .map(|f| self.measure.width(&f.label, size, true))
            .fold(0.0f32, f32::max)
            + 12.0
    }

    /// The height of [`Layout::pairs`].
    fn pairs_height(&self, pairs: &[Figure]) -> f32 {
        let size = 9.5;
        let label_w = self.pairs_label_width(pairs, size);
        pairs
            .iter()
            .map(|f| {
                let lines = self.measure.wrap(&f.value, size, false, WIDTH - label_w);
                lines.len() as f32 * size * 1.5
            })
            .sum()
    }

    /// Label/value pairs, labels in bold in a first column; kept on one
    /// page when they fit on one.
    fn pairs(&mut self, pairs: &[Figure]) {
        let size = 9.5;
        let label_w = self.pairs_label_width(pairs, size);
        let total = self.pairs_height(pairs);
        if total <= BOTTOM - MARGIN {
            self.ensure(total);
        }
        for f in pairs {
            let lines = self.measure.wrap(&f.value, size, false, WIDTH - label_w);
            self.ensure(size * 1.5 * lines.len() as f32);
            self.y += size * 1.5;
            self.text(MARGIN, self.y, size, true, INK, &f.label);
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    self.y += size * 1.5;
                }
                self.text(MARGIN + label_w, self.y, size, false, INK, line);
            }
        }
    }

    /// Key figures as boxes, four to a row.
    fn boxes(&mut self, figures: &[Figure]) {
        let (per_row, gap, h) = (4usize, 8.0f32, 42.0f32);
        let w = (WIDTH - gap * (per_row - 1) as f32) / per_row as f32;
        for row in figures.chunks(per_row) {
            self.ensure(h + gap);
            self.y += gap;
            for (i, f) in row.iter().enumerate() {
                let x = MARGIN + i as f32 * (w + gap);
                let y = self.y;
                self.ops().push(Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: HEAD_BG,
                });
                self.text(x + 6.0, self.y + 13.0, 8.0, false, MUTED, &f.label);
                self.text(x + 6.0, self.y + 33.0, 13.0, true, INK, &f.value);
            }
            self.y += h;
        }
    }

    /// The width a chart is drawn at: the text width (a little less in the
    /// compact pass), never wider than the SVG itself.
    fn chart_width(&self, svg_width: f32) -> f32 {
        let share = if self.space < 1.0 { 0.9 } else { 1.0 };
        (WIDTH * share).min(svg_width)
    }

    /// The height of a chart as drawn, and its space above.
    fn svg_height(&self, tree: &usvg::Tree) -> f32 {
        let (tw, th) = (tree.size().width(), tree.size().height());
        let w = self.chart_width(tw);
        w * th / tw + 6.0 * self.space
    }

    fn svg(&mut self, tree: usvg::Tree) {
        let (tw, th) = (tree.size().width(), tree.size().height());
        let w = self.chart_width(tw);
        let h = w * th / tw;
        self.ensure(h + 6.0 * self.space);
        self.y += 6.0 * self.space;
        self.trees.push(tree);
        let tree = self.trees.len() - 1;
        let y = self.y;
        self.ops().push(Op::Svg {
            tree,
            x: MARGIN,
            y,
            w,
            h,
        });
        self.y += h;
    }

    fn table_header(&mut self, table: &Table, xs: &[f32], widths: &[f32], size: f32) {
        let wrapped = self.wrap_row(&table.headers, widths, size, true);
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = lines * size * 1.3 + 5.0;
        let y = self.y;
        self.ops().push(Op::Rect {
            x: MARGIN,
            y,
            w: WIDTH,
            h,
            fill: HEAD_BG,
        });
        self.cells(&wrapped, xs, y, size, true);
        self.y += h;
    }

    /// The wrapped lines of a row's cells, from `y` down.
    fn cells(&mut self, wrapped: &[Vec<String>], xs: &[f32], y: f32, size: f32, bold: bool) {
        for (cell, x) in wrapped.iter().zip(xs) {
            for (i, line) in cell.iter().enumerate() {
                let baseline = y + size * 1.15 + i as f32 * size * 1.3 + 1.5;
                self.text(x + 3.0, baseline, size, bold, INK, line);
            }
        }
    }

    /// Column left edges and widths of a table across the text width.
    fn columns(table: &Table) -> (Vec<f32>, Vec<f32>) {
        let total: f32 = table.widths.iter().sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = table.widths.iter().map(|w| w / total * WIDTH).collect();
        let xs: Vec<f32> = widths
            .iter()
            .scan(MARGIN, |x, w| {
                let at = *x;
                *x += w;
                Some(at)
            })
            .collect();
        (xs, widths)
    }

    fn wrap_row(&self, row: &[String], widths: &[f32], size: f32, bold: bool) -> Vec<Vec<String>> {
        row.iter()
            .zip(widths)
            .map(|(c, w)| self.measure.wrap(c, size, bold, w - 6.0))
            .collect()
    }

    /// The height of a table's header and first [`KEEP_ROWS`] rows, with
    /// its space above: what its heading is kept with.
    fn table_start_height(&self, table: &Table) -> f32 {
        self.table_height(table, KEEP_ROWS)
    }

    /// The height of a table's header and first `rows` rows, with its
    /// space above.
    fn table_height(&self, table: &Table, rows: usize) -> f32 {
        let size = 8.0;
        let (_, widths) = Layout::columns(table);
        let lines =
            |wrapped: Vec<Vec<String>>| wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let header = lines(self.wrap_row(&table.headers, &widths, size, true)) * size * 1.3 + 5.0;
        let rows: f32 = table
            .rows
            .iter()
            .take(rows)
            .map(|row| lines(self.wrap_row(row, &widths, size, false)) * size * 1.3 + 4.0)
            .sum();
        4.0 * self.space + header + rows
    }

    /// A table; rows never split, the header repeats on each new page.
    fn table(&mut self, table: &Table) {
        let size = 8.0;
        let (xs, widths) = Layout::columns(table);
        let start = self.table_start_height(table);
        self.ensure(start);
        self.y += 4.0 * self.space;
        self.table_header(table, &xs, &widths, size);
        for row in &table.rows {
            let wrapped = self.wrap_row(row, &widths, size, false);
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
            let h = lines * size * 1.3 + 4.0;
            if self.y + h > BOTTOM {
                self.new_page();
                self.table_header(table, &xs, &widths, size);
            }
            let y = self.y;
            self.cells(&wrapped, &xs, y, size, false);
            self.y += h;
            let y = self.y;
            self.ops().push(Op::Line {
                x1: MARGIN,
                x2: MARGIN + WIDTH,
                y,
                width: 0.4,
                color: RULE,
            });
        }
    }
}

fn color(c: (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(c.0, c.1, c.2)
}

fn fill(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: color(c).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn face(data: &[u8], index: u32) -> Result<rustybuzz::Face<'_>, ReportError> {
    rustybuzz::Face::from_slice(data, index)
        .ok_or_else(|| ReportError::Font("the report font could not be read".into()))
}

/// Lays the view out on pages, with `space` times the usual vertical
/// space. Every heading is kept with what follows it (a whole short block,
/// or a table's first rows).
fn lay_out<'a>(
    view: &View,
    fonts: &'a ReportFonts,
    fontdb: &Arc<usvg::fontdb::Database>,
    space: f32,
) -> Result<Layout<'a>, ReportError> {
    let options = usvg::Options {
        fontdb: fontdb.clone(),
        ..usvg::Options::default()
    };
    let parse = |svg: &str| {
        usvg::Tree::from_str(svg, &options).map_err(|e| ReportError::Chart(e.to_string()))
    };
    let (actogram, weekly_chart) = (parse(&view.actogram_svg)?, parse(&view.weekly_svg)?);
    let regular_bytes: &[u8] = fonts.regular.as_ref().as_ref();
    let bold_bytes: &[u8] = fonts.bold.as_ref().as_ref();
    let mut layout = Layout {
        measure: Measure {
            regular: face(regular_bytes, fonts.index)?,
            bold: face(bold_bytes, fonts.bold_index)?,
        },
        pages: Vec::new(),
        y: MARGIN,
        trees: Vec::new(),
        space,
    };
    layout.title(&view.title);
    layout.pairs(&view.header);
    let boxes = view.glance.len().div_ceil(4) as f32 * 50.0;
    layout.heading(&view.glance_title, boxes);
    layout.boxes(&view.glance);
    let keep = layout.svg_height(&actogram) + layout.paragraph_height(&view.actogram_caption, 8.0);
    layout.heading(&view.actogram_title, keep);
    layout.svg(actogram);
    layout.paragraph(&view.actogram_caption, 8.0, MUTED);
    let metrics = Table {
        headers: view.metrics_headers.clone(),
        rows: view
            .metrics
            .iter()
            .map(|m| vec![m.name.clone(), m.value.clone(), m.meaning.clone()])
            .collect(),
        widths: vec![0.5, 1.1, 4.4],
    };
    layout.heading(&view.circadian_title, layout.table_start_height(&metrics));
    layout.table(&metrics);
    let keep = layout.svg_height(&weekly_chart) + layout.table_start_height(&view.weekly);
    layout.heading(&view.weekly_title, keep);
    layout.svg(weekly_chart);
    layout.table(&view.weekly);
    if let Some(note) = &view.weekly_note {
        layout.paragraph(note, 8.0, MUTED);
    }
    let keep: f32 = view
        .completeness
        .iter()
        .map(|line| layout.paragraph_height(line, 9.0))
        .sum();
    layout.heading(&view.completeness_title, keep);
    for line in &view.completeness {
        layout.paragraph(line, 9.0, INK);
    }
    let keep = match &view.no_alerts {
        Some(text) => layout.paragraph_height(text, 9.0),
        None => layout.table_start_height(&view.alerts),
    };
    layout.heading(&view.alerts_title, keep);
    match &view.no_alerts {
        Some(text) => layout.paragraph(text, 9.0, INK),
        None => layout.table(&view.alerts),
    }
    layout.heading(&view.days_title, layout.table_start_height(&view.days));
    layout.table(&view.days);
    // The last section (devices, then the settings under their own
    // heading) is short: it stays whole, so the report never ends on a page
    // holding only its last lines.
    let keep = match &view.no_sources {
        Some(text) => layout.paragraph_height(text, 9.0),
        None => layout.table_height(&view.sources, view.sources.rows.len()),
    } + layout.heading_height()
        + layout.pairs_height(&view.settings);
    let keep = if keep <= (BOTTOM - MARGIN) / 3.0 {
        keep
    } else {
        layout.table_start_height(&view.sources)
    };
    layout.heading(&view.sources_title, keep);
    match &view.no_sources {
        Some(text) => layout.paragraph(text, 9.0, INK),
        None => layout.table(&view.sources),
    }
    layout.heading(&view.settings_title, layout.pairs_height(&view.settings));
    layout.pairs(&view.settings);
    Ok(layout)
}

/// Renders the view as PDF bytes.
pub(crate) fn render(
    view: &View,
    fonts: &ReportFonts,
    created: chrono::NaiveDateTime,
) -> Result<Vec<u8>, ReportError> {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_source(usvg::fontdb::Source::Binary(fonts.regular.clone()));
    let family = db
        .faces()
        .find(|f| f.index == fonts.index)
        .and_then(|f| f.families.first().map(|(name, _)| name.clone()))
        .ok_or_else(|| ReportError::Font("the report font has no family name".into()))?;
    db.set_sans_serif_family(family);
    let fontdb = Arc::new(db);
    let mut layout = lay_out(view, fonts, &fontdb, 1.0)?;
    if layout.pages.len() > 1 && layout.y - MARGIN < RUNT {
        let compact = lay_out(view, fonts, &fontdb, COMPACT)?;
        if compact.pages.len() < layout.pages.len() {
            layout = compact;
        }
    }

    let regular = Font::new(krilla::Data::from(fonts.regular.clone()), fonts.index)
        .ok_or_else(|| ReportError::Font("the report font could not be embedded".into()))?;
    let bold = Font::new(krilla::Data::from(fonts.bold.clone()), fonts.bold_index)
        .ok_or_else(|| ReportError::Font("the bold report font could not be embedded".into()))?;
    let mut document = Document::new();
    let total = layout.pages.len();
    let footer = layout.measure.wrap(&view.footer, 7.0, false, WIDTH - 60.0);
    let page_size = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| ReportError::Pdf("bad page size".into()))?;
    for (number, ops) in layout.pages.iter().enumerate() {
        let mut page = document.start_page_with(page_size.clone());
        let mut surface = page.surface();
        let draw_text =
            |surface: &mut krilla::surface::Surface, x, y, size, bold_face: bool, c, text: &str| {
                surface.set_fill(Some(fill(c)));
                let font = if bold_face {
                    bold.clone()
                } else {
                    regular.clone()
                };
                surface.draw_text(
                    Point::from_xy(x, y),
                    font,
                    size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            };
        for op in ops {
            match op {
                Op::Text {
                    x,
                    baseline,
                    size,
                    bold,
                    color: c,
                    text,
                } => {
                    draw_text(&mut surface, *x, *baseline, *size, *bold, *c, text);
                }
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: c,
                } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(fill(*c)));
                        surface.draw_path(&path);
                    }
                }
                Op::Line {
                    x1,
                    x2,
                    y,
                    width,
                    color: c,
                } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: color(*c).into(),
                            width: *width,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
                Op::Svg { tree, x, y, w, h } => {
                    let (Some(tree), Some(size)) = (layout.trees.get(*tree), Size::from_wh(*w, *h))
                    else {
                        continue;
                    };
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_svg(tree, size, SvgSettings::default());
                    surface.pop();
                }
            }
        }
        let mut y = PAGE_H - MARGIN + 4.0;
        for line in &footer {
            draw_text(&mut surface, MARGIN, y, 7.0, false, MUTED, line);
            y += 9.0;
        }
        let label = format!("{} / {total}", number + 1);
        let w = layout.measure.width(&label, 8.0, false);
        draw_text(
            &mut surface,
            PAGE_W - MARGIN - w,
            PAGE_H - MARGIN + 4.0,
            8.0,
            false,
            MUTED,
            &label,
        );
        surface.finish();
        page.finish();
    }
    let date = krilla::metadata::DateTime::new(created.year() as u16)
        .month(created.month() as u8)
        .day(created.day() as u8)
        .hour(created.hour() as u8)
        .minute(created.minute() as u8)
        .second(created.second() as u8);
    document.set_metadata(
        Metadata::new()
            .title(format!(
                "{} · {}",
                view.title,
                view.header.first().map_or("", |f| f.value.as_str())
            ))
            .language(view.lang.to_string())
            .creator(
                view.settings
                    .first()
                    .map_or(String::new(), |f| f.value.clone()),
            )
            .creation_date(date),
    );
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlertItem;
    use phr_model::Lang;

    fn fonts() -> ReportFonts {
        ReportFonts::find().expect("a report font must be installed (fonts-noto-cjk)")
    }

    fn layout(fonts: &ReportFonts) -> Layout<'_> {
        Layout {
            measure: Measure {
                regular: face(&fonts.regular, fonts.index).expect("face"),
                bold: face(&fonts.bold, fonts.bold_index).expect("face"),
            },
            pages: vec![Vec::new()],
            y: MARGIN,
            trees: Vec::new(),
            space: 1.0,
        }
    }

    /// `(page, x, width, text)` of every text drawn.
    fn texts(layout: &Layout) -> Vec<(usize, f32, f32, String)> {
        let mut out = Vec::new();
        for (page, ops) in layout.pages.iter().enumerate() {
            for op in ops {
                if let Op::Text {
                    x,
                    size,
                    bold,
                    text,
                    ..
                } = op
                {
                    let w = layout.measure.width(text, *size, *bold);
                    out.push((page, *x, w, text.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut() {
        let fonts = fonts();
        let layout = layout(&fonts);
        let lines =
            layout
                .measure
                .wrap("Serial F1:22:33:44:55:66:77:88:99:AA:BB", 8.0, false, 40.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(layout.measure.width(line, 8.0, false) <= 40.0, "{line:?}");
        }
        assert_eq!(
            lines.concat().replace(' ', ""),
            "SerialF1:22:33:44:55:66:77:88:99:AA:BB"
        );
    }

    #[test]
    fn alert_columns_never_overlap_in_either_language() {
        let fonts = fonts();
        let at = |d, h| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, d)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .expect("valid time")
        };
        for lang in [Lang::En, Lang::Ja] {
            let mut input = crate::view::tests::input(lang, Vec::new());
            input.alerts = vec![
                AlertItem {
                    kind: "rhythm_decline".into(),
                    severity: "urgent".into(),
                    start: at(9, 22),
                    end: at(12, 6),
                    explanation: "Interdaily stability fell from 0.74 to 0.41 over two weeks; \
                                  night-time activity 118 minutes, usually 6 (14-day median). \
                                  02:00〜04:00に118分活動しました（普段は6分、14日間の中央値）。"
                        .into(),
                    acknowledged_note: Some(
                        "Called her daughter; appointment-booked-for-next-Wednesday-morning".into(),
                    ),
                },
                AlertItem {
                    kind: "night_activity".into(),
                    severity: "warning".into(),
                    start: at(12, 2),
                    end: at(12, 4),
                    explanation: "Active".into(),
                    acknowledged_note: None,
                },
            ];
            let view = crate::view::build(&input).expect("view");
            let mut layout = layout(&fonts);
            layout.table(&view.alerts);
            let (xs, widths) = Layout::columns(&view.alerts);
            let texts = texts(&layout);
            assert!(texts.len() > 10);
            for (_, x, w, text) in texts {
                let column = xs.iter().rposition(|c| *c <= x).expect("a column");
                let right = xs[column] + widths[column];
                assert!(
                    x + w <= right - 2.0,
                    "{lang:?}: {text:?} runs over column {column} ({:.1} > {right:.1})",
                    x + w
                );
            }
        }
    }

    #[test]
    fn headings_and_short_blocks_are_kept_together() {
        let fonts = fonts();
        let figures: Vec<Figure> = (0..4)
            .map(|i| Figure {
                label: format!("Setting {i}"),
                value: "a value".into(),
            })
            .collect();
        // Pairs that do not fit at the bottom of a page all move on.
        let mut layout = layout(&fonts);
        layout.y = BOTTOM - 30.0;
        layout.pairs(&figures);
        let pages: Vec<usize> = texts(&layout).iter().map(|t| t.0).collect();
        assert!(pages.iter().all(|p| *p == 1), "{pages:?}");
        // A heading with its block: both on the next page.
        let mut layout = self::layout(&fonts);
        layout.y = BOTTOM - 60.0;
        let keep = layout.pairs_height(&figures);
        layout.heading("Analysis settings", keep);
        layout.pairs(&figures);
        let pages: Vec<usize> = texts(&layout).iter().map(|t| t.0).collect();
        assert!(pages.iter().all(|p| *p == 1), "{pages:?}");
        // A long paragraph leaves no single line at the top of a page.
        let mut layout = self::layout(&fonts);
        let text = "word ".repeat(200);
        let n = layout.measure.wrap(&text, 9.0, false, WIDTH).len();
        layout.y = BOTTOM - (n as f32 - 0.5) * 13.5;
        layout.paragraph(&text, 9.0, INK);
        let on_last = texts(&layout).iter().filter(|t| t.0 == 1).count();
        assert!(on_last >= 2, "{on_last} line(s) alone on the next page");
    }
}
