//! bench-setup: create and delete S AF_XDP sockets sharing one UMEM across M network
//! namespaces, through libxdp-rs, and report the cost per socket as S grows.
//!
//! Each point gets a fresh topology: M namespaces `xbsetup-PID-N-I` (made with `ip netns add`),
//! each holding veth pairs whose both ends stay inside it (`xa0`/`xb0`, `xa1`/`xb1`, ...,
//! up to `--queues` queues per device). Namespace I gets S/M sockets (the first S%M one more),
//! socket J of a namespace on device J % D, queue J / D (D devices there), so every device has
//! sockets and each device's first socket loads and attaches libxdp's default program while
//! later ones only add themselves to its XSKMAP. The UMEM lives in the first namespace (its
//! first socket must be there). Sockets are created namespace by namespace, then deleted in
//! the same order, then the UMEM. The namespaces are deleted when the point ends, when it
//! fails, and on SIGINT/SIGTERM; namespaces left by a killed earlier run (dead PID in the
//! name) are removed at start.
//!
//! Topology setup is not timed; socket creation and deletion are, each socket on its own.

use std::io;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use clap::Parser;
use std::time::{Duration, Instant};

use libxdp_rs::{Netns, Socket, Umem};

const PREFIX: &str = "xbsetup";

/// What bench-setup measures, as `--help` says it.
const ABOUT: &str = "Creates and deletes S AF_XDP sockets sharing one UMEM across M network \
namespaces (veth devices, fresh for every point) through libxdp-rs; prints the create and \
delete time per socket for every point and how the per-socket cost grows from S=64 to S=1024. \
Needs root (else prints SKIP and exits 77).";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "bench-setup", about = ABOUT)]
struct Cli {
    /// One small point, 8:2, measured once (smoke test for the suite).
    #[arg(long, conflicts_with = "points")]
    quick: bool,
    /// Points to measure.
    #[arg(
        long,
        value_name = "S:M,...",
        default_value = "64:16,256:16,1024:16,64:1,1024:1",
        value_parser = parse_points
    )]
    points: Points,
    /// At most N queues per veth device.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    queues: u16,
    /// RX, TX, fill and completion ring entries: a power of two from 8 to 4096.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = ring_size)]
    ring_size: u32,
    /// Measure every point N times, report the medians.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    repeat: u16,
    /// Sockets without libxdp's XDP program (INHIBIT_PROG_LOAD): isolates the kernel's socket
    /// cost from libxdp's program handling.
    #[arg(long)]
    no_default_program: bool,
    /// Log libbpf's and libxdp's messages on stderr (libxdp-rs keeps them off it by default).
    #[arg(long)]
    verbose: bool,
    /// Also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
}

/// `--points`: (sockets, namespaces) pairs.
#[derive(Debug, Clone)]
struct Points(Vec<(usize, usize)>);

/// Set by SIGINT and SIGTERM.
static STOP: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);

#[derive(Debug, Clone)]
struct Options {
    points: Vec<(usize, usize)>,
    queues: usize,
    ring_size: u32,
    repeat: usize,
    program: bool,
    json: Option<String>,
    quick: bool,
}

impl From<Cli> for Options {
    fn from(c: Cli) -> Options {
        Options {
            points: if c.quick { vec![(8, 2)] } else { c.points.0 },
            queues: usize::from(c.queues),
            ring_size: c.ring_size,
            repeat: if c.quick { 1 } else { usize::from(c.repeat) },
            program: !c.no_default_program,
            json: c.json,
            quick: c.quick,
        }
    }
}

fn parse_points(v: &str) -> Result<Points, String> {
    let mut out = Vec::new();
    for p in v.split(',').filter(|p| !p.is_empty()) {
        let (s, m) = p
            .split_once(':')
            .ok_or_else(|| format!("{p:?} is not S:M"))?;
        let s: usize = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
        let m: usize = m.parse().map_err(|_| format!("{m:?} is not a number"))?;
        if m == 0 || s < m || s > 65536 || m > 256 {
            return Err(format!(
                "{p}: need 1 <= M <= 256 and M <= S <= 65536 (every namespace gets a socket)"
            ));
        }
        out.push((s, m));
    }
    if out.is_empty() {
        return Err("no points".into());
    }
    Ok(Points(out))
}

fn ring_size(v: &str) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if n.is_power_of_two() && (8..=4096).contains(&n) => Ok(n),
        _ => Err(format!("{v:?} is not a power of two in 8..=4096")),
    }
}

fn ip(args: &[&str], stdin: Option<&str>) -> io::Result<()> {
    let mut cmd = Command::new("ip");
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        io::Error::new(e.kind(), format!("running `ip` (iproute2 installed?): {e}"))
    })?;
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {}: {} ({})",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim(),
            out.status
        )))
    }
}

