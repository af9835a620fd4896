//! A byte pipe with notifications to a watch: what the Bangle.js history
//! engine (`phr-wearables`) talks over. [`crate::UartSession`] is the
//! Bluetooth LE implementation; `phr-wearables` has an in-process one.

use std::future::Future;
use std::time::Duration;

/// Why a link operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The connection dropped.
    #[error("the link dropped")]
    Disconnected,
    /// Nothing arrived in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Anything else the transport reports.
    #[error("{0}")]
    Transport(String),
}

/// A bidirectional byte link to a watch (Nordic UART over BLE, or a
/// simulation).
pub trait UartLink {
    /// The device's name, for errors.
    fn device(&self) -> &str;
    /// Writes bytes to the watch's TX characteristic.
    fn send(&mut self, bytes: &[u8]) -> impl Future<Output = Result<(), LinkError>>;
    /// The next RX notification.
    fn receive(&mut self) -> impl Future<Output = Result<Vec<u8>, LinkError>>;
}
