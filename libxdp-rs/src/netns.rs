//! Network namespaces as values.

use std::ffi::CString;
use std::fmt;
use std::fs;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Where the calling thread's own namespace is found.
const THREAD_NETNS: &str = "/proc/thread-self/ns/net";

/// PID 1's namespace: the one labelled `root`.
const INIT_NETNS: &str = "/proc/1/ns/net";

/// The inode number recent kernels (6.18 does) give the initial network namespace,
/// `NET_NS_INIT_INO` of `<linux/nsfs.h>`. Older ones number it like every other namespace, from
/// `0xF0000000` up, so it never matches one wrongly there.
const NET_NS_INIT_INO: u64 = 0xEFFF_FFF9;

/// Where `ip netns add NAME` mounts the namespaces it names.
const NAMED_NETNS_DIR: &str = "/run/netns";

/// `f_type` of the files of nsfs, the kernel's namespace filesystem (`NSFS_MAGIC`).
const NSFS_MAGIC: u64 = 0x6e73_6673;

/// `NS_GET_NSTYPE` (Linux 4.11+), `_IO(0xb7, 0x3)`: the `CLONE_NEW*` flag of a namespace file.
/// Defined here because older releases of the `libc` crate lack it.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// A network namespace, held open by a file descriptor.
///
/// A namespace is named by a label for messages: its `/run/netns` name, the path it was opened
/// from, `root` or `net:[INODE]` (see [`Netns::current`]). Its identity is the device and
/// inode number of the namespace file, which stay unique while the descriptor keeps the
/// namespace alive.
///
/// Code runs inside a namespace with [`Netns::run`], which always brings the thread back.
///
/// ```
/// use libxdp_rs::Netns;
/// let here = Netns::current()?;
/// // "root" in PID 1's namespace, a name under /run/netns, or the kernel's "net:[4026531840]".
/// println!("this thread is in namespace {}", here.label());
/// assert!(here.same_as(&Netns::path("/proc/thread-self/ns/net")?));
/// # Ok::<(), libxdp_rs::Error>(())
/// ```
pub struct Netns {
    fd: OwnedFd,
    label: String,
    id: NetnsId,
}

/// Identity of a namespace: `st_dev` and `st_ino` of its nsfs file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NetnsId {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

/// The identity of the namespace file at `path`; a `/proc/PID/ns/net` link is followed to it.
fn stat_id(path: &Path) -> io::Result<NetnsId> {
    let meta = fs::metadata(path)?;
    Ok(NetnsId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// A label telling the namespace `id` from others in messages: `root` for PID 1's (or, when
/// PID 1 cannot be looked at, for the kernel's initial namespace), else its
/// name under `/run/netns` (the first in sorted order, when it has several), else the
/// kernel's own notation `net:[INODE]`, as `readlink /proc/PID/ns/net` shows it.
fn label_of(id: NetnsId) -> String {
    let is_root = match stat_id(Path::new(INIT_NETNS)) {
        Ok(init) => init == id,
        // PID 1 cannot be looked at (that needs ptrace access to it: a sandbox may deny it even
        // to root); the initial namespace may still be known by its fixed number.
        Err(_) => id.ino == NET_NS_INIT_INO,
    };
    if is_root {
        return "root".into();
    }
    if let Ok(dir) = fs::read_dir(NAMED_NETNS_DIR) {
        let mut names: Vec<_> = dir.filter_map(|entry| entry.ok()).collect();
        names.sort_by_key(|entry| entry.file_name());
        for entry in names {
            // Names that are not UTF-8 cannot be labels; the inode still says which it is.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if stat_id(&entry.path()).is_ok_and(|named| named == id) {
                return name;
            }
        }
    }
    format!("net:[{}]", id.ino)
}

fn fstat_id(fd: BorrowedFd<'_>) -> io::Result<NetnsId> {
    // SAFETY: `stat` is plain old data, so all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fd is an open descriptor and st is valid for writes of a `stat`.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(NetnsId {
        dev: st.st_dev,
        ino: st.st_ino,
    })
}

