/* The bench subcommands of tests/tools/xfrmctl (code in tests/bench/xfrm-bench.c). */
#ifndef L2SEC_TESTS_BENCH_XFRM_BENCH_H
#define L2SEC_TESTS_BENCH_XFRM_BENCH_H

struct xfrm_handle;

/* xfrmctl bench PAIRS [mode=batch|single] [verify] [policies]: install then delete PAIRS
 * SA pairs and their 2 policies each (only the policies with "policies"), print timings. */
int xfrmctl_bench(struct xfrm_handle *h, int argc, char **argv);
/* xfrmctl bench-ipbatch PAIRS add|del: print the same work as `ip -batch` input. */
int xfrmctl_bench_ipbatch(struct xfrm_handle *h, int argc, char **argv);

#endif
