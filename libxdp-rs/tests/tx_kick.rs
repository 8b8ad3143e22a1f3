//! Sending (needs root): `TxQueue::kick` sends everything produced and says what is left,
//! `TxQueue::produce` keeps order when the ring is full, `TxQueue::poll` waits for room and
//! `CompletionQueue::wait` for completions.
//!
//! A TX-only socket in copy mode on `outer` (root namespace) of the equal-ifindex topology;
//! what it sends goes to `inner`, whose stack drops it (no addresses, no IPv6). Copy mode sends
//! at most 32 descriptors (16 up to Linux 5.10) per `sendto()`: one `wakeup()` leaves the rest in the ring for as
//! long as nobody kicks again, the stall of a loop that kicks once and then blocks in `poll`.

use std::time::{Duration, Instant};

use libxdp_rs::{BindFlags, CompletionQueue, Frame, Socket, TxQueue, Umem};
use xdp_netns_harness::{require_root, TestFrame, Topology};

/// Write test frame `seq` into `frame`.
fn write_test_frame(umem: &Umem, frame: &mut Frame, seq: u32) {
    let bytes = TestFrame { tag: 0x4b, seq }.encode();
    umem.buffer_mut(frame)[..bytes.len()].copy_from_slice(&bytes);
    frame.set_len(bytes.len() as u32).expect("frame length");
}

/// Write test frames 0, 1, ... into `frames`.
fn write_test_frames(umem: &Umem, frames: &mut [Frame]) {
    for (seq, f) in frames.iter_mut().enumerate() {
        write_test_frame(umem, f, seq as u32);
    }
}

/// Produce `n` test frames from `free` into `tx` (all fit).
fn produce(umem: &Umem, tx: &mut TxQueue, free: &mut Vec<Frame>, n: usize) {
    let mut batch: Vec<Frame> = free.drain(free.len() - n..).collect();
    write_test_frames(umem, &mut batch);
    assert_eq!(tx.produce(&mut batch), n, "the TX ring takes all {n}");
}

/// Consume completions into `free` until `want` came back in all, or `wait` passed; returns
/// how many came back.
fn completions(
    comp: &mut CompletionQueue,
    free: &mut Vec<Frame>,
    want: usize,
    wait: Duration,
) -> usize {
    let deadline = Instant::now() + wait;
    let mut got = 0;
    loop {
        got += comp.consume(free, want - got);
        let left = deadline.saturating_duration_since(Instant::now());
        if got >= want || left.is_zero() {
            return got;
        }
        comp.wait(left);
    }
}

/// A UMEM of `frames` frames with a completion ring of `comp` entries, and a TX-only socket in
/// copy mode on `outer` with a TX ring of `tx` entries.
fn tx_socket(
    topo: &Topology,
    frames: u32,
    comp: u32,
    tx: u32,
) -> (Umem, Vec<Frame>, TxQueue, CompletionQueue) {
    let (umem, free) = Umem::builder()
        .frame_count(frames)
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
    (umem, free, parts.tx.unwrap(), parts.comp)
}

#[test]
fn kick_sends_all_that_wakeup_leaves_pending() {
    if !require_root("kick_sends_all_that_wakeup_leaves_pending") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let (umem, mut free, mut tx, mut comp) = tx_socket(&topo, 4096, 2048, 2048);

    // One wakeup: one batch goes, the rest stays (nobody else kicks in copy mode).
    produce(&umem, &mut tx, &mut free, 1000);
    assert_eq!(tx.pending(), 1000);
    tx.wakeup().expect("wakeup");
    let sent = completions(&mut comp, &mut free, 1000, Duration::from_millis(300));
    assert!(
        sent < 1000,
        "one wakeup sent all 1000 frames: the test shows nothing"
    );
    assert!(tx.pending() > 0, "{sent} sent, yet nothing pending");

    // kick: everything goes, nothing is left pending.
    assert_eq!(tx.kick().expect("kick"), 0, "kick left frames pending");
    assert_eq!(tx.pending(), 0);
    let rest = completions(&mut comp, &mut free, 1000 - sent, Duration::from_secs(5));
    assert_eq!(sent + rest, 1000, "completions of all 1000 frames");
    // Nothing to send: no call, nothing pending.
    assert_eq!(tx.kick().expect("kick"), 0);
}

