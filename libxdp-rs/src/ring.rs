//! The four AF_XDP rings, implemented in Rust over the memory libxdp maps.
//!
//! Each ring is single producer, single consumer, shared with the kernel: a `u32` producer
//! index, a `u32` consumer index, a flags word and a power-of-two array of descriptors. Indexes
//! run freely with wrapping `u32` arithmetic and are masked to find a slot. The side that
//! reads the other side's index does so with `Acquire` ordering; the side that publishes its
//! own index does so with `Release` ordering (kernel `Documentation/networking/af_xdp.rst`,
//! `smp_load_acquire` / `smp_store_release`), so descriptors written before a publish are seen
//! by whoever observes the new index, and slots are reused only after they were read.
//!
//! Every batch operation costs one look at the other side's index (only when the cached one
//! does not suffice) and one publish, and no FFI call at all.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use libxdp_sys as sys;

use crate::error::Result;
use crate::socket::{SocketInner, StatisticsReader};
use crate::stats::Statistics;
use crate::umem::{Frame, UmemInner, XDP_PKT_CONTD};

/// A ring descriptor: `u64` addresses (fill, completion) or [`XdpDesc`] (RX, TX).
pub trait Desc: Copy + sealed::Sealed {}
impl Desc for u64 {}
impl Desc for XdpDesc {}
mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl Sealed for super::XdpDesc {}
}

/// An RX/TX descriptor, `struct xdp_desc`.
pub type XdpDesc = sys::xdp_desc;

/// The producer side of a ring (user space writes: fill, TX; in tests also a model kernel).
///
/// Its own index lives in a private copy, `prod`, and is only ever stored to the shared
/// producer word, never read back from it: the kernel reads that word from another CPU all
/// the time, and in a forwarder a load of it at the start of each batch (on the critical
/// path) stalled as much as the loads of the descriptors.
#[doc(hidden)]
pub struct RawProducer<T: Desc> {
    /// This side's index, as last published.
    prod: u32,
    /// The consumer index plus `size`, so that `cached_cons` minus the producer index is the
    /// free room (libxdp's convention, see `xsk_prod_nb_free`).
    cached_cons: u32,
    mask: u32,
    size: u32,
    producer: *const AtomicU32,
    consumer: *const AtomicU32,
    flags: *const AtomicU32,
    descs: *mut T,
}

/// The consumer side of a ring (user space reads: RX, completion; in tests a model kernel).
///
/// As for [`RawProducer`], its own index is a private copy, `cons`, that it publishes.
#[doc(hidden)]
pub struct RawConsumer<T: Desc> {
    /// This side's index, as last published.
    cons: u32,
    cached_prod: u32,
    mask: u32,
    producer: *const AtomicU32,
    consumer: *const AtomicU32,
    flags: *const AtomicU32,
    descs: *const T,
}

impl<T: Desc> RawProducer<T> {
    /// A producer over a ring's shared memory.
    ///
    /// # Safety
    /// `producer`, `consumer` and `flags` point to aligned `u32`s, and `descs` to `size`
    /// slots of `T`, all valid for as long as the value lives; `size` is a power of two;
    /// nothing else produces into this ring, and the consumer follows the protocol (reads
    /// `producer` with acquire, publishes `consumer` with release, never passes `producer`).
    #[doc(hidden)]
    pub unsafe fn new(
        producer: *const AtomicU32,
        consumer: *const AtomicU32,
        flags: *const AtomicU32,
        descs: *mut T,
        size: u32,
    ) -> Self {
        debug_assert!(size.is_power_of_two());
        // SAFETY: valid pointer per the contract above.
        let cons = unsafe { (*consumer).load(Ordering::Acquire) };
        // SAFETY: as above.
        let prod = unsafe { (*producer).load(Ordering::Relaxed) };
        RawProducer {
            prod,
            cached_cons: cons.wrapping_add(size),
            mask: size - 1,
            size,
            producer,
            consumer,
            flags,
            descs,
        }
    }

    /// A producer over the ring libxdp set up in `r`.
    ///
    /// # Safety
    /// `r` was filled in by libxdp for a ring that stays mapped while the value lives, and
    /// user space is its only producer.
    pub(crate) unsafe fn from_sys(r: &sys::xsk_ring_prod) -> Self {
        // SAFETY: libxdp points these into the ring's mapping (producer, consumer and flags
        // words; `size` descriptors); the caller keeps the mapping alive.
        unsafe {
            RawProducer::new(
                r.producer as *const AtomicU32,
                r.consumer as *const AtomicU32,
                r.flags as *const AtomicU32,
                r.ring.cast::<T>(),
                r.size,
            )
        }
    }

    /// Ring size in entries.
    #[inline]
    pub fn size(&self) -> u32 {
        self.size
    }

