//! The AF_XDP sockets bound to a device queue, as the kernel lists them
//! (`NETLINK_SOCK_DIAG` for family `AF_XDP`: module xsk_diag, Linux 5.1+, which the kernel
//! loads on the first request), in the calling thread's network namespace.
//!
//! It tells the two causes of `EBUSY` from bind() apart:
//!
//! - A live AF_XDP socket holds the queue: it is listed, with its inode (`socket:[INODE]`
//!   among some process's `/proc/PID/fd`) and its owner's uid. "Live" means its file is still
//!   open somewhere: a descriptor, also one a forked child inherited, or a mapping of its rings.
//! - A closed socket's queue is still being released: the kernel takes a socket off the list
//!   when its file is released (`xsk_release()`), but frees the queue with the socket's buffer
//!   pool in deferred work afterwards (`xp_release_deferred()`). Not listed: retry shortly.
//!
//! The kernel lists the sockets created in the namespace of the asking socket (ours: the
//! calling thread's); bind() takes only devices of the socket's own namespace, so every
//! socket bound to a queue of a device here is listed here.
//!
//! The kernel's list can be incomplete: it cannot describe a socket whose device went away
//! while the socket stayed open, and its dump stops at the first such socket
//! (`xsk_diag_fill()` in net/xdp/xsk_diag.c), so the sockets listed after it (those created
//! before it) are missing; seen on Linux 6.12. The answer says whether the list is complete,
//! by comparing it with the namespace's count of AF_XDP sockets in use
//! (`/proc/thread-self/net/protocols`, which also shows the thread's namespace).

use std::io;

use crate::netlink;

/// `SOCK_DIAG_BY_FAMILY` (include/uapi/linux/sock_diag.h): the request and its answers.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `XDP_SHOW_INFO` (include/uapi/linux/xdp_diag.h): ask for the device and queue, and the uid.
const XDP_SHOW_INFO: u32 = 1 << 0;
/// `XDP_DIAG_INFO`, `XDP_DIAG_UID` (include/uapi/linux/xdp_diag.h): attribute types.
const XDP_DIAG_INFO: u16 = 1;
const XDP_DIAG_UID: u16 = 2;
/// `sizeof(struct xdp_diag_msg)`: family, type, pad, inode, cookie.
const XDP_DIAG_MSG_LEN: usize = 16;
/// `NLM_F_DUMP` (include/uapi/linux/netlink.h): every socket of the family.
const NLM_F_DUMP: u16 = 0x300;

/// A socket bound to the queue asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoundSocket {
    /// The socket's inode: `st_ino` of its descriptor, `socket:[INODE]` in `/proc/PID/fd`.
    pub(crate) inode: u64,
    /// The uid of the socket's owner (as seen from the caller's user namespace); `None` if the
    /// kernel did not say.
    pub(crate) uid: Option<u32>,
}

/// The sockets bound to a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueSockets {
    /// The live sockets the kernel listed on the queue.
    pub(crate) bound: Vec<BoundSocket>,
    /// Whether the kernel listed every AF_XDP socket of the namespace. When not, a live socket
    /// on the queue may be missing from `bound`, and an empty `bound` says nothing.
    pub(crate) complete: bool,
}

/// One AF_XDP socket as the kernel describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct XdpSocket {
    inode: u32,
    uid: Option<u32>,
    /// 0 while the socket is not bound.
    ifindex: u32,
    queue: u32,
}

/// The AF_XDP sockets bound to `queue` of device `ifindex` in the calling thread's namespace.
///
/// A complete empty list while bind() says `EBUSY` means the queue's last socket is closed and
/// the kernel is still releasing the queue. Errors are the kernel's: `ENOENT` where it has no
/// xsk_diag (`CONFIG_XDP_SOCKETS_DIAG` off, or the module cannot be loaded).
pub(crate) fn sockets_on_queue(ifindex: u32, queue: u32) -> io::Result<QueueSockets> {
    let (sockets, complete) = all_sockets()?;
    let bound = sockets
        .into_iter()
        .filter(|s| s.ifindex == ifindex && s.queue == queue)
        .map(|s| BoundSocket {
            inode: u64::from(s.inode),
            uid: s.uid,
        })
        .collect();
    Ok(QueueSockets { bound, complete })
}

/// How many times the list is asked for while sockets come and go.
const LISTING_ATTEMPTS: usize = 3;

/// Every AF_XDP socket the kernel lists in the calling thread's namespace, and whether that is
/// all of them: as many as the namespace had in use before and after the listing. When the
/// count changed meanwhile, the list is asked for again.
fn all_sockets() -> io::Result<(Vec<XdpSocket>, bool)> {
    let mut sockets = Vec::new();
    for _ in 0..LISTING_ATTEMPTS {
        let before = xdp_sockets_in_use();
        sockets = list_sockets(libc::AF_XDP as u8, NLM_F_DUMP)?;
        match (before, xdp_sockets_in_use()) {
            (Some(before), Some(after)) if before == after => {
                let complete = sockets.len() >= before;
                return Ok((sockets, complete));
            }
            (Some(_), Some(_)) => continue,
            // Without the count, completeness cannot be known.
            _ => break,
        }
    }
    Ok((sockets, false))
}