#[test]
fn kick_says_what_a_full_completion_ring_leaves() {
    if !require_root("kick_says_what_a_full_completion_ring_leaves") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    // A completion ring of 64 for a TX ring of 512: a kick can send 64 at most, until
    // completions are consumed.
    let (umem, mut free, mut tx, mut comp) = tx_socket(&topo, 1024, 64, 512);

    produce(&umem, &mut tx, &mut free, 500);
    let left = tx.kick().expect("kick");
    // (The kernel sent 64; it may not have published that yet, so left is up to 500.)
    assert!(
        left > 0,
        "500 frames went through a completion ring of 64 without consuming it"
    );
    // Consume and kick until all went: 64 a round, so 8 rounds.
    let mut done = 0;
    let mut rounds = 0;
    let mut left = left;
    while left > 0 {
        rounds += 1;
        assert!(rounds <= 20, "{left} frames still pending after 20 rounds");
        // A kick fills the empty completion ring: wait for all of it.
        done += completions(
            &mut comp,
            &mut free,
            (500 - done).min(64),
            Duration::from_secs(5),
        );
        left = tx.kick().expect("kick");
    }
    done += completions(&mut comp, &mut free, 500 - done, Duration::from_secs(5));
    assert_eq!(done, 500, "completions of all 500 frames");
}

/// `TxQueue::produce` takes frames from the front, in order, and leaves the rest at the front
/// of the vector, in order, to go next: a full ring never lets newer frames overtake older ones.
#[test]
fn produce_sends_oldest_first_when_the_ring_is_full() {
    if !require_root("produce_sends_oldest_first_when_the_ring_is_full") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let (umem, mut free, mut tx, mut comp) = tx_socket(&topo, 1024, 1024, 64);

    let mut queued: Vec<Frame> = free.drain(free.len() - 100..).collect();
    write_test_frames(&umem, &mut queued);
    let order: Vec<u64> = queued.iter().map(Frame::addr).collect();
    assert_eq!(tx.produce(&mut queued), 64, "a ring of 64 takes 64");
    let left: Vec<u64> = queued.iter().map(Frame::addr).collect();
    assert_eq!(left, order[64..], "the 36 newest stay, in order");

    assert_eq!(tx.kick().expect("kick"), 0);
    let mut sent = Vec::new();
    completions(&mut comp, &mut sent, 64, Duration::from_secs(5));
    assert_eq!(tx.produce(&mut queued), 36);
    assert!(queued.is_empty());
    assert_eq!(tx.kick().expect("kick"), 0);
    completions(&mut comp, &mut sent, 36, Duration::from_secs(5));
    // Copy mode completes in the order it sent.
    let done: Vec<u64> = sent.iter().map(|f| f.addr()).collect();
    assert_eq!(done, order, "sent oldest first");
}

#[test]
fn tx_poll_makes_room_and_completions_come_back() {
    if !require_root("tx_poll_makes_room_and_completions_come_back") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let (umem, mut free, mut tx, mut comp) = tx_socket(&topo, 512, 512, 64);
    write_test_frames(&umem, &mut free);

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
    assert_eq!(
        completions(&mut comp, &mut free, 64, Duration::from_secs(5)),
        64
    );
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
    let (umem, mut free, mut tx, mut comp) = tx_socket(&topo, 512, 64, 64);
    write_test_frames(&umem, &mut free);

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
    assert_eq!(
        completions(&mut comp, &mut done, 64, Duration::from_secs(5)),
        64
    );
    assert!(
        tx.poll(2000).expect("poll"),
        "no room once completions were consumed"
    );
    assert_eq!(
        completions(&mut comp, &mut done, 64, Duration::from_secs(5)),
        64
    );
}
