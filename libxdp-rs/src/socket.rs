//! AF_XDP sockets, created in any network namespace.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use libxdp_sys as sys;

use crate::error::{Error, Location, Result};
use crate::netns::Netns;
use crate::ring::{CompletionQueue, FillQueue, RawConsumer, RawProducer, RxQueue, TxQueue};
use crate::stats::{self, Statistics};
use crate::umem::{FillComp, QueueKey, Umem};

mod builder;
mod busy_poll;
pub use builder::SocketBuilder;
pub use busy_poll::BusyPoll;

/// Flags for binding the socket (`sxdp_flags`). Only the first socket of a UMEM passes them to
/// the kernel; later ones bind with `XDP_SHARED_UMEM` and inherit the first one's mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BindFlags {
    /// Force copy mode (`XDP_COPY`).
    pub copy: bool,
    /// Force zero-copy mode (`XDP_ZEROCOPY`); fails where the driver lacks it.
    pub zero_copy: bool,
    /// Ask the kernel to say when it needs a wakeup (`XDP_USE_NEED_WAKEUP`); see
    /// [`TxQueue::needs_wakeup`] and [`FillQueue::needs_wakeup`].
    pub need_wakeup: bool,
    /// Packets larger than a frame, spanning several (`XDP_USE_SG`, Linux 6.6+): received as
    /// frames with [`Frame::continues`](crate::Frame::continues) set on all but the last
    /// (take them with [`RxQueue::consume_packets`]), sent the same way. Without it the kernel
    /// drops packets larger than a frame. libxdp's default program is then loaded with
    /// frags support (XDP multi-buffer), as a device whose MTU exceeds a page needs.
    pub multi_buffer: bool,
}

/// `XDP_USE_SG` (`<linux/if_xdp.h>`, Linux 6.6); defined here as older kernel headers lack it.
const XDP_USE_SG: u32 = 1 << 4;

impl BindFlags {
    fn bits(self) -> u16 {
        let mut b = 0;
        if self.copy {
            b |= sys::XDP_COPY;
        }
        if self.zero_copy {
            b |= sys::XDP_ZEROCOPY;
        }
        if self.need_wakeup {
            b |= sys::XDP_USE_NEED_WAKEUP;
        }
        if self.multi_buffer {
            b |= XDP_USE_SG;
        }
        b as u16
    }
}

/// How libxdp attaches its default XDP program.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum XdpMode {
    /// Let libxdp choose (native where the driver supports it).
    #[default]
    Default,
    /// Generic XDP (`XDP_FLAGS_SKB_MODE`), works on every device.
    Skb,
    /// Native driver XDP (`XDP_FLAGS_DRV_MODE`).
    Driver,
}

impl XdpMode {
    fn bits(self) -> u32 {
        match self {
            XdpMode::Default => 0,
            XdpMode::Skb => sys::libbpf_sys::XDP_FLAGS_SKB_MODE,
            XdpMode::Driver => sys::libbpf_sys::XDP_FLAGS_DRV_MODE,
        }
    }
}

/// What the parts of a socket share: deleted (from inside its namespace) when the last part
/// goes.
pub(crate) struct SocketInner {
    pub(crate) xsk: *mut sys::xsk_socket,
    pub(crate) fd: RawFd,
    pub(crate) device: String,
    pub(crate) queue: u32,
    pub(crate) netns: Netns,
    pub(crate) key: QueueKey,
    /// Whether this socket uses the UMEM's own fd (the UMEM's first socket).
    pub(crate) owner: bool,
    pub(crate) umem: Umem,
    pub(crate) xskmap: Option<OwnedFd>,
    /// Ring structs libxdp points to; they must outlive `xsk_socket__delete`.
    pub(crate) fill_comp: Box<FillComp>,
    pub(crate) rx: Option<Box<sys::xsk_ring_cons>>,
    pub(crate) tx: Option<Box<sys::xsk_ring_prod>>,
}

// SAFETY: `xsk` is only handed to libxdp in Drop, with the UMEM's mutex held (libxdp's
// per-UMEM state is not thread safe, the mutex serialises all of it). Everything else is
// read-only after creation; the ring structs are not touched by Rust after the queues are
// made (the queues copy what they need).
unsafe impl Send for SocketInner {}
// SAFETY: see Send; shared access only reads immutable fields and the fd.
unsafe impl Sync for SocketInner {}

