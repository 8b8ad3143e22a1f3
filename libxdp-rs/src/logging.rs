//! What libxdp and libbpf print, and where it goes.
//!
//! # libbpf: quiet by default
//!
//! libxdp loads its BPF objects through libbpf, which prints what it notices about them on
//! stderr (`libbpf: elf: skipping unrecognized data section(7) xdp_metadata`, for every
//! socket). libbpf has one print hook for the whole process, which an application may have set
//! for its own BPF objects. So this crate never keeps it: only while one of its threads is inside
//! a libxdp call (creating or deleting a UMEM or a socket) does it put a hook of its own in
//! place, and puts back the one it found when the last such call returns (unless the
//! application set another one meanwhile: that one stays). During that time:
//!
//! - what libbpf prints on the thread inside the libxdp call, caused by libxdp's objects, goes
//!   to the [`log`] crate, target `libbpf` (warnings at `warn`, the rest at `debug`; the known
//!   noise about libxdp's objects, such as their `.xdp_metadata` sections, at `trace`);
//! - what libbpf prints on any other thread goes to the hook that was in place before (libbpf's
//!   own, which prints to stderr, or the application's), as if this crate were not there.
//!
//! # libxdp: [`install`]
//!
//! libxdp's own messages have a hook of their own (`libxdp_set_print`). By default this crate
//! leaves it alone: libxdp then prints its warnings (and nothing else) on stderr, as it does
//! for C programs. Those warnings are rare and worth seeing (patch 0002's, for example, names
//! the two namespaces of a UMEM used in the wrong one), and a program that has no logger would
//! not see them in `log`. A program with a logger calls [`install`] once, and all of libxdp's
//! messages (warnings, info and debug) go to its logger instead, target `libxdp`.

use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr};
use std::sync::{Mutex, Once};

use libxdp_sys as sys;

use sys::libbpf_sys as bpf;

/// Route libxdp's messages to the [`log`] crate, target `libxdp` (once per process; later
/// calls do nothing).
///
/// Warnings go to `log::warn!`, info to `log::info!`, debug to `log::debug!`. This replaces
/// the hook set before with `libxdp_set_print` (libxdp's default, which prints warnings on
/// stderr, or one the application set itself). Without it, libxdp keeps printing its warnings
/// on stderr; see the [module documentation](self) for why that is the default.
///
/// ```
/// libxdp_rs::logging::install(); // once, after setting up the logger
/// ```
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: libxdp_print has the callback signature libxdp expects (its va_list argument
        // is of the type libxdp-sys' bindings give it on this target: `V` is inferred from
        // it) and stays valid forever.
        unsafe { sys::libxdp_set_print(Some(libxdp_print)) };
    });
}

/// How many bytes of one message are kept; longer ones end in `...`.
const MAX_MESSAGE: usize = 1024;

/// C's `vsnprintf` for the `va_list` type `V` that the bindings give the print callbacks on this
/// target (a pointer to the one-element `__va_list_tag` array on x86_64, a structure on
/// aarch64, a plain pointer on others): the callback receives a `va_list` in the C calling
/// convention, and passes it on unchanged in the same one.
///
/// # Safety
/// `V` must be the type of a `va_list` in the signature of a C print callback, `fmt` and `ap`
/// the format and the arguments C passed to that callback, not used since.
unsafe fn vformat<V>(fmt: *const c_char, ap: V) -> Option<String> {
    extern "C" {
        /// Declared without its parameters: it is only called through the typed pointer below.
        #[link_name = "vsnprintf"]
        fn vsnprintf_symbol();
    }
    type Vsnprintf<V> = unsafe extern "C" fn(*mut c_char, usize, *const c_char, V) -> c_int;
    if fmt.is_null() {
        return None;
    }
    // SAFETY: vsnprintf has this signature, with `V` standing for its va_list parameter as the
    // caller promises; function pointers all have one size.
    let vsnprintf: Vsnprintf<V> =
        unsafe { std::mem::transmute::<unsafe extern "C" fn(), Vsnprintf<V>>(vsnprintf_symbol) };
    let mut buf = [0u8; MAX_MESSAGE];
    // SAFETY: buf is valid for buf.len() bytes; fmt and ap are the format and arguments the C
    // caller passed, used once, here.
    let n = unsafe { vsnprintf(buf.as_mut_ptr().cast(), buf.len(), fmt, ap) };
    if n < 0 {
        return None;
    }
    let text = CStr::from_bytes_until_nul(&buf).ok()?.to_string_lossy();
    let mut text = text.trim_end().to_owned();
    if n as usize >= buf.len() {
        text.push_str("...");
    }
    Some(text)
}