    /// This side's index.
    #[inline]
    fn prod(&self) -> u32 {
        self.prod
    }

    /// Publish `prod` as this side's index: release makes the descriptors written before
    /// visible with it.
    #[inline]
    fn publish(&mut self, prod: u32) {
        self.prod = prod;
        // SAFETY: `producer` is valid (constructor contract).
        unsafe { (*self.producer).store(prod, Ordering::Release) };
    }

    /// Free slots, looking at the consumer's index only when fewer than `want` are known.
    #[inline]
    pub fn free(&mut self, want: u32) -> u32 {
        self.free_from(self.prod(), want)
    }

    #[inline]
    fn free_from(&mut self, prod: u32, want: u32) -> u32 {
        let free = self.cached_cons.wrapping_sub(prod);
        if free >= want {
            return free;
        }
        // SAFETY: `consumer` is valid (constructor contract). Acquire pairs with the
        // consumer's release: it is done reading the slots it released.
        let cons = unsafe { (*self.consumer).load(Ordering::Acquire) };
        self.cached_cons = cons.wrapping_add(self.size);
        self.cached_cons.wrapping_sub(prod)
    }

    /// Write up to `max` descriptors, `make(i)` for `i` in `0..n`, into free slots and
    /// publish them with one release store. Returns `n`.
    #[inline]
    pub fn produce_with(&mut self, max: u32, mut make: impl FnMut(u32) -> T) -> u32 {
        let start = self.prod();
        let n = self.free_from(start, max).min(max);
        if n == 0 {
            return 0;
        }
        // The n slots are one run from `first`, or two when they wrap past the array's end:
        // no index masking per descriptor.
        let first = (start & self.mask) as usize;
        if n == 1 {
            // The common single-descriptor case, without loop setup.
            // SAFETY: first < size, inside the array; the slot is free (see below).
            unsafe { self.descs.add(first).write(make(0)) };
            self.publish(start.wrapping_add(1));
            return 1;
        }
        let head = (self.size as usize - first).min(n as usize);
        for i in 0..head {
            // SAFETY: first + i < size: inside the descriptor array. The slot is free
            // (between the consumer's index and ours), so the consumer does not read it.
            unsafe { self.descs.add(first + i).write(make(i as u32)) };
        }
        for i in head..n as usize {
            // SAFETY: this loop runs only when the run wrapped (head = size - first), so
            // i - head < n - head <= first < size (n <= size): inside the array; free as above.
            unsafe { self.descs.add(i - head).write(make(i as u32)) };
        }
        self.publish(start.wrapping_add(n));
        n
    }

    /// Produce as many of `items` as fit, in order. Returns how many.
    pub fn push_slice(&mut self, items: &[T]) -> usize {
        let max = u32::try_from(items.len()).unwrap_or(u32::MAX);
        self.produce_with(max, |i| items[i as usize]) as usize
    }

    /// Whether the kernel asks to be woken up (`XDP_RING_NEED_WAKEUP`).
    #[inline]
    pub fn needs_wakeup(&self) -> bool {
        // SAFETY: `flags` is valid (constructor contract).
        unsafe { (*self.flags).load(Ordering::Relaxed) & sys::XDP_RING_NEED_WAKEUP != 0 }
    }

    /// Entries produced that the consumer has not released, by the index it published last
    /// (read now; the free room is refreshed with it).
    #[inline]
    pub fn pending(&mut self) -> u32 {
        // SAFETY: `consumer` is valid (constructor contract). Acquire as in `free_from`.
        let cons = unsafe { (*self.consumer).load(Ordering::Acquire) };
        self.cached_cons = cons.wrapping_add(self.size);
        self.prod.wrapping_sub(cons)
    }
}

impl<T: Desc> RawConsumer<T> {
    /// A consumer over a ring's shared memory.
    ///
    /// # Safety
    /// As [`RawProducer::new`], with roles swapped: nothing else consumes from this ring and
    /// the producer publishes with release and never overruns the consumer.
    #[doc(hidden)]
    pub unsafe fn new(
        producer: *const AtomicU32,
        consumer: *const AtomicU32,
        flags: *const AtomicU32,
        descs: *const T,
        size: u32,
    ) -> Self {
        debug_assert!(size.is_power_of_two());
        // SAFETY: valid pointer per the contract above.
        let prod = unsafe { (*producer).load(Ordering::Acquire) };
        // SAFETY: as above.
        let cons = unsafe { (*consumer).load(Ordering::Relaxed) };
        RawConsumer {
            cons,
            cached_prod: prod,
            mask: size - 1,
            producer,
            consumer,
            flags,
            descs,
        }
    }

