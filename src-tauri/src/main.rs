//! The PHR companion desktop app (see the `phr_app` library).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before GTK, WebKit or any thread starts.
    #[cfg(target_os = "linux")]
    phr_app::webview::prepare_environment();
    if let Err(err) = phr_app::run() {
        eprintln!("phr-app: {err}");
        std::process::exit(1);
    }
}
