//! Regression test of the seed's scenario, against the raw bindings.
//!
//! One UMEM, created in the root namespace, shared by AF_XDP sockets on every queue of two veth
//! devices that have the same ifindex in two namespaces: `outer` (root namespace) and `inner`
//! (a test namespace, sockets created with the thread inside it). Each (device, queue) has its
//! own fill and completion ring. Frames sent into one device must all arrive on that device's
//! sockets and never on the other's.
//!
//! Environment: `XDP_NETNS_TEST_QUEUES` (default 2), `XDP_NETNS_TEST_FRAMES` (default 1000).

use std::ffi::CString;
use std::ptr;
use std::time::{Duration, Instant};

use libxdp_sys as sys;
use xdp_netns_harness::{
    env_or, netns_id_of, require_root, FrameSender, NetnsGuard, TestFrame, Topology,
};

const FRAME_SIZE: u32 = 2048;
/// Frames (and ring entries) per socket context.
const FRAMES_PER_CTX: u32 = 512;
const BURST: u32 = 32;
const TAG_OUTER: u8 = 0x0a;
const TAG_INNER: u8 = 0x1b;

/// Which device of the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Outer,
    Inner,
}

impl Side {
    fn tag(self) -> u8 {
        match self {
            Side::Outer => TAG_OUTER,
            Side::Inner => TAG_INNER,
        }
    }
}

/// The ring structures libxdp writes into; boxed so their addresses stay put, because libxdp
/// keeps pointers to them.
#[derive(Default)]
struct Rings {
    fill: sys::xsk_ring_prod,
    comp: sys::xsk_ring_cons,
    rx: sys::xsk_ring_cons,
}

/// One socket on one (device, queue), with its own fill/completion rings.
struct Ctx {
    side: Side,
    queue: u32,
    rings: Box<Rings>,
    xsk: *mut sys::xsk_socket,
    /// Test frames received, by tag.
    outer_frames: u32,
    inner_frames: u32,
    other_frames: u32,
}

