//! Errors at the crate's boundary, not bare errnos from the kernel, and `build()` waiting out a
//! queue the kernel is still releasing (needs root for everything that binds).
//!
//! Each limit is tried on both sides on a real device: the last value the crate passes is
//! one the kernel takes, the first one it refuses is named with the setting and the limit.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use libxdp_rs::{BindFlags, Error, Netns, Socket, SocketBuilder, Umem};
use libxdp_sys as sys;
use xdp_netns_harness::{require_root, Topology};

/// The field of an [`Error::InvalidConfig`], or a panic showing what came instead.
fn invalid_field<T: std::fmt::Debug>(result: Result<T, Error>) -> &'static str {
    match result {
        Err(Error::InvalidConfig { field, reason }) => {
            eprintln!("{field}: {reason}");
            field
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

/// A socket on `queue` of `device` (current namespace) in copy mode, small rings.
fn small(device: &str, queue: u32) -> SocketBuilder {
    Socket::builder(device, queue)
        .rx_size(64)
        .tx_size(64)
        .bind_flags(BindFlags {
            copy: true,
            ..BindFlags::default()
        })
}

/// A UMEM of 64 frames with rings of 64.
fn small_umem() -> Umem {
    Umem::builder()
        .frame_count(64)
        .fill_size(64)
        .comp_size(64)
        .build()
        .expect("UMEM")
        .0
}

/// The id of the XDP program on device `ifindex` of the calling thread's namespace; 0: none.
fn xdp_prog_id(ifindex: u32) -> u32 {
    let mut id = 0u32;
    // SAFETY: id is valid for writes; the kernel checks ifindex.
    let rc = unsafe { sys::libbpf_sys::bpf_xdp_query_id(ifindex as i32, 0, &mut id) };
    assert_eq!(rc, 0, "bpf_xdp_query_id({ifindex}): {rc}");
    id
}

/// The inode of the socket behind `fd`.
fn inode_of(fd: BorrowedFd<'_>) -> u64 {
    // SAFETY: `stat` is plain old data; fd is open and st valid for writes.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) }, 0);
    st.st_ino
}

#[test]
fn headroom_up_to_the_kernels_limit() {
    if !require_root("headroom_up_to_the_kernels_limit") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    // The kernel keeps 704 bytes of each frame (Linux 6.1 and later): 4096 - 704 = 3392.
    for (frame_size, most) in [(4096, 3392), (2048, 1344)] {
        let (umem, _) = Umem::builder()
            .frame_size(frame_size)
            .headroom(most)
            .frame_count(64)
            .fill_size(64)
            .comp_size(64)
            .build()
            .unwrap_or_else(|e| panic!("headroom {most} of {frame_size}: {e}"));
        small(topo.outer_dev(), 0)
            .busy_timeout(Duration::from_secs(5))
            .build(&umem)
            .unwrap_or_else(|e| panic!("a socket on a UMEM with headroom {most}: {e}"));
        let over = Umem::builder()
            .frame_size(frame_size)
            .headroom(most + 1)
            .build();
        assert_eq!(invalid_field(over), "headroom");
    }
}

#[test]
fn frame_size_and_ring_sizes_within_what_the_kernel_maps() {
    // No root needed: refused before the kernel is asked.
    for huge in [false, true] {
        let r = Umem::builder().frame_size(8192).huge_pages(huge).build();
        assert_eq!(invalid_field(r), "frame_size");
    }
    assert_eq!(
        invalid_field(Umem::builder().fill_size(1 << 31).build()),
        "fill_size"
    );
    assert_eq!(
        invalid_field(Umem::builder().comp_size(1 << 19).build()),
        "comp_size"
    );
    if !require_root("frame_size_and_ring_sizes_within_what_the_kernel_maps") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    // The largest rings the crate passes map on every kernel (2^17 descriptors, 2^18
    // addresses: Linux 5.10 and 6.1 fail one step above with ENOMEM).
    let (umem, _) = Umem::builder()
        .frame_count(64)
        .fill_size(1 << 18)
        .comp_size(1 << 18)
        .build()
        .expect("UMEM with rings of 2^18");
    let built = small(topo.outer_dev(), 0)
        .rx_size(1 << 17)
        .tx_size(1 << 17)
        .busy_timeout(Duration::from_secs(5))
        .build(&umem);
    built.expect("a socket with rings of 2^17");
    let umem = small_umem();
    for big in [
        small(topo.outer_dev(), 0).rx_size(1 << 18),
        small(topo.outer_dev(), 0).tx_size(1 << 31),
    ] {
        let field = invalid_field(big.build(&umem));
        assert!(field == "rx_size" || field == "tx_size", "{field}");
    }
}

#[test]
fn queue_beyond_the_devices_names_its_queue_count() {
    if !require_root("queue_beyond_the_devices_names_its_queue_count") {
        return;
    }
    let topo = Topology::up(2).expect("topology up");
    let inner = Netns::named(topo.inner_ns()).expect("inner namespace");
    let umem = small_umem();
    match small(topo.outer_dev(), 2).build(&umem) {
        Err(e @ Error::QueueOutOfRange { queues: 2, .. }) => {
            let text = e.to_string();
            assert!(text.contains("has 2 queues (0 to 1, by "), "{text}");
            assert!(text.contains("namespace root"), "{text}");
        }
        other => panic!("queue 2 of a device with 2: {other:?}"),
    }
    // The same ifindex in another namespace, counted there.
    let umem = Umem::builder()
        .frame_count(64)
        .fill_size(64)
        .comp_size(64)
        .netns(inner.try_clone().unwrap())
        .build()
        .expect("UMEM")
        .0;
    match small(topo.inner_dev(), 7).netns(inner).build(&umem) {
        Err(Error::QueueOutOfRange { queues: 2, at, .. }) => assert_eq!(at.netns, topo.inner_ns()),
        other => panic!("queue 7 of inner: {other:?}"),
    }
    // Queue 1 exists.
    small(topo.outer_dev(), 1)
        .build(&small_umem())
        .expect("queue 1");
}

/// Rebuilding a socket right after dropping one on its queue: the kernel frees the queue in
/// deferred work, so the bind finds it busy for a few milliseconds; `build()` waits that out.
/// Without the wait, about 1 in 7 of these cycles failed with EBUSY on Linux 6.18.
#[test]
fn rebuild_right_after_drop_waits_for_the_queue() {
    if !require_root("rebuild_right_after_drop_waits_for_the_queue") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let umem_cycles = 50;
    let mut busy_once = 0;
    for cycle in 0..umem_cycles {
        let umem = small_umem();
        let socket = small(topo.outer_dev(), 0)
            .build(&umem)
            .unwrap_or_else(|e| panic!("cycle {cycle}: {e}"));
        drop(socket);
        drop(umem);
        // What a single try would have met.
        if let Err(Error::QueueBusy { .. }) = small(topo.outer_dev(), 0)
            .busy_timeout(Duration::ZERO)
            .build(&small_umem())
        {
            busy_once += 1;
        }
    }
    eprintln!("rebuild: {busy_once} of {umem_cycles} single tries found the queue busy");
}

/// A live socket of another UMEM on the queue: `QueueHeld` naming it where the kernel lists
/// AF_XDP sockets (xsk_diag), else `QueueBusy` after the wait, saying it cannot tell.
#[test]
fn a_queue_held_by_a_live_socket_is_named() {
    if !require_root("a_queue_held_by_a_live_socket_is_named") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let first = small_umem();
    let holder = small(topo.outer_dev(), 0).build(&first).expect("holder");
    let holder_inode = inode_of(holder.fd());
    let timeout = Duration::from_millis(200);
    match small(topo.outer_dev(), 0)
        .busy_timeout(timeout)
        .build(&small_umem())
    {
        Err(e @ Error::QueueHeld { .. }) => {
            let Error::QueueHeld { holders, .. } = &e else {
                unreachable!()
            };
            assert!(
                holders.iter().any(|h| h.inode == holder_inode),
                "{e}: socket:[{holder_inode}] not named"
            );
            eprintln!("{e}");
        }
        Err(e @ Error::QueueBusy { .. }) => {
            let Error::QueueBusy {
                waited,
                no_socket_listed,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert!(
                !no_socket_listed,
                "{e}: the kernel listed no socket, yet one holds it"
            );
            assert!(*waited >= timeout, "{e}: gave up early");
            assert!(e.to_string().contains("no xsk_diag"), "{e}");
            eprintln!("{e}");
        }
        other => panic!("a second UMEM on a held queue: {other:?}"),
    }
}

#[test]
fn tx_only_sockets_attach_no_program_unless_asked() {
    if !require_root("tx_only_sockets_attach_no_program_unless_asked") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let umem = small_umem();
    let tx_only = small(topo.outer_dev(), 0)
        .rx(false)
        .build(&umem)
        .expect("TX-only");
    assert_eq!(
        xdp_prog_id(topo.ifindex()),
        0,
        "a TX-only socket attached a program"
    );
    drop(tx_only);
    drop(umem);

    let umem = small_umem();
    let asked = small(topo.outer_dev(), 0)
        .rx(false)
        .default_program(true)
        .busy_timeout(Duration::from_secs(5))
        .build(&umem)
        .expect("TX-only with the default program");
    assert_ne!(
        xdp_prog_id(topo.ifindex()),
        0,
        "default_program(true) attached none"
    );
    drop(asked);
    drop(umem);
    assert_eq!(xdp_prog_id(topo.ifindex()), 0, "the program stayed");
}
