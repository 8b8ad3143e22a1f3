//! Stopping: Ctrl-C and SIGTERM set a flag that every loop looks at (signal-hook), and waiting
//! that a signal cuts short.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

/// Set by SIGINT, SIGTERM and [`request_stop`].
static STOP: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);

/// Make SIGINT (Ctrl-C) and SIGTERM set the stop flag instead of killing the process.
pub fn install_stop_handler() -> io::Result<()> {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&STOP))?;
    }
    Ok(())
}

/// Whether a stop was asked for (signal or [`request_stop`]).
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Ask every loop to stop.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Wait until one of `fds` is readable or `timeout_ms` passes; `Ok(false)` on timeout or
/// when a signal interrupted the wait.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout_ms: i32) -> io::Result<bool> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: pfds is a valid array of pollfd of the length given.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.raw_os_error() == Some(libc::EINTR) {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0)
}
