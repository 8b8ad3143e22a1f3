//! The UMEM's memory: anonymous, page aligned, unmapped on drop. xdpilone takes the area
//! from its user.

use std::io;
use std::ptr::NonNull;

/// An anonymous private mapping of `len` bytes.
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
}

impl Region {
    pub fn new(len: usize) -> Result<Region, String> {
        // SAFETY: a fresh anonymous mapping; no existing memory is touched.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "mapping {len} bytes for the UMEM: {}",
                io::Error::last_os_error()
            ));
        }
        let ptr = NonNull::new(ptr.cast()).ok_or("mmap gave a null address")?;
        Ok(Region { ptr, len })
    }

    /// The whole area, for `Umem::new`.
    pub fn area(&self) -> NonNull<[u8]> {
        NonNull::slice_from_raw_parts(self.ptr, self.len)
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, of this length; the UMEM using it is gone (the
        // owner drops it first).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}
