/*
 * l2tpd's link to ikd (l2tpd/ikd_link.h), against a stand-in ikd: a control server of
 * common/ctl.h in this process that answers ipsec-sa-list with a chosen dump, records
 * delete-peer requests and broadcasts peer-protected events.
 *   - the table: lookups by address whatever the port (NAT-T port vs. the client's 1701),
 *     a rekey (new SA up before the old one goes) keeps the peer protected, the last SA
 *     down says so, a fresh SA replaces a stale one, tunnel mode is ignored;
 *   - the link: waits for ikd with a back-off, resynchronises from the dump on connect,
 *     follows up/down events, keeps SAs as stale when a restarted ikd no longer reports
 *     them, and sends delete-peer with the IKE SA id and ikd's view of the address.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/ctl.h"
#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/tunnel.h"

static struct sockaddr_storage sa4(const char *a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof ss);
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
	return ss;
}

static struct ikd_protection prot(const char *a, uint16_t port, uint32_t ike, uint32_t child,
				  const char *id)
{
	struct ikd_protection p;

	memset(&p, 0, sizeof p);
	p.peer = sa4(a, port);
	p.ike_sa_id = ike;
	p.child_sa_id = child;
	snprintf(p.peer_id, sizeof p.peer_id, "%s", id);
	return p;
}

static void test_table(void **state)
{
	struct ikd_link *l = ikd_link_new_table();
	struct sockaddr_storage from1701 = sa4("192.0.2.254", 1701), gone;
	struct ikd_protection p;

	(void)state;
	assert_non_null(l);
	assert_false(ikd_link_is_protected(l, &from1701));
	p = prot("192.0.2.254", 4500, 1, 10, "198.51.100.2");
	assert_int_equal(ikd_link_sa_up(l, &p), 0);
	/* ikd knows port 4500, L2TP arrives from 1701: the same peer. */
	assert_true(ikd_link_is_protected(l, &from1701));
	assert_string_equal(ikd_link_lookup(l, &from1701)->peer_id, "198.51.100.2");
	struct sockaddr_storage other = sa4("192.0.2.253", 1701);
	assert_false(ikd_link_is_protected(l, &other));

	/* Rekey: the new SA comes up first, the old one goes: still protected. */
	p = prot("192.0.2.254", 4500, 1, 11, "198.51.100.2");
	assert_int_equal(ikd_link_sa_up(l, &p), 0);
	assert_int_equal(ikd_link_count(l), 2);
	assert_int_equal(ikd_link_sa_down(l, 10, &gone), 0);
	assert_true(ikd_link_is_protected(l, &from1701));
	assert_int_equal(ikd_link_lookup(l, &from1701)->child_sa_id, 11);
	/* The same event twice refreshes, never duplicates. */
	assert_int_equal(ikd_link_sa_up(l, &p), 0);
	assert_int_equal(ikd_link_count(l), 1);
	assert_int_equal(ikd_link_sa_down(l, 10, &gone), -ENOENT);
	/* The last SA of the address. */
	assert_int_equal(ikd_link_sa_down(l, 11, &gone), 1);
	assert_false(ikd_link_is_protected(l, &from1701));
	assert_int_equal(ntohs(((struct sockaddr_in *)&gone)->sin_port), 4500);
	assert_int_equal(ikd_link_count(l), 0);

	/* A stale SA (not in ikd's dump) gives way to a fresh one of the same addr:port. */
	p = prot("192.0.2.254", 4500, 1, 12, "old");
	p.stale = true;
	assert_int_equal(ikd_link_sa_up(l, &p), 0);
	p = prot("192.0.2.254", 4501, 3, 30, "behind-the-same-nat");
	assert_int_equal(ikd_link_sa_up(l, &p), 0);
	p = prot("192.0.2.254", 4500, 2, 20, "new");
	assert_int_equal(ikd_link_sa_up(l, &p), 0);
	assert_int_equal(ikd_link_count(l), 2);
	assert_string_equal(ikd_link_lookup(l, &from1701)->peer_id, "new");
	ikd_link_free(l);
}

