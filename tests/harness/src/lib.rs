//! Test harness shared by the Rust integration tests of xdp-netns (libxdp-sys now, libxdp-rs
//! later).
//!
//! - [`Topology`]: the seed's veth pair across two network namespaces, built by
//!   `tests/topology.sh` and torn down on drop (also when a test panics).
//! - [`ForwardTopology`]: the forward variant (`TOPOLOGY_FORWARD=1`): source -> outer,
//!   inner -> sink, for a forwarder between outer and inner.
//! - [`NetnsGuard`]: run the calling thread inside a network namespace until the guard drops.
//! - [`FrameSender`] and [`TestFrame`]: send recognisable Ethernet frames from inside a
//!   namespace with an `AF_PACKET` socket, and recognise them on the receiving side.
//! - [`require_root`], [`skip`]: skip tests clearly (past the output capture) when they
//!   cannot run.
//!
//! Everything here needs root (`CAP_SYS_ADMIN` and `CAP_NET_ADMIN`) at run time.

mod frames;
mod netns;
mod root;
mod topology;

pub use frames::{FrameSender, TestFrame, ETHERTYPE, FRAME_LEN, MAGIC};
pub use netns::{current_netns_id, netns_id_of, NetnsGuard};
pub use root::{env_or, require_root, skip};
pub use topology::{ForwardTopology, Topology, TopologyOptions};