    /// A consumer over the ring libxdp set up in `r`.
    ///
    /// # Safety
    /// `r` was filled in by libxdp for a ring that stays mapped while the value lives, and
    /// user space is its only consumer.
    pub(crate) unsafe fn from_sys(r: &sys::xsk_ring_cons) -> Self {
        // SAFETY: as in RawProducer::from_sys.
        unsafe {
            RawConsumer::new(
                r.producer as *const AtomicU32,
                r.consumer as *const AtomicU32,
                r.flags as *const AtomicU32,
                r.ring.cast::<T>().cast_const(),
                r.size,
            )
        }
    }

    /// This side's index.
    #[inline]
    fn cons(&self) -> u32 {
        self.cons
    }

    /// Publish `cons` as this side's index: release orders the reads of the slots before
    /// it, so the producer does not reuse a slot still being read.
    #[inline]
    fn publish(&mut self, cons: u32) {
        self.cons = cons;
        // SAFETY: `consumer` is valid (constructor contract).
        unsafe { (*self.consumer).store(cons, Ordering::Release) };
    }

    /// Entries ready, looking at the producer's index only when fewer than `want` are known.
    #[inline]
    pub fn available(&mut self, want: u32) -> u32 {
        self.available_from(self.cons(), want)
    }

    #[inline]
    fn available_from(&mut self, cons: u32, want: u32) -> u32 {
        let ready = self.cached_prod.wrapping_sub(cons);
        if ready >= want {
            return ready;
        }
        // SAFETY: `producer` is valid. Acquire pairs with the producer's release: the
        // descriptors up to the new index are written.
        self.cached_prod = unsafe { (*self.producer).load(Ordering::Acquire) };
        self.cached_prod.wrapping_sub(cons)
    }

    /// How many of the first `max` ready entries make whole packets: up to and including the
    /// last one for which `ends_packet` holds (0 when none does).
    #[inline]
    pub fn whole_packets(&mut self, max: u32, ends_packet: impl Fn(&T) -> bool) -> u32 {
        let start = self.cons();
        let n = self.available_from(start, max).min(max);
        (1..=n)
            .rev()
            .find(|&i| {
                // SAFETY: i - 1 < n: the entry lies between our index and the producer's
                // published one, so it is written and stays until we release it. Masked:
                // inside the array.
                let d = unsafe {
                    &*self
                        .descs
                        .add((start.wrapping_add(i - 1) & self.mask) as usize)
                };
                ends_packet(d)
            })
            .unwrap_or(0)
    }

    /// Read up to `max` descriptors, passing each to `sink` in order, then release their
    /// slots with one release store. Returns how many.
    #[inline]
    pub fn consume_with(&mut self, max: u32, mut sink: impl FnMut(T)) -> u32 {
        let start = self.cons();
        let n = self.available_from(start, max).min(max);
        if n == 0 {
            return 0;
        }
        // One run from `first`, or two when the entries wrap past the array's end.
        let first = (start & self.mask) as usize;
        if n == 1 {
            // The common single-descriptor case, without loop setup.
            // SAFETY: first < size, inside the array; published by the producer (see below).
            sink(unsafe { self.descs.add(first).read() });
            self.publish(start.wrapping_add(1));
            return 1;
        }
        let head = (self.mask as usize + 1 - first).min(n as usize);
        for i in 0..head {
            // SAFETY: first + i < size, inside the array; the slot lies between our index and
            // the producer's published one, so it is written and the producer leaves it be.
            sink(unsafe { self.descs.add(first + i).read() });
        }
        for i in head..n as usize {
            // SAFETY: runs only after a wrap, so i - head < n - head <= first < size: inside
            // the array; published as above.
            sink(unsafe { self.descs.add(i - head).read() });
        }
        self.publish(start.wrapping_add(n));
        n
    }

    /// Move up to `max` entries from this ring onto `to`, in order, through `map`: as many
    /// as this ring has and `to` has room for, with one publish on each ring. Returns how
    /// many.
    #[inline]
    pub fn move_to<U: Desc>(
        &mut self,
        to: &mut RawProducer<U>,
        max: u32,
        mut map: impl FnMut(T) -> U,
    ) -> u32 {
        let start = self.cons();
        let n = self.available_from(start, max).min(max);
        if n == 0 {
            return 0;
        }
        let (descs, mask) = (self.descs, self.mask);
        // `produce_with` calls this for i = 0, 1, ... up to what `to` takes (<= n), in order.
        let moved = to.produce_with(n, |i| {
            // SAFETY: i < n: entry start + i lies between our index and the producer's
            // published one, so it is written, and the producer leaves it alone until the
            // release below. Masked: inside the array.
            map(unsafe { descs.add((start.wrapping_add(i) & mask) as usize).read() })
        });
        if moved > 0 {
            self.publish(start.wrapping_add(moved));
        }
        moved
    }

