//! Test only: the architecture rules of ARCHITECTURE.md, checked on every
//! test run (`cargo test -p phr-architecture-check`).
//!
//! - **Dependencies**: each of our crates depends (normal and build
//!   dependencies) only on the crates of ours that the table in
//!   `tests/architecture/dependencies.rs` allows, and every workspace member
//!   has a row there, so a new crate is placed in the graph deliberately.
//! - **No wall clock**: the façade (`phr-api`) and the pure crates never
//!   read the time of day; it is passed in (`tests/architecture/clock.rs`).
//!
//! The crate has no code of its own: the checks read `cargo metadata` and
//! the source files.
#![forbid(unsafe_code)]
