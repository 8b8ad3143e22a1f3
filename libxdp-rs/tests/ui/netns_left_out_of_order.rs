// A namespace cannot be left in the wrong order, or not at all: there is no guard to drop or
// forget, only Netns::run(f), which leaves the namespace when f returns. The old pattern, which
// left the thread in `a` for good, no longer compiles:
use libxdp_rs::{Netns, NetnsGuard};

fn main() {
    let a = Netns::named("a").unwrap();
    let b = Netns::named("b").unwrap();
    let in_a = a.enter().unwrap();
    let in_b: NetnsGuard = b.enter().unwrap();
    drop(in_a);
    drop(in_b);
}
