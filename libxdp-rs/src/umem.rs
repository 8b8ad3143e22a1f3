//! The UMEM: packet memory shared with the kernel, cut into frames.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use libxdp_sys as sys;

use crate::error::{Error, Result};
use crate::limits;
use crate::netns::{Netns, NetnsId};

static NEXT_UMEM_ID: AtomicU64 = AtomicU64::new(1);

/// A packet buffer: one chunk of a [`Umem`], or the part of it from a data offset on.
///
/// A frame is owned: it is not [`Clone`] or [`Copy`], and it is always in exactly one place,
/// the user's hands or one ring (after `produce`). That is what makes
/// [`Umem::data_mut`] sound: the kernel only writes chunks that are in its rings, and a frame
/// in a ring cannot be used by the user.
///
/// ```compile_fail
/// fn dup(f: libxdp_rs::Frame) -> (libxdp_rs::Frame, libxdp_rs::Frame) {
///     (f.clone(), f)
/// }
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    /// Offset of the packet data in the UMEM.
    addr: u64,
    /// The UMEM the frame belongs to.
    umem: u64,
    len: u32,
    /// Bytes from `addr` to the end of the chunk (at most a page), and in bit
    /// [`CONTINUES`] whether the packet goes on in the next frame: kept in one word so that
    /// frames stay 24 bytes.
    cap_and_continues: u32,
}

/// The bit of `Frame::cap_and_continues` that says the packet continues in the next frame.
const CONTINUES: u32 = 1 << 31;

impl Frame {
    /// Made by this crate only, with `addr + cap` inside the UMEM and `len <= cap`.
    #[inline]
    pub(crate) fn new(umem: u64, addr: u64, len: u32, cap: u32) -> Frame {
        debug_assert!(len <= cap && cap < CONTINUES);
        Frame {
            addr,
            umem,
            len,
            cap_and_continues: cap,
        }
    }

    #[inline]
    pub(crate) fn umem_id(&self) -> u64 {
        self.umem
    }

    /// UMEM address of the packet data (chunk base + data offset).
    #[inline]
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// Length of the packet data.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the frame holds no data.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes available from the data offset to the end of the chunk.
    #[inline]
    pub fn capacity(&self) -> u32 {
        self.cap_and_continues & !CONTINUES
    }

    /// Whether the packet goes on in the next frame (`XDP_PKT_CONTD`): a packet larger than a
    /// frame spans several, with this set on all but the last. Only sockets bound with
    /// [`BindFlags::multi_buffer`](crate::BindFlags::multi_buffer) receive such packets;
    /// without it, every frame is a whole packet.
    #[inline]
    pub fn continues(&self) -> bool {
        self.cap_and_continues & CONTINUES != 0
    }

    /// Mark the packet as going on in the next frame sent, or as ending with this one (the
    /// default). [`TxQueue::produce`](crate::TxQueue::produce) hands it to the kernel with the
    /// frame.
    #[inline]
    pub fn set_continues(&mut self, continues: bool) {
        if continues {
            self.cap_and_continues |= CONTINUES;
        } else {
            self.cap_and_continues &= !CONTINUES;
        }
    }

    /// The descriptor options for this frame (`XDP_PKT_CONTD` or 0).
    #[inline]
    pub(crate) fn options(&self) -> u32 {
        u32::from(self.continues()) * XDP_PKT_CONTD
    }

    /// Set the packet length, e.g. after writing a packet into [`Umem::buffer_mut`].
    ///
    /// Fails with [`Error::FrameTooLong`] beyond [`capacity`](Frame::capacity).
    #[inline]
    pub fn set_len(&mut self, len: u32) -> Result<()> {
        let capacity = self.capacity();
        if len > capacity {
            return Err(Error::FrameTooLong { len, capacity });
        }
        self.len = len;
        Ok(())
    }
}

/// `XDP_PKT_CONTD` (`<linux/if_xdp.h>`, Linux 6.6): in a descriptor's options, the packet
/// continues in the next descriptor. Defined here, as older kernel headers lack it.
pub(crate) const XDP_PKT_CONTD: u32 = 1;

/// Identifies a socket's queue on a UMEM: (namespace, ifindex in that namespace, queue).
pub(crate) type QueueKey = (NetnsId, u32, u32);

