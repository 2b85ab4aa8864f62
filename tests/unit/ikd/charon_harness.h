/*
 * Test harness: strongSwan's charon as an IKE peer, for tests that check ikd's protocol
 * code against a real implementation. charon_start() moves the calling test process into
 * private network and mount namespaces (loopback up, a tmpfs on /run), writes a
 * strongswan.conf whose log records IKE and CHILD_SA keys at level 4, starts charon and
 * loads the given swanctl configuration. charon_log_chunk() reads a value charon logged
 * ("SKEYID_d => 32 bytes @ ...") so a test can compare it with its own.
 *
 * Header-only (static inline) because each tests/unit/ROOM/test_NAME.c is one program.
 * Needs root and /usr/lib/ipsec/charon: charon_start() returns why not, for skip().
 */
#ifndef L2SEC_TESTS_IKD_CHARON_HARNESS_H
#define L2SEC_TESTS_IKD_CHARON_HARNESS_H

#include <ctype.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHARON "/usr/lib/ipsec/charon"

static char charon_dir[64];
static pid_t charon_pid;

static const char swan_conf[] =
	"charon {\n"
	"  load_modular = yes\n"
	"  i_dont_care_about_security_and_use_aggressive_mode_psk = yes\n"
	"  plugins {\n"
	"    include /etc/strongswan.d/charon/*.conf\n"
	"    vici {\n      socket = unix://%s/charon.vici\n    }\n"
	"  }\n"
	"  filelog {\n    log {\n      path = %s/charon.log\n      default = 1\n"
	"      ike = 4\n      chd = 4\n      flush_line = yes\n    }\n  }\n"
	"  install_routes = no\n"
	"%s"
	"}\n";

static inline int charon_write_file(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int charon_write_file(const char *name, const char *fmt, ...)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", charon_dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f);
}

static inline int charon_lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	int rc = s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? -1 : 0;
	ifr.ifr_flags |= IFF_UP;
	if (!rc)
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	if (s >= 0)
		close(s);
	return rc;
}

/* Private net + mount namespaces, charon started, connection loaded. 0 or skip reason. */
/* charon_extra: more lines for the charon { } section ("port = 5000\n"), or "". */
static inline const char *charon_start(const char *swanctl, const char *charon_extra)
{
	if (geteuid() != 0)
		return "needs root";
	if (access(CHARON, X_OK))
		return "no " CHARON;
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return "unshare failed";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/run", "tmpfs", 0, NULL) || charon_lo_up())
		return "namespace set-up failed";
	snprintf(charon_dir, sizeof charon_dir, "/tmp/l2sec-swan-XXXXXX");
	if (!mkdtemp(charon_dir))
		return "mkdtemp failed";
	charon_write_file("strongswan.conf", swan_conf, charon_dir, charon_dir, charon_extra);
	charon_write_file("swanctl.conf", "%s", swanctl);
	char conf[128];
	snprintf(conf, sizeof conf, "%s/strongswan.conf", charon_dir);
	setenv("STRONGSWAN_CONF", conf, 1);
	charon_pid = fork();
	if (charon_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(CHARON, CHARON, (char *)NULL);
		_exit(127);
	}
	char vici[128], cmd[512];
	snprintf(vici, sizeof vici, "%s/charon.vici", charon_dir);
	for (int i = 0; i < 400 && access(vici, F_OK); i++)
		usleep(50000);
	snprintf(cmd, sizeof cmd, "swanctl --load-all --file %s/swanctl.conf --uri unix://%s "
		 ">/dev/null 2>&1", charon_dir, vici);
	if (access(vici, F_OK) || system(cmd) != 0)
		return "charon did not start";
	return NULL;
}

static inline void charon_stop(void)
{
	static const char *const files[] = { "charon.log", "charon.vici", "strongswan.conf",
					     "swanctl.conf" };
	char path[128];
	if (charon_pid > 0) {
		kill(charon_pid, SIGTERM);
		waitpid(charon_pid, NULL, 0);
		charon_pid = 0;
	}
	if (!charon_dir[0] || getenv("L2SEC_KEEP_CHARON_LOG"))
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof path, "%s/%s", charon_dir, files[i]);
		unlink(path);
	}
	rmdir(charon_dir);
	charon_dir[0] = 0;
}

/*
 * charon's level-4 log prints a chunk as "NN[CHD] LABEL => N bytes @ 0x..." followed by
 * lines "NN[CHD]   16: 01 02 ... (up to 16 bytes)  ascii", NN being the logging thread.
 * Find the first LABEL and decode N bytes into out. Only lines of the same thread count
 * (another thread may log in between), and at most 16 bytes per line, each exactly two
 * hex digits: the ascii column can start with a hex digit followed by a space.
 */
static inline size_t charon_log_chunk(const char *label, uint8_t *out, size_t cap)
{
	char path[128], line[512], want[96], thread[16] = "";
	snprintf(path, sizeof path, "%s/charon.log", charon_dir);
	snprintf(want, sizeof want, "%s => ", label);
	FILE *f = fopen(path, "r");
	size_t n = 0, total = 0, thread_len = 0;
	bool found = false;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f) && (!found || n < total)) {
		char *at = strstr(line, want);
		if (!found) {
			char *bracket = strchr(line, ']');
			if (at && bracket && bracket < at && (size_t)(bracket - line) < sizeof thread) {
				found = true;
				total = strtoul(at + strlen(want), NULL, 10);
				thread_len = (size_t)(bracket - line) + 1;
				memcpy(thread, line, thread_len);
			}
			continue;
		}
		if (strncmp(line, thread, thread_len))
			continue;
		char *colon = strstr(line + thread_len, ": ");
		if (!colon)
			break;
		char *c = colon + 2;
		for (int i = 0; i < 16 && n < total && n < cap; i++, c += 3) {
			unsigned v;
			if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]) ||
			    c[2] != ' ' || sscanf(c, "%2x", &v) != 1)
				break;
			out[n++] = (uint8_t)v;
		}
	}
	fclose(f);
	return found && n == total ? n : 0;
}

/*
 * charon logs from its own threads, some time after the message that caused the value
 * went out: poll for LABEL instead of sleeping a fixed time (a loaded host or qemu TCG
 * can take seconds). Returns what charon_log_chunk returns, 0 after timeout_ms.
 */
static inline size_t charon_log_chunk_wait(const char *label, uint8_t *out, size_t cap,
					   unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited += 50) {
		size_t n = charon_log_chunk(label, out, cap);
		if (n || waited >= timeout_ms)
			return n;
		usleep(50000);
	}
}

static inline void charon_log_truncate(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/charon.log", charon_dir);
	if (truncate(path, 0))
		print_message("cannot truncate %s\n", path);
}

#endif
