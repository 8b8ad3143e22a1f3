//! examples/forward's forwarder (libxdp-rs) on xsk-rs 0.8, as a user of xsk-rs writes it.
//!
//! One UMEM of 2 x ring frames of 2048 bytes, created in the current (ingress) namespace; the
//! ingress socket first (it registered the UMEM, and gets the UMEM's fill and completion rings;
//! libxdp loads its default XSKMAP program on the ingress device), then the egress socket on
//! the same UMEM with `XDP_SHARED_UMEM`, created with the thread in the egress namespace
//! (`setns`: xsk-rs has no namespace API), with its own fill/completion pair and no program
//! (`XSK_LIBXDP_FLAGS_INHIBIT_PROG_LOAD`). Rings of 4096, batches of 64, need-wakeup on.
//!
//! The loop is examples/forward's: egress completions into the ingress fill ring, then a batch
//! from the ingress RX ring onto the egress TX ring by descriptor (no copy of packet data),
//! then a TX kick; idle, a `poll` on the RX ring (1 ms while completions are due, else
//! 100 ms). Where xsk-rs' API makes it differ (see README.md): descriptors pass through a
//! buffer of `FrameDesc` between rings (xsk-rs has no ring-to-ring move); `produce` is
//! all-or-nothing, so a batch the TX ring had no room for waits in that buffer, and free frames
//! go to the fill ring a batch at a time; xsk-rs sockets always have both an RX and a TX ring;
//! its `wakeup` hides `EAGAIN`, so the kick is ours (peers_common::kick).
//!
//! Built with libxdp-sys patched to ours (bench/peers/Cargo.toml): the C underneath is the same
//! patched libxdp as for every other contender.

use std::ffi::CString;
use std::io::Write;
use std::num::NonZeroU32;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use peers_common::args::ForwardArgs;
use peers_common::netns::NetnsGuard;
use peers_common::{kick, signals, Report, DRAIN, FRAME_SIZE};
use xsk_rs::config::{
    BindFlags, FrameSize, Interface, LibxdpFlags, QueueSize, SocketConfig, UmemConfig,
};
use xsk_rs::{CompQueue, FillQueue, FrameDesc, RxQueue, Socket, TxQueue, Umem};

/// Everything the forwarding loop owns.
struct Forwarder {
    rx: RxQueue,
    fill: FillQueue,
    tx: TxQueue,
    comp: CompQueue,
    /// Received descriptors on their way to the TX ring (a batch at most).
    batch_buf: Vec<FrameDesc>,
    /// How many of `batch_buf` wait for room in the TX ring.
    held: usize,
    /// Free frames not yet in the fill ring.
    free: Vec<FrameDesc>,
    /// Room for completions read at once.
    comp_buf: Vec<FrameDesc>,
    batch: usize,
    /// Produced on the TX ring since the kernel last took everything.
    unsent: u32,
    in_flight: u64,
    /// Keep the other halves of both sockets (ingress TX ring, egress RX ring and fill/comp
    /// pair... xsk-rs returns the egress pair too) and the UMEM alive.
    _keep: (TxQueue, RxQueue, Option<(FillQueue, CompQueue)>, Umem),
}

impl Forwarder {
    fn run(mut self) -> Result<Report, String> {
        let mut report = Report::default();
        let mut drain_deadline: Option<Instant> = None;
        let tx_fd = self.tx.fd().as_raw_fd();
        loop {
            let stopping = signals::stop_requested();
            if stopping {
                let deadline = *drain_deadline.get_or_insert(Instant::now() + DRAIN);
                if self.in_flight == 0 || Instant::now() > deadline {
                    break;
                }
            }
            let mut progress = false;

            // Egress completions back to the free frames, and free frames into the ingress fill
            // ring, a batch at a time (produce takes all of a slice or nothing).
            // SAFETY: the completion ring holds frames of this UMEM that the kernel is done with.
            let done = unsafe { self.comp.consume(&mut self.comp_buf) };
            if done > 0 {
                self.free.extend_from_slice(&self.comp_buf[..done]);
                self.in_flight -= done as u64;
                progress = true;
            }
            while !self.free.is_empty() {
                let from = self.free.len().saturating_sub(self.batch);
                // SAFETY: free frames of this UMEM, owned by nobody else.
                let put = unsafe { self.fill.produce(&self.free[from..]) };
                if put == 0 {
                    break;
                }
                self.free.truncate(from);
                progress = true;
            }

            // A batch from the RX ring onto the TX ring; a batch the TX ring has no room for
            // waits (and with it the RX ring, so that a full TX ring pushes back).
            let mut room = true;
            if !stopping {
                if self.held == 0 {
                    // SAFETY: received frames of this UMEM, now ours.
                    self.held = unsafe { self.rx.consume(&mut self.batch_buf[..self.batch]) };
                }
                if self.held > 0 {
                    // SAFETY: frames of this UMEM, received, going out untouched.
                    let sent = unsafe { self.tx.produce(&self.batch_buf[..self.held]) };
                    if sent > 0 {
                        let n = self.held;
                        self.held = 0;
                        progress = true;
                        self.in_flight += n as u64;
                        self.unsent += n as u32;
                        report.forwarded(n as u64);
                    } else {
                        room = false;
                    }
                }
            }
            kick::kick_counted(tx_fd, &mut self.unsent)
                .map_err(|e| format!("sendto (TX kick) on the egress socket: {e}"))?;

            if !progress {
                if room && !stopping {
                    let timeout = if self.in_flight > 0 { 1 } else { 100 };
                    if let Err(e) = self.rx.poll(timeout) {
                        eprintln!("xskrs-forward: poll: {e}");
                    }
                } else {
                    thread::sleep(Duration::from_micros(50));
                }
            }
        }
        report.unfinished = self.in_flight + self.held as u64;
        // Where frames were lost, if any: the ingress socket's and the egress socket's counters.
        match (self.rx.fd().xdp_statistics(), self.tx.fd().xdp_statistics()) {
            (Ok(i), Ok(e)) => println!(
                "kernel: ingress rx_dropped {} rx_ring_full {} fill_ring_empty {}; tx_invalid_descs {}",
                i.rx_dropped(),
                i.rx_ring_full(),
                i.rx_fill_ring_empty_descs(),
                e.tx_invalid_descs()
            ),
            (Err(e), _) | (_, Err(e)) => eprintln!("xskrs-forward: XDP statistics: {e}"),
        }
        Ok(report)
    }
}

