//! Cross-namespace scenarios through xsk-rs 0.8's public API, as an application using xsk-rs
//! would write them.
//!
//! xsk-rs has no notion of network namespaces: `Umem::new` and `Socket::new` work in whatever
//! namespace the calling thread is in, and dropping a socket deletes it (libxdp's
//! `xsk_socket__delete`) from wherever the thread is then. So, like any user of xsk-rs, this
//! program moves its one thread between namespaces with setns(2) (the harness'
//! [`NetnsGuard`]) around those calls.
//!
//!   xsk-rs-netns SCENARIO OUTER_DEV OUTER_NS INNER_DEV INNER_NS [COUNT]
//!
//! OUTER_DEV and INNER_DEV are the two ends of a veth pair with one queue each and the same
//! ifindex, in the test namespaces OUTER_NS and INNER_NS (`TOPOLOGY_OUTER_NS=1
//! tests/topology.sh up ID 1`). The thread starts by entering OUTER_NS and stays there between
//! steps: that is the application's own namespace ("home" below), standing in for the root
//! namespace so that no test frame crosses a device of the host's. SCENARIO is one of:
//!
//! - `shared-umem`: one UMEM, a socket on each device; COUNT frames sent into each device must
//!   all arrive on that device's socket.
//! - `teardown`: the inner socket is dropped with the thread at home; inner must then carry
//!   no XDP program, and outer must keep its own (the README's patch 0001).
//! - `teardown-reverse`: the UMEM and its first socket are inner's; the outer socket is
//!   dropped with the thread in INNER_NS.
//! - `umem-owner`: the UMEM is created at home, its first socket on INNER_DEV in INNER_NS
//!   (outer has the same ifindex at home): creation fails with EXDEV (0002), or COUNT frames
//!   sent into inner all arrive on the socket.
//! - `umem-owner-control`: the same with the UMEM created in INNER_NS: all COUNT frames must
//!   arrive (shows that the receive path of `umem-owner` works).
//!
//! Exit status: 0 pass, 1 fail, 2 usage.

use std::error::Error;
use std::io;
use std::num::NonZeroU32;
use std::process::{Command, ExitCode};

use xdp_netns_harness::{FrameSender, NetnsGuard, TestFrame};
use xsk_rs::config::{SocketConfig, UmemConfig};
use xsk_rs::{CompQueue, FillQueue, FrameDesc, RxQueue, Socket, TxQueue, Umem};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// UMEM frames; each receiving socket gets half (below the fill ring's default 2048 entries,
/// so giving frames back to it always fits).
const FRAMES: u32 = 4096;
/// Frames sent between two reads of the RX ring (the RX ring holds 2048).
const BURST: u32 = 32;
/// How long a drain waits for a frame that has not come yet.
const POLL_MS: i32 = 200;
/// Tags of the test frames: sent into outer, sent into inner.
const TO_OUTER: u8 = b'O';
const TO_INNER: u8 = b'I';

/// Where the devices are.
struct Topo {
    outer_dev: String,
    outer_ns: String,
    inner_dev: String,
    inner_ns: String,
}

/// Run `f` with the calling thread in `ns`; the guard brings it back home afterwards.
fn in_ns<T>(ns: &str, f: impl FnOnce() -> T) -> Result<T> {
    let _guard = NetnsGuard::enter(ns)?;
    Ok(f())
}

/// The queues xsk-rs returns for a new socket.
struct Port {
    tx: TxQueue,
    rx: RxQueue,
    fq_cq: Option<(FillQueue, CompQueue)>,
}

impl Port {
    /// Delete the socket: xsk-rs deletes it once its TX and RX queues are both dropped, with
    /// the thread in whatever namespace it is in at that moment.
    fn drop_socket(self) {
        drop(self.tx);
        drop(self.rx);
        drop(self.fq_cq);
    }
}

/// Why `Socket::new` failed: xsk-rs' reason and libxdp's errno.
#[derive(Debug)]
struct CreateError {
    dev: String,
    reason: String,
    errno: Option<i32>,
}

impl std::fmt::Display for CreateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Socket::new({}, queue 0): {}", self.dev, self.reason)?;
        match self.errno {
            Some(errno) => write!(f, ": {}", io::Error::from_raw_os_error(errno)),
            None => Ok(()),
        }
    }
}

impl Error for CreateError {}