/* ---- a stand-in ikd -------------------------------------------------------------------- */

#define MAX_DUMP 4
static struct {
	struct ikd_protection dump[MAX_DUMP];
	unsigned n_dump;
	bool tunnel_mode_entry;         /* add a tunnel-mode SA the link must ignore */
	unsigned deletes;
	struct sockaddr_storage del_peer;
	uint32_t del_ike;
	char del_reason[200];
	bool defer_delete;              /* leave delete-peer unanswered (in flight) */
	struct ctl_deferred *deferred;
} fake;

static void put_prot(struct ctl_msg *m, const struct ikd_protection *p, bool tunnel)
{
	ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, p->ike_sa_id);
	ctl_msg_put_u32(m, CTL_A_CHILD_SA_ID, p->child_sa_id);
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&p->peer);
	ctl_msg_put_str(m, CTL_A_PEER_ID, p->peer_id);
	ctl_msg_put_u8(m, CTL_A_IPSEC_MODE, tunnel ? CTL_IPSEC_TUNNEL : CTL_IPSEC_TRANSPORT);
	if (p->mark)
		ctl_msg_put_u32(m, CTL_A_XFRM_MARK, p->mark);
}

static int h_sa_list(struct ctl_request *req, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < fake.n_dump; i++) {
		put_prot(ctl_dump_entry_begin(req), &fake.dump[i], false);
		ctl_dump_entry_end(req);
	}
	if (fake.tunnel_mode_entry) {
		struct ikd_protection t = prot("192.0.2.77", 500, 9, 90, "tunnel");
		put_prot(ctl_dump_entry_begin(req), &t, true);
		ctl_dump_entry_end(req);
	}
	return 0;
}

static int h_delete_peer(struct ctl_request *req, void *arg)
{
	socklen_t len;

	(void)arg;
	fake.deletes++;
	assert_non_null(req->tb[CTL_A_PEER_ADDR]);
	assert_int_equal(ctl_attr_get_sockaddr(req->tb[CTL_A_PEER_ADDR], &fake.del_peer, &len), 0);
	fake.del_ike = req->tb[CTL_A_IKE_SA_ID] ? mnl_attr_get_u32(req->tb[CTL_A_IKE_SA_ID]) : 0;
	snprintf(fake.del_reason, sizeof fake.del_reason, "%s",
		 req->tb[CTL_A_REASON] ? mnl_attr_get_str(req->tb[CTL_A_REASON]) : "");
	if (fake.defer_delete && !(fake.deferred = ctl_request_defer(req)))
		return -ENOMEM;
	return 0;
}

static const struct ctl_command fake_cmds[] = {
	{ CTL_CMD_IPSEC_SA_LIST, false, h_sa_list },
	{ CTL_CMD_DELETE_PEER, true, h_delete_peer },
};

static char dir[64], ikd_path[128];
static struct l2tpd d;
static struct l2tpd_conf conf;
static struct ctl_server *srv;

static void fake_ikd_up(void)
{
	struct ctl_server_options o = { .path = ikd_path, .daemon = "ikd",
					.admin_uid = getuid() };

	assert_int_equal(ctl_server_create(d.ev.loop, &o, fake_cmds, 2, NULL, &srv), 0);
}

static void fake_ikd_down(void)
{
	ctl_server_destroy(srv);
	srv = NULL;
}

static void fake_event(uint16_t type, const struct ikd_protection *p, const char *reason)
{
	struct ctl_msg *m = ctl_server_event_begin(srv, type);

	assert_non_null(m);
	put_prot(m, p, false);
	if (reason)
		ctl_msg_put_str(m, CTL_A_REASON, reason);
	assert_true(ctl_server_broadcast_event(srv) >= 0);
}

