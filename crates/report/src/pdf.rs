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

/// Lays out pages top to bottom.
struct Layout<'a> {
    measure: Measure<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
    trees: Vec<usvg::Tree>,
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

    fn heading(&mut self, text: &str, keep_with: f32) {
        self.ensure(36.0 + keep_with);
        self.y += 22.0;
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

    fn paragraph(&mut self, text: &str, size: f32, color: (u8, u8, u8)) {
        for line in self.measure.wrap(text, size, false, WIDTH) {
            self.ensure(size * 1.5);
            self.y += size * 1.5;
            self.text(MARGIN, self.y, size, false, color, &line);
        }
    }

    /// Label/value pairs, labels in bold in a first column.
    fn pairs(&mut self, pairs: &[Figure]) {
        let size = 9.5;
        let label_w = pairs
            .iter()
            .map(|f| self.measure.width(&f.label, size, true))
            .fold(0.0f32, f32::max)
            + 12.0;
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

    fn svg(&mut self, svg: &str, fontdb: &Arc<usvg::fontdb::Database>) -> Result<(), ReportError> {
        let options = usvg::Options {
            fontdb: fontdb.clone(),
            ..usvg::Options::default()
        };
        let tree =
            usvg::Tree::from_str(svg, &options).map_err(|e| ReportError::Chart(e.to_string()))?;
        let (tw, th) = (tree.size().width(), tree.size().height());
        let w = WIDTH.min(tw);
        let h = w * th / tw;
        self.ensure(h + 6.0);
        self.y += 6.0;
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
        Ok(())
    }

    fn table_header(&mut self, table: &Table, xs: &[f32], widths: &[f32], size: f32) {
        let wrapped: Vec<Vec<String>> = table
            .headers
            .iter()
            .zip(widths)
            .map(|(h, w)| self.measure.wrap(h, size, true, w - 6.0))
            .collect();
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

    /// A table; rows never split, the header repeats on each new page.
    fn table(&mut self, table: &Table) {
        let size = 8.0;
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
        self.ensure(size * 5.0);
        self.y += 4.0;
        self.table_header(table, &xs, &widths, size);
        for row in &table.rows {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| self.measure.wrap(c, size, false, w - 6.0))
                .collect();
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
    let regular_bytes: &[u8] = fonts.regular.as_ref().as_ref();
    let bold_bytes: &[u8] = fonts.bold.as_ref().as_ref();
    let mut layout = Layout {
        measure: Measure {
            regular: face(regular_bytes, fonts.index)?,
            bold: face(bold_bytes, fonts.index)?,
        },
        pages: Vec::new(),
        y: MARGIN,
        trees: Vec::new(),
    };
    layout.title(&view.title);
    layout.pairs(&view.header);
    layout.heading(&view.glance_title, 50.0);
    layout.boxes(&view.glance);
    layout.heading(&view.actogram_title, 200.0);
    layout.svg(&view.actogram_svg, &fontdb)?;
    layout.paragraph(&view.actogram_caption, 8.0, MUTED);
    layout.heading(&view.circadian_title, 120.0);
    let metrics = Table {
        headers: view.metrics_headers.clone(),
        rows: view
            .metrics
            .iter()
            .map(|m| vec![m.name.clone(), m.value.clone(), m.meaning.clone()])
            .collect(),
        widths: vec![0.5, 1.1, 4.4],
    };
    layout.table(&metrics);
    layout.heading(&view.weekly_title, 140.0);
    layout.svg(&view.weekly_svg, &fontdb)?;
    layout.table(&view.weekly);
    layout.heading(&view.completeness_title, 40.0);
    for line in &view.completeness {
        layout.paragraph(line, 9.0, INK);
    }
    layout.heading(&view.alerts_title, 40.0);
    match &view.no_alerts {
        Some(text) => layout.paragraph(text, 9.0, INK),
        None => layout.table(&view.alerts),
    }
    layout.heading(&view.days_title, 60.0);
    layout.table(&view.days);
    layout.heading(&view.sources_title, 60.0);
    match &view.no_sources {
        Some(text) => layout.paragraph(text, 9.0, INK),
        None => layout.table(&view.sources),
    }
    layout.heading(&view.settings_title, 40.0);
    layout.pairs(&view.settings);

    let regular = Font::new(krilla::Data::from(fonts.regular.clone()), fonts.index)
        .ok_or_else(|| ReportError::Font("the report font could not be embedded".into()))?;
    let bold = Font::new(krilla::Data::from(fonts.bold.clone()), fonts.index)
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
