//! `Netns` as a value: what it accepts, how it is labelled, and running code inside it.
//!
//! The checks of what `Netns::path` and `Netns::from_fd` accept need no privileges; the rest
//! needs root (entering namespaces, `ip netns add`) and says `SKIPPED` without it.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::sync::mpsc;
use std::thread;

use libxdp_rs::{Error, Netns};
use xdp_netns_harness::{require_root, skip};

/// A namespace made with `ip netns add`, deleted again on drop.
struct NamedNetns {
    name: String,
}

impl NamedNetns {
    fn add(tag: &str) -> NamedNetns {
        let name = format!("xnetns-run{}-{tag}", std::process::id());
        let status = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("run ip");
        assert!(status.success(), "ip netns add {name}: {status}");
        NamedNetns { name }
    }

    fn open(&self) -> Netns {
        Netns::named(&self.name).expect("open the namespace just added")
    }
}

impl Drop for NamedNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Move the calling thread into `ns` behind the library's back, as foreign code would.
fn setns(ns: &impl AsFd) {
    // SAFETY: the descriptor is open for the call; setns moves the calling thread only.
    let rc = unsafe { libc::setns(ns.as_fd().as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
}

/// The calling thread's namespace now.
fn here() -> Netns {
    Netns::current().expect("current namespace")
}

/// Assert that `ns` is where the calling thread is, `when`; say where it is otherwise.
#[track_caller]
fn assert_in(ns: &Netns, when: &str) {
    let here = here();
    assert!(
        here.same_as(ns),
        "{when}: in {} instead of {}",
        here.label(),
        ns.label()
    );
}

fn boom(what: &str) {
    panic!("{what}")
}

/// The text of a caught panic.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "a panic without text".into(), |text| (*text).to_owned()),
    }
}