impl SocketInner {
    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    /// Free entries of the completion ring of the socket's (device, queue), as its indexes
    /// stand now: the kernel's producer index and the consumer index of the
    /// [`CompletionQueue`] (which another thread may be moving: the answer only grows then).
    pub(crate) fn completion_room(&self) -> u32 {
        let comp = &self.fill_comp.comp;
        // SAFETY: libxdp pointed these at the ring's producer and consumer words, mapped until
        // xsk_socket__delete, which runs after self is gone; they are only read, atomically.
        let (prod, cons) = unsafe {
            (
                (*(comp.producer as *const AtomicU32)).load(Ordering::Acquire),
                (*(comp.consumer as *const AtomicU32)).load(Ordering::Acquire),
            )
        };
        comp.size.saturating_sub(prod.wrapping_sub(cons))
    }

    pub(crate) fn borrowed_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the fd stays open while self lives (closed by xsk_socket__delete or
        // xsk_umem__delete, both after self is dropped).
        unsafe { BorrowedFd::borrow_raw(self.fd) }
    }

    pub(crate) fn statistics(&self) -> Result<Statistics> {
        stats::read(self.fd).map_err(|e| self.io_error("getsockopt XDP_STATISTICS", e))
    }

    pub(crate) fn io_error(&self, op: &'static str, source: io::Error) -> Error {
        Error::Io {
            op,
            at: self.location(),
            source,
        }
    }

    /// Where the socket is, for errors.
    pub(crate) fn location(&self) -> Location {
        Location {
            device: self.device.clone(),
            queue: self.queue,
            netns: self.netns.label().to_owned(),
        }
    }
}

impl Drop for SocketInner {
    fn drop(&mut self) {
        let mut state = self.umem.inner.lock();
        // Unpatched libxdp detaches the default program by ifindex in the caller's namespace,
        // so delete from inside the socket's own namespace (cheap when already there).
        let guard = match self.netns.enter_scoped() {
            Ok(g) => Some(g),
            Err(e) => {
                let cause = e.io_error().map_or_else(String::new, |c| format!(": {c}"));
                ::log::warn!(
                    "deleting the AF_XDP socket on {} outside its namespace: {e}{cause}",
                    self.location()
                );
                None
            }
        };
        // SAFETY: xsk came from xsk_socket__create_shared and is deleted once, here, with
        // the UMEM's mutex held; the ring structs it points to are still alive (fields).
        crate::logging::libbpf_quiet(|| unsafe { sys::xsk_socket__delete(self.xsk) });
        drop(guard);
        // The UMEM's own socket stays bound to the owner's queue until the UMEM is deleted.
        state.queues.remove(&self.key);
        if self.owner {
            state.retired = Some(self.key);
        }
        state.live -= 1;
    }
}

/// Reads a socket's kernel counters ([`Statistics`]) from any thread.
///
/// Made by [`Socket::statistics_reader`] or the queues' `statistics_reader()`; cheap to clone.
/// It keeps the socket alive, like its queues do.
#[derive(Clone)]
pub struct StatisticsReader {
    socket: Arc<SocketInner>,
}

impl StatisticsReader {
    pub(crate) fn new(socket: Arc<SocketInner>) -> Self {
        StatisticsReader { socket }
    }

    /// The counters now.
    pub fn read(&self) -> Result<Statistics> {
        self.socket.statistics()
    }
}

impl fmt::Debug for StatisticsReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatisticsReader")
            .field("device", &self.socket.device)
            .field("queue", &self.socket.queue)
            .field("netns", &self.socket.netns.label())
            .finish()
    }
}

/// An AF_XDP socket on one queue of one device, in some network namespace, using a [`Umem`].
///
/// Created with [`Socket::builder`]; use its rings through [`Socket::split`]. Every part
/// keeps the socket (and the UMEM) alive; the socket is deleted, from inside its own
/// namespace, when the last part is dropped.
///
/// ```no_run
/// use libxdp_rs::{Netns, Socket, Umem};
///
/// let ns = Netns::named("blue")?;
/// // The first socket of a UMEM must be in the UMEM's namespace.
/// let (umem, mut frames) = Umem::builder().netns(ns.try_clone()?).build()?;
/// let socket = Socket::builder("veth1", 0).netns(ns).build(&umem)?;
/// let parts = socket.split();
/// let (mut fill, mut rx) = (parts.fill, parts.rx.unwrap());
/// fill.produce(&mut frames);
/// let mut got = Vec::new();
/// if rx.poll(1000)? {
///     rx.consume(&mut got, 64);
///     for f in &got {
///         println!("{} bytes", umem.data(f).len());
///     }
/// }
/// # Ok::<(), libxdp_rs::Error>(())
/// ```
pub struct Socket {
    inner: Arc<SocketInner>,
    parts: SocketParts,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("device", &self.inner.device)
            .field("queue", &self.inner.queue)
            .field("netns", &self.inner.netns.label())
            .field("fd", &self.inner.fd)
            .finish()
    }
}

