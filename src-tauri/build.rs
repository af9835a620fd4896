//! Generates the Tauri context and the app's ACL manifest: one
//! `allow-<command>` permission per command in `src/command_names.rs`, so
//! the capability in `capabilities/` can grant exactly those.
//!
//! `PHR_APP_CHECK_MOBILE=1` also sets `phr_check_mobile`, which compiles the
//! phone-only code paths (the mobile entry point, the vault in the app's
//! data folder) on this machine, where no Android or iOS target exists, so
//! that `cargo clippy` checks them (scripts/test.sh). Such a build is for
//! checking only.
//!
//! On Linux with glibc the app is linked with packed relative relocations
//! (`-z pack-relative-relocs`): its 71,000 pointer fix-ups take 27 kB
//! instead of 1.7 MB, which the loader no longer reads at every start, so
//! the app process holds 1.6 MB less (docs/benchmarks.md). It needs glibc
//! 2.36 or newer at run time (Debian 12), which the .deb's `Depends` says.

include!("src/command_names.rs");

fn main() {
    println!("cargo:rustc-check-cfg=cfg(phr_check_mobile)");
    println!("cargo:rerun-if-env-changed=PHR_APP_CHECK_MOBILE");
    if std::env::var_os("PHR_APP_CHECK_MOBILE").is_some_and(|v| !v.is_empty() && v != "0") {
        println!("cargo:rustc-cfg=phr_check_mobile");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed (tauri.conf.json, capabilities or permissions)");
}
