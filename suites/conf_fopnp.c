/*
 * conf_fopnp.c - conformance of the four FOPNP chapter-2 programs
 * (udp_local, udp_remote, big_sender, udp_broadcast) to PROGRAMS.md.
 *
 * Criterion suites are <program>_book (what the book's programs do) and
 * <program>_robust (what a careful port does beyond the book).  The program
 * under test always meets our reference programs or a scripted peer, never
 * the port's own partner, so a failure names the program that is wrong.
 * Server output is read only after the server stops: Python ports
 * block-buffer it.  Timing is judged from capture timestamps with a
 * tolerance of max(5 ms, 5 %) per interval, printed in every verdict.
 */
#include "decode.h"
#include "bound.h"
#include "clauses.h"
#include "localtime.h"
#include "sct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAITING(d) "Waiting up to " d " seconds for a reply\n"

/*
 * How long a negative check waits for a datagram that must not arrive.
 * Delivery inside a lab takes well under a millisecond; the same time is
 * also given to a server before it is stopped so it can print what came.
 */
#define SETTLE_S 0.3

TestSuite(udp_local_book, .fini = sct_cleanup);
TestSuite(udp_local_robust, .fini = sct_cleanup);
TestSuite(udp_remote_book, .fini = sct_cleanup);
TestSuite(udp_remote_robust, .fini = sct_cleanup);
TestSuite(big_sender_book, .fini = sct_cleanup);
TestSuite(udp_broadcast_book, .fini = sct_cleanup);


/* Python's repr() of an ASCII text, as the book's servers print it. */
static void py_repr(const char *s, size_t n, char *out, size_t cap)
{
        char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
        size_t o = 0;

        out[o++] = q;
        for (size_t i = 0; i < n && o + 5 < cap; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == q || c == '\\')
                        o += (size_t)snprintf(out + o, cap - o, "\\%c", c);
                else if (c == '\t')
                        o += (size_t)snprintf(out + o, cap - o, "\\t");
                else if (c == '\n')
                        o += (size_t)snprintf(out + o, cap - o, "\\n");
                else if (c == '\r')
                        o += (size_t)snprintf(out + o, cap - o, "\\r");
                else if (c < 0x20 || c >= 0x7f)
                        o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
                else
                        out[o++] = (char)c;
        }
        out[o++] = q;
        out[o] = '\0';
}

/* The replies a udp-client peer got, joined by '|'. */
static const char *replies(struct sc_proc *peer)
{
        static char out[4096];
        struct sct_io io[256];
        int n = sct_peer_log(peer, io, 256);
        size_t o = 0;

        out[0] = '\0';
        for (int i = 0; i < n; i++) {
                if (strcmp(io[i].verb, "reply") && strcmp(io[i].verb, "noreply"))
                        continue;
                o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "|" : "",
                                      io[i].data ? io[i].data : "(none)");
                if (o >= sizeof(out))
                        break;
        }
        sct_io_free(io, n);
        return out;
}

/* ---- udp_local ------------------------------------------------------- */

static const struct {
        const char *name;
        const char *msg; /* as sc-peer takes it */
        const char *text; /* the bytes */
        size_t len;
} local_msgs[] = {
        {"empty", "", "", 0},
        {"one byte", "x", "x", 1},
        {"book-sized", "The time is 2026-11-21 17:45:23.130394",
         "The time is 2026-11-21 17:45:23.130394", 38},
        {"quote", "it's", "it's", 4},
        {"escapes", "tab\\there\\r\\n", "tab\there\r\n", 10},
};

Test(udp_local_book, server_replies_with_the_length,
     SCT_CONTRACT("C-udp_local-2 C-udp_local-3 C-udp_local-4 C-common-1 C-common-2 C-common-3"),
     .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {prog, "server", NULL};
        const char *cli_argv[16] = {sct_peer(), "udp-client", "127.0.0.1", "1060"};
        size_t nm = sizeof(local_msgs) / sizeof(local_msgs[0]);
        char want[4096], repr[256];
        size_t o;
        struct sc_proc *srv, *cli;

        for (size_t i = 0; i < nm; i++)
                cli_argv[4 + i] = local_msgs[i].msg;
        srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);
        cli = sct_run(lab, 0, "client", NULL, cli_argv);
        sct_expect_exit(cli, 0, 10);
        o = 0;
        for (size_t i = 0; i < nm; i++)
                o += (size_t)snprintf(want + o, sizeof(want) - o, "%sYour data was %zu bytes long",
                                      i ? "|" : "", local_msgs[i].len);
        cr_assert_str_eq(replies(cli), want, "replies, one per datagram (%s)", sct_evidence(lab));
        sct_stop(srv, lab);
        o = (size_t)snprintf(want, sizeof(want), "Listening at \\('127\\.0\\.0\\.1', 1060\\)\n");
        for (size_t i = 0; i < nm; i++) {
                py_repr(local_msgs[i].text, local_msgs[i].len, repr, sizeof(repr));
                /* Escape the repr for the regex. */
                o += (size_t)snprintf(want + o, sizeof(want) - o, "The client at " SCT_RE_LOOP_ADDR " says ");
                for (const char *c = repr; *c && o + 3 < sizeof(want); c++) {
                        if (strchr("\\.()[]{}*+?|^$", *c))
                                want[o++] = '\\';
                        want[o++] = *c;
                }
                o += (size_t)snprintf(want + o, sizeof(want) - o, "\n");
        }
        sct_expect_stdout(srv, want, lab);
        sct_wire_check(lab, 0, "udp_local/server-replies", NULL);
}

Test(udp_local_book, port_option, SCT_CONTRACT("C-udp_local-2 C-udp_local-5 C-udp_local-7"),
     .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {prog, "server", "-p", "2061", NULL};
        const char *cli_argv[] = {prog, "client", "-p", "2061", NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_UDP, 2061, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli,
                      "The OS assigned me the address \\('0\\.0\\.0\\.0', [0-9]+\\)\n"
                      "The server \\('127\\.0\\.0\\.1', 2061\\) replied 'Your data was (38|31) bytes long'\n",
                      lab);
        sct_stop(srv, lab);
        sct_expect_stdout(srv,
                      "Listening at \\('127\\.0\\.0\\.1', 2061\\)\n"
                      "The client at " SCT_RE_LOOP_ADDR " says 'The time is " SCT_RE_DATETIME "'\n",
                      lab);
        sct_wire_check(lab, 0, "udp_local/port-option", (const uint16_t[]){2061, 0});
}

Test(udp_local_book, server_listens_on_loopback_only, SCT_CONTRACT("C-udp_local-1"), .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab;
        int s;
        const char *srv_argv[] = {prog, "server", NULL};
        const char *other[] = {sct_peer(), "udp-client", "10.0.1.1", "1060", "--wait", "300", "hello",
                               NULL};
        const char *loop[] = {sct_peer(), "udp-client", "127.0.0.1", "1060", "hello", NULL};
        struct sc_proc *p;

        SCT_NEED_NAMESPACES();
        lab = sct_lab(NULL);
        SCT_OK(sc_lab_host(lab, "h1"));
        s = sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
        SCT_OK(sc_lab_attach(lab, 0, s, 1));
        /* A datagram to the host's own address travels on lo. */
        SCT_OK(sc_lab_capture(lab, "wire", -1, 0, "lo", "ip"));
        SCT_OK(sc_lab_start(lab));
        sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);
        p = sct_run(lab, 0, "to-10.0.1.1", NULL, other);
        sct_expect_exit(p, 0, 5);
        cr_assert_str_eq(replies(p), "(none)",
                         "a datagram to the host's other address 10.0.1.1 was answered; the server "
                         "must bind 127.0.0.1 only (%s)",
                         sct_evidence(lab));
        p = sct_run(lab, 0, "to-127.0.0.1", NULL, loop);
        sct_expect_exit(p, 0, 5);
        cr_assert_str_eq(replies(p), "Your data was 5 bytes long", "control on 127.0.0.1 (%s)",
                         sct_evidence(lab));
        sct_wire_check(lab, 0, "udp_local/server-loopback-only", NULL);
}