/// What the file behind `fd` is as a namespace: `Ok(None)` when it is no namespace file at
/// all, else its `CLONE_NEW*` flag.
fn namespace_type(fd: BorrowedFd<'_>) -> io::Result<Option<libc::c_int>> {
    // SAFETY: `statfs` is plain old data, so all zeroes is a valid value.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fd is an open descriptor and fs is valid for writes of a `statfs`.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), &mut fs) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Ask nsfs files only: on any other file the ioctl number could mean something else to a
    // driver, and "not a namespace file" is then known without it.
    if fs.f_type as u64 != NSFS_MAGIC {
        return Ok(None);
    }
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the namespace's type.
    let nstype = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) };
    if nstype < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(nstype))
}

/// The kind of namespace a `CLONE_NEW*` flag other than `CLONE_NEWNET` stands for, as
/// `Error::NotNetns` names it ("a {kind} namespace").
fn namespace_kind(nstype: libc::c_int) -> &'static str {
    match nstype {
        libc::CLONE_NEWNS => "mount",
        libc::CLONE_NEWUTS => "UTS",
        libc::CLONE_NEWIPC => "IPC",
        libc::CLONE_NEWUSER => "user",
        libc::CLONE_NEWPID => "PID",
        libc::CLONE_NEWCGROUP => "cgroup",
        libc::CLONE_NEWTIME => "time",
        _ => "newer kind of",
    }
}

fn open_path(path: &Path) -> io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte in path"))?;
    // SAFETY: c is a valid NUL-terminated string for the duration of the call.
    let raw = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

impl Netns {
    /// Checks that `fd` is a network namespace, so that a wrong file fails here, where it is
    /// named, rather than when it is first entered.
    fn from_parts(fd: OwnedFd, label: String) -> Result<Netns> {
        let inspect_error = |source| Error::Netns {
            netns: label.clone(),
            op: "inspect",
            source,
        };
        match namespace_type(fd.as_fd()).map_err(inspect_error)? {
            Some(libc::CLONE_NEWNET) => {}
            other => {
                return Err(Error::NotNetns {
                    netns: label,
                    found: other.map(namespace_kind),
                })
            }
        }
        let id = fstat_id(fd.as_fd()).map_err(inspect_error)?;
        Ok(Netns { fd, label, id })
    }

    /// The calling thread's namespace.
    ///
    /// Labelled `root` when it is PID 1's namespace (when PID 1 cannot be looked at: when it is
    /// the kernel's initial namespace, on kernels that number it `NET_NS_INIT_INO`), else with
    /// its name when one of `/run/netns/*` is this namespace, else as the kernel writes it,
    /// `net:[INODE]`. So messages about the root namespace and about another one never read
    /// alike. In a container, `root` is the namespace of the container's PID 1.
    pub fn current() -> Result<Netns> {
        let fd = open_path(Path::new(THREAD_NETNS)).map_err(|source| Error::Netns {
            netns: THREAD_NETNS.into(),
            op: "open",
            source,
        })?;
        let mut ns = Netns::from_parts(fd, THREAD_NETNS.into())?;
        ns.label = label_of(ns.id);
        Ok(ns)
    }