/// libxdp's fill and completion ring structs. libxdp keeps pointers to them, so they live in
/// a `Box` (stable address) for as long as libxdp may use them.
#[derive(Default)]
pub(crate) struct FillComp {
    pub(crate) fill: sys::xsk_ring_prod,
    pub(crate) comp: sys::xsk_ring_cons,
}

/// What socket creation and deletion change; behind the UMEM's mutex, which also serialises
/// every libxdp call on the `xsk_umem` (libxdp is not thread safe per UMEM).
pub(crate) struct UmemState {
    /// The rings `xsk_umem__create` set up, until the first socket takes them.
    pub(crate) saved: Option<Box<FillComp>>,
    /// Queues with a socket on this UMEM.
    pub(crate) queues: HashSet<QueueKey>,
    /// Whether the first socket (the one reusing the UMEM's fd) was created.
    pub(crate) first_done: bool,
    /// Live sockets.
    pub(crate) live: usize,
    /// The queue of the first socket once it is gone: the UMEM's fd stays bound to it.
    pub(crate) retired: Option<QueueKey>,
}

/// Anonymous memory, unmapped on drop.
struct Area {
    ptr: *mut u8,
    map_len: usize,
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: ptr/map_len come from the successful mmap in Area::new and are unmapped
        // only here, after libxdp and the kernel let go of the UMEM (UmemInner::drop).
        unsafe { libc::munmap(self.ptr.cast(), self.map_len) };
    }
}

fn huge_page_size() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Hugepagesize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .map_or(2 << 20, |kb| kb * 1024)
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(v).ok().filter(|v| *v > 0).unwrap_or(4096)
}

impl Area {
    fn new(len: usize, huge: bool) -> Result<Area> {
        let unit = if huge { huge_page_size() } else { page_size() };
        let map_len = len
            .checked_next_multiple_of(unit)
            .ok_or_else(|| Error::invalid("frame_count", "UMEM size overflows"))?;
        let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        if huge {
            flags |= libc::MAP_HUGETLB;
        }
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing; the
        // result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::Mmap {
                len: map_len,
                huge_pages: huge,
                source: io::Error::last_os_error(),
            });
        }
        Ok(Area {
            ptr: ptr.cast(),
            map_len,
        })
    }
}

pub(crate) struct UmemInner {
    pub(crate) id: u64,
    area: Area,
    /// Registered bytes: frame_count * frame_size.
    len: usize,
    pub(crate) frame_size: u32,
    pub(crate) frame_count: u32,
    pub(crate) headroom: u32,
    pub(crate) netns: Netns,
    pub(crate) xsk_umem: *mut sys::xsk_umem,
    state: Mutex<UmemState>,
}

// SAFETY: `xsk_umem` is only passed to libxdp with `state` locked (socket creation and
// deletion) or from Drop (no other handle left). The area is plain memory whose chunks are
// reached through owned `Frame`s (one owner each) or by the kernel for frames in its rings.
unsafe impl Send for UmemInner {}
// SAFETY: see Send; shared access hands out slices only for frames the caller owns.
unsafe impl Sync for UmemInner {}

impl UmemInner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, UmemState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start of the chunk holding UMEM offset `addr`.
    #[inline]
    pub(crate) fn chunk_base(&self, addr: u64) -> u64 {
        let fs = u64::from(self.frame_size);
        if fs.is_power_of_two() {
            addr & !(fs - 1)
        } else {
            addr - addr % fs
        }
    }

    /// A frame for data at UMEM offset `addr` of length `len`, as the kernel reports it;
    /// clamped to the UMEM so that a bad descriptor can never reach outside it.
    #[inline]
    pub(crate) fn frame_at(&self, addr: u64, len: u32) -> Frame {
        let base = self.chunk_base(addr);
        let end = (base + u64::from(self.frame_size)).min(self.len as u64);
        let cap = end.saturating_sub(addr).min(u64::from(u32::MAX)) as u32;
        let addr = if addr >= end { end } else { addr };
        Frame::new(self.id, addr, len.min(cap), cap)
    }

    /// The frame an RX descriptor describes, with its `XDP_PKT_CONTD` mark.
    #[inline]
    pub(crate) fn received_frame(&self, addr: u64, len: u32, options: u32) -> Frame {
        let mut frame = self.frame_at(addr, len);
        if options & XDP_PKT_CONTD != 0 {
            frame.set_continues(true);
        }
        frame
    }

    /// A fresh frame for the chunk holding `addr`: data offset `headroom`, length 0.
    #[inline]
    pub(crate) fn fresh_frame(&self, addr: u64) -> Frame {
        let base = self.chunk_base(addr);
        self.frame_at(base + u64::from(self.headroom), 0)
    }

    #[inline]
    fn slice_ptr(&self, frame: &Frame, len: u32) -> Option<*mut u8> {
        let end = frame.addr.checked_add(u64::from(len))?;
        if frame.umem != self.id || end > self.len as u64 {
            return None;
        }
        // SAFETY: addr + len <= self.len <= the mapping's length.
        Some(unsafe { self.area.ptr.add(frame.addr as usize) })
    }
}

