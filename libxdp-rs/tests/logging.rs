//! What libbpf and libxdp print while this crate creates and deletes sockets (needs root: a
//! veth pair, one end in a namespace of its own).
//!
//! - Nothing of libbpf's reaches stderr; it reaches the `log` crate, target `libbpf`.
//! - An application's own libbpf print hook, set before, is still in place afterwards and
//!   still gets libbpf's messages about the application's own objects.

use std::ffi::c_char;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use libxdp_rs::{Netns, Socket, Umem};
use libxdp_sys::libbpf_sys as bpf;
use xdp_netns_harness::{require_root, Topology};

/// The two tests each change process-wide state (fd 2, libbpf's hook): one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Records what reaches the `log` crate.
struct Recorder;

static RECORDS: Mutex<Vec<(String, log::Level, String)>> = Mutex::new(Vec::new());

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        let mut v = RECORDS.lock().unwrap_or_else(|p| p.into_inner());
        v.push((r.target().into(), r.level(), r.args().to_string()));
    }
    fn flush(&self) {}
}

fn record() {
    static RECORDER: Recorder = Recorder;
    if log::set_logger(&RECORDER).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}

/// Runs `f` with the process's fd 2 (C's stderr, libbpf's default output) going to a file;
/// returns what was written there.
fn stderr_of(f: impl FnOnce()) -> String {
    let path = std::env::temp_dir().join(format!("libxdp-rs-logging-{}", std::process::id()));
    let file = File::create(&path).expect("temporary file");
    // SAFETY: dup of fd 2, which is open; the result is owned here.
    let saved = unsafe { OwnedFd::from_raw_fd(libc::dup(2)) };
    // SAFETY: both descriptors are open.
    assert_eq!(unsafe { libc::dup2(file.as_raw_fd(), 2) }, 2);
    f();
    // SAFETY: both descriptors are open; fd 2 gets back what it was.
    assert_eq!(unsafe { libc::dup2(saved.as_raw_fd(), 2) }, 2);
    let mut text = String::new();
    File::open(&path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .expect("reading the temporary file");
    let _ = std::fs::remove_file(&path);
    text
}

/// A UMEM and a receiving socket on the inner end of `topo` (in its namespace), which loads
/// libxdp's default program; both dropped again.
fn socket_cycle(topo: &Topology) {
    let ns = Netns::named(topo.inner_ns()).expect("inner namespace");
    let (umem, _frames) = Umem::builder()
        .frame_count(64)
        .fill_size(64)
        .comp_size(64)
        .netns(ns.try_clone().expect("namespace fd"))
        .build()
        .expect("UMEM");
    let socket = Socket::builder(topo.inner_dev(), 0)
        .netns(ns)
        .rx_size(64)
        .tx_size(64)
        .build(&umem)
        .expect("socket");
    drop(socket);
    drop(umem);
}

#[test]
fn libbpf_noise_stays_off_stderr() {
    if !require_root("libbpf_noise_stays_off_stderr") {
        return;
    }
    let _one = one_at_a_time();
    record();
    let topo = Topology::up(1).expect("topology up");
    let printed = stderr_of(|| socket_cycle(&topo));
    assert!(
        !printed.contains("libbpf"),
        "libbpf printed on stderr:\n{printed}"
    );
    // It went to the log crate instead (libxdp's objects have an .xdp_metadata section,
    // which libbpf mentions every time).
    let records = RECORDS.lock().unwrap();
    assert!(
        records
            .iter()
            .any(|(target, level, text)| target == "libbpf"
                && *level == log::Level::Trace
                && text.contains("xdp_metadata")),
        "no libbpf record of the .xdp_metadata section: {records:?}"
    );
}

/// Calls of [`app_hook`].
static APP_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

/// An application's libbpf print hook: counts, prints nothing. Generic over the `va_list` type,
/// which it does not touch, so that it fits libbpf-sys' hook type on every target.
unsafe extern "C" fn app_hook<V>(
    _level: bpf::libbpf_print_level,
    _fmt: *const c_char,
    _ap: V,
) -> libc::c_int {
    APP_HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    0
}

/// libbpf's messages about a malformed object opened by the application itself.
fn open_garbage() {
    let garbage = [0u8; 64];
    // SAFETY: the buffer is valid for its length; null options are the defaults.
    let obj = unsafe {
        bpf::bpf_object__open_mem(
            garbage.as_ptr().cast(),
            garbage.len() as _,
            std::ptr::null(),
        )
    };
    // SAFETY: libbpf_get_error takes what bpf_object__open_mem returned.
    assert!(unsafe { bpf::libbpf_get_error(obj.cast()) } < 0);
}

#[test]
fn an_applications_libbpf_hook_stays_in_place() {
    if !require_root("an_applications_libbpf_hook_stays_in_place") {
        return;
    }
    let _one = one_at_a_time();
    let topo = Topology::up(1).expect("topology up");
    let hook: bpf::libbpf_print_fn_t = Some(app_hook);
    // SAFETY: app_hook has libbpf's hook signature and lives forever.
    let before = unsafe { bpf::libbpf_set_print(hook) };

    APP_HOOK_CALLS.store(0, Ordering::SeqCst);
    let printed = stderr_of(|| socket_cycle(&topo));
    let during = APP_HOOK_CALLS.load(Ordering::SeqCst);
    open_garbage();
    let after = APP_HOOK_CALLS.load(Ordering::SeqCst);
    // SAFETY: the hook there was before this test, put back.
    let in_place = unsafe { bpf::libbpf_set_print(before) };

    assert_eq!(
        in_place.map(|f| f as usize),
        hook.map(|f| f as usize),
        "the application's hook was replaced"
    );
    assert_eq!(
        during, 0,
        "libbpf's messages about libxdp's objects reached the application's hook"
    );
    assert!(
        after > during,
        "the application's hook missed libbpf's messages about its own object"
    );
    assert!(!printed.contains("libbpf"), "{printed}");
}
