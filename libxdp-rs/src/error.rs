//! The crate's error type.

use std::fmt;
use std::io;

/// A live AF_XDP socket bound to a queue, as the kernel lists it ([`Error::QueueHeld`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueHolder {
    /// The socket's inode: `socket:[INODE]` among the holding process's `/proc/PID/fd`.
    pub inode: u64,
    /// The uid of its owner, when the kernel says.
    pub uid: Option<u32>,
}

/// Result of the fallible operations of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a socket is, or was to be: a device's queue in a network namespace.
///
/// Shown as `xo1 queue 0 in namespace xnetns-x-in`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// Device name.
    pub device: String,
    /// Queue index.
    pub queue: u32,
    /// Label of the device's network namespace ([`Netns::label`](crate::Netns::label)).
    pub netns: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} queue {} in namespace {}",
            self.device, self.queue, self.netns
        )
    }
}

/// Everything that can go wrong, one variant per cause.
///
/// Variants about a socket name where it is ([`Location`]: the device, the queue and the
/// network namespace), so that the [`Display`](fmt::Display) text says what failed where. The
/// operating system's error, where there is one, is the error's
/// [`source()`](std::error::Error::source), not part of that text, so that a report of the
/// whole chain (anyhow's `{:#}`, for example) shows it once:
///
/// ```text
/// cannot create AF_XDP socket on xo1 queue 0 in namespace xnetns-x-in: Operation not permitted (os error 1)
/// ```
///
/// [`Error::io_error`] and [`Error::raw_os_error`] give it directly.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A builder was given a value the kernel or libxdp would refuse; `field` names the
    /// builder method.
    InvalidConfig {
        /// The setting at fault, e.g. `"frame_size"`.
        field: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// A frame length beyond the frame's capacity ([`Frame::set_len`](crate::Frame::set_len)).
    FrameTooLong {
        /// The length asked for.
        len: u32,
        /// The frame's capacity.
        capacity: u32,
    },
    /// Opening, inspecting or entering a network namespace failed.
    Netns {
        /// Label of the namespace ([`Netns::label`](crate::Netns::label)).
        netns: String,
        /// What was being done, e.g. `"open"` or `"enter"`.
        op: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file given as a network namespace ([`Netns::path`](crate::Netns::path),
    /// [`Netns::from_fd`](crate::Netns::from_fd), a `/run/netns` name) is not one. Checked when
    /// the namespace is opened, so that it does not fail only when entered.
    NotNetns {
        /// Label of the file: its path, or the label given to `from_fd`.
        netns: String,
        /// The kind of namespace it is instead (`"mount"`, `"UTS"`, `"IPC"`, `"user"`,
        /// `"PID"`, `"cgroup"`, `"time"`, `"newer kind of"`), or `None` when it is not a
        /// namespace file at all.
        found: Option<&'static str>,
    },
    /// Mapping the UMEM's memory failed.
    Mmap {
        /// Bytes asked for.
        len: usize,
        /// Whether huge pages were asked for.
        huge_pages: bool,
        /// The operating system's error.
        source: io::Error,
    },
    /// `xsk_umem__create` failed (without privileges: `EPERM`).
    UmemCreate {
        /// Namespace the UMEM was to be created in.
        netns: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The device does not exist in the namespace.
    DeviceNotFound {
        /// Device name.
        device: String,
        /// Namespace it was looked up in.
        netns: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// This UMEM already has a socket on (namespace, device, queue); a second socket there
    /// would have to share its fill and completion rings, which this crate does not allow.
    QueueInUse {
        /// The queue.
        at: Location,
    },
    /// The device has no such queue: the kernel would refuse the bind with a bare `EINVAL`.
    QueueOutOfRange {
        /// The queue asked for.
        at: Location,
        /// The queues the device has: `0..queues` may be bound.
        queues: u32,
        /// Where the count comes from (the device's ethtool channels, or rtnetlink).
        counted_by: String,
    },
    /// A live AF_XDP socket is bound to the queue: of another UMEM, perhaps of another
    /// process. The kernel lists it (xsk_diag); this crate waits for no live socket.
    QueueHeld {
        /// The queue.
        at: Location,
        /// The sockets bound to the queue.
        holders: Vec<QueueHolder>,
    },
    /// The queue stayed busy (`EBUSY`) for as long as the builder waited
    /// ([`SocketBuilder::busy_timeout`](crate::SocketBuilder::busy_timeout)), with no live
    /// socket known to hold it. The kernel frees a closed socket's queue in deferred work,
    /// usually within milliseconds; on kernels without xsk_diag (Debian's 5.10 and 6.1, for
    /// example) a live socket holding it cannot be told from that.
    QueueBusy {
        /// The queue.
        at: Location,
        /// How long the builder tried.
        waited: std::time::Duration,
        /// Whether the kernel listed the namespace's AF_XDP sockets, completely, and none
        /// was bound to the queue; false when it could not tell (no xsk_diag).
        no_socket_listed: bool,
        /// The operating system's error.
        source: io::Error,
    },
    /// The first socket of a UMEM must be created in the namespace the UMEM was created in
    /// (it reuses the UMEM's own AF_XDP socket); libxdp says `EXDEV`.
    UmemNetnsMismatch {
        /// The socket's queue.
        at: Location,
        /// Namespace of the UMEM.
        umem_netns: String,
    },
    /// The UMEM's own AF_XDP socket (used by its first socket) stays bound to the first
    /// socket's queue until the UMEM is dropped: once the first socket is gone, that queue
    /// cannot be bound again with this UMEM, and once every socket is gone, libxdp cannot
    /// create sockets on the UMEM at all. Build a new UMEM.
    UmemRetired {
        /// The queue.
        at: Location,
    },
    /// Frames can pass only between queues of one UMEM
    /// ([`RxQueue::forward_to`](crate::RxQueue::forward_to),
    /// [`CompletionQueue::recycle_to`](crate::CompletionQueue::recycle_to)); these two are on
    /// different ones.
    ForeignUmem {
        /// The queue the frames would come from.
        from: Location,
        /// The queue they would go to.
        to: Location,
    },
    /// Creating or binding the AF_XDP socket failed for another reason (without
    /// privileges: `EPERM`).
    SocketCreate {
        /// The queue.
        at: Location,
        /// The operating system's error.
        source: io::Error,
    },
    /// The kernel refused a socket option the builder was asked to set (busy polling:
    /// [`SocketBuilder::busy_poll`](crate::SocketBuilder::busy_poll)). The socket was not
    /// made: nothing of it is left (no descriptor, no XDP program), and a UMEM whose first
    /// socket it was to be can still make it.
    ///
    /// `ENOPROTOOPT`: the kernel lacks the option (`SO_PREFER_BUSY_POLL` and
    /// `SO_BUSY_POLL_BUDGET` came in Linux 5.11; all busy-polling options need
    /// `CONFIG_NET_RX_BUSY_POLL`); `EINVAL`: a value out of the kernel's range (a budget above
    /// 65535); `EPERM`: `SO_PREFER_BUSY_POLL` or raising the budget without `CAP_NET_ADMIN`.
    SocketOption {
        /// The option, e.g. `"SO_BUSY_POLL_BUDGET"`.
        option: &'static str,
        /// The value it was to be set to.
        value: u32,
        /// The socket's queue.
        at: Location,
        /// The operating system's error.
        source: io::Error,
    },
    /// Inserting the socket into the caller's XSKMAP failed.
    XskMap {
        /// The socket's queue.
        at: Location,
        /// The operating system's error.
        source: io::Error,
    },
    /// A system call on a live socket failed (`poll`, `sendto`, `getsockopt`).
    Io {
        /// The operation, e.g. `"poll"`.
        op: &'static str,
        /// The socket's queue.
        at: Location,
        /// The operating system's error.
        source: io::Error,
    },
}

impl Error {
    /// The operating system's error number, when the error carries one.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.io_error().and_then(io::Error::raw_os_error)
    }

    /// The underlying [`io::Error`], when there is one (also the error's
    /// [`source()`](std::error::Error::source)).
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Netns { source, .. }
            | Error::Mmap { source, .. }
            | Error::UmemCreate { source, .. }
            | Error::DeviceNotFound { source, .. }
            | Error::QueueBusy { source, .. }
            | Error::SocketCreate { source, .. }
            | Error::SocketOption { source, .. }
            | Error::XskMap { source, .. }
            | Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Where the socket the error is about is (or was to be), when it is about one; for
    /// [`Error::ForeignUmem`], the queue the frames would come from.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::QueueInUse { at }
            | Error::QueueOutOfRange { at, .. }
            | Error::QueueHeld { at, .. }
            | Error::QueueBusy { at, .. }
            | Error::UmemNetnsMismatch { at, .. }
            | Error::UmemRetired { at }
            | Error::ForeignUmem { from: at, .. }
            | Error::SocketCreate { at, .. }
            | Error::SocketOption { at, .. }
            | Error::XskMap { at, .. }
            | Error::Io { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The text and its cause, as one line: the [`Display`](fmt::Display) text, then `: ` and
    /// the operating system's error when there is one, as anyhow's `{:#}` prints the chain.
    ///
    /// ```text
    /// cannot create AF_XDP socket on xo1 queue 0 in namespace xnetns-x-in: Operation not permitted (os error 1)
    /// ```
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            text = format!("{text}: {c}");
            cause = c.source();
        }
        text
    }

    /// True when the cause is missing privileges (`EPERM` or `EACCES`).
    pub fn is_permission_denied(&self) -> bool {
        matches!(self.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES))
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig { field, reason } => {
                write!(f, "invalid configuration: {field}: {reason}")
            }
            Error::FrameTooLong { len, capacity } => {
                write!(
                    f,
                    "frame length {len} exceeds the frame's capacity {capacity}"
                )
            }
            Error::Netns { netns, op, .. } => write!(f, "cannot {op} network namespace {netns}"),
            Error::NotNetns {
                netns,
                found: Some(kind),
            } => {
                // IPC is the one kind read with a vowel sound ("an IPC", "a UTS").
                let article = if *kind == "IPC" { "an" } else { "a" };
                write!(
                    f,
                    "cannot use {netns}: it is {article} {kind} namespace, not a network namespace"
                )
            }
            Error::NotNetns { netns, found: None } => {
                write!(f, "cannot use {netns}: it is not a namespace file")
            }
            Error::Mmap {
                len, huge_pages, ..
            } => write!(
                f,
                "cannot map {len} bytes of UMEM memory{}",
                if *huge_pages { " with huge pages" } else { "" }
            ),
            Error::UmemCreate { netns, .. } => write!(f, "cannot create UMEM in namespace {netns}"),
            Error::DeviceNotFound { device, netns, .. } => {
                write!(f, "no device {device} in namespace {netns}")
            }
            Error::QueueInUse { at } => write!(f, "{at} already has a socket on this UMEM"),
            Error::QueueOutOfRange {
                at,
                queues,
                counted_by,
            } => write!(
                f,
                "cannot bind AF_XDP socket on {at}: {} has {queues} queue{} (0 to {}, by \
                 {counted_by})",
                at.device,
                if *queues == 1 { "" } else { "s" },
                queues.saturating_sub(1)
            ),
            Error::QueueHeld { at, holders } => {
                write!(
                    f,
                    "cannot bind AF_XDP socket on {at}: a live AF_XDP socket holds the queue ("
                )?;
                for (i, h) in holders.iter().enumerate() {
                    let sep = if i > 0 { ", " } else { "" };
                    match h.uid {
                        Some(uid) => write!(f, "{sep}socket:[{}] of uid {uid}", h.inode)?,
                        None => write!(f, "{sep}socket:[{}]", h.inode)?,
                    }
                }
                write!(f, "); close it or use another queue")
            }
            Error::QueueBusy {
                at,
                waited,
                no_socket_listed,
                ..
            } => write!(
                f,
                "cannot bind AF_XDP socket on {at}: the queue is busy still after {} ms: {}",
                waited.as_millis(),
                if *no_socket_listed {
                    "no AF_XDP socket is bound to it, so something else keeps it busy (an XDP \
                     program of another mode on the device, or a very slow release)"
                } else {
                    "a live AF_XDP socket holds it, or a closed one's is still being released \
                     (this kernel cannot list AF_XDP sockets: no xsk_diag)"
                }
            ),
            Error::UmemNetnsMismatch { at, umem_netns } => write!(
                f,
                "cannot create the first socket of a UMEM on {at}: the UMEM was created in \
                 namespace {umem_netns}; create the UMEM in {} (UmemBuilder::netns) or the \
                 first socket in {umem_netns}",
                at.netns
            ),
            Error::UmemRetired { at } => write!(
                f,
                "cannot create AF_XDP socket on {at}: the UMEM's own socket stays bound to the \
                 queue of its first (now closed) socket until the UMEM is dropped; build a new \
                 UMEM"
            ),
            Error::ForeignUmem { from, to } => write!(
                f,
                "cannot move frames from {from} to {to}: their sockets are on different UMEMs"
            ),
            Error::SocketCreate { at, .. } => write!(f, "cannot create AF_XDP socket on {at}"),
            Error::SocketOption {
                option,
                value,
                at,
                source,
            } => {
                write!(
                    f,
                    "cannot set {option} to {value} on the AF_XDP socket on {at}"
                )?;
                match option_refusal_hint(option, source.raw_os_error()) {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
            Error::XskMap { at, .. } => {
                write!(f, "cannot insert the AF_XDP socket on {at} into the XSKMAP")
            }
            Error::Io { op, at, .. } => write!(f, "{op} on the AF_XDP socket on {at}"),
        }
    }
}

/// Why the kernel refuses a socket option, in words the OS error alone does not give.
fn option_refusal_hint(option: &str, errno: Option<i32>) -> Option<&'static str> {
    match (option, errno?) {
        ("SO_PREFER_BUSY_POLL" | "SO_BUSY_POLL_BUDGET", libc::ENOPROTOOPT) => {
            Some("the kernel lacks it: Linux 5.11 or later with CONFIG_NET_RX_BUSY_POLL")
        }
        (_, libc::ENOPROTOOPT) => Some("the kernel lacks it: CONFIG_NET_RX_BUSY_POLL"),
        ("SO_BUSY_POLL_BUDGET", libc::EINVAL) => Some("the kernel takes at most 65535"),
        (_, libc::EPERM) => Some("needs CAP_NET_ADMIN"),
        _ => None,
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(device: &str, queue: u32, netns: &str) -> Location {
        Location {
            device: device.into(),
            queue,
            netns: netns.into(),
        }
    }

    #[test]
    fn display_names_device_queue_namespace() {
        let e = Error::SocketCreate {
            at: at("xo1", 0, "xnetns-x-in"),
            source: io::Error::from_raw_os_error(libc::EPERM),
        };
        assert_eq!(
            e.to_string(),
            "cannot create AF_XDP socket on xo1 queue 0 in namespace xnetns-x-in"
        );
        // The OS error once, as the source.
        assert_eq!(
            e.report(),
            "cannot create AF_XDP socket on xo1 queue 0 in namespace xnetns-x-in: \
             Operation not permitted (os error 1)"
        );
        assert!(e.is_permission_denied());
        assert_eq!(e.raw_os_error(), Some(libc::EPERM));
        assert_eq!(e.location(), Some(&at("xo1", 0, "xnetns-x-in")));
    }

    #[test]
    fn the_os_error_is_shown_once() {
        let errors = [
            Error::Netns {
                netns: "blue".into(),
                op: "enter",
                source: io::Error::from_raw_os_error(libc::EPERM),
            },
            Error::Mmap {
                len: 4096,
                huge_pages: true,
                source: io::Error::from_raw_os_error(libc::ENOMEM),
            },
            Error::UmemCreate {
                netns: "blue".into(),
                source: io::Error::from_raw_os_error(libc::EPERM),
            },
            Error::DeviceNotFound {
                device: "x".into(),
                netns: "blue".into(),
                source: io::Error::from_raw_os_error(libc::ENODEV),
            },
            Error::QueueBusy {
                at: at("x", 0, "blue"),
                waited: std::time::Duration::ZERO,
                no_socket_listed: true,
                source: io::Error::from_raw_os_error(libc::EBUSY),
            },
            Error::XskMap {
                at: at("x", 0, "blue"),
                source: io::Error::from_raw_os_error(libc::EINVAL),
            },
            Error::SocketOption {
                option: "SO_BUSY_POLL_BUDGET",
                value: 65536,
                at: at("x", 0, "blue"),
                source: io::Error::from_raw_os_error(libc::EINVAL),
            },
            Error::Io {
                op: "poll",
                at: at("x", 0, "blue"),
                source: io::Error::from_raw_os_error(libc::EINTR),
            },
        ];
        for e in errors {
            let os = e.io_error().expect("an OS error").to_string();
            assert!(!e.to_string().contains(&os), "{e}");
            assert_eq!(e.report().matches(&os).count(), 1, "{}", e.report());
        }
    }

    #[test]
    fn a_refused_option_is_named_with_its_value_and_why() {
        let e = Error::SocketOption {
            option: "SO_BUSY_POLL_BUDGET",
            value: 65536,
            at: at("xo1", 0, "xnetns-x-in"),
            source: io::Error::from_raw_os_error(libc::EINVAL),
        };
        assert_eq!(
            e.report(),
            "cannot set SO_BUSY_POLL_BUDGET to 65536 on the AF_XDP socket on xo1 queue 0 in \
             namespace xnetns-x-in (the kernel takes at most 65535): Invalid argument (os error 22)"
        );
        assert_eq!(e.location(), Some(&at("xo1", 0, "xnetns-x-in")));
        let e = Error::SocketOption {
            option: "SO_PREFER_BUSY_POLL",
            value: 1,
            at: at("xo1", 0, "root"),
            source: io::Error::from_raw_os_error(libc::ENOPROTOOPT),
        };
        assert!(e.to_string().contains("Linux 5.11"), "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::ENOPROTOOPT));
    }

    #[test]
    fn busy_and_held_say_why() {
        let e = Error::QueueBusy {
            at: at("xi1", 1, "ns"),
            waited: std::time::Duration::from_millis(1000),
            no_socket_listed: false,
            source: io::Error::from_raw_os_error(libc::EBUSY),
        };
        let s = e.to_string();
        assert!(s.contains("xi1 queue 1 in namespace ns"), "{s}");
        assert!(s.contains("still after 1000 ms"), "{s}");
        assert!(s.contains("no xsk_diag"), "{s}");
        let e = Error::QueueHeld {
            at: at("xi1", 1, "ns"),
            holders: vec![QueueHolder {
                inode: 1234,
                uid: Some(0),
            }],
        };
        assert_eq!(
            e.to_string(),
            "cannot bind AF_XDP socket on xi1 queue 1 in namespace ns: a live AF_XDP socket \
             holds the queue (socket:[1234] of uid 0); close it or use another queue"
        );
        let e = Error::QueueOutOfRange {
            at: at("xo1", 2, "root"),
            queues: 2,
            counted_by: "rtnetlink".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot bind AF_XDP socket on xo1 queue 2 in namespace root: xo1 has 2 queues \
             (0 to 1, by rtnetlink)"
        );
        let e = Error::ForeignUmem {
            from: at("a", 0, "x"),
            to: at("b", 1, "y"),
        };
        assert_eq!(
            e.to_string(),
            "cannot move frames from a queue 0 in namespace x to b queue 1 in namespace y: \
             their sockets are on different UMEMs"
        );
    }
}
