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
//! subsets and embeds the font (a Japanese system font found by family
//! name per platform, e.g. Noto Sans CJK JP on Linux, under the SIL Open
//! Font License, which allows subsetting and embedding).
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

/// Japanese-capable font families looked up by name among the system
/// fonts of `os` (a [`std::env::consts::OS`] value), most preferred first.
pub fn font_families(os: &str) -> &'static [&'static str] {
    match os {
        "windows" => &[
            "Yu Gothic",
            "Meiryo",
            "MS Gothic",
            "Noto Sans CJK JP",
            "Noto Sans JP",
        ],
        "macos" => &[
            "Hiragino Sans",
            "Hiragino Kaku Gothic ProN",
            "Noto Sans CJK JP",
            "Arial Unicode MS",
        ],
        _ => &[
            "Noto Sans CJK JP",
            "Noto Sans JP",
            "Source Han Sans JP",
            "IPAexGothic",
            "IPAGothic",
            "VL Gothic",
        ],
    }
}

/// Font files tried, in order, on `os` when no family of
/// [`font_families`] is found by name (face 0 of each: the Japanese or
/// regular face in all of these collections).
pub fn font_paths(os: &str) -> &'static [&'static str] {
    match os {
        "windows" => &[
            r"C:\Windows\Fonts\YuGothR.ttc",
            r"C:\Windows\Fonts\meiryo.ttc",
            r"C:\Windows\Fonts\msgothic.ttc",
        ],
        "macos" => &[
            "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
            "/Library/Fonts/Arial Unicode.ttf",
            "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
        ],
        // Debian/Ubuntu (fonts-noto-cjk), Arch, Fedora, older layouts,
        // fonts installed by hand, then Debian's Japanese alternatives.
        _ => &[
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
            "/usr/local/share/fonts/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
            "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
        ],
    }
}

/// The bold file beside a regular one, by the naming of the fonts in
/// [`font_paths`]: `-Regular` → `-Bold` (Noto), `YuGothR` → `YuGothB`,
/// `meiryo` → `meiryob`, `W3` → `W6` (Hiragino).
fn bold_sibling(file_name: &str) -> Option<String> {
    let pairs = [
        ("-Regular", "-Bold"),
        ("YuGothR", "YuGothB"),
        ("meiryo.", "meiryob."),
        (" W3", " W6"),
    ];
    pairs
        .iter()
        .find(|(regular, _)| file_name.contains(regular))
        .map(|(regular, bold)| file_name.replacen(regular, bold, 1))
}

/// A font face: a file and the face's index in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFace {
    /// The font file.
    pub path: PathBuf,
    /// The face in a collection (0 in a single-face file).
    pub index: u32,
}

/// A regular face and its bold, if one was found.
type Faces = (FontFace, Option<FontFace>);

