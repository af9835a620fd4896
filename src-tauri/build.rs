//! Generates the Tauri context and the app's ACL manifest: one
//! `allow-<command>` permission per command in `src/command_names.rs`, so
//! the capability in `capabilities/` can grant exactly those.

include!("src/command_names.rs");

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed (tauri.conf.json, capabilities or permissions)");
}