/// A socket on `dev` queue 0 of `umem`, created in the namespace the thread is in (xsk-rs
/// resolves the device name there).
fn socket(umem: &Umem, dev: &str) -> std::result::Result<Port, CreateError> {
    let error = |reason: String, errno| CreateError {
        dev: dev.to_owned(),
        reason,
        errno,
    };
    let ifname = dev.parse().map_err(|e| error(format!("{e}"), None))?;
    // SAFETY: xsk-rs' contract: a second socket on a (device, queue) pair already bound must
    // set XSK_LIBXDP_FLAGS_INHIBIT_PROG_LOAD. Every socket here is the only one on its pair.
    let (tx, rx, fq_cq) = unsafe { Socket::new(SocketConfig::default(), umem, &ifname, 0) }
        .map_err(|e| {
            // xsk-rs' error says only "non-zero error code ..."; the errno is its source.
            let errno = e
                .source()
                .and_then(|s| s.downcast_ref::<io::Error>())
                .and_then(io::Error::raw_os_error);
            error(e.to_string(), errno)
        })?;
    Ok(Port { tx, rx, fq_cq })
}

fn new_umem() -> Result<(Umem, Vec<FrameDesc>)> {
    let frames = NonZeroU32::new(FRAMES).expect("FRAMES > 0");
    Umem::new(UmemConfig::default(), frames, false).map_err(|e| {
        let cause = e.source().map(|s| format!(": {s}")).unwrap_or_default();
        format!("Umem::new: {e}{cause}").into()
    })
}

/// Receives on one socket and counts the test frames with its tag.
struct Receiver<'a> {
    umem: &'a Umem,
    fq: FillQueue,
    rx: RxQueue,
    buf: Vec<FrameDesc>,
    tag: u8,
    seen: Vec<bool>,
    received: u32,
    duplicates: u32,
    /// Test frames with another tag (sent into the other device).
    misdelivered: u32,
    /// Anything else.
    foreign: u32,
}

impl<'a> Receiver<'a> {
    /// Hand `frames` to the kernel on `fq` and read `rx`.
    fn new(
        umem: &'a Umem,
        mut fq: FillQueue,
        rx: RxQueue,
        frames: &[FrameDesc],
        tag: u8,
        count: u32,
    ) -> Result<Self> {
        // SAFETY: the frames are this UMEM's, each is given to one ring only, and none is
        // used again before the RX ring hands it back.
        let n = unsafe { fq.produce(frames) };
        if n != frames.len() {
            return Err(format!("fill ring took {n} of {} frames", frames.len()).into());
        }
        Ok(Receiver {
            umem,
            fq,
            rx,
            buf: frames.to_vec(),
            tag,
            seen: vec![false; count as usize],
            received: 0,
            duplicates: 0,
            misdelivered: 0,
            foreign: 0,
        })
    }

    /// Read until `want` frames with our tag arrived in all, or nothing came for `POLL_MS`.
    fn drain(&mut self, want: u32) -> Result<()> {
        while self.received < want {
            // SAFETY: buf holds descriptors of this UMEM; the frames consumed are read below
            // and given back to the fill ring before anything else touches them.
            let n = unsafe { self.rx.poll_and_consume(&mut self.buf, POLL_MS) }?;
            if n == 0 {
                break;
            }
            for desc in &self.buf[..n] {
                // SAFETY: the kernel handed this frame back on the RX ring and owns it no
                // more until it is produced on the fill ring again below.
                let data = unsafe { self.umem.data(desc) };
                match TestFrame::parse(data.contents()) {
                    Some(f) if f.tag == self.tag && (f.seq as usize) < self.seen.len() => {
                        let seen = &mut self.seen[f.seq as usize];
                        if *seen {
                            self.duplicates += 1;
                        } else {
                            *seen = true;
                            self.received += 1;
                        }
                    }
                    Some(f) if f.tag == TO_OUTER || f.tag == TO_INNER => self.misdelivered += 1,
                    _ => self.foreign += 1,
                }
            }
            // SAFETY: as in new(): these frames came back on the RX ring and are done with.
            let put = unsafe { self.fq.produce(&self.buf[..n]) };
            if put != n {
                return Err(format!("fill ring took {put} of {n} frames back").into());
            }
        }
        Ok(())
    }

    fn report(&self, dev: &str, count: u32) -> bool {
        println!(
            "{dev}: {} of {count} frames arrived ({} duplicates, {} meant for the other device, \
             {} others)",
            self.received, self.duplicates, self.misdelivered, self.foreign
        );
        self.received == count && self.duplicates == 0 && self.misdelivered == 0
    }

    fn into_queues(self) -> (FillQueue, RxQueue) {
        (self.fq, self.rx)
    }
}

