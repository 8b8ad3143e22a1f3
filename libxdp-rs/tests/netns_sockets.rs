//! Sockets on both ends of the equal-ifindex topology, through the safe API (needs root).
//!
//! - The UMEM's first socket in another namespace is refused (`EXDEV` in libxdp).
//! - One UMEM (root namespace) serves `outer` (root) and `inner` (test namespace), which have
//!   the same ifindex; a second socket on a (namespace, device, queue) is `QueueInUse`.
//! - Frames sent into each device arrive on that device's `RxQueue` only.
//! - Dropping everything leaves no XDP program on either device.

use std::time::{Duration, Instant};

use libxdp_rs::{BindFlags, Error, Frame, Netns, RxQueue, Socket, Umem, XdpMode};
use libxdp_sys as sys;
use xdp_netns_harness::{require_root, FrameSender, TestFrame, Topology};

const TAG_OUTER: u8 = 0x0a;
const TAG_INNER: u8 = 0x1b;
const FRAMES: u32 = 200;

fn xdp_prog_id(ifindex: u32) -> u32 {
    let mut id = 0u32;
    // SAFETY: id is valid for writes; the kernel checks ifindex.
    let rc = unsafe { sys::libbpf_sys::bpf_xdp_query_id(ifindex as i32, 0, &mut id) };
    assert_eq!(rc, 0, "bpf_xdp_query_id({ifindex}): {rc}");
    id
}

fn prog_on(ns: &Netns, ifindex: u32) -> u32 {
    ns.run(|| xdp_prog_id(ifindex)).expect("enter namespace")
}

/// Receive until `want` test frames tagged `tag` arrived on `rx` (or 5 s passed); returns the
/// tags of everything received; recycles frames into `frames`.
fn receive(rx: &mut RxQueue, umem: &Umem, want: u32, tag: u8, frames: &mut Vec<Frame>) -> Vec<u8> {
    let mut tags = Vec::new();
    let mut batch = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while tags.iter().filter(|t| **t == tag).count() < want as usize && Instant::now() < deadline {
        rx.poll(50).expect("poll");
        rx.consume(&mut batch, 64);
        for f in batch.drain(..) {
            tags.push(TestFrame::parse(umem.data(&f)).map_or(0, |t| t.tag));
            frames.push(f);
        }
    }
    tags
}

