// A packet slice borrows its frame: the frame cannot go to a ring while the slice lives.
use libxdp_rs::{Frame, TxQueue, Umem};

fn keep_slice(tx: &mut TxQueue, umem: &Umem, mut frame: Frame) {
    let bytes = umem.data_mut(&mut frame);
    let _ = tx.produce_one(frame);
    bytes[0] = 1;
}

fn main() {}
