//! The app's Rust side (Tauri v2, desktop and mobile): a thin command layer
//! over the [`phr_api`] façade, which the `phr` CLI uses too.
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
//!
//! Platforms: the desktop binary (`src/main.rs`) calls [`run`]; on Android
//! and iOS the same [`run`] is the mobile entry point (`mobile` module,
//! built with the `cdylib` / `staticlib` crate types the Tauri CLI links
//! into the phone app). Desktop-only parts (WebKitGTK settings) are behind
//! `cfg(desktop)`; the vault lives in the platform's app data folder on a
//! phone. `PHR_APP_CHECK_MOBILE=1` compiles the phone-only paths here too,
//! for lints (build.rs). See docs/mobile.md.
#![deny(missing_docs)]
// Denied rather than forbidden: the mobile entry point's generated JNI and
// `no_mangle` symbols (and nothing else) are allowed in `mobile`.
#![deny(unsafe_code)]

#[cfg(test)]
mod command_names;
mod commands;
mod error;
#[cfg(any(mobile, phr_check_mobile))]
mod mobile;
mod session;
#[cfg(all(desktop, target_os = "linux"))]
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

/// Runs the app until its window closes; a failure to start is printed and
/// ends the process with status 1 (there is no caller to return it to on a
/// phone).
pub fn run() {
    if let Err(err) = try_run() {
        eprintln!("phr-app: {err}");
        std::process::exit(1);
    }
}

/// The vault file when `PHR_VAULT` is not set: the platform's data folder
/// on a desktop ([`phr_api::default_vault_path`]); on a phone, the app's
/// own data folder, which only the app can read.
#[cfg(not(any(mobile, phr_check_mobile)))]
fn platform_vault_path(_app: &tauri::App) -> Option<std::path::PathBuf> {
    phr_api::default_vault_path()
}

#[cfg(any(mobile, phr_check_mobile))]
fn platform_vault_path(app: &tauri::App) -> Option<std::path::PathBuf> {
    use tauri::Manager;
    app.path()
        .app_data_dir()
        .ok()
        .map(|dir| dir.join("vault.phr"))
}

/// Starts the app: the vault is `PHR_VAULT` if set, else the platform's
/// default; the passphrase comes from the window.
fn try_run() -> tauri::Result<()> {
    tauri::Builder::default()
        .setup(|app| {
            use tauri::Manager;
            let vault_path =
                vault_path_from(std::env::var_os("PHR_VAULT"), platform_vault_path(app));
            let session = Arc::new(Session::new(vault_path));
            app.manage(Arc::clone(&session));
            #[cfg(all(desktop, target_os = "linux"))]
            if let Some(window) = app.get_webview_window("main") {
                webview::limit_compositing(&window);
            }
            watch_idle(app.handle().clone(), session);
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
