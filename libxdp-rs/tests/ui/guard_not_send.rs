// A namespace switch belongs to one thread: its guard cannot move to another.
use libxdp_rs::NetnsGuard;

fn assert_send<T: Send>() {}

fn main() {
    assert_send::<NetnsGuard>();
}
