//! The TX kick of examples/forward (`TxQueue::kick` in libxdp-rs/src/ring.rs), for libraries
//! whose own wakeup hides what the kernel answered: xsk-rs' `TxQueue::wakeup` and xdpilone's
//! `RingTx::wake` both drop `EAGAIN`, which is how copy mode says that more is pending (it
//! sends at most 32 descriptors per `sendto()`). The policy: while frames are pending, a
//! zero-length `sendto()`, again while the answer is `EAGAIN`, at most one call per 16
//! pending and two more.

use std::io;
use std::os::fd::RawFd;

/// What the kernel answered a kick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// It went through the ring (copy mode: took everything), or woke the driver.
    Done,
    /// `EAGAIN`: more is pending (copy mode's batch limit) or the completion ring is full.
    More,
    /// `EBUSY`, `ENOBUFS`, `ENETDOWN`: not now.
    NotNow,
}

/// The fewest descriptors copy mode sends per `sendto()` when more are there.
const KERNEL_TX_BATCH_MIN: u32 = 16;

/// One zero-length `sendto()` on AF_XDP socket `fd`.
pub fn sendto(fd: RawFd) -> io::Result<Answer> {
    // SAFETY: a zero-length sendto without address on an open socket descriptor.
    let rc = unsafe {
        libc::sendto(
            fd,
            std::ptr::null(),
            0,
            libc::MSG_DONTWAIT,
            std::ptr::null(),
            0,
        )
    };
    if rc >= 0 {
        return Ok(Answer::Done);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EAGAIN) => Ok(Answer::More),
        Some(libc::EBUSY | libc::ENOBUFS | libc::ENETDOWN) => Ok(Answer::NotNow),
        _ => Err(e),
    }
}

/// Kick socket `fd` while `pending()` (the TX ring's produced but unconsumed entries) is above
/// 0; returns what is still pending.
pub fn kick(fd: RawFd, mut pending: impl FnMut() -> u32) -> io::Result<u32> {
    let mut left = pending();
    let mut calls = left / KERNEL_TX_BATCH_MIN + 2;
    while left > 0 && calls > 0 {
        calls -= 1;
        let answer = sendto(fd)?;
        left = pending();
        if answer != Answer::More {
            break;
        }
    }
    Ok(left)
}

/// The same policy where the library does not tell how much is pending (xsk-rs): `unsent`
/// counts what was produced since the kernel last took everything (a `sendto()` that did not
/// answer `EAGAIN` in copy mode); a kick that ends on `EAGAIN` or "not now" leaves it owed.
pub fn kick_counted(fd: RawFd, unsent: &mut u32) -> io::Result<()> {
    let mut calls = *unsent / KERNEL_TX_BATCH_MIN + 2;
    while *unsent > 0 && calls > 0 {
        calls -= 1;
        match sendto(fd)? {
            Answer::Done => *unsent = 0,
            Answer::More => *unsent = unsent.saturating_sub(32).max(1),
            Answer::NotNow => break,
        }
    }
    Ok(())
}

/// Wait up to `timeout_ms` for `fd` to be readable (`poll`); a signal ends the wait early.
pub fn poll_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: pfd is one valid pollfd for the duration of the call.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.raw_os_error() == Some(libc::EINTR) {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0 && pfd.revents & libc::POLLIN != 0)
}