Test(udp_local_book, client_sends_the_time_and_prints_the_reply,
     SCT_CONTRACT("C-udp_local-5 C-udp_local-6 C-udp_local-7 C-common-4"), .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *peer_argv[] = {sct_peer(), "udp", "1060", NULL};
        const char *cli_argv[] = {prog, "client", NULL};
        struct sc_proc *peer = sct_server(lab, 0, "peer", IPPROTO_UDP, 1060, peer_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);
        struct sct_io io[8];
        int n;

        sct_expect_exit(cli, 0, 5);
        n = sct_peer_log(peer, io, 8);
        cr_assert(n >= 1 && strcmp(io[0].verb, "recv") == 0, "the peer received nothing (%s)",
                  sct_evidence(lab));
        cr_assert(sct_match("The time is " SCT_RE_DATETIME, io[0].data),
                  "datagram on the wire: %s (%zu bytes), expected 'The time is <datetime>'",
                  sct_show(io[0].data, io[0].len), io[0].len);
        cr_assert(io[0].len == 38 || io[0].len == 31, "datagram of %zu bytes", io[0].len);
        {
                char want[256];

                snprintf(want, sizeof(want),
                         "The OS assigned me the address \\('0\\.0\\.0\\.0', %u\\)\n"
                         "The server \\('127\\.0\\.0\\.1', 1060\\) replied 'Your data was %zu bytes long'\n",
                         io[0].port, io[0].len);
                sct_expect_stdout(cli, want, lab);
        }
        sct_io_free(io, n);
        sct_wire_check(lab, 0, "udp_local/client-exchange", NULL);
}

Test(udp_local_book, client_accepts_a_reply_from_anyone, SCT_CONTRACT("C-udp_local-7"),
     .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab = sct_lab_loopback("h1");
        /* The peer answers from port 1061: the book's client is promiscuous ("Danger!"). */
        const char *peer_argv[] = {sct_peer(), "udp", "1060", "--from-port", "1061", NULL};
        const char *cli_argv[] = {prog, "client", NULL};
        struct sc_proc *cli;

        sct_server(lab, 0, "peer", IPPROTO_UDP, 1060, peer_argv);
        cli = sct_run(lab, 0, "client", NULL, cli_argv);
        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli,
                      "The OS assigned me the address \\('0\\.0\\.0\\.0', [0-9]+\\)\n"
                      "The server \\('127\\.0\\.0\\.1', 1061\\) replied 'Your data was (38|31) bytes long'\n",
                      lab);
        sct_wire_check(lab, 0, "udp_local/client-promiscuous", (const uint16_t[]){1061, 0});
}

Test(udp_local_book, client_without_server_waits, SCT_CONTRACT("C-udp_local-8"), .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *cli_argv[] = {prog, "client", NULL};
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        /* An unconnected socket never hears of the ICMP error: it waits forever. */
        cr_assert_eq(sc_proc_wait(cli, 1.0), -ETIMEDOUT,
                     "with no server the client ended (%s); the book's client waits forever (%s)",
                     sc_proc_end(cli), sct_evidence(lab));
        SCT_OK(sc_proc_stop(cli));
        sct_wire_check(lab, 0, "udp_local/client-no-server", NULL);
}

/*
 * The server gets an odd datagram up to `tries` times, then `tries` normal
 * ones, at least one of which it must answer.  udp_remote's server drops
 * half before it even looks at a datagram: with 20 tries the odd one
 * reaches it, and a normal one is answered, except about once in a million.
 * The odd one stops at its first answer: a faithful server prints each
 * datagram it keeps, and twenty 64 KiB ones printed whole went past the
 * jail's 1 MiB output cap about once in 170 runs (16 or more kept of 20).
 */
static void survives(const char *const *srv_argv, const char *odd, int tries)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *a[32] = {sct_peer(), "udp-client", "127.0.0.1", "1060",
                             "--wait",   "100",        "--until-reply"};
        /* One question, asked up to `tries` times: the first answer settles it. */
        const char *b[32] = {sct_peer(), "udp-client", "127.0.0.1", "1060",
                             "--wait",   "200",        "--until-reply"};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv), *next;

        for (int i = 0; i < tries && i < 24; i++) {
                a[7 + i] = odd;
                b[7 + i] = "still there?";
        }
        sct_expect_exit(sct_run(lab, 0, "odd", NULL, a), 0, 5);
        next = sct_run(lab, 0, "next", NULL, b);
        sct_expect_exit(next, 0, 10);
        cr_assert(sc_proc_running(srv), "the server died on datagram %s: %s; stderr: %s (%s)", odd,
                  sc_proc_end(srv), sct_stderr_tail(srv), sct_evidence(lab));
        cr_assert(strstr(replies(next), "Your data was 12 bytes long"),
                  "after datagram %s, %d more went unanswered: %s (%s)", odd, tries, replies(next),
                  sct_evidence(lab));
}

static const char *const odd_datagrams[] = {"\\xff\\xfeabc", "@65507:x"};

Test(udp_local_robust, server_survives_odd_datagrams, SCT_CONTRACT("R-1"), .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        const char *srv_argv[] = {prog, "server", NULL};

        for (size_t i = 0; i < 2; i++) {
                survives(srv_argv, odd_datagrams[i], 1);
                sct_cleanup();
        }
}

/* ---- udp_remote: server ---------------------------------------------- */

Test(udp_remote_book, server_listening_line, SCT_CONTRACT("C-udp_remote-1 C-common-6 C-common-7"),
     .timeout = 20)
{
        static const struct {
                const char *host, *line;
        } rows[] = {
                {"", "Listening at \\('0\\.0\\.0\\.0', 1060\\)\n"},
                {"127.0.0.1", "Listening at \\('127\\.0\\.0\\.1', 1060\\)\n"},
        };
        const char *prog = sct_prog("udp_remote");

        for (size_t i = 0; i < 2; i++) {
                struct sc_lab *lab = sct_lab_loopback("h1");
                const char *srv_argv[] = {prog, "server", rows[i].host, NULL};
                struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);

                sct_stop(srv, lab);
                sct_expect_stdout(srv, rows[i].line, lab);
                sct_cleanup();
        }
}

/*
 * The coin's independence (C-udp_remote-4), on the same datagrams as the
 * rate.  For independent fair flips X1..Xn, the flips Xi xor Xi+k (i = 1..
 * n-k) are again independent fair flips (the map is invertible over GF(2)),
 * so the number of pairs k apart that differ is exactly Binomial(n-k, 1/2).
 * A server that drops every second datagram differs at lag 1 every time,
 * one that drops in pairs at lag 2, one with period 3 never at lag 3.  The
 * lags share alpha (Bonferroni): a fair server fails this check with
 * probability at most alpha, as it does the rate check.
 */
