//! The seed's topology: a veth pair whose ends have the same ifindex in two namespaces.

use std::io;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// How to build a [`Topology`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopologyOptions {
    /// Queues (RX and TX) per device.
    pub queues: u32,
    /// Put the outer device into a test namespace of its own instead of the root namespace
    /// (`TOPOLOGY_OUTER_NS=1`).
    pub outer_ns: bool,
}

impl Default for TopologyOptions {
    fn default() -> Self {
        TopologyOptions {
            queues: 2,
            outer_ns: false,
        }
    }
}

/// A veth pair made by `tests/topology.sh`: `outer` in the root namespace (or a test namespace
/// of its own) and its peer `inner` in a test namespace, both with the same ifindex.
///
/// Dropping the value runs `topology.sh down`, so the devices and namespaces go away when the
/// test ends, fails or panics.
#[derive(Debug)]
pub struct Topology {
    id: String,
    outer_dev: String,
    outer_ns: Option<String>,
    inner_dev: String,
    inner_ns: String,
    ifindex: u32,
    queues: u32,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Digits and lower-case letters, as topology.sh wants its IDs.
fn base36(mut n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// A topology ID unique among the live processes: `p` + pid + `c` + counter, base 36
/// (a pid below 2^22 needs at most 5 characters; 3 characters count to 46655).
fn unique_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) % (36 * 36 * 36);
    let id = format!("p{}c{}", base36(std::process::id()), base36(n));
    debug_assert!(id.len() <= 10);
    id
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../topology.sh")
}

impl Topology {
    /// Create a topology with `queues` queues per device, `outer` in the root namespace.
    pub fn up(queues: u32) -> io::Result<Topology> {
        Self::with_options(TopologyOptions {
            queues,
            outer_ns: false,
        })
    }

    /// Create a topology as `options` say.
    pub fn with_options(options: TopologyOptions) -> io::Result<Topology> {
        Self::run_up(options, false).map(|(topo, _)| topo)
    }

