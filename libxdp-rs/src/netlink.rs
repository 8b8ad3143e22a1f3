//! One netlink request and its answer, asked in the calling thread's network namespace.
//!
//! A netlink socket belongs to the namespace of the thread that creates it, and the kernel
//! answers about that namespace only; so does everything built on [`request`]. (sysfs, by
//! contrast, shows the namespace it was mounted in.)
//!
//! The answer is parsed with bounds checks throughout: a malformed message is an error, a
//! malformed attribute ends the attribute list; nothing here panics on odd input.

use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

// Kernel ABI (include/uapi/linux/netlink.h), spelled out because libc 0.2 releases disagree
// on which of these they export, and with which integer types.
const NLMSG_HDRLEN: usize = 16;
/// A request (set on every message we send).
const NLM_F_REQUEST: u16 = 0x1;
/// One part of a multi-part answer, which ends with `NLMSG_DONE`.
const NLM_F_MULTI: u16 = 0x2;
const NLMSG_ERROR: u16 = 0x2;
const NLMSG_DONE: u16 = 0x3;
/// The attribute type without the nested and byte-order flags.
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLA_HDRLEN: usize = 4;
/// Our requests' sequence number; each request has a socket of its own, so one suffices.
const SEQ: u32 = 1;

/// Netlink aligns messages and attributes to 4 bytes.
fn align4(len: usize) -> usize {
    len.saturating_add(3) & !3
}

/// The native-endian `u32` at `at` in `bytes`, if all of it is there.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    Some(u32::from_ne_bytes(bytes.get(at..end)?.try_into().ok()?))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    Some(u16::from_ne_bytes(bytes.get(at..end)?.try_into().ok()?))
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("malformed netlink answer: {what}"),
    )
}

/// One message of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    /// `nlmsg_type`, e.g. `RTM_NEWLINK`.
    pub(crate) kind: u16,
    flags: u16,
    seq: u32,
    /// What follows the 16-byte header.
    pub(crate) payload: &'a [u8],
}

/// The messages of one datagram; a message that does not fit is an error that ends the
/// iteration.
struct Messages<'a> {
    rest: &'a [u8],
}

/// The message at the start of `bytes` and the bytes it takes with its padding, if it fits.
fn first_message(bytes: &[u8]) -> Option<(Message<'_>, usize)> {
    let len = u32_at(bytes, 0)? as usize;
    if len < NLMSG_HDRLEN || len > bytes.len() {
        return None;
    }
    let message = Message {
        kind: u16_at(bytes, 4)?,
        flags: u16_at(bytes, 6)?,
        seq: u32_at(bytes, 8)?,
        payload: &bytes[NLMSG_HDRLEN..len],
    };
    // The last message of a datagram may come without its padding.
    Some((message, align4(len).min(bytes.len())))
}

impl<'a> Iterator for Messages<'a> {
    type Item = io::Result<Message<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match first_message(self.rest) {
            Some((message, used)) => {
                self.rest = &self.rest[used..];
                Some(Ok(message))
            }
            None => {
                let left = self.rest.len();
                self.rest = &[];
                Some(Err(malformed(&format!(
                    "a message header does not fit the {left} bytes left"
                ))))
            }
        }
    }
}

/// The attributes (type without flags, payload) in `bytes`, which start at an attribute
/// header; the iteration ends at the first attribute that does not fit.
pub(crate) fn attributes(bytes: &[u8]) -> Attributes<'_> {
    Attributes { rest: bytes }
}

/// See [`attributes`].
pub(crate) struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let len = u16_at(self.rest, 0)? as usize;
        let kind = u16_at(self.rest, 2)? & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        self.rest = &self.rest[align4(len).min(self.rest.len())..];
        Some((kind, payload))
    }
}

/// Where the answer stands after one datagram.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    More,
    Complete,
}

