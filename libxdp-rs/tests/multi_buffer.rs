//! Packets larger than a frame (`BindFlags::multi_buffer`, `XDP_USE_SG`, Linux 6.6+), needs
//! root: 9000-byte packets sent from `outer` (root namespace) as three frames each and received
//! on `inner` (another namespace, equal ifindex) as several frames each, on veths with an MTU
//! of 9000, with libxdp's default program in native mode on `inner`. Every packet must arrive
//! whole, in order, byte for byte.

use std::process::Command;
use std::time::{Duration, Instant};

use libxdp_rs::{BindFlags, Frame, Netns, Socket, Umem};
use xdp_netns_harness::{require_root, skip, Topology};

const PACKETS: u32 = 100;
const PACKET_LEN: usize = 9000;
const MTU: &str = "9000";

/// The kernel's version as (major, minor).
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Byte `i` of test packet `seq`: an Ethernet header (broadcast, our source, EtherType
/// 0x88B5), then bytes that differ with `seq` and the position.
fn packet_byte(seq: u32, i: usize) -> u8 {
    const HEADER: [u8; 14] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x78, 0x64, 0x70, 0x02, 0x00, 0x88, 0xb5,
    ];
    match HEADER.get(i) {
        Some(&b) => b,
        None => (seq as usize * 7 + i * 13 + i / 251) as u8,
    }
}

fn set_mtu(ns: Option<&str>, dev: &str) {
    let mut cmd = Command::new("ip");
    if let Some(ns) = ns {
        cmd.args(["-n", ns]);
    }
    let out = cmd
        .args(["link", "set", "dev", dev, "mtu", MTU])
        .output()
        .expect("ip link set mtu");
    assert!(out.status.success(), "mtu {MTU} on {dev}: {out:?}");
}

/// Frames from `free` holding packet `seq`, all but the last marked as continued.
fn packet_frames(umem: &Umem, free: &mut Vec<Frame>, seq: u32) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < PACKET_LEN {
        let mut f = free.pop().expect("a free frame");
        let n = (PACKET_LEN - at).min(f.capacity() as usize);
        for (k, b) in umem.buffer_mut(&mut f)[..n].iter_mut().enumerate() {
            *b = packet_byte(seq, at + k);
        }
        f.set_len(n as u32).unwrap();
        at += n;
        f.set_continues(at < PACKET_LEN);
        frames.push(f);
    }
    frames
}

#[test]
fn jumbo_packets_span_frames_both_ways() {
    if !require_root("jumbo_packets_span_frames_both_ways") {
        return;
    }
    if kernel_version() < (6, 6) {
        skip(
            "jumbo_packets_span_frames_both_ways",
            "XDP_USE_SG needs Linux 6.6",
        );
        return;
    }
    let _ = env_logger::builder().is_test(true).try_init();
    let topo = Topology::up(1).expect("topology up");
    set_mtu(None, topo.outer_dev());
    set_mtu(Some(topo.inner_ns()), topo.inner_dev());
    let sg = BindFlags {
        copy: true,
        multi_buffer: true,
        ..BindFlags::default()
    };

    // The receiver: inner, its own UMEM in its namespace, libxdp's default program.
    let inner = Netns::named(topo.inner_ns()).expect("inner namespace");
    let (rx_umem, mut rx_free) = Umem::builder()
        .frame_count(1024)
        .netns(inner.try_clone().unwrap())
        .build()
        .expect("receiver's UMEM");
    let receiver = Socket::builder(topo.inner_dev(), 0)
        .netns(inner)
        .tx(false)
        .bind_flags(sg)
        .build(&rx_umem)
        .unwrap_or_else(|e| panic!("multi-buffer socket with the default program: {e}"))
        .split();
    let (mut fill, mut rx) = (receiver.fill, receiver.rx.unwrap());
    fill.produce(&mut rx_free);

    // The sender: outer, TX only.
    let (tx_umem, mut tx_free) = Umem::builder()
        .frame_count(1024)
        .comp_size(1024)
        .build()
        .expect("sender's UMEM");
    let sender = Socket::builder(topo.outer_dev(), 0)
        .rx(false)
        .tx_size(1024)
        .bind_flags(sg)
        .build(&tx_umem)
        .expect("multi-buffer TX socket")
        .split();
    let (mut tx, mut comp) = (sender.tx.unwrap(), sender.comp);
    let mut queued = Vec::new();
    for seq in 0..PACKETS {
        queued.extend(packet_frames(&tx_umem, &mut tx_free, seq));
    }
    assert_eq!(
        queued.len(),
        3 * PACKETS as usize,
        "4096-byte frames: 3 a packet"
    );
    assert_eq!(tx.produce(&mut queued), 3 * PACKETS as usize);

    // Receive whole packets, kicking the sender meanwhile.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut frames_per_packet = Vec::new();
    let (mut current, mut current_frames) = (Vec::new(), 0);
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while packets.len() < PACKETS as usize && Instant::now() < deadline {
        tx.kick().expect("kick");
        comp.consume(&mut tx_free, usize::MAX);
        rx.poll(10).expect("poll");
        rx.consume_packets(&mut got, 64);
        for f in got.drain(..) {
            current.extend_from_slice(rx_umem.data(&f));
            current_frames += 1;
            let ends = !f.continues();
            rx_free.push(f);
            if ends {
                packets.push(std::mem::take(&mut current));
                frames_per_packet.push(std::mem::take(&mut current_frames));
            }
        }
        assert!(current.is_empty(), "consume_packets gave part of a packet");
        fill.produce(&mut rx_free);
    }
    let stats = rx.statistics().expect("statistics");
    assert_eq!(
        packets.len(),
        PACKETS as usize,
        "packets received; {stats:?}"
    );
    for (seq, packet) in packets.iter().enumerate() {
        assert_eq!(packet.len(), PACKET_LEN, "packet {seq}");
        let differs = (0..PACKET_LEN).find(|&i| packet[i] != packet_byte(seq as u32, i));
        assert_eq!(differs, None, "packet {seq} differs at that byte");
    }
    // Received into 4096-byte frames after the kernel's 256 of headroom: 3840 + 3840 + 1320.
    assert!(
        frames_per_packet.iter().all(|&n| n == 3),
        "frames per packet: {frames_per_packet:?}"
    );
}