/// The id of the XDP program on `dev` in `ns`, or `None`, as `ip -n NS -o link show` says
/// (`prog/xdp id N`; `prog/xdpdrv`, `prog/xdpgeneric` ... when several are attached).
fn xdp_prog(ns: &str, dev: &str) -> Result<Option<u32>> {
    let out = Command::new("ip")
        .args(["-n", ns, "-o", "link", "show", "dev", dev])
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "ip -n {ns} link show dev {dev}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    let id = words
        .windows(3)
        .find(|w| w[0].starts_with("prog/xdp") && w[1] == "id")
        .and_then(|w| w[2].parse().ok());
    // The mode after "mtu N" (xdp, xdpgeneric, ...) says a program is there: never take a
    // line whose program id did not parse for "none".
    let attached = words
        .iter()
        .any(|w| matches!(*w, "xdp" | "xdpgeneric" | "xdpoffload" | "xdpmulti"));
    if attached && id.is_none() {
        return Err(format!("ip shows XDP on {dev} but no program id: {}", text.trim()).into());
    }
    Ok(id)
}

fn show_prog(id: Option<u32>) -> String {
    id.map_or_else(
        || "no XDP program".to_owned(),
        |id| format!("XDP program {id}"),
    )
}

/// COUNT frames sent into each device (out of its peer), in bursts, each burst read at once.
fn shared_umem(t: &Topo, count: u32) -> Result<bool> {
    let (umem, frames) = new_umem()?;
    let (outer_frames, inner_frames) = frames.split_at(frames.len() / 2);
    // The UMEM is the home namespace's, and so its first socket is outer's.
    let outer = socket(&umem, &t.outer_dev)?;
    let inner = in_ns(&t.inner_ns, || socket(&umem, &t.inner_dev))??;
    let (outer_fq, _outer_cq) = outer.fq_cq.ok_or("outer socket: no fill ring")?;
    let (inner_fq, _inner_cq) = inner.fq_cq.ok_or("inner socket: no fill ring")?;
    let mut to_outer = Receiver::new(&umem, outer_fq, outer.rx, outer_frames, TO_OUTER, count)?;
    let mut to_inner = Receiver::new(&umem, inner_fq, inner.rx, inner_frames, TO_INNER, count)?;

    // Each end of the pair sends into its peer; the senders stay in their namespaces.
    let into_outer = FrameSender::new(Some(&t.inner_ns), &t.inner_dev)?;
    let into_inner = FrameSender::new(Some(&t.outer_ns), &t.outer_dev)?;
    let mut sent = 0;
    while sent < count {
        let n = BURST.min(count - sent);
        into_outer.send_burst(TO_OUTER, sent, n)?;
        into_inner.send_burst(TO_INNER, sent, n)?;
        sent += n;
        to_outer.drain(sent)?;
        to_inner.drain(sent)?;
    }
    // Late or duplicated frames show up here.
    to_outer.drain(u32::MAX)?;
    to_inner.drain(u32::MAX)?;
    let mut pass = to_outer.report(&t.outer_dev, count);
    pass &= to_inner.report(&t.inner_dev, count);

    // Each socket is deleted from its own namespace, as an application aware of the problem
    // would (xsk-rs cannot do it for it): nothing may be left on either device.
    let (_fq, rx) = to_inner.into_queues();
    in_ns(&t.inner_ns, || {
        drop(rx);
        drop(inner.tx);
    })?;
    let (_fq, rx) = to_outer.into_queues();
    drop(rx);
    drop(outer.tx);
    for (ns, dev) in [(&t.outer_ns, &t.outer_dev), (&t.inner_ns, &t.inner_dev)] {
        let prog = xdp_prog(ns, dev)?;
        if prog.is_some() {
            println!(
                "{dev}: {} left after its socket was deleted",
                show_prog(prog)
            );
            pass = false;
        }
    }
    Ok(pass)
}

/// One device's place: its name and namespace.
#[derive(Clone, Copy)]
struct Side<'a> {
    dev: &'a str,
    ns: &'a str,
}

impl Side<'_> {
    /// The device's XDP program, and what to say about it.
    fn prog(&self) -> Result<(Option<u32>, String)> {
        let id = xdp_prog(self.ns, self.dev)?;
        Ok((id, format!("{} ({}): {}", self.dev, self.ns, show_prog(id))))
    }
}

