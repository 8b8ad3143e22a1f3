//! AF_XDP sockets, created in any network namespace.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::Arc;

use libxdp_sys as sys;

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::ring::{CompletionQueue, FillQueue, RawConsumer, RawProducer, RxQueue, TxQueue};
use crate::stats::{self, Statistics};
use crate::umem::{FillComp, QueueKey, Umem};

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
}

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
    xsk: *mut sys::xsk_socket,
    fd: RawFd,
    pub(crate) device: String,
    pub(crate) queue: u32,
    pub(crate) netns: Netns,
    key: QueueKey,
    /// Whether this socket uses the UMEM's own fd (the UMEM's first socket).
    owner: bool,
    umem: Umem,
    xskmap: Option<OwnedFd>,
    /// Ring structs libxdp points to; they must outlive `xsk_socket__delete`.
    fill_comp: Box<FillComp>,
    rx: Option<Box<sys::xsk_ring_cons>>,
    tx: Option<Box<sys::xsk_ring_prod>>,
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
            device: self.device.clone(),
            queue: self.queue,
            netns: self.netns.label().to_owned(),
            source,
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
                ::log::warn!(
                    "deleting the AF_XDP socket on {} queue {} outside its namespace: {e}",
                    self.device,
                    self.queue
                );
                None
            }
        };
        // SAFETY: xsk came from xsk_socket__create_shared and is deleted once, here, with
        // the UMEM's mutex held; the ring structs it points to are still alive (fields).
        unsafe { sys::xsk_socket__delete(self.xsk) };
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
/// let (mut fill, mut rx) = (parts.fill.unwrap(), parts.rx.unwrap());
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

/// The rings of a socket, each usable from its own thread. `fill` and `comp` are those of the
/// socket's (namespace, device, queue); `rx`/`tx` are `None` when turned off in the builder.
#[derive(Debug)]
pub struct SocketParts {
    /// Received packets.
    pub rx: Option<RxQueue>,
    /// Packets to send.
    pub tx: Option<TxQueue>,
    /// Frames for the kernel to receive into.
    pub fill: Option<FillQueue>,
    /// Frames whose transmission finished.
    pub comp: Option<CompletionQueue>,
}

