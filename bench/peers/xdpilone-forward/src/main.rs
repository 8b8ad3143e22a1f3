//! examples/forward's forwarder (libxdp-rs) on xdpilone 1.2, as a user of xdpilone writes it.
//!
//! xdpilone does the rings and the socket setup in pure Rust and manages no XDP program. The
//! program comes from libxdp, the way a C user of xsk.h would do it: `xsk_setup_xdp_prog`
//! loads libxdp's default AF_XDP program (an XSKMAP redirect) on the ingress device and gives
//! the map, and the ingress socket goes in at its queue. libxdp rather than aya: it is the very
//! program libxdp-rs and the C forwarder run, so the kernel's work per packet is the same for
//! every contender, and it is already linked (our libxdp-sys) for nothing extra. At exit the
//! program is detached (`xdp_multiprog__detach`), also after errors.
//!
//! One UMEM of 2 x ring frames of 2048 bytes in the current (ingress) namespace; the ingress
//! socket is the UMEM's own socket (fill/completion rings, RX ring); the egress socket is a new
//! socket created with the thread in the egress namespace (`setns`: xdpilone has no namespace
//! API), with its own fill/completion pair and a TX ring, bound with `XDP_SHARED_UMEM`. Rings of
//! 4096, batches of 64, need-wakeup on.
//!
//! The loop is examples/forward's: egress completions straight into the ingress fill ring (and
//! the rest to free frames), then up to a batch straight from the ingress RX ring onto the
//! egress TX ring, as much as the TX ring has room for; then a TX kick; idle, a `poll` on the
//! RX socket (1 ms while completions are due, else 100 ms). xdpilone's `RingTx::wake` hides
//! `EAGAIN`, so the kick is ours (peers_common::kick) with xdpilone's `pending()`.

mod program;
mod region;

use std::ffi::CString;
use std::io::Write;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use peers_common::args::ForwardArgs;
use peers_common::netns::NetnsGuard;
use peers_common::{kick, signals, Report, DRAIN, FRAME_SIZE};
use xdpilone::xdp::XdpDesc;
use xdpilone::{DeviceQueue, IfInfo, RingRx, RingTx, Socket, SocketConfig, Umem, UmemConfig};

/// `XDP_USE_NEED_WAKEUP` (linux/if_xdp.h).
const XDP_USE_NEED_WAKEUP: u16 = 1 << 3;

/// Everything the forwarding loop owns.
struct Forwarder {
    rx: RingRx,
    /// The ingress (the UMEM's) fill and completion rings.
    ingress: DeviceQueue,
    tx: RingTx,
    /// The egress fill and completion rings.
    egress: DeviceQueue,
    /// Free frames not yet in the fill ring (UMEM offsets).
    free: Vec<u64>,
    batch: u32,
    in_flight: u64,
}

