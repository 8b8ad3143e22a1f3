//! libxdp's messages, forwarded to the [`log`] crate.
//!
//! Installed once, on the first UMEM creation. Warnings go to `log::warn!`, info to
//! `log::info!`, debug to `log::debug!`, all with target `libxdp`.

use std::sync::Once;

static INSTALL: Once = Once::new();

/// Route libxdp's print callback to the `log` crate (once per process).
pub(crate) fn install() {
    INSTALL.call_once(imp::install);
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod imp {
    use std::ffi::{c_char, c_int};

    use libxdp_sys as sys;

    extern "C" {
        /// C's vsnprintf, with the `va_list` the way bindgen hands it to the print callback
        /// on x86_64 (a pointer to the one-element `__va_list_tag` array).
        fn vsnprintf(
            buf: *mut c_char,
            size: usize,
            fmt: *const c_char,
            ap: *mut sys::__va_list_tag,
        ) -> c_int;
    }

    fn level(l: sys::libxdp_print_level) -> ::log::Level {
        match l {
            sys::libxdp_print_level_LIBXDP_WARN => ::log::Level::Warn,
            sys::libxdp_print_level_LIBXDP_INFO => ::log::Level::Info,
            _ => ::log::Level::Debug,
        }
    }

    unsafe extern "C" fn print(
        l: sys::libxdp_print_level,
        fmt: *const c_char,
        ap: *mut sys::__va_list_tag,
    ) -> c_int {
        let lvl = level(l);
        if fmt.is_null() || !::log::log_enabled!(target: "libxdp", lvl) {
            return 0;
        }
        let mut buf = [0u8; 1024];
        // SAFETY: buf is valid for buf.len() bytes; fmt and ap are the format and arguments
        // libxdp passes to its print callback, used once, here.
        let n = unsafe { vsnprintf(buf.as_mut_ptr().cast(), buf.len(), fmt, ap) };
        if n < 0 {
            return n;
        }
        let end = (n as usize).min(buf.len() - 1);
        let text = String::from_utf8_lossy(&buf[..end]);
        let text = text.trim_end();
        let truncated = n as usize >= buf.len();
        // A panicking logger must not unwind into C.
        let _ = std::panic::catch_unwind(|| {
            ::log::log!(target: "libxdp", lvl, "{text}{}", if truncated { "..." } else { "" });
        });
        n
    }

    pub(super) fn install() {
        // SAFETY: `print` has the callback signature libxdp expects and stays valid forever.
        unsafe { sys::libxdp_set_print(Some(print)) };
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
mod imp {
    /// The `va_list` ABI differs per architecture; elsewhere libxdp keeps printing to stderr.
    pub(super) fn install() {}
}
