//! Waiting on the queues (needs root): their descriptors in `epoll` (`AsFd`), waiting for room
//! in the TX ring (`TxQueue::poll`) and for completions (`CompletionQueue::wait`), on the
//! equal-ifindex topology.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use libxdp_rs::{
    BindFlags, CompletionQueue, FillQueue, Frame, Netns, RxQueue, Socket, TxQueue, Umem,
};
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
    let (mut fill, mut rx): (FillQueue, RxQueue) = (parts.fill.unwrap(), parts.rx.unwrap());
    let (tx, comp) = (parts.tx.unwrap(), parts.comp.unwrap());
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

/// A TX-only socket in copy mode on `outer`, with a TX ring of `tx` and a completion ring of
/// `comp`, and `count` test frames ready to go.
fn tx_setup(topo: &Topology, tx: u32, comp: u32) -> (Umem, Vec<Frame>, TxQueue, CompletionQueue) {
    let (umem, mut free) = Umem::builder()
        .frame_count(512)
        .comp_size(comp)
        .build()
        .expect("UMEM");
    let parts = Socket::builder(topo.outer_dev(), 0)
        .rx(false)
        .tx_size(tx)
        .bind_flags(BindFlags {
            copy: true,
            zero_copy: false,
            need_wakeup: true,
            ..BindFlags::default()
        })
        .build(&umem)
        .expect("TX socket")
        .split();
    for (seq, f) in free.iter_mut().enumerate() {
        let bytes = TestFrame {
            tag: 0x4c,
            seq: seq as u32,
        }
        .encode();
        umem.buffer_mut(f)[..bytes.len()].copy_from_slice(&bytes);
        f.set_len(bytes.len() as u32).unwrap();
    }
    (umem, free, parts.tx.unwrap(), parts.comp.unwrap())
}

/// Take completions until `want` came back (or 5 s passed); how many did.
fn take_completions(comp: &mut CompletionQueue, into: &mut Vec<Frame>, want: usize) -> usize {
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while got < want && Instant::now() < deadline {
        comp.wait(Duration::from_millis(100));
        got += comp.consume(into, want - got);
    }
    got
}

#[test]
fn tx_poll_makes_room_and_completions_come_back() {
    if !require_root("tx_poll_makes_room_and_completions_come_back") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let (_umem, mut free, mut tx, mut comp) = tx_setup(&topo, 64, 512);

    // Nothing sent: no completion comes, and the wait lasts its time.
    let started = Instant::now();
    assert_eq!(comp.wait(Duration::from_millis(50)), 0);
    assert!(started.elapsed() >= Duration::from_millis(50));

    let mut batch: Vec<Frame> = free.drain(..64).collect();
    assert_eq!(tx.produce(&mut batch), 64);
    assert_eq!(tx.free_entries(1), 0, "the TX ring is full");
    assert!(tx.poll(2000).expect("poll"), "no room after 2 s");
    assert!(
        tx.free_entries(32) >= 32,
        "poll said room, the ring has none"
    );
    assert!(
        comp.wait(Duration::from_secs(2)) > 0,
        "no completion within 2 s"
    );
    assert_eq!(take_completions(&mut comp, &mut free, 64), 64);
}

/// With the completion ring full, copy mode sends nothing: `TxQueue::poll` says so at once.
/// Linux 5.10 would spin in `poll()` past any timeout there (each try frees a buffer, which
/// wakes the poll again): the test then hangs instead of failing.
#[test]
fn tx_poll_says_no_room_at_once_while_the_completion_ring_is_full() {
    if !require_root("tx_poll_says_no_room_at_once_while_the_completion_ring_is_full") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let (_umem, mut free, mut tx, mut comp) = tx_setup(&topo, 64, 64);

    let mut batch: Vec<Frame> = free.drain(..64).collect();
    assert_eq!(tx.produce(&mut batch), 64);
    assert!(
        tx.poll(2000).expect("poll"),
        "64 frames into a completion ring of 64"
    );
    // The completion ring is full now: copy mode sends no more until it is consumed.
    assert_eq!(comp.wait(Duration::from_secs(2)), 64);
    let mut batch: Vec<Frame> = free.drain(..64).collect();
    assert_eq!(tx.produce(&mut batch), 64);
    let started = Instant::now();
    assert!(
        !tx.poll(2000).expect("poll"),
        "room although the completion ring is full"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "poll waited {:?} in vain",
        started.elapsed()
    );
    let mut done = Vec::new();
    assert_eq!(take_completions(&mut comp, &mut done, 64), 64);
    assert!(
        tx.poll(2000).expect("poll"),
        "no room once completions were consumed"
    );
    assert_eq!(take_completions(&mut comp, &mut done, 64), 64);
}
