//! The analysis crate's integration tests, one binary: properties over
//! arbitrary inputs, and the differential comparison with pyActigraphy.

mod properties;
mod reference;