/// Namespaces with veth pairs; deleted on drop.
struct Topology {
    namespaces: Vec<String>,
    /// Devices per namespace.
    devices: usize,
    /// Queues per device.
    queues: usize,
}

impl Topology {
    /// `m` namespaces, each with enough devices of at most `max_queues` queues for
    /// `per_ns` sockets (at least one veth pair).
    fn up(tag: usize, m: usize, per_ns: usize, max_queues: usize) -> io::Result<Topology> {
        let pairs = per_ns.div_ceil(2 * max_queues).max(1);
        let devices = 2 * pairs;
        let queues = per_ns.div_ceil(devices).max(1);
        let mut t = Topology {
            namespaces: Vec::new(),
            devices,
            queues,
        };
        let q = queues.to_string();
        for i in 0..m {
            if STOP.load(Ordering::SeqCst) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            let name = format!("{PREFIX}-{}-{tag}-{i}", std::process::id());
            ip(&["netns", "add", &name], None)?;
            t.namespaces.push(name.clone());
            let mut batch = String::new();
            for p in 0..pairs {
                batch += &format!(
                    "link add xa{p} numtxqueues {q} numrxqueues {q} type veth peer name xb{p} \
                     numtxqueues {q} numrxqueues {q}\nlink set xa{p} up\nlink set xb{p} up\n"
                );
            }
            ip(&["-n", &name, "-batch", "-"], Some(&batch))?;
        }
        Ok(t)
    }

    fn device(&self, d: usize) -> String {
        format!("x{}{}", if d % 2 == 0 { 'a' } else { 'b' }, d / 2)
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for name in self.namespaces.drain(..).rev() {
            if let Err(e) = ip(&["netns", "del", &name], None) {
                eprintln!("bench-setup: cleanup: {e}");
            }
        }
    }
}

/// Remove namespaces of earlier runs whose process is gone.
fn remove_stale() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&format!("{PREFIX}-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        eprintln!("bench-setup: removing namespace {name} left by an earlier run");
        if let Err(e) = ip(&["netns", "del", &name], None) {
            eprintln!("bench-setup: {e}");
        }
    }
}

/// Mean and count of a set of durations (µs).
#[derive(Clone, Copy, Default)]
struct Part {
    count: usize,
    total_us: f64,
}

impl Part {
    fn add(&mut self, d: Duration) {
        self.count += 1;
        self.total_us += d.as_secs_f64() * 1e6;
    }
    fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_us / self.count as f64
        }
    }
}

#[derive(Clone, Default)]
struct PointResult {
    sockets: usize,
    namespaces: usize,
    devices: usize,
    queues: usize,
    create_total_ms: f64,
    delete_total_ms: f64,
    umem_create_ms: f64,
    umem_delete_ms: f64,
    /// Creation: first socket of a device (program load/attach) and the others.
    create_first: Part,
    create_rest: Part,
    /// Deletion: last socket of a device (program detach) and the others.
    delete_last: Part,
    delete_rest: Part,
    /// Sockets that are not first (creation) / last (deletion) on their device, in the
    /// first and the last quarter of the order: whether the marginal cost grows with the
    /// number of live sockets.
    create_rest_early: Part,
    create_rest_late: Part,
    delete_rest_early: Part,
    delete_rest_late: Part,
}

impl PointResult {
    fn create_us_per_socket(&self) -> f64 {
        self.create_total_ms * 1e3 / self.sockets as f64
    }
    /// Socket deletions plus the UMEM's, per socket (the UMEM's deletion closes the
    /// descriptor of its first socket).
    fn delete_us_per_socket(&self) -> f64 {
        (self.delete_total_ms + self.umem_delete_ms) * 1e3 / self.sockets as f64
    }
}

/// The error with its cause (the OS error is the source of libxdp-rs' errors, not in their
/// text).
fn err(e: libxdp_rs::Error) -> String {
    e.report()
}

