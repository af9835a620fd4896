//! The memory floor of a WebKitGTK window, to compare the app against.
//!
//! One GTK window with one WebKit web view showing a line of text: no
//! Tauri, no front end, no vault. Compositing and the environment follow
//! the app's rules without a GPU (`phr_app::webview`). Whatever this
//! costs, every app built on the system's WebKitGTK pays;
//! `tests/memory/measure.py` reads both.
//!
//! ```sh
//! cargo build --release -p phr-app --example webkit_floor
//! xvfb-run -a python3 tests/memory/measure.py target/release/examples/webkit_floor
//! ```

#[cfg(target_os = "linux")]
fn main() {
    use gtk::prelude::*;
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};

    phr_app::webview::prepare_environment();
    if let Err(e) = gtk::init() {
        eprintln!("webkit_floor: GTK did not start: {e}");
        std::process::exit(1);
    }
    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.set_default_size(1024, 768);
    let view = webkit2gtk::WebView::new();
    if !phr_app::webview::use_compositing() {
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    }
    view.load_html("<!doctype html><p>A web view and nothing else.</p>", None);
    window.add(&view);
    window.connect_destroy(|_| gtk::main_quit());
    window.show_all();
    gtk::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("webkit_floor measures WebKitGTK, which is Linux only");
}