/// The UMEM and its first socket on `first`, a second socket on `victim`; the victim's
/// socket is then dropped with the thread in `first`'s namespace.
fn teardown(first: Side, victim: Side) -> Result<bool> {
    let (umem, _frames) = in_ns(first.ns, new_umem)??;
    let first_port = in_ns(first.ns, || socket(&umem, first.dev))??;
    let victim_port = in_ns(victim.ns, || socket(&umem, victim.dev))??;
    let (first_prog, first_text) = first.prog()?;
    let (victim_prog, victim_text) = victim.prog()?;
    println!("{first_text}; {victim_text}");
    if first_prog.is_none() || victim_prog.is_none() {
        return Err("libxdp attached no program".into());
    }

    in_ns(first.ns, || victim_port.drop_socket())?;
    let (victim_after, victim_text) = victim.prog()?;
    let (first_after, first_text) = first.prog()?;
    println!(
        "{}'s socket dropped with the thread in {}: {victim_text}; {first_text}",
        victim.dev, first.ns
    );
    let pass = victim_after.is_none() && first_after == first_prog;
    in_ns(first.ns, || first_port.drop_socket())?;
    Ok(pass)
}

/// The UMEM in `umem_ns`, its first socket on inner in INNER_NS; COUNT frames sent into inner.
fn umem_owner(t: &Topo, umem_ns: &str, count: u32) -> Result<bool> {
    let (umem, frames) = in_ns(umem_ns, new_umem)??;
    let port = match in_ns(&t.inner_ns, || socket(&umem, &t.inner_dev))? {
        Ok(port) => port,
        Err(e) if umem_ns != t.inner_ns && e.errno == Some(libc::EXDEV) => {
            // Dropping `umem` now reads freed memory, in xsk-rs 0.8 (fixed in 0.9): a
            // failed first Socket::new frees the fill/completion ring structs the UMEM was
            // created with, and xsk_umem__delete reads them through libxdp's fill_save and
            // comp_save to unmap the rings (valgrind: 2 invalid reads). The freed bytes are
            // still intact here; an application that retries on that UMEM hands libxdp freed
            // memory to copy from.
            println!("refused: {e}");
            return Ok(true);
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "UMEM created in {umem_ns}, its first socket on {} in {}: created",
        t.inner_dev, t.inner_ns
    );
    let (fq, _cq) = port.fq_cq.ok_or("no fill ring")?;
    let mut rx = Receiver::new(&umem, fq, port.rx, &frames[..2048], TO_INNER, count)?;
    let into_inner = FrameSender::new(Some(&t.outer_ns), &t.outer_dev)?;
    let mut sent = 0;
    while sent < count {
        let n = BURST.min(count - sent);
        into_inner.send_burst(TO_INNER, sent, n)?;
        sent += n;
        rx.drain(sent)?;
    }
    rx.drain(u32::MAX)?;
    let pass = rx.report(&t.inner_dev, count);
    let (_fq, rx) = rx.into_queues();
    in_ns(&t.inner_ns, || {
        drop(rx);
        drop(port.tx);
    })?;
    Ok(pass)
}

fn run(scenario: &str, t: &Topo, count: u32) -> Result<bool> {
    let outer = Side {
        dev: &t.outer_dev,
        ns: &t.outer_ns,
    };
    let inner = Side {
        dev: &t.inner_dev,
        ns: &t.inner_ns,
    };
    match scenario {
        "shared-umem" => shared_umem(t, count),
        "teardown" => teardown(outer, inner),
        "teardown-reverse" => teardown(inner, outer),
        "umem-owner" => umem_owner(t, &t.outer_ns, count),
        "umem-owner-control" => umem_owner(t, &t.inner_ns, count),
        _ => Err(format!("unknown scenario {scenario}").into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if !(6..=7).contains(&args.len()) {
        eprintln!(
            "usage: {} SCENARIO OUTER_DEV OUTER_NS INNER_DEV INNER_NS [COUNT]",
            args[0]
        );
        return ExitCode::from(2);
    }
    let Ok(count) = args.get(6).map_or(Ok(1000), |c| c.parse::<u32>()) else {
        eprintln!("COUNT must be a number");
        return ExitCode::from(2);
    };
    let t = Topo {
        outer_dev: args[2].clone(),
        outer_ns: args[3].clone(),
        inner_dev: args[4].clone(),
        inner_ns: args[5].clone(),
    };
    // Home: outer's namespace, for the whole run (the guard lives until main returns).
    let home = match NetnsGuard::enter(&t.outer_ns) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("FAIL: entering {}: {e}", t.outer_ns);
            return ExitCode::FAILURE;
        }
    };
    let result = run(&args[1], &t, count);
    drop(home);
    match result {
        Ok(true) => {
            println!("PASS: {}", args[1]);
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("FAIL: {}", args[1]);
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("FAIL: {}: {e}", args[1]);
            ExitCode::FAILURE
        }
    }
}