static void expect_independent(const bool *dropped, int n, double alpha, const struct sc_lab *lab)
{
        enum { LAGS = 4 };
        char seq[256];

        for (int i = 0; i < n && i < (int)sizeof(seq) - 1; i++)
                seq[i] = dropped[i] ? 'D' : '-';
        seq[n < (int)sizeof(seq) - 1 ? n : (int)sizeof(seq) - 1] = '\0';
        for (int k = 1; k <= LAGS; k++) {
                int differ = 0, lo, hi;

                for (int i = 0; i + k < n; i++)
                        differ += dropped[i] != dropped[i + k];
                sct_binomial_region(n - k, 0.5, alpha / LAGS, &lo, &hi);
                cr_assert(differ >= lo && differ <= hi,
                          SCT_BROKEN("C-udp_remote-4") "the drops are not independent coin flips: "
                          "of the %d pairs of datagrams %d apart, %d had different fates; "
                          "independent fair flips give %d..%d (a fair server fails this check "
                          "with probability at most %g).  Fates in order (D = dropped): %s (%s)",
                          n - k, k, differ, lo, hi, alpha, seq, sct_evidence(lab));
        }
}

/*
 * The fair coin.  Datagram i has 10+i bytes, so each reply ("Your data was
 * N bytes long") names the datagram it answers, whatever the timing.
 */
Test(udp_remote_book, server_drops_half_and_answers_the_rest,
     SCT_CONTRACT("C-udp_remote-2 C-udp_remote-3 C-udp_remote-4"), .timeout = 30)
{
        enum { N = 100 };
        const double alpha = 1e-6;
        const char *prog = sct_prog("udp_remote");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {prog, "server", "", NULL};
        const char *argv[N + 8] = {sct_peer(), "udp-client", "127.0.0.1", "1060", "--wait", "20"};
        static char msgs[N][16];
        bool answered[N] = {false}, said[N] = {false};
        struct sct_io io[2 * N + 8];
        struct sc_proc *srv, *cli;
        int n, drops = 0, says = 0, lo, hi;
        const char *out;

        for (int i = 0; i < N; i++) {
                snprintf(msgs[i], sizeof(msgs[i]), "@%d:m", 10 + i);
                argv[6 + i] = msgs[i];
        }
        srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);
        cli = sct_run(lab, 0, "client", NULL, argv);
        sct_expect_exit(cli, 0, 20);
        sc_nap(SETTLE_S);
        sct_stop(srv, lab);
        n = sct_peer_log(cli, io, 2 * N + 8);
        for (int i = 0; i < n; i++) {
                int len;

                if (strcmp(io[i].verb, "reply") == 0 && io[i].data &&
                    sscanf(io[i].data, "Your data was %d bytes long", &len) == 1 && len >= 10 &&
                    len < 10 + N)
                        answered[len - 10] = true;
        }
        sct_io_free(io, n);
        out = sc_proc_stdout(srv, NULL);
        {
                char *copy = strdup(out), *save = NULL, *line;

                line = strtok_r(copy, "\n", &save);
                cr_assert(line && strcmp(line, "Listening at ('0.0.0.0', 1060)") == 0,
                          "first line: %s (%s)", line ? line : "(none)", sct_evidence(lab));
                while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
                        if (sct_match("Pretending to drop packet from " SCT_RE_LOOP_ADDR, line)) {
                                drops++;
                        } else if (sct_match("The client at " SCT_RE_LOOP_ADDR " says 'm+'", line)) {
                                /* The quoted text is the datagram: its length names it. */
                                size_t len = strlen(strstr(line, " says '") + 7) - 1;

                                says++;
                                said[len - 10] = true;
                        } else {
                                cr_assert_fail("unexpected server line: %s (%s)", line,
                                               sct_evidence(lab));
                        }
                }
                free(copy);
        }
        cr_assert_eq(drops + says, N, "%d datagrams sent, the server printed %d lines (%d drops, "
                     "%d says) (%s)", N, drops + says, drops, says, sct_evidence(lab));
        for (int i = 0; i < N; i++)
                cr_assert_eq(answered[i], said[i],
                             "datagram of %d bytes: %s but %s (%s)", 10 + i,
                             said[i] ? "the server said it got it" : "the server pretended to drop it",
                             answered[i] ? "a reply came" : "no reply came", sct_evidence(lab));
        sct_binomial_region(N, 0.5, alpha, &lo, &hi);
        cr_assert(drops >= lo && drops <= hi,
                  SCT_BROKEN("C-udp_remote-2") "%d of %d datagrams dropped; a fair coin gives "
                  "%d..%d (a fair server fails this test with probability at most %g) (%s)",
                  drops, N, lo, hi, alpha, sct_evidence(lab));
        {
                bool dropped[N];

                for (int i = 0; i < N; i++)
                        dropped[i] = !said[i];
                expect_independent(dropped, N, alpha, lab);
        }
}

Test(udp_remote_robust, server_survives_odd_datagrams, SCT_CONTRACT("R-1"), .timeout = 20)
{
        const char *prog = sct_prog("udp_remote");
        const char *srv_argv[] = {prog, "server", "", NULL};

        for (size_t i = 0; i < 2; i++) {
                survives(srv_argv, odd_datagrams[i], 20);
                sct_cleanup();
        }
}

/* ---- udp_remote: client ---------------------------------------------- */

static const double schedule[] = {0.0, 0.1, 0.3, 0.7, 1.5};
static const char *const waits[] = {WAITING("0\\.1"), WAITING("0\\.2"), WAITING("0\\.4"),
                                    WAITING("0\\.8"), WAITING("1\\.6")};

/* The client on alpha sends to beta; returns the client, after it ended. */
static struct sc_proc *client_on_pair(struct sc_lab *lab, const char *const *peer_argv,
                                      struct sc_proc **peer)
{
        const char *cli_argv[] = {sct_prog("udp_remote"), "client", "10.0.1.2", NULL};

        SCT_OK(sc_lab_start(lab));
        *peer = peer_argv ? sct_server(lab, 1, "peer", IPPROTO_UDP, 1060, peer_argv) : NULL;
        return sct_run(lab, 0, "client", NULL, cli_argv);
}

/* Checks the client's datagrams in the capture against the first n sends of the schedule. */
static void expect_sends(struct sc_lab *lab, int n)
{
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        double t[16];
        char report[2048];
        int got;

        sct_finish_captures(lab, st);
        got = sct_udp_times(st[0].path, "10.0.1.1", 1060, t, 16);
        cr_assert(sct_schedule_ok(t, got, schedule, n, report, sizeof(report)),
                  "sends of the client (capture %s), tolerance max(5 ms, 5%%) per interval:\n%s%s",
                  st[0].path, report, sct_evidence(lab));
}

static void expect_waits(struct sc_proc *cli, int n, const char *tail, struct sc_lab *lab)
{
        char want[1024];
        size_t o = (size_t)snprintf(want, sizeof(want),
                                    "Client socket name is \\('10\\.0\\.1\\.1', [0-9]+\\)\n");

        for (int i = 0; i < n; i++)
                o += (size_t)snprintf(want + o, sizeof(want) - o, "%s", waits[i]);
        snprintf(want + o, sizeof(want) - o, "%s", tail);
        sct_expect_stdout(cli, want, lab);
}

