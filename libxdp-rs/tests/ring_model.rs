//! Property tests of the ring index arithmetic against a model.
//!
//! A ring lives in plain heap memory laid out like the kernel's (producer `u32`, consumer
//! `u32`, flags, descriptors). One [`RawProducer`] and one [`RawConsumer`] drive it with random
//! batches, starting from random indexes (often near `u32::MAX`, so that they wrap). A
//! `VecDeque` is the model: every produced value must come out once, in order, and the counts
//! must never exceed the room or the content the model allows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};

use libxdp_rs::testing::{Desc, RawConsumer, RawProducer, XdpDesc};
use proptest::prelude::*;

/// The shared part of a ring, as the kernel maps it (offsets differ; order does not matter).
#[repr(C)]
struct Shared<T> {
    producer: AtomicU32,
    consumer: AtomicU32,
    flags: AtomicU32,
    descs: Vec<T>,
}

/// Fields drop in order: both sides before the memory they point to.
struct Ring<T: Desc> {
    prod: RawProducer<T>,
    cons: RawConsumer<T>,
    shared: Box<Shared<T>>,
}

fn ring<T: Desc + Default>(size: u32, start: u32) -> Ring<T> {
    let mut shared = Box::new(Shared {
        producer: AtomicU32::new(start),
        consumer: AtomicU32::new(start),
        flags: AtomicU32::new(0),
        descs: vec![T::default(); size as usize],
    });
    let descs = shared.descs.as_mut_ptr();
    // SAFETY: the pointers point into `shared`, which is boxed (stable address) and dropped
    // after both sides (field order of Ring); `descs` has `size` slots, size is a power of
    // two, and there is exactly one producer and one consumer.
    let (prod, cons) = unsafe {
        (
            RawProducer::new(
                &shared.producer,
                &shared.consumer,
                &shared.flags,
                descs,
                size,
            ),
            RawConsumer::new(
                &shared.producer,
                &shared.consumer,
                &shared.flags,
                descs.cast_const(),
                size,
            ),
        )
    };
    Ring { prod, cons, shared }
}

#[derive(Debug, Clone)]
enum Op {
    Produce(u32),
    Consume(u32),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            (0u32..80).prop_map(Op::Produce),
            (0u32..80).prop_map(Op::Consume),
        ],
        1..200,
    )
}

fn start_index() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        (0u32..300).prop_map(|d| u32::MAX - d),
        any::<u32>(),
    ]
}

fn size() -> impl Strategy<Value = u32> {
    (0u32..7).prop_map(|s| 1 << s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn addr_ring_matches_model(size in size(), start in start_index(), ops in ops()) {
        let mut r = ring::<u64>(size, start);
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut next = 0u64;
        let mut out = Vec::new();
        for op in ops {
            match op {
                Op::Produce(n) => {
                    let items: Vec<u64> = (next..next + u64::from(n)).collect();
                    let done = r.prod.push_slice(&items);
                    let room = size as usize - model.len();
                    prop_assert_eq!(done, (n as usize).min(room));
                    model.extend(&items[..done]);
                    next += done as u64;
                }
                Op::Consume(n) => {
                    out.clear();
                    let done = r.cons.pop_into(&mut out, n as usize);
                    prop_assert_eq!(done, (n as usize).min(model.len()));
                    prop_assert_eq!(out.len(), done);
                    for v in &out {
                        prop_assert_eq!(Some(*v), model.pop_front());
                    }
                }
            }
            // The published indexes agree with the model.
            let p = r.shared.producer.load(Ordering::Relaxed);
            let c = r.shared.consumer.load(Ordering::Relaxed);
            prop_assert_eq!(p.wrapping_sub(c) as usize, model.len());
            prop_assert!(p.wrapping_sub(c) <= size);
            // What the producer sees as pending is what the model holds.
            prop_assert_eq!(r.prod.pending() as usize, model.len());
        }
        // Drain: nothing lost, nothing duplicated.
        out.clear();
        r.cons.pop_into(&mut out, usize::MAX);
        prop_assert_eq!(r.prod.pending(), 0);
        prop_assert_eq!(out, model.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(
            r.shared.producer.load(Ordering::Relaxed),
            start.wrapping_add(next as u32)
        );
    }

    #[test]
    fn desc_ring_matches_model(size in size(), start in start_index(), ops in ops()) {
        let mut r = ring::<XdpDesc>(size, start);
        let mut model: VecDeque<(u64, u32)> = VecDeque::new();
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Produce(n) => {
                    let base = next;
                    let done = r.prod.produce_with(n, |i| XdpDesc {
                        addr: u64::from(base + i) << 12,
                        len: base + i,
                        options: 0,
                    });
                    prop_assert_eq!(done as usize, (n as usize).min(size as usize - model.len()));
                    for i in 0..done {
                        model.push_back((u64::from(base + i) << 12, base + i));
                    }
                    next += done;
                }
                Op::Consume(n) => {
                    let mut got = Vec::new();
                    let done = r.cons.consume_with(n, |d| got.push((d.addr, d.len)));
                    prop_assert_eq!(done as usize, (n as usize).min(model.len()));
                    for g in got {
                        prop_assert_eq!(Some(g), model.pop_front());
                    }
                }
            }
        }
    }

    /// A producer started against a ring the other side already advanced (as after
    /// re-creating a queue) sees exactly the room the indexes leave.
    #[test]
    fn producer_sees_room_from_indexes(size in size(), start in start_index(), used in 0u32..64) {
        let used = used % (size + 1);
        let mut r = ring::<u64>(size, start);
        r.shared.producer.store(start.wrapping_add(used), Ordering::Relaxed);
        // SAFETY: as in `ring`.
        let mut p = unsafe {
            RawProducer::new(
                &r.shared.producer,
                &r.shared.consumer,
                &r.shared.flags,
                r.shared.descs.as_mut_ptr(),
                size,
            )
        };
        prop_assert_eq!(p.free(u32::MAX), size - used);
        // SAFETY: as in `ring`.
        let mut c = unsafe {
            RawConsumer::new(
                &r.shared.producer,
                &r.shared.consumer,
                &r.shared.flags,
                r.shared.descs.as_ptr(),
                size,
            )
        };
        prop_assert_eq!(c.available(u32::MAX), used);
        let _ = &mut r.prod;
    }
}