/// Hand `text` to the logger; a panicking logger must not unwind into C.
fn emit(target: &str, level: ::log::Level, text: &str) {
    let _ = std::panic::catch_unwind(|| {
        ::log::log!(target: target, level, "{text}");
    });
}

/// libxdp's print callback once [`install`]ed.
unsafe extern "C" fn libxdp_print<V>(
    level: sys::libxdp_print_level,
    fmt: *const c_char,
    ap: V,
) -> c_int {
    let level = match level {
        sys::libxdp_print_level_LIBXDP_WARN => ::log::Level::Warn,
        sys::libxdp_print_level_LIBXDP_INFO => ::log::Level::Info,
        _ => ::log::Level::Debug,
    };
    if !::log::log_enabled!(target: "libxdp", level) {
        return 0;
    }
    // SAFETY: V is the va_list of libxdp's print callback; fmt and ap are what libxdp passed.
    match unsafe { vformat(fmt, ap) } {
        Some(text) => {
            emit("libxdp", level, &text);
            text.len() as c_int
        }
        None => 0,
    }
}

/// What libbpf prints about libxdp's objects every time, and means nothing to a user of this
/// crate: logged at `trace` only.
const LIBBPF_NOISE: &[&str] = &[
    // libxdp's objects carry an .xdp_metadata section (XDP hints) that libbpf does not know.
    "elf: skipping unrecognized data section",
];

thread_local! {
    /// How deep the thread is in libxdp calls made by this crate ([`libbpf_quiet`]).
    static INSIDE_LIBXDP: Cell<u32> = const { Cell::new(0) };
}

/// The hook this crate replaced while its libxdp calls run ([`libbpf_quiet`]).
struct Swapped {
    /// Threads inside such calls now.
    depth: usize,
    /// The hook found before the first of them; put back after the last.
    previous: bpf::libbpf_print_fn_t,
}

static SWAPPED: Mutex<Swapped> = Mutex::new(Swapped {
    depth: 0,
    previous: None,
});

/// Run `f`, a libxdp call, with libbpf's messages on this thread going to the [`log`] crate
/// (target `libbpf`) and libbpf's hook as it was for every other thread. See the [module
/// documentation](self).
pub(crate) fn libbpf_quiet<T>(f: impl FnOnce() -> T) -> T {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            let mut s = SWAPPED.lock().unwrap_or_else(|p| p.into_inner());
            s.depth -= 1;
            if s.depth == 0 {
                // SAFETY: `previous` is the hook libbpf had, valid as long as it was.
                let current = unsafe { bpf::libbpf_set_print(s.previous) };
                if !is_ours(current) {
                    // The application set a hook of its own meanwhile: it stays.
                    // SAFETY: it is the hook libbpf had a moment ago.
                    unsafe { bpf::libbpf_set_print(current) };
                }
            }
            drop(s);
            INSIDE_LIBXDP.with(|d| d.set(d.get() - 1));
        }
    }
    INSIDE_LIBXDP.with(|d| d.set(d.get() + 1));
    {
        let mut s = SWAPPED.lock().unwrap_or_else(|p| p.into_inner());
        if s.depth == 0 {
            // SAFETY: libbpf_print has the callback signature libbpf expects (`V` inferred from
            // its bindings) and stays valid forever.
            s.previous = unsafe { bpf::libbpf_set_print(Some(libbpf_print)) };
        }
        s.depth += 1;
    }
    let _leave = Leave;
    f()
}

