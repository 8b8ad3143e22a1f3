//! Busy polling (`SocketBuilder::busy_poll`) on real sockets (needs root):
//!
//! - the options read back with `getsockopt` as set, on the UMEM's first socket (whose
//!   descriptor is the UMEM's) and on a later one in another namespace;
//! - a refused option (a budget of 65536) is `Error::SocketOption` naming the option, the
//!   device, the queue and the namespace, with the kernel's `EINVAL` as its source, and leaves
//!   nothing behind: no descriptor, no XDP program, and the options set before it put back; the
//!   UMEM and the queue are still usable.
//!
//! The kernel has no `getsockopt` for `SO_BUSY_POLL_BUDGET` (`ENOPROTOOPT`, also on Linux 6.18,
//! whose `setsockopt` takes it): the budget is checked through the kernel, which takes 65535
//! and refuses 65536. Kernels before 5.11 lack `SO_PREFER_BUSY_POLL` and the budget: there the
//! tests check that the refusal is the typed error and say SKIPPED for the rest.
//! Forwarding with busy polling is tested with the `forward` example (`tests/forward.rs`).

use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use libxdp_rs::{BindFlags, BusyPoll, Error, Netns, Socket, SocketBuilder, Umem};
use libxdp_sys as sys;
use xdp_netns_harness::{require_root, skip, Topology};

/// The tests compare this process's descriptors before and after: one at a time.
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|p| p.into_inner())
}

/// What `xdpsock --busy-poll` sets.
const XDPSOCK: BusyPoll = BusyPoll {
    usecs: 20,
    budget: 64,
    prefer: true,
};

