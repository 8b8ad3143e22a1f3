//! How many queues an AF_XDP socket may bind on a device, asked in the calling thread's network
//! namespace (enter the device's namespace first).
//!
//! The kernel's bind takes a queue id below `max(real_num_rx_queues, real_num_tx_queues)`
//! (`xsk_reg_pool_at_qid()`, net/xdp/xsk.c). Two sources know it, both keyed by the calling
//! thread's namespace:
//!
//! - `ETHTOOL_GCHANNELS` through the `SIOCETHTOOL` ioctl: the channels in use now. Many
//!   virtual devices lack it (veth before Linux 5.13, dummy, bridge).
//! - rtnetlink (`RTM_GETLINK`, `IFLA_NUM_RX_QUEUES`/`IFLA_NUM_TX_QUEUES`): the queues the
//!   device was created with. That is an upper bound: `ethtool -L` (or a veth made without
//!   `numrxqueues`, on Linux 5.13 and later) can use fewer.
//!
//! Not `/sys/class/net`: sysfs lists the namespace it was mounted in, not the thread's, which
//! made libxdp size its XSKMAP from another namespace's device on Linux 5.10 (patch 0006).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::netlink;

/// Which kernel interface gave a [`QueueCount`], for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueCountSource {
    /// The device's channels (`ETHTOOL_GCHANNELS`): the queues in use now.
    EthtoolChannels,
    /// The device's queues as created (rtnetlink `IFLA_NUM_RX_QUEUES`/`IFLA_NUM_TX_QUEUES`).
    Rtnetlink,
}

impl fmt::Display for QueueCountSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueCountSource::EthtoolChannels => "ethtool channels (ETHTOOL_GCHANNELS)",
            QueueCountSource::Rtnetlink => "rtnetlink (IFLA_NUM_RX_QUEUES, IFLA_NUM_TX_QUEUES)",
        })
    }
}

/// The number of queues of a device and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueCount {
    /// Queue ids `0..queues` may be bound.
    pub(crate) queues: u32,
    /// Who said so.
    pub(crate) source: QueueCountSource,
}

/// The number of queues an AF_XDP socket may bind on device `ifindex` of the calling thread's
/// namespace: from the device's channels where it has them, else from rtnetlink (an upper
/// bound, see the module's documentation).
///
/// A device that does not exist is `ENODEV`.
pub(crate) fn bindable_queues(ifindex: u32) -> io::Result<QueueCount> {
    if let Some(queues) = ethtool_queues(ifindex)? {
        return Ok(QueueCount {
            queues,
            source: QueueCountSource::EthtoolChannels,
        });
    }
    Ok(QueueCount {
        queues: rtnetlink_queues(ifindex)?,
        source: QueueCountSource::Rtnetlink,
    })
}

/// `ifindex` as the kernel's `int`; 0 and anything beyond `i32::MAX` name no device.
fn device_index(ifindex: u32) -> io::Result<i32> {
    match i32::try_from(ifindex) {
        Ok(index) if index > 0 => Ok(index),
        _ => Err(io::Error::from_raw_os_error(libc::ENODEV)),
    }
}

// ---- ETHTOOL_GCHANNELS ----

/// `ETHTOOL_GCHANNELS` (include/uapi/linux/ethtool.h).
const ETHTOOL_GCHANNELS: u32 = 0x3c;

/// `struct ethtool_channels` (include/uapi/linux/ethtool.h).
#[repr(C)]
#[derive(Debug, Default)]
struct EthtoolChannels {
    cmd: u32,
    max_rx: u32,
    max_tx: u32,
    max_other: u32,
    max_combined: u32,
    rx_count: u32,
    tx_count: u32,
    other_count: u32,
    combined_count: u32,
}