impl Drop for UmemInner {
    fn drop(&mut self) {
        // Every socket holds a Umem handle, so none is left and libxdp's refcount is 0.
        // SAFETY: xsk_umem came from xsk_umem__create and is deleted once, here.
        let rc = crate::logging::libbpf_quiet(|| unsafe { sys::xsk_umem__delete(self.xsk_umem) });
        if rc != 0 {
            ::log::warn!("xsk_umem__delete: {}", io::Error::from_raw_os_error(-rc));
        }
        // The saved ring structs (if no socket took them) and the area go after this.
    }
}

/// Packet memory registered with the kernel, cut into equal frames.
///
/// A handle: cloning is cheap and all clones are the same UMEM. The memory and libxdp's UMEM
/// live until the last handle and the last socket on it are gone (sockets hold a handle).
/// `Send` and `Sync`: frames are owned, so threads can work on their own frames of one UMEM.
///
/// ```no_run
/// use libxdp_rs::Umem;
/// let (umem, frames) = Umem::builder().frame_size(2048).frame_count(1024).build()?;
/// assert_eq!(frames.len(), 1024);
/// assert_eq!(umem.frame_size(), 2048);
/// # Ok::<(), libxdp_rs::Error>(())
/// ```
#[derive(Clone)]
pub struct Umem {
    pub(crate) inner: Arc<UmemInner>,
}

impl fmt::Debug for Umem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Umem")
            .field("frame_size", &self.inner.frame_size)
            .field("frame_count", &self.inner.frame_count)
            .field("headroom", &self.inner.headroom)
            .field("netns", &self.inner.netns.label())
            .finish()
    }
}

impl Umem {
    /// A builder with the defaults (4096 frames of 4096 bytes, rings of 2048).
    pub fn builder() -> UmemBuilder {
        UmemBuilder::default()
    }

    /// Size of a frame (chunk) in bytes.
    pub fn frame_size(&self) -> u32 {
        self.inner.frame_size
    }

    /// Number of frames.
    pub fn frame_count(&self) -> u32 {
        self.inner.frame_count
    }

    /// Headroom the kernel leaves in front of received data, and the data offset of fresh
    /// frames.
    pub fn headroom(&self) -> u32 {
        self.inner.headroom
    }

    /// The namespace the UMEM was created in (its first socket must be there too).
    pub fn netns(&self) -> &Netns {
        &self.inner.netns
    }

    /// The frame's packet bytes: [`Frame::len`] bytes from [`Frame::addr`].
    ///
    /// Empty for a frame of another UMEM.
    #[inline]
    pub fn data<'a>(&'a self, frame: &'a Frame) -> &'a [u8] {
        match self.inner.slice_ptr(frame, frame.len) {
            // SAFETY: the range lies inside the mapping (slice_ptr checks) and within the
            // frame's chunk (lengths are checked when frames are made and in set_len). The
            // caller owns the frame, so it is in no ring and the kernel does not write it;
            // mutation needs `&mut Frame`, which the shared borrow excludes.
            Some(p) => unsafe { std::slice::from_raw_parts(p, frame.len as usize) },
            None => &[],
        }
    }

    /// The frame's packet bytes, writable.
    ///
    /// Empty for a frame of another UMEM.
    #[inline]
    pub fn data_mut<'a>(&'a self, frame: &'a mut Frame) -> &'a mut [u8] {
        let len = frame.len;
        self.bytes_mut(frame, len)
    }