Test(udp_remote_book, client_sends_the_book_payload,
     SCT_CONTRACT("C-udp_remote-6 C-udp_remote-7 C-udp_remote-8"), .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        const char *peer_argv[] = {sct_peer(), "udp", "1060", NULL};
        struct sc_proc *peer, *cli = client_on_pair(lab, peer_argv, &peer);
        struct sct_io io[8];
        int n;

        sct_expect_exit(cli, 0, 5);
        n = sct_peer_log(peer, io, 8);
        cr_assert(n >= 1 && io[0].data && strcmp(io[0].data, "This is another message") == 0 &&
                          io[0].len == 23,
                  "on the wire: %s, expected 'This is another message' (23 bytes) (%s)",
                  n ? sct_show(io[0].data ? io[0].data : "", io[0].len) : "nothing",
                  sct_evidence(lab));
        expect_waits(cli, 1, "The server says 'Your data was 23 bytes long'\n", lab);
        {
                /* The name printed is the socket's: the port the datagram came from. */
                unsigned port = 0;

                sscanf(sc_proc_stdout(cli, NULL), "Client socket name is ('%*[0-9.]', %u)", &port);
                cr_assert_eq(port, io[0].port,
                             SCT_BROKEN("C-udp_remote-6") "the client printed its socket's port "
                             "as %u, but its datagram came from port %u (%s)",
                             port, io[0].port, sct_evidence(lab));
        }
        sct_io_free(io, n);
        sct_wire_check(lab, 0, "udp_remote/client-answered", NULL);
}

Test(udp_remote_book, client_backs_off_and_gives_up,
     SCT_CONTRACT("C-udp_remote-8 C-udp_remote-9 C-udp_remote-10"), .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        const char *peer_argv[] = {sct_peer(), "udp", "1060", "--silent", NULL};
        struct sc_proc *peer, *cli = client_on_pair(lab, peer_argv, &peer);
        double ended;

        sct_expect_exit(cli, 1, 8);
        ended = sc_now();
        expect_waits(cli, 5, "", lab);
        cr_assert_str_eq(sct_stderr_tail(cli),
                         "RuntimeError: I think the server is down", "last line of stderr");
        expect_sends(lab, 5);
        sct_expect_gave_up(peer, ended, 3.1, lab);
        sct_wire_check(lab, 0, "udp_remote/client-silent-peer", NULL);
}

Test(udp_remote_book, client_retries_until_a_datagram_gets_through,
     SCT_CONTRACT("C-udp_remote-8 C-udp_remote-9"), .timeout = 30)
{
        for (unsigned k = 1; k <= 4; k++) {
                char suffix[16];
                struct sc_lab *lab;
                struct sc_rule r = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP,
                                    .port = 1060, .drop_first = k};
                const char *peer_argv[] = {sct_peer(), "udp", "1060", NULL};
                struct sc_proc *peer, *cli;

                snprintf(suffix, sizeof(suffix), "drop-first-%u", k);
                SCT_NEED_NAMESPACES();
                lab = sct_lab(suffix);
                SCT_OK(sc_lab_host(lab, "alpha"));
                SCT_OK(sc_lab_host(lab, "beta"));
                SCT_OK(sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500));
                SCT_OK(sc_lab_attach(lab, 0, 0, 1));
                SCT_OK(sc_lab_attach(lab, 1, 0, 2));
                SCT_OK(sc_lab_capture(lab, "lan", 0, -1, NULL, NULL));
                SCT_OK(sc_lab_impair(lab, &r));
                cli = client_on_pair(lab, peer_argv, &peer);
                sct_expect_exit(cli, 0, 5);
                expect_waits(cli, (int)k + 1, "The server says 'Your data was 23 bytes long'\n", lab);
                expect_sends(lab, (int)k + 1);
                {
                        char ref[64];

                        snprintf(ref, sizeof(ref), "udp_remote/client-drop-first-%u", k);
                        sct_wire_check(lab, 0, ref, NULL);
                }
                sct_cleanup();
        }
}

Test(udp_remote_book, client_accepts_a_late_reply, SCT_CONTRACT("C-udp_remote-11"), .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        /* Replies take 150 ms: the first one lands after the first 0.1 s timeout. */
        struct sc_rule r = {.segment = 0, .from_host = 1, .proto = IPPROTO_UDP, .delay_ms = 150};
        const char *peer_argv[] = {sct_peer(), "udp", "1060", NULL};
        struct sc_proc *peer, *cli;

        SCT_OK(sc_lab_impair(lab, &r));
        cli = client_on_pair(lab, peer_argv, &peer);
        sct_expect_exit(cli, 0, 5);
        /*
         * The reply to the second send is still held (it lands 250 ms in,
         * after the client left) and draws a port unreachable: let both
         * land before the capture ends, or the wire check would depend on
         * how fast this process gets there.
         */
        sc_nap(SETTLE_S);
        expect_waits(cli, 2, "The server says 'Your data was 23 bytes long'\n", lab);
        expect_sends(lab, 2);
        sct_wire_check(lab, 0, "udp_remote/client-late-reply", NULL);
}

Test(udp_remote_book, client_ignores_replies_from_other_ports, SCT_CONTRACT("C-udp_remote-12"),
     .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        /* "Spoofed reply" from port 1061 first, the real reply 30 ms later. */
        const char *peer_argv[] = {sct_peer(), "udp", "1060", "--spoof-port", "1061", "--after", "30",
                                   NULL};
        struct sc_proc *peer, *cli = client_on_pair(lab, peer_argv, &peer);

        sct_expect_exit(cli, 0, 5);
        expect_waits(cli, 1, "The server says 'Your data was 23 bytes long'\n", lab);
        sct_wire_check(lab, 0, "udp_remote/client-spoofed-reply", (const uint16_t[]){1061, 0});
}

Test(udp_remote_book, client_refused_fails_at_once, SCT_CONTRACT("C-udp_remote-13 C-common-8"),
     .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        struct sc_proc *peer, *cli = client_on_pair(lab, NULL, &peer);
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        double t[8];
        int n;

        double t0 = sc_now();

        /* The wire first: a client that misses the refusal shows it in its retransmissions. */
        sc_proc_wait(cli, 5);
        sct_wire_check(lab, 0, "udp_remote/client-refused", NULL);
        sct_expect_exit(cli, 1, 0);
        cr_assert(sc_now() - t0 < 2, "refused, it still took %.1f s to end (%s)", sc_now() - t0,
                  sct_evidence(lab));
        expect_waits(cli, 1, "", lab);
        cr_assert(strstr(sct_stderr_tail(cli), "[Errno 111] Connection refused"),
                  "stderr ends: %s, expected ...[Errno 111] Connection refused (%s)",
                  sct_stderr_tail(cli), sct_evidence(lab));
        sct_finish_captures(lab, st);
        n = sct_udp_times(st[0].path, "10.0.1.1", 1060, t, 8);
        cr_assert_eq(n, 1, "the client sent %d datagrams, expected 1 and no retransmission (%s)",
                     n, sct_evidence(lab));
}

