//! [`BusyPoll`]: the socket options of NAPI busy polling, and setting them on a socket so that a
//! refusal can be undone.

use std::io;
use std::os::fd::RawFd;

/// Busy polling of the device queue a socket is bound to, set by
/// [`SocketBuilder::busy_poll`](crate::SocketBuilder::busy_poll): the socket options
/// `SO_PREFER_BUSY_POLL`, `SO_BUSY_POLL` and `SO_BUSY_POLL_BUDGET`, as the kernel's `xdpsock`
/// sample sets them for `--busy-poll` (prefer, 20 us, a budget of its batch size):
///
/// ```
/// use libxdp_rs::BusyPoll;
///
/// let busy = BusyPoll { usecs: 20, budget: 64, prefer: true };
/// // Linux 5.10 and older know only SO_BUSY_POLL:
/// let old_kernel = BusyPoll { usecs: 20, ..BusyPoll::default() };
/// # let _ = (busy, old_kernel);
/// ```
///
/// With these set, a system call on the socket runs the queue's NAPI poll (the driver's
/// receive and send-completion work, and the XDP program) right in the calling thread,
/// instead of waiting for the device's interrupt and softirq. They change nothing by
/// themselves: the application must make those calls, and keep making them.
///
/// - Call `recvfrom(fd, NULL, 0, MSG_DONTWAIT)` ([`RxQueue::wakeup`](crate::RxQueue::wakeup))
///   when the RX ring is empty, and `sendto()` ([`TxQueue::kick`](crate::TxQueue::kick)) when
///   descriptors are pending, instead of sleeping in `poll()`: a loop that sleeps is not
///   polling. (`poll()` busy-polls too, but only until its timeout.) The kernel's
///   `Documentation/networking/af_xdp.rst` and the `xdpsock` sample loop so.
/// - Preferred busy polling ([`prefer`](BusyPoll::prefer)) keeps the device's interrupts
///   masked while the application polls, and gives the queue's NAPI to the application even
///   when it is busy. It only takes effect when the device defers its interrupts: the
///   device's `napi_defer_hard_irqs` (for example 2) and `gro_flush_timeout` (for example
///   200000 ns) in `/sys/class/net/DEV/` (or per NAPI over netlink); if the application
///   stops polling for longer than `gro_flush_timeout`, the kernel takes the queue back
///   (`Documentation/networking/napi.rst`, "IRQ mitigation"). This crate does not change
///   them: they are the device's, shared by every socket and process on it.
/// - The kernel polls the NAPI instance it last saw the socket's packets come from
///   (`SO_INCOMING_NAPI_ID`). A socket that has received nothing yet, or whose device does
///   not report its NAPI instance to XDP, has none, and busy polling then does nothing. In
///   copy mode only received packets mark a socket, so a TX-only socket never has one.
///
/// Refusals are [`Error::SocketOption`](crate::Error::SocketOption), naming the option:
/// `ENOPROTOOPT` from a kernel that lacks it (`SO_PREFER_BUSY_POLL` and `SO_BUSY_POLL_BUDGET`
/// came in Linux 5.11; all three need `CONFIG_NET_RX_BUSY_POLL`), `EINVAL` for a budget above
/// 65535, `EPERM` without `CAP_NET_ADMIN` for `prefer` or for raising the budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BusyPoll {
    /// `SO_BUSY_POLL`: how long one blocking call may poll for packets, in microseconds
    /// (non-blocking calls poll once); 0 turns busy polling off. Always set.
    pub usecs: u32,
    /// `SO_BUSY_POLL_BUDGET` (Linux 5.11+): packets one poll may process, at most 65535; the
    /// kernel's default is 8. 0: not set (the kernel's default stays).
    pub budget: u32,
    /// `SO_PREFER_BUSY_POLL` (Linux 5.11+): preferred busy polling, see above. False: not set.
    pub prefer: bool,
}

impl BusyPoll {
    /// The options to set, in the order `xdpsock` sets them: each option's name, number, value.
    fn options(&self) -> impl Iterator<Item = (&'static str, libc::c_int, u32)> {
        let prefer = self
            .prefer
            .then_some(("SO_PREFER_BUSY_POLL", libc::SO_PREFER_BUSY_POLL, 1));
        let usecs = Some(("SO_BUSY_POLL", libc::SO_BUSY_POLL, self.usecs));
        let budget = (self.budget != 0).then_some((
            "SO_BUSY_POLL_BUDGET",
            libc::SO_BUSY_POLL_BUDGET,
            self.budget,
        ));
        [prefer, usecs, budget].into_iter().flatten()
    }
}

/// An option the kernel refused (or would not show).
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) option: &'static str,
    pub(crate) value: u32,
    pub(crate) source: io::Error,
}

