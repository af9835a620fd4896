//! Integration tests of phr-care on synthetic lifelogs from phr-synth.

mod digest;
mod synthetic;