Test(udp_remote_book, client_port_option, SCT_CONTRACT("C-udp_remote-14 C-udp_remote-6"),
     .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *peer_argv[] = {sct_peer(), "udp", "2062", NULL};
        const char *cli_argv[] = {sct_prog("udp_remote"), "client", "127.0.0.1", "-p", "2062", NULL};
        struct sc_proc *cli;

        sct_server(lab, 0, "peer", IPPROTO_UDP, 2062, peer_argv);
        cli = sct_run(lab, 0, "client", NULL, cli_argv);
        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli,
                      "Client socket name is " SCT_RE_LOOP_ADDR "\n" WAITING("0\\.1")
                      "The server says 'Your data was 23 bytes long'\n",
                      lab);
        sct_wire_check(lab, 0, "udp_remote/client-port-option", (const uint16_t[]){2062, 0});
}

/* ---- big_sender ------------------------------------------------------ */

Test(big_sender_book, fits_on_loopback_as_one_df_packet,
     SCT_CONTRACT("C-big_sender-1 C-big_sender-2"), .timeout = 20)
{
        const char *prog = sct_prog("big_sender");
        struct sc_lab *lab;
        const char *argv[] = {prog, "127.0.0.1", NULL};
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        struct sc_pcap *cap;
        char err[256];
        struct sc_proc *p;
        int found = 0;

        if (sc_mode() == SC_MODE_LOOPBACK && geteuid() != 0)
                cr_skip_test("capturing on the machine's loopback needs root");
        lab = sct_lab(NULL);
        SCT_OK(sc_lab_host(lab, "h1"));
        SCT_OK(sc_lab_capture(lab, "lo", -1, 0, "lo", "udp port 1060"));
        SCT_OK(sc_lab_start(lab));
        p = sct_run(lab, 0, "sender", NULL, argv);
        sct_expect_exit(p, 0, 5);
        sct_expect_stdout(p, "The big datagram was sent!\n", lab);
        sct_finish_captures(lab, st);
        cr_assert(sc_pcap_load(st[0].path, &cap, err, sizeof(err)) == 0, "%s", err);
        for (size_t i = 0; i < cap->count; i++) {
                const struct sc_packet *k = &cap->pkts[i];
                bool hashes = k->payload_caplen == 65000;

                for (uint32_t j = 0; hashes && j < k->payload_caplen; j++)
                        hashes = k->payload[j] == '#';
                cr_assert(k->ip_totlen == 65028 && k->df && k->frag_off == 0 && !k->mf && hashes,
                          "packet %zu: IP length %u (want 65028), DF %d (want 1), fragment offset "
                          "%u, payload %u bytes of '#': %d (%s)",
                          i + 1, k->ip_totlen, k->df, k->frag_off, k->payload_caplen, hashes,
                          sct_evidence(lab));
                found++;
        }
        sc_pcap_free(cap);
        cr_assert_eq(found, 1, "%d packets on lo, expected exactly one (%s)", found,
                     sct_evidence(lab));
        sct_wire_check(lab, 0, "big_sender/loopback", NULL);
}

Test(big_sender_book, reports_the_path_mtu_and_sends_nothing,
     SCT_CONTRACT("C-big_sender-1 C-big_sender-3"), .timeout = 20)
{
        static const int mtus[] = {1500, 1280, 9000};
        const char *prog = sct_prog("big_sender");

        for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
                struct sc_lab *lab = sct_lab_pair(mtus[i], true);
                const char *argv[] = {prog, "10.0.1.2", NULL};
                struct sc_capture_stats st[SC_MAX_CAPTURES];
                char want[128];
                double t[4];
                struct sc_proc *p;

                SCT_OK(sc_lab_start(lab));
                p = sct_run(lab, 0, "sender", NULL, argv);
                /* The wire first: without DF the datagram leaves in fragments. */
                sc_proc_wait(p, 5);
                snprintf(want, sizeof(want), "big_sender/mtu-%d", mtus[i]);
                sct_wire_check(lab, 0, want, NULL);
                sct_expect_exit(p, 0, 0);
                snprintf(want, sizeof(want), "Alas, the datagram did not make it\nActual MTU: %d\n",
                         mtus[i]);
                sct_expect_stdout(p, want, lab);
                sct_finish_captures(lab, st);
                cr_assert_eq(sct_udp_times(st[0].path, NULL, 1060, t, 4), 0,
                             "MTU %d: UDP left the host; with DF set nothing may (%s)", mtus[i],
                             sct_evidence(lab));
                sct_cleanup();
        }
}

/* ---- udp_broadcast --------------------------------------------------- */

/* The routed lab of sct_lab_routed(), with both segments recorded, started. */
static struct sc_lab *broadcast_lab(void)
{
        struct sc_lab *lab = sct_lab_routed(true);

        SCT_OK(sc_lab_start(lab));
        return lab;
}

static void ref_client(struct sc_lab *lab, const char *name, const char *target)
{
        const char *argv[] = {sct_ref("udp_broadcast"), "client", target, NULL};

        sct_expect_exit(sct_run(lab, SCT_SENDER, name, NULL, argv), 0, 5);
}

#define HEARD "The client at \\('10\\.0\\.1\\.1', [0-9]+\\) says: 'Broadcast datagram!'\n"

static const struct {
        const char *name;
        const char *target;     /* where the reference client sends */
        const char *h2, *h3, *h4; /* what each server then prints after its first line */
} reach[] = {
        {"subnet", "10.0.1.255", HEARD, HEARD, ""},
        {"limited", "<broadcast>", HEARD, HEARD, ""},
};

/* The wire checks of both segments of the broadcast lab. */
static void wire_both(struct sc_lab *lab, const char *who, const char *name)
{
        char ref[128];

        snprintf(ref, sizeof(ref), "udp_broadcast/%s-%s-left", who, name);
        sct_wire_check(lab, 0, ref, NULL);
        snprintf(ref, sizeof(ref), "udp_broadcast/%s-%s-right", who, name);
        sct_wire_check(lab, 1, ref, NULL);
}

Test(udp_broadcast_book, server_hears_broadcasts_of_its_segment_only,
     SCT_CONTRACT("C-udp_broadcast-1 C-udp_broadcast-2 C-udp_broadcast-3"), .timeout = 30)
{
        const char *prog = sct_prog("udp_broadcast");

        for (size_t i = 0; i < sizeof(reach) / sizeof(reach[0]); i++) {
                struct sc_lab *lab = broadcast_lab();
                const char *argv[] = {prog, "server", "", NULL};
                const char *ctl[] = {sct_ref("udp_broadcast"), "client", "10.0.2.4", NULL};
                struct sc_proc *s2 = sct_server(lab, SCT_H2, "h2", IPPROTO_UDP, 1060, argv);
                struct sc_proc *s3 = sct_server(lab, SCT_H3, "h3", IPPROTO_UDP, 1060, argv);
                struct sc_proc *s4 = sct_server(lab, SCT_H4, "h4", IPPROTO_UDP, 1060, argv);
                const char *first = "Listening for datagrams at \\('0\\.0\\.0\\.0', 1060\\)\n";
                char want[512];

                ref_client(lab, "client", reach[i].target);
                sc_nap(SETTLE_S);
                SCT_OK(sc_proc_stop(s2));
                SCT_OK(sc_proc_stop(s3));
                SCT_OK(sc_proc_stop(s4));
                snprintf(want, sizeof(want), "%s%s", first, reach[i].h2);
                sct_expect_stdout(s2, want, lab);
                snprintf(want, sizeof(want), "%s%s", first, reach[i].h3);
                sct_expect_stdout(s3, want, lab);
                snprintf(want, sizeof(want), "%s%s", first, reach[i].h4);
                sct_expect_stdout(s4, want, lab);
                /* Control: h4, behind the router, hears a unicast. */
                s4 = sct_server(lab, SCT_H4, "h4-control", IPPROTO_UDP, 1060, argv);
                sct_expect_exit(sct_run(lab, SCT_SENDER, "control", NULL, ctl), 0, 5);
                sc_nap(SETTLE_S);
                SCT_OK(sc_proc_stop(s4));
                snprintf(want, sizeof(want), "%s%s", first, HEARD);
                sct_expect_stdout(s4, want, lab);
                wire_both(lab, "server", reach[i].name);
                sct_cleanup();
        }
}

