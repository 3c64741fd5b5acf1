/*
 * sct.c - the suites' shared helpers (see sct.h).
 */
#define _GNU_SOURCE
#include "sct.h"

#include "decode.h"

#include <math.h>
#include <arpa/inet.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#define MAX_LABS 4

static struct sc_lab *test_labs[MAX_LABS];

const char *sct_port_dir(void)
{
        const char *p = getenv("SOCKCHECK_PORT");

        return p && *p ? p : SOCKCHECK_BINARY_DIR "/programs";
}

const char *sct_ref_dir(void)
{
        return SOCKCHECK_BINARY_DIR "/programs";
}

const char *sct_peer(void)
{
        return SOCKCHECK_BINARY_DIR "/harness/sc-peer";
}

static const char *path_in(const char *dir, const char *id)
{
        static char ring[8][1024];
        static int next;
        char *buf = ring[next++ % 8];

        snprintf(buf, sizeof(ring[0]), "%s/%s", dir, id);
        return buf;
}

/*
 * The port is read without following links out of it: a program must be a
 * regular file of the port, or a link to one inside it.  Anything else is
 * refused (the test fails, saying why); a program that is not there at all
 * skips its tests.
 */
const char *sct_prog(const char *id)
{
        const char *path = path_in(sct_port_dir(), id);
        char dir[PATH_MAX], real[PATH_MAX];
        struct stat st;
        size_t dl;

        if (lstat(path, &st) != 0)
                cr_skip_test("port has no %s (%s)", id, sct_port_dir());
        cr_assert(realpath(sct_port_dir(), dir), "the port %s: %s", sct_port_dir(),
                  strerror(errno));
        cr_assert(realpath(path, real), "refused: the port's %s is a link to nothing", id);
        dl = strlen(dir);
        cr_assert(strncmp(real, dir, dl) == 0 && real[dl] == '/',
                  "refused: the port's %s is a link that leaves the port (to %s)", id,
                  sct_show(real, strlen(real)));
        cr_assert(stat(real, &st) == 0 && S_ISREG(st.st_mode),
                  "refused: the port's %s is %s, not a program file", id,
                  S_ISDIR(st.st_mode)    ? "a directory"
                  : S_ISFIFO(st.st_mode) ? "a FIFO"
                  : S_ISSOCK(st.st_mode) ? "a socket"
                                         : "a device");
        if (access(path, X_OK) != 0)
                cr_skip_test("port has no %s (%s is not executable)", id, sct_port_dir());
        return path;
}

bool sct_trusted(const char *path)
{
        static char port[PATH_MAX];
        char real[PATH_MAX], dir[PATH_MAX];
        char *slash;
        size_t pl;

        if (!port[0] && !realpath(sct_port_dir(), port))
                return false;
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash)
                return false;
        *slash = '\0';
        if (!realpath(dir[0] ? dir : "/", real))
                return false;
        /* Whatever lives in the port's directory is the port's. */
        pl = strlen(port);
        return !(strncmp(real, port, pl) == 0 && (real[pl] == '\0' || real[pl] == '/'));
}

const char *sct_ref(const char *id)
{
        const char *path = path_in(sct_ref_dir(), id);

        cr_assert(access(path, X_OK) == 0, "reference program %s is not built", path);
        return path;
}

const char *sct_test_name(void)
{
        static char name[256];

        snprintf(name, sizeof(name), "%s/%s", criterion_current_suite->name,
                 criterion_current_test->name);
        return name;
}

static void remember(struct sc_lab *lab)
{
        for (int i = 0; i < MAX_LABS; i++)
                if (!test_labs[i]) {
                        test_labs[i] = lab;
                        return;
                }
        cr_assert_fail("more than %d labs in one test", MAX_LABS);
}

struct sc_lab *sct_lab(const char *suffix)
{
        char name[300];
        struct sc_lab *lab;

        if (suffix && *suffix)
                snprintf(name, sizeof(name), "%s/%s", sct_test_name(), suffix);
        else
                snprintf(name, sizeof(name), "%s", sct_test_name());
        lab = sc_lab_new(name);
        cr_assert(lab, "sc_lab_new: %s", sc_error());
        remember(lab);
        return lab;
}

bool sct_can_capture(void)
{
        return sc_mode() != SC_MODE_LOOPBACK || geteuid() == 0;
}

struct sc_lab *sct_lab_loopback(const char *hostname)
{
        return sct_lab_loopback_as(NULL, hostname);
}