impl Socket {
    /// A builder for a socket on `queue` of `device`.
    pub fn builder(device: &str, queue: u32) -> SocketBuilder {
        SocketBuilder {
            device: device.to_owned(),
            queue,
            netns: None,
            rx: true,
            tx: true,
            rx_size: sys::XSK_RING_CONS__DEFAULT_NUM_DESCS,
            tx_size: sys::XSK_RING_PROD__DEFAULT_NUM_DESCS,
            bind_flags: BindFlags::default(),
            mode: XdpMode::Default,
            default_program: true,
            xskmap: None,
        }
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

/// Configures and creates a [`Socket`]; see [`Socket::builder`].
#[derive(Debug)]
pub struct SocketBuilder {
    device: String,
    queue: u32,
    netns: Option<Netns>,
    rx: bool,
    tx: bool,
    rx_size: u32,
    tx_size: u32,
    bind_flags: BindFlags,
    mode: XdpMode,
    default_program: bool,
    xskmap: Option<io::Result<OwnedFd>>,
}

fn check_size(field: &'static str, v: u32) -> Result<()> {
    if v == 0 || !v.is_power_of_two() {
        return Err(Error::invalid(
            field,
            format!("{v} is not a power of two above 0"),
        ));
    }
    Ok(())
}

impl SocketBuilder {
    /// The namespace of the device; default the calling thread's.
    pub fn netns(mut self, ns: Netns) -> Self {
        self.netns = Some(ns);
        self
    }

    /// Whether the socket has an RX ring; default true.
    pub fn rx(mut self, on: bool) -> Self {
        self.rx = on;
        self
    }

    /// Whether the socket has a TX ring; default true.
    pub fn tx(mut self, on: bool) -> Self {
        self.tx = on;
        self
    }

    /// Entries of the RX ring (a power of two); default 2048.
    pub fn rx_size(mut self, n: u32) -> Self {
        self.rx_size = n;
        self
    }

    /// Entries of the TX ring (a power of two); default 2048.
    pub fn tx_size(mut self, n: u32) -> Self {
        self.tx_size = n;
        self
    }

    /// Bind flags; default none.
    pub fn bind_flags(mut self, f: BindFlags) -> Self {
        self.bind_flags = f;
        self
    }

    /// How libxdp attaches its default program; default [`XdpMode::Default`].
    pub fn xdp_mode(mut self, m: XdpMode) -> Self {
        self.mode = m;
        self
    }

    /// Whether libxdp loads and attaches its default XDP program (redirecting the queue to
    /// the socket); default true. With false, the caller must redirect packets to the
    /// socket with a program of its own (`XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD`).
    pub fn default_program(mut self, load: bool) -> Self {
        self.default_program = load;
        self
    }

    /// Insert the socket into the caller's XSKMAP (at the queue index) instead of using
    /// libxdp's default program; implies `default_program(false)`. The descriptor is
    /// duplicated and kept while the socket lives.
    pub fn xskmap(mut self, map_fd: BorrowedFd<'_>) -> Self {
        self.default_program = false;
        self.xskmap = Some(map_fd.try_clone_to_owned());
        self
    }

    fn err_ctx(&self, netns: &Netns) -> (String, u32, String) {
        (self.device.clone(), self.queue, netns.label().to_owned())
    }

    fn validate(&self) -> Result<CString> {
        if self.device.is_empty() || self.device.len() >= libc::IFNAMSIZ {
            return Err(Error::invalid(
                "device",
                format!("{:?} is not a device name (1 to 15 bytes)", self.device),
            ));
        }
        let name = CString::new(self.device.as_str())
            .map_err(|_| Error::invalid("device", "NUL byte in device name"))?;
        if !self.rx && !self.tx {
            return Err(Error::invalid("rx", "a socket needs an RX or a TX ring"));
        }
        if self.rx {
            check_size("rx_size", self.rx_size)?;
        }
        if self.tx {
            check_size("tx_size", self.tx_size)?;
        }
        if self.bind_flags.copy && self.bind_flags.zero_copy {
            return Err(Error::invalid(
                "bind_flags",
                "copy and zero_copy exclude each other",
            ));
        }
        Ok(name)
    }

    /// Create the socket: enter the namespace on the calling thread (left again before
    /// returning, also on error), create and bind the socket, attach libxdp's default
    /// program unless told otherwise.
    ///
    /// A (namespace, device, queue) new to this UMEM gets its own fill and completion
    /// rings. Errors: [`Error::InvalidConfig`], [`Error::Netns`], [`Error::DeviceNotFound`],
    /// [`Error::QueueInUse`] (this UMEM has a socket there), [`Error::UmemNetnsMismatch`]
    /// (the first socket of a UMEM outside the UMEM's namespace), [`Error::UmemRetired`],
    /// [`Error::QueueBusy`] (`EBUSY`: another socket holds the queue, maybe one still being
    /// released; retry), [`Error::SocketCreate`] (e.g. `EPERM` without privileges),
    /// [`Error::XskMap`].
    pub fn build(mut self, umem: &Umem) -> Result<Socket> {
        let ifname = self.validate()?;
        let xskmap = match self.xskmap.take() {
            Some(Ok(fd)) => Some(fd),
            Some(Err(source)) => {
                return Err(Error::Netns {
                    netns: "current".into(),
                    op: "duplicate the XSKMAP descriptor in",
                    source,
                })
            }
            None => None,
        };
        crate::logging::install();
        let netns = match &self.netns {
            Some(ns) => ns.try_clone()?,
            None => Netns::current()?,
        };
        let (device, queue, label) = self.err_ctx(&netns);
        let guard = netns.enter_scoped()?;

        // SAFETY: ifname is a valid NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(ifname.as_ptr()) };
        if ifindex == 0 {
            return Err(Error::DeviceNotFound {
                device,
                netns: label,
                source: io::Error::last_os_error(),
            });
        }
        let key: QueueKey = (netns.id(), ifindex, queue);

        let mut state = umem.inner.lock();
        if state.queues.contains(&key) {
            return Err(Error::QueueInUse {
                device,
                queue,
                netns: label,
            });
        }
        let owner = !state.first_done;
        if (state.first_done && state.live == 0) || state.retired == Some(key) {
            return Err(Error::UmemRetired {
                device,
                queue,
                netns: label,
            });
        }
        if owner && !umem.inner.netns.same_as(&netns) {
            // libxdp (patched) says EXDEV here; an unpatched one would bind the device of
            // that ifindex in the UMEM's namespace instead. Refuse either way.
            return Err(Error::UmemNetnsMismatch {
                device,
                queue,
                netns: label,
                umem_netns: umem.inner.netns.label().to_owned(),
            });
        }

        let mut fill_comp = if owner {
            state.saved.take().unwrap_or_default()
        } else {
            Box::default()
        };
        let mut rx = self.rx.then(Box::<sys::xsk_ring_cons>::default);
        let mut tx = self.tx.then(Box::<sys::xsk_ring_prod>::default);

        let mut cfg = sys::xsk_socket_config {
            rx_size: if self.rx { self.rx_size } else { 0 },
            tx_size: if self.tx { self.tx_size } else { 0 },
            xdp_flags: self.mode.bits(),
            bind_flags: self.bind_flags.bits(),
            ..Default::default()
        };
        cfg.__bindgen_anon_1.libxdp_flags = if self.default_program {
            0
        } else {
            sys::XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD
        };

        let mut xsk: *mut sys::xsk_socket = ptr::null_mut();
        let rx_ptr = rx.as_deref_mut().map_or(ptr::null_mut(), |r| r as *mut _);
        let tx_ptr = tx.as_deref_mut().map_or(ptr::null_mut(), |r| r as *mut _);
        // SAFETY: every pointer is valid: the ring structs are boxed (stable addresses) and
        // kept in SocketInner until after xsk_socket__delete; for the UMEM's first socket they
        // are the very structs xsk_umem__create filled in. The UMEM's mutex is held, so no
        // other libxdp call on this UMEM runs concurrently.
        let rc = unsafe {
            sys::xsk_socket__create_shared(
                &mut xsk,
                ifname.as_ptr(),
                queue,
                umem.inner.xsk_umem,
                rx_ptr,
                tx_ptr,
                &mut fill_comp.fill,
                &mut fill_comp.comp,
                &cfg,
            )
        };
        if rc != 0 || xsk.is_null() {
            if owner {
                state.saved = Some(fill_comp);
            }
            let errno = if rc < 0 { -rc } else { libc::EINVAL };
            let source = io::Error::from_raw_os_error(errno);
            return Err(match errno {
                libc::EXDEV => Error::UmemNetnsMismatch {
                    device,
                    queue,
                    netns: label,
                    umem_netns: umem.inner.netns.label().to_owned(),
                },
                libc::EBUSY => Error::QueueBusy {
                    device,
                    queue,
                    netns: label,
                    source,
                },
                _ => Error::SocketCreate {
                    device,
                    queue,
                    netns: label,
                    source,
                },
            });
        }
        // SAFETY: xsk is the live socket just created.
        let fd = unsafe { sys::xsk_socket__fd(xsk) };
        state.queues.insert(key);
        state.live += 1;
        state.first_done = true;

        // From here on, dropping `inner` deletes the socket properly.
        let inner = Arc::new(SocketInner {
            xsk,
            fd,
            device,
            queue,
            netns,
            key,
            owner,
            umem: umem.clone(),
            xskmap,
            fill_comp,
            rx,
            tx,
        });

        if let Some(map) = &inner.xskmap {
            // SAFETY: xsk is live; map is an open descriptor kept as long as the socket.
            let rc = unsafe { sys::xsk_socket__update_xskmap(xsk, map.as_raw_fd()) };
            if rc != 0 {
                let e = Error::XskMap {
                    device: inner.device.clone(),
                    queue,
                    netns: inner.netns.label().to_owned(),
                    source: io::Error::from_raw_os_error(-rc),
                };
                drop(state);
                drop(guard);
                drop(inner);
                return Err(e);
            }
        }
        drop(state);
        drop(guard);

        let u = &umem.inner;
        // SAFETY: (this and the three below) libxdp filled these structs in for rings mapped until
        // xsk_socket__delete, which runs only when the last Arc<SocketInner> is gone, and
        // each queue holds one. User space is the single producer (fill, TX) or consumer
        // (completion, RX) and each ring gets exactly one queue value.
        let fill = unsafe { RawProducer::<u64>::from_sys(&inner.fill_comp.fill) };
        // SAFETY: see above.
        let comp = unsafe { RawConsumer::<u64>::from_sys(&inner.fill_comp.comp) };
        let rxq = inner.rx.as_deref().map(|r| {
            // SAFETY: see above.
            let ring = unsafe { RawConsumer::from_sys(r) };
            RxQueue::new(ring, r.size, u.clone(), inner.clone())
        });
        let txq = inner.tx.as_deref().map(|r| {
            // SAFETY: see above.
            let ring = unsafe { RawProducer::from_sys(r) };
            TxQueue::new(ring, u.clone(), inner.clone())
        });
        let parts = SocketParts {
            rx: rxq,
            tx: txq,
            fill: Some(FillQueue::new(fill, u.clone(), inner.clone())),
            comp: Some(CompletionQueue::new(
                comp,
                inner.fill_comp.comp.size,
                u.clone(),
                inner.clone(),
            )),
        };
        Ok(Socket { inner, parts })
    }
}
