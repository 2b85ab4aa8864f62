#!/bin/bash
# smoke-sanitizer-check: lib.sh's teardown fails a scenario on a sanitizer report, and only
# then. A small program built like ours (gcc, ASan+UBSan) plays the daemon; each case is a
# scenario of its own (a child bash sourcing lib.sh) whose status and output are checked:
#   clean     the program exits cleanly on SIGTERM                      -> passes
#   exit-leak it leaks at exit, 3 s after SIGTERM (more than the 1 s
#             other programs get)                                     -> fails, shows the leak
#   vpnctl    a one-shot run leaks, stderr and status ignored          -> fails (report via log_path)
#   ub-failed an UBSan runtime error in a daemon's log, in a scenario
#             that failed for its own reason                          -> shows both, own reason last
#   killed    the daemon is SIGKILLed by the scenario (no leak check) -> passes
# shellcheck disable=SC2016  # the cases' bodies (single-quoted) expand in their own shell
. "$L2SEC_SRC/tests/vm/lib.sh"
need gcc

# Outside $VM_STATE: this scenario's own teardown scans $VM_STATE, and the cases' output
# holds reports on purpose.
work=$(mktemp -d /tmp/l2sec-sanitizer-check.XXXXXX)

# Leaks on purpose; never part of the product.
cat > "$work/fake-daemon.c" <<'EOF'
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }
static void *kept;

/* Leaked on purpose: the pointer is dropped before exit. */
static void leak_on_purpose(void)
{
	char *p = malloc(48);
	if (p)
		strcpy(p, "leaked on purpose by the sanitizer self-test");
	kept = p;
	kept = NULL;
}

/* Overwrites the stack below the caller, where a copy of the leaked pointer could still be
 * and hide the leak from LSan's scan. */
static void clobber_stack(void)
{
	volatile char junk[8192];
	memset((char *)junk, 0, sizeof(junk));
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "clean";
	if (strcmp(mode, "once-leak") == 0) {
		leak_on_purpose();
		clobber_stack();
		return 0;
	}
	if (strcmp(mode, "ub") == 0) {
		volatile int big = INT_MAX;
		printf("%d\n", big + argc);  /* signed overflow: UBSan reports it */
		return 0;
	}
	signal(SIGTERM, on_term);
	printf("fake-daemon %s: up\n", mode);
	fflush(stdout);
	while (!stop)
		pause();
	if (strcmp(mode, "exit-leak") == 0) {
		sleep(3);
		leak_on_purpose();
		clobber_stack();
	}
	printf("fake-daemon %s: exiting\n", mode);
	return 0;
}
EOF
gcc -O0 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-o "$work/fake-daemon" "$work/fake-daemon.c" || fail "could not build the fake daemon"
log "fake daemon built"

# run_case NAME BODY: run BODY as a scenario of its own (lib.sh sourced, namespace "sc" made),
# leaving its exit status in CASE_RC and its output in CASE_OUT.
run_case() {
	printf '%s\n' ". \"\$L2SEC_SRC/tests/vm/lib.sh\"" "netns_add sc" "D=$work/fake-daemon" "$2" \
		> "$work/$1.sh"
	CASE_RC=0
	CASE_OUT=$(bash "$work/$1.sh" 2>&1) || CASE_RC=$?
	printf '%s\n' "$CASE_OUT" > "$work/$1.out"
}

# expect NAME RC TEXT...: the case ended with status RC and its output holds every TEXT.
expect() {
	local name=$1 rc=$2 t
	shift 2
	[ "$CASE_RC" = "$rc" ] || fail "case $name: exit status $CASE_RC, expected $rc; its output: $(tail -n 30 "$work/$name.out")"
	for t in "$@"; do
		grep -qF -- "$t" <<< "$CASE_OUT" || fail "case $name: no '$t' in its output: $(tail -n 30 "$work/$name.out")"
	done
}

run_case clean 'start_bg d sc "$D" clean; wait_for 10 "the fake daemon" grep -q up "$VM_STATE/d.log"'
expect clean 0
grep -q 'sanitizer' <<< "$CASE_OUT" && fail "case clean mentions a sanitizer: $CASE_OUT"
log "clean: passes"

run_case exit-leak 'start_bg d sc "$D" exit-leak; wait_for 10 "the fake daemon" grep -q up "$VM_STATE/d.log"'
expect exit-leak 1 "---- sanitizer report in sanitizer/report.fake-daemon." \
	"ERROR: LeakSanitizer: detected memory leaks" "in leak_on_purpose" "SUMMARY: AddressSanitizer: 48 byte(s) leaked" \
	"FAIL: sanitizer report(s): sanitizer/report.fake-daemon."
! grep -q 'did not exit within' <<< "$CASE_OUT" || fail "case exit-leak: teardown SIGKILLed the fake daemon: $CASE_OUT"
log "exit-leak: a leak 3 s after SIGTERM fails the scenario, with the report"

# (LSan makes its exit status 1; a caller that ignores it must still see the leak.)
run_case vpnctl '"$D" once-leak 2> /dev/null || true'
expect vpnctl 1 "ERROR: LeakSanitizer: detected memory leaks" "in leak_on_purpose" "FAIL: sanitizer report(s)"
log "vpnctl: a one-shot program's leak fails the scenario though its stderr went to /dev/null"

run_case ub-failed 'start_bg ub sc "$D" ub; wait_for 10 "the UB" grep -q "runtime error" "$VM_STATE/ub.log"
fail "the reason of its own"'
expect ub-failed 1 "---- sanitizer report in ub.log ----" "runtime error: signed integer overflow"
[ "$(tail -n 1 <<< "$CASE_OUT" | grep -o 'FAIL: .*')" = "FAIL: the reason of its own (and sanitizer reports, above)" ] ||
	fail "case ub-failed does not end with its own reason: $(tail -n 5 "$work/ub-failed.out")"
log "ub-failed: an UBSan error is shown and the scenario's own reason stays last"

run_case killed 'start_bg d sc "$D" exit-leak; wait_for 10 "the fake daemon" grep -q up "$VM_STATE/d.log"
kill -9 "$BG_PID"'
expect killed 0
log "killed: a SIGKILLed daemon (no leak check) passes"
rm -rf "$work"