Test(udp_broadcast_book, server_bound_to_unicast_hears_no_broadcast,
     SCT_CONTRACT("C-udp_broadcast-1 C-udp_broadcast-3"), .timeout = 20)
{
        const char *prog = sct_prog("udp_broadcast");
        struct sc_lab *lab = broadcast_lab();
        const char *argv[] = {prog, "server", "10.0.1.2", NULL};
        struct sc_proc *s2 = sct_server(lab, SCT_H2, "h2", IPPROTO_UDP, 1060, argv);

        ref_client(lab, "broadcast", "10.0.1.255");
        ref_client(lab, "unicast", "10.0.1.2");
        sc_nap(SETTLE_S);
        SCT_OK(sc_proc_stop(s2));
        sct_expect_stdout(s2, "Listening for datagrams at \\('10\\.0\\.1\\.2', 1060\\)\n" HEARD, lab);
        wire_both(lab, "server", "unicast-bound");
}

Test(udp_broadcast_book, client_sends_one_broadcast_datagram,
     SCT_CONTRACT("C-udp_broadcast-4 C-common-6"), .timeout = 30)
{
        static const char *const targets[] = {"10.0.1.255", "<broadcast>"};
        static const char *const names[] = {"subnet", "limited"};
        const char *prog = sct_prog("udp_broadcast");

        for (size_t i = 0; i < 2; i++) {
                struct sc_lab *lab = broadcast_lab();
                const char *cli_argv[] = {prog, "client", targets[i], NULL};
                const char *peer_argv[] = {sct_peer(), "udp", "1060", "--silent", NULL};
                struct sc_proc *p2 = sct_server(lab, SCT_H2, "h2", IPPROTO_UDP, 1060, peer_argv);
                struct sc_proc *p4 = sct_server(lab, SCT_H4, "h4", IPPROTO_UDP, 1060, peer_argv);
                struct sc_proc *cli = sct_run(lab, SCT_SENDER, "client", NULL, cli_argv);
                struct sct_io io[4];
                int n;

                sct_expect_exit(cli, 0, 5);
                sct_expect_stdout(cli, "", lab);
                cr_assert(sct_peer_wait(p2, "recv", 1, 2.0), "h2 heard nothing of %s (%s)",
                          targets[i], sct_evidence(lab));
                n = sct_peer_log(p2, io, 4);
                cr_assert(io[0].len == 19 && strcmp(io[0].data, "Broadcast datagram!") == 0,
                          "h2 got %s (%zu bytes), expected 'Broadcast datagram!' (19) (%s)",
                          sct_show(io[0].data, io[0].len), io[0].len, sct_evidence(lab));
                sct_io_free(io, n);
                sc_nap(SETTLE_S);
                cr_assert_eq(sct_peer_count(p4, "recv"), 0,
                             "h4, behind the router, heard the broadcast to %s (%s)", targets[i],
                             sct_evidence(lab));
                wire_both(lab, "client", names[i]);
                sct_cleanup();
        }
}

/* ---- usage errors and -h (the FOPNP programs use argparse) ---- */

/*
 * Each bad command line ends with exit 2 and a `usage:` line on stderr,
 * printing nothing on stdout; -h prints the usage on stdout and exits 0.
 */
static void usage_errors(const char *id, const char *const bad[][4], size_t nbad)
{
        const char *prog = sct_prog(id);
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *help[] = {prog, "-h", NULL};
        struct sc_proc *p;

        for (size_t i = 0; i < nbad; i++) {
                const char *argv[6] = {prog};
                char line[256] = "";
                const char *err;

                for (int a = 0; a < 4 && bad[i][a]; a++)
                        argv[1 + a] = bad[i][a];
                p = sct_run(lab, 0, "bad", NULL, argv);
                sct_expect_exit(p, 2, 5);
                err = sc_proc_stderr(p, NULL);
                cr_assert(strncmp(err, "usage:", 6) == 0 || strstr(err, "\nusage:"),
                          "%s %s %s: no `usage:` line on stderr: %s (%s)", id,
                          argv[1] ? argv[1] : "", argv[2] ? argv[2] : "",
                          sct_show(err, strlen(err)), sct_evidence(lab));
                snprintf(line, sizeof(line), "%s", sc_proc_stdout(p, NULL));
                cr_assert_str_eq(line, "", "a usage error printed on stdout (%s)", sct_evidence(lab));
        }
        p = sct_run(lab, 0, "help", NULL, help);
        sct_expect_exit(p, 0, 5);
        cr_assert(strncmp(sc_proc_stdout(p, NULL), "usage:", 6) == 0,
                  "%s -h: stdout should start with `usage:`, got %s (%s)", id,
                  sct_show(sc_proc_stdout(p, NULL), strlen(sc_proc_stdout(p, NULL))),
                  sct_evidence(lab));
}

Test(udp_local_book, usage_errors, SCT_CONTRACT("C-common-9"), .timeout = 20)
{
        static const char *const bad[][4] = {{NULL}, {"bogus"}, {"server", "-p", "x"}};

        usage_errors("udp_local", bad, 3);
}

Test(udp_remote_book, usage_errors, SCT_CONTRACT("C-common-9"), .timeout = 20)
{
        static const char *const bad[][4] = {{"client"}, {"nope", "127.0.0.1"},
                                             {"client", "127.0.0.1", "-p"}};

        usage_errors("udp_remote", bad, 3);
}

Test(big_sender_book, usage_errors, SCT_CONTRACT("C-common-9"), .timeout = 20)
{
        static const char *const bad[][4] = {{NULL}, {"127.0.0.1", "-p", "x"}};

        usage_errors("big_sender", bad, 2);
}

Test(udp_broadcast_book, usage_errors, SCT_CONTRACT("C-common-9"), .timeout = 20)
{
        static const char *const bad[][4] = {{"client"}, {"x", "127.0.0.1"}};

        usage_errors("udp_broadcast", bad, 2);
}

/* ---- times, addresses and ports: C-common-5, -7 and -10 ---- */

