// The commands the webview may call: one list for the build script (which
// generates an `allow-<command>` permission for each) and for the tests that
// keep `permissions/app.toml` and the invoke handler in step with it.

/// Every `#[tauri::command]` of the app, by name.
pub const COMMANDS: &[&str] = &[
    "vault_status",
    "create_vault",
    "unlock",
    "lock",
    "activity",
    "people",
    "add_person",
    "devices",
    "scan",
    "pair",
    "sync_demo",
    "sync_device",
    "heart_rate",
    "import_file",
    "cancel",
    "dashboard",
    "alerts",
    "care_overview",
    "ack_alert",
    "share_preview",
    "share",
    "recipients",
    "shares",
    "audit",
    "settings",
    "save_settings",
    "alert_settings",
    "save_alert_settings",
    "make_report",
];
