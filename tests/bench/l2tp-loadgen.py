#!/usr/bin/env python3
"""l2tp-loadgen: a user-space LAC + PPP client that brings many L2TP/PPP sessions up against
an LNS and tears them down again, to measure the LNS (l2tpd, or xl2tpd with its pppd).

No kernel L2TP on this side: control and data messages are plain UDP, so the client costs
little next to the server. Per tunnel one UDP socket; per session ICRQ/ICRP/ICCN, then PPP
in L2TP data messages: LCP (magic), CHAP-MD5 or PAP, IPCP (the address the LNS gives).

  l2tp-loadgen.py --lns 192.0.2.1 --tunnels 10 --sessions 100 --user-fmt u%d --pw-fmt pw-u%d
                 [--inflight K]   (at most K sessions being set up at once; default: all)
    up       bring everything up, print "up N SECONDS auth_failed=F latency_ms_p50=..",
             then wait for a line on stdin
    (stdin)  any line: CDN for every session, StopCCN for every tunnel, print "down N SECONDS"

Protocol facts used (RFC 2661, RFC 1661, RFC 1994, RFC 1334, RFC 1332); written for this
benchmark, not derived from other implementations.
"""
import argparse
import collections
import hashlib
import os
import selectors
import socket
import struct
import sys
import time

# ---- L2TP control messages -------------------------------------------------------------
SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO, ICRQ, ICRP, ICCN, CDN = 1, 2, 3, 4, 6, 10, 11, 12, 14


def avp(t, value, m=True):
    return struct.pack("!HHH", (0x8000 if m else 0) | (6 + len(value)), 0, t) + value


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def parse_avps(body):
    out, i = {}, 0
    while i + 6 <= len(body):
        fl, vendor, t = struct.unpack_from("!HHH", body, i)
        ln = fl & 0x3FF
        if ln < 6 or i + ln > len(body):
            break
        if vendor == 0 and t not in out:
            out[t] = body[i + 6:i + ln]
        i += ln
    return out


# ---- PPP ---------------------------------------------------------------------------------
LCP, PAP, CHAP, IPCP = 0xC021, 0xC023, 0xC223, 0x8021
RESTART_S = 3.0


def ppp_opts(data):
    i, out = 0, []
    while i + 2 <= len(data):
        t, ln = data[i], data[i + 1]
        if ln < 2 or i + ln > len(data):
            break
        out.append((t, data[i + 2:i + ln]))
        i += ln
    return out


