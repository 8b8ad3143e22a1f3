//! The XSKMAP redirect program on the ingress device, from libxdp (xdpilone manages none).

use std::ffi::CStr;

use libxdp_sys as sys;

/// libxdp's default AF_XDP program on a device, with one socket in its XSKMAP; detached on
/// drop.
pub struct XskProgram {
    dev: String,
    ifindex: u32,
    map_fd: i32,
}

fn strerror(err: i32) -> String {
    // SAFETY: strerror returns a static, NUL-terminated string for any value.
    unsafe { CStr::from_ptr(libc::strerror(err)) }
        .to_string_lossy()
        .into_owned()
}

impl XskProgram {
    /// Load and attach the program on `dev` (index `ifindex` in this thread's namespace) and
    /// redirect queue `queue` to AF_XDP socket `socket_fd`.
    pub fn attach(dev: &str, ifindex: u32, queue: u32, socket_fd: i32) -> Result<Self, String> {
        let mut map_fd = -1;
        // SAFETY: map_fd is a valid out-pointer; libxdp attaches to the device by index.
        let rc = unsafe { sys::xsk_setup_xdp_prog(ifindex as i32, &mut map_fd) };
        if rc < 0 {
            return Err(format!(
                "loading the AF_XDP program on {dev}: {}",
                strerror(-rc)
            ));
        }
        let program = XskProgram {
            dev: dev.to_string(),
            ifindex,
            map_fd,
        };
        let key = queue;
        let value = socket_fd;
        // SAFETY: key and value point to a u32 and an i32, the XSKMAP's key and value sizes.
        let rc = unsafe {
            sys::bpf_map_update_elem(
                map_fd,
                (&key as *const u32).cast(),
                (&value as *const i32).cast(),
                0,
            )
        };
        if rc < 0 {
            // `program` detaches on the way out.
            return Err(format!(
                "putting the socket of {dev} queue {queue} in the XSKMAP: {}",
                strerror(-rc)
            ));
        }
        Ok(program)
    }
}

impl Drop for XskProgram {
    fn drop(&mut self) {
        // SAFETY: libxdp's view of the device's programs; detach them, then free the view.
        unsafe {
            let mp = sys::xdp_multiprog__get_from_ifindex(self.ifindex as i32);
            let err = sys::libxdp_get_error(mp.cast());
            if err != 0 || mp.is_null() {
                eprintln!(
                    "xdpilone-forward: finding the XDP program on {}: {}",
                    self.dev,
                    strerror(-err as i32)
                );
            } else {
                let rc = sys::xdp_multiprog__detach(mp);
                if rc < 0 {
                    eprintln!(
                        "xdpilone-forward: detaching the XDP program from {}: {}",
                        self.dev,
                        strerror(-rc)
                    );
                }
                sys::xdp_multiprog__close(mp);
            }
            libc::close(self.map_fd);
        }
    }
}