/// The values the options had before [`apply`] set them, to put back.
#[derive(Debug, Default)]
pub(crate) struct Previous {
    values: Vec<(&'static str, libc::c_int, libc::c_int)>,
}

impl Previous {
    /// Put the options back as they were (on a socket that stays, when a later step failed).
    /// Best effort: the kernel let this process set them a moment ago.
    pub(crate) fn restore(self, fd: RawFd) {
        for (name, option, value) in self.values.into_iter().rev() {
            if let Err(e) = set(fd, option, value) {
                ::log::warn!("cannot put {name} back to {value} on AF_XDP socket fd {fd}: {e}");
            }
        }
    }
}

/// Set the options of `settings` on `fd`, in order. When the kernel refuses one, the ones set
/// before it are put back and the refusal is returned; otherwise what they were before.
pub(crate) fn apply(fd: RawFd, settings: &BusyPoll) -> Result<Previous, Refused> {
    let mut previous = Previous::default();
    for (name, option, value) in settings.options() {
        // The kernel takes an int; a value beyond i32::MAX reaches it negative, and it says
        // EINVAL, as C's callers would see.
        let set_to = value as libc::c_int;
        let done = before(fd, option).and_then(|old| set(fd, option, set_to).map(|()| old));
        match done {
            Ok(old) => previous.values.push((name, option, old)),
            Err(source) => {
                previous.restore(fd);
                return Err(Refused {
                    option: name,
                    value,
                    source,
                });
            }
        }
    }
    Ok(previous)
}

/// The value of `option` on `fd` before it is set, to put back. The kernel does not show
/// `SO_BUSY_POLL_BUDGET` (`getsockopt` says `ENOPROTOOPT`, also on Linux 6.18, where
/// `setsockopt` takes it): it is taken to be 0, what every socket starts with (the kernel's
/// default budget). This crate sets it only on a socket that never had it set, or on which it
/// put it back to 0.
fn before(fd: RawFd, option: libc::c_int) -> io::Result<libc::c_int> {
    match get(fd, option) {
        Err(e)
            if option == libc::SO_BUSY_POLL_BUDGET
                && e.raw_os_error() == Some(libc::ENOPROTOOPT) =>
        {
            Ok(0)
        }
        other => other,
    }
}

fn set(fd: RawFd, option: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: value is a valid int for the duration of the call, its size passed along.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn get(fd: RawFd, option: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and len are valid for writes; the kernel writes at most len bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(b: BusyPoll) -> Vec<&'static str> {
        b.options().map(|(name, ..)| name).collect()
    }

    #[test]
    fn only_what_is_asked_for_is_set() {
        // What Linux 5.10 knows: SO_BUSY_POLL alone.
        assert_eq!(
            names(BusyPoll {
                usecs: 20,
                ..BusyPoll::default()
            }),
            ["SO_BUSY_POLL"]
        );
        assert_eq!(
            names(BusyPoll {
                usecs: 20,
                budget: 64,
                prefer: true
            }),
            ["SO_PREFER_BUSY_POLL", "SO_BUSY_POLL", "SO_BUSY_POLL_BUDGET"]
        );
    }

    /// On a plain UDP socket: a refused option puts back the ones set before it; accepted ones
    /// read back as set. Root: raising `SO_BUSY_POLL` needs `CAP_NET_ADMIN` on older kernels.
    #[test]
    fn a_refusal_puts_back_what_was_set() {
        let test = "a_refusal_puts_back_what_was_set";
        if !xdp_netns_harness::require_root(test) {
            return;
        }
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("UDP socket");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&udp);
        let before = match get(fd, libc::SO_BUSY_POLL) {
            Err(e) if e.raw_os_error() == Some(libc::ENOPROTOOPT) => {
                xdp_netns_harness::skip(test, "no SO_BUSY_POLL (CONFIG_NET_RX_BUSY_POLL off)");
                return;
            }
            other => other.expect("SO_BUSY_POLL"),
        };
        let refused = apply(
            fd,
            &BusyPoll {
                usecs: before as u32 + 7,
                budget: 65536,
                prefer: false,
            },
        )
        .expect_err("a budget of 65536");
        assert_eq!(refused.option, "SO_BUSY_POLL_BUDGET");
        assert_eq!(refused.value, 65536);
        // EINVAL; ENOPROTOOPT before Linux 5.11.
        assert!(
            matches!(
                refused.source.raw_os_error(),
                Some(libc::EINVAL | libc::ENOPROTOOPT)
            ),
            "{:?}",
            refused.source
        );
        assert_eq!(get(fd, libc::SO_BUSY_POLL).unwrap(), before, "not put back");
        apply(
            fd,
            &BusyPoll {
                usecs: 5,
                ..BusyPoll::default()
            },
        )
        .expect("SO_BUSY_POLL 5");
        assert_eq!(get(fd, libc::SO_BUSY_POLL).unwrap(), 5);
    }
}