impl EthtoolChannels {
    /// Queues that receive and queues that send: a combined channel is one of each, an RX or
    /// TX channel one of its kind. `None` when the driver reports no channel at all.
    fn queues(&self) -> Option<u32> {
        let rx = self.rx_count.saturating_add(self.combined_count);
        let tx = self.tx_count.saturating_add(self.combined_count);
        Some(rx.max(tx)).filter(|&q| q > 0)
    }
}

/// How many times a device may change its name under us before we give up.
const RENAME_RETRIES: usize = 3;

/// The device's queues from its channels (`ETHTOOL_GCHANNELS`); `None` when the driver keeps no
/// channel counts (`EOPNOTSUPP`: veth before Linux 5.13, dummy, bridge) or reports none.
///
/// `SIOCETHTOOL` names the device by name, so the name is looked up from `ifindex` first and
/// checked again afterwards, in case the device was renamed and the name given to another one
/// in between.
pub(crate) fn ethtool_queues(ifindex: u32) -> io::Result<Option<u32>> {
    let index = device_index(ifindex)?;
    let socket = ioctl_socket()?;
    let fd = socket.as_fd();
    for _ in 0..RENAME_RETRIES {
        let name = device_name(fd, index)?;
        let channels = channels(fd, &name);
        match device_index_of(fd, &name) {
            Ok(now) if now == index => {}
            Ok(_) => continue,
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => continue,
            Err(e) => return Err(e),
        }
        return match channels {
            Ok(channels) => Ok(channels.queues()),
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Ok(None),
            Err(e) => Err(e),
        };
    }
    Err(io::Error::other(format!(
        "device {ifindex} was renamed {RENAME_RETRIES} times while its channels were asked"
    )))
}

/// A socket to issue device ioctls on: they act on the namespace the socket was created in.
fn ioctl_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) call; the result is checked before use.
    let raw = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

fn ifreq_for_index(index: i32) -> libc::ifreq {
    libc::ifreq {
        ifr_name: [0; libc::IFNAMSIZ],
        ifr_ifru: libc::__c_anonymous_ifr_ifru {
            ifru_ifindex: index,
        },
    }
}

/// The name of device `index` (`SIOCGIFNAME`), NUL-terminated as the kernel wrote it.
fn device_name(fd: BorrowedFd<'_>, index: i32) -> io::Result<[libc::c_char; libc::IFNAMSIZ]> {
    let mut request = ifreq_for_index(index);
    // SAFETY: request is a valid ifreq for the kernel to read the index from and write the
    // name into; fd is open.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFNAME as _, &mut request) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(request.ifr_name)
}

/// The index of device `name` (`SIOCGIFINDEX`).
fn device_index_of(fd: BorrowedFd<'_>, name: &[libc::c_char; libc::IFNAMSIZ]) -> io::Result<i32> {
    let mut request = ifreq_for_index(0);
    request.ifr_name = *name;
    // SAFETY: request is a valid ifreq with a NUL-terminated name (the kernel wrote it, and
    // names are shorter than IFNAMSIZ); fd is open.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFINDEX as _, &mut request) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: SIOCGIFINDEX wrote the index member of the union.
    Ok(unsafe { request.ifr_ifru.ifru_ifindex })
}

/// The channels of device `name` (`SIOCETHTOOL` with `ETHTOOL_GCHANNELS`).
fn channels(
    fd: BorrowedFd<'_>,
    name: &[libc::c_char; libc::IFNAMSIZ],
) -> io::Result<EthtoolChannels> {
    let mut channels = EthtoolChannels {
        cmd: ETHTOOL_GCHANNELS,
        ..EthtoolChannels::default()
    };
    let mut request = libc::ifreq {
        ifr_name: *name,
        ifr_ifru: libc::__c_anonymous_ifr_ifru {
            ifru_data: (&mut channels as *mut EthtoolChannels).cast(),
        },
    };
    // SAFETY: request names the device (NUL-terminated) and points to a live ethtool_channels,
    // which the kernel fills in for ETHTOOL_GCHANNELS; fd is open.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCETHTOOL as _, &mut request) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(channels)
}