impl Forwarder {
    fn run(mut self) -> Result<Report, String> {
        let mut report = Report::default();
        let mut drain_deadline: Option<Instant> = None;
        let (rx_fd, tx_fd) = (self.rx.as_raw_fd(), self.tx.as_raw_fd());
        loop {
            let stopping = signals::stop_requested();
            if stopping {
                let deadline = *drain_deadline.get_or_insert(Instant::now() + DRAIN);
                if self.in_flight == 0 || Instant::now() > deadline {
                    break;
                }
            }
            let mut progress = false;

            // Egress completions straight into the ingress fill ring, as many as it has room
            // for (reserved first: `insert` must not read a completion it cannot place); the
            // rest to the free frames, which go in as room appears.
            let mut done = 0u32;
            {
                let mut fill = self.ingress.fill(u32::MAX);
                let mut comp = self.egress.complete(fill.capacity());
                done += fill.insert(comp.by_ref());
                fill.commit();
                comp.release();
            }
            {
                let mut comp = self.egress.complete(u32::MAX);
                self.free.extend(comp.by_ref());
                done += comp.capacity();
                comp.release();
            }
            self.in_flight -= u64::from(done);
            progress |= done > 0;
            if !self.free.is_empty() {
                let mut fill = self.ingress.fill(self.free.len() as u32);
                let n = fill.capacity() as usize;
                let from = self.free.len() - n;
                fill.insert(self.free.drain(from..));
                fill.commit();
                progress |= n > 0;
            }

            // Up to a batch straight from the RX ring onto the TX ring, only what the TX ring
            // has room for, so that a full TX ring pushes back to the RX ring.
            let mut room = 0;
            if !stopping {
                let mut tx = self.tx.transmit(self.batch);
                room = tx.capacity();
                if room > 0 {
                    let mut rx = self.rx.receive(room);
                    let n = tx.insert(rx.by_ref().map(|d| XdpDesc {
                        addr: d.addr,
                        len: d.len,
                        options: 0,
                    }));
                    tx.commit();
                    rx.release();
                    if n > 0 {
                        progress = true;
                        self.in_flight += u64::from(n);
                        report.forwarded(u64::from(n));
                    }
                }
            }
            let tx = &self.tx;
            kick::kick(tx_fd, || tx.pending())
                .map_err(|e| format!("sendto (TX kick) on the egress socket: {e}"))?;

            if !progress {
                if room > 0 && !stopping {
                    let timeout = if self.in_flight > 0 { 1 } else { 100 };
                    if let Err(e) = kick::poll_readable(rx_fd, timeout) {
                        eprintln!("xdpilone-forward: poll: {e}");
                    }
                } else {
                    thread::sleep(Duration::from_micros(50));
                }
            }
        }
        report.unfinished = self.in_flight;
        Ok(report)
    }
}

fn if_info(name: &str, queue: u32) -> Result<IfInfo, String> {
    let cname = CString::new(name).map_err(|_| format!("device name {name:?} has a NUL byte"))?;
    let mut info = IfInfo::invalid();
    info.from_name(&cname)
        .map_err(|e| format!("device {name}: {}", errno(e)))?;
    info.set_queue(queue);
    Ok(info)
}

fn errno(e: xdpilone::Errno) -> String {
    format!("{e}")
}

fn ring(n: u32) -> Result<NonZeroU32, String> {
    NonZeroU32::new(n).ok_or_else(|| "ring size 0".to_string())
}

