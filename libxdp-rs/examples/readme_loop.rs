//! The forwarding loop of the README, as written there, between two devices given on the
//! command line (the README names them `outer` and `inner`/`inner-ns`):
//!
//! ```text
//! readme_loop INGRESS EGRESS EGRESS_NETNS
//! ```
//!
//! It runs until killed, as the README's does. `tests/forward.rs` checks that the loop below
//! says what README.md, libxdp-rs/README.md and the crate's rustdoc say, and has it forward
//! 1,000,000 frames with none lost. Prints `ready` once its sockets are up.

use std::io::Write;
use std::process::ExitCode;

use libxdp_rs::{Netns, Socket, Umem};

fn forward(ingress: &str, egress: &str, egress_netns: &str) -> libxdp_rs::Result<()> {
    let (umem, mut free) = Umem::builder().frame_count(4096).build()?;
    let outer = Socket::builder(ingress, 0).tx(false).build(&umem)?.split();
    let inner = Socket::builder(egress, 0)
        .netns(Netns::named(egress_netns)?)
        .rx(false)
        .build(&umem)?
        .split();
    let (mut fill, mut rx) = (outer.fill, outer.rx.unwrap());
    let (mut tx, mut comp) = (inner.tx.unwrap(), inner.comp);
    println!("ready: {ingress} -> {egress}@{egress_netns}");
    let _ = std::io::stdout().flush();

    let mut frames: Vec<_> = free.drain(..2048).collect();
    fill.produce(&mut frames);
    let mut batch = Vec::with_capacity(64);
    loop {
        rx.poll(100)?;
        rx.consume(&mut batch, 64); // received on outer ...
        tx.produce(&mut batch); // ... sent out of inner, same buffers, in order
        tx.kick()?; // the kernel sends all of it (copy mode: 32 per sendto())
        comp.consume(&mut frames, 64); // sent frames come back ...
        fill.produce(&mut frames); // ... to receive into again
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ingress, egress, egress_netns] = args.as_slice() else {
        eprintln!("usage: readme_loop INGRESS EGRESS EGRESS_NETNS");
        return ExitCode::from(2);
    };
    match forward(ingress, egress, egress_netns) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("readme_loop: {}", e.report());
            ExitCode::FAILURE
        }
    }
}