fn queue_size(n: u32) -> Result<QueueSize, String> {
    QueueSize::new(n).map_err(|e| format!("ring size {n}: {e}"))
}

fn interface(name: &str) -> Result<Interface, String> {
    CString::new(name)
        .map(Interface::new)
        .map_err(|_| format!("device name {name:?} has a NUL byte"))
}

fn run(args: ForwardArgs) -> Result<bool, String> {
    args.check()?;
    signals::install_stop_handler().map_err(|e| format!("installing signal handlers: {e}"))?;
    let ring = queue_size(args.ring)?;
    let umem_config = UmemConfig::builder()
        .frame_size(FrameSize::new(FRAME_SIZE).map_err(|e| e.to_string())?)
        .fill_queue_size(ring)
        .comp_queue_size(ring)
        .build()
        .map_err(|e| format!("UMEM config: {e}"))?;
    let frame_count = NonZeroU32::new(args.frames()).ok_or("no frames")?;
    let (umem, mut frames) = Umem::new(umem_config, frame_count, false)
        .map_err(|e| format!("creating the UMEM: {e}"))?;

    // The ingress socket first, in the UMEM's namespace: libxdp loads its default program on
    // the device and puts the socket in the XSKMAP.
    let ingress_config = SocketConfig::builder()
        .rx_queue_size(ring)
        .tx_queue_size(ring)
        .bind_flags(BindFlags::XDP_USE_NEED_WAKEUP)
        .build();
    // SAFETY: the UMEM is not shared yet.
    let (in_tx, in_rx, in_fq_cq) =
        unsafe { Socket::new(ingress_config, &umem, &interface(&args.ingress)?, 0) }
            .map_err(|e| format!("AF_XDP socket on {} queue 0: {e}", args.ingress))?;
    let (mut fill, in_comp) = in_fq_cq.ok_or("xsk-rs gave the first socket no fill ring")?;

    // The egress socket in the egress namespace: no program there (nothing is received).
    let egress_config = SocketConfig::builder()
        .rx_queue_size(ring)
        .tx_queue_size(ring)
        .libxdp_flags(LibxdpFlags::XSK_LIBXDP_FLAGS_INHIBIT_PROG_LOAD)
        .bind_flags(BindFlags::XDP_USE_NEED_WAKEUP)
        .build();
    let egress_where = format!(
        "{}@{}",
        args.egress,
        args.egress_netns.as_deref().unwrap_or("current")
    );
    let (out_tx, out_rx, out_fq_cq) = {
        let _inside = args
            .egress_netns
            .as_deref()
            .map(NetnsGuard::enter)
            .transpose()?;
        // SAFETY: (egress, 0) is not bound yet, so xsk-rs gives it its own fill/comp pair;
        // the program load is inhibited as its contract asks for shared UMEMs.
        unsafe { Socket::new(egress_config, &umem, &interface(&args.egress)?, 0) }
            .map_err(|e| format!("AF_XDP socket on {egress_where} queue 0: {e}"))?
    };
    let (out_fill, comp) = out_fq_cq.ok_or("xsk-rs gave the egress socket no fill ring")?;

    // Half the frames into the fill ring, the rest free for later (as examples/forward).
    let half = frames.len() / 2;
    // SAFETY: fresh frames of this UMEM.
    let put = unsafe { fill.produce(&frames[half..]) };
    frames.truncate(frames.len() - put);
    let batch = args.batch as usize;
    let forwarder = Forwarder {
        rx: in_rx,
        fill,
        tx: out_tx,
        comp,
        batch_buf: vec![FrameDesc::default(); batch],
        held: 0,
        free: frames,
        comp_buf: vec![FrameDesc::default(); args.ring as usize],
        batch,
        unsent: 0,
        in_flight: 0,
        _keep: (in_tx, out_rx, Some((out_fill, in_comp)), umem),
    };

    let start = Instant::now();
    let handle = thread::Builder::new()
        .name("forward-q0".into())
        .spawn(move || forwarder.run())
        .map_err(|e| format!("spawning the forwarding thread: {e}"))?;
    println!(
        "ready: forwarding {} -> {egress_where}, 1 queue, one UMEM of {} frames (xsk-rs 0.8)",
        args.ingress,
        args.frames()
    );
    let _ = std::io::stdout().flush();
    while !handle.is_finished() {
        thread::sleep(Duration::from_millis(20));
    }
    let report = handle
        .join()
        .map_err(|_| "the forwarding thread panicked".to_string())??;
    report.print(start.elapsed());
    Ok(report.unfinished == 0)
}

fn main() -> ExitCode {
    match run(ForwardArgs::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("xskrs-forward: {e}");
            ExitCode::from(1)
        }
    }
}