// ---- rtnetlink ----

/// `RTM_GETLINK`, `RTM_NEWLINK` (include/uapi/linux/rtnetlink.h).
const RTM_GETLINK: u16 = 18;
const RTM_NEWLINK: u16 = 16;
/// `IFLA_NUM_TX_QUEUES`, `IFLA_NUM_RX_QUEUES` (include/uapi/linux/if_link.h).
const IFLA_NUM_TX_QUEUES: u16 = 31;
const IFLA_NUM_RX_QUEUES: u16 = 32;
/// `sizeof(struct ifinfomsg)`: family, pad, type, index, flags, change.
const IFINFOMSG_LEN: usize = 16;

/// The device's queues as rtnetlink reports them: the larger of `IFLA_NUM_RX_QUEUES` and
/// `IFLA_NUM_TX_QUEUES`, the queues the device was created with (see the module's
/// documentation on why that is an upper bound).
pub(crate) fn rtnetlink_queues(ifindex: u32) -> io::Result<u32> {
    let index = device_index(ifindex)?;
    // struct ifinfomsg: AF_UNSPEC, the index, the rest 0.
    let mut request = [0u8; IFINFOMSG_LEN];
    request[4..8].copy_from_slice(&index.to_ne_bytes());
    let mut queues = None;
    netlink::request(libc::NETLINK_ROUTE, RTM_GETLINK, 0, &request, |message| {
        if message.kind == RTM_NEWLINK {
            queues = Some(link_queues(message.payload, index)?);
        }
        Ok(())
    })?;
    queues.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("rtnetlink did not answer for device {ifindex}"),
        )
    })
}

