//! The `forward_many` example end to end: three pairs of the seed's forward topology, one
//! forwarder process (one UMEM, one thread) between all of them, txonly into each pair's
//! source at once and rxdrop on each pair's sink:
//!
//! ```text
//! txonly (ns src_i) -> outer_i (root) == forward_many ==> inner_i (ns in_i) -> rxdrop (ns dst_i)
//! ```
//!
//! Every sink must report all of its pair's frames intact, once and in order (none of another
//! pair's: a frame in the wrong pair would be lost or duplicated in the sinks' accounting), and
//! the forwarder's per-pair counts must match.
//!
//! Knobs (environment): `XDP_FORWARD_MANY_COUNT` frames per pair (default 20000) at
//! `XDP_FORWARD_MANY_RATE` pps per pair (default 10000).

#[path = "../examples/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use xdp_netns_harness::{env_or, require_root, ForwardTopology};

const PAIRS: usize = 3;

/// The example binaries, built by `cargo build --examples` into the target directory this test
/// runs from (as tests/forward.rs does).
fn examples() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary under target/<profile>/deps")
        .to_path_buf();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "--examples", "-p", "libxdp-rs"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    if let Some(target) = profile_dir.parent() {
        cmd.arg("--target-dir").arg(target);
    }
    let status = cmd.status().expect("running cargo build --examples");
    assert!(status.success(), "cargo build --examples failed: {status}");
    profile_dir.join("examples")
}

/// A running example writing into files; killed on drop if still running.
struct Proc {
    name: String,
    child: Option<Child>,
    out: PathBuf,
}

impl Proc {
    fn spawn(dir: &Path, tmp: &Path, name: &str, tag: &str, args: &[&str]) -> Proc {
        let out = tmp.join(format!("{name}-{tag}.out"));
        let err = tmp.join(format!("{name}-{tag}.err"));
        let child = Command::new(dir.join(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(err).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name}: {e}"));
        Proc {
            name: format!("{name} {tag}"),
            child: Some(child),
            out,
        }
    }

    fn text(&self) -> String {
        let mut s = std::fs::read_to_string(&self.out).unwrap_or_default();
        let err = std::fs::read_to_string(self.out.with_extension("err")).unwrap_or_default();
        if !err.trim().is_empty() {
            s.push_str("\n[stderr]\n");
            s.push_str(&err);
        }
        format!("[{}]\n{s}", self.name)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(&self.out).unwrap_or_default();
            if text.lines().any(|l| l.starts_with("ready")) {
                return;
            }
            if let Some(Ok(Some(s))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "{} ended ({s}) before it was ready:\n{}",
                    self.name,
                    self.text()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("{} not ready in 20 s:\n{}", self.name, self.text());
    }

    /// SIGTERM first when `stop`, then wait up to `timeout` (SIGKILL after it): exit success
    /// and output.
    fn finish(&mut self, stop: bool, timeout: Duration) -> (bool, String) {
        let mut child = self.child.take().expect("running");
        if stop {
            // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        }
        let deadline = Instant::now() + timeout;
        let ok = loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                break s.success();
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _: std::io::Result<Output> = child.wait_with_output();
                break false;
            }
            thread::sleep(Duration::from_millis(20));
        };
        (ok, self.text())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn forward_many_three_pairs_each_gets_its_own_frames() {
    if !require_root("forward_many_three_pairs_each_gets_its_own_frames") {
        return;
    }
    let count: u64 = env_or("XDP_FORWARD_MANY_COUNT", 20_000);
    let rate: u64 = env_or("XDP_FORWARD_MANY_RATE", 10_000);
    let dir = examples();
    let tmp = std::env::temp_dir().join(format!("forward-many-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let topos: Vec<ForwardTopology> = (0..PAIRS)
        .map(|_| ForwardTopology::up(1).expect("forward topology up"))
        .collect();
    let (count_s, rate_s) = (count.to_string(), rate.to_string());

    let mut sinks: Vec<Proc> = topos
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut p = Proc::spawn(
                &dir,
                &tmp,
                "rxdrop",
                &i.to_string(),
                &[
                    "--dev",
                    t.sink_dev(),
                    "--netns",
                    t.sink_ns(),
                    "--expect",
                    &count_s,
                    "--timeout",
                    "30",
                    "--ring",
                    "16384",
                    "--quiet",
                ],
            );
            p.wait_ready();
            p
        })
        .collect();
    let pair_args: Vec<String> = topos
        .iter()
        .map(|t| {
            assert!(
                t.outer_ns().is_none(),
                "outer must be in the root namespace"
            );
            format!("{},{},{}", t.outer_dev(), t.inner_dev(), t.inner_ns())
        })
        .collect();
    // Deep rings (8192 frames, 0.8 s at the default rate): on a busy machine the forwarder
    // waits for the CPU, and what its RX ring cannot hold meanwhile is lost.
    let mut args = vec!["--quiet", "--ring", "8192"];
    for p in &pair_args {
        args.extend(["--pair", p.as_str()]);
    }
    let mut fwd = Proc::spawn(&dir, &tmp, "forward_many", "all", &args);
    fwd.wait_ready();
    let mut sources: Vec<Proc> = topos
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Proc::spawn(
                &dir,
                &tmp,
                "txonly",
                &i.to_string(),
                &[
                    "--dev",
                    t.src_dev(),
                    "--netns",
                    t.src_ns(),
                    "--count",
                    &count_s,
                    "--rate",
                    &rate_s,
                ],
            )
        })
        .collect();

    let sent: Vec<(bool, String)> = sources
        .iter_mut()
        .map(|p| p.finish(false, Duration::from_secs(60)))
        .collect();
    let received: Vec<(bool, String)> = sinks
        .iter_mut()
        .map(|p| p.finish(false, Duration::from_secs(40)))
        .collect();
    let (fwd_ok, fwd_out) = fwd.finish(true, Duration::from_secs(10));
    let report = sent
        .iter()
        .chain(&received)
        .map(|(_, t)| t.as_str())
        .chain([fwd_out.as_str()])
        .collect::<Vec<_>>()
        .join("\n\n");
    let _ = std::fs::remove_dir_all(&tmp);

    for (i, (ok, text)) in received.iter().enumerate() {
        let summary = common::sink::Summary::find_in(text)
            .unwrap_or_else(|| panic!("pair {i}: no summary from rxdrop\n{report}"));
        assert_eq!(
            summary,
            common::sink::Summary {
                intact: count,
                lost: 0,
                duplicated: 0,
                corrupted: 0,
                reordered: 0
            },
            "pair {i}\n{report}"
        );
        assert!(ok, "pair {i}: rxdrop failed\n{report}");
    }
    assert!(sent.iter().all(|(ok, _)| *ok), "a txonly failed\n{report}");
    assert!(fwd_ok, "forward_many failed\n{report}");
    for (i, t) in topos.iter().enumerate() {
        let line = format!(
            "pair {i} {}->{}@{}: forwarded {count}",
            t.outer_dev(),
            t.inner_dev(),
            t.inner_ns()
        );
        assert!(fwd_out.lines().any(|l| l == line), "no `{line}`\n{report}");
    }
    let total = format!("forwarded {} frames", count * PAIRS as u64);
    assert!(fwd_out.contains(&total), "no `{total}`\n{report}");
}
