// Frames are not Clone: there is no second handle on a buffer.
use libxdp_rs::Frame;

fn dup(frame: &Frame) -> Frame {
    frame.clone()
}

fn main() {}