class Session:
    def __init__(self, tun, idx):
        self.tun, self.idx = tun, idx
        self.csid = idx + 1
        self.lsid = 0
        self.user = args.user_fmt % (tun.idx * args.sessions + idx + 1)
        self.pw = args.pw_fmt % (tun.idx * args.sessions + idx + 1)
        self.magic = struct.unpack("!I", os.urandom(4))[0] or 1
        self.lcp_ours = self.lcp_theirs = False
        self.auth_proto = None
        self.authed = False
        self.ipcp_ours = self.ipcp_theirs = False
        self.addr = b"\0\0\0\0"
        self.ident = 1
        self.up = False
        self.down = False
        self.sent_at = 0.0
        self.pap_sent = False
        self.t_call = 0.0    # ICRQ queued: the start of this session's setup latency
        self.chap_resp = None   # (ident, data) of our last CHAP Response, for repeats
        self.t_up = 0.0

    # -- PPP frames in L2TP data messages
    def ppp_send(self, proto, code, ident, data):
        pkt = struct.pack("!BBH", code, ident, 4 + len(data)) + data
        hdr = struct.pack("!HHH", 0x0002, self.tun.ltid, self.lsid)
        self.tun.sock.send(hdr + b"\xff\x03" + struct.pack("!H", proto) + pkt)

    def lcp_request(self):
        self.sent_at = time.monotonic()
        self.ppp_send(LCP, 1, self.ident, bytes([5, 6]) + u32(self.magic))

    def ipcp_request(self):
        self.sent_at = time.monotonic()
        self.ppp_send(IPCP, 1, self.ident, bytes([3, 6]) + self.addr)

    def pap_request(self):
        u, p = self.user.encode(), self.pw.encode()
        self.sent_at = time.monotonic()
        self.ppp_send(PAP, 1, self.ident, bytes([len(u)]) + u + bytes([len(p)]) + p)

    def kick(self, now):
        """Restart timer (RFC 1661 §4.6, its default 3 s, as pppd): repeat what we are
        waiting an answer for. (1 s before: under load, a Configure-Request repeated while
        the LNS's Ack was on its way reached the LNS in Opened, which renegotiated LCP and
        restarted authentication, and the repeated CHAP Responses of the old round then
        met the new round's Challenge.)"""
        if self.up or not self.sent_at or now - self.sent_at < RESTART_S:
            return
        if not self.lcp_ours:
            self.lcp_request()
        elif self.authed and not self.ipcp_ours:
            self.ipcp_request()
        elif self.lcp_theirs and not self.authed and self.auth_proto == PAP:
            self.pap_request()
        elif not self.authed and self.chap_resp:
            # the Success (or its Challenge) was lost in a full socket buffer: the
            # authenticator answers a repeated Response with its verdict again
            self.sent_at = now
            self.ppp_send(CHAP, 2, *self.chap_resp)

    def network(self):
        if self.lcp_ours and self.lcp_theirs and not self.authed and self.auth_proto == PAP \
                and not self.pap_sent:
            self.pap_sent = True
            self.pap_request()
        if self.authed and self.ipcp_ours and self.ipcp_theirs and not self.up:
            self.up = True
            self.t_up = time.monotonic()
            stats["up"] += 1
            stats["in_setup"] -= 1

    def ppp_input(self, frame):
        if frame[:2] == b"\xff\x03":
            frame = frame[2:]
        if len(frame) < 6:
            return
        proto = struct.unpack_from("!H", frame)[0]
        code, ident, ln = struct.unpack_from("!BBH", frame, 2)
        data = frame[6:2 + ln]
        if proto == LCP:
            if code == 1:      # Configure-Request: take auth PAP/CHAP-MD5, nak anything else
                if not self.sent_at:
                    self.lcp_request()
                nak = b""
                for t, v in ppp_opts(data):
                    if t == 3:
                        ap = struct.unpack("!H", v[:2])[0]
                        if ap == PAP or (ap == CHAP and v[2:3] == b"\x05"):
                            self.auth_proto = ap
                        else:
                            nak += bytes([3, 5]) + u16(CHAP) + b"\x05"
                if nak:
                    self.ppp_send(LCP, 3, ident, nak)
                else:
                    self.ppp_send(LCP, 2, ident, data)
                    self.lcp_theirs = True
            elif code == 2:
                self.lcp_ours = True
            elif code in (3, 4):
                self.ident += 1
                self.ppp_send(LCP, 1, self.ident, b"")
            elif code == 5:
                self.ppp_send(LCP, 6, ident, b"")
            elif code == 9:
                self.ppp_send(LCP, 10, ident, u32(self.magic) + data[4:])
        elif proto == CHAP and code == 1 and data:
            vs = data[0]
            resp = hashlib.md5(bytes([ident]) + self.pw.encode() + data[1:1 + vs]).digest()
            self.chap_resp = (ident, bytes([16]) + resp + self.user.encode())
            self.sent_at = time.monotonic()
            self.ppp_send(CHAP, 2, *self.chap_resp)
        elif (proto == CHAP and code == 3) or (proto == PAP and code == 2):
            self.authed = True
            self.ident += 1
            self.ipcp_request()
        elif proto in (CHAP, PAP) and code in (3, 4):
            stats["auth_failed"] += 1
        elif proto == IPCP:
            if code == 1:
                self.ppp_send(IPCP, 2, ident, data)
                self.ipcp_theirs = True
            elif code == 3:
                for t, v in ppp_opts(data):
                    if t == 3 and len(v) == 4:
                        self.addr = v
                self.ident += 1
                self.ipcp_request()
            elif code == 2:
                self.ipcp_ours = True
            elif code == 4:   # reject: ask with no options
                self.ident += 1
                self.ppp_send(IPCP, 1, self.ident, b"")
        self.network()