struct sc_lab *sct_lab_loopback_as(const char *suffix, const char *hostname)
{
        struct sc_lab *lab = sct_lab(suffix);

        SCT_OK(sc_lab_host(lab, hostname));
        if (sct_can_capture())
                SCT_OK(sc_lab_capture(lab, "wire", -1, 0, "lo", "ip"));
        SCT_OK(sc_lab_start(lab));
        return lab;
}

struct sc_lab *sct_lab_pair(int mtu, bool capture)
{
        struct sc_lab *lab;
        int s;

        SCT_NEED_NAMESPACES();
        lab = sct_lab(NULL);
        SCT_OK(sc_lab_host(lab, "alpha"));
        SCT_OK(sc_lab_host(lab, "beta"));
        s = sc_lab_segment(lab, "lan", "10.0.1.0/24", mtu);
        SCT_OK(s);
        SCT_OK(sc_lab_attach(lab, 0, s, 1));
        SCT_OK(sc_lab_attach(lab, 1, s, 2));
        if (capture)
                SCT_OK(sc_lab_capture(lab, "lan", s, -1, NULL, NULL));
        return lab;
}

struct sc_lab *sct_lab_routed(bool capture)
{
        static const char *const names[] = {"sender", "h2", "h3", "router", "h4"};
        struct sc_lab *lab;
        int l, r;

        SCT_NEED_NAMESPACES();
        lab = sct_lab(NULL);
        for (int h = 0; h < 5; h++)
                cr_assert_eq(sc_lab_host(lab, names[h]), h, "host %s: %s", names[h], sc_error());
        l = sc_lab_segment(lab, "left", "10.0.1.0/24", 1500);
        r = sc_lab_segment(lab, "right", "10.0.2.0/24", 1500);
        SCT_OK(sc_lab_attach(lab, SCT_SENDER, l, 1));
        SCT_OK(sc_lab_attach(lab, SCT_H2, l, 2));
        SCT_OK(sc_lab_attach(lab, SCT_H3, l, 3));
        SCT_OK(sc_lab_attach(lab, SCT_ROUTER, l, 254));
        SCT_OK(sc_lab_attach(lab, SCT_ROUTER, r, 254));
        SCT_OK(sc_lab_attach(lab, SCT_H4, r, 4));
        SCT_OK(sc_lab_router(lab, SCT_ROUTER));
        if (capture) {
                SCT_OK(sc_lab_capture(lab, "left", l, -1, NULL, NULL));
                SCT_OK(sc_lab_capture(lab, "right", r, -1, NULL, NULL));
        }
        return lab;
}

void sct_cleanup(void)
{
        for (int i = 0; i < MAX_LABS; i++) {
                sc_lab_free(test_labs[i]);
                test_labs[i] = NULL;
        }
}

struct sc_proc *sct_run_env(struct sc_lab *lab, int host, const char *name,
                            const char *stdin_text, bool open, const char *const *argv,
                            const char *const *env)
{
        struct sc_proc *p;
        struct sc_proc_opts o = {.host = host,
                                 .argv = argv,
                                 .env = env,
                                 .name = name,
                                 .stdin_data = stdin_text,
                                 .stdin_len = stdin_text ? strlen(stdin_text) : 0,
                                 .stdin_open = open,
                                 .timeout_s = 20,
                                 .trusted = sct_trusted(argv[0])};

        sct_spawn(lab, &o, &p);
        return p;
}

static struct sc_proc *run(struct sc_lab *lab, int host, const char *name, const char *stdin_text,
                           bool open, const char *const *argv)
{
        return sct_run_env(lab, host, name, stdin_text, open, argv, NULL);
}

void sct_spawn(struct sc_lab *lab, const struct sc_proc_opts *o, struct sc_proc **out)
{
        int rc = sc_spawn(lab, o, out);

        /* A jail that cannot be built here is the harness's failure, not the port's. */
        if (rc == -SC_EHARNESS)
                cr_skip_test("%s", sc_error());
        cr_assert(rc >= 0, "starting %s failed: %s", o->argv[0], sc_error());
}

struct sc_proc *sct_run(struct sc_lab *lab, int host, const char *name, const char *stdin_text,
                        const char *const *argv)
{
        return run(lab, host, name, stdin_text, false, argv);
}

struct sc_proc *sct_run_open(struct sc_lab *lab, int host, const char *name,
                             const char *const *argv)
{
        return run(lab, host, name, NULL, true, argv);
}

