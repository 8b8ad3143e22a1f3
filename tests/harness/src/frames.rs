//! Recognisable test frames, sent with an `AF_PACKET` socket from inside a namespace.
//!
//! Layout (60 bytes, the Ethernet minimum without FCS):
//! broadcast destination, source `02:78:64:70:00:TAG`, EtherType [`ETHERTYPE`], then
//! [`MAGIC`], the tag byte, the sequence number (u32, big endian) and zero padding.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::NetnsGuard;

/// IEEE 802 local experimental EtherType 2; nothing else on the test devices uses it.
pub const ETHERTYPE: u16 = 0x88B5;
/// Marks the payload of a test frame.
pub const MAGIC: [u8; 8] = *b"XDPNETNS";
/// Length of every test frame.
pub const FRAME_LEN: usize = 60;

const HEADER_LEN: usize = 14;
const TAG_OFFSET: usize = HEADER_LEN + MAGIC.len();
const SEQ_OFFSET: usize = TAG_OFFSET + 1;

/// A test frame's identity: which stream (`tag`) and which frame of it (`seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TestFrame {
    /// Which stream the frame belongs to (e.g. one tag per destination device).
    pub tag: u8,
    /// Position of the frame in its stream.
    pub seq: u32,
}

impl TestFrame {
    /// The frame's bytes.
    pub fn encode(&self) -> [u8; FRAME_LEN] {
        let mut f = [0u8; FRAME_LEN];
        f[0..6].copy_from_slice(&[0xff; 6]);
        f[6..12].copy_from_slice(&[0x02, 0x78, 0x64, 0x70, 0x00, self.tag]);
        f[12..14].copy_from_slice(&ETHERTYPE.to_be_bytes());
        f[HEADER_LEN..TAG_OFFSET].copy_from_slice(&MAGIC);
        f[TAG_OFFSET] = self.tag;
        f[SEQ_OFFSET..SEQ_OFFSET + 4].copy_from_slice(&self.seq.to_be_bytes());
        f
    }

    /// Recognise a test frame in `data` (a received packet); `None` for anything else.
    pub fn parse(data: &[u8]) -> Option<TestFrame> {
        if data.len() < SEQ_OFFSET + 4
            || data[12..14] != ETHERTYPE.to_be_bytes()
            || data[HEADER_LEN..TAG_OFFSET] != MAGIC
        {
            return None;
        }
        let seq = u32::from_be_bytes(data[SEQ_OFFSET..SEQ_OFFSET + 4].try_into().ok()?);
        Some(TestFrame {
            tag: data[TAG_OFFSET],
            seq,
        })
    }
}

/// Sends test frames on one device through an `AF_PACKET` socket.
///
/// The socket is created inside the device's namespace and stays bound to it, so sending needs
/// no namespace switch afterwards.
#[derive(Debug)]
pub struct FrameSender {
    fd: OwnedFd,
    addr: libc::sockaddr_ll,
    device: String,
}

