//! A private `dbus-daemon` for tests.

use crate::SimError;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A private bus daemon (`dbus-daemon --config-file=/usr/share/dbus-1/session.conf`),
/// killed when dropped. Export [`PrivateBus::address`] as
/// `DBUS_SYSTEM_BUS_ADDRESS` for the client under test.
#[derive(Debug)]
pub struct PrivateBus {
    child: Child,
    address: String,
}

impl PrivateBus {
    /// Session policy file: allows any name, so we can own `org.bluez`.
    pub const CONFIG: &'static str = "/usr/share/dbus-1/session.conf";

    /// Starts the daemon and waits for it to print its address.
    pub async fn start() -> Result<Self, SimError> {
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", Self::CONFIG))
            .arg("--print-address")
            .arg("--nofork")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| SimError::Daemon(format!("cannot run dbus-daemon: {e}")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| SimError::Daemon("no stdout".into()))?;
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        tokio::time::timeout(std::time::Duration::from_secs(10), read)
            .await
            .map_err(|_| SimError::Daemon("dbus-daemon printed no address in 10 s".into()))?
            .map_err(|e| SimError::Daemon(format!("reading dbus-daemon address: {e}")))?;
        let address = line.trim().to_string();
        if address.is_empty() {
            return Err(SimError::Daemon(
                "dbus-daemon exited without an address".into(),
            ));
        }
        Ok(PrivateBus { child, address })
    }

    /// The bus address (`unix:path=…,guid=…`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Process id of the daemon.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}
