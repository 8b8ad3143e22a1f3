//! [`SocketBuilder`]: the settings of a socket, checked, and its creation in named steps.
//!
//! `build()` checks the settings ([`SocketBuilder::validate`]), enters the device's namespace on
//! the calling thread, and there finds the device ([`find_device`]), checks the queue id against
//! the device's queues ([`check_queue`]), creates and binds the socket with the UMEM's lock held
//! ([`SocketBuilder::create`]: libxdp also sets up its default program; the busy-polling options
//! are set there too), trying again while the kernel is still releasing the queue
//! ([`SocketBuilder::bind`]), and inserts the socket into the caller's XSKMAP
//! ([`insert_into_xskmap`]). Then it leaves the namespace and makes the rings.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use libxdp_sys as sys;

use super::busy_poll::{self, BusyPoll};
use super::{BindFlags, Socket, SocketInner, XdpMode};
use crate::error::{Error, Location, QueueHolder, Result};
use crate::limits;
use crate::netns::Netns;
use crate::queue_count;
use crate::umem::{FillComp, QueueKey, Umem, UmemState};
use crate::xsk_diag;

/// How long [`SocketBuilder::build`] waits by default for a queue that a closed socket still
/// holds: the kernel releases it in deferred work, measured at 18-43 ms after close on Linux
/// 6.12 under emulation, longer when the RTNL lock is contended.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// The longest pause between two attempts to bind a busy queue (they start at 1 ms and double).
const MAX_BUSY_PAUSE: Duration = Duration::from_millis(50);

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
    /// `None`: libxdp's default program when the socket receives (has an RX ring).
    default_program: Option<bool>,
    xskmap: Option<io::Result<OwnedFd>>,
    busy_timeout: Duration,
    busy_poll: Option<BusyPoll>,
    /// Unit tests ask the kernel itself about queue ids beyond the device's.
    #[cfg(test)]
    skip_queue_check: bool,
}

/// A socket libxdp created, before it is a [`SocketInner`].
struct Created {
    xsk: *mut sys::xsk_socket,
    fd: RawFd,
    owner: bool,
    fill_comp: Box<FillComp>,
    rx: Option<Box<sys::xsk_ring_cons>>,
    tx: Option<Box<sys::xsk_ring_prod>>,
}