    /// Run `topology.sh up` (with `TOPOLOGY_FORWARD=1` when `forward`); the topology and the
    /// script's output.
    fn run_up(options: TopologyOptions, forward: bool) -> io::Result<(Topology, String)> {
        let id = unique_id();
        let mut cmd = Command::new("bash");
        cmd.arg(script())
            .args(["up", &id, &options.queues.to_string()]);
        cmd.env(
            "TOPOLOGY_OUTER_NS",
            if options.outer_ns { "1" } else { "0" },
        );
        cmd.env("TOPOLOGY_FORWARD", if forward { "1" } else { "0" });
        let out = cmd.output()?;
        if !out.status.success() {
            // The script cleans up after itself on failure; run `down` anyway to be sure.
            run_down(&id);
            return Err(io::Error::other(format!(
                "topology.sh up {id} {} failed ({}): {}",
                options.queues,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        match Self::parse(&id, &text) {
            Some(t) => Ok((t, text)),
            None => {
                run_down(&id);
                Err(io::Error::other(format!(
                    "topology.sh up {id}: unexpected output:\n{text}"
                )))
            }
        }
    }

    /// Parse the KEY=VALUE lines of `topology.sh up`.
    fn parse(id: &str, text: &str) -> Option<Topology> {
        let get = |key: &str| script_value(text, key);
        let outer_ns = get("OUTER_NS")?;
        Some(Topology {
            id: id.to_owned(),
            outer_dev: get("OUTER_DEV")?,
            outer_ns: (!outer_ns.is_empty()).then_some(outer_ns),
            inner_dev: get("INNER_DEV")?,
            inner_ns: get("INNER_NS")?,
            ifindex: get("IFINDEX")?.parse().ok()?,
            queues: get("QUEUES")?.parse().ok()?,
        })
    }

    /// The ID given to topology.sh.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Name of the outer device.
    pub fn outer_dev(&self) -> &str {
        &self.outer_dev
    }
    /// Namespace of the outer device (a `/run/netns` name); `None` for the root namespace.
    pub fn outer_ns(&self) -> Option<&str> {
        self.outer_ns.as_deref()
    }
    /// Name of the inner device.
    pub fn inner_dev(&self) -> &str {
        &self.inner_dev
    }
    /// Namespace of the inner device (a `/run/netns` name).
    pub fn inner_ns(&self) -> &str {
        &self.inner_ns
    }
    /// The ifindex both devices share.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }
    /// Queues per device.
    pub fn queues(&self) -> u32 {
        self.queues
    }
}

/// The value of `KEY=VALUE` line `key` in the output of `topology.sh up`.
fn script_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.trim().to_owned())
}

/// The seed's forward topology (`TOPOLOGY_FORWARD=1`): two veth pairs for a forwarder between
/// `outer` and `inner`, which still share one ifindex:
///
/// ```text
/// src  (namespace src_ns)   <-> outer (root namespace, or a test namespace of its own)
/// inner (namespace inner_ns) <-> sink (namespace sink_ns)
/// ```
///
/// A traffic source sends on `src` (arriving on `outer`), a forwarder moves frames from `outer`
/// to `inner`, and they arrive on `sink`. On a veth, a frame sent on TX queue q arrives on the
/// peer's RX queue q. Dropping the value tears everything down, like [`Topology`].
#[derive(Debug)]
pub struct ForwardTopology {
    topo: Topology,
    src_dev: String,
    src_ns: String,
    sink_dev: String,
    sink_ns: String,
}

impl ForwardTopology {
    /// Create a forward topology with `queues` queues per device, `outer` in the root namespace.
    pub fn up(queues: u32) -> io::Result<ForwardTopology> {
        Self::with_options(TopologyOptions {
            queues,
            outer_ns: false,
        })
    }

    /// Create a forward topology as `options` say.
    pub fn with_options(options: TopologyOptions) -> io::Result<ForwardTopology> {
        let (topo, text) = Topology::run_up(options, true)?;
        Self::parse(topo, &text)
    }

    fn parse(topo: Topology, text: &str) -> io::Result<ForwardTopology> {
        let get = |key: &str| script_value(text, key).filter(|v| !v.is_empty());
        match (
            get("SRC_DEV"),
            get("SRC_NS"),
            get("SINK_DEV"),
            get("SINK_NS"),
        ) {
            (Some(src_dev), Some(src_ns), Some(sink_dev), Some(sink_ns)) => Ok(ForwardTopology {
                topo,
                src_dev,
                src_ns,
                sink_dev,
                sink_ns,
            }),
            // `topo` drops here and tears the half-parsed topology down.
            _ => Err(io::Error::other(format!(
                "topology.sh up {} (forward): unexpected output:\n{text}",
                topo.id()
            ))),
        }
    }

    /// The outer/inner part, with the same accessors as a plain [`Topology`].
    pub fn topology(&self) -> &Topology {
        &self.topo
    }
    /// The ID given to topology.sh.
    pub fn id(&self) -> &str {
        self.topo.id()
    }
    /// Name of the outer device (the forwarder's ingress).
    pub fn outer_dev(&self) -> &str {
        self.topo.outer_dev()
    }
    /// Namespace of the outer device; `None` for the root namespace.
    pub fn outer_ns(&self) -> Option<&str> {
        self.topo.outer_ns()
    }
    /// Name of the inner device (the forwarder's egress).
    pub fn inner_dev(&self) -> &str {
        self.topo.inner_dev()
    }
    /// Namespace of the inner device (a `/run/netns` name).
    pub fn inner_ns(&self) -> &str {
        self.topo.inner_ns()
    }
    /// Name of the traffic source device, `outer`'s peer.
    pub fn src_dev(&self) -> &str {
        &self.src_dev
    }
    /// Namespace of the source device (a `/run/netns` name).
    pub fn src_ns(&self) -> &str {
        &self.src_ns
    }
    /// Name of the traffic sink device, `inner`'s peer.
    pub fn sink_dev(&self) -> &str {
        &self.sink_dev
    }
    /// Namespace of the sink device (a `/run/netns` name).
    pub fn sink_ns(&self) -> &str {
        &self.sink_ns
    }
    /// The ifindex `outer` and `inner` share.
    pub fn ifindex(&self) -> u32 {
        self.topo.ifindex()
    }
    /// Queues per device.
    pub fn queues(&self) -> u32 {
        self.topo.queues()
    }
}

fn run_down(id: &str) {
    match Command::new("bash")
        .arg(script())
        .args(["down", id])
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(out) => eprintln!(
            "topology.sh down {id} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => eprintln!("topology.sh down {id}: {e}"),
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        run_down(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fit_topology_sh() {
        for _ in 0..100 {
            let id = unique_id();
            assert!(id.len() <= 10, "{id}");
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
        }
        assert_eq!(base36(u32::MAX >> 10).len(), 5);
        assert_eq!(base36(0), "0");
    }

    #[test]
    fn parses_script_output() {
        let t = Topology::parse(
            "x1",
            "OUTER_DEV=xox1\nOUTER_NS=\nINNER_DEV=xix1\nINNER_NS=xnetns-x1-in\nIFINDEX=30000\nQUEUES=2\n",
        )
        .unwrap();
        assert_eq!(t.outer_ns(), None);
        assert_eq!(t.ifindex(), 30000);
        // Not a real topology: nothing to tear down.
        std::mem::forget(t);
    }

    #[test]
    fn parses_forward_output() {
        let text = "OUTER_DEV=xox1\nOUTER_NS=\nINNER_DEV=xix1\nINNER_NS=xnetns-x1-in\nIFINDEX=30000\n\
                    QUEUES=2\nSRC_DEV=xsx1\nSRC_NS=xnetns-x1-src\nSINK_DEV=xdx1\nSINK_NS=xnetns-x1-dst\n";
        let t = ForwardTopology::parse(Topology::parse("x1", text).unwrap(), text).unwrap();
        assert_eq!(t.src_dev(), "xsx1");
        assert_eq!(t.src_ns(), "xnetns-x1-src");
        assert_eq!(t.sink_dev(), "xdx1");
        assert_eq!(t.sink_ns(), "xnetns-x1-dst");
        assert_eq!(t.inner_ns(), "xnetns-x1-in");
        assert_eq!(t.queues(), 2);
        // Not a real topology: nothing to tear down.
        std::mem::forget(t);
    }
}