/* Does the machine's own TCP table hold a connection in TIME_WAIT on port? */
static bool time_wait_on(uint16_t port)
{
        char *text, *save = NULL;
        bool found = false;

        if (sc_read_file("/proc/net/tcp", &text, NULL) < 0)
                return false;
        for (char *l = strtok_r(text, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save)) {
                unsigned lport, st;

                if (sscanf(l, " %*u: %*8X:%4X %*8X:%*4X %2X", &lport, &st) == 2)
                        found = lport == port && st == 0x06;
        }
        free(text);
        return found;
}

struct sc_proc *sct_server(struct sc_lab *lab, int host, const char *name, int proto,
                           uint16_t port, const char *const *argv)
{
        struct sc_proc *p = run(lab, host, name, NULL, false, argv);
        int rc = sc_proc_wait_bound(p, proto, port, 5.0);

        /*
         * Plain loopback mode shares the machine's stack between tests: a
         * server that closed first (time_server) leaves its port in TIME_WAIT
         * for a minute, and a book program sets no SO_REUSEADDR to bind it
         * again.  Namespace labs have a fresh stack per test.
         */
        if (rc != 0 && sc_mode() == SC_MODE_LOOPBACK && proto == IPPROTO_TCP &&
            strstr(sc_proc_stderr(p, NULL), "in use") && time_wait_on(port))
                cr_skip_test("TCP port %u is in TIME_WAIT on the machine's loopback from an "
                             "earlier test, and the book's programs set no SO_REUSEADDR; plain "
                             "loopback mode cannot rebind it for a minute",
                             port);

        cr_assert(rc == 0, "%s (%s) never bound %s port %u: %s; stderr: %s; %s", name, argv[0],
                  proto == IPPROTO_TCP ? "TCP" : "UDP", port, sc_error(),
                  sct_stderr_tail(p), sct_evidence(lab));
        return p;
}

void sct_stop(struct sc_proc *p, const struct sc_lab *lab)
{
        const char *end;

        int st;
        bool by_sigint;

        SCT_OK(sc_proc_stop(p));
        end = sc_proc_end(p);
        st = sc_proc_status(p);
        /*
         * Servers run until killed, and SIGINT (Ctrl-C) ends them: the book's
         * all do.  Ended by it means killed by SIGINT, the shell's 130, or an
         * interrupt its runtime reported; a server that had already ended is
         * not judged here.
         */
        by_sigint = (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT) ||
                    (WIFEXITED(st) && WEXITSTATUS(st) == 130) ||
                    strstr(sc_proc_stderr(p, NULL), "Interrupt");
        cr_assert(sc_proc_stop_signal(p) == 0 ||
                          (sc_proc_stop_signal(p) == SIGINT && by_sigint &&
                           !strstr(end, "stopped itself") && !strstr(end, "limit")),
                  "C-common-1 broken (programs/CONTRACT.md): SIGINT must end a running server as "
                  "it ends the book's, but this one %s%s; %s",
                  end,
                  sc_proc_stop_signal(p) == SIGINT && !by_sigint ? " (SIGINT did not end it: it ignored SIGINT and left by itself)" : "",
                  sct_evidence(lab));
}

const char *sct_evidence(const struct sc_lab *lab)
{
        static char buf[1200];

        snprintf(buf, sizeof(buf), "evidence: %s (mode %s, seed %llu)", sc_lab_dir(lab),
                 sc_mode_name(sc_mode()), (unsigned long long)sc_seed());
        return buf;
}

void sct_expect_exit(struct sc_proc *p, int code, double timeout_s)
{
        int rc = sc_proc_wait(p, timeout_s);

        if (rc != 0) {
                /* Say what it was doing: stopped it now, its end names a limit or a stop. */
                const char *was = sc_proc_end(p);
                char before[200];

                snprintf(before, sizeof(before), "%s", was);
                sc_proc_stop(p);
                cr_assert_fail("expected it to exit %d within %.1f s, but it was %s (then, "
                               "stopped: %s); stderr ends: %s",
                               code, timeout_s, before, sc_proc_end(p),
                               sct_stderr_tail(p));
        }
        cr_assert(sc_proc_exit_code(p) == code, "expected exit %d, got: %s; stderr ends: %s", code,
                  sc_proc_end(p), sct_stderr_tail(p));
}