impl SocketBuilder {
    pub(super) fn new(device: &str, queue: u32) -> SocketBuilder {
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
            default_program: None,
            xskmap: None,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            busy_poll: None,
            #[cfg(test)]
            skip_queue_check: false,
        }
    }

    /// Leave the queue id to the kernel (unit tests of the queue count).
    #[cfg(test)]
    pub(crate) fn skip_queue_check(mut self) -> Self {
        self.skip_queue_check = true;
        self
    }

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

    /// Entries of the RX ring (a power of two, at most 2^17 = 131072, the most Linux 5.10 and
    /// 6.1 can map); default 2048.
    pub fn rx_size(mut self, n: u32) -> Self {
        self.rx_size = n;
        self
    }

    /// Entries of the TX ring (a power of two, at most 2^17 = 131072, as
    /// [`rx_size`](SocketBuilder::rx_size)); default 2048.
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

    /// Whether libxdp loads and attaches its default XDP program, which redirects the queue's
    /// packets to the socket. Default: yes for a socket with an RX ring, no for a TX-only one
    /// (`rx(false)`), which receives nothing and so needs no program on its device. With false,
    /// the caller redirects packets to the socket with a program of its own
    /// (`XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD`). Zero-copy drivers that send AF_XDP frames
    /// through their XDP rings (i40e and ice, for example) set those rings up only while a
    /// program is attached: there a TX-only socket may need `default_program(true)`.
    pub fn default_program(mut self, load: bool) -> Self {
        self.default_program = Some(load);
        self
    }

    /// Insert the socket into the caller's XSKMAP (at the queue index) instead of using
    /// libxdp's default program; implies `default_program(false)`. The descriptor is
    /// duplicated and kept while the socket lives.
    pub fn xskmap(mut self, map_fd: BorrowedFd<'_>) -> Self {
        self.default_program = Some(false);
        self.xskmap = Some(map_fd.try_clone_to_owned());
        self
    }

    /// How long to keep trying to bind a queue that is busy while no live socket is known to
    /// hold it; default 1 s. The kernel releases the queue of a closed socket in deferred work,
    /// so a socket created right after the previous one on its queue was dropped finds the
    /// queue busy for a few milliseconds. Zero: try once.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Busy polling of the socket's device queue: the options `SO_PREFER_BUSY_POLL`,
    /// `SO_BUSY_POLL` and `SO_BUSY_POLL_BUDGET`, set before the socket is handed out; default
    /// none set (the system's `net.core.busy_read`). They take effect only if the application
    /// keeps calling into the socket instead of sleeping, and preferred busy polling only if
    /// the device defers its interrupts (`napi_defer_hard_irqs`, `gro_flush_timeout`): see
    /// [`BusyPoll`]. A refusal is [`Error::SocketOption`], and no socket is made.
    pub fn busy_poll(mut self, settings: BusyPoll) -> Self {
        self.busy_poll = Some(settings);
        self
    }

    /// Create the socket: enter the namespace on the calling thread (left again before
    /// returning, also on error), create and bind the socket, attach libxdp's default
    /// program if it receives (see [`default_program`](SocketBuilder::default_program)).
    ///
    /// A (namespace, device, queue) new to this UMEM gets its own fill and completion
    /// rings. Errors:
    /// - [`Error::InvalidConfig`]: a setting the kernel would refuse, named;
    /// - [`Error::Netns`], [`Error::NotNetns`]: the namespace cannot be used;
    /// - [`Error::DeviceNotFound`];
    /// - [`Error::QueueOutOfRange`]: the device has no such queue (the error says how many it has);
    /// - [`Error::QueueInUse`]: this UMEM has a socket there already;
    /// - [`Error::UmemNetnsMismatch`]: the first socket of a UMEM outside the UMEM's namespace;
    /// - [`Error::UmemRetired`];
    /// - [`Error::QueueHeld`]: a live socket of another UMEM (or process) is bound to the queue;
    /// - [`Error::QueueBusy`]: `EBUSY` still after [`busy_timeout`](SocketBuilder::busy_timeout)
    ///   with no live socket known to hold the queue;
    /// - [`Error::SocketCreate`]: e.g. `EPERM` without privileges;
    /// - [`Error::SocketOption`]: the kernel refused a [`busy_poll`](SocketBuilder::busy_poll)
    ///   option;
    /// - [`Error::XskMap`].
    pub fn build(mut self, umem: &Umem) -> Result<Socket> {
        let ifname = self.validate()?;
        let xskmap = self.take_xskmap()?;
        let netns = match self.netns.take() {
            Some(ns) => ns,
            None => Netns::current()?,
        };
        let inner = {
            // From the device's name to the XSKMAP entry, everything is in its namespace.
            let _inside = netns.enter_scoped()?;
            let ifindex = self.find_device(&ifname, &netns)?;
            self.check_queue(ifindex, &netns)?;
            let key = (netns.id(), ifindex, self.queue);
            let created = self.bind(umem, &ifname, key, &netns)?;
            let inner = Arc::new(SocketInner {
                xsk: created.xsk,
                fd: created.fd,
                device: self.device,
                queue: self.queue,
                netns,
                key,
                owner: created.owner,
                umem: umem.clone(),
                xskmap,
                fill_comp: created.fill_comp,
                rx: created.rx,
                tx: created.tx,
            });
            // On error, `inner` is dropped (the socket deleted) still inside the namespace.
            insert_into_xskmap(&inner)?;
            inner
        };
        Ok(Socket::new(inner))
    }

    /// The settings, checked as far as they can be without the device; the device name for C.
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
            limits::check_ring("rx_size", self.rx_size, limits::MAX_DESC_RING_ENTRIES)?;
        }
        if self.tx {
            limits::check_ring("tx_size", self.tx_size, limits::MAX_DESC_RING_ENTRIES)?;
        }
        if self.bind_flags.copy && self.bind_flags.zero_copy {
            return Err(Error::invalid(
                "bind_flags",
                "copy and zero_copy exclude each other",
            ));
        }
        Ok(name)
    }

    /// The caller's XSKMAP descriptor, duplicated when it was given.
    fn take_xskmap(&mut self) -> Result<Option<OwnedFd>> {
        match self.xskmap.take() {
            None => Ok(None),
            Some(Ok(fd)) => Ok(Some(fd)),
            // Duplicating it failed (EMFILE, say): it cannot be kept, so it cannot be used.
            Some(Err(source)) => Err(Error::XskMap {
                at: Location {
                    device: self.device.clone(),
                    queue: self.queue,
                    netns: self
                        .netns
                        .as_ref()
                        .map_or_else(|| "the calling thread's".into(), |ns| ns.label().into()),
                },
                source,
            }),
        }
    }

    /// The device's ifindex in the namespace the thread is in (the socket's).
    fn find_device(&self, ifname: &CString, netns: &Netns) -> Result<u32> {
        // SAFETY: ifname is a valid NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(ifname.as_ptr()) };
        if ifindex == 0 {
            return Err(Error::DeviceNotFound {
                device: self.device.clone(),
                netns: netns.label().to_owned(),
                source: io::Error::last_os_error(),
            });
        }
        Ok(ifindex)
    }

    /// The queue id is one of the device's: the kernel's bind would say a bare `EINVAL`
    /// otherwise. When the count cannot be had, the kernel decides.
    fn check_queue(&self, ifindex: u32, netns: &Netns) -> Result<()> {
        #[cfg(test)]
        if self.skip_queue_check {
            return Ok(());
        }
        match queue_count::bindable_queues(ifindex) {
            Ok(count) if self.queue >= count.queues => Err(Error::QueueOutOfRange {
                at: self.location(netns),
                queues: count.queues,
                counted_by: count.source.to_string(),
            }),
            Ok(_) => Ok(()),
            Err(e) => {
                ::log::debug!(
                    "cannot count the queues of {} in namespace {}: {e}; the kernel checks \
                     queue {}",
                    self.device,
                    netns.label(),
                    self.queue
                );
                Ok(())
            }
        }
    }

    /// [`create`](SocketBuilder::create) the socket; while the queue is busy (`EBUSY`) and no
    /// live socket is known to hold it, again after a pause (1 ms, doubling up to 50 ms), until
    /// [`busy_timeout`](SocketBuilder::busy_timeout). A queue a live socket holds is
    /// [`Error::QueueHeld`] at once, where the kernel can list its sockets (xsk_diag).
    fn bind(&self, umem: &Umem, ifname: &CString, key: QueueKey, netns: &Netns) -> Result<Created> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let source = match self.create(umem, ifname, key, netns) {
                Err(Error::QueueBusy { source, .. }) => source,
                other => return other,
            };
            let listed = match xsk_diag::sockets_on_queue(key.1, self.queue) {
                Ok(list) if !list.bound.is_empty() => {
                    return Err(Error::QueueHeld {
                        at: self.location(netns),
                        holders: list
                            .bound
                            .iter()
                            .map(|s| QueueHolder {
                                inode: s.inode,
                                uid: s.uid,
                            })
                            .collect(),
                    })
                }
                Ok(list) => list.complete,
                Err(_) => false,
            };
            let waited = start.elapsed();
            if waited >= self.busy_timeout {
                return Err(Error::QueueBusy {
                    at: self.location(netns),
                    waited,
                    no_socket_listed: listed,
                    source,
                });
            }
            // The last try comes at the deadline.
            thread::sleep(pause.min(self.busy_timeout - waited));
            pause = (pause * 2).min(MAX_BUSY_PAUSE);
        }
    }

    /// One try at creating and binding the socket (`xsk_socket__create_shared`), with the
    /// UMEM's lock held: libxdp's state of a UMEM is not thread safe. `EBUSY` is
    /// [`Error::QueueBusy`] with no wait counted.
    fn create(
        &self,
        umem: &Umem,
        ifname: &CString,
        key: QueueKey,
        netns: &Netns,
    ) -> Result<Created> {
        let mut state = umem.inner.lock();
        self.check_umem_state(&state, umem, key, netns)?;
        let owner = !state.first_done;
        // The UMEM's first socket is the UMEM's own, which cannot be unbound once bound: its
        // options are set before the bind, and put back if anything then fails.
        let owner_options = if owner {
            // SAFETY: the UMEM is live (umem holds it) and its mutex is held.
            let umem_fd = unsafe { sys::xsk_umem__fd(umem.inner.xsk_umem) };
            Some((umem_fd, self.set_busy_poll(umem_fd, netns)?))
        } else {
            None
        };
        let mut fill_comp = if owner {
            state.saved.take().unwrap_or_default()
        } else {
            Box::default()
        };
        let mut rx = self.rx.then(Box::<sys::xsk_ring_cons>::default);
        let mut tx = self.tx.then(Box::<sys::xsk_ring_prod>::default);
        let cfg = self.config();
        let mut xsk: *mut sys::xsk_socket = ptr::null_mut();
        let rx_ptr = rx.as_deref_mut().map_or(ptr::null_mut(), |r| r as *mut _);
        let tx_ptr = tx.as_deref_mut().map_or(ptr::null_mut(), |r| r as *mut _);
        // SAFETY: every pointer is valid: the ring structs are boxed (stable addresses) and
        // kept in SocketInner until after xsk_socket__delete; for the UMEM's first socket they
        // are the very structs xsk_umem__create filled in. The UMEM's mutex is held, so no
        // other libxdp call on this UMEM runs concurrently.
        let rc = crate::logging::libbpf_quiet(|| unsafe {
            sys::xsk_socket__create_shared(
                &mut xsk,
                ifname.as_ptr(),
                self.queue,
                umem.inner.xsk_umem,
                rx_ptr,
                tx_ptr,
                &mut fill_comp.fill,
                &mut fill_comp.comp,
                &cfg,
            )
        });
        if rc != 0 || xsk.is_null() {
            if owner {
                state.saved = Some(fill_comp);
            }
            if let Some((umem_fd, previous)) = owner_options {
                previous.restore(umem_fd);
            }
            let errno = if rc < 0 { -rc } else { libc::EINVAL };
            return Err(self.create_error(errno, umem, netns));
        }
        // SAFETY: xsk is the live socket just created.
        let fd = unsafe { sys::xsk_socket__fd(xsk) };
        // Any other socket has a descriptor of its own, made (and bound) just now: its options
        // are set now, and if that fails, it goes again, with its program, inside its
        // namespace and before anything else knows of it.
        if !owner {
            if let Err(e) = self.set_busy_poll(fd, netns) {
                // SAFETY: xsk was created above and is deleted once, here, with the UMEM's
                // mutex held; the ring structs it points to are still alive (locals).
                crate::logging::libbpf_quiet(|| unsafe { sys::xsk_socket__delete(xsk) });
                return Err(e);
            }
        }
        state.queues.insert(key);
        state.live += 1;
        state.first_done = true;
        Ok(Created {
            xsk,
            fd,
            owner,
            fill_comp,
            rx,
            tx,
        })
    }

    /// Set the [`busy_poll`](SocketBuilder::busy_poll) options, if any, on `fd`; what they were
    /// before, to put back. A refusal puts back those set before it.
    fn set_busy_poll(&self, fd: RawFd, netns: &Netns) -> Result<busy_poll::Previous> {
        let Some(settings) = &self.busy_poll else {
            return Ok(busy_poll::Previous::default());
        };
        busy_poll::apply(fd, settings).map_err(|r| Error::SocketOption {
            option: r.option,
            value: r.value,
            at: self.location(netns),
            source: r.source,
        })
    }

    /// Whether this UMEM can have a socket on `key`: not twice on one queue, not after its own
    /// socket is gone from it, the first one in the UMEM's namespace.
    fn check_umem_state(
        &self,
        state: &UmemState,
        umem: &Umem,
        key: QueueKey,
        netns: &Netns,
    ) -> Result<()> {
        if state.queues.contains(&key) {
            return Err(Error::QueueInUse {
                at: self.location(netns),
            });
        }
        if (state.first_done && state.live == 0) || state.retired == Some(key) {
            return Err(Error::UmemRetired {
                at: self.location(netns),
            });
        }
        if !state.first_done && !umem.inner.netns.same_as(netns) {
            // libxdp (patched) says EXDEV here; an unpatched one would bind the device of
            // that ifindex in the UMEM's namespace instead. Refuse either way.
            return Err(Error::UmemNetnsMismatch {
                at: self.location(netns),
                umem_netns: umem.inner.netns.label().to_owned(),
            });
        }
        Ok(())
    }

    /// Where the socket is to be, for errors.
    fn location(&self, netns: &Netns) -> Location {
        Location {
            device: self.device.clone(),
            queue: self.queue,
            netns: netns.label().to_owned(),
        }
    }

    /// libxdp's configuration of the socket.
    fn config(&self) -> sys::xsk_socket_config {
        let mut cfg = sys::xsk_socket_config {
            rx_size: if self.rx { self.rx_size } else { 0 },
            tx_size: if self.tx { self.tx_size } else { 0 },
            xdp_flags: self.mode.bits(),
            bind_flags: self.bind_flags.bits(),
            ..Default::default()
        };
        cfg.__bindgen_anon_1.libxdp_flags = if self.default_program.unwrap_or(self.rx) {
            0
        } else {
            sys::XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD
        };
        cfg
    }

    /// The error for libxdp's `-errno` from creating the socket.
    fn create_error(&self, errno: i32, umem: &Umem, netns: &Netns) -> Error {
        let at = self.location(netns);
        let source = io::Error::from_raw_os_error(errno);
        match errno {
            libc::EXDEV => Error::UmemNetnsMismatch {
                at,
                umem_netns: umem.inner.netns.label().to_owned(),
            },
            libc::EBUSY => Error::QueueBusy {
                at,
                waited: Duration::ZERO,
                no_socket_listed: false,
                source,
            },
            _ => Error::SocketCreate { at, source },
        }
    }
}

/// Put the socket into the caller's XSKMAP, when one was given.
fn insert_into_xskmap(inner: &SocketInner) -> Result<()> {
    let Some(map) = &inner.xskmap else {
        return Ok(());
    };
    // SAFETY: xsk is live; map is an open descriptor kept as long as the socket.
    let rc = crate::logging::libbpf_quiet(|| unsafe {
        sys::xsk_socket__update_xskmap(inner.xsk, map.as_raw_fd())
    });
    if rc != 0 {
        return Err(Error::XskMap {
            at: inner.location(),
            source: io::Error::from_raw_os_error(-rc),
        });
    }
    Ok(())
}