/// The calling thread's namespace's AF_XDP sockets in use (open, bound or not); `None` when
/// `/proc` cannot tell.
fn xdp_sockets_in_use() -> Option<usize> {
    let protocols = std::fs::read_to_string("/proc/thread-self/net/protocols").ok()?;
    xdp_in_use(&protocols)
}

/// The `sockets` column of the `XDP` line of a `/proc/net/protocols` text.
fn xdp_in_use(protocols: &str) -> Option<usize> {
    let mut lines = protocols.lines();
    let at = lines
        .next()?
        .split_whitespace()
        .position(|c| c == "sockets")?;
    let row = lines.find(|l| l.split_whitespace().next() == Some("XDP"))?;
    row.split_whitespace().nth(at)?.parse().ok()
}

/// Every socket of `family` the kernel lists for a request with netlink `flags`: `AF_XDP` and
/// `NLM_F_DUMP`, except in tests that ask for what the kernel refuses.
fn list_sockets(family: u8, flags: u16) -> io::Result<Vec<XdpSocket>> {
    let mut request = [0u8; 24];
    // struct xdp_diag_req: family, protocol, pad, inode, show, cookie (inode and cookie are
    // for single sockets; a dump ignores them).
    request[0] = family;
    request[8..12].copy_from_slice(&XDP_SHOW_INFO.to_ne_bytes());
    let mut sockets = Vec::new();
    netlink::request(
        libc::NETLINK_SOCK_DIAG,
        SOCK_DIAG_BY_FAMILY,
        flags,
        &request,
        |message| {
            if message.kind == SOCK_DIAG_BY_FAMILY {
                sockets.extend(xdp_socket(message.payload));
            }
            Ok(())
        },
    )?;
    Ok(sockets)
}

