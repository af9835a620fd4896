//! The desktop app's Rust side (Tauri v2): a thin command layer over the
//! [`phr_api`] façade, which the `phr` CLI uses too.
//!
//! Key design choices: each command takes the shared [`Session`], checks its
//! text arguments, runs the façade call on the blocking pool (Argon2,
//! SQLite, Bluetooth and HTTP never run on the main thread) and maps
//! `ApiError` to the `{code, message}` the web front end switches on. Long
//! work streams progress over a `Channel` and is cancelled through the
//! vault's cancel flag, held apart from the vault so `cancel` never waits.
//! The vault locks on request and after the idle time in the app settings;
//! an auto-lock emits the `locked` event. Nothing is cached outside the
//! open vault.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(test)]
mod command_names;
mod commands;
mod error;
mod session;
#[cfg(target_os = "linux")]
pub mod webview;
mod wire;

use session::{vault_path_from, Session};

use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter};

/// How often the idle clock is checked.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// Locks the vault once it has sat idle for the auto-lock time and tells
/// the webview (`locked` event), for as long as the app runs.
fn watch_idle(app: AppHandle, session: Arc<Session>) {
    std::thread::Builder::new()
        .name("auto-lock".into())
        .spawn(move || loop {
            std::thread::sleep(IDLE_CHECK);
            if session.lock_if_idle(Instant::now()) {
                let _ = app.emit("locked", ());
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| eprintln!("phr-app: no auto-lock: {e}"));
}

/// Starts the app: the vault is `PHR_VAULT` if set, else
/// [`phr_api::default_vault_path`]; the passphrase comes from the window.
pub fn run() -> tauri::Result<()> {
    let vault_path = vault_path_from(std::env::var_os("PHR_VAULT"), phr_api::default_vault_path());
    let session = Arc::new(Session::new(vault_path));
    let watched = Arc::clone(&session);
    tauri::Builder::default()
        .manage(session)
        .setup(move |app| {
            #[cfg(target_os = "linux")]
            {
                use tauri::Manager;
                if let Some(window) = app.get_webview_window("main") {
                    webview::limit_compositing(&window);
                }
            }
            watch_idle(app.handle().clone(), watched);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault_status,
            commands::create_vault,
            commands::unlock,
            commands::lock,
            commands::activity,
            commands::people,
            commands::add_person,
            commands::devices,
            commands::scan,
            commands::pair,
            commands::sync_demo,
            commands::sync_device,
            commands::heart_rate,
            commands::import_file,
            commands::cancel,
            commands::dashboard,
            commands::alerts,
            commands::care_overview,
            commands::ack_alert,
            commands::share_preview,
            commands::share,
            commands::recipients,
            commands::shares,
            commands::audit,
            commands::settings,
            commands::save_settings,
            commands::alert_settings,
            commands::save_alert_settings,
            commands::make_report,
        ])
        .run(tauri::generate_context!())
}

#[cfg(test)]
mod tests {
    use crate::command_names::COMMANDS;

    /// `permissions/app.toml` grants exactly the commands there are.
    #[test]
    fn permission_set_lists_every_command_once() {
        let toml = include_str!("../permissions/app.toml");
        let mut granted: Vec<String> = toml
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix("\"allow-"))
            .map(|l| {
                l.trim_end_matches(',')
                    .trim_end_matches('"')
                    .replace('-', "_")
            })
            .collect();
        let mut commands: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
        granted.sort();
        commands.sort();
        assert_eq!(granted, commands);
        commands.dedup();
        assert_eq!(commands.len(), COMMANDS.len());
    }

    /// Every command the web front end calls exists, and no other.
    #[test]
    fn commands_are_the_ones_the_ui_calls() {
        let api = include_str!("../../ui/src/lib/api.ts");
        let mut called: Vec<&str> = api
            .split("call(")
            .skip(1)
            .filter_map(|rest| rest.strip_prefix('\''))
            .filter_map(|rest| rest.split('\'').next())
            .collect();
        called.sort();
        called.dedup();
        let mut commands = COMMANDS.to_vec();
        commands.sort();
        assert_eq!(called, commands);
    }

    /// The handler registers every command of the list (by source text, as
    /// `generate_handler!` cannot be inspected).
    #[test]
    fn handler_registers_every_command() {
        let source = include_str!("lib.rs");
        for command in COMMANDS {
            assert!(
                source.contains(&format!("commands::{command},")),
                "{command} is not in generate_handler!"
            );
        }
    }
}
