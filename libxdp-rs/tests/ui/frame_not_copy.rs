// Frames are not Copy: passing one by value moves it.
use libxdp_rs::Frame;

fn assert_copy<T: Copy>() {}

fn main() {
    assert_copy::<Frame>();
}
