//! CamNtech MotionWare `.mtn` files (MotionWatch 8), as pyActigraphy's
//! `read_raw_mtn` reads them.
//!
//! An XML log of changes (`<motionfile><log2><change>…`): `<property>`
//! elements give the subject (`+UserID`), device (`=Device`), serial number
//! (`=SerialNo`) and start (`=StartTime`, `2018-05-23 17:30:00`); `<channel>`
//! elements named `motion` and `Light` give an epoch in seconds and the
//! values, comma-separated. When a property is given more than once, the
//! first is used, as pyActigraphy does. Light is kept when its epoch is the
//! motion channel's (then cut to the motion channel's span, as
//! pyActigraphy cuts it); otherwise it is left out.
//!
//! Hostile input: the file is read whole but at most [`MAX_MTN_BYTES`];
//! XML document type declarations (entities) are refused by the parser.

use crate::lines::quoted;
use crate::recording::plausible_span;
use crate::{ActivityRecording, FileFormat, ImportError, MAX_EPOCHS};
use chrono::NaiveDateTime;
use std::io::Read;

/// The largest `.mtn` file read: 256 MiB (a year of 1-second epochs with
/// light is about 100 MiB of text).
pub const MAX_MTN_BYTES: u64 = 256 << 20;

/// Whether `head` (the first bytes of a file) looks like a MotionWare file:
/// XML whose root element is `motionfile`.
pub fn looks_like_mtn(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('<') && text.contains("<motionfile")
}

/// A channel: its epoch, its values, and where its data begin.
struct Channel {
    epoch: u32,
    values: Vec<f64>,
}

