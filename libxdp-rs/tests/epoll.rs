//! The queues' descriptors in `epoll` (`AsFd`), on the equal-ifindex topology (needs root).
//! Waiting for TX room and completions is in `tx_kick.rs`.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use libxdp_rs::{FillQueue, Netns, RxQueue, Socket, Umem};
use xdp_netns_harness::{require_root, FrameSender, TestFrame, Topology};

/// An epoll instance watching `fd` for `events`.
struct Epoll(std::os::fd::OwnedFd);

impl Epoll {
    fn watching(fd: &impl AsFd, events: u32) -> Epoll {
        // SAFETY: plain epoll_create1; the result is checked.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(
            raw >= 0,
            "epoll_create1: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: raw is a fresh descriptor nothing else owns.
        let ep = Epoll(unsafe { std::os::fd::FromRawFd::from_raw_fd(raw) });
        let mut ev = libc::epoll_event { events, u64: 7 };
        // SAFETY: both descriptors are open; ev is valid for the call.
        let rc = unsafe {
            libc::epoll_ctl(
                ep.0.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_fd().as_raw_fd(),
                &mut ev,
            )
        };
        assert_eq!(rc, 0, "epoll_ctl: {}", std::io::Error::last_os_error());
        ep
    }

    /// The events reported within `timeout_ms`; 0 on timeout.
    fn wait(&self, timeout_ms: i32) -> u32 {
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: ev is valid for one event; the descriptor is open.
        let n = unsafe { libc::epoll_wait(self.0.as_raw_fd(), &mut ev, 1, timeout_ms) };
        assert!(n >= 0, "epoll_wait: {}", std::io::Error::last_os_error());
        if n == 0 {
            return 0;
        }
        assert_eq!({ ev.u64 }, 7);
        ev.events
    }
}

/// Every queue type hands out its socket's descriptor.
fn raw_fd_of(queue: &impl AsFd) -> i32 {
    queue.as_fd().as_raw_fd()
}

#[test]
fn an_rx_queue_in_epoll_wakes_when_frames_arrive() {
    if !require_root("an_rx_queue_in_epoll_wakes_when_frames_arrive") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let inner = Netns::named(topo.inner_ns()).expect("inner namespace");
    let (umem, mut frames) = Umem::builder()
        .frame_count(256)
        .netns(inner.try_clone().unwrap())
        .build()
        .expect("UMEM");
    let parts = Socket::builder(topo.inner_dev(), 0)
        .netns(inner)
        .build(&umem)
        .expect("socket on inner")
        .split();
    let (mut fill, mut rx): (FillQueue, RxQueue) = (parts.fill, parts.rx.unwrap());
    let (tx, comp) = (parts.tx.unwrap(), parts.comp);
    let fd = raw_fd_of(&rx);
    assert!(
        [raw_fd_of(&fill), raw_fd_of(&tx), raw_fd_of(&comp)]
            .iter()
            .all(|&f| f == fd),
        "the queues of one socket share its descriptor"
    );
    fill.produce(&mut frames);

    let epoll = Epoll::watching(&rx, libc::EPOLLIN as u32);
    assert_eq!(epoll.wait(100), 0, "readable before anything was sent");
    let sender = FrameSender::new(None, topo.outer_dev()).expect("sender on outer");
    for seq in 0..10 {
        sender.send(TestFrame { tag: 0x3c, seq }).expect("send");
    }
    let events = epoll.wait(2000);
    assert_ne!(events & libc::EPOLLIN as u32, 0, "no EPOLLIN: {events:#x}");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while got.len() < 10 && Instant::now() < deadline {
        rx.consume(&mut got, 64);
    }
    let seqs: Vec<u32> = got
        .iter()
        .filter_map(|f| TestFrame::parse(umem.data(f)))
        .map(|t| t.seq)
        .collect();
    assert_eq!(seqs, (0..10).collect::<Vec<_>>());
}