/// Take `CAP_SYS_ADMIN` out of the calling thread's effective capabilities (it stays
/// permitted): the thread can then no longer enter namespaces. Capabilities belong to each
/// thread; glibc has no capset(), and the raw system call changes the calling thread only.
fn give_up_cap_sys_admin() {
    #[repr(C)]
    struct CapHeader {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct CapData {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_SYS_ADMIN: u32 = 21;
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and data are the version 3 structures capget expects, valid for writes.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(rc, 0, "capget: {}", std::io::Error::last_os_error());
    data[0].effective &= !(1 << CAP_SYS_ADMIN);
    // SAFETY: as above; capset only reads them, and changes the calling thread only.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
}

/// The label `Netns::current()` gives on a fresh thread that first runs `move_thread`.
fn label_on_a_thread(move_thread: impl FnOnce() + Send + 'static) -> String {
    std::thread::spawn(move || {
        move_thread();
        Netns::current()
            .expect("current namespace")
            .label()
            .to_owned()
    })
    .join()
    .expect("thread")
}

/// `Netns::path(path)` fails with `NotNetns` finding `found`, and says so naming `path`.
fn refused(path: &str, found: Option<&str>, says: &str) {
    let err = Netns::path(path).unwrap_err();
    match &err {
        Error::NotNetns { netns, found: f } => {
            assert_eq!(netns, path);
            assert_eq!(*f, found, "{err}");
        }
        other => panic!("{path}: expected NotNetns, got {other:?}"),
    }
    assert_eq!(err.to_string(), format!("cannot use {path}: {says}"));
}

#[test]
fn path_refuses_what_is_not_a_network_namespace() {
    refused("/etc/passwd", None, "it is not a namespace file");
    refused(
        "/proc/self/ns/mnt",
        Some("mount"),
        "it is a mount namespace, not a network namespace",
    );
    refused(
        "/proc/self/ns/uts",
        Some("UTS"),
        "it is a UTS namespace, not a network namespace",
    );
    let dir = std::env::temp_dir();
    let dir = dir.to_str().expect("temporary directory path is UTF-8");
    refused(dir, None, "it is not a namespace file");
    // A missing file is an error about opening it, not about what it is.
    let err = Netns::path("/nonexistent/xdp-netns").unwrap_err();
    assert!(matches!(err, Error::Netns { op: "open", .. }), "{err:?}");
}

#[test]
fn path_and_from_fd_take_a_network_namespace() {
    let ns = Netns::path("/proc/self/ns/net").expect("own network namespace");
    assert_eq!(ns.label(), "/proc/self/ns/net");
    assert!(ns.same_as(&Netns::current().unwrap()));

    let fd = OwnedFd::from(File::open("/proc/thread-self/ns/net").unwrap());
    let ns = Netns::from_fd(fd, "mine").expect("from_fd of a network namespace");
    assert_eq!(ns.label(), "mine");
    assert!(ns.same_as(&Netns::current().unwrap()));
}

#[test]
fn from_fd_refuses_other_files_naming_its_label() {
    let fd = OwnedFd::from(File::open("/proc/self/ns/ipc").unwrap());
    let err = Netns::from_fd(fd, "my ipc").unwrap_err();
    assert!(
        matches!(&err, Error::NotNetns { netns, found: Some("IPC") } if netns == "my ipc"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "cannot use my ipc: it is an IPC namespace, not a network namespace"
    );

    let fd = OwnedFd::from(File::open("/etc/passwd").unwrap());
    let err = Netns::from_fd(fd, "passwd").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot use passwd: it is not a namespace file"
    );
}

#[test]
fn current_in_the_root_namespace_is_root() {
    if !require_root("current_in_the_root_namespace_is_root") {
        return;
    }
    match File::open("/proc/1/ns/net") {
        Ok(init) => assert_eq!(label_on_a_thread(move || setns(&init)), "root"),
        // Some sandboxes deny root a look at PID 1. The kernel's initial namespace has a fixed
        // inode number on recent kernels (NET_NS_INIT_INO); where the tests run in it, it is
        // "root" too.
        Err(e) => {
            let here = std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino();
            if here != 0xEFFF_FFF9 {
                let why = format!("/proc/1/ns/net: {e}");
                skip("current_in_the_root_namespace_is_root", why);
                return;
            }
            assert_eq!(Netns::current().unwrap().label(), "root");
        }
    }
}

#[test]
fn current_in_a_named_namespace_is_its_name() {
    if !require_root("current_in_a_named_namespace_is_its_name") {
        return;
    }
    let blue = NamedNetns::add("label");
    let fd = blue.open();
    assert_eq!(label_on_a_thread(move || setns(&fd)), blue.name);
}

#[test]
fn current_in_an_unnamed_namespace_is_net_inode() {
    if !require_root("current_in_an_unnamed_namespace_is_net_inode") {
        return;
    }
    let (label, ino) = std::thread::spawn(|| {
        // SAFETY: unshare(CLONE_NEWNET) moves the calling thread only, into a new namespace.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare: {}", std::io::Error::last_os_error());
        let ino = std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino();
        (Netns::current().unwrap().label().to_owned(), ino)
    })
    .join()
    .unwrap();
    assert_eq!(label, format!("net:[{ino}]"));
}

#[test]
fn current_inside_run_is_the_name() {
    if !require_root("current_inside_run_is_the_name") {
        return;
    }
    let blue = NamedNetns::add("name");
    let label = blue.open().run(|| here().label().to_owned()).unwrap();
    assert_eq!(label, blue.name);
}

#[test]
fn nested_run_returns_to_each_namespace_exactly() {
    if !require_root("nested_run_returns_to_each_namespace_exactly") {
        return;
    }
    let (a, b) = (NamedNetns::add("nest-a"), NamedNetns::add("nest-b"));
    let (in_a, in_b) = (a.open(), b.open());
    let before = here();
    let seen_in_b = in_a
        .run(|| {
            assert_in(&in_a, "inside run(a)");
            let seen_in_b = in_b.run(here).unwrap();
            assert_in(&in_a, "after run(b) inside run(a)");
            // Running in the namespace the thread is in already: it stays there.
            in_a.run(|| assert_in(&in_a, "inside run(a) inside run(a)"))
                .unwrap();
            assert_in(&in_a, "after run(a) inside run(a)");
            seen_in_b
        })
        .unwrap();
    assert!(
        seen_in_b.same_as(&in_b),
        "run(b) ran in {}",
        seen_in_b.label()
    );
    assert_eq!(seen_in_b.label(), b.name);
    assert_in(&before, "after run(a)");
    assert_eq!(here().label(), before.label());
}

#[test]
fn panic_inside_run_returns_then_goes_on() {
    if !require_root("panic_inside_run_returns_then_goes_on") {
        return;
    }
    let (a, b) = (NamedNetns::add("panic-a"), NamedNetns::add("panic-b"));
    let (in_a, in_b) = (a.open(), b.open());
    let before = here();

    let caught = catch_unwind(AssertUnwindSafe(|| in_a.run(|| boom("inside a"))));
    assert_eq!(panic_text(caught.unwrap_err()), "inside a");
    assert_in(&before, "after a panic in run(a)");

    // Caught between two levels: the inner run returned to a, the outer one to `before`.
    in_a.run(|| {
        let caught = catch_unwind(AssertUnwindSafe(|| in_b.run(|| boom("inside b"))));
        assert_eq!(panic_text(caught.unwrap_err()), "inside b");
        assert_in(&in_a, "after a panic in run(b) inside run(a)");
    })
    .unwrap();
    assert_in(&before, "after run(a)");
}

#[test]
fn run_brings_back_a_thread_that_f_moved() {
    if !require_root("run_brings_back_a_thread_that_f_moved") {
        return;
    }
    let (a, b) = (NamedNetns::add("moved-a"), NamedNetns::add("moved-b"));
    let (in_a, in_b) = (a.open(), b.open());
    let before = here();

    in_a.run(|| setns(&in_b)).unwrap();
    assert_in(&before, "after run(a) moved to b");

    // Also when run had nothing to enter: the thread was in that namespace already.
    before.run(|| setns(&in_b)).unwrap();
    assert_in(&before, "after run(where it was) moved to b");
}

#[test]
fn thread_spawned_inside_run_starts_in_the_entered_namespace() {
    if !require_root("thread_spawned_inside_run_starts_in_the_entered_namespace") {
        return;
    }
    let a = NamedNetns::add("spawn");
    let in_a = a.open();
    let before = here();
    let (go_on, wait) = mpsc::channel::<()>();
    let spawned = in_a
        .run(|| {
            thread::spawn(move || {
                let at_start = here();
                // Asked again once run() has returned on the spawning thread.
                wait.recv().unwrap();
                (at_start, here())
            })
        })
        .unwrap();
    assert_in(&before, "the spawning thread after run(a)");
    go_on.send(()).unwrap();
    let (at_start, later) = spawned.join().unwrap();
    assert!(at_start.same_as(&in_a), "spawned in {}", at_start.label());
    assert_eq!(at_start.label(), a.name);
    assert!(later.same_as(&in_a), "then moved to {}", later.label());
}

#[test]
fn run_that_cannot_enter_is_an_error_and_f_does_not_run() {
    if !require_root("run_that_cannot_enter_is_an_error_and_f_does_not_run") {
        return;
    }
    let a = NamedNetns::add("noenter");
    let in_a = a.open();
    thread::spawn(move || {
        let before = here();
        give_up_cap_sys_admin();
        let mut ran = false;
        let err = in_a.run(|| ran = true).unwrap_err();
        assert!(!ran, "f ran although the namespace was not entered");
        assert!(
            matches!(err, Error::Netns { op: "enter", .. }) && err.is_permission_denied(),
            "{err:?}"
        );
        assert!(err.to_string().contains(in_a.label()), "{err}");
        assert_in(&before, "after a run(a) that could not enter");
        // Where it is already, the thread runs f without the privilege.
        assert_eq!(before.run(|| 7).unwrap(), 7);
    })
    .join()
    .unwrap();
}

#[test]
fn run_that_cannot_return_panics_naming_both_namespaces() {
    if !require_root("run_that_cannot_return_panics_naming_both_namespaces") {
        return;
    }
    let a = NamedNetns::add("noreturn");
    let in_a = a.open();
    // On a thread of its own, which ends in `a`, as the panic says.
    let (text, came_from, stranded_in_a) = thread::spawn(move || {
        let came_from = here().label().to_owned();
        let caught = catch_unwind(AssertUnwindSafe(|| in_a.run(give_up_cap_sys_admin)));
        (
            panic_text(caught.unwrap_err()),
            came_from,
            here().same_as(&in_a),
        )
    })
    .join()
    .unwrap();
    for part in [
        format!(
            "cannot return this thread from network namespace {}",
            a.name
        ),
        format!("to network namespace {came_from}, where it was"),
        "Operation not permitted".into(),
        "must not go on in the wrong namespace".into(),
    ] {
        assert!(text.contains(&part), "{text:?} lacks {part:?}");
    }
    assert!(stranded_in_a);
}

/// Set in the child process of the next test: the name of the namespace to fail in.
const ABORT_CHILD_NETNS: &str = "XDP_NETNS_TEST_ABORT_IN";

/// When f panics and the thread then cannot return, catching the panic would let the thread go
/// on in the wrong namespace: the process aborts instead. Run in a child process (this very
/// test, told so by ABORT_CHILD_NETNS).
#[test]
fn run_that_cannot_return_while_unwinding_aborts() {
    if let Ok(name) = std::env::var(ABORT_CHILD_NETNS) {
        let ns = Netns::named(&name).unwrap();
        let _ = catch_unwind(AssertUnwindSafe(|| {
            ns.run(|| {
                give_up_cap_sys_admin();
                boom("f failed")
            })
        }));
        println!("not aborted");
        return;
    }
    if !require_root("run_that_cannot_return_while_unwinding_aborts") {
        return;
    }
    let a = NamedNetns::add("abort");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "run_that_cannot_return_while_unwinding_aborts",
            "--nocapture",
        ])
        .env(ABORT_CHILD_NETNS, &a.name)
        .output()
        .expect("run this test as a child");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr),
    );
    assert_eq!(
        child.status.signal(),
        Some(libc::SIGABRT),
        "{}\nstdout: {stdout}\nstderr: {stderr}",
        child.status
    );
    assert!(!stdout.contains("not aborted"), "{stdout}");
    for part in [
        "f failed".to_owned(),
        format!(
            "cannot return this thread from network namespace {}",
            a.name
        ),
        "aborting, as this thread is unwinding from a panic".into(),
    ] {
        assert!(stderr.contains(&part), "{stderr:?} lacks {part:?}");
    }
}