    /// All writable room of the frame: [`Frame::capacity`] bytes from [`Frame::addr`], for
    /// building a packet; then set its length with [`Frame::set_len`].
    ///
    /// ```no_run
    /// # let (umem, mut frames) = libxdp_rs::Umem::builder().build()?;
    /// let mut frame = frames.pop().unwrap();
    /// let packet = [0xffu8; 60];
    /// umem.buffer_mut(&mut frame)[..packet.len()].copy_from_slice(&packet);
    /// frame.set_len(packet.len() as u32)?;
    /// assert_eq!(umem.data(&frame), &packet[..]);
    /// # Ok::<(), libxdp_rs::Error>(())
    /// ```
    #[inline]
    pub fn buffer_mut<'a>(&'a self, frame: &'a mut Frame) -> &'a mut [u8] {
        let cap = frame.capacity();
        self.bytes_mut(frame, cap)
    }

    #[inline]
    fn bytes_mut<'a>(&'a self, frame: &'a mut Frame, len: u32) -> &'a mut [u8] {
        match self.inner.slice_ptr(frame, len) {
            // SAFETY: as in `data`; the exclusive borrow of the frame (the only owner of its
            // chunk) makes this the only reference to these bytes while it lives.
            Some(p) => unsafe { std::slice::from_raw_parts_mut(p, len as usize) },
            None => &mut [],
        }
    }
}

/// Configures and creates a [`Umem`]; see [`Umem::builder`].
#[derive(Debug)]
pub struct UmemBuilder {
    frame_size: u32,
    frame_count: u32,
    headroom: u32,
    fill_size: u32,
    comp_size: u32,
    unaligned: bool,
    huge_pages: bool,
    netns: Option<Netns>,
}

impl Default for UmemBuilder {
    fn default() -> Self {
        UmemBuilder {
            frame_size: sys::XSK_UMEM__DEFAULT_FRAME_SIZE,
            frame_count: 4096,
            headroom: 0,
            fill_size: sys::XSK_RING_PROD__DEFAULT_NUM_DESCS,
            comp_size: sys::XSK_RING_CONS__DEFAULT_NUM_DESCS,
            unaligned: false,
            huge_pages: false,
            netns: None,
        }
    }
}

impl UmemBuilder {
    /// Frame (chunk) size in bytes; default 4096. From 2048 to the page size (4096 on x86-64:
    /// the kernel takes no larger chunk, also with huge pages); a power of two unless
    /// [`unaligned_chunks`](UmemBuilder::unaligned_chunks).
    pub fn frame_size(mut self, v: u32) -> Self {
        self.frame_size = v;
        self
    }

    /// Number of frames; default 4096.
    pub fn frame_count(mut self, v: u32) -> Self {
        self.frame_count = v;
        self
    }

    /// Headroom in front of received data, in bytes; default 0. At most `frame_size - 704`:
    /// the kernel keeps 704 bytes of each frame (its own 256 of headroom, room for an
    /// `skb_shared_info`, 128 of data) since Linux 6.1.
    pub fn headroom(mut self, v: u32) -> Self {
        self.headroom = v;
        self
    }

    /// Entries of each fill ring (a power of two, at most 2^18 = 262144, the most Linux 5.10 and
    /// 6.1 can map); default 2048.
    pub fn fill_size(mut self, v: u32) -> Self {
        self.fill_size = v;
        self
    }

    /// Entries of each completion ring (a power of two, at most 2^18 = 262144, as
    /// [`fill_size`](UmemBuilder::fill_size)); default 2048.
    pub fn comp_size(mut self, v: u32) -> Self {
        self.comp_size = v;
        self
    }

    /// Unaligned chunk mode (`XDP_UMEM_UNALIGNED_CHUNK_FLAG`); default off.
    pub fn unaligned_chunks(mut self, v: bool) -> Self {
        self.unaligned = v;
        self
    }

    /// Back the UMEM with huge pages (`MAP_HUGETLB`); default off. Needs reserved huge pages
    /// (`/proc/sys/vm/nr_hugepages`).
    pub fn huge_pages(mut self, v: bool) -> Self {
        self.huge_pages = v;
        self
    }

    /// The namespace to create the UMEM (its AF_XDP socket) in; default the calling
    /// thread's. The UMEM's first socket must be created in this namespace.
    pub fn netns(mut self, ns: Netns) -> Self {
        self.netns = Some(ns);
        self
    }