void sct_expect_stdout(struct sc_proc *p, const char *regex, const struct sc_lab *lab)
{
        size_t len;
        const char *out = sc_proc_stdout(p, &len);

        /* A NUL byte would hide the rest of the output from the regex: it fails too. */
        cr_assert(strlen(out) == len && sct_match(regex, out),
                  "stdout of %s does not match\n  expected (regex): %s\n  got: %s\n  the program: %s\n  %s",
                  sc_proc_stdout_path(p), sct_show(regex, strlen(regex)), sct_show(out, len),
                  sc_proc_end(p), sct_evidence(lab));
}

void sct_expect_stdout_is(struct sc_proc *p, const char *want, const struct sc_lab *lab)
{
        size_t len;
        const char *out = sc_proc_stdout(p, &len);

        cr_assert(len == strlen(want) && memcmp(out, want, len) == 0,
                  "stdout of %s\n  expected: %s\n  got:      %s\n  the program: %s\n  %s",
                  sc_proc_stdout_path(p), sct_show(want, strlen(want)), sct_show(out, len),
                  sc_proc_end(p), sct_evidence(lab));
}

/*
 * The last line of n bytes of text (NUL bytes included), with control bytes
 * (terminal escapes among them) shown as \xNN: what a port printed goes into
 * failure messages only like this.
 */
static const char *last_line_of(const char *text, size_t n)
{
        static char line[512];
        const char *start;
        size_t o = 0;

        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
                n--;
        start = text + n;
        while (start > text && start[-1] != '\n')
                start--;
        for (const char *c = start; c < text + n && o + 5 < sizeof(line); c++) {
                unsigned char b = (unsigned char)*c;

                if (b < 0x20 || b == 0x7f)
                        o += (size_t)snprintf(line + o, sizeof(line) - o, "\\x%02x", b);
                else
                        line[o++] = (char)b;
        }
        line[o] = '\0';
        return line;
}

const char *sct_stderr_tail(struct sc_proc *p)
{
        size_t n;
        const char *err = sc_proc_stderr(p, &n);

        return last_line_of(err, n);
}

const char *sct_last_line(const char *text)
{
        return last_line_of(text, strlen(text));
}

