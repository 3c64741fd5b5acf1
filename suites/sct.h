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
/* Path of program id among our own programs (fails the test if missing). */
const char *sct_ref(const char *id);
/* Path of the scripted peer binary. */
const char *sct_peer(void);

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
 * cleanup.  sct_lab_loopback() is one started host on loopback.
 */
struct sc_lab *sct_lab(const char *suffix);
struct sc_lab *sct_lab_loopback(const char *hostname);
/* Frees every lab of this test (the suites' .fini; idempotent). */
void sct_cleanup(void);

/* Starts argv (NULL-terminated) on host of lab with stdin bytes (may be NULL). */
struct sc_proc *sct_run(struct sc_lab *lab, int host, const char *name, const char *stdin_text,
                        const char *const *argv);
/* Same, but keeps stdin open for sc_proc_write. */
struct sc_proc *sct_run_open(struct sc_lab *lab, int host, const char *name,
                             const char *const *argv);

/* Starts a server and waits for its socket (TCP: listening), failing the test if not. */
struct sc_proc *sct_server(struct sc_lab *lab, int host, const char *name, int proto,
                           uint16_t port, const char *const *argv);

/* "evidence: <dir> (mode ..., seed N)" for failure messages. */
const char *sct_evidence(const struct sc_lab *lab);

/* Waits for p to end and asserts it exited with code, naming what happened. */
void sct_expect_exit(struct sc_proc *p, int code, double timeout_s);

/* The last line of a text (without its newline), in a static buffer. */
const char *sct_last_line(const char *text);

/* Matches text against a POSIX extended regex anchored at both ends. */
bool sct_match(const char *regex, const char *text);

/* C-escaped rendering of bytes for messages (static ring of buffers). */
const char *sct_show(const char *data, size_t len);

#endif
