//! Safe AF_XDP sockets for processes that serve devices in several network namespaces.
//!
//! Built on [libxdp](https://github.com/xdp-project/xdp-tools) (through [`libxdp_sys`], with
//! the xdp-netns patches) for setup: UMEM registration, socket creation, the default XDP
//! program. The rings are driven in Rust, with no FFI call per packet.
//!
//! - [`Umem`]: packet memory cut into [`Frame`]s. A frame is owned (not `Clone`, not
//!   `Copy`): it is in the user's hands or in exactly one ring, so the type system rules out
//!   handing a buffer to the kernel twice or touching one the kernel may write.
//! - [`Socket`]: an AF_XDP socket on a (namespace, device, queue), split into
//!   [`FillQueue`], [`RxQueue`], [`TxQueue`] and [`CompletionQueue`], each `Send` for
//!   thread-per-queue designs.
//! - [`Netns`]: network namespaces as values; creating a socket "in" one enters it on the
//!   calling thread only, and always comes back.
//!
//! libxdp's messages go to the [`log`](https://docs.rs/log) crate (target `libxdp`).
//!
//! ```no_run
//! use libxdp_rs::{Netns, Socket, Umem};
//!
//! let ns = Netns::named("blue")?;
//! let (umem, mut frames) = Umem::builder().netns(ns.try_clone()?).build()?;
//! let parts = Socket::builder("veth1", 0).netns(ns).build(&umem)?.split();
//! let (mut fill, mut rx) = (parts.fill.unwrap(), parts.rx.unwrap());
//! let (mut tx, mut comp) = (parts.tx.unwrap(), parts.comp.unwrap());
//! fill.produce(&mut frames);
//! let mut batch = Vec::new();
//! loop {
//!     rx.poll(100)?;
//!     rx.consume(&mut batch, 64);
//!     // Send everything received back out of the same device.
//!     tx.produce(&mut batch);
//!     // Have the kernel send all of it (copy mode sends 32 per wakeup()).
//!     tx.kick()?;
//!     // Recycle sent frames into the fill ring.
//!     comp.consume(&mut frames, 64);
//!     fill.produce(&mut frames);
//! }
//! # Ok::<(), libxdp_rs::Error>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod error;
mod logging;
mod netlink;
mod netns;
// For SocketBuilder::build's error messages, which do not use it yet: until then only the
// module's own tests do.
#[cfg_attr(not(test), allow(dead_code))]
mod queue_count;
mod ring;
mod socket;
mod stats;
#[cfg(test)]
mod test_sockets;
mod umem;
// For telling SocketBuilder::build's EBUSY causes apart, which it does not do yet: until then
// only the module's own tests use it.
#[cfg_attr(not(test), allow(dead_code))]
mod xsk_diag;

pub use error::{Error, Result};
pub use netns::{Netns, NetnsGuard};
pub use ring::{CompletionQueue, FillQueue, RxQueue, TxQueue};
pub use socket::{BindFlags, Socket, SocketBuilder, SocketParts, StatisticsReader, XdpMode};
pub use stats::Statistics;
pub use umem::{Frame, Umem, UmemBuilder};

/// Internals exposed for this crate's tests (ring model tests); not a stable API.
#[doc(hidden)]
pub mod testing {
    pub use crate::ring::{Desc, RawConsumer, RawProducer, XdpDesc};
}

/// The Rust examples of the repository's README.md and of this crate's README.md, compiled as
/// doctests so that they keep up with the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