/// The socket a `SOCK_DIAG_BY_FAMILY` answer (`payload`: struct xdp_diag_msg, then attributes)
/// describes; `None` for anything but an AF_XDP socket with its device and queue.
fn xdp_socket(payload: &[u8]) -> Option<XdpSocket> {
    if *payload.first()? != libc::AF_XDP as u8 {
        return None;
    }
    let inode = netlink::u32_at(payload, 4)?;
    let (mut place, mut uid) = (None, None);
    for (kind, value) in netlink::attributes(payload.get(XDP_DIAG_MSG_LEN..)?) {
        match kind {
            // struct xdp_diag_info: ifindex, queue_id.
            XDP_DIAG_INFO => {
                place = netlink::u32_at(value, 0).zip(netlink::u32_at(value, 4));
            }
            XDP_DIAG_UID => uid = netlink::u32_at(value, 0),
            _ => {}
        }
    }
    let (ifindex, queue) = place?;
    Some(XdpSocket {
        inode,
        uid,
        ifindex,
        queue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::tests::attribute;

    fn diag_message(family: u8, inode: u32, attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut m = vec![0u8; XDP_DIAG_MSG_LEN];
        m[0] = family;
        m[1] = libc::SOCK_RAW as u8;
        m[4..8].copy_from_slice(&inode.to_ne_bytes());
        for (kind, value) in attrs {
            m.extend(attribute(*kind, value));
        }
        m
    }

    fn info(ifindex: u32, queue: u32) -> (u16, Vec<u8>) {
        let mut v = ifindex.to_ne_bytes().to_vec();
        v.extend(queue.to_ne_bytes());
        (XDP_DIAG_INFO, v)
    }

    const XDP: u8 = libc::AF_XDP as u8;

    #[test]
    fn parses_a_bound_socket() {
        let uid = (XDP_DIAG_UID, 1000u32.to_ne_bytes().to_vec());
        let m = diag_message(XDP, 4321, &[info(7, 1), uid]);
        let want = XdpSocket {
            inode: 4321,
            uid: Some(1000),
            ifindex: 7,
            queue: 1,
        };
        assert_eq!(xdp_socket(&m), Some(want));
        // Without the uid, with an attribute of a newer kernel between.
        let m = diag_message(XDP, 4321, &[(99, vec![1; 12]), info(7, 1)]);
        assert_eq!(xdp_socket(&m), Some(XdpSocket { uid: None, ..want }));
    }

    #[test]
    fn odd_answers_describe_no_socket() {
        // Another family; no device and queue; a cut xdp_diag_info; a cut message.
        assert_eq!(xdp_socket(&diag_message(1, 5, &[info(7, 1)])), None);
        assert_eq!(xdp_socket(&diag_message(XDP, 5, &[])), None);
        let cut = (XDP_DIAG_INFO, 7u32.to_ne_bytes().to_vec());
        assert_eq!(xdp_socket(&diag_message(XDP, 5, &[cut])), None);
        let whole = diag_message(XDP, 5, &[info(7, 1)]);
        for len in 0..whole.len() {
            assert_eq!(xdp_socket(&whole[..len]), None, "{len} bytes");
        }
    }

    #[test]
    fn reads_the_xdp_socket_count() {
        let protocols = "protocol  size sockets  memory press maxhdr  slab module     cl co\n\
                         PACKET    1536      0      -1   NI       0   no   kernel      n  n\n\
                         XDP       1088      2      -1   NI       0   no   kernel      n  n\n";
        assert_eq!(xdp_in_use(protocols), Some(2));
        // No XDP line, no header, a cut line, a column that is not a number.
        assert_eq!(xdp_in_use("protocol  size sockets\nUNIX 1 4\n"), None);
        assert_eq!(xdp_in_use("XDP 1088 2\n"), None);
        assert_eq!(xdp_in_use("protocol size sockets\nXDP 1088\n"), None);
        assert_eq!(xdp_in_use("sockets\nXDP\n"), None);
        assert_eq!(xdp_in_use("protocol size sockets\nXDP 1088 many\n"), None);
        assert_eq!(xdp_in_use(""), None);
    }

    #[test]
    fn kernel_refusals_are_errors() {
        // No socket family has number 0, so none has a sock_diag handler: ENOENT, as where
        // xsk_diag is missing. No privileges needed.
        let err = list_sockets(libc::AF_UNSPEC as u8, NLM_F_DUMP).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
        // Beyond AF_MAX.
        let err = list_sockets(u8::MAX, NLM_F_DUMP).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
        // xsk_diag answers dumps only; a kernel without it answers nothing for AF_XDP.
        let without_dump = list_sockets(XDP, 0).unwrap_err().raw_os_error();
        match sockets_on_queue(1, 0) {
            Ok(_) => assert_eq!(without_dump, Some(libc::EOPNOTSUPP)),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}");
                assert_eq!(without_dump, Some(libc::ENOENT));
            }
        }
    }

    // ---- Against the kernel (root): sockets on the seed topology's veths ----

    use std::fs::File;
    use std::os::fd::BorrowedFd;
    use std::os::unix::fs::MetadataExt;
    use std::process::Command;
    use std::time::{Duration, Instant};

    use xdp_netns_harness::{require_root, Topology, TopologyOptions};

    use crate::test_sockets::{small_socket, small_umem};
    use crate::{Error, Netns, Socket};

    /// Whether the kernel lists AF_XDP sockets; prints why not when it does not (this is the
    /// case on kernels built without `CONFIG_XDP_SOCKETS_DIAG`, where the answer is `ENOENT`).
    fn require_xsk_diag(test: &str) -> bool {
        match sockets_on_queue(1, 0) {
            Ok(_) => true,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                let why = format!("the kernel lists no AF_XDP sockets (no xsk_diag): {e}");
                xdp_netns_harness::skip(test, why);
                false
            }
            Err(e) => panic!("{test}: listing AF_XDP sockets: {e}"),
        }
    }

    /// Both ends of a topology in namespaces of their own (the root namespace is left alone).
    fn topology(queues: u32) -> (Topology, Netns, Netns) {
        let topo = Topology::with_options(TopologyOptions {
            queues,
            outer_ns: true,
        })
        .expect("topology up");
        let outer = Netns::named(topo.outer_ns().expect("outer namespace")).expect("outer");
        let inner = Netns::named(topo.inner_ns()).expect("inner");
        (topo, outer, inner)
    }

    /// An AF_XDP socket on `queue` of `device` in `ns`, the first of a UMEM of its own (which it
    /// keeps alive).
    fn bind(ns: &Netns, device: &str, queue: u32) -> crate::Result<Socket> {
        small_socket(device, queue, ns)?.build(&small_umem(ns)?)
    }

    fn inode_of(fd: BorrowedFd<'_>) -> u64 {
        let file = File::from(fd.try_clone_to_owned().expect("dup"));
        file.metadata().expect("fstat").ino()
    }

    /// The sockets on (`ifindex`, `queue`) in `ns`, from a list that must be complete.
    fn listed(ns: &Netns, ifindex: u32, queue: u32) -> Vec<BoundSocket> {
        let answer = listed_maybe_incomplete(ns, ifindex, queue);
        assert!(answer.complete, "{answer:?}");
        answer.bound
    }

    fn listed_maybe_incomplete(ns: &Netns, ifindex: u32, queue: u32) -> QueueSockets {
        let _inside = ns.enter_scoped().expect("enter");
        sockets_on_queue(ifindex, queue).expect("list AF_XDP sockets")
    }

    #[test]
    fn lists_the_sockets_of_its_own_namespace_only() {
        let test = "lists_the_sockets_of_its_own_namespace_only";
        if !require_root(test) || !require_xsk_diag(test) {
            return;
        }
        let (topo, outer, inner) = topology(2);
        let ifindex = topo.ifindex();
        // The same (ifindex, queue) in two namespaces, a socket on each.
        let on_inner = bind(&inner, topo.inner_dev(), 0).expect("socket on inner");
        let on_outer = bind(&outer, topo.outer_dev(), 0).expect("socket on outer");
        let root = Some(0);
        let want_inner = BoundSocket {
            inode: inode_of(on_inner.fd()),
            uid: root,
        };
        let want_outer = BoundSocket {
            inode: inode_of(on_outer.fd()),
            uid: root,
        };
        assert_eq!(listed(&inner, ifindex, 0), vec![want_inner]);
        assert_eq!(listed(&outer, ifindex, 0), vec![want_outer]);
        assert_eq!(listed(&inner, ifindex, 1), vec![]);
        assert_eq!(listed(&inner, ifindex + 1, 0), vec![]);
    }

    #[test]
    fn a_closed_socket_is_unlisted_while_its_queue_may_still_be_busy() {
        let test = "a_closed_socket_is_unlisted_while_its_queue_may_still_be_busy";
        if !require_root(test) || !require_xsk_diag(test) {
            return;
        }
        let (topo, _outer, inner) = topology(1);
        let ifindex = topo.ifindex();
        let socket = bind(&inner, topo.inner_dev(), 0).expect("socket");
        let inode = inode_of(socket.fd());
        assert_eq!(listed(&inner, ifindex, 0).len(), 1);

        // The socket and its UMEM go: the kernel releases the file in close().
        drop(socket);
        let closed = Instant::now();
        let mut looks = 1;
        while listed(&inner, ifindex, 0).iter().any(|s| s.inode == inode) {
            assert!(closed.elapsed() < Duration::from_secs(1), "still listed");
            looks += 1;
        }
        let unlisted_after = closed.elapsed();

        // Its queue comes free once the kernel's deferred work released the buffer pool; until
        // then bind says EBUSY, and nothing is listed.
        let mut busy = 0;
        let again = loop {
            match bind(&inner, topo.inner_dev(), 0) {
                Err(Error::QueueBusy { .. }) if closed.elapsed() < Duration::from_secs(5) => {
                    assert_eq!(listed(&inner, ifindex, 0), vec![]);
                    busy += 1;
                    std::thread::sleep(Duration::from_millis(1));
                }
                result => break result,
            }
        };
        let free_after = closed.elapsed();
        let again = again.expect("socket on the released queue");
        eprintln!(
            "{test}: after close, unlisted at look {looks} ({unlisted_after:?}); EBUSY from \
             {busy} binds, bound again after {free_after:?}"
        );
        assert_eq!(listed(&inner, ifindex, 0).len(), 1);
        drop(again);
    }

    #[test]
    fn a_socket_of_a_vanished_device_makes_the_list_incomplete() {
        let test = "a_socket_of_a_vanished_device_makes_the_list_incomplete";
        if !require_root(test) || !require_xsk_diag(test) {
            return;
        }
        let (topo, _outer, inner) = topology(1);
        let ifindex = topo.ifindex();
        // A second veth pair in inner, left down (no traffic, no IPv6), for a newer socket.
        let gone = format!("xg{}", topo.id());
        let status = Command::new("ip")
            .args(["-n", topo.inner_ns(), "link", "add", &gone, "type", "veth"])
            .args(["peer", "name", &format!("xh{}", topo.id())])
            .status()
            .expect("ip link add");
        assert!(status.success(), "ip link add {gone}: {status}");
        let older = bind(&inner, topo.inner_dev(), 0).expect("socket on inner");
        let newer = bind(&inner, &gone, 0).expect("socket on the second veth");
        let want = vec![BoundSocket {
            inode: inode_of(older.fd()),
            uid: Some(0),
        }];
        assert_eq!(listed(&inner, ifindex, 0), want);

        // The newer socket stays open on a device that is gone.
        let status = Command::new("ip")
            .args(["-n", topo.inner_ns(), "link", "del", &gone])
            .status()
            .expect("ip link del");
        assert!(status.success(), "ip link del {gone}: {status}");
        let answer = listed_maybe_incomplete(&inner, ifindex, 0);
        eprintln!("{test}: with a socket of a deleted device open: {answer:?}");
        // Never a complete list without the live socket.
        assert!(answer.bound == want || !answer.complete, "{answer:?}");

        drop(newer);
        assert_eq!(listed(&inner, ifindex, 0), want);
    }
}