/// Whether `hook` is [`libbpf_print`].
fn is_ours(hook: bpf::libbpf_print_fn_t) -> bool {
    let ours: bpf::libbpf_print_fn_t = Some(libbpf_print);
    hook.map(|f| f as usize) == ours.map(|f| f as usize)
}

/// libbpf's print callback while this crate calls libxdp ([`libbpf_quiet`]).
unsafe extern "C" fn libbpf_print<V>(
    level: bpf::libbpf_print_level,
    fmt: *const c_char,
    ap: V,
) -> c_int {
    if INSIDE_LIBXDP.try_with(Cell::get).unwrap_or(0) == 0 {
        // Another thread's message: to the hook the application had (the lock is held only
        // briefly, never while libbpf prints).
        let previous = SWAPPED.lock().unwrap_or_else(|p| p.into_inner()).previous;
        let Some(previous) = previous else {
            return 0;
        };
        // SAFETY: the hook libbpf had before, called as libbpf would; `V` is the type its
        // bindings give this very parameter, so `previous` takes `ap` as it came.
        let previous: unsafe extern "C" fn(bpf::libbpf_print_level, *const c_char, V) -> c_int =
            unsafe { std::mem::transmute_copy(&previous) };
        // SAFETY: see above; fmt and ap are what libbpf passed, used once, here.
        return unsafe { previous(level, fmt, ap) };
    }
    let level = match level {
        bpf::LIBBPF_WARN => ::log::Level::Warn,
        _ => ::log::Level::Debug,
    };
    // Noise goes at trace, lower still: what is not enabled at its own level is not formatted.
    if !::log::log_enabled!(target: "libbpf", level) {
        return 0;
    }
    // SAFETY: V is the va_list of libbpf's print callback; fmt and ap are what libbpf passed.
    let Some(text) = (unsafe { vformat(fmt, ap) }) else {
        return 0;
    };
    let level = if LIBBPF_NOISE.iter().any(|n| text.contains(n)) {
        ::log::Level::Trace
    } else {
        level
    };
    emit("libbpf", level, &text);
    text.len() as c_int
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what reaches the `log` crate, for the tests of this module.
    struct Recorder;

    static RECORDS: Mutex<Vec<(String, ::log::Level, String)>> = Mutex::new(Vec::new());

    impl ::log::Log for Recorder {
        fn enabled(&self, _: &::log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, r: &::log::Record<'_>) {
            let mut v = RECORDS.lock().unwrap_or_else(|p| p.into_inner());
            v.push((r.target().into(), r.level(), r.args().to_string()));
        }
        fn flush(&self) {}
    }

    fn record() {
        static RECORDER: Recorder = Recorder;
        if ::log::set_logger(&RECORDER).is_ok() {
            ::log::set_max_level(::log::LevelFilter::Trace);
        }
    }

    /// A malformed object makes libbpf warn; inside a libxdp call of this crate the warning
    /// goes to `log`, formatted, and libbpf's hook is the one before afterwards.
    #[test]
    fn libbpf_messages_inside_libxdp_calls_go_to_log() {
        record();
        let garbage = [0u8; 64];
        // SAFETY: a null hook is libbpf's "print nothing"; put back below.
        let before = unsafe { bpf::libbpf_set_print(None) };
        let rc = libbpf_quiet(|| {
            // SAFETY: the buffer is valid for its length; null options are the defaults.
            let obj = unsafe {
                bpf::bpf_object__open_mem(garbage.as_ptr().cast(), garbage.len() as _, ptr_null())
            };
            // SAFETY: libbpf_get_error takes what bpf_object__open_mem returned.
            unsafe { bpf::libbpf_get_error(obj.cast()) }
        });
        // SAFETY: the hook there was, put back.
        let during = unsafe { bpf::libbpf_set_print(before) };
        assert!(rc < 0, "garbage opened as an object: {rc}");
        assert!(during.is_none(), "libbpf_quiet left its hook in place");
        let records = RECORDS.lock().unwrap();
        assert!(
            records
                .iter()
                .any(|(t, l, m)| t == "libbpf" && *l == ::log::Level::Warn && m.contains("elf")),
            "{records:?}"
        );
    }

    fn ptr_null<T>() -> *const T {
        std::ptr::null()
    }
}