    /// Consume up to `max` entries into `out`. Returns how many.
    pub fn pop_into(&mut self, out: &mut Vec<T>, max: usize) -> usize {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.consume_with(max, |d| out.push(d)) as usize
    }

    /// Whether the kernel asks to be woken up (`XDP_RING_NEED_WAKEUP`).
    #[inline]
    pub fn needs_wakeup(&self) -> bool {
        // SAFETY: `flags` is valid (constructor contract).
        unsafe { (*self.flags).load(Ordering::Relaxed) & sys::XDP_RING_NEED_WAKEUP != 0 }
    }
}

/// How many frames at the end of `frames`, at most `max`, belong to the UMEM `umem`.
#[inline]
fn own_tail(frames: &[Frame], umem: u64, max: usize) -> usize {
    frames
        .iter()
        .rev()
        .take(max)
        .take_while(|f| f.umem_id() == umem)
        .count()
}

/// How many frames at the start of `frames`, at most `max`, belong to the UMEM `umem`.
#[inline]
fn own_head(frames: &[Frame], umem: u64, max: usize) -> usize {
    frames
        .iter()
        .take(max)
        .take_while(|f| f.umem_id() == umem)
        .count()
}

/// The UMEM address in a descriptor with the unaligned-mode offset (bits 48..) folded in.
#[inline]
fn desc_addr(addr: u64) -> u64 {
    (addr & sys::XSK_UNALIGNED_BUF_ADDR_MASK) + (addr >> sys::XSK_UNALIGNED_BUF_OFFSET_SHIFT)
}

fn sendto_wakeup(inner: &SocketInner) -> Result<()> {
    sendto_kick(inner).map(|_| ())
}

/// What the kernel answered a TX kick.
#[derive(Debug, PartialEq, Eq)]
enum KickAnswer {
    /// It went through the ring (copy mode: took everything), or woke the driver.
    Done,
    /// `EAGAIN`: more is pending (copy mode's batch limit) or the completion ring is full.
    More,
    /// `EBUSY`, `ENOBUFS`, `ENETDOWN`: not now.
    NotNow,
}

fn sendto_kick(inner: &SocketInner) -> Result<KickAnswer> {
    // SAFETY: a zero-length sendto without address on the socket's open descriptor.
    let rc = unsafe {
        libc::sendto(
            inner.fd(),
            std::ptr::null(),
            0,
            libc::MSG_DONTWAIT,
            std::ptr::null(),
            0,
        )
    };
    if rc >= 0 {
        return Ok(KickAnswer::Done);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EAGAIN) => Ok(KickAnswer::More),
        Some(libc::EBUSY | libc::ENOBUFS | libc::ENETDOWN) => Ok(KickAnswer::NotNow),
        _ => Err(inner.io_error("sendto (wakeup)", e)),
    }
}

/// The fewest descriptors the kernel's copy mode sends per `sendto()` when more are there
/// (`TX_BATCH_SIZE`: 16 up to Linux 5.10, 32 after; since 6.17 a socket's TX budget can only
/// be set higher).
const KERNEL_TX_BATCH_MIN: u32 = 16;

/// Frames may move from the queue of socket `from` to one of socket `to` only on one UMEM.
/// Inlined: it runs for every batch a forwarder moves, and is one comparison but for the
/// error.
#[inline]
fn same_umem(
    from: &SocketInner,
    from_umem: &UmemInner,
    to: &SocketInner,
    to_umem: &UmemInner,
) -> Result<()> {
    if from_umem.id == to_umem.id {
        Ok(())
    } else {
        Err(foreign_umem(from, to))
    }
}

#[cold]
#[inline(never)]
fn foreign_umem(from: &SocketInner, to: &SocketInner) -> crate::Error {
    crate::Error::ForeignUmem {
        from: from.location(),
        to: to.location(),
    }
}

fn poll_fd(inner: &SocketInner, events: libc::c_short, timeout_ms: i32) -> Result<bool> {
    let mut pfd = libc::pollfd {
        fd: inner.fd(),
        events,
        revents: 0,
    };
    // SAFETY: pfd is one valid pollfd for the duration of the call.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            return Ok(false);
        }
        return Err(inner.io_error("poll", e));
    }
    Ok(rc > 0 && pfd.revents & events != 0)
}

