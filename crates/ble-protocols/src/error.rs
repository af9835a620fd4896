//! The one error type of this crate.

/// Why a payload could not be decoded. Every variant names the characteristic
/// (or stream) and, where it applies, the field and byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The payload ended before a field was complete.
    #[error("{what}: truncated at byte {offset} reading {field} ({needed} byte(s) needed, payload is {len} byte(s))")]
    Truncated {
        /// Characteristic or stream being decoded.
        what: &'static str,
        /// Field being read.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Total payload length.
        len: usize,
    },
    /// A field holds a value the specification does not allow.
    #[error("{what}: invalid {field} at byte {offset}: {reason}")]
    Invalid {
        /// Characteristic or stream being decoded.
        what: &'static str,
        /// Field that is wrong.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Bytes were left over after the last field the flags announce.
    #[error("{what}: {extra} unexpected trailing byte(s) at byte {offset}")]
    Trailing {
        /// Characteristic or stream being decoded.
        what: &'static str,
        /// Offset of the first unexpected byte.
        offset: usize,
        /// How many bytes were left.
        extra: usize,
    },
    /// A flag announces a field this decoder does not know the layout of, so
    /// the rest of the payload cannot be located.
    #[error("{what}: flag bit {bit} is set but its field is not supported (byte {offset})")]
    UnsupportedFlag {
        /// Characteristic being decoded.
        what: &'static str,
        /// The flag bit.
        bit: u32,
        /// Offset where the field would start.
        offset: usize,
    },
    /// A segmented record lost a segment or received one out of order; the
    /// partial record was discarded.
    #[error("{what}: segment out of sequence (expected counter {expected}, got {got}); partial record of {discarded} byte(s) discarded")]
    SegmentSequence {
        /// Characteristic being reassembled.
        what: &'static str,
        /// Counter value expected.
        expected: u8,
        /// Counter value received.
        got: u8,
        /// Bytes of partial record thrown away.
        discarded: usize,
    },
    /// A continuation segment arrived with no record in progress.
    #[error("{what}: continuation segment (counter {counter}) without a first segment")]
    SegmentWithoutFirst {
        /// Characteristic being reassembled.
        what: &'static str,
        /// Counter of the orphan segment.
        counter: u8,
    },
    /// A new record started before the previous one was complete.
    #[error(
        "{what}: new record started before the previous one ended; {discarded} byte(s) discarded"
    )]
    SegmentInterrupted {
        /// Characteristic being reassembled.
        what: &'static str,
        /// Bytes of the unfinished record thrown away.
        discarded: usize,
    },
    /// A reassembled record or a text line grew beyond the allowed size.
    #[error("{what}: record exceeds {limit} bytes; discarded")]
    TooLarge {
        /// Stream being reassembled.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A JSON line could not be parsed.
    #[error("{what}: bad JSON line at column {column}: {reason}")]
    Json {
        /// Stream being decoded.
        what: &'static str,
        /// Column (1-based) of the problem.
        column: usize,
        /// The parser's message.
        reason: String,
    },
}
