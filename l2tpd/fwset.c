/* The users' address set, through libnftables (the same parser and netlink code as nft). */
#include "l2tpd/fwset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fwset {
	struct nft_ctx *nft;
	char spec[160];     /* "inet l2sec l2sec_users": validated, safe to splice */
};

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

int fwset_parse_spec(const char *spec, char *out, size_t outlen, const char **why)
{
	const char *w[4];
	size_t len[4], n = 0;
	const char *p = spec;

	while (*p && n < 4) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w[n] = p;
		while (*p && *p != ' ')
			p++;
		len[n] = (size_t)(p - w[n]);
		n++;
	}
	while (*p == ' ')
		p++;
	if (*p || (n != 1 && n != 3)) {
		*why = "expected \"SET\" or \"FAMILY TABLE SET\"";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!name_ok(w[i], len[i])) {
			*why = "names are 1-63 characters of A-Z a-z 0-9 _ -";
			return -EINVAL;
		}
	if (n == 1) {
		snprintf(out, outlen, "inet l2sec %.*s", (int)len[0], w[0]);
		return 0;
	}
	if (!((len[0] == 2 && !strncmp(w[0], "ip", 2)) || (len[0] == 3 && !strncmp(w[0], "ip6", 3)) ||
	      (len[0] == 4 && !strncmp(w[0], "inet", 4)))) {
		*why = "family must be ip, ip6 or inet";
		return -EINVAL;
	}
	snprintf(out, outlen, "%.*s %.*s %.*s", (int)len[0], w[0], (int)len[1], w[1],
		 (int)len[2], w[2]);
	return 0;
}

/* Run one nft command; on failure copy nft's first error line into err. */
static int run(struct fwset *fs, const char *cmd, char *err, size_t errlen)
{
	const char *e;

	if (nft_run_cmd_from_buffer(fs->nft, cmd) == 0)
		return 0;
	e = nft_ctx_get_error_buffer(fs->nft);
	snprintf(err, errlen, "%.*s", (int)strcspn(e ? e : "nft failed", "\n"), e ? e : "nft failed");
	return -EIO;
}

int fwset_open(struct fwset **out, const char *spec, char *err, size_t errlen)
{
	struct fwset *fs;
	const char *why;
	char cmd[200];
	int r;

	*out = NULL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	if (fwset_parse_spec(spec, fs->spec, sizeof(fs->spec), &why) < 0) {
		snprintf(err, errlen, "%s", why);
		free(fs);
		return -EINVAL;
	}
	fs->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!fs->nft) {
		free(fs);
		return -ENOMEM;
	}
	nft_ctx_buffer_output(fs->nft);
	nft_ctx_buffer_error(fs->nft);
	snprintf(cmd, sizeof(cmd), "flush set %s", fs->spec);
	r = run(fs, cmd, err, errlen);
	if (r < 0) {
		fwset_close(fs);
		return r;
	}
	*out = fs;
	return 0;
}

void fwset_close(struct fwset *fs)
{
	if (!fs)
		return;
	nft_ctx_free(fs->nft);
	free(fs);
}

static int element(struct fwset *fs, const char *verb, struct in_addr addr, char *err,
		   size_t errlen)
{
	char ip[INET_ADDRSTRLEN], cmd[256];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(cmd, sizeof(cmd), "%s element %s { %s }", verb, fs->spec, ip);
	return run(fs, cmd, err, errlen);
}

int fwset_add(struct fwset *fs, struct in_addr addr, char *err, size_t errlen)
{
	return element(fs, "add", addr, err, errlen);
}

int fwset_del(struct fwset *fs, struct in_addr addr, char *err, size_t errlen)
{
	return element(fs, "delete", addr, err, errlen);
}