/// Hand the messages of one datagram of the answer to `on_message`; the answer is complete at
/// `NLMSG_DONE`, an error message (the kernel's error), or a message that is not part of a
/// multi-part answer.
fn read_datagram(
    datagram: &[u8],
    on_message: &mut dyn FnMut(Message<'_>) -> io::Result<()>,
) -> io::Result<Progress> {
    if datagram.is_empty() {
        return Err(malformed("an empty datagram"));
    }
    for message in (Messages { rest: datagram }) {
        let message = message?;
        if message.seq != SEQ {
            continue;
        }
        match message.kind {
            NLMSG_ERROR => {
                let errno = u32_at(message.payload, 0)
                    .ok_or_else(|| malformed("an error message without its error"))?
                    as i32;
                // 0 is an acknowledgement.
                return match errno {
                    0 => Ok(Progress::Complete),
                    e => Err(io::Error::from_raw_os_error(e.saturating_neg())),
                };
            }
            NLMSG_DONE => {
                // A dump that failed half way says so here (older kernels send no payload).
                return match u32_at(message.payload, 0).map(|v| v as i32) {
                    Some(e) if e < 0 => Err(io::Error::from_raw_os_error(e.saturating_neg())),
                    _ => Ok(Progress::Complete),
                };
            }
            _ => {
                on_message(message)?;
                if message.flags & NLM_F_MULTI == 0 {
                    return Ok(Progress::Complete);
                }
            }
        }
    }
    Ok(Progress::More)
}

/// Send one request of type `kind` (`flags`: e.g. a dump's; `NLM_F_REQUEST` is added)
/// with `payload` on a new netlink socket of `protocol` (e.g. `NETLINK_ROUTE`), and hand every
/// message of the answer to `on_message`, in order. The kernel's error (`NLMSG_ERROR`) is
/// returned as the `io::Error` of its errno.
pub(crate) fn request(
    protocol: libc::c_int,
    kind: u16,
    flags: u16,
    payload: &[u8],
    mut on_message: impl FnMut(Message<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let socket = open(protocol)?;
    send(socket.as_fd(), kind, flags | NLM_F_REQUEST, payload)?;
    // The kernel queues its answer (a dump: its first part, the rest as we read) before the
    // send returns, so the receive below never waits for long.
    while read_datagram(&receive(socket.as_fd())?, &mut on_message)? == Progress::More {}
    Ok(())
}

fn open(protocol: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) call; the result is checked before use.
    let raw = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// A netlink message: header (port 0: the kernel fills in the sender's), payload, padding.
fn encode(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> io::Result<Vec<u8>> {
    let len = NLMSG_HDRLEN + payload.len();
    let len32 = u32::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EMSGSIZE))?;
    let mut message = Vec::with_capacity(align4(len));
    message.extend_from_slice(&len32.to_ne_bytes());
    message.extend_from_slice(&kind.to_ne_bytes());
    message.extend_from_slice(&flags.to_ne_bytes());
    message.extend_from_slice(&seq.to_ne_bytes());
    message.extend_from_slice(&0u32.to_ne_bytes());
    message.extend_from_slice(payload);
    message.resize(align4(len), 0);
    Ok(message)
}

fn send(fd: BorrowedFd<'_>, kind: u16, flags: u16, payload: &[u8]) -> io::Result<()> {
    let message = encode(kind, flags, SEQ, payload)?;
    // An unconnected netlink socket sends to the kernel.
    // SAFETY: message is valid for reads of its length; fd is open.
    let sent = unsafe { libc::send(fd.as_raw_fd(), message.as_ptr().cast(), message.len(), 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    if sent as usize != message.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "netlink request sent in part",
        ));
    }
    Ok(())
}

