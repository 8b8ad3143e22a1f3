// SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
/*
 * The C contender of bench-rings: one producer and one consumer of the same ring, driven from
 * one thread with upstream's static inline helpers of <xdp/xsk.h> (reserve, fill/tx slot,
 * submit; peek, comp/rx slot, release). src/main.rs runs the same loops through libxdp-rs's
 * RawProducer/RawConsumer over the same memory.
 *
 * Each iteration: reserve `batch` slots, write descriptors numbered on from the last one,
 * submit; peek `batch`, add up what was read, release. Returns the sum; *failed becomes 1
 * when a reserve or a peek comes up short (which the protocol rules out).
 */
#include <stdint.h>
#include <xdp/xsk.h>

uint64_t c_addr_cycle(struct xsk_ring_prod *prod, struct xsk_ring_cons *cons, uint32_t batch,
		      uint64_t iters, int *failed)
{
	uint64_t sum = 0, next = 0;

	for (uint64_t it = 0; it < iters; it++) {
		uint32_t idx, n;

		if (xsk_ring_prod__reserve(prod, batch, &idx) != batch) {
			*failed = 1;
			break;
		}
		for (uint32_t i = 0; i < batch; i++)
			*xsk_ring_prod__fill_addr(prod, idx + i) = next + i;
		xsk_ring_prod__submit(prod, batch);
		next += batch;

		n = xsk_ring_cons__peek(cons, batch, &idx);
		if (n != batch) {
			*failed = 1;
			break;
		}
		for (uint32_t i = 0; i < n; i++)
			sum += *xsk_ring_cons__comp_addr(cons, idx + i);
		xsk_ring_cons__release(cons, n);
	}
	return sum;
}

uint64_t c_desc_cycle(struct xsk_ring_prod *prod, struct xsk_ring_cons *cons, uint32_t batch,
		      uint64_t iters, int *failed)
{
	uint64_t sum = 0, next = 0;

	for (uint64_t it = 0; it < iters; it++) {
		uint32_t idx, n;

		if (xsk_ring_prod__reserve(prod, batch, &idx) != batch) {
			*failed = 1;
			break;
		}
		for (uint32_t i = 0; i < batch; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(prod, idx + i);

			d->addr = next + i;
			d->len = 64 + (i & 1023);
			d->options = 0;
		}
		xsk_ring_prod__submit(prod, batch);
		next += batch;

		n = xsk_ring_cons__peek(cons, batch, &idx);
		if (n != batch) {
			*failed = 1;
			break;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(cons, idx + i);

			sum += d->addr + d->len;
		}
		xsk_ring_cons__release(cons, n);
	}
	return sum;
}
