// A frame handed to the fill ring is gone: producing it again is a use after move.
use libxdp_rs::{FillQueue, Frame};

fn submit_twice(fill: &mut FillQueue, frame: Frame) {
    let _ = fill.produce_one(frame);
    let _ = fill.produce_one(frame);
}

fn main() {}
