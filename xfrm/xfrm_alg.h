/*
 * Inside the library: the algorithm table's reverse lookups (kernel name -> IKE id) for
 * SAs read back from the kernel.
 */
#ifndef L2SEC_XFRM_XFRM_ALG_H
#define L2SEC_XFRM_XFRM_ALG_H

#include <stdint.h>

/* From a kernel algorithm name, its key length in bits as the kernel reports it (salt
 * included) and ICV/truncation bits, find the IKE ids. Returns 0 or -ENOENT. */
int xfrm_alg_encr_reverse(const char *kernel_name, uint32_t key_bits, uint32_t icv_bits,
			  uint16_t *encr_id, uint16_t *ike_key_bits);
int xfrm_alg_integ_reverse(const char *kernel_name, uint32_t trunc_bits, uint16_t *integ_id);

#endif
