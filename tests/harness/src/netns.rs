//! Entering network namespaces on the calling thread.

use std::fs::File;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// The calling thread runs in another network namespace while this guard lives; dropping it
/// returns the thread to the namespace it came from.
///
/// Only the calling thread moves (setns(2) with `CLONE_NEWNET`), so the guard is neither `Send`
/// nor `Sync`. Sockets created meanwhile stay in the namespace they were created in.
#[derive(Debug)]
pub struct NetnsGuard {
    original: File,
    target: PathBuf,
    /// The guard belongs to the thread that entered the namespace.
    _not_send: PhantomData<*const ()>,
}

impl NetnsGuard {
    /// Enter the namespace `ns`: a name under `/run/netns` (as `ip netns` makes them) or, when it
    /// contains a `/`, a path to a namespace file such as `/proc/PID/ns/net`.
    pub fn enter(ns: &str) -> io::Result<Self> {
        let target = if ns.contains('/') {
            PathBuf::from(ns)
        } else {
            Path::new("/run/netns").join(ns)
        };
        Self::enter_path(&target)
    }

    /// Enter the namespace `ns` when it is `Some`; `None` (the root or current namespace)
    /// returns `Ok(None)` and leaves the thread where it is.
    pub fn enter_opt(ns: Option<&str>) -> io::Result<Option<Self>> {
        ns.map(Self::enter).transpose()
    }

    /// Enter the namespace file at `path`.
    pub fn enter_path(path: &Path) -> io::Result<Self> {
        let original = File::open("/proc/thread-self/ns/net")?;
        let target_file = File::open(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("opening namespace {}: {e}", path.display()),
            )
        })?;
        setns(target_file.as_raw_fd())
            .map_err(|e| io::Error::new(e.kind(), format!("setns({}): {e}", path.display())))?;
        Ok(NetnsGuard {
            original,
            target: path.to_owned(),
            _not_send: PhantomData,
        })
    }

    /// The namespace file this guard entered.
    pub fn path(&self) -> &Path {
        &self.target
    }
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        if let Err(e) = setns(self.original.as_raw_fd()) {
            // A thread left in the wrong namespace would corrupt every later test step.
            panic!(
                "cannot return from network namespace {}: {e}",
                self.target.display()
            );
        }
    }
}

fn setns(fd: RawFd) -> io::Result<()> {
    // SAFETY: fd is an open namespace file descriptor owned by the caller for the whole call;
    // setns only changes the calling thread's network namespace.
    if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `SO_NETNS_COOKIE` (Linux >= 5.14); not in every libc release.
const SO_NETNS_COOKIE: libc::c_int = 71;

/// `SIOCGSKNS` (Linux >= 4.9): an fd of a socket's network namespace.
const SIOCGSKNS: libc::c_ulong = 0x894C;

/// An id of the network namespace of the socket `fd`: its `SO_NETNS_COOKIE` (Linux >= 5.14),
/// or, on older kernels, the inode of the namespace's nsfs file (`SIOCGSKNS`) with the high bit
/// set, which is unique while the socket keeps its namespace alive.
pub fn netns_id_of(fd: RawFd) -> io::Result<u64> {
    let mut cookie: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: cookie and len are valid for writes of the sizes given; the kernel checks fd.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            SO_NETNS_COOKIE,
            (&mut cookie as *mut u64).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        return Ok(cookie);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() != Some(libc::ENOPROTOOPT) {
        return Err(err);
    }
    // SAFETY: SIOCGSKNS takes no argument; the kernel checks fd and returns a new fd or -1.
    let ns = unsafe { libc::ioctl(fd, SIOCGSKNS as _) };
    if ns < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: ns is a fresh descriptor that nothing else owns.
    let ns = File::from(unsafe { OwnedFd::from_raw_fd(ns) });
    Ok(std::os::unix::fs::MetadataExt::ino(&ns.metadata()?) | 1 << 63)
}

/// The id ([`netns_id_of`]) of the calling thread's current network namespace (through a
/// throwaway socket).
pub fn current_netns_id() -> io::Result<u64> {
    // SAFETY: plain socket(2) call; the result is checked and owned below.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    let sock = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    netns_id_of(sock.as_raw_fd())
}