macro_rules! queue_common {
    ($t:ident, $what:literal) => {
        // SAFETY: the raw ring pointers point into mappings kept alive by the Arc'd socket;
        // the queue is the ring's only user-space side and every access takes `&mut self`
        // (or reads only atomics), so moving it to another thread is sound. It is not Sync:
        // the raw pointers keep the auto trait off, as two threads must not share one side.
        unsafe impl Send for $t {}

        /// The socket's descriptor, for `epoll` and async runtimes: readable (`EPOLLIN`)
        /// when the RX ring has packets, writable (`EPOLLOUT`) when the TX ring is at most
        /// half full. The queue keeps it open; it is the same for every queue of a socket.
        impl AsFd for $t {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.socket.borrowed_fd()
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("device", &self.socket.device)
                    .field("queue", &self.socket.queue)
                    .field("netns", &self.socket.netns.label())
                    .finish()
            }
        }

        impl $t {
            #[doc = concat!("Entries of the ", $what, " ring.")]
            pub fn capacity(&self) -> u32 {
                self.size
            }

            /// The socket's file descriptor (for `poll`, `epoll`, wakeups).
            pub fn fd(&self) -> BorrowedFd<'_> {
                self.socket.borrowed_fd()
            }

            /// The kernel's counters of the socket (drops, full rings, invalid descriptors).
            pub fn statistics(&self) -> Result<Statistics> {
                self.socket.statistics()
            }

            /// A handle that reads the socket's counters from any thread, for monitoring
            /// while this queue works in another.
            pub fn statistics_reader(&self) -> StatisticsReader {
                StatisticsReader::new(self.socket.clone())
            }
        }
    };
}

/// The fill ring of a (namespace, device, queue): hands frames to the kernel to receive into.
pub struct FillQueue {
    ring: RawProducer<u64>,
    size: u32,
    umem: Arc<UmemInner>,
    socket: Arc<SocketInner>,
}
queue_common!(FillQueue, "fill");

impl FillQueue {
    pub(crate) fn new(
        ring: RawProducer<u64>,
        umem: Arc<UmemInner>,
        socket: Arc<SocketInner>,
    ) -> Self {
        FillQueue {
            size: ring.size(),
            ring,
            umem,
            socket,
        }
    }

    /// Move as many frames as fit from the end of `frames` into the ring (one publish).
    /// Returns how many. Frames of another UMEM stop the batch and stay in `frames`.
    ///
    /// From the end, unlike [`TxQueue::produce`]: which free frame the kernel receives into
    /// does not matter, and a pool of thousands of free frames then needs no moving.
    #[inline]
    pub fn produce(&mut self, frames: &mut Vec<Frame>) -> usize {
        // Ask the ring for room first and look at no more frames than fit: a caller may hold
        // thousands of free frames, and this runs for every batch.
        let want = frames.len().min(self.size as usize) as u32;
        // Free room only grows until we produce, so all n fit below.
        let room = self.ring.free(want).min(want) as usize;
        let n = own_tail(frames, self.umem.id, room);
        let start = frames.len() - n;
        let umem = &*self.umem;
        let tail = &frames[start..];
        let done = self
            .ring
            .produce_with(n as u32, |i| umem.chunk_base(tail[i as usize].addr()))
            as usize;
        debug_assert_eq!(done, n);
        frames.truncate(start);
        n
    }

    /// Move one frame into the ring; gives it back when the ring is full (or it belongs to
    /// another UMEM).
    #[inline]
    pub fn produce_one(&mut self, frame: Frame) -> std::result::Result<(), Frame> {
        if frame.umem_id() != self.umem.id {
            return Err(frame);
        }
        let base = self.umem.chunk_base(frame.addr());
        if self.ring.produce_with(1, |_| base) == 1 {
            Ok(())
        } else {
            Err(frame)
        }
    }

    /// Whether the kernel wants a wakeup (`poll`/`recvfrom`) to see new fill entries (only
    /// with [`BindFlags::need_wakeup`](crate::BindFlags)).
    #[inline]
    pub fn needs_wakeup(&self) -> bool {
        self.ring.needs_wakeup()
    }

    /// Wake the kernel up to look at the fill ring (`poll` with `POLLIN`, no wait).
    pub fn wakeup(&self) -> Result<()> {
        poll_fd(&self.socket, libc::POLLIN, 0).map(|_| ())
    }
}

/// The completion ring of a (namespace, device, queue): gives back frames whose
/// transmission finished.
pub struct CompletionQueue {
    ring: RawConsumer<u64>,
    size: u32,
    umem: Arc<UmemInner>,
    socket: Arc<SocketInner>,
}
queue_common!(CompletionQueue, "completion");

impl CompletionQueue {
    pub(crate) fn new(
        ring: RawConsumer<u64>,
        size: u32,
        umem: Arc<UmemInner>,
        socket: Arc<SocketInner>,
    ) -> Self {
        CompletionQueue {
            ring,
            size,
            umem,
            socket,
        }
    }

    /// Append up to `max` completed frames to `out` (length 0, data offset back at the
    /// UMEM's headroom). Returns how many.
    #[inline]
    pub fn consume(&mut self, out: &mut Vec<Frame>, max: usize) -> usize {
        let umem = &*self.umem;
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.ring
            .consume_with(max, |addr| out.push(umem.fresh_frame(desc_addr(addr)))) as usize
    }

