//! `Netns` as a value: what it accepts, how it is labelled, and running code inside it.
//!
//! The checks of what `Netns::path` and `Netns::from_fd` accept need no privileges.

use std::fs::File;
use std::os::fd::OwnedFd;

use libxdp_rs::{Error, Netns};

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