/// The rings of a socket, each usable from its own thread.
///
/// Every socket has a fill and a completion ring: those of its (namespace, device, queue),
/// which this crate gives no other socket of the UMEM (a second socket there is
/// [`Error::QueueInUse`](crate::Error::QueueInUse)). `rx`/`tx` are `None` when turned off in
/// the builder ([`SocketBuilder::rx`], [`SocketBuilder::tx`]).
///
/// Dropping a part a socket does not use (the fill ring of a TX-only socket, say) is fine: the
/// socket lives on as long as any part does.
#[derive(Debug)]
pub struct SocketParts {
    /// Received packets; `None` for a socket built with `rx(false)`.
    pub rx: Option<RxQueue>,
    /// Packets to send; `None` for a socket built with `tx(false)`.
    pub tx: Option<TxQueue>,
    /// Frames for the kernel to receive into.
    pub fill: FillQueue,
    /// Frames whose transmission finished.
    pub comp: CompletionQueue,
}

impl Socket {
    /// A builder for a socket on `queue` of `device`.
    pub fn builder(device: &str, queue: u32) -> SocketBuilder {
        SocketBuilder::new(device, queue)
    }

    /// The socket around `inner`, just created, and its rings.
    fn new(inner: Arc<SocketInner>) -> Socket {
        let u = &inner.umem.inner;
        // SAFETY: (this and the three below) libxdp filled these structs in for rings mapped until
        // xsk_socket__delete, which runs only when the last Arc<SocketInner> is gone, and
        // each queue holds one. User space is the single producer (fill, TX) or consumer
        // (completion, RX) and each ring gets exactly one queue value.
        let fill = unsafe { RawProducer::<u64>::from_sys(&inner.fill_comp.fill) };
        // SAFETY: see above.
        let comp = unsafe { RawConsumer::<u64>::from_sys(&inner.fill_comp.comp) };
        let rx = inner.rx.as_deref().map(|r| {
            // SAFETY: see above.
            let ring = unsafe { RawConsumer::from_sys(r) };
            RxQueue::new(ring, r.size, u.clone(), inner.clone())
        });
        let tx = inner.tx.as_deref().map(|r| {
            // SAFETY: see above.
            let ring = unsafe { RawProducer::from_sys(r) };
            TxQueue::new(ring, u.clone(), inner.clone())
        });
        let parts = SocketParts {
            rx,
            tx,
            fill: FillQueue::new(fill, u.clone(), inner.clone()),
            comp: CompletionQueue::new(comp, inner.fill_comp.comp.size, u.clone(), inner.clone()),
        };
        Socket { inner, parts }
    }

    /// The device name.
    pub fn device(&self) -> &str {
        &self.inner.device
    }

    /// The queue index.
    pub fn queue(&self) -> u32 {
        self.inner.queue
    }

    /// The namespace of the device.
    pub fn netns(&self) -> &Netns {
        &self.inner.netns
    }

    /// The UMEM the socket uses.
    pub fn umem(&self) -> &Umem {
        &self.inner.umem
    }

    /// The socket's file descriptor.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.inner.borrowed_fd()
    }

    /// The kernel's counters for this socket.
    pub fn statistics(&self) -> Result<Statistics> {
        self.inner.statistics()
    }

    /// A handle that reads the socket's counters from any thread, also after
    /// [`split`](Socket::split) moved the rings to workers.
    pub fn statistics_reader(&self) -> StatisticsReader {
        StatisticsReader::new(self.inner.clone())
    }

    /// Whether the socket runs in zero-copy mode.
    pub fn is_zero_copy(&self) -> Result<bool> {
        stats::zero_copy(self.inner.fd)
            .map_err(|e| self.inner.io_error("getsockopt XDP_OPTIONS", e))
    }

    /// The XSKMAP the socket was inserted into, when known: the one given to
    /// [`SocketBuilder::xskmap`]. `None` with libxdp's default program, whose map libxdp
    /// keeps to itself.
    pub fn xsks_map_fd(&self) -> Option<BorrowedFd<'_>> {
        self.inner.xskmap.as_ref().map(|f| f.as_fd())
    }

    /// The socket's rings, each keeping the socket alive.
    pub fn split(self) -> SocketParts {
        self.parts
    }
}