/// The descriptors this process has open.
fn open_fds() -> BTreeSet<String> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .map(|e| {
            e.expect("fd entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// The id of the XDP program on device `ifindex` of namespace `ns`; 0: none.
fn prog_on(ns: &Netns, ifindex: u32) -> u32 {
    ns.run(|| {
        let mut id = 0u32;
        // SAFETY: id is valid for writes; the kernel checks ifindex.
        let rc = unsafe { sys::libbpf_sys::bpf_xdp_query_id(ifindex as i32, 0, &mut id) };
        assert_eq!(rc, 0, "bpf_xdp_query_id({ifindex}): {rc}");
        id
    })
    .expect("enter namespace")
}

/// `getsockopt(SOL_SOCKET, option)` as an int.
fn sockopt(fd: BorrowedFd<'_>, option: libc::c_int) -> std::io::Result<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for writes; the kernel writes at most len bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(v)
}

/// `SO_BUSY_POLL` and `SO_PREFER_BUSY_POLL` of `fd`.
fn usecs_and_prefer(fd: BorrowedFd<'_>) -> (libc::c_int, libc::c_int) {
    (
        sockopt(fd, libc::SO_BUSY_POLL).expect("getsockopt SO_BUSY_POLL"),
        sockopt(fd, libc::SO_PREFER_BUSY_POLL).expect("getsockopt SO_PREFER_BUSY_POLL"),
    )
}

/// A UMEM of 64 frames whose first socket is to be in `ns`.
fn small_umem(ns: &Netns) -> Umem {
    Umem::builder()
        .frame_count(64)
        .fill_size(64)
        .comp_size(64)
        .netns(ns.try_clone().unwrap())
        .build()
        .expect("UMEM")
        .0
}

/// A receiving socket on `queue` of `device` in `ns`, copy mode, small rings: libxdp attaches
/// its default program.
fn receiver_on(device: &str, queue: u32, ns: &Netns) -> SocketBuilder {
    Socket::builder(device, queue)
        .netns(ns.try_clone().unwrap())
        .rx_size(64)
        .tx_size(64)
        .bind_flags(BindFlags {
            copy: true,
            ..BindFlags::default()
        })
        .busy_timeout(Duration::from_secs(5))
}

/// [`receiver_on`] queue 0.
fn receiver(device: &str, ns: &Netns) -> SocketBuilder {
    receiver_on(device, 0, ns)
}

/// `SO_BUSY_POLL` and `SO_PREFER_BUSY_POLL` of a socket no one set them on.
fn defaults() -> (libc::c_int, libc::c_int) {
    let fresh = std::net::UdpSocket::bind("127.0.0.1:0").expect("UDP socket");
    usecs_and_prefer(fresh.as_fd())
}

/// Whether `e` is the refusal of a kernel that lacks an option of busy polling: then says
/// SKIPPED (after checking that the error names the option and the queue).
fn lacks_busy_polling(test: &str, e: &Error, device: &str) -> bool {
    let Error::SocketOption { option, at, .. } = e else {
        return false;
    };
    if e.raw_os_error() != Some(libc::ENOPROTOOPT) {
        return false;
    }
    assert_eq!(at.device, device, "{e}");
    skip(test, format!("the kernel lacks {option}: {}", e.report()));
    true
}

#[test]
fn options_read_back_as_set() {
    let test = "options_read_back_as_set";
    if !require_root(test) {
        return;
    }
    let _alone = alone();
    let topo = Topology::up(2).expect("topology up");
    let root = Netns::current().unwrap();
    let inner = Netns::named(topo.inner_ns()).unwrap();
    let umem = small_umem(&root);

    // The UMEM's first socket: its options go on the UMEM's own descriptor, before the bind.
    let first = match receiver(topo.outer_dev(), &root)
        .busy_poll(XDPSOCK)
        .build(&umem)
    {
        Err(e) if lacks_busy_polling(test, &e, topo.outer_dev()) => return,
        other => other.expect("first socket with busy polling"),
    };
    assert_eq!(usecs_and_prefer(first.fd()), (20, 1));
    // A later socket, in another namespace, has a descriptor of its own.
    let second = receiver(topo.inner_dev(), &inner)
        .busy_poll(BusyPoll {
            usecs: 50,
            budget: 65535,
            prefer: false,
        })
        .build(&umem)
        .expect("second socket, the largest budget");
    assert_eq!(usecs_and_prefer(second.fd()), (50, 0));
    // The kernel shows no budget; where a later one does, it must be the one set.
    match sockopt(second.fd(), libc::SO_BUSY_POLL_BUDGET) {
        Ok(budget) => assert_eq!(budget, 65535),
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::ENOPROTOOPT), "{e}"),
    }
    // Without busy_poll nothing is set: the system's defaults stay.
    let plain = receiver_on(topo.outer_dev(), 1, &root)
        .build(&umem)
        .expect("socket without busy polling");
    assert_eq!(usecs_and_prefer(plain.fd()), defaults());
}

#[test]
fn a_refused_budget_leaves_nothing_behind() {
    let test = "a_refused_budget_leaves_nothing_behind";
    if !require_root(test) {
        return;
    }
    let _alone = alone();
    let topo = Topology::up(1).expect("topology up");
    let root = Netns::current().unwrap();
    let inner = Netns::named(topo.inner_ns()).unwrap();
    let ifindex = topo.ifindex();
    let too_big = BusyPoll {
        budget: 65536,
        ..XDPSOCK
    };
    let fds_at_start = open_fds();

    // 1. The UMEM's first socket: nothing is bound, and the UMEM's descriptor gets back the
    //    options set before the refused one (SO_PREFER_BUSY_POLL, SO_BUSY_POLL).
    let umem = small_umem(&root);
    let fds = open_fds();
    let e = receiver(topo.outer_dev(), &root)
        .busy_poll(too_big)
        .build(&umem)
        .expect_err("a budget of 65536");
    if lacks_busy_polling(test, &e, topo.outer_dev()) {
        assert_eq!(open_fds(), fds, "descriptors left after {e}");
        assert_eq!(prog_on(&root, ifindex), 0, "a program left after {e}");
        return;
    }
    check_refusal(&e, topo.outer_dev(), "root");
    assert_eq!(open_fds(), fds, "descriptors left after {e}");
    assert_eq!(
        prog_on(&root, ifindex),
        0,
        "a program left on outer after {e}"
    );
    // The UMEM can still make its first socket there, and its options are the defaults again.
    let first = receiver(topo.outer_dev(), &root)
        .build(&umem)
        .expect("the first socket after the refusal");
    assert_eq!(
        usecs_and_prefer(first.fd()),
        defaults(),
        "the options set before the refused one stayed on the UMEM's socket"
    );
    let outer_prog = prog_on(&root, ifindex);
    assert_ne!(outer_prog, 0, "no program on outer");

    // 2. A later socket (in another namespace, with libxdp's program): made, bound, then
    //    deleted again with its program, inside its namespace.
    let fds = open_fds();
    let e = receiver(topo.inner_dev(), &inner)
        .busy_poll(too_big)
        .build(&umem)
        .expect_err("a budget of 65536");
    check_refusal(&e, topo.inner_dev(), topo.inner_ns());
    assert_eq!(open_fds(), fds, "descriptors left after {e}");
    assert_eq!(
        prog_on(&inner, ifindex),
        0,
        "a program left on inner after {e}"
    );
    assert_eq!(
        prog_on(&root, ifindex),
        outer_prog,
        "outer's program changed"
    );
    // The queue is free again (the builder waits out the kernel's release).
    let second = receiver(topo.inner_dev(), &inner)
        .busy_poll(XDPSOCK)
        .build(&umem)
        .expect("the socket on inner after the refusal");
    assert_eq!(usecs_and_prefer(second.fd()), (20, 1));

    drop((first, second, umem));
    assert_eq!(prog_on(&inner, ifindex), 0, "a program left on inner");
    assert_eq!(prog_on(&root, ifindex), 0, "a program left on outer");
    assert_eq!(open_fds(), fds_at_start, "descriptors left at the end");
}

/// `e` is the kernel's refusal of a budget of 65536 on queue 0 of `device` in `netns`.
fn check_refusal(e: &Error, device: &str, netns: &str) {
    match e {
        Error::SocketOption {
            option: "SO_BUSY_POLL_BUDGET",
            value: 65536,
            at,
            ..
        } => {
            assert_eq!((at.device.as_str(), at.queue), (device, 0), "{e}");
            assert_eq!(at.netns, netns, "{e}");
        }
        other => panic!("expected SocketOption SO_BUSY_POLL_BUDGET, got {other:?}"),
    }
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{}", e.report());
    let source = std::error::Error::source(e).expect("the OS error as source");
    assert_eq!(
        source.to_string(),
        std::io::Error::from_raw_os_error(libc::EINVAL).to_string()
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("SO_BUSY_POLL_BUDGET to 65536 on the AF_XDP socket on {device} queue 0 in namespace {netns}")),
        "{text}"
    );
    eprintln!("{}", e.report());
}
