//! The clinician's summary of a person's wearable data over a period, in
//! English or Japanese, as a self-contained HTML page or a PDF:
//!
//! - a double-plotted actogram with the nights found shaded;
//! - nonparametric circadian metrics (IS, IV, RA, L5, M10 with onsets), each
//!   with a one-line meaning, and their trend by week;
//! - a table of days and nights (steps, worn share, bed, sleep onset, wake,
//!   total sleep, efficiency, WASO, awakenings);
//! - data completeness, so nobody over-reads a thin week;
//! - the alerts of the period; the devices, software and analysis settings.
//!
//! The crate does no analysis and reads no vault: the caller passes a
//! [`ReportInput`] of already computed figures. Charts are drawn once as SVG
//! (plotters) and used by both outputs; the PDF is written by krilla, which
//! subsets and embeds the font (Noto Sans CJK JP by default, under the SIL
//! Open Font License, which allows subsetting and embedding).
#![deny(missing_docs)]

mod charts;
mod html;
mod model;
mod pdf;
mod text;
mod view;

pub use model::{AlertItem, DayActivity, Night, ReportInput, Source, Week};
use phr_model::Lang;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No usable font (with the paths tried).
    #[error("{0}")]
    Font(String),
    /// A chart could not be drawn.
    #[error("drawing a chart failed: {0}")]
    Chart(String),
    /// The HTML template failed.
    #[error("the HTML template failed: {0}")]
    Template(String),
    /// Writing the PDF failed.
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}

/// Where the report font is looked for, in order (Debian's fonts-noto-cjk
/// first). `PHR_REPORT_FONT` overrides them.
pub const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
];

/// The fonts a PDF report embeds (regular and bold; the same face twice
/// when no bold is found).
#[derive(Clone)]
pub struct ReportFonts {
    regular: Arc<Vec<u8>>,
    bold: Arc<Vec<u8>>,
    index: u32,
}

impl ReportFonts {
    /// Loads a font collection or file (`index`: the face in a collection;
    /// 0 is Japanese in Noto Sans CJK) and, if it exists next to it, its
    /// bold (`-Regular` replaced by `-Bold` in the file name).
    pub fn load(path: &Path, index: u32) -> Result<ReportFonts, ReportError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| {
                ReportError::Font(format!("cannot read the report font {}: {e}", p.display()))
            })
        };
        let regular = Arc::new(read(path)?);
        if rustybuzz::Face::from_slice(&regular, index).is_none() {
            return Err(ReportError::Font(format!(
                "{} is not a font this report can use (face {index})",
                path.display()
            )));
        }
        let bold_path = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.contains("-Regular"))
            .map(|n| path.with_file_name(n.replace("-Regular", "-Bold")));
        let bold = match bold_path.filter(|p| p.exists()) {
            Some(p) => {
                let bold = Arc::new(read(&p)?);
                if rustybuzz::Face::from_slice(&bold, index).is_some() {
                    bold
                } else {
                    regular.clone()
                }
            }
            None => regular.clone(),
        };
        Ok(ReportFonts {
            regular,
            bold,
            index,
        })
    }

    /// Finds and loads the report font: `PHR_REPORT_FONT` (a path, face 0)
    /// if set, else the first of [`FONT_PATHS`] that exists.
    pub fn find() -> Result<ReportFonts, ReportError> {
        if let Some(path) = std::env::var_os("PHR_REPORT_FONT") {
            return ReportFonts::load(Path::new(&path), 0);
        }
        let found: Option<PathBuf> = FONT_PATHS.iter().map(PathBuf::from).find(|p| p.exists());
        match found {
            Some(path) => ReportFonts::load(&path, 0),
            None => Err(ReportError::Font(format!(
                "no font covering Japanese was found (tried {}); install Noto Sans CJK \
                 (Debian: apt install fonts-noto-cjk) or set PHR_REPORT_FONT to a font file",
                FONT_PATHS.join(", ")
            ))),
        }
    }

    /// Whether the regular face has a glyph for every character of `text`
    /// (whitespace aside).
    pub fn covers(&self, text: &str) -> bool {
        rustybuzz::Face::from_slice(&self.regular, self.index).is_some_and(|face| {
            text.chars()
                .filter(|c| !c.is_whitespace())
                .all(|c| face.glyph_index(c).is_some())
        })
    }
}

/// The report as a self-contained HTML page.
pub fn html(input: &ReportInput) -> Result<String, ReportError> {
    html::render(&view::build(input)?)
}

/// The report as PDF bytes, with `fonts` subset and embedded.
pub fn pdf(input: &ReportInput, fonts: &ReportFonts) -> Result<Vec<u8>, ReportError> {
    pdf::render(&view::build(input)?, fonts, input.generated)
}

/// The report's title in `lang`.
pub fn title(lang: Lang) -> &'static str {
    text::labels(lang).title
}

/// The key figures in one paragraph (a FHIR DiagnosticReport conclusion).
pub fn conclusion(input: &ReportInput) -> String {
    view::conclusion(input)
}

/// Every piece of text the report prints (for font-coverage checks).
pub fn printed_text(input: &ReportInput) -> Result<String, ReportError> {
    let view = view::build(input)?;
    let html = html::render(&view)?;
    // Strip tags: what is left is what a reader sees.
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    Ok(out)
}