/// Where the report font comes from, in order: the `PHR_REPORT_FONT`
/// override (face 0; a path that cannot be used is an error, never
/// silently replaced); else the first of `families` that `by_family`
/// finds, with its bold if found; else the first of `paths` that `exists`.
/// On failure, the message names everything tried. Pure, so the order can
/// be tested for any platform.
fn choose_font(
    override_path: Option<&std::ffi::OsStr>,
    os: &str,
    by_family: &dyn Fn(&str) -> Option<Faces>,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Faces, String> {
    if let Some(path) = override_path {
        let face = FontFace {
            path: PathBuf::from(path),
            index: 0,
        };
        return Ok((face, None));
    }
    let families = font_families(os);
    if let Some(found) = families.iter().find_map(|family| by_family(family)) {
        return Ok(found);
    }
    let paths = font_paths(os);
    if let Some(path) = paths.iter().map(Path::new).find(|p| exists(p)) {
        let bold = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(bold_sibling)
            .map(|n| path.with_file_name(n))
            .filter(|p| exists(p))
            .map(|path| FontFace { path, index: 0 });
        let face = FontFace {
            path: path.to_path_buf(),
            index: 0,
        };
        return Ok((face, bold));
    }
    let hint = match os {
        "windows" => "add the Japanese supplemental fonts (Settings, Apps, Optional features)",
        "macos" => "install a Japanese font such as Noto Sans CJK JP",
        _ => "install Noto Sans CJK (Debian: apt install fonts-noto-cjk)",
    };
    Err(format!(
        "no font covering Japanese was found on {os}: looked for the families {} among the \
         system fonts and for the files {}; {hint}, or set PHR_REPORT_FONT to a font file",
        families.join(", "),
        paths.join(", ")
    ))
}

/// Finds `family` (regular, and bold if there is one) among the system
/// fonts. fontdb (already used by usvg, so no new dependency) knows where
/// each platform keeps fonts, per-user folders and fontconfig's configured
/// directories included, and reads family names from the files, so a font
/// is found by name wherever it is installed and whatever its file is
/// called; file names differ between OS versions (Hiragino's is Japanese
/// and has moved between macOS releases), so the path lists are only the
/// fallback.
fn system_face(db: &usvg::fontdb::Database, family: &str) -> Option<Faces> {
    use usvg::fontdb::{Family, Query, Source, Weight};
    let face = |weight: Weight| {
        let id = db.query(&Query {
            families: &[Family::Name(family)],
            weight,
            ..Query::default()
        })?;
        let info = db.face(id)?;
        // Only that family: `query` falls back to others otherwise.
        if !info.families.iter().any(|(name, _)| name == family) {
            return None;
        }
        match &info.source {
            Source::File(path) => Some((
                FontFace {
                    path: path.clone(),
                    index: info.index,
                },
                info.weight,
            )),
            _ => None,
        }
    };
    let (regular, _) = face(Weight::NORMAL)?;
    let bold = face(Weight::BOLD)
        .filter(|(bold, weight)| *weight >= Weight::SEMIBOLD && *bold != regular)
        .map(|(bold, _)| bold);
    Some((regular, bold))
}

/// The fonts a PDF report embeds (regular and bold; the same face twice
/// when no bold is found).
#[derive(Clone)]
pub struct ReportFonts {
    regular: Arc<Vec<u8>>,
    bold: Arc<Vec<u8>>,
    index: u32,
    bold_index: u32,
}

impl ReportFonts {
    /// Loads a font collection or file (`index`: the face in a collection;
    /// 0 is Japanese in Noto Sans CJK) and, if it exists next to it, its
    /// bold (`-Regular` replaced by `-Bold` in the file name, or the
    /// bold of the other fonts [`font_paths`] names).
    pub fn load(path: &Path, index: u32) -> Result<ReportFonts, ReportError> {
        let bold = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(bold_sibling)
            .map(|n| path.with_file_name(n))
            .filter(|p| p.exists())
            .map(|path| FontFace { path, index });
        ReportFonts::load_faces(
            &FontFace {
                path: path.to_path_buf(),
                index,
            },
            bold.as_ref(),
        )
    }

    /// Loads `regular` and, if given and usable, `bold` (else the regular
    /// face is used for bold too).
    fn load_faces(regular: &FontFace, bold: Option<&FontFace>) -> Result<ReportFonts, ReportError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| {
                ReportError::Font(format!("cannot read the report font {}: {e}", p.display()))
            })
        };
        let data = Arc::new(read(&regular.path)?);
        if rustybuzz::Face::from_slice(&data, regular.index).is_none() {
            return Err(ReportError::Font(format!(
                "{} is not a font this report can use (face {})",
                regular.path.display(),
                regular.index
            )));
        }
        let bold = bold
            .and_then(|b| Some((Arc::new(read(&b.path).ok()?), b.index)))
            .filter(|(d, i)| rustybuzz::Face::from_slice(d, *i).is_some());
        let (bold, bold_index) = bold.unwrap_or_else(|| (data.clone(), regular.index));
        Ok(ReportFonts {
            regular: data,
            bold,
            index: regular.index,
            bold_index,
        })
    }

    /// Finds and loads the report font: `PHR_REPORT_FONT` (a path, face 0)
    /// if set; else the first of this platform's [`font_families`] among
    /// the system fonts; else the first of its [`font_paths`] that exists.
    pub fn find() -> Result<ReportFonts, ReportError> {
        ReportFonts::find_with(std::env::var_os("PHR_REPORT_FONT").as_deref())
    }

    /// [`ReportFonts::find`] with the override given.
    fn find_with(override_path: Option<&std::ffi::OsStr>) -> Result<ReportFonts, ReportError> {
        // The system fonts are scanned only when no override is set.
        let db = std::cell::OnceCell::new();
        let by_family = |family: &str| {
            let db = db.get_or_init(|| {
                let mut db = usvg::fontdb::Database::new();
                db.load_system_fonts();
                db
            });
            system_face(db, family)
        };
        let (regular, bold) = choose_font(
            override_path,
            std::env::consts::OS,
            &by_family,
            &|p: &Path| p.exists(),
        )
        .map_err(ReportError::Font)?;
        match bold {
            Some(bold) => ReportFonts::load_faces(&regular, Some(&bold)),
            // A file by path: its bold beside it, if any.
            None => ReportFonts::load(&regular.path, regular.index),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn face(path: &str) -> FontFace {
        FontFace {
            path: PathBuf::from(path),
            index: 0,
        }
    }

    type Found = Option<Faces>;

    /// The font chosen on `os` when the system has the families `installed`
    /// and the files `present`.
    fn check(os: &str, installed: &[&str], present: &[&str]) -> Result<Faces, String> {
        let by_family = |family: &str| -> Found {
            installed
                .contains(&family)
                .then(|| (face(&format!("/fonts/{family}.ttc")), None))
        };
        let exists = |p: &Path| present.iter().any(|q| Path::new(q) == p);
        choose_font(None, os, &by_family, &exists)
    }

    #[test]
    fn each_platform_prefers_its_own_japanese_fonts() {
        let chosen = |os, installed: &[&str]| check(os, installed, &[]).map(|f| f.0.path);
        let all = [
            "Noto Sans CJK JP",
            "Yu Gothic",
            "Meiryo",
            "Hiragino Sans",
            "IPAGothic",
        ];
        assert_eq!(chosen("windows", &all), Ok("/fonts/Yu Gothic.ttc".into()));
        assert_eq!(
            chosen("windows", &["Meiryo", "MS Gothic"]),
            Ok("/fonts/Meiryo.ttc".into())
        );
        assert_eq!(chosen("macos", &all), Ok("/fonts/Hiragino Sans.ttc".into()));
        assert_eq!(
            chosen("linux", &all),
            Ok("/fonts/Noto Sans CJK JP.ttc".into())
        );
        assert_eq!(
            chosen("linux", &["IPAGothic"]),
            Ok("/fonts/IPAGothic.ttc".into())
        );
    }

    #[test]
    fn file_paths_are_the_fallback_with_their_bold() {
        let win = check(
            "windows",
            &[],
            &[
                r"C:\Windows\Fonts\msgothic.ttc",
                r"C:\Windows\Fonts\meiryo.ttc",
                r"C:\Windows\Fonts\meiryob.ttc",
            ],
        );
        assert_eq!(
            win,
            Ok((
                face(r"C:\Windows\Fonts\meiryo.ttc"),
                Some(face(r"C:\Windows\Fonts\meiryob.ttc"))
            ))
        );
        let mac = check(
            "macos",
            &[],
            &["/System/Library/Fonts/Supplemental/Arial Unicode.ttf"],
        );
        assert_eq!(
            mac,
            Ok((
                face("/System/Library/Fonts/Supplemental/Arial Unicode.ttf"),
                None
            ))
        );
        let linux = check(
            "linux",
            &[],
            &[
                "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
            ],
        );
        assert_eq!(
            linux.map(|f| f.1),
            Ok(Some(face("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc")))
        );
        // A family found by name wins over a file path.
        let both = check(
            "linux",
            &["IPAexGothic"],
            &["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"],
        );
        assert_eq!(both.map(|f| f.0.path), Ok("/fonts/IPAexGothic.ttc".into()));
    }

    #[test]
    fn the_error_names_what_was_tried_on_that_platform() {
        let err = check("windows", &[], &[]).expect_err("nothing installed");
        assert!(
            err.contains("on windows")
                && err.contains("Yu Gothic")
                && err.contains(r"C:\Windows\Fonts\YuGothR.ttc"),
            "{err}"
        );
        assert!(
            !err.contains("NotoSansCJK-Regular.ttc"),
            "no Linux paths: {err}"
        );
        let err = check("macos", &[], &[]).expect_err("nothing installed");
        assert!(
            err.contains("Hiragino Sans")
                && err.contains("ヒラギノ角ゴシック W3.ttc")
                && err.contains("/Library/Fonts/Arial Unicode.ttf"),
            "{err}"
        );
        let err = check("linux", &[], &[]).expect_err("nothing installed");
        assert!(
            err.contains("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
                && err.contains("fonts-noto-cjk")
                && err.contains("PHR_REPORT_FONT"),
            "{err}"
        );
    }

    #[test]
    fn the_override_comes_first_and_is_never_replaced() {
        let everything = |_: &str| -> Found { Some((face("/fonts/any.ttc"), None)) };
        let chosen = choose_font(
            Some(OsStr::new("/my/font.otf")),
            "linux",
            &everything,
            &|_| true,
        );
        assert_eq!(chosen, Ok((face("/my/font.otf"), None)));
        // A broken override is an error naming it, not a quiet fallback.
        let err = ReportFonts::find_with(Some(OsStr::new("/nonexistent/phr-font.ttf")))
            .err()
            .expect("an error");
        assert!(
            err.to_string().contains("/nonexistent/phr-font.ttf"),
            "{err}"
        );
    }

    #[test]
    fn the_system_font_is_found_by_family_here() {
        // This machine has Noto Sans CJK (the PDF tests need it): found by
        // name through fontdb, with a Japanese face.
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        let (regular, bold) = system_face(&db, "Noto Sans CJK JP").expect("Noto Sans CJK JP");
        assert!(regular.path.exists(), "{regular:?}");
        assert!(bold.is_none_or(|b| b != regular));
        let fonts = ReportFonts::find_with(None).expect("a report font");
        assert!(fonts.covers("活動と睡眠のサマリー"));
    }
}