bool sct_match(const char *regex, const char *text)
{
        regex_t re;
        char anchored[1024];
        bool ok;

        snprintf(anchored, sizeof(anchored), "^(%s)$", regex);
        if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
                return false;
        ok = regexec(&re, text, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

const char *sct_show(const char *data, size_t len)
{
        static char ring[4][2048];
        static int next;
        char *out = ring[next++ % 4];
        size_t o = 0;

        for (size_t i = 0; i < len && o + 8 < sizeof(ring[0]); i++) {
                unsigned char c = (unsigned char)data[i];

                if (c == '\n')
                        o += (size_t)sprintf(out + o, "\\n");
                else if (c == '\r')
                        o += (size_t)sprintf(out + o, "\\r");
                else if (c == '\\')
                        o += (size_t)sprintf(out + o, "\\\\");
                else if (c < 0x20 || c >= 0x7f)
                        o += (size_t)sprintf(out + o, "\\x%02x", c);
                else
                        out[o++] = (char)c;
        }
        if (o + 8 >= sizeof(ring[0]))
                o += (size_t)sprintf(out + o, "...");
        out[o] = '\0';
        return out;
}

/* ---- peers' logs ---- */

static char *hex_decode(const char *hex, size_t len)
{
        char *out = malloc(len + 1);

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                unsigned v = 0;

                sscanf(hex + 2 * i, "%2x", &v);
                out[i] = (char)v;
        }
        out[len] = '\0';
        return out;
}

int sct_peer_log(struct sc_proc *p, struct sct_io *out, int max)
{
        const char *text = sc_proc_stdout(p, NULL);
        char *copy = strdup(text), *save = NULL;
        int n = 0;

        cr_assert(copy, "out of memory");
        for (char *line = strtok_r(copy, "\n", &save); line && n < max;
             line = strtok_r(NULL, "\n", &save)) {
                struct sct_io *io = &out[n];
                char *f;

                memset(io, 0, sizeof(*io));
                sscanf(line, "%11s", io->verb);
                if ((f = strstr(line, " mono=")))
                        io->mono = atof(f + 6);
                if ((f = strstr(line, " from=")) || (f = strstr(line, " to=")))
                        sscanf(strchr(f, '=') + 1, "%15[0-9.]:%u", io->addr, &io->port);
                if ((f = strstr(line, " len=")))
                        io->len = strtoul(f + 5, NULL, 10);
                if ((f = strstr(line, " data=")))
                        io->data = hex_decode(f + 6, io->len);
                n++;
        }
        free(copy);
        return n;
}

void sct_io_free(struct sct_io *io, int n)
{
        for (int i = 0; i < n; i++)
                free(io[i].data);
}

int sct_peer_count(struct sc_proc *p, const char *verb)
{
        const char *t = sc_proc_stdout(p, NULL);
        size_t vl = strlen(verb);
        int c = 0;

        for (const char *l = t; *l;) {
                if (strncmp(l, verb, vl) == 0 && l[vl] == ' ')
                        c++;
                l = strchr(l, '\n');
                if (!l)
                        break;
                l++;
        }
        return c;
}

bool sct_peer_wait(struct sc_proc *p, const char *verb, int n, double timeout_s)
{
        double end = sc_now() + timeout_s;

        while (sct_peer_count(p, verb) < n) {
                if (sc_now() > end)
                        return false;
                sc_nap(0.003);
        }
        return true;
}

/* ---- captures ---- */

void sct_finish_captures(struct sc_lab *lab, struct sc_capture_stats *stats)
{
        struct sc_capture_stats local[SC_MAX_CAPTURES];
        struct sc_capture_stats *st = stats ? stats : local;

        SCT_OK(sc_lab_capture_finish(lab, st));
        for (int i = 0; i < SC_MAX_CAPTURES; i++)
                cr_assert_eq(st[i].kernel_drops, 0, "capture %s: the kernel dropped %u frames",
                             st[i].path, st[i].kernel_drops);
}

int sct_udp_times(const char *pcap, const char *src, unsigned dport, double *t, int max)
{
        struct sc_pcap *cap;
        char err[256];
        struct in_addr want = {0};
        int n = 0;
        uint64_t t0 = 0;

        cr_assert(sc_pcap_load(pcap, &cap, err, sizeof(err)) == 0, "cannot read %s: %s", pcap,
                  err);
        if (src)
                inet_pton(AF_INET, src, &want);
        for (size_t i = 0; i < cap->count && n < max; i++) {
                const struct sc_packet *k = &cap->pkts[i];

                if (k->l3 != SC_L3_IPV4 || k->proto != IPPROTO_UDP || k->frag_off != 0 ||
                    k->dport != dport || (src && k->ip_src != want.s_addr))
                        continue;
                if (n == 0)
                        t0 = k->ts_ns;
                t[n++] = (double)(k->ts_ns - t0) / 1e9;
        }
        sc_pcap_free(cap);
        return n;
}

bool sct_schedule_ok(const double *got, int ngot, const double *want, int nwant, char *report,
                     size_t cap)
{
        size_t o = 0;
        bool ok = ngot == nwant;

        report[0] = '\0';
        if (ngot != nwant)
                o += (size_t)snprintf(report + o, cap - o, "expected %d events, got %d\n", nwant,
                                      ngot);
        for (int i = 0; i < (ngot > nwant ? ngot : nwant) && o < cap; i++) {
                if (i == 0 || i >= ngot || i >= nwant) {
                        o += (size_t)snprintf(report + o, cap - o, "  event %d: expected %s, got %s\n",
                                              i + 1, i < nwant ? "yes" : "none",
                                              i < ngot ? "yes" : "none");
                        continue;
                }
                {
                        double wi = want[i] - want[i - 1], gi = got[i] - got[i - 1];
                        double tol = fmax(0.005, 0.05 * wi);
                        bool hit = fabs(gi - wi) <= tol;

                        ok &= hit;
                        o += (size_t)snprintf(report + o, cap - o,
                                              "  event %d at %.3f s: interval %.4f s, expected %.3f "
                                              "+- %.4f s%s\n",
                                              i + 1, got[i], gi, wi, tol,
                                              hit ? "" : gi < wi ? "  <-- off: early" : "  <-- off: late");
                }
        }
        return ok;
}

void sct_expect_gave_up(struct sc_proc *peer, double ended, double want_s, const struct sc_lab *lab)
{
        struct sct_io io[16];
        int n = sct_peer_log(peer, io, 16);
        double gave_up = n >= 1 ? ended - io[0].mono : 0, tol = 0.05 * want_s;

        sct_io_free(io, n);
        cr_assert(n >= 1, "the peer received nothing (%s)", sct_evidence(lab));
        /* The end is seen by polling, within a millisecond. */
        cr_assert(gave_up > want_s - tol && gave_up < want_s + tol,
                  "gave up %.3f s after its first datagram, expected %.3f +- %.3f s%s (%s)", gave_up,
                  want_s, tol, gave_up <= want_s - tol ? ": too early" : ": too late",
                  sct_evidence(lab));
}

/* log of C(n, k) */
static double log_choose(int n, int k)
{
        return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

void sct_binomial_region(int n, double p, double alpha, int *lo, int *hi)
{
        double tail = 0;

        /* Largest symmetric cut whose two tails together stay within alpha. */
        *lo = -1;
        for (int k = 0; k <= n / 2; k++) {
                double pk = exp(log_choose(n, k) + k * log(p) + (n - k) * log(1 - p));
                double pk2 = exp(log_choose(n, n - k) + (n - k) * log(p) + k * log(1 - p));

                if (tail + pk + pk2 > alpha)
                        break;
                tail += pk + pk2;
                *lo = k;
        }
        *lo += 1;
        *hi = n - *lo;
}

/* ---- wire checks against reference captures ---- */

static int copy_file(const char *from, const char *to)
{
        char *data;
        size_t len;
        int rc = sc_read_file(from, &data, &len);

        if (rc < 0)
                return rc;
        rc = sc_write_file(to, data, len);
        free(data);
        return rc;
}

void sct_wire_check(struct sc_lab *lab, int capi, const char *ref, const uint16_t *extra_ports)
{
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        uint16_t ports[32] = SC_BOOK_PORTS;
        size_t nports = SC_BOOK_NPORTS;
        char refbase[700], path[800], err[256], *actual, *expected, *report;
        struct sc_pcap *cap;
        const char *regen = getenv("SOCKCHECK_REGEN_CAPTURES");
        size_t len;
        int rc;

        if (!sct_can_capture())
                cr_skip_test("the other checks passed; the wire check %s needs a capture, which "
                             "plain loopback mode without root cannot make", ref);
        sct_finish_captures(lab, st);
        cr_assert(capi >= 0 && capi < SC_MAX_CAPTURES && st[capi].path[0],
                  "wire check %s: the lab has no capture %d", ref, capi);
        for (size_t i = 0; extra_ports && extra_ports[i] && nports < 32; i++)
                ports[nports++] = extra_ports[i];
        cr_assert(sc_pcap_load(st[capi].path, &cap, err, sizeof(err)) == 0, "wire check %s: %s",
                  ref, err);
        rc = sc_canon_text(cap, ports, nports, &actual);
        sc_pcap_free(cap);
        cr_assert(rc == 0, "wire check %s: no canonical form (%d)", ref, rc);
        if (regen && *regen && strcmp(regen, "1") != 0)
                snprintf(refbase, sizeof(refbase), "%s/%s", regen, ref);
        else
                snprintf(refbase, sizeof(refbase), "%s/captures/%s", SOCKCHECK_SOURCE_DIR, ref);
        if (regen && *regen) {
                char dir[700];

                snprintf(dir, sizeof(dir), "%s", refbase);
                *strrchr(dir, '/') = '\0';
                SCT_OK(sc_mkdirs(dir));
                snprintf(path, sizeof(path), "%s.pcap", refbase);
                SCT_OK(copy_file(st[capi].path, path));
                snprintf(path, sizeof(path), "%s.txt", refbase);
                SCT_OK(sc_write_file(path, actual, strlen(actual)));
                free(actual);
                return;
        }
        snprintf(path, sizeof(path), "%s.txt", refbase);
        rc = sc_read_file(path, &expected, &len);
        if (rc < 0) {
                free(actual);
                cr_assert_fail("wire check %s: no reference capture %s (scripts/regen-captures "
                               "records them)", ref, path);
        }
        rc = sc_canon_diff(expected, actual, &report);
        if (rc != 0) {
                const char *base = strrchr(ref, '/') ? strrchr(ref, '/') + 1 : ref;
                char out[1100];

                snprintf(out, sizeof(out), "%s/%s.expected.txt", sc_lab_dir(lab), base);
                sc_write_file(out, expected, strlen(expected));
                snprintf(out, sizeof(out), "%s/%s.actual.txt", sc_lab_dir(lab), base);
                sc_write_file(out, actual, strlen(actual));
                free(expected);
                free(actual);
                cr_assert_fail("wire check %s: the packets differ from the reference "
                               "(-expected +actual):\n%s%s", ref, report ? report : "",
                               sct_evidence(lab));
        }
        free(expected);
        free(actual);
}
