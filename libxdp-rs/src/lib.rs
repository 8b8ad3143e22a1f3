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
//!   calling thread only, and always comes back. [`Netns::run`] runs any code in one the same
//!   way: the thread returns to exactly where it was when the code returns or panics, so it
//!   cannot be left in the wrong namespace.
//!
//! libbpf's messages about libxdp's own BPF objects go to the [`log`](https://docs.rs/log)
//! crate (target `libbpf`), not to stderr; libxdp's own messages go to `log` (target `libxdp`)
//! once [`logging::install`] is called, and its warnings to stderr until then: see [`logging`].
//!
//! ```no_run
//! use libxdp_rs::{Netns, Socket, Umem};
//!
//! // One UMEM for both devices; its first socket must be in its namespace.
//! let (umem, mut free) = Umem::builder().frame_count(4096).build()?;
//! // Receive on outer (this namespace), send out of inner: equal ifindexes are fine.
//! let outer = Socket::builder("outer", 0).tx(false).build(&umem)?.split();
//! let inner = Socket::builder("inner", 0)
//!     .netns(Netns::named("inner-ns")?)
//!     .rx(false) // TX only: no XDP program on inner
//!     .build(&umem)?
//!     .split();
//! let (mut fill, mut rx) = (outer.fill, outer.rx.unwrap());
//! let (mut tx, mut comp) = (inner.tx.unwrap(), inner.comp);
//!
//! let mut frames: Vec<_> = free.drain(..2048).collect();
//! fill.produce(&mut frames);
//! let mut batch = Vec::with_capacity(64);
//! loop {
//!     rx.poll(100)?;
//!     rx.consume(&mut batch, 64); // received on outer ...
//!     tx.produce(&mut batch); // ... sent out of inner, same buffers, in order
//!     tx.kick()?; // the kernel sends all of it (copy mode: 32 per sendto())
//!     comp.consume(&mut frames, 64); // sent frames come back ...
//!     fill.produce(&mut frames); // ... to receive into again
//! }
//! # Ok::<(), libxdp_rs::Error>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod error;
mod limits;
pub mod logging;
mod netlink;
mod netns;
// For SocketBuilder::build's error messages, which do not use it yet: until then only the
// module's own tests do.
mod queue_count;
mod ring;
mod socket;
mod stats;
#[cfg(test)]
mod test_sockets;
mod umem;
// For telling SocketBuilder::build's EBUSY causes apart, which it does not do yet: until then
// only the module's own tests use it.
mod xsk_diag;

pub use error::{Error, Location, QueueHolder, Result};
pub use netns::Netns;
pub use ring::{CompletionQueue, FillQueue, RxQueue, TxQueue};
pub use socket::{
    BindFlags, BusyPoll, Socket, SocketBuilder, SocketParts, StatisticsReader, XdpMode,
};
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