fn measure(tag: usize, s: usize, m: usize, o: &Options) -> Result<PointResult, String> {
    let per_ns: Vec<usize> = (0..m).map(|i| s / m + usize::from(i < s % m)).collect();
    let topo = Topology::up(tag, m, per_ns[0], o.queues).map_err(|e| e.to_string())?;
    let namespaces = topo
        .namespaces
        .iter()
        .map(|n| Netns::named(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;

    let mut r = PointResult {
        sockets: s,
        namespaces: m,
        devices: topo.devices * m,
        queues: topo.queues,
        ..Default::default()
    };
    // Frames for a few fill rings' worth; the benchmark moves no packets.
    let t = Instant::now();
    let (umem, frames) = Umem::builder()
        .netns(namespaces[0].try_clone().map_err(err)?)
        .frame_count(1024)
        .fill_size(o.ring_size)
        .comp_size(o.ring_size)
        .build()
        .map_err(err)?;
    r.umem_create_ms = t.elapsed().as_secs_f64() * 1e3;

    // (socket, last on its device in deletion order)
    let mut sockets: Vec<(Socket, bool)> = Vec::with_capacity(s);
    for (i, ns) in namespaces.iter().enumerate() {
        for j in 0..per_ns[i] {
            if STOP.load(Ordering::SeqCst) {
                return Err("interrupted".into());
            }
            let (dev, queue) = (topo.device(j % topo.devices), (j / topo.devices) as u32);
            let builder = Socket::builder(&dev, queue)
                .netns(ns.try_clone().map_err(err)?)
                .rx_size(o.ring_size)
                .tx_size(o.ring_size)
                .default_program(o.program);
            let t = Instant::now();
            let sock = builder.build(&umem).map_err(|e| {
                format!(
                    "socket {dev} queue {queue} in {}: {}",
                    topo.namespaces[i],
                    e.report()
                )
            })?;
            let dt = t.elapsed();
            r.create_total_ms += dt.as_secs_f64() * 1e3;
            if queue == 0 {
                r.create_first.add(dt);
            } else {
                r.create_rest.add(dt);
                let k = sockets.len();
                if 4 * k < s {
                    r.create_rest_early.add(dt);
                } else if 4 * k >= 3 * s {
                    r.create_rest_late.add(dt);
                }
            }
            // Deleted in creation order, so the socket on the device's highest queue is the
            // last one there.
            let last = j + topo.devices >= per_ns[i];
            sockets.push((sock, last));
        }
    }

    for (k, (sock, last)) in sockets.drain(..).enumerate() {
        let t = Instant::now();
        drop(sock);
        let dt = t.elapsed();
        r.delete_total_ms += dt.as_secs_f64() * 1e3;
        if last {
            r.delete_last.add(dt);
        } else {
            r.delete_rest.add(dt);
            if 4 * k < s {
                r.delete_rest_early.add(dt);
            } else if 4 * k >= 3 * s {
                r.delete_rest_late.add(dt);
            }
        }
    }
    drop(frames);
    let t = Instant::now();
    drop(umem);
    r.umem_delete_ms = t.elapsed().as_secs_f64() * 1e3;
    drop(namespaces);
    drop(topo);
    Ok(r)
}

fn median_by(v: &mut [PointResult], key: impl Fn(&PointResult) -> f64) -> PointResult {
    v.sort_by(|a, b| key(a).total_cmp(&key(b)));
    v[v.len() / 2].clone()
}

fn raise_nofile() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    let o = Options::from(cli);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIP: needs root (network namespaces, veth devices, XDP)");
        return ExitCode::from(77);
    }
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&STOP)) {
            eprintln!("bench-setup: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    }
    if verbose {
        // libbpf's messages about libxdp's objects (every object open, the dispatcher's failed
        // load on kernels without freplace support) and libxdp's own, through log.
        env_logger::Builder::new()
            .filter_level(log::LevelFilter::Debug)
            .init();
        libxdp_rs::logging::install();
    }
    raise_nofile();
    remove_stale();

    println!(
        "setup scaling: S AF_XDP sockets on one UMEM across M namespaces (veth, <= {} queues \
         per device), rings of {}, {}; {} repetition(s){}",
        o.queues,
        o.ring_size,
        if o.program {
            "libxdp's default XDP program"
        } else {
            "no XDP program (INHIBIT_PROG_LOAD)"
        },
        o.repeat,
        if o.quick {
            " (--quick: smoke test, not a measurement)"
        } else {
            ""
        }
    );
    println!();
    println!(
        "{:>5} {:>3} {:>4} {:>3} | {:>9} {:>8} {:>10} {:>17} | {:>9} {:>8} {:>10} {:>17}",
        "S",
        "M",
        "dev",
        "q",
        "create",
        "us/sock",
        "1st/dev",
        "others (q1/q4)",
        "delete",
        "us/sock",
        "last/dev",
        "others (q1/q4)"
    );
    let mut results: Vec<PointResult> = Vec::new();
    let mut tag = 0;
    for &(s, m) in &o.points {
        let mut reps = Vec::new();
        for _ in 0..o.repeat {
            if STOP.load(Ordering::SeqCst) {
                eprintln!("bench-setup: interrupted (namespaces removed)");
                return ExitCode::from(130);
            }
            tag += 1;
            match measure(tag, s, m, &o) {
                Ok(r) => reps.push(r),
                Err(e) => {
                    eprintln!("bench-setup: point S={s} M={m}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let mut r = median_by(&mut reps, PointResult::create_us_per_socket);
        // The delete figures are medians of their own.
        let d = median_by(&mut reps, PointResult::delete_us_per_socket);
        r.delete_total_ms = d.delete_total_ms;
        r.umem_delete_ms = d.umem_delete_ms;
        r.delete_last = d.delete_last;
        r.delete_rest = d.delete_rest;
        r.delete_rest_early = d.delete_rest_early;
        r.delete_rest_late = d.delete_rest_late;
        let mean = |p: &Part| {
            if p.count == 0 {
                "-".to_owned()
            } else {
                format!("{:.0}", p.mean())
            }
        };
        let others = |all: &Part, early: &Part, late: &Part| {
            format!("{} ({}/{})", mean(all), mean(early), mean(late))
        };
        println!(
            "{:>5} {:>3} {:>4} {:>3} | {:>7.1}ms {:>8.0} {:>10.0} {:>17} | {:>7.1}ms {:>8.0} {:>10.0} {:>17}",
            r.sockets,
            r.namespaces,
            r.devices,
            r.queues,
            r.create_total_ms,
            r.create_us_per_socket(),
            r.create_first.mean(),
            others(&r.create_rest, &r.create_rest_early, &r.create_rest_late),
            r.delete_total_ms + r.umem_delete_ms,
            r.delete_us_per_socket(),
            r.delete_last.mean(),
            others(&r.delete_rest, &r.delete_rest_early, &r.delete_rest_late)
        );
        results.push(r);
    }
    if STOP.load(Ordering::SeqCst) {
        eprintln!("bench-setup: interrupted (namespaces removed)");
        return ExitCode::from(130);
    }

    // Growth from S=64 to S=1024 at the largest M that has both.
    let growth = results
        .iter()
        .filter(|r| r.sockets == 1024)
        .filter_map(|big| {
            results
                .iter()
                .find(|r| r.sockets == 64 && r.namespaces == big.namespaces)
                .map(|small| (big.namespaces, small, big))
        })
        .max_by_key(|(m, _, _)| *m);
    println!();
    println!(
        "times in us unless marked. dev: veth devices in all; q: queues used per device; \
         create/delete: sum of the\nper-socket calls (delete includes the UMEM's, which closes \
         its first socket); 1st/dev, last/dev: mean of a device's first\ncreated / last deleted \
         socket (libxdp attaches / detaches the XDP program); others: mean of the rest, and of\n\
         those in the first and last quarter of the order (does the marginal cost grow with \
         the live sockets?)"
    );
    let growth_json = match growth {
        Some((m, small, big)) => {
            let c = big.create_us_per_socket() / small.create_us_per_socket();
            let d = big.delete_us_per_socket() / small.delete_us_per_socket();
            println!("setup per-socket S=1024/S=64 (M={m}): create {c:.2}, delete {d:.2}");
            format!(
                "\"growth_1024_over_64\":{c:.4},\"growth_1024_over_64_delete\":{d:.4},\
                 \"growth_namespaces\":{m}"
            )
        }
        None => "\"growth_1024_over_64\":null".to_owned(),
    };

    if let Some(path) = &o.json {
        let points = results
            .iter()
            .map(|r| {
                format!(
                    "{{\"sockets\":{},\"namespaces\":{},\"devices\":{},\"queues_per_device\":{},\
                     \"create_us_per_socket\":{:.2},\"delete_us_per_socket\":{:.2},\
                     \"create_total_ms\":{:.3},\"delete_total_ms\":{:.3},\
                     \"umem_create_ms\":{:.3},\"umem_delete_ms\":{:.3},\
                     \"create_first_on_device_us\":{:.2},\"create_others_us\":{:.2},\
                     \"delete_last_on_device_us\":{:.2},\"delete_others_us\":{:.2},\
                     \"create_others_first_quarter_us\":{:.2},\
                     \"create_others_last_quarter_us\":{:.2},\
                     \"delete_others_first_quarter_us\":{:.2},\
                     \"delete_others_last_quarter_us\":{:.2}}}",
                    r.sockets,
                    r.namespaces,
                    r.devices,
                    r.queues,
                    r.create_us_per_socket(),
                    r.delete_us_per_socket(),
                    r.create_total_ms,
                    r.delete_total_ms + r.umem_delete_ms,
                    r.umem_create_ms,
                    r.umem_delete_ms,
                    r.create_first.mean(),
                    r.create_rest.mean(),
                    r.delete_last.mean(),
                    r.delete_rest.mean(),
                    r.create_rest_early.mean(),
                    r.create_rest_late.mean(),
                    r.delete_rest_early.mean(),
                    r.delete_rest_late.mean()
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let json = format!(
            "{{\"bench\":\"setup_scaling\",\"points\":[{points}],{growth_json},\
             \"default_program\":{},\"ring_size\":{},\"max_queues_per_device\":{},\
             \"repeat\":{},\"quick\":{}}}\n",
            o.program, o.ring_size, o.queues, o.repeat, o.quick
        );
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("bench-setup: writing {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