impl FrameSender {
    /// A sender on `device`, which lives in the namespace `ns` (`None`: the current one).
    pub fn new(ns: Option<&str>, device: &str) -> io::Result<FrameSender> {
        let _guard = NetnsGuard::enter_opt(ns)?;
        let name = std::ffi::CString::new(device)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in device name"))?;
        // SAFETY: name is a valid NUL-terminated string for the duration of the call.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("device {device} in namespace {ns:?}: {e}"),
            ));
        }
        // Protocol 0: the socket only sends and never queues received frames.
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // Bypassing the qdisc makes the kernel pick the TX queue from the sending CPU
        // (packet_pick_tx_queue: CPU modulo the number of TX queues), which
        // [`FrameSender::send_burst_from_cpu`] uses to spread frames over the queues.
        let one: libc::c_int = 1;
        // SAFETY: `one` is a valid c_int for the length given; fd is open.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_QDISC_BYPASS,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = ETHERTYPE.to_be();
        addr.sll_ifindex = ifindex as i32;
        addr.sll_halen = 6;
        addr.sll_addr[..6].copy_from_slice(&[0xff; 6]);
        Ok(FrameSender {
            fd,
            addr,
            device: device.to_owned(),
        })
    }

    /// Send one frame.
    pub fn send(&self, frame: TestFrame) -> io::Result<()> {
        let bytes = frame.encode();
        loop {
            // SAFETY: bytes and addr are valid for the lengths given; fd is open.
            let n = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    0,
                    (&self.addr as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                )
            };
            if n == bytes.len() as isize {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            // A full device queue: wait a little and try again rather than lose the frame.
            if n < 0 && matches!(e.raw_os_error(), Some(libc::ENOBUFS) | Some(libc::EAGAIN)) {
                std::thread::sleep(std::time::Duration::from_micros(100));
                continue;
            }
            return Err(io::Error::new(
                e.kind(),
                format!("sending on {}: {e}", self.device),
            ));
        }
    }

    /// Send frames `tag`/`first_seq .. first_seq + count`.
    pub fn send_burst(&self, tag: u8, first_seq: u32, count: u32) -> io::Result<()> {
        (first_seq..first_seq + count).try_for_each(|seq| self.send(TestFrame { tag, seq }))
    }

    /// Like [`FrameSender::send_burst`], with the calling thread pinned to the `n`th CPU it may
    /// run on (modulo their number) for the duration; its affinity is restored afterwards.
    ///
    /// A veth's peer receives a frame on the RX queue with the number of the TX queue it was
    /// sent on, and with the qdisc bypassed that TX queue is the CPU number modulo the number of
    /// queues, so bursts from different CPUs reach different queues (when there are several
    /// CPUs and no XPS configuration on the device).
    pub fn send_burst_from_cpu(
        &self,
        n: usize,
        tag: u8,
        first_seq: u32,
        count: u32,
    ) -> io::Result<()> {
        let original = get_affinity()?;
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            // SAFETY: i is below CPU_SETSIZE, the size of the set.
            .filter(|&i| unsafe { libc::CPU_ISSET(i, &original) })
            .collect();
        if cpus.len() <= 1 {
            return self.send_burst(tag, first_seq, count);
        }
        // SAFETY: cpu_set_t is plain old data; all-zero is the empty set.
        let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the CPU number comes from the set above, so it is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpus[n % cpus.len()], &mut one) };
        set_affinity(&one)?;
        let result = self.send_burst(tag, first_seq, count);
        set_affinity(&original)?;
        result
    }

    /// Number of CPUs the calling thread may run on.
    pub fn cpus() -> io::Result<usize> {
        let set = get_affinity()?;
        // SAFETY: set is a valid cpu_set_t.
        Ok(unsafe { libc::CPU_COUNT(&set) } as usize)
    }

    /// The device this sender sends on.
    pub fn device(&self) -> &str {
        &self.device
    }
}

fn get_affinity() -> io::Result<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain old data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: set is valid for writes of the size given; pid 0 is the calling thread.
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(set)
}

fn set_affinity(set: &libc::cpu_set_t) -> io::Result<()> {
    // SAFETY: set is a valid cpu_set_t of the size given; pid 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(set), set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_parse_round_trip() {
        let f = TestFrame {
            tag: 7,
            seq: 0xdead_beef,
        };
        let bytes = f.encode();
        assert_eq!(bytes.len(), FRAME_LEN);
        assert_eq!(TestFrame::parse(&bytes), Some(f));
        assert_eq!(TestFrame::parse(&bytes[..20]), None);
        let mut other = bytes;
        other[12] = 0x08;
        assert_eq!(TestFrame::parse(&other), None);
        let mut other = bytes;
        other[HEADER_LEN] ^= 1;
        assert_eq!(TestFrame::parse(&other), None);
    }
}