    /// Recycle up to `max` completed frames straight into `fill`, without making a
    /// [`Frame`] of each: the cheapest way to give sent frames back to the kernel to receive
    /// into. Moves only what `fill` has room for; the rest stays in this ring. Returns how
    /// many moved.
    ///
    /// `fill` may belong to another device and namespace, but to this queue's UMEM:
    /// [`Error::ForeignUmem`](crate::Error::ForeignUmem) otherwise, and nothing moves.
    #[inline]
    pub fn recycle_to(&mut self, fill: &mut FillQueue, max: usize) -> Result<usize> {
        same_umem(&self.socket, &self.umem, &fill.socket, &fill.umem)?;
        let umem = &*self.umem;
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        let moved = self
            .ring
            .move_to(&mut fill.ring, max, |addr| umem.chunk_base(desc_addr(addr)));
        Ok(moved as usize)
    }

    /// One completed frame, if any.
    #[inline]
    pub fn consume_one(&mut self) -> Option<Frame> {
        let umem = &*self.umem;
        let mut got = None;
        self.ring
            .consume_with(1, |addr| got = Some(umem.fresh_frame(desc_addr(addr))));
        got
    }

    /// Completions ready now, without waiting.
    #[inline]
    pub fn ready(&mut self) -> u32 {
        self.ring.available(u32::MAX)
    }

    /// Wait up to `timeout` for completions; returns how many are ready (0 after the timeout).
    ///
    /// The kernel signals no event for completions (`poll()` on the socket says only that the
    /// TX ring has room), so this looks at the ring, sleeping in between: 10 µs at first,
    /// doubling up to 1 ms, so that a completion is seen within about a millisecond. In copy
    /// mode completions follow a [`TxQueue::kick`] within microseconds; in zero-copy mode they
    /// come when the driver has sent.
    pub fn wait(&mut self, timeout: Duration) -> u32 {
        let start = Instant::now();
        let mut pause = Duration::from_micros(10);
        loop {
            let ready = self.ready();
            let waited = start.elapsed();
            if ready > 0 || waited >= timeout {
                return ready;
            }
            thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }
}

/// The RX ring of a socket: received packets.
pub struct RxQueue {
    ring: RawConsumer<XdpDesc>,
    size: u32,
    umem: Arc<UmemInner>,
    socket: Arc<SocketInner>,
}
queue_common!(RxQueue, "RX");

impl RxQueue {
    pub(crate) fn new(
        ring: RawConsumer<XdpDesc>,
        size: u32,
        umem: Arc<UmemInner>,
        socket: Arc<SocketInner>,
    ) -> Self {
        RxQueue {
            ring,
            size,
            umem,
            socket,
        }
    }

    /// Append up to `max` received frames to `out` (address and length from the
    /// descriptors). Returns how many.
    #[inline]
    pub fn consume(&mut self, out: &mut Vec<Frame>, max: usize) -> usize {
        let umem = &*self.umem;
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.ring.consume_with(max, |d| {
            out.push(umem.received_frame(desc_addr(d.addr), d.len, d.options))
        }) as usize
    }

    /// Append received frames to `out`, whole packets only, up to `max` frames: a packet of
    /// several frames ([`Frame::continues`], with
    /// [`BindFlags::multi_buffer`](crate::BindFlags::multi_buffer)) comes out with all its
    /// frames or stays in the ring until they are all there. Returns how many frames.
    ///
    /// `max` must be at least the frames of the largest packet (copy mode: up to 18 frames, the
    /// kernel's `MAX_SKB_FRAGS` plus one), or such a packet never comes out.
    #[inline]
    pub fn consume_packets(&mut self, out: &mut Vec<Frame>, max: usize) -> usize {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        let n = self
            .ring
            .whole_packets(max, |d| d.options & XDP_PKT_CONTD == 0);
        self.consume(out, n as usize)
    }

    /// One received frame, if any.
    #[inline]
    pub fn consume_one(&mut self) -> Option<Frame> {
        let umem = &*self.umem;
        let mut got = None;
        self.ring.consume_with(1, |d| {
            got = Some(umem.received_frame(desc_addr(d.addr), d.len, d.options))
        });
        got
    }

    /// Forward up to `max` received frames straight onto `tx`, descriptor for descriptor
    /// (same address and length, in order), without making a [`Frame`] of each: the
    /// cheapest way to forward. Moves only what `tx` has room for; the rest stays in this
    /// ring (and, once it is full, holds the kernel back). Returns how many moved; they come
    /// back as free frames through the completion ring of `tx`'s socket.
    ///
    /// `tx` may be on another device and in another namespace, but on this queue's UMEM:
    /// [`Error::ForeignUmem`](crate::Error::ForeignUmem) otherwise, and nothing moves.
    #[inline]
    pub fn forward_to(&mut self, tx: &mut TxQueue, max: usize) -> Result<usize> {
        same_umem(&self.socket, &self.umem, &tx.socket, &tx.umem)?;
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        let moved = self.ring.move_to(&mut tx.ring, max, |d| XdpDesc {
            addr: desc_addr(d.addr),
            len: d.len,
            // A packet of several frames goes out as it came in.
            options: d.options & XDP_PKT_CONTD,
        });
        Ok(moved as usize)
    }

