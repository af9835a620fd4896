//! Exports people commonly have that this crate cannot read yet, told
//! apart by their first bytes so that importing one says what the file is
//! instead of failing as a malformed CSV.

use crate::ImportError;

/// What a file is, when its first bytes show an export this crate does not
/// read yet (Apple Health, Fitbit / Google Takeout JSON, a ZIP archive,
/// Garmin FIT); `None` for anything else.
pub fn unsupported_export(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") {
        // A local file header: the first entry's name follows at byte 30.
        return Some(if contains(head, b"apple_health_export") {
            "an Apple Health export (export.zip)"
        } else {
            "a ZIP archive (such as an Apple Health export or a Google Takeout)"
        });
    }
    if head.len() >= 12 && &head[8..12] == b".FIT" {
        return Some("a Garmin FIT file");
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace())?;
    match first {
        b'<' if contains(text, b"HealthData") => Some("an Apple Health export (export.xml)"),
        b'<' if contains(text, b"<motionfile") => None,
        b'<' if contains(text, b"ClinicalDocument") => {
            Some("an Apple Health clinical document (export_cda.xml)")
        }
        b'<' => Some("an XML file"),
        b'[' | b'{'
            if [
                "\"dateTime\"",
                "\"dateOfSleep\"",
                "\"logId\"",
                "\"activities-",
            ]
            .iter()
            .any(|key| contains(text, key.as_bytes())) =>
        {
            Some("a Fitbit / Google Takeout JSON export")
        }
        b'[' | b'{' => Some("a JSON file"),
        _ => None,
    }
}

/// The error for a file [`unsupported_export`] recognises: what it is and
/// which files can be imported.
pub fn check_supported(file_name: &str, head: &[u8]) -> Result<(), ImportError> {
    match unsupported_export(head) {
        Some(what) => Err(unsupported(file_name, what)),
        None => Ok(()),
    }
}

/// "`file_name` is `what`, which cannot be imported yet", with the formats
/// that can.
pub(crate) fn unsupported(file_name: &str, what: &str) -> ImportError {
    ImportError::File {
        file: file_name.to_string(),
        message: format!(
            "this is {what}, which cannot be imported yet (supported: {})",
            crate::SUPPORTED_FORMATS
        ),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_exports_are_named() {
        let cases: [(&[u8], Option<&str>); 10] = [
            (
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n<!ELEMENT",
                Some("an Apple Health export (export.xml)"),
            ),
            (
                b"PK\x03\x04\x14\x00\x08\x08\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00apple_health_export/export.xml",
                Some("an Apple Health export (export.zip)"),
            ),
            (
                b"[{\n  \"dateTime\" : \"01/01/20 00:00:00\",\n  \"value\" : \"0\"\n}",
                Some("a Fitbit / Google Takeout JSON export"),
            ),
            (
                b"\xEF\xBB\xBF[{\"logId\":26,\"dateOfSleep\":\"2020-01-02\"",
                Some("a Fitbit / Google Takeout JSON export"),
            ),
            (b"{\"a\": 1}", Some("a JSON file")),
            (
                b"\x0e\x10\xd9\x07\x00\x00\x00\x00.FIT\x00\x00",
                Some("a Garmin FIT file"),
            ),
            (b"timestamp,count\n2026-01-01 00:00,3\n", None),
            (b"Jane Doe\n01-Mar-2026\n", None),
            (b"", None),
            (b"\xEF\xBB\xBF<?xml version=\"1.0\"?><motionfile><log2>", None),
        ];
        for (head, what) in cases {
            assert_eq!(
                unsupported_export(head),
                what,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn the_error_says_what_the_file_is_and_what_can_be_imported() {
        let err = check_supported("export.xml", b"<?xml?><!DOCTYPE HealthData>").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("export.xml: this is an Apple Health export"),
            "{text}"
        );
        assert!(text.contains("minute activity CSV"));
        assert!(check_supported("a.csv", b"timestamp,count\n").is_ok());
    }
}
