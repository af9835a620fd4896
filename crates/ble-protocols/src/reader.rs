//! A bounds-checked little-endian cursor over a payload.

use crate::DecodeError;

/// Reads little-endian fields from a payload, naming the field in errors.
pub(crate) struct Reader<'a> {
    what: &'static str,
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, bytes: &'a [u8]) -> Self {
        Reader {
            what,
            bytes,
            offset: 0,
        }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    pub(crate) fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .offset
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        match end {
            Some(end) => {
                let slice = &self.bytes[self.offset..end];
                self.offset = end;
                Ok(slice)
            }
            None => Err(DecodeError::Truncated {
                what: self.what,
                field,
                offset: self.offset,
                needed: n,
                len: self.bytes.len(),
            }),
        }
    }

    /// Reads an unsigned little-endian integer of `n` bytes (1..=8).
    pub(crate) fn uint(&mut self, field: &'static str, n: usize) -> Result<u64, DecodeError> {
        let bytes = self.take(field, n)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte)))
    }

    /// Reads a signed (two's complement) little-endian integer of `n` bytes.
    pub(crate) fn sint(&mut self, field: &'static str, n: usize) -> Result<i64, DecodeError> {
        let raw = self.uint(field, n)?;
        let bits = (n * 8) as u32;
        if bits >= 64 {
            return Ok(raw as i64);
        }
        let sign = 1u64 << (bits - 1);
        Ok(if raw & sign != 0 {
            (raw as i64) - (1i64 << bits)
        } else {
            raw as i64
        })
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(field, 1)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(self.uint(field, 2)? as u16)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(self.uint(field, 4)? as u32)
    }

    pub(crate) fn i16(&mut self, field: &'static str) -> Result<i16, DecodeError> {
        Ok(self.sint(field, 2)? as i16)
    }

    pub(crate) fn invalid(&self, field: &'static str, at: usize, reason: String) -> DecodeError {
        DecodeError::Invalid {
            what: self.what,
            field,
            offset: at,
            reason,
        }
    }

    /// Fails if any byte is left.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(DecodeError::Trailing {
                what: self.what,
                offset: self.offset,
                extra,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_sign_extends() {
        let mut reader = Reader::new("t", &[0x34, 0x12, 0xFE, 0xFF, 0xFF, 0x01]);
        assert_eq!(reader.u16("a").unwrap(), 0x1234);
        assert_eq!(reader.sint("b", 3).unwrap(), -2);
        assert_eq!(reader.u8("c").unwrap(), 1);
        assert!(reader.finish().is_ok());
    }

    #[test]
    fn truncation_names_field_and_offset() {
        let mut reader = Reader::new("thing", &[1, 2, 3]);
        reader.u16("first").unwrap();
        let error = reader.u32("second").unwrap_err();
        assert_eq!(
            error.to_string(),
            "thing: truncated at byte 2 reading second (4 byte(s) needed, payload is 3 byte(s))"
        );
    }
}
