/*
 * sct.h - what every suite shares on top of the harness: which port is
 * under test, where the reference programs and scripted peers are, labs
 * named after the running test (so evidence lands in
 * <evidence>/<suite>/<test>/), cleanup that runs even when an assertion
 * fails, and assertion helpers whose messages name both sides and point
 * to the evidence.
 */
#ifndef SOCKCHECK_SCT_H
#define SOCKCHECK_SCT_H

#include "sc.h"

#include <criterion/criterion.h>
#include <netinet/in.h>

/* The port under test: SOCKCHECK_PORT, or our own C programs. */
const char *sct_port_dir(void);
/* Our C programs (the reference partners). */
const char *sct_ref_dir(void);
/* Path of program id in the port; the test SKIPs with "port has no <id>" if absent. */
const char *sct_prog(const char *id);
/*
 * Is path one of ours (reference programs, peers, system tools) rather than
 * the port's?  Everything in the port's directory runs jailed; so do our
 * own programs when they are the port under test.
 */
bool sct_trusted(const char *path);
/*
 * sc_spawn for suites: a jail that cannot be built skips the test as a
 * harness error; any other failure fails it.
 */
void sct_spawn(struct sc_lab *lab, const struct sc_proc_opts *o, struct sc_proc **out);
/* Path of program id among our own programs (fails the test if missing). */
const char *sct_ref(const char *id);
/* Path of the scripted peer binary. */
const char *sct_peer(void);

/* Regular expressions (POSIX extended) for what the book's programs print. */
#define SCT_RE_CTIME "[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}"
#define SCT_RE_DATETIME "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?"
#define SCT_RE_LOOP_ADDR "\\('127\\.0\\.0\\.1', [0-9]+\\)"

/* "<suite>/<test>" of the running test. */
const char *sct_test_name(void);

/* Skips the test unless labs of namespaces can be made here. */
#define SCT_NEED_NAMESPACES()                                                                     \
        do {                                                                                      \
                if (sc_mode() == SC_MODE_LOOPBACK)                                                \
                        cr_skip_test("needs network namespaces; here: %s", sc_mode_reason());     \
        } while (0)