class Tunnel:
    def __init__(self, idx):
        self.idx = idx
        self.ctid = idx + 1
        self.ltid = 0
        self.ns = 0          # next Ns we send
        self.nr = 0          # next Ns we expect
        self.acked = 0       # peer's Nr: our messages below it are acked
        self.rws = 4
        self.queue = []      # (ns, bytes) not yet sent
        self.unacked = {}    # ns -> (bytes, sent_at)
        self.need_ack = False
        self.sessions = []
        self.by_lsid = {}
        self.closed = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:   # thousands of sessions answer at once: room beyond rmem_max (root only)
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((args.local, 0))
        self.sock.connect((args.lns, args.port))
        self.sock.setblocking(False)

    def ctrl(self, msg_type, sid, avps):
        body = avp(0, u16(msg_type)) + b"".join(avps)
        self.queue.append((msg_type, sid, body))
        self.flush()

    def flush(self):
        while self.queue and ((self.ns - self.acked) & 0xFFFF) < self.rws:
            _, sid, body = self.queue.pop(0)
            pkt = struct.pack("!HHHHHH", 0xC802, 12 + len(body), self.ltid, sid, self.ns,
                              self.nr) + body
            self.unacked[self.ns] = [pkt, time.monotonic()]
            self.ns = (self.ns + 1) & 0xFFFF
            self.sock.send(pkt)
            self.need_ack = False

    def zlb(self):
        self.sock.send(struct.pack("!HHHHHH", 0xC802, 12, self.ltid, 0, self.ns, self.nr))
        self.need_ack = False

    def retransmit(self, now):
        for ns, e in self.unacked.items():
            if now - e[1] > 1.0:
                pkt = bytearray(e[0])
                struct.pack_into("!H", pkt, 10, self.nr)
                self.sock.send(pkt)
                e[1] = now

    def start(self):
        self.ctrl(SCCRQ, 0, [avp(2, u16(0x0100)), avp(3, u32(3)), avp(7, b"loadgen"),
                             avp(9, u16(self.ctid)), avp(10, u16(16))])

    def call(self, s):
        s.t_call = time.monotonic()
        self.ctrl(ICRQ, 0, [avp(14, u16(s.csid)), avp(15, u32(s.csid))])

    def input(self, pkt):
        if len(pkt) < 6:
            return
        flags = struct.unpack_from("!H", pkt)[0]
        if not flags & 0x8000:
            self.data_input(pkt, flags)
            return
        if len(pkt) < 12:
            return
        _, ln, tid, sid, ns, nr = struct.unpack_from("!HHHHHH", pkt)
        # acknowledgement
        while ((nr - self.acked) & 0xFFFF) and ((self.ns - self.acked) & 0xFFFF) and \
                ((nr - self.acked) & 0xFFFF) <= ((self.ns - self.acked) & 0xFFFF):
            self.unacked.pop(self.acked, None)
            self.acked = (self.acked + 1) & 0xFFFF
        if ln == 12:
            self.flush()
            return
        if ns != self.nr:
            self.need_ack = True      # duplicate (or out of order): ack again
            return
        self.nr = (self.nr + 1) & 0xFFFF
        self.need_ack = True
        a = parse_avps(pkt[12:ln])
        mt = struct.unpack("!H", a.get(0, b"\0\0"))[0]
        if mt == SCCRP:
            self.ltid = struct.unpack("!H", a[9])[0]
            if 10 in a:
                self.rws = struct.unpack("!H", a[10])[0]
            self.ctrl(SCCCN, 0, [])
            for i in range(args.sessions):
                s = Session(self, i)
                self.sessions.append(s)
                waiting.append(s)
            admit()
        elif mt == ICRP:
            s = self.sessions[sid - 1]
            s.lsid = struct.unpack("!H", a[14])[0]
            self.by_lsid[s.lsid] = s
            self.ctrl(ICCN, s.lsid, [avp(24, u32(100000000)), avp(19, u32(1))])
            # passive, like xl2tpd's pppd: LCP starts with the LNS's first Configure-Request
            # (a frame sent now could reach the LNS before its kernel session exists)
        elif mt == CDN:
            s = self.sessions[sid - 1] if 0 < sid <= len(self.sessions) else None
            if s and not s.down:
                s.down = True
                stats["cdn_from_lns"] += 1
                if not s.up:
                    stats["in_setup"] -= 1
                    stats["refused"] += 1
        elif mt == STOPCCN:
            self.closed = True
        self.flush()

    def data_input(self, pkt, flags):
        i = 2
        if flags & 0x4000:
            i += 2
        tid, sid = struct.unpack_from("!HH", pkt, i)
        i += 4
        if flags & 0x0800:
            i += 4
        if flags & 0x0200:
            off = struct.unpack_from("!H", pkt, i)[0]
            i += 2 + off
        s = self.sessions[sid - 1] if 0 < sid <= len(self.sessions) else None
        if s:
            s.ppp_input(pkt[i:])


def admit():
    """Place calls while fewer than --inflight sessions are being set up (0: no limit)."""
    while waiting and (not args.inflight or stats["in_setup"] < args.inflight):
        s = waiting.popleft()
        stats["in_setup"] += 1
        s.tun.call(s)


def pump(sel, tunnels, until, timeout):
    end = time.monotonic() + timeout
    last_rtx = last_report = time.monotonic()
    while not until() and time.monotonic() < end:
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            print("# up=%d" % stats["up"], flush=True)
        for key, _ in sel.select(0.05):
            t = key.data
            for _ in range(64):
                try:
                    pkt = t.sock.recv(4096)
                except BlockingIOError:
                    break
                except ConnectionRefusedError:
                    break
                t.input(pkt)
        admit()
        now = time.monotonic()
        for t in tunnels:
            if t.need_ack:
                t.zlb()
        if now - last_rtx > 0.5:
            for t in tunnels:
                t.retransmit(now)
                for s in t.sessions:
                    s.kick(now)
            last_rtx = now


waiting = collections.deque()   # sessions whose ICRQ is not placed yet (--inflight)