/* Run the loop until cond() or about max_ms. */
static bool run_until(bool (*cond)(void), unsigned max_ms)
{
	for (unsigned t = 0; t < max_ms; t += 10) {
		if (cond())
			return true;
		ev_run(d.ev.loop, EVRUN_NOWAIT);
		usleep(10000);
	}
	return cond();
}

static bool synced(void) { return ikd_link_in_sync(d.ikd); }
static bool not_synced(void) { return !ikd_link_in_sync(d.ikd); }
static bool count_is_2(void) { return ikd_link_count(d.ikd) == 2; }
static bool count_is_1(void) { return ikd_link_count(d.ikd) == 1; }
static bool one_delete(void) { return fake.deletes == 1; }
static bool two_deletes(void) { return fake.deletes == 2; }
static bool three_deletes(void) { return fake.deletes == 3; }
static bool count_is_3(void) { return ikd_link_count(d.ikd) == 3; }

static void test_link(void **state)
{
	struct sockaddr_storage c1 = sa4("192.0.2.254", 1701), c2 = sa4("192.0.2.253", 1701);
	const struct ikd_protection *p;

	(void)state;
	memset(&fake, 0, sizeof fake);
	snprintf(dir, sizeof dir, "/tmp/l2sec-ikdlink-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(ikd_path, sizeof ikd_path, "%s/ikd.sock", dir);
	l2tpd_conf_defaults(&conf);
	snprintf(conf.ctl_path, sizeof conf.ctl_path, "%s/l2tpd.sock", dir);
	memset(&d, 0, sizeof d);
	d.conf = &conf;
	assert_int_equal(evloop_open(&d.ev), 0);

	/* ikd is not there yet: the link waits without blocking. */
	assert_int_equal(ikd_link_start(&d, NULL), 0);
	assert_false(ikd_link_in_sync(d.ikd));

	/* ikd starts with one SA (and a tunnel-mode one that is not ours). */
	fake.dump[fake.n_dump++] = prot("192.0.2.254", 4500, 1, 10, "198.51.100.2");
	fake.tunnel_mode_entry = true;
	fake_ikd_up();
	assert_true(run_until(synced, 3000));
	assert_int_equal(ikd_link_count(d.ikd), 1);
	assert_true(l2tpd_peer_is_protected(&d, &c1));
	assert_false(l2tpd_peer_is_protected(&d, &c2));

	/* Events: a second client behind another NAT; then the first one's SA goes. */
	struct ikd_protection two = prot("192.0.2.253", 4500, 2, 20, "198.51.100.3");
	fake_event(CTL_EVT_PEER_PROTECTED_UP, &two, NULL);
	assert_true(run_until(count_is_2, 2000));
	p = ikd_link_lookup(d.ikd, &c2);
	assert_non_null(p);
	assert_int_equal(p->ike_sa_id, 2);
	assert_string_equal(p->peer_id, "198.51.100.3");
	fake_event(CTL_EVT_PEER_PROTECTED_DOWN, &fake.dump[0], "DPD: peer dead");
	assert_true(run_until(count_is_1, 2000));
	assert_false(l2tpd_peer_is_protected(&d, &c1));

	/* ikd restarts and has forgotten client two: it stays, marked stale. */
	fake_ikd_down();
	fake.n_dump = 0;
	assert_true(run_until(not_synced, 2000));
	assert_true(ikd_link_is_protected(d.ikd, &c2));
	fake_ikd_up();
	assert_true(run_until(synced, 6000));
	p = ikd_link_lookup(d.ikd, &c2);
	assert_non_null(p);
	assert_true(p->stale);

	/* ikd reports it again (it rebuilt its state): fresh, and a tunnel end asks ikd to
	 * delete it by IKE SA id and ikd's own address:port. */
	fake_event(CTL_EVT_PEER_PROTECTED_UP, &two, NULL);
	assert_true(run_until(count_is_1, 2000));
	ev_run(d.ev.loop, EVRUN_NOWAIT);
	assert_false(ikd_link_lookup(d.ikd, &c2)->stale);
	d.tunnel_by_id = calloc(65536, sizeof *d.tunnel_by_id);
	struct tunnel t = { .d = &d, .tid = 7, .peer = c2, .torn_down = true };
	d.tunnel_by_id[7] = &t;
	ikd_link_tunnel_ended(&t, "StopCCN received");
	assert_true(run_until(one_delete, 2000));
	assert_int_equal(fake.del_ike, 2);
	assert_int_equal(ntohs(((struct sockaddr_in *)&fake.del_peer)->sin_port), 4500);
	assert_non_null(strstr(fake.del_reason, "StopCCN received"));

	/* A second live tunnel from the same address keeps the SA: no delete. */
	struct tunnel t2 = { .d = &d, .tid = 8, .peer = c2 };
	d.tunnel_by_id[8] = &t2;
	ikd_link_tunnel_ended(&t, "again");
	run_until(not_synced, 1500);   /* longer than the delete delay */
	assert_int_equal(fake.deletes, 1);

	/* Two clients behind one NAT (192.0.2.252), told apart by their SAs' XFRM marks (ikd
	 * nat_marks): client A at NAT-T port 4500 with mark 0x100, client B at 31000 with 0x101.
	 * B's tunnel ends: the delete-peer names B's port and IKE SA only, even while A still
	 * has a tunnel from the same address. */
	struct ikd_protection pa = prot("192.0.2.252", 4500, 5, 50, "client-a");
	struct ikd_protection pb = prot("192.0.2.252", 31000, 6, 60, "client-b");
	struct sockaddr_storage nat = sa4("192.0.2.252", 1701);
	pa.mark = 0x100;
	pb.mark = 0x101;
	fake_event(CTL_EVT_PEER_PROTECTED_UP, &pa, NULL);
	fake_event(CTL_EVT_PEER_PROTECTED_UP, &pb, NULL);
	assert_true(run_until(count_is_3, 2000));
	assert_string_equal(ikd_link_lookup_mark(d.ikd, &nat, 0x100)->peer_id, "client-a");
	assert_string_equal(ikd_link_lookup_mark(d.ikd, &nat, 0x101)->peer_id, "client-b");
	struct tunnel ta = { .d = &d, .tid = 20, .peer = nat, .mark = 0x100 };
	struct tunnel tb = { .d = &d, .tid = 21, .peer = nat, .mark = 0x101, .torn_down = true };
	d.tunnel_by_id[20] = &ta;
	d.tunnel_by_id[21] = &tb;
	ikd_link_tunnel_ended(&tb, "client B hung up");
	assert_true(run_until(two_deletes, 2000));
	assert_int_equal(fake.del_ike, 6);
	assert_int_equal(ntohs(((struct sockaddr_in *)&fake.del_peer)->sin_port), 31000);
	/* A tunnel with a mark no SA has: nothing is deleted. */
	struct tunnel tc = { .d = &d, .tid = 22, .peer = nat, .mark = 0x1ff, .torn_down = true };
	ikd_link_tunnel_ended(&tc, "unknown mark");
	run_until(not_synced, 1500);
	assert_int_equal(fake.deletes, 2);
	d.tunnel_by_id[20] = d.tunnel_by_id[21] = NULL;

	/* l2tpd exits while a delete-peer is in flight: the request is freed with the link
	 * (closing the client drops it without its callback; LSan catches a leak here). */
	d.tunnel_by_id[8] = NULL;
	fake.defer_delete = true;
	ikd_link_tunnel_ended(&t, "exit race");
	assert_true(run_until(three_deletes, 3000));
	ikd_link_stop(&d);
	ctl_deferred_finish(fake.deferred, 0, NULL);   /* the client is gone: nothing sent */
	free(d.tunnel_by_id);
	fake_ikd_down();
	evloop_close(&d.ev);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_link),
	};

	log_init("test", LOG_TO_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
