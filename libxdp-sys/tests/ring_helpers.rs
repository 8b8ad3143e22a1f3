//! The `static inline` ring helpers of xsk.h, compiled into the library, on rings in plain
//! memory (no kernel, no privileges).

use libxdp_sys as sys;

const SIZE: u32 = 8;

#[test]
fn producer_and_consumer_helpers() {
    // One ring's shared state: producer index, consumer index, flags, descriptors.
    let mut producer = 0u32;
    let mut consumer = 0u32;
    let mut flags = 0u32;
    let mut slots = [0u64; SIZE as usize];

    let mut prod = sys::xsk_ring_prod {
        cached_prod: 0,
        cached_cons: SIZE, // as xsk.c sets it up: the producer may fill the whole ring
        mask: SIZE - 1,
        size: SIZE,
        producer: &mut producer,
        consumer: &mut consumer,
        ring: slots.as_mut_ptr().cast(),
        flags: &mut flags,
    };
    let mut cons = sys::xsk_ring_cons {
        cached_prod: 0,
        cached_cons: 0,
        mask: SIZE - 1,
        size: SIZE,
        producer: &mut producer,
        consumer: &mut consumer,
        ring: slots.as_mut_ptr().cast(),
        flags: &mut flags,
    };

    // SAFETY (whole block): both ring structs point at live locals of the right sizes, and
    // every index used lies within what reserve/peek returned.
    unsafe {
        let mut idx = 0;
        assert_eq!(sys::xsk_ring_prod__reserve(&mut prod, 5, &mut idx), 5);
        for i in 0..5 {
            *sys::xsk_ring_prod__fill_addr(&mut prod, idx + i) = 100 + u64::from(i);
        }
        sys::xsk_ring_prod__submit(&mut prod, 5);
        assert_eq!(producer, 5);
        assert_eq!(
            sys::xsk_ring_prod__reserve(&mut prod, 4, &mut idx),
            0,
            "only 3 free"
        );
        assert_eq!(sys::xsk_ring_prod__needs_wakeup(&prod), 0);

        let mut cidx = 0;
        assert_eq!(sys::xsk_ring_cons__peek(&mut cons, 8, &mut cidx), 5);
        let got: Vec<u64> = (0..5)
            .map(|i| *sys::xsk_ring_cons__comp_addr(&cons, cidx + i))
            .collect();
        assert_eq!(got, [100, 101, 102, 103, 104]);
        sys::xsk_ring_cons__release(&mut cons, 5);
        assert_eq!(consumer, 5);

        // Wrap around the end of the ring.
        assert_eq!(sys::xsk_ring_prod__reserve(&mut prod, 6, &mut idx), 6);
        sys::xsk_ring_prod__submit(&mut prod, 6);
        assert_eq!(sys::xsk_ring_cons__peek(&mut cons, 8, &mut cidx), 6);
        sys::xsk_ring_cons__cancel(&mut cons, 6);
        assert_eq!(sys::xsk_ring_cons__peek(&mut cons, 2, &mut cidx), 2);
        sys::xsk_ring_cons__release(&mut cons, 2);
        assert_eq!(consumer, 7);

        // Unaligned-mode address helpers.
        let addr = (7u64 << sys::XSK_UNALIGNED_BUF_OFFSET_SHIFT) | 0x1000;
        assert_eq!(sys::xsk_umem__extract_addr(addr), 0x1000);
        assert_eq!(sys::xsk_umem__extract_offset(addr), 7);
        assert_eq!(sys::xsk_umem__add_offset_to_addr(addr), 0x1007);
    }
}