/// Parses a MotionWare `.mtn` file.
pub fn parse_mtn(input: impl Read, file: &str) -> Result<ActivityRecording, ImportError> {
    let file_error = |message: String| ImportError::File {
        file: file.to_string(),
        message,
    };
    let line_error = |line: u64, message: String| ImportError::Line {
        file: file.to_string(),
        line,
        message,
    };
    let mut bytes = Vec::new();
    input
        .take(MAX_MTN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(format!("read failed: {e}")))?;
    if bytes.len() as u64 > MAX_MTN_BYTES {
        return Err(file_error(format!(
            "larger than {MAX_MTN_BYTES} bytes; a MotionWare file is far smaller"
        )));
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        line_error(line, "not UTF-8 text".into())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        let pos = e.pos();
        line_error(
            u64::from(pos.row),
            format!("not a well-formed XML file: {e}"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "motionfile" {
        return Err(line_error(
            u64::from(doc.text_pos_at(root.range().start).row),
            format!(
                "the root element is <{}>, not <motionfile>",
                root.tag_name().name()
            ),
        ));
    }
    let child_text = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .map(|c| c.text().unwrap_or_default().trim().to_string())
    };
    let changes = || {
        root.children()
            .filter(|n| n.has_tag_name("log2"))
            .flat_map(|log| log.children().filter(|n| n.has_tag_name("change")))
    };
    let property = |name: &str| {
        changes()
            .flat_map(|change| change.children().filter(|n| n.has_tag_name("property")))
            .filter(|p| child_text(*p, "name").as_deref() == Some(name))
            .find_map(|p| child_text(p, "content"))
    };
    let channel = |name: &str| -> Result<Option<Channel>, ImportError> {
        let Some(node) = changes()
            .flat_map(|change| change.children().filter(|n| n.has_tag_name("channel")))
            .find(|c| child_text(*c, "name").as_deref() == Some(name))
        else {
            return Ok(None);
        };
        let row = |n: roxmltree::Node| u64::from(doc.text_pos_at(n.range().start).row);
        let epoch_text = child_text(node, "epoch").unwrap_or_default();
        let epoch = epoch_text
            .parse::<u32>()
            .ok()
            .filter(|e| (1..=86_400).contains(e))
            .ok_or_else(|| {
                line_error(
                    row(node),
                    format!(
                        "the {name} channel's epoch {} is not 1 to 86400 seconds",
                        quoted(&epoch_text)
                    ),
                )
            })?;
        let data = node
            .children()
            .find(|c| c.has_tag_name("data"))
            .ok_or_else(|| line_error(row(node), format!("the {name} channel has no <data>")))?;
        let mut line = row(data);
        let mut values = Vec::new();
        let text = data.text().unwrap_or_default();
        let mut fields = text.split(',').peekable();
        while let Some(field) = fields.next() {
            let value = field.trim();
            let leading = &field[..field.len() - field.trim_start().len()];
            let at = line + leading.matches('\n').count() as u64;
            line += field.matches('\n').count() as u64;
            if value.is_empty() && fields.peek().is_none() {
                break; // the trailing comma
            }
            let whole = value.parse::<u32>().ok().map(f64::from);
            let value = whole
                .or_else(|| {
                    // Light may be fractional; motion counts are whole.
                    let v = value.parse::<f64>().ok()?;
                    (name != "motion" && v.is_finite() && v >= 0.0).then_some(v)
                })
                .ok_or_else(|| {
                    let kind = if name == "motion" {
                        "a whole number"
                    } else {
                        "a number"
                    };
                    line_error(
                        at,
                        format!("{name} value {} is not {kind} of 0 or more", quoted(value)),
                    )
                })?;
            if values.len() as u64 >= MAX_EPOCHS {
                return Err(line_error(
                    at,
                    format!("more than {MAX_EPOCHS} epochs; a recording holds at most that many"),
                ));
            }
            values.push(value);
        }
        Ok(Some(Channel { epoch, values }))
    };
    let motion = channel("motion")?
        .ok_or_else(|| file_error("no motion channel (<channel><name>motion</name>)".into()))?;
    if motion.values.is_empty() {
        return Err(file_error("the motion channel holds no values".into()));
    }
    let light = channel("Light")?;
    let start_text = property("=StartTime")
        .ok_or_else(|| file_error("no start time (property =StartTime)".into()))?;
    let start = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&start_text, f).ok())
        .ok_or_else(|| {
            file_error(format!(
                "start time {} is not a time like 2018-05-23 17:30:00",
                quoted(&start_text)
            ))
        })?;
    if !plausible_span(start, motion.values.len(), motion.epoch) {
        return Err(file_error(format!(
            "a recording starting {start} with {} epochs lies outside the years {}; is the date right?",
            motion.values.len(),
            phr_model::PLAUSIBLE_YEARS
        )));
    }
    let n_epochs = motion.values.len();
    let light = light.filter(|l| l.epoch == motion.epoch).map(|l| {
        let mut values: Vec<Option<f64>> = l.values.into_iter().map(Some).collect();
        values.resize(n_epochs, None);
        values
    });
    Ok(ActivityRecording {
        format: FileFormat::Mtn,
        subject: property("+UserID").filter(|s| !s.is_empty()),
        device_model: property("=Device").filter(|s| !s.is_empty()),
        device_serial: property("=SerialNo").filter(|s| !s.is_empty()),
        start,
        epoch_seconds: motion.epoch,
        counts: motion.values.into_iter().map(Some).collect(),
        steps: None,
        light,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mtn(motion: &str, light: &str) -> String {
        format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?><motionfile><log2 major=\"2\" minor=\"1\">\n\
             <change><property><name>+UserID</name><content>S1</content></property></change>\n\
             <change><property><name>=Device</name><content>MW8</content></property></change>\n\
             <change><property><name>=SerialNo</name><content>007565</content></property></change>\n\
             <change><property><name>=StartTime</name><content>2018-05-23 17:30:00</content></property></change>\n\
             <change><channel><name>motion</name><units>Triaxial-Counts</units><epoch>5</epoch><offset>0</offset><data encoding=\"text\">{motion}</data></channel></change>\n\
             <change><channel><name>Light</name><units>lux</units><epoch>5</epoch><offset>0</offset><data encoding=\"text\">{light}</data></channel></change>\n\
             </log2></motionfile>\n"
        )
    }

    #[test]
    fn motion_and_light() {
        let text = mtn("0,1,2,\n3,4,", "5,6.5,\n7,8,9,");
        assert!(looks_like_mtn(text.as_bytes()));
        let rec = parse_mtn(text.as_bytes(), "t.mtn").expect("parses");
        assert_eq!(rec.start.to_string(), "2018-05-23 17:30:00");
        assert_eq!(rec.epoch_seconds, 5);
        assert_eq!(rec.counts, [0.0, 1.0, 2.0, 3.0, 4.0].map(Some).to_vec());
        assert_eq!(
            rec.light,
            Some([5.0, 6.5, 7.0, 8.0, 9.0].map(Some).to_vec())
        );
        assert_eq!(rec.device_serial.as_deref(), Some("007565"));
        assert_eq!(rec.subject.as_deref(), Some("S1"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                mtn("0,1,\n2,x,\n3", "1"),
                "t.mtn, line 7:",
                "motion value \"x\"",
            ),
            (
                mtn("0,1,\n-2,", "1"),
                "t.mtn, line 7:",
                "motion value \"-2\"",
            ),
            (
                mtn("0,1,\n2.5,", "1"),
                "t.mtn, line 7:",
                "motion value \"2.5\"",
            ),
            (mtn("", ""), "t.mtn:", "holds no values"),
            (
                mtn("1,2", "1").replace("2018-05-23", "23/05/2018"),
                "t.mtn:",
                "start time",
            ),
            (
                mtn("1,2", "1").replace(
                    "<epoch>5</epoch><offset>0</offset><data encoding=\"text\">1,2",
                    "<epoch>0</epoch><offset>0</offset><data encoding=\"text\">1,2",
                ),
                "t.mtn, line 6:",
                "epoch \"0\"",
            ),
        ];
        for (text, start, fragment) in cases {
            let message = parse_mtn(text.as_bytes(), "t.mtn")
                .expect_err("rejected")
                .to_string();
            assert!(
                message.starts_with(start) && message.contains(fragment),
                "{message}"
            );
        }
        let whole = mtn("0,1,2", "1");
        let cut = &whole[..whole.len() / 2];
        let message = parse_mtn(cut.as_bytes(), "t.mtn")
            .expect_err("cut")
            .to_string();
        assert!(message.contains("not a well-formed XML file"), "{message}");
        let doctype = "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaa\">]><motionfile>&a;</motionfile>";
        assert!(parse_mtn(doctype.as_bytes(), "t.mtn").is_err());
    }
}