    /// The namespace `/run/netns/NAME` (made by `ip netns add NAME`), labelled `NAME`.
    ///
    /// ```no_run
    /// let ns = libxdp_rs::Netns::named("blue")?;
    /// assert_eq!(ns.label(), "blue");
    /// # Ok::<(), libxdp_rs::Error>(())
    /// ```
    pub fn named(name: &str) -> Result<Netns> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::Netns {
                netns: name.into(),
                op: "open",
                source: io::Error::new(io::ErrorKind::InvalidInput, "not a namespace name"),
            });
        }
        let fd =
            open_path(&Path::new(NAMED_NETNS_DIR).join(name)).map_err(|source| Error::Netns {
                netns: name.into(),
                op: "open",
                source,
            })?;
        Netns::from_parts(fd, name.into())
    }

    /// The namespace file at `p` (e.g. `/proc/PID/ns/net`), labelled with the path.
    ///
    /// A file that is not a network namespace is [`Error::NotNetns`]:
    ///
    /// ```
    /// use libxdp_rs::{Error, Netns};
    /// let err = Netns::path("/proc/self/ns/mnt").unwrap_err();
    /// assert!(matches!(err, Error::NotNetns { found: Some("mount"), .. }));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "cannot use /proc/self/ns/mnt: it is a mount namespace, not a network namespace"
    /// );
    /// ```
    pub fn path(p: impl AsRef<Path>) -> Result<Netns> {
        let p = p.as_ref();
        let label = p.display().to_string();
        let fd = open_path(p).map_err(|source| Error::Netns {
            netns: label.clone(),
            op: "open",
            source,
        })?;
        Netns::from_parts(fd, label)
    }

    /// A namespace from an open descriptor of its nsfs file, with a label for messages.
    ///
    /// A descriptor of anything but a network namespace is [`Error::NotNetns`] (and is closed).
    pub fn from_fd(fd: OwnedFd, label: impl Into<String>) -> Result<Netns> {
        Netns::from_parts(fd, label.into())
    }

    /// The label for messages: a `/run/netns` name, a path, the label given to
    /// [`Netns::from_fd`], or for [`Netns::current`] `root`, a name or `net:[INODE]`.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn id(&self) -> NetnsId {
        self.id
    }

    /// Whether `self` and `other` are the same namespace (same nsfs device and inode).
    pub fn same_as(&self, other: &Netns) -> bool {
        self.id == other.id
    }

    /// Run `f` on the calling thread inside this namespace, then return the thread to exactly
    /// the namespace it was in before.
    ///
    /// Only the calling thread moves (`setns(2)`); the process's other threads stay where they
    /// are. What `f` creates (sockets, UMEMs) belongs to this namespace for good. Threads that
    /// `f` spawns start in this namespace, as a new thread starts in its creator's, and stay
    /// there after `run` returns.
    ///
    /// The thread goes back to the namespace it was in when `run` was called, whatever `f`
    /// did: also when `f` panics (the panic goes on once the thread is back), and also when
    /// `f` moved the thread to yet another namespace itself. Calls nest: each returns to its
    /// own caller's namespace. As the namespace is left at the end of `f`, it cannot be left
    /// in the wrong order or not at all.
    ///
    /// Entering another namespace needs `CAP_SYS_ADMIN`. Running in the namespace the thread
    /// is in already changes nothing and needs no privileges (unless `f` moves the thread,
    /// which then has to be moved back).
    ///
    /// # Errors
    ///
    /// [`Error::Netns`] when the thread's namespace cannot be remembered or this one cannot be
    /// entered (`EPERM` without privileges). `f` has not run then, and the thread has not moved.
    ///
    /// # Panics
    ///
    /// When the thread cannot return to its namespace after `f` (say `f` dropped
    /// `CAP_SYS_ADMIN`, or the kernel is out of memory): the message names both namespaces.
    /// Going on would run everything after it on this thread in the wrong namespace, silently.
    /// If `f` is panicking already, the process aborts instead: that panic could be caught,
    /// and the thread would go on in the wrong namespace all the same.
    ///
    /// ```no_run
    /// use libxdp_rs::Netns;
    /// let blue = Netns::named("blue")?;
    /// let here = Netns::current()?;
    /// // Code that knows nothing of namespaces finds itself in "blue" ...
    /// let inside = blue.run(|| Netns::current().map(|ns| ns.label().to_owned()))??;
    /// assert_eq!(inside, "blue");
    /// // ... and the thread is back where it was.
    /// assert!(Netns::current()?.same_as(&here));
    /// # Ok::<(), libxdp_rs::Error>(())
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        let entered = self.enter_scoped()?;
        let result = f();
        drop(entered);
        Ok(result)
    }

    /// Move the calling thread into this namespace until the returned value drops, which
    /// returns it to exactly the namespace it is in now (see [`Netns::run`] for what happens
    /// when it cannot).
    ///
    /// Crate-private: dropped out of order (or forgotten), such values would strand a thread
    /// in the wrong namespace, so users get [`Netns::run`]; the crate's own uses each keep one
    /// in a single function, for the length of its namespace-bound calls.
    pub(crate) fn enter_scoped(&self) -> Result<EnteredNetns> {
        let err = |op, source| Error::Netns {
            netns: self.label.clone(),
            op,
            source,
        };
        let saved = open_path(Path::new(THREAD_NETNS))
            .map_err(|e| err("remember the thread's namespace before entering", e))?;
        let saved_id = fstat_id(saved.as_fd())
            .map_err(|e| err("remember the thread's namespace before entering", e))?;
        // setns() needs CAP_SYS_ADMIN even into the namespace the thread is in already.
        if saved_id != self.id {
            setns(self.fd.as_fd()).map_err(|e| err("enter", e))?;
        }
        Ok(EnteredNetns {
            saved,
            saved_id,
            entered: self.label.clone(),
            _not_send: PhantomData,
        })
    }

    /// Another handle on the same namespace (a duplicated descriptor), with the same label.
    pub fn try_clone(&self) -> Result<Netns> {
        let fd = self.fd.try_clone().map_err(|source| Error::Netns {
            netns: self.label.clone(),
            op: "duplicate",
            source,
        })?;
        Ok(Netns {
            fd,
            label: self.label.clone(),
            id: self.id,
        })
    }
}

