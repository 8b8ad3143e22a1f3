//! Small AF_XDP sockets for the crate's unit tests that bind queues: 64 frames, 64-entry
//! rings, copy mode, no XDP program (nothing needs to arrive).

use crate::{BindFlags, Netns, Result, SocketBuilder, Umem};

/// A UMEM of 64 frames whose first socket is to be in `ns`.
pub(crate) fn small_umem(ns: &Netns) -> Result<Umem> {
    let (umem, _frames) = Umem::builder()
        .frame_count(64)
        .fill_size(64)
        .comp_size(64)
        .netns(ns.try_clone()?)
        .build()?;
    Ok(umem)
}

/// A socket on `queue` of `device` in `ns`, with 64-entry rings, in copy mode, without an XDP
/// program.
pub(crate) fn small_socket(device: &str, queue: u32, ns: &Netns) -> Result<SocketBuilder> {
    Ok(crate::Socket::builder(device, queue)
        .netns(ns.try_clone()?)
        .default_program(false)
        .rx_size(64)
        .tx_size(64)
        .bind_flags(BindFlags {
            copy: true,
            ..BindFlags::default()
        }))
}