    /// Wait up to `timeout_ms` milliseconds (-1: forever) for received packets. True when
    /// readable; false on timeout or interruption by a signal.
    ///
    /// On a socket that also sends, in copy mode with
    /// [`BindFlags::need_wakeup`](crate::BindFlags::need_wakeup), the kernel's `poll()` also
    /// sends what is pending. Linux 5.10 spins in it then, past the timeout, while the
    /// completion ring is full (each try frees a buffer, which wakes the poll again): consume
    /// completions before polling there, or receive and send on sockets of their own.
    pub fn poll(&self, timeout_ms: i32) -> Result<bool> {
        poll_fd(&self.socket, libc::POLLIN, timeout_ms)
    }

    /// The NAPI instance the kernel last delivered this socket's packets from
    /// (`SO_INCOMING_NAPI_ID`): the one that [busy polling](crate::BusyPoll) polls. `None`
    /// before the first packet, or when the device does not tell XDP its NAPI instance: busy
    /// polling then has nothing to poll.
    pub fn napi_id(&self) -> Result<Option<u32>> {
        let mut id: libc::c_uint = 0;
        let mut len = std::mem::size_of::<libc::c_uint>() as libc::socklen_t;
        // SAFETY: id and len are valid for writes; the kernel writes at most len bytes.
        let rc = unsafe {
            libc::getsockopt(
                self.socket.fd(),
                libc::SOL_SOCKET,
                libc::SO_INCOMING_NAPI_ID,
                (&mut id as *mut libc::c_uint).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            return Err(self.socket.io_error("getsockopt SO_INCOMING_NAPI_ID", e));
        }
        Ok(Some(id).filter(|&id| id != 0))
    }

    /// Call into the kernel to receive, without waiting: one `recvfrom(fd, NULL, 0,
    /// MSG_DONTWAIT)`. With [busy polling](crate::BusyPoll) set on the socket, this runs the
    /// device queue's NAPI poll once, in the calling thread, which delivers what the device has
    /// received into this ring; in zero-copy mode it also wakes the driver when the fill ring
    /// [needs a wakeup](FillQueue::needs_wakeup). A busy-polling loop calls it when the ring
    /// is empty, instead of sleeping in [`poll`](RxQueue::poll). `EAGAIN`, `EBUSY` and
    /// `ENETDOWN` (try again later) are no error.
    pub fn wakeup(&self) -> Result<()> {
        // SAFETY: a zero-length recvfrom without address on the socket's open descriptor.
        let rc = unsafe {
            libc::recvfrom(
                self.socket.fd(),
                std::ptr::null_mut(),
                0,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if rc >= 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EAGAIN | libc::EBUSY | libc::ENETDOWN) => Ok(()),
            _ => Err(self.socket.io_error("recvfrom (wakeup)", e)),
        }
    }
}

/// The TX ring of a socket: packets to send.
pub struct TxQueue {
    ring: RawProducer<XdpDesc>,
    size: u32,
    umem: Arc<UmemInner>,
    socket: Arc<SocketInner>,
}
queue_common!(TxQueue, "TX");

impl TxQueue {
    pub(crate) fn new(
        ring: RawProducer<XdpDesc>,
        umem: Arc<UmemInner>,
        socket: Arc<SocketInner>,
    ) -> Self {
        TxQueue {
            size: ring.size(),
            ring,
            umem,
            socket,
        }
    }

    /// Move as many frames as fit from the front of `frames` into the ring (one publish), in
    /// order, to be sent with their current address and length; those that do not fit stay in
    /// `frames`, in order, to go first next time. Returns how many went. A frame of another
    /// UMEM stops the batch and stays in `frames`. Then have the kernel send them:
    /// [`kick`](TxQueue::kick).
    #[inline]
    pub fn produce(&mut self, frames: &mut Vec<Frame>) -> usize {
        // Ask the ring for room first and look at no more frames than fit.
        let want = frames.len().min(self.size as usize) as u32;
        // Free room only grows until we produce, so all n fit below.
        let room = self.ring.free(want).min(want) as usize;
        let n = own_head(frames, self.umem.id, room);
        let head = &frames[..n];
        let done = self.ring.produce_with(n as u32, |i| {
            let f = &head[i as usize];
            XdpDesc {
                addr: f.addr(),
                len: f.len(),
                options: f.options(),
            }
        }) as usize;
        debug_assert_eq!(done, n);
        // All went (the usual case): nothing to move. Otherwise what did not fit moves to the
        // front (one memmove), to go before anything appended later.
        frames.drain(..n);
        n
    }