#[test]
fn sockets_across_namespaces() {
    if !require_root("sockets_across_namespaces") {
        return;
    }
    let _ = env_logger::builder().is_test(true).try_init();
    let topo = Topology::up(1).expect("topology up");
    assert_eq!(topo.outer_ns(), None);
    let root = Netns::current().unwrap();
    let inner = Netns::named(topo.inner_ns()).expect("inner namespace");
    let ifindex = topo.ifindex();

    // 1. A UMEM made in the root namespace cannot have its first socket in `inner`.
    {
        let (umem, _frames) = Umem::builder()
            .frame_count(64)
            .fill_size(64)
            .comp_size(64)
            .build()
            .unwrap();
        let err = Socket::builder(topo.inner_dev(), 0)
            .netns(inner.try_clone().unwrap())
            .build(&umem)
            .unwrap_err();
        assert!(matches!(err, Error::UmemNetnsMismatch { .. }), "{err:?}");
        let text = err.to_string();
        for part in [topo.inner_dev(), "queue 0", topo.inner_ns(), root.label()] {
            assert!(text.contains(part), "{text:?} lacks {part:?}");
        }
        // Nothing was attached by the failed attempt.
        assert_eq!(prog_on(&inner, ifindex), 0);
    }

    // 2. Errors before any socket: unknown device, names the namespace.
    {
        let (umem, _frames) = Umem::builder()
            .frame_count(64)
            .fill_size(64)
            .comp_size(64)
            .build()
            .unwrap();
        let err = Socket::builder("xdpnetns-nodev", 0)
            .build(&umem)
            .unwrap_err();
        assert!(matches!(err, Error::DeviceNotFound { .. }), "{err:?}");
        assert!(err.to_string().contains("xdpnetns-nodev"), "{err}");
    }

    // 3. One UMEM in the root namespace, sockets on both ends.
    let (umem, mut frames) = Umem::builder()
        .frame_size(2048)
        .frame_count(1024)
        .fill_size(512)
        .comp_size(512)
        .build()
        .expect("UMEM");
    let mk = |dev: &str, ns: &Netns| {
        Socket::builder(dev, 0)
            .netns(ns.try_clone().unwrap())
            .rx_size(512)
            .tx_size(512)
            .xdp_mode(XdpMode::Driver)
            .bind_flags(BindFlags {
                copy: true,
                ..BindFlags::default()
            })
            .build(&umem)
    };
    let outer_sock = mk(topo.outer_dev(), &root).expect("outer socket");
    let inner_sock = mk(topo.inner_dev(), &inner).expect("inner socket");
    assert_eq!(inner_sock.device(), topo.inner_dev());
    assert_eq!(inner_sock.netns().label(), topo.inner_ns());
    assert!(!inner_sock.is_zero_copy().unwrap());

    // Duplicates on the same (namespace, device, queue) are refused, naming all three.
    for (dev, ns) in [(topo.outer_dev(), &root), (topo.inner_dev(), &inner)] {
        let err = mk(dev, ns).unwrap_err();
        assert!(matches!(err, Error::QueueInUse { .. }), "{err:?}");
        let text = err.to_string();
        for part in [dev, "queue 0", ns.label()] {
            assert!(text.contains(part), "{text:?} lacks {part:?}");
        }
    }

    assert_ne!(xdp_prog_id(ifindex), 0, "no XDP program on outer");
    assert_ne!(prog_on(&inner, ifindex), 0, "no XDP program on inner");

    // 4. Traffic: into outer from inner's side and vice versa.
    let (mut outer_parts, mut inner_parts) = (outer_sock.split(), inner_sock.split());
    let half = frames.len() / 2;
    let mut outer_frames: Vec<Frame> = frames.drain(..half).collect();
    let mut inner_frames = frames;
    let mut fill_o = outer_parts.fill;
    let mut fill_i = inner_parts.fill;
    let mut rx_o = outer_parts.rx.take().unwrap();
    let mut rx_i = inner_parts.rx.take().unwrap();
    assert_eq!(fill_o.produce(&mut outer_frames), 512);
    assert_eq!(fill_i.produce(&mut inner_frames), 512);

    let to_outer = FrameSender::new(Some(topo.inner_ns()), topo.inner_dev()).expect("sender");
    let to_inner = FrameSender::new(None, topo.outer_dev()).expect("sender");
    to_outer.send_burst(TAG_OUTER, 0, FRAMES).unwrap();
    let got_o = receive(&mut rx_o, &umem, FRAMES, TAG_OUTER, &mut outer_frames);
    to_inner.send_burst(TAG_INNER, 0, FRAMES).unwrap();
    let got_i = receive(&mut rx_i, &umem, FRAMES, TAG_INNER, &mut inner_frames);
    // Stragglers would show up now.
    std::thread::sleep(Duration::from_millis(50));
    let mut late = Vec::new();
    rx_o.consume(&mut late, usize::MAX);
    rx_i.consume(&mut late, usize::MAX);
    assert!(late
        .iter()
        .all(|f| TestFrame::parse(umem.data(f)).is_none()));

    let count = |v: &[u8], t: u8| v.iter().filter(|x| **x == t).count() as u32;
    assert_eq!(count(&got_o, TAG_OUTER), FRAMES, "outer received");
    assert_eq!(count(&got_i, TAG_INNER), FRAMES, "inner received");
    assert_eq!(count(&got_o, TAG_INNER), 0, "inner's frames on outer");
    assert_eq!(count(&got_i, TAG_OUTER), 0, "outer's frames on inner");

    // 5. Teardown from this thread (root namespace): every part, then the UMEM.
    drop((fill_o, fill_i, rx_o, rx_i));
    drop((
        outer_parts.tx,
        outer_parts.comp,
        inner_parts.tx,
        inner_parts.comp,
    ));
    drop(umem);
    assert_eq!(xdp_prog_id(ifindex), 0, "XDP program left on outer");
    assert_eq!(prog_on(&inner, ifindex), 0, "XDP program left on inner");
    // We are back in the root namespace.
    assert!(Netns::current().unwrap().same_as(&root));
}