impl AsFd for Netns {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl fmt::Debug for Netns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Netns")
            .field("label", &self.label)
            .field("inode", &self.id.ino)
            .finish()
    }
}

/// Move the calling thread into the namespace of `fd`.
fn setns(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: setns on an open nsfs descriptor affects the calling thread only.
    if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread is inside a namespace it entered with [`Netns::enter_scoped`]; dropping
/// this returns it to the namespace it was in before.
///
/// Not [`Send`]: a namespace switch belongs to one thread, and so must its undoing.
pub(crate) struct EnteredNetns {
    /// The namespace to return to, held open so that it cannot go away meanwhile.
    saved: OwnedFd,
    saved_id: NetnsId,
    /// Label of the namespace entered, for the message when the thread cannot return.
    entered: String,
    _not_send: PhantomData<*const ()>,
}

impl EnteredNetns {
    fn go_back(&self) -> io::Result<()> {
        // Usually the thread is in the entered namespace now, but the code run inside may have
        // moved it, or it never moved (it was in that namespace already). Ask rather than
        // assume: setns() needs privileges even to stay, and where the thread is is all that
        // matters.
        if stat_id(Path::new(THREAD_NETNS)).is_ok_and(|here| here == self.saved_id) {
            return Ok(());
        }
        setns(self.saved.as_fd())
    }
}

impl Drop for EnteredNetns {
    fn drop(&mut self) {
        let Err(e) = self.go_back() else {
            return;
        };
        let here = stat_id(Path::new(THREAD_NETNS))
            .map_or_else(|_| "an unknown namespace".to_owned(), label_of);
        let message = format!(
            "libxdp-rs: cannot return this thread from network namespace {here} (entered as {}) \
             to network namespace {}, where it was: {e}",
            self.entered,
            label_of(self.saved_id)
        );
        // Logging alone would let the thread go on in the wrong namespace, and with it
        // everything later on this thread (sockets built without a namespace,
        // Netns::current(), the threads it spawns): the very bug this crate is there to
        // prevent. A panic stops that, unless the thread is unwinding already: a panic now
        // would abort anyway, and the panic under way could be caught, after which the thread
        // would go on in the wrong namespace all the same. So abort, after saying why.
        if std::thread::panicking() {
            // Straight to stderr, as std does for its own aborts: a logger might not get to
            // write its buffer before the process is gone.
            eprintln!("{message}; aborting, as this thread is unwinding from a panic");
            std::process::abort();
        }
        panic!("{message}; this thread must not go on in the wrong namespace");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_is_current() {
        let a = Netns::current().unwrap();
        let b = Netns::path("/proc/self/ns/net").unwrap();
        assert!(a.same_as(&b));
        assert_eq!(b.label(), "/proc/self/ns/net");
        let c = a.try_clone().unwrap();
        assert!(c.same_as(&a));
        // Running in the current namespace needs no privileges.
        assert_eq!(a.run(|| 42).unwrap(), 42);
    }

    #[test]
    fn bad_names() {
        for n in ["", "a/b", "..", "no-such-namespace-xdp-netns"] {
            let e = Netns::named(n).unwrap_err();
            assert!(
                e.to_string().contains("cannot open network namespace"),
                "{e}"
            );
        }
    }
}
