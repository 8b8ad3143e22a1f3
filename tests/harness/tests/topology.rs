//! The harness itself: topologies come and go, namespace guards enter and leave.

use std::path::Path;

use xdp_netns_harness::{
    current_netns_id, require_root, ForwardTopology, NetnsGuard, Topology, TopologyOptions,
};

fn check(options: TopologyOptions) {
    let before = current_netns_id().unwrap();
    let topo = Topology::with_options(options).expect("topology up");
    assert_eq!(topo.queues(), options.queues);
    assert_eq!(topo.outer_ns().is_some(), options.outer_ns);
    let inner = Path::new("/run/netns").join(topo.inner_ns());
    assert!(inner.exists());

    let mut cookies = Vec::new();
    for ns in [topo.outer_ns(), Some(topo.inner_ns())] {
        let guard = NetnsGuard::enter_opt(ns).unwrap();
        cookies.push(current_netns_id().unwrap());
        // The device of that side exists here, with the shared ifindex.
        let dev = if ns == Some(topo.inner_ns()) {
            topo.inner_dev()
        } else {
            topo.outer_dev()
        };
        let name = std::ffi::CString::new(dev).unwrap();
        // SAFETY: name is a valid NUL-terminated string.
        assert_eq!(
            unsafe { libc::if_nametoindex(name.as_ptr()) },
            topo.ifindex()
        );
        drop(guard);
        assert_eq!(current_netns_id().unwrap(), before, "guard did not restore");
    }
    assert_ne!(cookies[0], cookies[1]);
    assert_eq!(cookies[0] == before, !options.outer_ns);

    let outer_ns = topo.outer_ns().map(|n| Path::new("/run/netns").join(n));
    drop(topo);
    assert!(!inner.exists(), "inner namespace left behind");
    if let Some(p) = outer_ns {
        assert!(!p.exists(), "outer namespace left behind");
    }
}

#[test]
fn topology_outer_in_root() {
    if !require_root("topology_outer_in_root") {
        return;
    }
    check(TopologyOptions {
        queues: 2,
        outer_ns: false,
    });
}

#[test]
fn topology_outer_in_own_namespace() {
    if !require_root("topology_outer_in_own_namespace") {
        return;
    }
    check(TopologyOptions {
        queues: 3,
        outer_ns: true,
    });
}

#[test]
fn forward_topology() {
    if !require_root("forward_topology") {
        return;
    }
    let before = current_netns_id().unwrap();
    let topo = ForwardTopology::up(2).expect("forward topology up");
    assert_eq!(topo.queues(), 2);
    assert_eq!(topo.outer_ns(), None);
    let index_in = |ns: Option<&str>, dev: &str| {
        let _guard = NetnsGuard::enter_opt(ns).unwrap();
        let name = std::ffi::CString::new(dev).unwrap();
        // SAFETY: name is a valid NUL-terminated string.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    };
    // outer and inner share the ifindex; source and sink exist in their own namespaces.
    assert_eq!(index_in(None, topo.outer_dev()), topo.ifindex());
    assert_eq!(
        index_in(Some(topo.inner_ns()), topo.inner_dev()),
        topo.ifindex()
    );
    assert_ne!(index_in(Some(topo.src_ns()), topo.src_dev()), 0);
    assert_ne!(index_in(Some(topo.sink_ns()), topo.sink_dev()), 0);
    assert_eq!(current_netns_id().unwrap(), before);
    let namespaces: Vec<_> = [topo.inner_ns(), topo.src_ns(), topo.sink_ns()]
        .iter()
        .map(|n| Path::new("/run/netns").join(n))
        .collect();
    assert!(namespaces.iter().all(|p| p.exists()));
    drop(topo);
    for p in namespaces {
        assert!(!p.exists(), "{} left behind", p.display());
    }
}