    fn validate(&self) -> Result<usize> {
        let fs = self.frame_size;
        limits::check_frame(fs, self.headroom, self.unaligned, page_size())?;
        if self.frame_count == 0 {
            return Err(Error::invalid("frame_count", "must be at least 1"));
        }
        limits::check_ring("fill_size", self.fill_size, limits::MAX_ADDR_RING_ENTRIES)?;
        limits::check_ring("comp_size", self.comp_size, limits::MAX_ADDR_RING_ENTRIES)?;
        let len = u64::from(fs) * u64::from(self.frame_count);
        // Unaligned mode puts the data offset in bits 48.. of addresses.
        if len > sys::XSK_UNALIGNED_BUF_ADDR_MASK || usize::try_from(len).is_err() {
            return Err(Error::invalid(
                "frame_count",
                format!(
                    "{} frames of {fs} bytes is too much memory",
                    self.frame_count
                ),
            ));
        }
        Ok(len as usize)
    }

    /// Map the memory, register it with the kernel (inside the chosen namespace) and hand
    /// out all frames.
    ///
    /// Errors: [`Error::InvalidConfig`] naming the field, [`Error::Mmap`],
    /// [`Error::Netns`], [`Error::UmemCreate`] (`EPERM` without privileges).
    pub fn build(self) -> Result<(Umem, Vec<Frame>)> {
        let len = self.validate()?;
        let netns = match self.netns {
            Some(ns) => ns,
            None => Netns::current()?,
        };
        let area = Area::new(len, self.huge_pages)?;
        let mut saved = Box::<FillComp>::default();
        let cfg = sys::xsk_umem_config {
            fill_size: self.fill_size,
            comp_size: self.comp_size,
            frame_size: self.frame_size,
            frame_headroom: self.headroom,
            flags: if self.unaligned {
                sys::XDP_UMEM_UNALIGNED_CHUNK_FLAG
            } else {
                0
            },
        };
        let mut umem: *mut sys::xsk_umem = ptr::null_mut();
        let rc = netns.run(|| {
            let saved = &mut *saved;
            // SAFETY: the area is a live, page-aligned mapping of at least `len` bytes; the
            // ring structs are boxed (stable address) and move into UmemState, which keeps
            // them until a socket takes them or the UMEM is deleted; cfg is a valid config.
            crate::logging::libbpf_quiet(|| unsafe {
                sys::xsk_umem__create(
                    &mut umem,
                    area.ptr.cast(),
                    len as u64,
                    &mut saved.fill,
                    &mut saved.comp,
                    &cfg,
                )
            })
        })?;
        if rc != 0 || umem.is_null() {
            return Err(Error::UmemCreate {
                netns: netns.label().to_owned(),
                source: io::Error::from_raw_os_error(if rc < 0 { -rc } else { libc::EINVAL }),
            });
        }
        let inner = Arc::new(UmemInner {
            id: NEXT_UMEM_ID.fetch_add(1, Ordering::Relaxed),
            area,
            len,
            frame_size: self.frame_size,
            frame_count: self.frame_count,
            headroom: self.headroom,
            netns,
            xsk_umem: umem,
            state: Mutex::new(UmemState {
                saved: Some(saved),
                queues: HashSet::new(),
                first_done: false,
                live: 0,
                retired: None,
            }),
        });
        let frames = (0..self.frame_count)
            .map(|i| inner.fresh_frame(u64::from(i) * u64::from(self.frame_size)))
            .collect();
        Ok((Umem { inner }, frames))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_configs_name_the_field() {
        let cases: [(UmemBuilder, &str); 10] = [
            (Umem::builder().frame_size(1000), "frame_size"),
            (Umem::builder().frame_size(3000), "frame_size"),
            (Umem::builder().frame_size(8192), "frame_size"),
            (
                Umem::builder().frame_size(8192).huge_pages(true),
                "frame_size",
            ),
            (Umem::builder().headroom(4096 - 703), "headroom"),
            (Umem::builder().fill_size(1 << 31), "fill_size"),
            (Umem::builder().frame_count(0), "frame_count"),
            (Umem::builder().headroom(4096), "headroom"),
            (Umem::builder().fill_size(1000), "fill_size"),
            (Umem::builder().comp_size(0), "comp_size"),
        ];
        for (b, field) in cases {
            match b.build() {
                Err(Error::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn frame_len_checked() {
        let mut f = Frame::new(1, 4096, 0, 4096);
        assert!(f.set_len(4096).is_ok());
        assert_eq!(f.len(), 4096);
        assert!(matches!(
            f.set_len(4097),
            Err(Error::FrameTooLong {
                len: 4097,
                capacity: 4096
            })
        ));
        assert_eq!(f.len(), 4096);
    }
}