    /// Move one frame into the ring; gives it back when the ring is full (or it belongs to
    /// another UMEM).
    #[inline]
    pub fn produce_one(&mut self, frame: Frame) -> std::result::Result<(), Frame> {
        if frame.umem_id() != self.umem.id {
            return Err(frame);
        }
        let d = XdpDesc {
            addr: frame.addr(),
            len: frame.len(),
            options: frame.options(),
        };
        if self.ring.produce_with(1, |_| d) == 1 {
            Ok(())
        } else {
            Err(frame)
        }
    }

    /// Free entries of the ring: the kernel's index is read only when fewer than `want` are
    /// known to be free, so the answer may be below the true count, never above it (the
    /// kernel only frees entries until this side produces). As `xsk_prod_nb_free()`.
    #[inline]
    pub fn free_entries(&mut self, want: u32) -> u32 {
        self.ring.free(want)
    }

    /// Whether the kernel wants a [`wakeup`](TxQueue::wakeup) to send.
    #[inline]
    pub fn needs_wakeup(&self) -> bool {
        self.ring.needs_wakeup()
    }

    /// Wait up to `timeout_ms` milliseconds (-1: forever) for room in the TX ring: true once
    /// at most half of it is taken (the kernel's `POLLOUT`), at once when so already; false on
    /// timeout or interruption by a signal.
    ///
    /// It first sends what is pending ([`kick`](TxQueue::kick)): in copy mode that is what
    /// makes room. The wait ends when the kernel releases TX entries (zero-copy: as the driver
    /// takes them). The kernel sends nothing while the completion ring has no room for what
    /// is pending: then this returns false at once, without waiting; consume completions and
    /// poll again. (Waiting then would be in vain, and on Linux 5.10 `poll()` spins in the
    /// kernel past its timeout: each try frees a buffer, which wakes the poll again.)
    pub fn poll(&mut self, timeout_ms: i32) -> Result<bool> {
        let left = self.kick()?;
        if left > 0 && self.socket.completion_room() < left {
            return Ok(false);
        }
        poll_fd(&self.socket, libc::POLLOUT, timeout_ms)
    }

    /// Kick the kernel to send: one `sendto(fd, NULL, 0, MSG_DONTWAIT)`, ignoring `EAGAIN`,
    /// `EBUSY`, `ENOBUFS` and `ENETDOWN` (try again later). In copy mode one call sends at most
    /// a batch of 32 descriptors (16 up to Linux 5.10); [`kick`](TxQueue::kick) sends all.
    pub fn wakeup(&self) -> Result<()> {
        sendto_wakeup(&self.socket)
    }

    /// Descriptors produced that the kernel has not taken yet; 0 when it took all of them.
    ///
    /// It counts by the consumer index the kernel published last, and the kernel publishes
    /// that after a run of descriptors, not after each: so this may still count some that are
    /// on their way (even with their completions back), never fewer than are left.
    #[inline]
    pub fn pending(&mut self) -> u32 {
        self.ring.pending()
    }

    /// Have the kernel send everything produced; returns what is still
    /// [`pending`](TxQueue::pending) after it, 0 when the kernel took it all.
    ///
    /// In copy mode one `sendto()` sends at most a batch (32 descriptors; 16 up to Linux 5.10)
    /// and answers `EAGAIN` when more are left; this calls it again while the kernel answers
    /// so, a call per batch of what was pending and one more.
    /// What is left over waits for the completion ring, which was full (consume completions,
    /// then kick again), or for a device that was busy or down. In zero-copy mode one call
    /// wakes the driver, which sends on its own; nothing is called when nothing is pending.
    pub fn kick(&mut self) -> Result<u32> {
        let mut left = self.ring.pending();
        // A call per batch, and one more to learn that the ring is through.
        let mut calls = left / KERNEL_TX_BATCH_MIN + 2;
        while left > 0 && calls > 0 {
            calls -= 1;
            let answer = sendto_kick(&self.socket)?;
            left = self.ring.pending();
            if answer != KickAnswer::More {
                break;
            }
        }
        Ok(left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn queues_are_send() {
        assert_send::<FillQueue>();
        assert_send::<CompletionQueue>();
        assert_send::<RxQueue>();
        assert_send::<TxQueue>();
    }

    #[test]
    fn unaligned_offsets_fold_in() {
        assert_eq!(desc_addr(4096), 4096);
        assert_eq!(desc_addr((256u64 << 48) | 8192), 8192 + 256);
    }
}