/// Anonymous memory for the UMEM, unmapped on drop.
struct Area {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Area {
    fn new(len: usize) -> Area {
        // SAFETY: anonymous private mapping; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap of {len} bytes failed");
        Area { ptr, len }
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: ptr/len come from the mmap in Area::new and are unmapped only here.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

fn errno_str(rc: i32) -> String {
    std::io::Error::from_raw_os_error(-rc).to_string()
}

/// Create the socket of `ctx` on `dev`, in the calling thread's current namespace.
fn create_socket(ctx: &mut Ctx, dev: &str, umem: *mut sys::xsk_umem) {
    let ifname = CString::new(dev).unwrap();
    let mut cfg = sys::xsk_socket_config {
        rx_size: FRAMES_PER_CTX,
        tx_size: 0,
        xdp_flags: libxdp_sys::libbpf_sys::XDP_FLAGS_DRV_MODE,
        bind_flags: sys::XDP_COPY as u16,
        ..Default::default()
    };
    cfg.__bindgen_anon_1.libxdp_flags = 0; // load the default program
    let rings = &mut *ctx.rings;
    // SAFETY: all pointers are valid; the ring structs live in a Box that outlives the socket.
    let rc = unsafe {
        sys::xsk_socket__create_shared(
            &mut ctx.xsk,
            ifname.as_ptr(),
            ctx.queue,
            umem,
            &mut rings.rx,
            ptr::null_mut(),
            &mut rings.fill,
            &mut rings.comp,
            &cfg,
        )
    };
    assert_eq!(
        rc,
        0,
        "xsk_socket__create_shared({dev}, queue {}) failed: {}",
        ctx.queue,
        errno_str(rc)
    );
    assert!(!ctx.xsk.is_null());
}

/// Put this context's frames `[base, base + FRAMES_PER_CTX)` on its fill ring.
fn fill_all(ctx: &mut Ctx, index: u32) {
    let base = u64::from(index) * u64::from(FRAMES_PER_CTX) * u64::from(FRAME_SIZE);
    let mut idx = 0u32;
    // SAFETY: the fill ring was set up by xsk_socket__create_shared.
    let n = unsafe { sys::xsk_ring_prod__reserve(&mut ctx.rings.fill, FRAMES_PER_CTX, &mut idx) };
    assert_eq!(n, FRAMES_PER_CTX, "fill ring of ctx {index} has no room");
    for i in 0..n {
        // SAFETY: idx + i lies within the n reserved slots.
        unsafe {
            *sys::xsk_ring_prod__fill_addr(&mut ctx.rings.fill, idx + i) =
                base + u64::from(i) * u64::from(FRAME_SIZE);
        }
    }
    // SAFETY: publishes exactly the slots reserved above.
    unsafe { sys::xsk_ring_prod__submit(&mut ctx.rings.fill, n) };
}

/// Take everything off the RX ring of `ctx`, count it, and give the frames back to the kernel.
fn drain(ctx: &mut Ctx, area: &Area) -> u32 {
    let mut idx = 0u32;
    // SAFETY: the RX ring was set up by xsk_socket__create_shared.
    let n = unsafe { sys::xsk_ring_cons__peek(&mut ctx.rings.rx, FRAMES_PER_CTX, &mut idx) };
    if n == 0 {
        return 0;
    }
    let mut addrs = Vec::with_capacity(n as usize);
    for i in 0..n {
        // SAFETY: idx + i lies within the n entries peeked above.
        let desc = unsafe { *sys::xsk_ring_cons__rx_desc(&ctx.rings.rx, idx + i) };
        let len = desc.len as usize;
        // SAFETY: desc.addr/len describe a received frame inside the UMEM area.
        let data = unsafe {
            std::slice::from_raw_parts(
                sys::xsk_umem__get_data(area.ptr, desc.addr).cast::<u8>(),
                len,
            )
        };
        assert!(desc.addr as usize + len <= area.len);
        match TestFrame::parse(data) {
            Some(f) if f.tag == TAG_OUTER => ctx.outer_frames += 1,
            Some(f) if f.tag == TAG_INNER => ctx.inner_frames += 1,
            _ => ctx.other_frames += 1,
        }
        // SAFETY: pure arithmetic on the descriptor's address.
        addrs.push(unsafe { sys::xsk_umem__extract_addr(desc.addr) });
    }
    // SAFETY: releases exactly the entries peeked above.
    unsafe { sys::xsk_ring_cons__release(&mut ctx.rings.rx, n) };

    let mut fidx = 0u32;
    // SAFETY: as in fill_all; every frame taken off RX came from this fill ring, so it has room.
    let got = unsafe { sys::xsk_ring_prod__reserve(&mut ctx.rings.fill, n, &mut fidx) };
    assert_eq!(got, n, "fill ring has no room to recycle");
    for (i, addr) in addrs.into_iter().enumerate() {
        // SAFETY: fidx + i lies within the reserved slots.
        unsafe { *sys::xsk_ring_prod__fill_addr(&mut ctx.rings.fill, fidx + i as u32) = addr };
    }
    // SAFETY: publishes exactly the slots reserved above.
    unsafe { sys::xsk_ring_prod__submit(&mut ctx.rings.fill, n) };
    n
}

fn received(ctxs: &[Ctx], side: Side) -> u32 {
    ctxs.iter()
        .filter(|c| c.side == side)
        .map(|c| c.outer_frames + c.inner_frames + c.other_frames)
        .sum()
}

/// Send `frames` tagged for `side` into that device (from its peer) in bursts, draining all
/// sockets between bursts until the burst has arrived.
fn send_into(side: Side, sender: &FrameSender, frames: u32, ctxs: &mut [Ctx], area: &Area) {
    let start = received(ctxs, side);
    let mut sent = 0;
    let mut bursts = 0;
    while sent < frames {
        let burst = BURST.min(frames - sent);
        // Successive bursts from successive CPUs, so that they reach different queues.
        sender
            .send_burst_from_cpu(bursts, side.tag(), sent, burst)
            .expect("sending test frames");
        bursts += 1;
        sent += burst;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            for ctx in ctxs.iter_mut() {
                drain(ctx, area);
            }
            if received(ctxs, side) - start >= sent {
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        if received(ctxs, side) - start < sent {
            break;
        }
    }
    // Late or stray frames would show up here.
    std::thread::sleep(Duration::from_millis(50));
    for ctx in ctxs.iter_mut() {
        drain(ctx, area);
    }
    assert_eq!(sent, frames, "sent into {side:?}");
}

/// The id of the XDP program attached to `ifindex` in the current namespace (0: none).
fn xdp_prog_id(ifindex: u32) -> u32 {
    let mut id = 0u32;
    // SAFETY: id is valid for writes; the kernel checks ifindex.
    let rc = unsafe { sys::libbpf_sys::bpf_xdp_query_id(ifindex as i32, 0, &mut id) };
    assert_eq!(rc, 0, "bpf_xdp_query_id({ifindex}): {}", errno_str(rc));
    id
}

#[test]
fn shared_umem_across_namespaces() {
    if !require_root("shared_umem_across_namespaces") {
        return;
    }
    let queues: u32 = env_or("XDP_NETNS_TEST_QUEUES", 2);
    let frames: u32 = env_or("XDP_NETNS_TEST_FRAMES", 1000);
    assert!(queues >= 1);

    let topo = Topology::up(queues).expect("topology up");
    assert_eq!(
        topo.outer_ns(),
        None,
        "this test wants outer in the root namespace"
    );
    eprintln!(
        "topology {}: {} (root ns) / {} (ns {}), ifindex {}, {} queues",
        topo.id(),
        topo.outer_dev(),
        topo.inner_dev(),
        topo.inner_ns(),
        topo.ifindex(),
        queues
    );

    let n_ctx = 2 * queues;
    let area = Area::new((n_ctx * FRAMES_PER_CTX * FRAME_SIZE) as usize);
    let mut ctxs: Vec<Ctx> = [Side::Outer, Side::Inner]
        .into_iter()
        .flat_map(|side| (0..queues).map(move |queue| (side, queue)))
        .map(|(side, queue)| Ctx {
            side,
            queue,
            rings: Box::default(),
            xsk: ptr::null_mut(),
            outer_frames: 0,
            inner_frames: 0,
            other_frames: 0,
        })
        .collect();

    // The UMEM, in the root namespace, with the first (outer, queue 0) context's rings.
    let ucfg = sys::xsk_umem_config {
        fill_size: FRAMES_PER_CTX,
        comp_size: FRAMES_PER_CTX,
        frame_size: FRAME_SIZE,
        frame_headroom: 0,
        flags: 0,
    };
    let mut umem: *mut sys::xsk_umem = ptr::null_mut();
    {
        let rings = &mut *ctxs[0].rings;
        // SAFETY: area is a live mapping of the size given; the ring structs are boxed.
        let rc = unsafe {
            sys::xsk_umem__create(
                &mut umem,
                area.ptr,
                area.len as u64,
                &mut rings.fill,
                &mut rings.comp,
                &ucfg,
            )
        };
        assert_eq!(rc, 0, "xsk_umem__create: {}", errno_str(rc));
    }

    // Outer sockets first (the first one reuses the UMEM's fd, from the root namespace), then
    // the inner ones with the thread inside the inner namespace.
    for ctx in ctxs.iter_mut().filter(|c| c.side == Side::Outer) {
        create_socket(ctx, topo.outer_dev(), umem);
    }
    {
        let _in = NetnsGuard::enter(topo.inner_ns()).expect("enter inner namespace");
        for ctx in ctxs.iter_mut().filter(|c| c.side == Side::Inner) {
            create_socket(ctx, topo.inner_dev(), umem);
        }
    }

    // Namespace ids (cookies, or nsfs inodes before Linux 5.14): equal within a namespace,
    // different across.
    let cookies: Vec<u64> = ctxs
        .iter()
        // SAFETY: xsk is a live socket.
        .map(|c| netns_id_of(unsafe { sys::xsk_socket__fd(c.xsk) }).expect("network namespace id"))
        .collect();
    let cookie_of = |side: Side| -> Vec<u64> {
        ctxs.iter()
            .zip(&cookies)
            .filter(|(c, _)| c.side == side)
            .map(|(_, k)| *k)
            .collect()
    };
    let (outer_cookies, inner_cookies) = (cookie_of(Side::Outer), cookie_of(Side::Inner));
    assert!(
        outer_cookies.iter().all(|k| *k == outer_cookies[0]),
        "{outer_cookies:?}"
    );
    assert!(
        inner_cookies.iter().all(|k| *k == inner_cookies[0]),
        "{inner_cookies:?}"
    );
    assert_ne!(
        outer_cookies[0], inner_cookies[0],
        "outer and inner sockets share a namespace"
    );

    assert_ne!(xdp_prog_id(topo.ifindex()), 0, "no XDP program on outer");
    {
        let _in = NetnsGuard::enter(topo.inner_ns()).expect("enter inner namespace");
        assert_ne!(xdp_prog_id(topo.ifindex()), 0, "no XDP program on inner");
    }

    for (i, ctx) in ctxs.iter_mut().enumerate() {
        fill_all(ctx, i as u32);
    }

    // Into outer: send on inner from inside the inner namespace, and vice versa.
    let to_outer = FrameSender::new(Some(topo.inner_ns()), topo.inner_dev()).expect("sender");
    let to_inner = FrameSender::new(topo.outer_ns(), topo.outer_dev()).expect("sender");
    send_into(Side::Outer, &to_outer, frames, &mut ctxs, &area);
    send_into(Side::Inner, &to_inner, frames, &mut ctxs, &area);

    for ctx in &ctxs {
        eprintln!(
            "{:?} queue {}: {} outer-tagged, {} inner-tagged, {} other",
            ctx.side, ctx.queue, ctx.outer_frames, ctx.inner_frames, ctx.other_frames
        );
    }
    if queues > 1 && FrameSender::cpus().unwrap_or(1) > 1 {
        // Not asserted (queue selection is the kernel's business), but worth seeing.
        let busy = ctxs
            .iter()
            .filter(|c| received(std::slice::from_ref(*c), c.side) > 0);
        eprintln!("queues that received frames: {}", busy.count());
    }
    let sum = |side: Side, f: fn(&Ctx) -> u32| -> u32 {
        ctxs.iter().filter(|c| c.side == side).map(f).sum()
    };
    assert_eq!(
        sum(Side::Outer, |c| c.outer_frames),
        frames,
        "outer received"
    );
    assert_eq!(
        sum(Side::Inner, |c| c.inner_frames),
        frames,
        "inner received"
    );
    assert_eq!(
        sum(Side::Outer, |c| c.inner_frames),
        0,
        "inner's frames on outer"
    );
    assert_eq!(
        sum(Side::Inner, |c| c.outer_frames),
        0,
        "outer's frames on inner"
    );

    // Teardown: inner sockets from inside the inner namespace (libxdp 1.6.3 detaches by ifindex
    // in the caller's namespace), then outer sockets, then the UMEM.
    {
        let _in = NetnsGuard::enter(topo.inner_ns()).expect("enter inner namespace");
        for ctx in ctxs.iter_mut().filter(|c| c.side == Side::Inner) {
            // SAFETY: xsk is a live socket, deleted once.
            unsafe { sys::xsk_socket__delete(ctx.xsk) };
            ctx.xsk = ptr::null_mut();
        }
    }
    for ctx in ctxs.iter_mut().filter(|c| c.side == Side::Outer) {
        // SAFETY: xsk is a live socket, deleted once.
        unsafe { sys::xsk_socket__delete(ctx.xsk) };
        ctx.xsk = ptr::null_mut();
    }
    // SAFETY: every socket on the UMEM is gone.
    let rc = unsafe { sys::xsk_umem__delete(umem) };
    assert_eq!(rc, 0, "xsk_umem__delete: {}", errno_str(rc));

    // Both devices are left without an XDP program (nothing detached by ifindex in the wrong
    // namespace, nothing left behind redirecting into a dead XSKMAP).
    assert_eq!(xdp_prog_id(topo.ifindex()), 0, "XDP program left on outer");
    {
        let _in = NetnsGuard::enter(topo.inner_ns()).expect("enter inner namespace");
        assert_eq!(xdp_prog_id(topo.ifindex()), 0, "XDP program left on inner");
    }
    drop(area);
    drop(topo);
}
