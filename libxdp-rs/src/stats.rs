//! Socket statistics (`getsockopt(SOL_XDP, XDP_STATISTICS)`).

use std::io;
use std::os::fd::RawFd;

use libxdp_sys as sys;

/// Counters the kernel keeps per AF_XDP socket (`struct xdp_statistics`).
///
/// Counters a kernel does not know read as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Statistics {
    /// Packets dropped for reasons other than a full RX ring or an empty fill ring.
    pub rx_dropped: u64,
    /// Invalid descriptors the kernel found on the fill ring.
    pub rx_invalid_descs: u64,
    /// Invalid descriptors the kernel found on the TX ring.
    pub tx_invalid_descs: u64,
    /// Packets dropped because the RX ring was full.
    pub rx_ring_full: u64,
    /// Times the kernel found the fill ring empty.
    pub rx_fill_ring_empty_descs: u64,
    /// Times the kernel found the TX ring empty.
    pub tx_ring_empty_descs: u64,
}

impl Statistics {
    /// Packets the kernel dropped on the way into the socket: [`rx_dropped`] plus
    /// [`rx_ring_full`].
    ///
    /// [`rx_dropped`]: Statistics::rx_dropped
    /// [`rx_ring_full`]: Statistics::rx_ring_full
    pub fn rx_drops(&self) -> u64 {
        self.rx_dropped + self.rx_ring_full
    }
}

impl std::ops::Add for Statistics {
    type Output = Statistics;

    /// Counters of several sockets, added up.
    fn add(self, o: Statistics) -> Statistics {
        Statistics {
            rx_dropped: self.rx_dropped + o.rx_dropped,
            rx_invalid_descs: self.rx_invalid_descs + o.rx_invalid_descs,
            tx_invalid_descs: self.tx_invalid_descs + o.tx_invalid_descs,
            rx_ring_full: self.rx_ring_full + o.rx_ring_full,
            rx_fill_ring_empty_descs: self.rx_fill_ring_empty_descs + o.rx_fill_ring_empty_descs,
            tx_ring_empty_descs: self.tx_ring_empty_descs + o.tx_ring_empty_descs,
        }
    }
}

pub(crate) fn read(fd: RawFd) -> io::Result<Statistics> {
    let mut s = sys::xdp_statistics::default();
    let mut len = std::mem::size_of::<sys::xdp_statistics>() as libc::socklen_t;
    // SAFETY: s is valid for writes of `len` bytes and len is valid for reads and writes;
    // the kernel writes at most `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_XDP,
            sys::XDP_STATISTICS as libc::c_int,
            (&mut s as *mut sys::xdp_statistics).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Statistics {
        rx_dropped: s.rx_dropped,
        rx_invalid_descs: s.rx_invalid_descs,
        tx_invalid_descs: s.tx_invalid_descs,
        rx_ring_full: s.rx_ring_full,
        rx_fill_ring_empty_descs: s.rx_fill_ring_empty_descs,
        tx_ring_empty_descs: s.tx_ring_empty_descs,
    })
}

/// Whether the socket runs in zero-copy mode (`getsockopt(SOL_XDP, XDP_OPTIONS)`).
pub(crate) fn zero_copy(fd: RawFd) -> io::Result<bool> {
    let mut o = sys::xdp_options::default();
    let mut len = std::mem::size_of::<sys::xdp_options>() as libc::socklen_t;
    // SAFETY: as in `read`, for a `struct xdp_options`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_XDP,
            sys::XDP_OPTIONS as libc::c_int,
            (&mut o as *mut sys::xdp_options).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(o.flags & sys::XDP_OPTIONS_ZEROCOPY != 0)
}
