//! Bounded line reading and short quotations for the text readers.
//!
//! `BufRead::lines` grows its buffer until it meets a newline, so a file
//! without one (`/dev/zero`, a binary file given by mistake) would fill the
//! memory. [`BoundedLines`] refuses a line longer than [`MAX_LINE_BYTES`]
//! after reading at most that much of it.

use std::io::{self, BufRead};

/// The longest line the text readers accept, in bytes (without its line
/// ending): 64 KiB. A minute CSV or AWD line is a few dozen bytes; a longer
/// one is an error on its line, found after reading at most this much of it.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// How much of a bad field an error message quotes, in characters.
const QUOTED_CHARS: usize = 80;

/// `text` quoted for an error message (`"…"`, escaped as `{:?}` does), cut
/// to its first 80 characters with its full length noted when longer.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
    }
}

/// Why a line could not be read.
#[derive(Debug)]
pub(crate) enum LineError {
    /// Longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// Not UTF-8 (an `io::Error` of kind `InvalidData`, as `lines()` gives)
    /// or the read failed.
    Io(io::Error),
}

impl LineError {
    /// The message for an error on a line; `io` words a read failure.
    pub(crate) fn message(self, io: impl FnOnce(io::Error) -> String) -> String {
        match self {
            LineError::TooLong => format!(
                "line longer than {MAX_LINE_BYTES} bytes; is this a text file of one reading per line?"
            ),
            LineError::Io(e) => io(e),
        }
    }
}

/// One line read: its text without the line ending (`\n` or `\r\n`).
pub(crate) struct Line {
    pub text: String,
}

/// The lines of a `BufRead`, each at most [`MAX_LINE_BYTES`] long; after an
/// error the iterator ends. [`BoundedLines::next_line`] lends each line from
/// one buffer reused for the whole file (no allocation per line); the
/// `Iterator` gives owned lines.
pub(crate) struct BoundedLines<R> {
    input: R,
    done: bool,
    bytes: Vec<u8>,
}

/// One line lent by [`BoundedLines::next_line`]: its text without the
/// line ending (`\n` or `\r\n`), and whether it had one (only the last
/// line of a file may lack it).
pub(crate) struct LineRef<'a> {
    pub text: &'a str,
    pub terminated: bool,
}

impl<R: BufRead> BoundedLines<R> {
    pub(crate) fn new(input: R) -> Self {
        BoundedLines {
            input,
            done: false,
            bytes: Vec::new(),
        }
    }

    /// The next line, lent until the next call; `None` at the end of the
    /// input or after an error.
    pub(crate) fn next_line(&mut self) -> Option<Result<LineRef<'_>, LineError>> {
        if self.done {
            return None;
        }
        match self.read_line() {
            Ok(Some(terminated)) => match std::str::from_utf8(&self.bytes) {
                Ok(text) => Some(Ok(LineRef { text, terminated })),
                Err(_) => {
                    self.done = true;
                    Some(Err(LineError::Io(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    ))))
                }
            },
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// The input's buffered bytes, for a caller that reads whole lines
    /// from them in place and then [`BoundedLines::consume`]s what it took;
    /// empty at the end, after an error, or when the read fails (the next
    /// [`BoundedLines::next_line`] then reports it on its line).
    pub(crate) fn buffered(&mut self) -> &[u8] {
        if self.done {
            return &[];
        }
        self.input.fill_buf().unwrap_or(&[])
    }

    /// Marks `n` bytes of [`BoundedLines::buffered`] as read.
    pub(crate) fn consume(&mut self, n: usize) {
        self.input.consume(n);
    }

    /// Reads the next line's bytes into `self.bytes`; whether it had a line
    /// ending, or `None` at the end of the input.
    fn read_line(&mut self) -> Result<Option<bool>, LineError> {
        self.bytes.clear();
        let terminated = loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if buf.is_empty() {
                if self.bytes.is_empty() {
                    return Ok(None);
                }
                break false;
            }
            let (chunk, newline) = match buf.iter().position(|b| *b == b'\n') {
                Some(at) => (&buf[..at], true),
                None => (buf, false),
            };
            // The `\r` of a `\r\n` may still come: allow one byte more.
            if self.bytes.len() + chunk.len() > MAX_LINE_BYTES + 1 {
                return Err(LineError::TooLong);
            }
            self.bytes.extend_from_slice(chunk);
            let used = chunk.len() + usize::from(newline);
            self.input.consume(used);
            if newline {
                break true;
            }
        };
        if terminated && self.bytes.last() == Some(&b'\r') {
            self.bytes.pop();
        }
        if self.bytes.len() > MAX_LINE_BYTES {
            return Err(LineError::TooLong);
        }
        Ok(Some(terminated))
    }
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = Result<Line, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().map(|line| {
            line.map(|l| Line {
                text: l.text.to_string(),
            })
        })
    }
}

/// A reader of `left` zero bytes and no newline, as `/dev/zero` is (cut
/// short so a failing test ends), counting what it gave.
#[cfg(test)]
pub(crate) struct Zeros {
    pub left: usize,
    pub given: std::rc::Rc<std::cell::Cell<usize>>,
}

#[cfg(test)]
impl io::Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left);
        buf[..n].fill(0);
        self.left -= n;
        self.given.set(self.given.get() + n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Result<(String, bool), String>> {
        let mut lines = BoundedLines::new(bytes);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line() {
            out.push(
                line.map(|l| (l.text.to_string(), l.terminated))
                    .map_err(|e| e.message(|e| e.to_string())),
            );
        }
        // The owned lines are the same texts.
        let owned: Vec<_> = BoundedLines::new(bytes)
            .map(|l| l.map(|l| l.text).map_err(|e| e.message(|e| e.to_string())))
            .collect();
        let texts: Vec<_> = out.iter().map(|l| l.clone().map(|(t, _)| t)).collect();
        assert_eq!(owned, texts);
        out
    }

    #[test]
    fn splits_as_lines_does_and_says_whether_the_last_ended() {
        let ok = |s: &str, t: bool| Ok((s.to_string(), t));
        assert_eq!(
            read(b"a\r\nb\n\nc"),
            vec![ok("a", true), ok("b", true), ok("", true), ok("c", false)]
        );
        assert_eq!(read(b"a\n"), vec![ok("a", true)]);
        assert!(read(b"").is_empty());
        let long = "x".repeat(MAX_LINE_BYTES);
        assert_eq!(
            read(format!("{long}\r\n").as_bytes()),
            vec![ok(&long, true)]
        );
        let too_long = read(format!("{long}x\n").as_bytes());
        assert!(matches!(&too_long[..], [Err(m)] if m.contains("longer than 65536 bytes")));
        assert!(matches!(&read(b"\xff\n")[..], [Err(m)] if m.contains("valid UTF-8")));
    }

    #[test]
    fn quotes_a_short_prefix_only() {
        assert_eq!(quoted("-4"), "\"-4\"");
        let long = "é".repeat(1000);
        let q = quoted(&long);
        assert!(q.ends_with("… (2000 bytes)"), "{q}");
        assert_eq!(q.chars().filter(|c| *c == 'é').count(), 80);
    }
}
