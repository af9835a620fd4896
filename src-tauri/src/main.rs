//! The PHR companion desktop app (see the `phr_app` library; on a phone the
//! library's mobile entry point starts the same app).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before GTK, WebKit or any thread starts.
    #[cfg(target_os = "linux")]
    phr_app::webview::prepare_environment();
    phr_app::run();
}
