//! SIGINT and SIGTERM ask the forwarding loop to drain and stop (as the examples do).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

static STOP: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);

/// Set the stop flag on SIGINT and SIGTERM.
pub fn install_stop_handler() -> io::Result<()> {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&STOP))?;
    }
    Ok(())
}

/// Whether a stop signal came.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}