Test(udp_local_book, client_sends_the_current_local_time, SCT_CONTRACT("C-common-5 C-udp_local-5"),
     .timeout = 20)
{
        const char *cli_argv[] = {sct_prog("udp_local"), "client", NULL};
        const char *peer_argv[] = {sct_peer(), "udp", "1060", NULL};
        struct sc_lab *lab = sct_lab_loopback("h1");
        struct sc_proc *peer = sct_server(lab, 0, "peer", IPPROTO_UDP, 1060, peer_argv), *cli;
        struct sct_io io[8];
        char why[512];
        double t0, t1;
        int n;

        t0 = sct_wall();
        cli = sct_run_tz(lab, 0, "client", NULL, false, cli_argv);
        sct_expect_exit(cli, 0, 5);
        t1 = sct_wall();
        n = sct_peer_log(peer, io, 8);
        cr_assert(n >= 1 && strcmp(io[0].verb, "recv") == 0 && io[0].data &&
                          strncmp(io[0].data, "The time is ", 12) == 0,
                  SCT_BROKEN("C-udp_local-5") "expected the datagram 'The time is <datetime>', "
                  "got %s (%s)",
                  n >= 1 && io[0].data ? sct_show(io[0].data, io[0].len) : "nothing",
                  sct_evidence(lab));
        cr_assert(sct_datetime_between(io[0].data + 12, t0, t1, why, sizeof(why)),
                  SCT_BROKEN("C-common-5") "udp_local client run with %s: %s (%s)", sct_tz_env(),
                  why, sct_evidence(lab));
        sct_io_free(io, n);
}

/* Which addresses a server is started with, and what its first line must then say. */
struct listen_row {
        const char *host; /* NULL: the program takes no host (udp_local) */
        const char *port; /* -p argument, NULL for the default 1060 */
        const char *addr; /* the address the socket must have */
};

/*
 * The `Listening ... at` line is the socket's own address (C-common-7):
 * the server is started on beta (10.0.1.2) with each row's arguments, its
 * socket is read from the kernel's table, and the line must name exactly
 * that address and port, whatever was typed: a name, '', an address,
 * another port, or -p 0 (a port only the kernel knows).
 */
static void listening_lines(const char *id, const char *prefix, const struct listen_row *rows,
                            size_t nrows)
{
        const char *prog = sct_prog(id);
        struct sc_lab *lab = sct_lab_pair(1500, false);

        SCT_OK(sc_lab_start(lab));
        for (size_t i = 0; i < nrows; i++) {
                const char *argv[8] = {prog, "server"};
                char name[32], want[128];
                int a = 2;
                uint16_t port;
                struct sc_proc *srv;

                if (rows[i].host)
                        argv[a++] = rows[i].host;
                if (rows[i].port) {
                        argv[a++] = "-p";
                        argv[a++] = rows[i].port;
                }
                snprintf(name, sizeof(name), "server-%zu", i + 1);
                srv = sct_run(lab, 1, name, NULL, argv);
                port = sct_udp_port_bound_to(srv, rows[i].addr, 5, lab);
                if (rows[i].port && strcmp(rows[i].port, "0") != 0)
                        cr_assert_eq(port, atoi(rows[i].port),
                                     "%s server %s -p %s bound port %u (%s)", id,
                                     rows[i].host ? rows[i].host : "", rows[i].port, port,
                                     sct_evidence(lab));
                sct_stop(srv, lab);
                snprintf(want, sizeof(want), "%s ('%s', %u)\n", prefix, rows[i].addr, port);
                cr_assert(strcmp(sc_proc_stdout(srv, NULL), want) == 0,
                          SCT_BROKEN("C-common-7") "%s server started with host '%s' and -p %s "
                          "has its socket at ('%s', %u), so it must print \"%s\"; it printed "
                          "\"%s\" (%s)",
                          id, rows[i].host ? rows[i].host : "(none)",
                          rows[i].port ? rows[i].port : "(default)", rows[i].addr, port,
                          sct_show(want, strlen(want) - 1),
                          sct_show(sc_proc_stdout(srv, NULL), strlen(sc_proc_stdout(srv, NULL))),
                          sct_evidence(lab));
        }
}

static const struct listen_row host_rows[] = {
        {"", "0", "0.0.0.0"},
        {"beta", NULL, "10.0.1.2"},
        {"10.0.1.2", "2074", "10.0.1.2"},
        {"localhost", "0", "127.0.0.1"},
};

Test(udp_local_book, listening_line_is_the_socket_address,
     SCT_CONTRACT("C-common-7 C-udp_local-2"), .timeout = 20)
{
        static const struct listen_row rows[] = {
                {NULL, "0", "127.0.0.1"},
                {NULL, "2075", "127.0.0.1"},
        };

        listening_lines("udp_local", "Listening at", rows, sizeof(rows) / sizeof(rows[0]));
}

Test(udp_remote_book, listening_line_is_the_socket_address,
     SCT_CONTRACT("C-common-6 C-common-7 C-udp_remote-1 C-udp_remote-14"), .timeout = 20)
{
        listening_lines("udp_remote", "Listening at", host_rows,
                        sizeof(host_rows) / sizeof(host_rows[0]));
}

Test(udp_broadcast_book, listening_line_is_the_socket_address,
     SCT_CONTRACT("C-common-6 C-common-7 C-udp_broadcast-1 C-udp_broadcast-5"), .timeout = 20)
{
        listening_lines("udp_broadcast", "Listening for datagrams at", host_rows,
                        sizeof(host_rows) / sizeof(host_rows[0]));
}

/*
 * No SO_REUSEADDR (C-common-10): a second copy of a UDP server on the same
 * address must fail to bind.  (With the option on both sockets Linux lets
 * two UDP sockets share an address, so a port that sets it starts twice.)
 */
static void second_server_fails(const char *const *argv, uint16_t port)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        struct sc_proc *second;

        sct_server(lab, 0, "first", IPPROTO_UDP, port, argv);
        second = sct_run(lab, 0, "second", NULL, argv);
        sct_expect_address_in_use(second, "a first copy was running on the same address", lab);
}

Test(udp_local_book, second_server_fails_address_in_use, SCT_CONTRACT("C-common-8 C-common-10"),
     .timeout = 20)
{
        const char *argv[] = {sct_prog("udp_local"), "server", NULL};

        second_server_fails(argv, 1060);
}

Test(udp_remote_book, second_server_fails_address_in_use, SCT_CONTRACT("C-common-8 C-common-10"),
     .timeout = 20)
{
        const char *argv[] = {sct_prog("udp_remote"), "server", "", NULL};

        second_server_fails(argv, 1060);
}

Test(udp_broadcast_book, second_server_fails_address_in_use,
     SCT_CONTRACT("C-common-8 C-common-10"), .timeout = 20)
{
        const char *argv[] = {sct_prog("udp_broadcast"), "server", "", NULL};

        second_server_fails(argv, 1060);
}

/*
 * The coin is unseeded (C-udp_remote-5): two runs of the server, each sent
 * the same 40 datagrams, drop different ones.  Independent fair coins
 * agree on all 40 with probability 2^-40 (about 1e-12).  Each datagram's
 * length names it, so the fates come from the server's own lines.
 */