/// The queues in an `RTM_NEWLINK` message (`payload`: struct ifinfomsg, then attributes) about
/// device `index`.
fn link_queues(payload: &[u8], index: i32) -> io::Result<u32> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let answered = netlink::u32_at(payload, 4).map(|i| i as i32);
    if answered != Some(index) {
        return Err(invalid(format!(
            "rtnetlink answered about device {answered:?} when asked about {index}"
        )));
    }
    let (mut rx, mut tx) = (None, None);
    for (kind, value) in netlink::attributes(payload.get(IFINFOMSG_LEN..).unwrap_or_default()) {
        match kind {
            IFLA_NUM_RX_QUEUES => rx = netlink::u32_at(value, 0),
            IFLA_NUM_TX_QUEUES => tx = netlink::u32_at(value, 0),
            _ => {}
        }
    }
    match rx.max(tx) {
        Some(queues) if queues > 0 => Ok(queues),
        _ => Err(invalid(format!(
            "rtnetlink gave no IFLA_NUM_RX_QUEUES or IFLA_NUM_TX_QUEUES for device {index}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::tests::attribute;

    fn link_message(index: i32, attrs: &[(u16, u32)]) -> Vec<u8> {
        let mut m = vec![0u8; IFINFOMSG_LEN];
        m[4..8].copy_from_slice(&index.to_ne_bytes());
        for (kind, value) in attrs {
            m.extend(attribute(*kind, &value.to_ne_bytes()));
        }
        m
    }

    #[test]
    fn link_queues_takes_the_larger_count() {
        let m = link_message(
            7,
            &[(3, 0), (IFLA_NUM_TX_QUEUES, 2), (IFLA_NUM_RX_QUEUES, 5)],
        );
        assert_eq!(link_queues(&m, 7).unwrap(), 5);
        let m = link_message(7, &[(IFLA_NUM_TX_QUEUES, 4)]);
        assert_eq!(link_queues(&m, 7).unwrap(), 4);
    }

    #[test]
    fn link_queues_refuses_odd_answers() {
        // Another device, no counts, zero counts, a cut ifinfomsg, a cut attribute.
        let m = link_message(8, &[(IFLA_NUM_RX_QUEUES, 5)]);
        assert!(link_queues(&m, 7).is_err());
        assert!(link_queues(&link_message(7, &[]), 7).is_err());
        let m = link_message(7, &[(IFLA_NUM_RX_QUEUES, 0), (IFLA_NUM_TX_QUEUES, 0)]);
        assert!(link_queues(&m, 7).is_err());
        assert!(link_queues(&[0, 0, 0, 0, 7], 7).is_err());
        let mut m = link_message(7, &[]);
        m.extend(attribute(IFLA_NUM_RX_QUEUES, &[1, 0]));
        assert!(link_queues(&m, 7).is_err());
        for len in 0..=IFINFOMSG_LEN + 8 {
            let m = link_message(7, &[(IFLA_NUM_RX_QUEUES, 5)]);
            let _ = link_queues(&m[..len.min(m.len())], 7);
        }
    }

    #[test]
    fn channels_count_combined_ones_for_both_directions() {
        let c = |rx, tx, combined| EthtoolChannels {
            rx_count: rx,
            tx_count: tx,
            combined_count: combined,
            ..EthtoolChannels::default()
        };
        // veth: RX and TX queues, no combined channels.
        assert_eq!(c(3, 1, 0).queues(), Some(3));
        // Most NICs: combined channels only.
        assert_eq!(c(0, 0, 8).queues(), Some(8));
        assert_eq!(c(2, 0, 4).queues(), Some(6));
        assert_eq!(c(0, 0, 0).queues(), None);
        assert_eq!(c(u32::MAX, 0, 1).queues(), Some(u32::MAX));
    }

    #[test]
    fn index_zero_and_beyond_int_are_no_device() {
        for ifindex in [0, 1 << 31, u32::MAX] {
            for result in [
                ethtool_queues(ifindex).map(|_| 0),
                rtnetlink_queues(ifindex),
                bindable_queues(ifindex).map(|c| c.queues),
            ] {
                assert_eq!(result.unwrap_err().raw_os_error(), Some(libc::ENODEV));
            }
        }
    }

    #[test]
    fn sources_name_themselves() {
        assert!(QueueCountSource::EthtoolChannels
            .to_string()
            .contains("ETHTOOL_GCHANNELS"));
        assert!(QueueCountSource::Rtnetlink
            .to_string()
            .contains("IFLA_NUM_RX_QUEUES"));
    }

    // ---- Against the kernel (root): devices in namespaces made for the test ----

    use std::process::Command;
    use std::time::{Duration, Instant};

    use xdp_netns_harness::require_root;

    use crate::test_sockets::{small_socket, small_umem};
    use crate::{Error, Netns};

    /// An ifindex both scratch namespaces use for their own device.
    const SHARED_INDEX: u32 = 7;

    /// A network namespace for one test (`ip netns add`), deleted on drop. Devices made in it
    /// start without IPv6, so nothing but the test talks on them.
    struct ScratchNetns {
        name: String,
    }

    impl ScratchNetns {
        fn new(tag: &str) -> ScratchNetns {
            let ns = ScratchNetns {
                name: format!("xqc-{}-{tag}", std::process::id()),
            };
            run("ip", &["netns", "add", &ns.name]);
            ns.exec(&["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
            ns
        }

        /// Run `command` inside the namespace (`ip netns exec`).
        fn exec(&self, command: &[&str]) {
            if let Err(e) = self.try_exec(command) {
                panic!("{e}");
            }
        }

        /// Like [`ScratchNetns::exec`]; the failure's text instead of a panic.
        fn try_exec(&self, command: &[&str]) -> Result<(), String> {
            let mut args = vec!["netns", "exec", &self.name];
            args.extend_from_slice(command);
            try_run("ip", &args)
        }

        fn netns(&self) -> Netns {
            Netns::named(&self.name).expect("scratch namespace")
        }
    }

    impl Drop for ScratchNetns {
        fn drop(&mut self) {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.name])
                .status();
        }
    }

    fn run(program: &str, args: &[&str]) {
        if let Err(e) = try_run(program, args) {
            panic!("{e}");
        }
    }

    fn try_run(program: &str, args: &[&str]) -> Result<(), String> {
        let out = Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        match out.status.success() {
            true => Ok(()),
            false => Err(format!(
                "{program} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        }
    }

    /// A veth pair across two namespaces, both ends with ifindex [`SHARED_INDEX`]: `xqa` in `a`
    /// with `a_queues` (RX, TX), `xqb` in `b` with `b_queues`.
    fn veth_across(a: &ScratchNetns, a_queues: (u32, u32), b: &ScratchNetns, b_queues: (u32, u32)) {
        let (index, a_rx, a_tx, b_rx, b_tx) = (
            SHARED_INDEX.to_string(),
            a_queues.0.to_string(),
            a_queues.1.to_string(),
            b_queues.0.to_string(),
            b_queues.1.to_string(),
        );
        #[rustfmt::skip]
        run("ip", &[
            "-n", &a.name, "link", "add", "xqa", "index", &index,
            "numrxqueues", &a_rx, "numtxqueues", &a_tx, "type", "veth",
            "peer", "name", "xqb", "netns", &b.name, "index", &index,
            "numrxqueues", &b_rx, "numtxqueues", &b_tx,
        ]);
    }

    /// Whether the running kernel is at least `major.minor` (veth has `ETHTOOL_GCHANNELS` from
    /// 5.13 on).
    fn kernel_at_least(major: u32, minor: u32) -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
        let mut numbers = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let running = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
        running >= (major, minor)
    }

    #[test]
    fn each_namespace_counts_its_own_device() {
        if !require_root("each_namespace_counts_its_own_device") {
            return;
        }
        let (a, b) = (ScratchNetns::new("own-a"), ScratchNetns::new("own-b"));
        veth_across(&a, (3, 3), &b, (5, 2));
        let veth_has_channels = kernel_at_least(5, 13);
        for (ns, want) in [(&a, 3), (&b, 5)] {
            let _inside = ns.netns().enter_scoped().expect("enter");
            assert_eq!(rtnetlink_queues(SHARED_INDEX).unwrap(), want, "{}", ns.name);
            let channels = ethtool_queues(SHARED_INDEX).unwrap();
            assert_eq!(channels, veth_has_channels.then_some(want), "{}", ns.name);
            let count = bindable_queues(SHARED_INDEX).unwrap();
            let source = match veth_has_channels {
                true => QueueCountSource::EthtoolChannels,
                false => QueueCountSource::Rtnetlink,
            };
            assert_eq!(
                count,
                QueueCount {
                    queues: want,
                    source
                },
                "{}",
                ns.name
            );
        }
    }

    #[test]
    fn a_missing_device_is_enodev() {
        if !require_root("a_missing_device_is_enodev") {
            return;
        }
        let a = ScratchNetns::new("missing");
        let _inside = a.netns().enter_scoped().expect("enter");
        // A fresh namespace has lo (1) and nothing else.
        assert_eq!(
            ethtool_queues(4242).unwrap_err().raw_os_error(),
            Some(libc::ENODEV)
        );
        assert_eq!(
            rtnetlink_queues(4242).unwrap_err().raw_os_error(),
            Some(libc::ENODEV)
        );
        assert_eq!(
            bindable_queues(4242).unwrap_err().raw_os_error(),
            Some(libc::ENODEV)
        );
        let lo = bindable_queues(1).unwrap();
        assert_eq!(lo.queues, 1, "{lo:?}");
    }

    #[test]
    fn devices_without_channels_are_counted_by_rtnetlink() {
        if !require_root("devices_without_channels_are_counted_by_rtnetlink") {
            return;
        }
        let a = ScratchNetns::new("bridge");
        // A bridge has no ETHTOOL_GCHANNELS on any kernel (nor has dummy, which not every
        // kernel has).
        #[rustfmt::skip]
        run("ip", &[
            "-n", &a.name, "link", "add", "xqbr", "index", "9",
            "numrxqueues", "4", "numtxqueues", "2", "type", "bridge",
        ]);
        let _inside = a.netns().enter_scoped().expect("enter");
        assert_eq!(ethtool_queues(9).unwrap(), None);
        assert_eq!(
            bindable_queues(9).unwrap(),
            QueueCount {
                queues: 4,
                source: QueueCountSource::Rtnetlink
            }
        );
    }

    /// Bind AF_XDP sockets on `queues` of `xqa` in `a` (one UMEM, no XDP program): the bind's
    /// result for each. A queue that is busy (a closed socket's, not released yet) is tried
    /// again for up to 5 s.
    fn bind_results(a: &ScratchNetns, queues: &[u32]) -> Vec<crate::Result<()>> {
        let ns = a.netns();
        let umem = small_umem(&ns).expect("UMEM");
        let mut sockets = Vec::new();
        let results = queues
            .iter()
            .map(|&queue| {
                let started = Instant::now();
                loop {
                    // The kernel's own answer, not the builder's check that uses the count.
                    let socket = small_socket("xqa", queue, &ns)
                        .and_then(|b| b.skip_queue_check().build(&umem));
                    match socket {
                        Err(Error::QueueBusy { .. })
                            if started.elapsed() < Duration::from_secs(5) =>
                        {
                            std::thread::sleep(Duration::from_millis(1))
                        }
                        built => break built.map(|socket| sockets.push(socket)),
                    }
                }
            })
            .collect();
        drop(sockets);
        results
    }

    fn is_einval(result: &crate::Result<()>) -> bool {
        matches!(result, Err(e @ Error::SocketCreate { .. }) if e.raw_os_error() == Some(libc::EINVAL))
    }

    #[test]
    fn the_count_is_what_bind_accepts() {
        if !require_root("the_count_is_what_bind_accepts") {
            return;
        }
        let (a, b) = (ScratchNetns::new("bind-a"), ScratchNetns::new("bind-b"));
        veth_across(&a, (3, 1), &b, (1, 3));
        let count = {
            let _inside = a.netns().enter_scoped().expect("enter");
            bindable_queues(SHARED_INDEX).unwrap()
        };
        assert_eq!(count.queues, 3, "{count:?}");
        let results = bind_results(&a, &[0, 2, 3]);
        assert!(results[0].is_ok() && results[1].is_ok(), "{results:?}");
        assert!(is_einval(&results[2]), "{results:?}");

        if !kernel_at_least(5, 13) {
            return;
        }
        // With fewer channels in use than the device was made with, only ethtool knows: bind
        // refuses queue 1 while rtnetlink still says 3.
        // ethtool refuses while queue 2 still has a buffer pool: the kernel releases it in
        // deferred work after the socket is closed.
        let (started, mut attempts) = (Instant::now(), 1);
        while let Err(e) = a.try_exec(&["ethtool", "-L", "xqa", "rx", "1", "tx", "1"]) {
            assert!(
                e.contains("AF_XDP") && started.elapsed() < Duration::from_secs(5),
                "{e}"
            );
            std::thread::sleep(Duration::from_millis(1));
            attempts += 1;
        }
        eprintln!(
            "the_count_is_what_bind_accepts: ethtool -L passed on attempt {attempts} after \
             {:?} (it refuses while closed AF_XDP sockets' queues are being released)",
            started.elapsed()
        );
        {
            let _inside = a.netns().enter_scoped().expect("enter");
            assert_eq!(
                bindable_queues(SHARED_INDEX).unwrap(),
                QueueCount {
                    queues: 1,
                    source: QueueCountSource::EthtoolChannels
                }
            );
            assert_eq!(rtnetlink_queues(SHARED_INDEX).unwrap(), 3);
        }
        let results = bind_results(&a, &[0, 1]);
        assert!(results[0].is_ok(), "{results:?}");
        assert!(is_einval(&results[1]), "{results:?}");
    }
}
