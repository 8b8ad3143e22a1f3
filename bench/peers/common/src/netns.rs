//! Entering a network namespace on the current thread, and going back.
//!
//! Neither xsk-rs nor xdpilone has a namespace API: a user who needs a socket in another
//! namespace enters it with `setns(2)` on the thread around the socket's creation. A socket
//! keeps the namespace it was created in; the thread then returns to its own.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// The thread is in another network namespace while this lives; dropping it goes back.
pub struct NetnsGuard {
    home: File,
    name: String,
}

/// `/run/netns/NAME` for a bare name, else the path as given.
fn netns_path(name: &str) -> PathBuf {
    if name.contains('/') {
        PathBuf::from(name)
    } else {
        PathBuf::from("/run/netns").join(name)
    }
}

fn setns(file: &File) -> io::Result<()> {
    // SAFETY: setns on an open namespace descriptor; it changes only this thread's namespace.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl NetnsGuard {
    /// Enter namespace `name` (a /run/netns name or a path) on this thread.
    pub fn enter(name: &str) -> Result<NetnsGuard, String> {
        let home = File::open("/proc/thread-self/ns/net")
            .map_err(|e| format!("opening this thread's network namespace: {e}"))?;
        let path = netns_path(name);
        let target =
            File::open(&path).map_err(|e| format!("network namespace {}: {e}", path.display()))?;
        setns(&target).map_err(|e| format!("entering network namespace {name}: {e}"))?;
        Ok(NetnsGuard {
            home,
            name: name.to_string(),
        })
    }
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        // Staying in the other namespace would put every later socket and lookup there.
        if let Err(e) = setns(&self.home) {
            eprintln!(
                "leaving network namespace {}: {e}; aborting rather than going on there",
                self.name
            );
            std::process::abort();
        }
    }
}