/// The next datagram from the kernel, whole: its length is asked first (`MSG_PEEK |
/// MSG_TRUNC`), as a device's link message has no fixed size. Datagrams from other processes
/// (port id other than 0) are dropped.
fn receive(fd: BorrowedFd<'_>) -> io::Result<Vec<u8>> {
    loop {
        // SAFETY: a null buffer of length 0 is valid; MSG_TRUNC makes the kernel return the
        // datagram's real length, MSG_PEEK leaves it queued.
        let len = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                std::ptr::null_mut(),
                0,
                libc::MSG_PEEK | libc::MSG_TRUNC,
            )
        };
        if len < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let mut datagram = vec![0u8; len as usize];
        // SAFETY: sockaddr_nl is plain old data; all zeroes is a valid value.
        let mut from: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        let mut from_len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: datagram is valid for writes of its length, from and from_len for writes of
        // a sockaddr_nl and its length; fd is open.
        let got = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                datagram.as_mut_ptr().cast(),
                datagram.len(),
                0,
                (&mut from as *mut libc::sockaddr_nl).cast(),
                &mut from_len,
            )
        };
        if got < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if from.nl_pid != 0 {
            continue;
        }
        datagram.truncate(got as usize);
        return Ok(datagram);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A message as the kernel would lay it out.
    fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        encode(kind, flags, seq, payload).expect("a small message")
    }

    /// An attribute as the kernel would lay it out (padded to 4 bytes).
    pub(crate) fn attribute(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((NLA_HDRLEN + payload.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(payload);
        a.resize(align4(a.len()), 0);
        a
    }

    fn collect(datagram: &[u8]) -> (io::Result<Progress>, Vec<(u16, Vec<u8>)>) {
        let mut seen = Vec::new();
        let progress = read_datagram(datagram, &mut |m| {
            seen.push((m.kind, m.payload.to_vec()));
            Ok(())
        });
        (progress, seen)
    }

    #[test]
    fn attributes_are_bounds_checked() {
        let mut bytes = attribute(1, &7u32.to_ne_bytes());
        bytes.extend(attribute(2 | 0x8000, b"abc"));
        let all: Vec<_> = attributes(&bytes).collect();
        assert_eq!(all, vec![(1, &7u32.to_ne_bytes()[..]), (2, &b"abc"[..])]);

        // A length beyond the buffer, below the header, or a cut header: the list ends there.
        let mut long = attribute(3, &[1, 2, 3, 4]);
        long[0] = 200;
        assert_eq!(attributes(&long).count(), 0);
        let mut short = attribute(3, &[]);
        short[0] = 2;
        assert_eq!(attributes(&short).count(), 0);
        assert_eq!(attributes(&[8, 0, 1]).count(), 0);
        assert_eq!(attributes(&[]).count(), 0);
        // A good one before a bad one still counts; the last may lack its padding.
        let mut tail = attribute(1, &[9]);
        tail.extend_from_slice(&[255, 255, 1, 0]);
        assert_eq!(attributes(&tail).collect::<Vec<_>>(), vec![(1, &[9][..])]);
        assert_eq!(
            attributes(&[5, 0, 4, 0, 42]).collect::<Vec<_>>(),
            vec![(4, &[42][..])]
        );
    }

    #[test]
    fn u32_at_never_reads_past_the_end() {
        assert_eq!(
            u32_at(&[1, 0, 0, 0], 0),
            Some(u32::from_ne_bytes([1, 0, 0, 0]))
        );
        assert_eq!(u32_at(&[1, 0, 0], 0), None);
        assert_eq!(u32_at(&[1, 0, 0, 0], 1), None);
        assert_eq!(u32_at(&[], usize::MAX), None);
    }

    #[test]
    fn a_single_answer_is_complete() {
        let (progress, seen) = collect(&message(16, 0, SEQ, b"link"));
        assert_eq!(progress.unwrap(), Progress::Complete);
        assert_eq!(seen, vec![(16, b"link".to_vec())]);
    }

    #[test]
    fn a_dump_goes_on_until_done() {
        let mut first = message(20, NLM_F_MULTI, SEQ, b"one");
        first.extend(message(20, NLM_F_MULTI, SEQ, b"two"));
        let (progress, seen) = collect(&first);
        assert_eq!(progress.unwrap(), Progress::More);
        assert_eq!(seen.len(), 2);

        let (progress, seen) = collect(&message(NLMSG_DONE, NLM_F_MULTI, SEQ, &0i32.to_ne_bytes()));
        assert_eq!(progress.unwrap(), Progress::Complete);
        assert!(seen.is_empty());
        // Kernels that send an empty NLMSG_DONE.
        let (progress, _) = collect(&message(NLMSG_DONE, NLM_F_MULTI, SEQ, &[]));
        assert_eq!(progress.unwrap(), Progress::Complete);
        // A dump that failed half way.
        let done = message(NLMSG_DONE, NLM_F_MULTI, SEQ, &(-libc::EINTR).to_ne_bytes());
        assert_eq!(
            collect(&done).0.unwrap_err().raw_os_error(),
            Some(libc::EINTR)
        );
    }

    #[test]
    fn kernel_errors_carry_their_errno() {
        let mut payload = (-libc::ENODEV).to_ne_bytes().to_vec();
        payload.extend(message(18, NLM_F_REQUEST, SEQ, &[0; 16]));
        let (progress, _) = collect(&message(NLMSG_ERROR, 0, SEQ, &payload));
        assert_eq!(progress.unwrap_err().raw_os_error(), Some(libc::ENODEV));
        // An acknowledgement ends the answer.
        let (progress, _) = collect(&message(NLMSG_ERROR, 0, SEQ, &0i32.to_ne_bytes()));
        assert_eq!(progress.unwrap(), Progress::Complete);
        // An error message too short for its error.
        let (progress, _) = collect(&message(NLMSG_ERROR, 0, SEQ, &[1, 2]));
        assert_eq!(progress.unwrap_err().kind(), io::ErrorKind::InvalidData);
        // i32::MIN cannot be negated; it must not overflow either.
        let (progress, _) = collect(&message(NLMSG_ERROR, 0, SEQ, &i32::MIN.to_ne_bytes()));
        assert!(progress.is_err());
    }

    #[test]
    fn malformed_datagrams_are_errors() {
        let good = message(16, 0, SEQ, b"link");
        for bad in [
            Vec::new(),
            good[..10].to_vec(),
            {
                let mut m = good.clone();
                m[0] = 255; // longer than the datagram
                m
            },
            {
                let mut m = good.clone();
                m[0..4].copy_from_slice(&8u32.to_ne_bytes()); // shorter than a header
                m
            },
        ] {
            let (progress, seen) = collect(&bad);
            assert_eq!(
                progress.unwrap_err().kind(),
                io::ErrorKind::InvalidData,
                "{bad:?}"
            );
            assert!(seen.is_empty());
        }
    }

    #[test]
    fn other_requests_answers_are_skipped() {
        let mut datagram = message(16, NLM_F_MULTI, SEQ + 1, b"not ours");
        datagram.extend(message(16, 0, SEQ, b"ours"));
        let (progress, seen) = collect(&datagram);
        assert_eq!(progress.unwrap(), Progress::Complete);
        assert_eq!(seen, vec![(16, b"ours".to_vec())]);
    }

    #[test]
    fn handler_errors_end_the_answer() {
        let datagram = message(16, NLM_F_MULTI, SEQ, b"x");
        let err = read_datagram(&datagram, &mut |_| Err(io::Error::other("stop"))).unwrap_err();
        assert_eq!(err.to_string(), "stop");
    }
}
