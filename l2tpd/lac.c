/*
 * The LAC role. See lac.h.
 */
#include "l2tpd/lac.h"

#include "common/log.h"
#include "l2tpd/tunnel.h"

void lac_on_sccrp(struct tunnel *t, const struct l2tp_msg *m)
{
	(void)m;
	tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, 0, "LAC role not available");
}

void lac_tunnel_ended(struct tunnel *t, const char *reason)
{
	(void)t;
	(void)reason;
}

void lac_tunnel_free(struct tunnel *t)
{
	(void)t;
}