fn run(args: ForwardArgs) -> Result<bool, String> {
    args.check()?;
    signals::install_stop_handler().map_err(|e| format!("installing signal handlers: {e}"))?;
    let region = region::Region::new(args.frames() as usize * FRAME_SIZE as usize)?;
    let config = UmemConfig {
        fill_size: args.ring,
        complete_size: args.ring,
        frame_size: FRAME_SIZE,
        headroom: 0,
        flags: 0,
    };
    // SAFETY: the region is page aligned, of the length given, and outlives the UMEM (the
    // forwarder, which holds every ring, ends before `region` is dropped at the end of run).
    let umem = unsafe { Umem::new(config, region.area()) }
        .map_err(|e| format!("creating the UMEM: {}", errno(e)))?;

    // The ingress socket: the UMEM's own, with its fill/completion pair and an RX ring.
    let in_info = if_info(&args.ingress, 0)?;
    let in_sock = Socket::with_shared(&in_info, &umem)
        .map_err(|e| format!("AF_XDP socket for {}: {}", args.ingress, errno(e)))?;
    let mut ingress = umem
        .fq_cq(&in_sock)
        .map_err(|e| format!("fill/completion rings on {}: {}", args.ingress, errno(e)))?;
    let in_user = umem
        .rx_tx(
            &in_sock,
            &SocketConfig {
                rx_size: Some(ring(args.ring)?),
                tx_size: None,
                bind_flags: XDP_USE_NEED_WAKEUP,
            },
        )
        .map_err(|e| format!("RX ring on {}: {}", args.ingress, errno(e)))?;
    let rx = in_user
        .map_rx()
        .map_err(|e| format!("mapping the RX ring of {}: {}", args.ingress, errno(e)))?;
    umem.bind(&in_user)
        .map_err(|e| format!("binding {} queue 0: {}", args.ingress, errno(e)))?;

    // The egress socket, created in the egress namespace.
    let egress_where = format!(
        "{}@{}",
        args.egress,
        args.egress_netns.as_deref().unwrap_or("current")
    );
    let (egress, out_user, tx) = {
        let _inside = args
            .egress_netns
            .as_deref()
            .map(NetnsGuard::enter)
            .transpose()?;
        let out_info = if_info(&args.egress, 0)?;
        let out_sock = Socket::new(&out_info)
            .map_err(|e| format!("AF_XDP socket for {egress_where}: {}", errno(e)))?;
        let egress = umem
            .fq_cq(&out_sock)
            .map_err(|e| format!("fill/completion rings on {egress_where}: {}", errno(e)))?;
        let out_user = umem
            .rx_tx(
                &out_sock,
                &SocketConfig {
                    rx_size: None,
                    tx_size: Some(ring(args.ring)?),
                    // The kernel refuses flags beside XDP_SHARED_UMEM (EINVAL); the socket
                    // takes need-wakeup and the copy mode from the UMEM's first socket.
                    bind_flags: 0,
                },
            )
            .map_err(|e| format!("TX ring on {egress_where}: {}", errno(e)))?;
        let tx = out_user
            .map_tx()
            .map_err(|e| format!("mapping the TX ring of {egress_where}: {}", errno(e)))?;
        umem.bind(&out_user)
            .map_err(|e| format!("binding {egress_where} queue 0: {}", errno(e)))?;
        (egress, out_user, tx)
    };

    // The program last, once the socket it redirects to is bound; detached when `_program`
    // goes, after the forwarder has stopped.
    let _program =
        program::XskProgram::attach(&args.ingress, in_info.ifindex(), 0, rx.as_raw_fd())?;

    // Half the frames into the fill ring, the rest free for later (as examples/forward).
    let mut free: Vec<u64> = (0..u64::from(args.frames()))
        .map(|i| i * u64::from(FRAME_SIZE))
        .collect();
    {
        let mut fill = ingress.fill(args.ring);
        let n = fill.capacity() as usize;
        let from = free.len() - n;
        fill.insert(free.drain(from..));
        fill.commit();
    }
    let forwarder = Forwarder {
        rx,
        ingress,
        tx,
        egress,
        free,
        batch: args.batch,
        in_flight: 0,
    };

    let start = Instant::now();
    let handle = thread::Builder::new()
        .name("forward-q0".into())
        .spawn(move || forwarder.run())
        .map_err(|e| format!("spawning the forwarding thread: {e}"))?;
    println!(
        "ready: forwarding {} -> {egress_where}, 1 queue, one UMEM of {} frames (xdpilone 1.2)",
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
    // Where frames were lost, if any: the ingress socket's and the egress socket's counters.
    match (in_user.statistics_v2(), out_user.statistics_v2()) {
        (Ok(i), Ok(e)) => println!(
            "kernel: ingress rx_dropped {} rx_ring_full {} fill_ring_empty {}; tx_invalid_descs {}",
            i.rx_dropped, i.rx_ring_full, i.rx_fill_ring_empty_descs, e.tx_invalid_descs
        ),
        (Err(e), _) | (_, Err(e)) => eprintln!("xdpilone-forward: XDP statistics: {}", errno(e)),
    }
    report.print(start.elapsed());
    drop((in_user, out_user, umem));
    Ok(report.unfinished == 0)
}

fn main() -> ExitCode {
    match run(ForwardArgs::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("xdpilone-forward: {e}");
            ExitCode::from(1)
        }
    }
}
