// Static wrappers

__u64 * xsk_ring_prod__fill_addr__extern(struct xsk_ring_prod *fill, __u32 idx) { return xsk_ring_prod__fill_addr(fill, idx); }
const __u64 * xsk_ring_cons__comp_addr__extern(const struct xsk_ring_cons *comp, __u32 idx) { return xsk_ring_cons__comp_addr(comp, idx); }
struct xdp_desc * xsk_ring_prod__tx_desc__extern(struct xsk_ring_prod *tx, __u32 idx) { return xsk_ring_prod__tx_desc(tx, idx); }
const struct xdp_desc * xsk_ring_cons__rx_desc__extern(const struct xsk_ring_cons *rx, __u32 idx) { return xsk_ring_cons__rx_desc(rx, idx); }
int xsk_ring_prod__needs_wakeup__extern(const struct xsk_ring_prod *r) { return xsk_ring_prod__needs_wakeup(r); }
__u32 xsk_prod_nb_free__extern(struct xsk_ring_prod *r, __u32 nb) { return xsk_prod_nb_free(r, nb); }
__u32 xsk_cons_nb_avail__extern(struct xsk_ring_cons *r, __u32 nb) { return xsk_cons_nb_avail(r, nb); }
__u32 xsk_ring_prod__reserve__extern(struct xsk_ring_prod *prod, __u32 nb, __u32 *idx) { return xsk_ring_prod__reserve(prod, nb, idx); }
void xsk_ring_prod__submit__extern(struct xsk_ring_prod *prod, __u32 nb) { xsk_ring_prod__submit(prod, nb); }
__u32 xsk_ring_cons__peek__extern(struct xsk_ring_cons *cons, __u32 nb, __u32 *idx) { return xsk_ring_cons__peek(cons, nb, idx); }
void xsk_ring_cons__cancel__extern(struct xsk_ring_cons *cons, __u32 nb) { xsk_ring_cons__cancel(cons, nb); }
void xsk_ring_cons__release__extern(struct xsk_ring_cons *cons, __u32 nb) { xsk_ring_cons__release(cons, nb); }
void * xsk_umem__get_data__extern(void *umem_area, __u64 addr) { return xsk_umem__get_data(umem_area, addr); }
__u64 xsk_umem__extract_addr__extern(__u64 addr) { return xsk_umem__extract_addr(addr); }
__u64 xsk_umem__extract_offset__extern(__u64 addr) { return xsk_umem__extract_offset(addr); }
__u64 xsk_umem__add_offset_to_addr__extern(__u64 addr) { return xsk_umem__add_offset_to_addr(addr); }