def main():
    global args, stats
    p = argparse.ArgumentParser()
    p.add_argument("--lns", required=True)
    p.add_argument("--local", default="0.0.0.0")
    p.add_argument("--port", type=int, default=1701)
    p.add_argument("--tunnels", type=int, default=10)
    p.add_argument("--sessions", type=int, default=100, help="per tunnel")
    p.add_argument("--user-fmt", default="u%d")
    p.add_argument("--pw-fmt", default="pw-u%d")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--inflight", type=int, default=0,
                   help="sessions being set up at once (0: every call placed at once)")
    args = p.parse_args()
    stats = {"up": 0, "auth_failed": 0, "cdn_from_lns": 0, "in_setup": 0, "refused": 0}
    total = args.tunnels * args.sessions
    sel = selectors.DefaultSelector()
    tunnels = [Tunnel(i) for i in range(args.tunnels)]
    for t in tunnels:
        sel.register(t.sock, selectors.EVENT_READ, t)
    t0 = time.monotonic()
    for t in tunnels:
        t.start()
    # until every session is up or was ended by the LNS before (it is not called again)
    pump(sel, tunnels, lambda: stats["up"] + stats["refused"] >= total, args.timeout)
    t1 = time.monotonic()
    last_up = max([s.t_up for t in tunnels for s in t.sessions if s.up] or [t0]) - t0
    print("up %d %.3f auth_failed=%d last_up=%.3f %s" % (stats["up"], t1 - t0, stats["auth_failed"],
                                                         last_up, latency_summary(tunnels)),
          flush=True)
    report_stuck(tunnels)
    # hold until told to tear down, answering echoes meanwhile
    while True:
        r, _, _ = select_stdin()
        if r:
            break
        pump(sel, tunnels, lambda: False, 0.5)
    t2 = time.monotonic()
    for t in tunnels:
        for s in t.sessions:
            if s.lsid:
                t.ctrl(CDN, s.lsid, [avp(1, u16(3)), avp(14, u16(s.csid))])
    # every CDN acknowledged: as long as the ups may take (a fixed 120 s here once let the
    # StopCCNs go unsent at 1,000 sessions, and the LNS's HELLO timeout did the teardown)
    pump(sel, tunnels, lambda: all(not t.unacked and not t.queue for t in tunnels), args.timeout)
    t3 = time.monotonic()
    for t in tunnels:
        t.ctrl(STOPCCN, 0, [avp(9, u16(t.ctid)), avp(1, u16(1))])
    pump(sel, tunnels, lambda: all(not t.unacked and not t.queue for t in tunnels), 60)
    left = sum(len(t.unacked) + len(t.queue) for t in tunnels)
    if left:
        print("# %d control messages never acknowledged" % left, flush=True)
    print("down %d %.3f" % (total, t3 - t2), flush=True)


def stuck_state(s):
    """Where a session that is not up stopped, from the client's side."""
    if s.down:
        return "cdn-from-lns"
    if not s.t_call:
        return "not-called"
    if not s.lsid:
        return "no-icrp"
    if not (s.lcp_ours and s.lcp_theirs):
        return "lcp(ours=%d,theirs=%d,sent=%d)" % (s.lcp_ours, s.lcp_theirs, bool(s.sent_at))
    if not s.authed:
        return "auth(%s,response=%d)" % ({PAP: "pap", CHAP: "chap"}.get(s.auth_proto, "none"),
                                         s.chap_resp is not None)
    return "ipcp(ours=%d,theirs=%d)" % (s.ipcp_ours, s.ipcp_theirs)


def report_stuck(tunnels):
    """'# stuck' lines: how many sessions stopped where, and the first few by their ids
    (the LNS's tunnel and session ids, for its log)."""
    stuck = [s for t in tunnels for s in t.sessions if not s.up]
    stuck += [None] * sum(args.sessions - len(t.sessions) for t in tunnels)   # no SCCRP
    if not stuck:
        return
    by = collections.Counter(stuck_state(s) if s else "no-tunnel" for s in stuck)
    print("# stuck %d: %s" % (len(stuck), ", ".join("%s=%d" % kv for kv in by.most_common())),
          flush=True)
    for s in [s for s in stuck if s][:20]:
        print("# stuck tunnel=%d session=%d user=%s state=%s" % (s.tun.ltid, s.lsid, s.user,
                                                                stuck_state(s)), flush=True)


def latency_summary(tunnels):
    """Setup latency (ICRQ queued -> IPCP opened both ways) percentiles, in ms."""
    lat = sorted(s.t_up - s.t_call for t in tunnels for s in t.sessions if s.up)
    if not lat:
        return "latency_ms=none"
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    return "latency_ms_p50=%.0f p90=%.0f p99=%.0f max=%.0f" % (pick(0.5), pick(0.9), pick(0.99),
                                                               lat[-1] * 1000)


def select_stdin():
    import select
    return select.select([sys.stdin], [], [], 0)


if __name__ == "__main__":
    main()
