//! The PHR companion desktop app (see the `phr_app` library).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(err) = phr_app::run() {
        eprintln!("phr-app: {err}");
        std::process::exit(1);
    }
}