/* Asserts a harness call succeeded, with the harness's own sentence. */
#define SCT_OK(expr)                                                                              \
        do {                                                                                      \
                int sct_rc_ = (expr);                                                             \
                cr_assert(sct_rc_ >= 0, "%s failed: %s", #expr, sc_error());                      \
        } while (0)

/*
 * A new lab named after the test (plus suffix, may be NULL), registered for
 * cleanup.  sct_lab_loopback() is one started host on loopback whose lo is
 * recorded as capture 0 (where capturing is possible), for sct_wire_check.
 */
struct sc_lab *sct_lab(const char *suffix);
struct sc_lab *sct_lab_loopback(const char *hostname);
/* The same, named <test>/<suffix>: for tables whose rows each need a fresh host. */
struct sc_lab *sct_lab_loopback_as(const char *suffix, const char *hostname);
/* Can this lab record traffic here?  (Plain loopback mode needs root.) */
bool sct_can_capture(void);

/*
 * Two hosts on one segment 10.0.1.0/24 with the given MTU: "alpha" (host 0,
 * 10.0.1.1) and "beta" (host 1, 10.0.1.2); with capture, the segment is
 * recorded as "lan".  Not started, so rules and hosts entries can be added.
 * Skips the test where namespaces cannot be made.
 */
struct sc_lab *sct_lab_pair(int mtu, bool capture);
/*
 * Two segments joined by a router, not started:
 *   left  10.0.1.0/24: SCT_SENDER .1, SCT_H2 .2, SCT_H3 .3, SCT_ROUTER .254
 *   right 10.0.2.0/24: SCT_ROUTER .254, SCT_H4 .4
 * With capture, the segments are recorded as captures 0 ("left") and 1
 * ("right").  Skips the test where namespaces cannot be made.
 */
enum { SCT_SENDER, SCT_H2, SCT_H3, SCT_ROUTER, SCT_H4 };
struct sc_lab *sct_lab_routed(bool capture);
/* Frees every lab of this test (the suites' .fini; idempotent). */
void sct_cleanup(void);

/* Starts argv (NULL-terminated) on host of lab with stdin bytes (may be NULL). */
struct sc_proc *sct_run(struct sc_lab *lab, int host, const char *name, const char *stdin_text,
                        const char *const *argv);
/* The general form: stdin kept open or not, and the test's own "K=V" variables (may be NULL). */
struct sc_proc *sct_run_env(struct sc_lab *lab, int host, const char *name,
                            const char *stdin_text, bool open, const char *const *argv,
                            const char *const *env);
/* Same, but keeps stdin open for sc_proc_write. */
struct sc_proc *sct_run_open(struct sc_lab *lab, int host, const char *name,
                             const char *const *argv);

/* Starts a server and waits for its socket (TCP: listening), failing the test if not. */
struct sc_proc *sct_server(struct sc_lab *lab, int host, const char *name, int proto,
                           uint16_t port, const char *const *argv);

/*
 * Stops a server the way the suites do (SIGINT first) and asserts SIGINT
 * ended it, as it ends the book's servers (C-common-1), saying how it ended
 * if not: it ignored the signal, stopped itself, or ran into a limit.
 */
void sct_stop(struct sc_proc *p, const struct sc_lab *lab);

/* "evidence: <dir> (mode ..., seed N)" for failure messages. */
const char *sct_evidence(const struct sc_lab *lab);

/* Waits for p to end and asserts it exited with code, naming what happened. */
void sct_expect_exit(struct sc_proc *p, int code, double timeout_s);

/* Asserts p's whole stdout matches regex (anchored), showing both and the evidence. */
void sct_expect_stdout(struct sc_proc *p, const char *regex, const struct sc_lab *lab);
/* Asserts p's stdout is exactly these bytes. */
void sct_expect_stdout_is(struct sc_proc *p, const char *want, const struct sc_lab *lab);

/*
 * The last line of p's stderr, read whole (a NUL byte does not end it), with
 * control bytes shown as \xNN: what a failure message may quote of a port.
 */
const char *sct_stderr_tail(struct sc_proc *p);
/* The last line of a text (without its newline), in a static buffer. */
const char *sct_last_line(const char *text);

/* Matches text against a POSIX extended regex anchored at both ends. */
bool sct_match(const char *regex, const char *text);

/* C-escaped rendering of bytes for messages (static ring of buffers). */
const char *sct_show(const char *data, size_t len);

/* ---- reading scripted peers' logs (see harness/peer.c) ---- */

struct sct_io {
        char verb[12];    /* recv, sent, reply, noreply, eof, noeof, closed, ... */
        double mono;      /* CLOCK_MONOTONIC seconds */
        char addr[16];    /* from= / to= address, "" if none */
        unsigned port;
        size_t len;
        char *data;       /* decoded payload (NUL-terminated; may hold NULs), or NULL */
};

/*
 * Parses p's log into at most max entries (data freed by sct_io_free).
 * Returns the number of entries.
 */
int sct_peer_log(struct sc_proc *p, struct sct_io *out, int max);
void sct_io_free(struct sct_io *io, int n);
/* Counts log lines starting with verb. */
int sct_peer_count(struct sc_proc *p, const char *verb);
/* Waits until p logged n lines starting with verb; false on timeout. */
bool sct_peer_wait(struct sc_proc *p, const char *verb, int n, double timeout_s);

/* ---- captures ---- */

/* Finishes the lab's captures, asserting no kernel drops; stats may be NULL. */
void sct_finish_captures(struct sc_lab *lab, struct sc_capture_stats *stats);

/*
 * Capture timestamps (seconds, relative to the first match) of the IPv4 UDP
 * datagrams in a pcap going to dport (and, if src is not NULL, from src).
 * Returns how many (at most max).
 */
int sct_udp_times(const char *pcap, const char *src, unsigned dport, double *t, int max);

/*
 * Compares measured times with a schedule, both relative to the first
 * event.  Each interval between consecutive events may be off by
 * max(5 ms, 5 %) (the tolerance packetdrill uses).  On a mismatch writes a
 * line per event into report, an interval off marked "<-- off: early" or
 * "<-- off: late", and returns false.  scripts/conform reruns a timing test
 * alone when its failures are all lateness (a late wake-up of a busy
 * machine), never when one is early.
 */
bool sct_schedule_ok(const double *got, int ngot, const double *want, int nwant, char *report,
                     size_t cap);

/*
 * udp_remote's client gave up (ended, sc_now() when its end was seen)
 * want_s after its first datagram reached peer (an sc-peer: its receive
 * time, the same monotonic clock), within 5 %; fails the test otherwise,
 * saying "too early" or "too late".
 */
void sct_expect_gave_up(struct sc_proc *peer, double ended, double want_s, const struct sc_lab *lab);

/*
 * The wire check: the lab's capture cap, in canonical form (decode.h), must
 * equal the reference captures/<ref>.txt recorded from our own programs.
 * Ephemeral ports become C1, C2...; the book's ports and those in
 * extra_ports (0-terminated, may be NULL) stay numbers.  On a mismatch it
 * fails with a short diff and keeps <name>.expected.txt and .actual.txt in
 * the evidence.  With SOCKCHECK_REGEN_CAPTURES=1 (or =DIR) it writes the
 * reference (pcap and text) into captures/ (or DIR) instead: see
 * scripts/regen-captures.  Where nothing can
 * be captured (plain loopback mode without root) the test ends as SKIP
 * with that reason, after its other checks.
 */
void sct_wire_check(struct sc_lab *lab, int cap, const char *ref, const uint16_t *extra_ports);

/*
 * The acceptance region [lo, hi] of a two-sided binomial test of
 * Binomial(n, p) whose probability of failing a fair coin is at most alpha.
 */
void sct_binomial_region(int n, double p, double alpha, int *lo, int *hi);

#endif
