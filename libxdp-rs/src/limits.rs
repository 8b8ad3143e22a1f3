//! What the kernel accepts in a UMEM and in a socket's rings, checked before asking it: a value
//! out of range is an [`Error::InvalidConfig`] naming the setting and the limit, not a bare
//! `EINVAL` from `setsockopt()`, nor a ring of gigabytes allocated for a typo.
//!
//! Each limit holds on every kernel this crate is tested on (Linux 5.10, 6.1, 6.12, 6.18); where
//! kernels differ, the strictest one's is taken, so that a configuration that passes here works
//! everywhere. Measured with UMEMs and sockets on veth (copy mode); the numbers are in the
//! constants' comments.

use libxdp_sys as sys;

use crate::error::{Error, Result};

/// Bytes the kernel keeps in front of received packets (`XDP_PACKET_HEADROOM`).
pub(crate) const XDP_PACKET_HEADROOM: u32 = sys::XDP_PACKET_HEADROOM;

/// The kernel's smallest chunk (`XDP_UMEM_MIN_CHUNK_SIZE`).
pub(crate) const MIN_FRAME_SIZE: u32 = 2048;

/// Bytes of a chunk that the UMEM's headroom may not take: Linux 6.1 (Debian's 6.1.176), 6.12
/// and 6.18 refuse a headroom above `chunk_size - 704` with `EINVAL` (4096-byte frames: 3392
/// passes, 3393 fails; 2048-byte frames: 1344 and 1345). That is `XDP_PACKET_HEADROOM` (256),
/// the `struct skb_shared_info` a copy-mode frame may need at its end (320 on 64-bit) and 128
/// bytes of data at least. Linux 5.10 only asks for `headroom < chunk_size - 256`.
pub(crate) const FRAME_RESERVED: u32 = 704;

/// The most entries of an RX or TX ring (16-byte descriptors). Linux 5.10 and 6.1 allocate a
/// ring in one piece of at most 4 MiB with its header: 2^17 entries map, 2^18 fail with
/// `ENOMEM` (6.12 and later allocate rings with vmalloc and take 2^24).
pub(crate) const MAX_DESC_RING_ENTRIES: u32 = 1 << 17;

/// The most entries of a fill or completion ring (8-byte addresses): 2^18 map on Linux 5.10 and
/// 6.1, 2^19 fail with `ENOMEM`, as for [`MAX_DESC_RING_ENTRIES`].
pub(crate) const MAX_ADDR_RING_ENTRIES: u32 = 1 << 18;

/// A ring size the kernel takes: a power of two, from 1 to `max` entries.
pub(crate) fn check_ring(field: &'static str, entries: u32, max: u32) -> Result<()> {
    if entries == 0 || !entries.is_power_of_two() {
        return Err(Error::invalid(
            field,
            format!("{entries} is not a power of two above 0"),
        ));
    }
    if entries > max {
        return Err(Error::invalid(
            field,
            format!(
                "{entries} entries are more than every kernel can map: at most {max} (Linux \
                 5.10 and 6.1 allocate a ring in one piece of at most 4 MiB)"
            ),
        ));
    }
    Ok(())
}

/// A frame (chunk) size and headroom the kernel takes for a UMEM on a system with pages of
/// `page_size` bytes.
pub(crate) fn check_frame(
    frame_size: u32,
    headroom: u32,
    unaligned: bool,
    page_size: usize,
) -> Result<()> {
    if frame_size < MIN_FRAME_SIZE {
        return Err(Error::invalid(
            "frame_size",
            format!("{frame_size} is below the kernel's minimum of {MIN_FRAME_SIZE}"),
        ));
    }
    // Every kernel tested refuses chunks larger than a page (EINVAL), with huge pages too.
    if usize::try_from(frame_size).map_or(true, |fs| fs > page_size) {
        return Err(Error::invalid(
            "frame_size",
            format!(
                "{frame_size} is above the page size ({page_size}), the kernel's largest chunk \
                 (also with huge pages)"
            ),
        ));
    }
    if !unaligned && !frame_size.is_power_of_two() {
        return Err(Error::invalid(
            "frame_size",
            format!("{frame_size} is not a power of two (needed without unaligned_chunks)"),
        ));
    }
    let most = frame_size - FRAME_RESERVED;
    if headroom > most {
        return Err(Error::invalid(
            "headroom",
            format!(
                "{headroom} leaves too little of a frame of {frame_size} bytes: at most {most} \
                 (the kernel keeps {FRAME_RESERVED} bytes of each frame: {XDP_PACKET_HEADROOM} \
                 of its own headroom, room for an skb_shared_info and 128 of data)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<()>) -> &'static str {
        match r {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rings() {
        assert!(check_ring("rx_size", 1, MAX_DESC_RING_ENTRIES).is_ok());
        assert!(check_ring("rx_size", 1 << 17, MAX_DESC_RING_ENTRIES).is_ok());
        assert!(check_ring("fill_size", 1 << 18, MAX_ADDR_RING_ENTRIES).is_ok());
        for bad in [0, 3, 1000, 1 << 18, 1 << 31] {
            assert_eq!(
                field_of(check_ring("rx_size", bad, MAX_DESC_RING_ENTRIES)),
                "rx_size"
            );
        }
        assert_eq!(
            field_of(check_ring("fill_size", 1 << 19, MAX_ADDR_RING_ENTRIES)),
            "fill_size"
        );
    }

    #[test]
    fn frames() {
        assert!(check_frame(4096, 0, false, 4096).is_ok());
        assert!(check_frame(2048, 2048 - 704, false, 4096).is_ok());
        assert!(check_frame(4096, 4096 - 704, false, 4096).is_ok());
        assert!(check_frame(3000, 0, true, 4096).is_ok());
        assert_eq!(
            field_of(check_frame(4096, 4096 - 703, false, 4096)),
            "headroom"
        );
        assert_eq!(field_of(check_frame(1024, 0, false, 4096)), "frame_size");
        assert_eq!(field_of(check_frame(3000, 0, false, 4096)), "frame_size");
        assert_eq!(field_of(check_frame(8192, 0, false, 4096)), "frame_size");
        assert_eq!(field_of(check_frame(8192, 0, true, 4096)), "frame_size");
        assert!(check_frame(8192, 0, false, 16384).is_ok());
    }
}