#[test]
fn statistics_and_parts_on_other_threads() {
    if !require_root("statistics_and_parts_on_other_threads") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let inner = Netns::named(topo.inner_ns()).expect("inner namespace");
    // UMEM created in the inner namespace, so its first socket can live there.
    let (umem, mut frames) = Umem::builder()
        .netns(inner.try_clone().unwrap())
        .frame_count(256)
        .fill_size(128)
        .comp_size(128)
        .build()
        .expect("UMEM in inner");
    let sock = Socket::builder(topo.inner_dev(), 0)
        .netns(inner.try_clone().unwrap())
        .rx_size(128)
        .tx_size(128)
        .build(&umem)
        .expect("socket");
    let stats = sock.statistics().expect("statistics");
    assert_eq!(stats.rx_invalid_descs, 0);
    let parts = sock.split();
    let mut fill = parts.fill;
    let mut rx = parts.rx.unwrap();
    assert_eq!(fill.capacity(), 128);
    assert_eq!(fill.produce(&mut frames), 128);
    // The RX queue moves to another thread, receives there and is dropped there: the socket
    // is then deleted from that thread, which must enter the inner namespace to do so.
    let sender = FrameSender::new(None, topo.outer_dev()).expect("sender");
    // The frames stay with the kernel; dropping the fill queue object unmaps nothing while
    // another part keeps the socket.
    drop((fill, parts.tx, parts.comp));
    let u2 = umem.clone();
    let handle = std::thread::spawn(move || {
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while out.len() < 10 && Instant::now() < deadline {
            rx.poll(50).unwrap();
            rx.consume(&mut out, 64);
        }
        out.iter()
            .filter(|f| TestFrame::parse(u2.data(f)).is_some())
            .count()
    });
    sender.send_burst(0x33, 0, 10).unwrap();
    assert_eq!(handle.join().unwrap(), 10);
    drop(umem);
    assert_eq!(
        prog_on(&inner, topo.ifindex()),
        0,
        "XDP program left on inner"
    );
}

/// `RxQueue::forward_to` moves descriptors between the rings of one UMEM only: onto a TX queue
/// of another UMEM it is `ForeignUmem`, naming both ends.
#[test]
fn frames_cannot_move_to_another_umem() {
    if !require_root("frames_cannot_move_to_another_umem") {
        return;
    }
    let topo = Topology::up(1).expect("topology up");
    let root = Netns::current().unwrap();
    let inner = Netns::named(topo.inner_ns()).expect("inner namespace");
    let socket = |dev: &str, ns: &Netns, rx: bool| {
        let (umem, frames) = Umem::builder()
            .netns(ns.try_clone().unwrap())
            .frame_count(64)
            .fill_size(64)
            .comp_size(64)
            .build()
            .expect("UMEM");
        let sock = Socket::builder(dev, 0)
            .netns(ns.try_clone().unwrap())
            .rx(rx)
            .tx(!rx)
            .rx_size(64)
            .tx_size(64)
            .default_program(rx)
            .build(&umem)
            .expect("socket");
        (umem, frames, sock.split())
    };
    let (_umem_in, _frames_in, mut from) = socket(topo.inner_dev(), &inner, true);
    let (_umem_out, _frames_out, mut to) = socket(topo.outer_dev(), &root, false);
    let names_both = |err: Error, from: [&str; 2], to: [&str; 2]| {
        assert!(matches!(err, Error::ForeignUmem { .. }), "{err:?}");
        let text = err.to_string();
        for part in from
            .into_iter()
            .chain(to)
            .chain(["queue 0", "different UMEMs"])
        {
            assert!(text.contains(part), "{text:?} lacks {part:?}");
        }
    };

    // Received frames onto the TX ring of another UMEM's socket.
    let (mut rx, mut tx) = (from.rx.take().unwrap(), to.tx.take().unwrap());
    let err = rx.forward_to(&mut tx, 64).unwrap_err();
    names_both(
        err,
        [topo.inner_dev(), topo.inner_ns()],
        [topo.outer_dev(), root.label()],
    );

    // Completed frames into the fill ring of another UMEM.
    let (mut comp, mut fill) = (to.comp, from.fill);
    let err = comp.recycle_to(&mut fill, 64).unwrap_err();
    names_both(
        err,
        [topo.outer_dev(), root.label()],
        [topo.inner_dev(), topo.inner_ns()],
    );
}
