//! `Netns` as a value: what it accepts, how it is labelled, and running code inside it.
//!
//! The checks of what `Netns::path` and `Netns::from_fd` accept need no privileges; the rest
//! needs root (entering namespaces, `ip netns add`) and says `SKIPPED` without it.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use libxdp_rs::{Error, Netns};
use xdp_netns_harness::require_root;

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
                eprintln!("SKIPPED: current_in_the_root_namespace_is_root: /proc/1/ns/net: {e}");
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
