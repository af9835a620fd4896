//! The phone app's entry point. The Tauri CLI builds this crate as a
//! `cdylib` (Android, loaded by the generated Kotlin activity through JNI)
//! or a `staticlib` (iOS, linked into the generated Xcode project); both
//! call [`start`], which starts the same app as the desktop binary.
//!
//! Not built for a phone on our machines (no Android NDK or Xcode there):
//! `PHR_APP_CHECK_MOBILE=1 cargo clippy` compiles [`start`] as a plain
//! function on Linux, while the entry-point macro and the Android JNI code
//! below are compiled only by a phone build (docs/mobile.md).
#![allow(unsafe_code)] // the generated JNI / `no_mangle` symbols, and JNI below

/// Starts the app on a phone. On Android, btleplug's Java side (droidplug)
/// is initialised first, from the activity's thread, so that scanning and
/// connecting work; without it btleplug panics at the first scan.
// Tauri exports the macro on phones only; the lint check on this machine
// (`phr_check_mobile`) compiles the plain function.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
#[cfg_attr(not(mobile), allow(dead_code))]
fn start() {
    #[cfg(target_os = "android")]
    if let Err(err) = init_android_bluetooth() {
        // The app still opens: imports, analysis and sharing work; the
        // Devices screen shows the Bluetooth error.
        eprintln!("phr-app: Bluetooth unavailable: {err}");
    }
    super::run();
}

/// btleplug's Android initialisation: it needs the JNI environment of the
/// app's Java VM, which `ndk-context` holds once the activity has loaded
/// this library.
#[cfg(target_os = "android")]
fn init_android_bluetooth() -> Result<(), String> {
    let context = ndk_context::android_context();
    // SAFETY: the pointer is the process's JavaVM, set by the Android
    // activity before any Rust code runs, and valid for the process's life.
    let vm = unsafe { jni::JavaVM::from_raw(context.vm().cast()) }.map_err(|e| e.to_string())?;
    let env = vm
        .attach_current_thread_permanently()
        .map_err(|e| e.to_string())?;
    btleplug::platform::init(&env).map_err(|e| e.to_string())
}
