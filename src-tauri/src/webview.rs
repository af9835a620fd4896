//! The window's web view on a machine without a GPU (WebKitGTK, Linux).
//!
//! Without a GPU, WebKitGTK's accelerated compositing draws every layer
//! with Mesa's software renderer (llvmpipe), and the web process then holds
//! about 90 MB more at the first screen and 170 MB more at the dashboard
//! (`docs/benchmarks.md`), and a software compositor buys little. So when the
//! machine has no DRM render node, the web view's hardware acceleration
//! policy is set to never (the same as `WEBKIT_DISABLE_COMPOSITING_MODE=1`);
//! with a GPU it stays on, where it makes scrolling and animation smooth.
//!
//! Two more switches only take effect before GTK and WebKit start, so
//! [`prepare_environment`] sets them first thing in `main`: GTK's OpenGL off
//! (it would load Mesa only to pick window visuals) and WebKit's DMA-BUF
//! renderer off (it only pays with a GPU). Together 10 MB less at the first
//! screen (`docs/benchmarks.md`). Mesa itself stays loaded: WebKit opens an
//! EGL display in the app and the web process whether it composites or not.
//!
//! On every machine, JavaScriptCore's JIT compilers are off
//! (`JSC_useJIT=false`, [`ALWAYS_ENVIRONMENT`]): the app's few hundred
//! kilobytes of script run in the interpreter fast enough (the dashboard
//! drew 5 % slower in the end-to-end test, 1,005 against 957 ms), and the
//! web process keeps 7 MB less at the first screen and 15 MB less at the
//! dashboard without the JIT's code and compiler pages
//! (`docs/benchmarks.md`); no code is generated at run time either, which
//! takes a class of engine exploits away. Its heap is also sized for a
//! small app (`JSC_largeHeapSize`, `JSC_forceRAMSize`): by default it lets
//! 32 MB of garbage pile up before its first collection and scales its
//! budgets to the machine's RAM, so the dashboard's loading left 11 MB more
//! in the web process (the same end-to-end test, 137.9 against 126.1 MB).

use std::path::Path;

/// Whether `dev_dri` (normally `/dev/dri`) holds a DRM render node
/// (`renderD128`, ...): the device a GPU-accelerated WebKit renders with.
pub fn has_render_node(dev_dri: &Path) -> bool {
    std::fs::read_dir(dev_dri).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Whether the web view should composite with the GPU: only when there is
/// one. (`WEBKIT_DISABLE_COMPOSITING_MODE`, if set, still wins in WebKit.)
pub fn use_compositing() -> bool {
    has_render_node(Path::new("/dev/dri"))
}

/// Variables set before GTK and WebKit start on a machine without a GPU.
pub const NO_GPU_ENVIRONMENT: [(&str, &str); 2] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
];

/// Variables set before WebKit starts on every machine: the JIT off, and
/// JavaScriptCore's heap sized for a small app rather than for the
/// machine's RAM (`largeHeapSize`, bytes allocated before the first
/// collection, 32 MB by default; `forceRAMSize`, the RAM its heuristics
/// assume, the machine's by default), so the garbage of loading a screen
/// is collected instead of kept.
pub const ALWAYS_ENVIRONMENT: [(&str, &str); 3] = [
    ("JSC_useJIT", "false"),
    ("JSC_largeHeapSize", "1048576"),
    ("JSC_forceRAMSize", "268435456"),
];

/// Which variables to set: [`ALWAYS_ENVIRONMENT`], and
/// [`NO_GPU_ENVIRONMENT`] without a GPU; never one the user has set
/// (`is_set`).
pub fn environment_to_set(
    has_gpu: bool,
    is_set: impl Fn(&str) -> bool,
) -> Vec<(&'static str, &'static str)> {
    let no_gpu: &[(&str, &str)] = if has_gpu { &[] } else { &NO_GPU_ENVIRONMENT };
    ALWAYS_ENVIRONMENT
        .iter()
        .chain(no_gpu)
        .copied()
        .filter(|(name, _)| !is_set(name))
        .collect()
}

/// Sets [`ALWAYS_ENVIRONMENT`], and [`NO_GPU_ENVIRONMENT`] when there is no
/// GPU. Call it first in
/// `main`, before any thread or GTK starts; the web processes WebKit spawns
/// inherit it.
pub fn prepare_environment() {
    for (name, value) in
        environment_to_set(use_compositing(), |name| std::env::var_os(name).is_some())
    {
        std::env::set_var(name, value);
    }
}

/// Turns compositing off in the window's web view if there is no GPU.
pub fn limit_compositing(window: &tauri::WebviewWindow) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    if use_compositing() {
        return;
    }
    let result = window.with_webview(|webview| {
        if let Some(settings) = WebViewExt::settings(&webview.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(e) = result {
        eprintln!("phr-app: web view settings not applied: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_means_a_gpu() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(
            !has_render_node(dir.path()),
            "a display card alone is not a render node"
        );
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
    }

    #[test]
    fn the_no_gpu_environment_is_set_only_without_a_gpu_and_never_over_the_user() {
        assert_eq!(
            environment_to_set(true, |_| false),
            ALWAYS_ENVIRONMENT.to_vec(),
            "with a GPU only JavaScriptCore's switches"
        );
        assert_eq!(
            environment_to_set(false, |_| false),
            vec![
                ("JSC_useJIT", "false"),
                ("JSC_largeHeapSize", "1048576"),
                ("JSC_forceRAMSize", "268435456"),
                ("GDK_GL", "disable"),
                ("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            ]
        );
        assert_eq!(
            environment_to_set(false, |name| name == "GDK_GL" || name.starts_with("JSC_")),
            vec![("WEBKIT_DISABLE_DMABUF_RENDERER", "1")],
            "a variable the user set is left as it is"
        );
    }
}
