// A frame handed to the TX ring cannot be read or written any more.
use libxdp_rs::{Frame, TxQueue, Umem};

fn send_then_touch(tx: &mut TxQueue, umem: &Umem, mut frame: Frame) {
    let _ = tx.produce_one(frame);
    umem.data_mut(&mut frame)[0] = 1;
}

fn main() {}