proptest! {
    /// Moving entries from one ring onto another (`RawConsumer::move_to`, what
    /// `RxQueue::forward_to` does) against a model of both: every value leaves the first ring
    /// once, in order, lands on the second once, in order, and each move is as large as the
    /// first ring's content, the second's room and `max` allow.
    #[test]
    fn move_between_rings(
        size_a in size(),
        size_b in size(),
        start_a in start_index(),
        start_b in start_index(),
        ops in prop::collection::vec((0u8..3, 0u32..80), 1..200),
    ) {
        let mut a = ring::<XdpDesc>(size_a, start_a);
        let mut b = ring::<XdpDesc>(size_b, start_b);
        let (mut in_a, mut in_b) = (VecDeque::new(), VecDeque::new());
        let mut next = 0u64;
        for (op, n) in ops {
            match op {
                // Fill the first ring.
                0 => {
                    let room = size_a - in_a.len() as u32;
                    let base = next;
                    let done = a.prod.produce_with(n, |i| XdpDesc {
                        addr: base + u64::from(i),
                        len: i,
                        options: 0,
                    });
                    prop_assert_eq!(done, n.min(room));
                    in_a.extend((0..done).map(|i| (base + u64::from(i), i)));
                    next += u64::from(done);
                }
                // Move from the first onto the second.
                1 => {
                    let room = size_b - in_b.len() as u32;
                    let moved = a.cons.move_to(&mut b.prod, n, |d| XdpDesc {
                        addr: d.addr,
                        len: d.len + 1,
                        options: 0,
                    });
                    prop_assert_eq!(moved, n.min(room).min(in_a.len() as u32));
                    for _ in 0..moved {
                        let (addr, len) = in_a.pop_front().expect("counted");
                        in_b.push_back((addr, len + 1));
                    }
                }
                // Drain the second and check what arrives.
                _ => {
                    let mut got = Vec::new();
                    let done = b.cons.consume_with(n, |d| got.push(d));
                    prop_assert_eq!(done, n.min(in_b.len() as u32));
                    for d in got {
                        prop_assert_eq!((d.addr, d.len), in_b.pop_front().expect("counted"));
                    }
                }
            }
        }
    }
}

proptest! {
    /// `RawConsumer::whole_packets` against a model: descriptors whose `options` bit 0 says
    /// "the packet continues"; the answer is the length of the longest prefix of the first
    /// `max` ready ones that ends a packet, also when the ring wraps.
    #[test]
    fn whole_packets_end_where_a_packet_ends(
        size in size(),
        start in start_index(),
        continued in prop::collection::vec(any::<bool>(), 0..64),
        max in 0u32..80,
    ) {
        let mut r = ring::<XdpDesc>(size, start);
        let n = (continued.len() as u32).min(size);
        let done = r.prod.produce_with(n, |i| XdpDesc {
            addr: u64::from(i),
            len: 1,
            options: u32::from(continued[i as usize]),
        });
        prop_assert_eq!(done, n);
        let seen = &continued[..n.min(max) as usize];
        let want = seen.iter().rposition(|c| !c).map_or(0, |i| i as u32 + 1);
        prop_assert_eq!(r.cons.whole_packets(max, |d| d.options & 1 == 0), want);
        // It only looks: everything is still there.
        prop_assert_eq!(r.cons.available(u32::MAX), n);
    }
}

#[test]
fn need_wakeup_flag() {
    let r = ring::<u64>(8, 0);
    assert!(!r.prod.needs_wakeup());
    r.shared.flags.store(1, Ordering::Relaxed);
    assert!(r.prod.needs_wakeup());
    assert!(r.cons.needs_wakeup());
}

/// Producer and consumer on two threads, as user space and the kernel run: release/acquire
/// must hand over every value intact.
#[test]
fn two_threads() {
    const N: u64 = 200_000;
    let size = 64;
    let Ring { prod, cons, shared } = ring::<u64>(size, u32::MAX - 1000);
    struct SendBox<T>(T);
    // SAFETY: each side is used by exactly one thread; `shared` outlives both (joined below).
    unsafe impl<T> Send for SendBox<T> {}
    impl<T> SendBox<T> {
        // A method, so that closures capture the whole box (not its non-Send field).
        fn get(&mut self) -> &mut T {
            &mut self.0
        }
    }
    let (mut prod, mut cons) = (SendBox(prod), SendBox(cons));
    std::thread::scope(|s| {
        s.spawn(move || {
            let p = prod.get();
            let mut next = 0u64;
            while next < N {
                let n = p.produce_with(((N - next) as u32).min(17), |i| next + u64::from(i));
                next += u64::from(n);
            }
        });
        s.spawn(move || {
            let c = cons.get();
            let mut expect = 0u64;
            while expect < N {
                c.consume_with(13, |v| {
                    assert_eq!(v, expect);
                    expect += 1;
                });
            }
        });
    });
    drop(shared);
}