static void coin_run(struct sc_lab *lab, const char *name, int n, bool *dropped)
{
        const char *srv_argv[] = {sct_prog("udp_remote"), "server", "", NULL};
        const char *argv[64] = {sct_peer(), "udp-client", "127.0.0.1", "1060", "--wait", "20"};
        static char msgs[48][16];
        struct sc_proc *srv;
        char *copy, *save = NULL;

        for (int i = 0; i < n; i++) {
                snprintf(msgs[i], sizeof(msgs[i]), "@%d:m", 10 + i);
                argv[6 + i] = msgs[i];
                dropped[i] = true;
        }
        srv = sct_server(lab, 0, name, IPPROTO_UDP, 1060, srv_argv);
        sct_expect_exit(sct_run(lab, 0, "client", NULL, argv), 0, 10);
        sc_nap(SETTLE_S);
        sct_stop(srv, lab);
        copy = strdup(sc_proc_stdout(srv, NULL));
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                const char *q = strstr(l, " says '");

                if (q && strncmp(l, "The client at ", 14) == 0) {
                        size_t len = strlen(q + 7) - 1;

                        if (len >= 10 && len < 10 + (size_t)n)
                                dropped[len - 10] = false;
                }
        }
        free(copy);
}

Test(udp_remote_book, server_coin_is_unseeded, SCT_CONTRACT("C-udp_remote-5"), .timeout = 30)
{
        enum { N = 40 };
        struct sc_lab *lab = sct_lab_loopback("h1");
        bool a[N], b[N];
        char sa[N + 1];

        coin_run(lab, "server-1", N, a);
        coin_run(lab, "server-2", N, b);
        for (int i = 0; i < N; i++) {
                sa[i] = a[i] ? 'D' : '-';
        }
        sa[N] = '\0';
        cr_assert(memcmp(a, b, sizeof(a)) != 0,
                  SCT_BROKEN("C-udp_remote-5") "two runs of the server dropped exactly the same "
                  "%d datagrams (%s, D = dropped): the coin is seeded the same way every run; "
                  "unseeded fair coins agree on all %d with probability 2^-%d (%s)",
                  N, sa, N, N, sct_evidence(lab));
}

/* -p, and a host given by name (C-common-6): "localhost" resolves to 127.0.0.1. */
Test(big_sender_book, port_option, SCT_CONTRACT("C-big_sender-4 C-common-6"), .timeout = 20)
{
        const char *argv[] = {sct_prog("big_sender"), "localhost", "-p", "2076", NULL};
        const char *peer_argv[] = {sct_peer(), "udp", "2076", "--silent", NULL};
        struct sc_lab *lab = sct_lab_loopback("h1");
        struct sc_proc *peer = sct_server(lab, 0, "peer", IPPROTO_UDP, 2076, peer_argv), *p;
        struct sct_io io[4];
        int n;

        p = sct_run(lab, 0, "sender", NULL, argv);
        sct_expect_exit(p, 0, 5);
        sct_expect_stdout(p, "The big datagram was sent!\n", lab);
        cr_assert(sct_peer_wait(peer, "recv", 1, 2.0),
                  SCT_BROKEN("C-big_sender-4") "nothing reached 127.0.0.1:2076, given as "
                  "localhost -p 2076 (%s)",
                  sct_evidence(lab));
        n = sct_peer_log(peer, io, 4);
        cr_assert(io[0].len == 65000, SCT_BROKEN("C-big_sender-4") "port 2076 got %zu bytes, "
                  "expected the 65000-byte datagram (%s)", io[0].len, sct_evidence(lab));
        sct_io_free(io, n);
}

Test(udp_broadcast_book, client_port_option, SCT_CONTRACT("C-udp_broadcast-5"), .timeout = 20)
{
        const char *cli_argv[] = {sct_prog("udp_broadcast"), "client", "10.0.1.255", "-p", "2077",
                                  NULL};
        const char *peer_argv[] = {sct_peer(), "udp", "2077", "--silent", NULL};
        struct sc_lab *lab = sct_lab_pair(1500, false);
        struct sc_proc *peer, *cli;
        struct sct_io io[4];
        int n;

        SCT_OK(sc_lab_start(lab));
        peer = sct_server(lab, 1, "peer", IPPROTO_UDP, 2077, peer_argv);
        cli = sct_run(lab, 0, "client", NULL, cli_argv);
        sct_expect_exit(cli, 0, 5);
        cr_assert(sct_peer_wait(peer, "recv", 1, 2.0),
                  SCT_BROKEN("C-udp_broadcast-5") "the client was given -p 2077 and nothing "
                  "reached port 2077 of beta (%s)",
                  sct_evidence(lab));
        n = sct_peer_log(peer, io, 4);
        cr_assert(io[0].len == 19 && strcmp(io[0].data, "Broadcast datagram!") == 0,
                  "beta:2077 got %s (%zu bytes), expected 'Broadcast datagram!' (%s)",
                  sct_show(io[0].data, io[0].len), io[0].len, sct_evidence(lab));
        sct_io_free(io, n);
}

/* Appends text to a regex, every regex character escaped. */
static size_t regex_literal(char *re, size_t o, size_t cap, const char *text)
{
        for (const char *c = text; *c && o + 3 < cap; c++) {
                if (strchr("\\.()[]{}*+?|^$", *c))
                        re[o++] = '\\';
                re[o++] = *c;
        }
        re[o] = '\0';
        return o;
}

/*
 * {!r} of what a datagram says (C-common-3), for the texts the book's
 * decode('ascii') lets through: a backslash, both quotes at once (single
 * quotes, the ' escaped), control bytes and DEL as \xNN.
 */
Test(udp_local_book, server_prints_the_repr_of_each_text, SCT_CONTRACT("C-common-3 C-udp_local-3"),
     .timeout = 20)
{
        static const struct {
                const char *arg, *text; /* as sc-peer takes it; the bytes */
        } msgs[] = {
                {"back\\\\slash", "back\\slash"},
                {"both ' and \"", "both ' and \""},
                {"\\x01\\x1f\\x7f", "\x01\x1f\x7f"},
                {"\\x0bvt\\x0cff\\x1besc", "\x0b" "vt\x0c" "ff\x1b" "esc"},
        };
        enum { M = sizeof(msgs) / sizeof(msgs[0]) };
        const char *srv_argv[] = {sct_prog("udp_local"), "server", NULL};
        const char *cli_argv[4 + M + 1] = {sct_peer(), "udp-client", "127.0.0.1", "1060"};
        struct sc_lab *lab = sct_lab_loopback("h1");
        struct sc_proc *srv;
        char want[2048], repr[128];
        size_t o;

        for (int i = 0; i < M; i++)
                cli_argv[4 + i] = msgs[i].arg;
        srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);
        sct_expect_exit(sct_run(lab, 0, "client", NULL, cli_argv), 0, 10);
        sct_stop(srv, lab);
        o = (size_t)snprintf(want, sizeof(want), "Listening at \\('127\\.0\\.0\\.1', 1060\\)\n");
        for (int i = 0; i < M; i++) {
                py_repr(msgs[i].text, strlen(msgs[i].text), repr, sizeof(repr));
                o += (size_t)snprintf(want + o, sizeof(want) - o, "The client at " SCT_RE_LOOP_ADDR " says ");
                o = regex_literal(want, o, sizeof(want), repr);
                o += (size_t)snprintf(want + o, sizeof(want) - o, "\n");
        }
        {
                size_t len;
                const char *out = sc_proc_stdout(srv, &len);

                cr_assert(strlen(out) == len && sct_match(want, out),
                          SCT_BROKEN("C-common-3") "the server prints each text as Python's repr() "
                          "does; expected (regex): %s\n  got: %s\n  %s",
                          sct_show(want, strlen(want)), sct_show(out, len), sct_evidence(lab));
        }
}
