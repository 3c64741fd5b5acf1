/*
 * conf_chun.c - conformance of the four Chun programs (Core Python
 * Programming, Examples 16.1 to 16.4: tsTserv, tsTclnt, tsUserv, tsUclnt)
 * to PROGRAMS.md.
 *
 * Criterion suites are <program>_book (what the book's programs do) and
 * <program>_robust (what a careful port does beyond the book).  The program
 * under test always meets our reference programs or the scripted peer
 * sc-peer, never the port's own partner, so a failure names the program
 * that is wrong.  The Python originals block-buffer stdout on a file, so a
 * server's log is read only after it is stopped, and every step is
 * sequenced by what a peer logged or by a socket being bound, never by a
 * line a port printed.  Timestamps come from the server's ctime() and are
 * matched by pattern.
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

#define CHUN_PORT 21567
#define CHUN_PORT_S "21567"
/* The port sc-peer answers from in the follow-the-answerer case. */
#define OTHER_PORT 21600
#define OTHER_PORT_S "21600"

#define CTIME_LEN 24
/* "[" ctime "] " in front of every reply. */
#define STAMP_LEN (CTIME_LEN + 3)
#define BUFSIZ_BOOK 1024

#define T_WAITING "waiting for connection\\.\\.\\.\n"
#define U_WAITING "waiting for message\\.\\.\\.\n"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

TestSuite(tsTserv_book, .fini = sct_cleanup);
TestSuite(tsTserv_robust, .fini = sct_cleanup);
TestSuite(tsTclnt_book, .fini = sct_cleanup);
TestSuite(tsUserv_book, .fini = sct_cleanup);
TestSuite(tsUserv_robust, .fini = sct_cleanup);
TestSuite(tsUclnt_book, .fini = sct_cleanup);

/* ---- shared helpers ---------------------------------------------------- */

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 40
#define MAX_IO 128

/* A NULL-terminated argv built piece by piece. */
struct args {
        const char *v[MAX_ARGS + 1];
        int n;
};

static void args_add(struct args *a, const char *s)
{
        cr_assert(a->n < MAX_ARGS, "more than %d arguments", MAX_ARGS);
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

/* One host on loopback; with bpf, a capture of its lo ("lo.pcap") running from the start. */
static struct sc_lab *chun_lab(const char *bpf)
{
        struct sc_lab *lab;

        if (!bpf)
                return sct_lab_loopback("h1");
        if (sc_mode() == SC_MODE_LOOPBACK && geteuid() != 0)
                cr_skip_test("capturing on the machine's loopback needs root");
        lab = sct_lab(NULL);
        SCT_OK(sc_lab_host(lab, "h1"));
        SCT_OK(sc_lab_capture(lab, "lo", -1, 0, "lo", bpf));
        SCT_OK(sc_lab_start(lab));
        return lab;
}

/* Finishes the lab's capture and returns the path of lo.pcap. */
static const char *finish_capture(struct sc_lab *lab)
{
        static struct sc_capture_stats st[SC_MAX_CAPTURES];

        sct_finish_captures(lab, st);
        return st[0].path;
}

static struct sc_pcap *load_pcap(const char *path)
{
        struct sc_pcap *cap;
        char err[256];

        cr_assert(sc_pcap_load(path, &cap, err, sizeof(err)) == 0, "cannot read %s: %s", path, err);
        return cap;
}

static bool is_tcp(const struct sc_packet *k)
{
        return k->l3 == SC_L3_IPV4 && k->l4 == IPPROTO_TCP;
}

static bool is_udp(const struct sc_packet *k)
{
        return k->l3 == SC_L3_IPV4 && k->l4 == IPPROTO_UDP && k->frag_off == 0;
}

static void expect_exit(struct sc_proc *p, const char *who, int code, double timeout_s,
                        const struct sc_lab *lab)
{
        int rc = sc_proc_wait(p, timeout_s);

        cr_assert(rc == 0, "%s: expected it to exit %d within %.1f s, but it is still running; %s",
                  who, code, timeout_s, sct_evidence(lab));
        cr_assert(sc_proc_exit_code(p) == code,
                  "%s: expected exit %d, got: %s; stderr ends: %s; %s", who, code, sc_proc_end(p),
                  sct_stderr_tail(p), sct_evidence(lab));
}

/* Is data "[<ctime>] " followed by exactly chunk? */
static bool stamped(const char *data, size_t len, const char *chunk, size_t clen)
{
        char stamp[CTIME_LEN + 1];

        if (!data || len != STAMP_LEN + clen || data[0] != '[' || data[CTIME_LEN + 1] != ']' ||
            data[CTIME_LEN + 2] != ' ')
                return false;
        memcpy(stamp, data + 1, CTIME_LEN);
        stamp[CTIME_LEN] = '\0';
        return sct_match(SCT_RE_CTIME, stamp) && memcmp(data + STAMP_LEN, chunk, clen) == 0;
}

/* Asserts a peer's answer (reply/noreply/eof log entry) is "[<ctime>] " + chunk. */
static void expect_stamped(const struct sct_io *a, const char *what, const char *chunk, size_t clen,
                           const struct sc_lab *lab)
{
        cr_assert(strcmp(a->verb, "reply") == 0,
                  "%s: expected the reply \"[<ctime>] %s\" (%zu bytes), got %s; %s", what,
                  sct_show(chunk, clen), STAMP_LEN + clen, a->verb, sct_evidence(lab));
        cr_assert(stamped(a->data, a->len, chunk, clen),
                  "%s: expected \"[<ctime>] %s\" (%zu bytes), got \"%s\" (%zu bytes); %s", what,
                  sct_show(chunk, clen), STAMP_LEN + clen, sct_show(a->data, a->len), a->len,
                  sct_evidence(lab));
}

/*
 * The answers a tcp-client or udp-client peer logged: for every `sent`, the
 * entry after it (reply, noreply or eof).  Returns how many sends.
 */
static int peer_answers(const struct sct_io *io, int n, const struct sct_io **out, int max)
{
        static const struct sct_io none = {.verb = "(nothing)"};
        int k = 0;

        for (int i = 0; i < n && k < max; i++)
                if (strcmp(io[i].verb, "sent") == 0)
                        out[k++] = i + 1 < n ? &io[i + 1] : &none;
        return k;
}

/* The port a tcp-client peer connected from (its `connected ... local=ip:port` line). */
static unsigned peer_local_port(struct sc_proc *p, const struct sc_lab *lab)
{
        const char *f = strstr(sc_proc_stdout(p, NULL), " local=");
        unsigned port = 0;

        cr_assert(f && sscanf(f, " local=%*[0-9.]:%u", &port) == 1,
                  "the peer logged no `connected ... local=ip:port`; %s", sct_evidence(lab));
        return port;
}

/* A message as sc-peer takes it (arg) and as bytes on the wire. */
struct chunk {
        const char *name;
        const char *arg;  /* sc-peer MSG: escapes, or @N:C for N bytes of C */
        const char *text; /* the bytes; NULL for N copies of fill */
        char fill;
        size_t len;
        size_t echoed; /* what a 1024-byte buffer keeps of it */
};

static const char *chunk_bytes(const struct chunk *c)
{
        static char buf[65536];

        if (c->text)
                return c->text;
        memset(buf, c->fill, c->len);
        return buf;
}

/* ---- tsTserv: the server under test, sc-peer tcp-client as the client ---- */

static const struct chunk tcp_chunks[] = {
    {"one byte", "x", "x", 0, 1, 1},
    {"a word", "hello", "hello", 0, 5, 5},
    {"CR LF inside", "one\\r\\ntwo\\r\\n", "one\r\ntwo\r\n", 0, 10, 10},
    {"a newline only", "\\n", "\n", 0, 1, 1},
    {"1000 bytes", "@1000:a", NULL, 'a', 1000, 1000},
    {"spaces and a tab", "  two\\tcolumns  ", "  two\tcolumns  ", 0, 15, 15},
};

static struct sc_proc *start_tsTserv(struct sc_lab *lab)
{
        const char *argv[] = {sct_prog("tsTserv"), NULL};

        return sct_server(lab, 0, "server", IPPROTO_TCP, CHUN_PORT, argv);
}

/* Runs sc-peer tcp-client with extra options/messages (NULL-terminated) and waits for it. */
static struct sc_proc *tcp_client_run(struct sc_lab *lab, const char *name,
                                      const char *const *extra)
{
        struct args a = {.n = 0};
        struct sc_proc *p;

        args_add(&a, sct_peer());
        args_add(&a, "tcp-client");
        args_add(&a, "127.0.0.1");
        args_add(&a, CHUN_PORT_S);
        for (int i = 0; extra && extra[i]; i++)
                args_add(&a, extra[i]);
        p = sct_run(lab, 0, name, NULL, a.v);
        expect_exit(p, name, 0, 10, lab);
        return p;
}

/* One sc-peer tcp-client sending msg; asserts the one reply is "[<ctime>] msg". */
static struct sc_proc *tcp_client_served(struct sc_lab *lab, const char *name, const char *msg)
{
        const char *extra[] = {msg, NULL};
        struct sc_proc *p = tcp_client_run(lab, name, extra);
        struct sct_io io[MAX_IO];
        const struct sct_io *ans[4];
        int n = sct_peer_log(p, io, MAX_IO);

        cr_assert_eq(peer_answers(io, n, ans, 4), 1, "%s: expected 1 send in its log, got %d; %s",
                     name, peer_answers(io, n, ans, 4), sct_evidence(lab));
        expect_stamped(ans[0], name, msg, strlen(msg), lab);
        sct_io_free(io, n);
        return p;
}

Test(tsTserv_book, replies_one_per_chunk, SCT_CONTRACT("C-tsTserv-3 C-common-4"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        const char *extra[NELEMS(tcp_chunks) + 1];
        struct sct_io io[MAX_IO];
        const struct sct_io *ans[NELEMS(tcp_chunks) + 1];
        struct sc_proc *cli;
        int n, k;

        start_tsTserv(lab);
        for (size_t i = 0; i < NELEMS(tcp_chunks); i++)
                extra[i] = tcp_chunks[i].arg;
        extra[NELEMS(tcp_chunks)] = NULL;
        /* One connection, one message at a time: each is one receive of the server. */
        {
                struct args a = {.n = 0};

                args_add(&a, sct_peer());
                args_add(&a, "tcp-client");
                args_add(&a, "127.0.0.1");
                args_add(&a, CHUN_PORT_S);
                for (size_t i = 0; extra[i]; i++)
                        args_add(&a, extra[i]);
                cli = sct_run(lab, 0, "client", NULL, a.v);
        }
        cr_assert(sc_proc_wait(cli, 10) == 0, "the client is still running after 10 s; %s",
                  sct_evidence(lab));
        /* The wire first: a reply that is not the chunk unchanged shows in its bytes. */
        sct_wire_check(lab, 0, "tsTserv/replies-one-per-chunk", NULL);
        n = sct_peer_log(cli, io, MAX_IO);
        k = peer_answers(io, n, ans, (int)NELEMS(ans));
        for (size_t i = 0; i < NELEMS(tcp_chunks); i++) {
                /* Not sent or not answered: the server closed or reset the connection. */
                cr_assert(
                    (int)i < k && strcmp(ans[i]->verb, "reply") == 0,
                    "%s: expected the reply \"[<ctime>] %s\", got %s; the client %s, "
                    "stderr ends: %s; %s",
                    tcp_chunks[i].name, sct_show(chunk_bytes(&tcp_chunks[i]), tcp_chunks[i].len),
                    (int)i < k ? ans[i]->verb : "nothing (it could not send)", sc_proc_end(cli),
                    sct_stderr_tail(cli), sct_evidence(lab));
                expect_stamped(ans[i], tcp_chunks[i].name, chunk_bytes(&tcp_chunks[i]),
                               tcp_chunks[i].len, lab);
        }
        expect_exit(cli, "client", 0, 1, lab);
        sct_io_free(io, n);
}

Test(tsTserv_book, log_names_each_client, SCT_CONTRACT("C-tsTserv-2 C-common-1 C-common-2"),
     .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *srv = start_tsTserv(lab), *a, *b;
        unsigned pa, pb;
        char re[1024];

        a = tcp_client_served(lab, "client-1", "hello");
        pa = peer_local_port(a, lab);
        /* The second client is served only once the server has logged the first one's leaving. */
        b = tcp_client_served(lab, "client-2", "sync");
        pb = peer_local_port(b, lab);
        sct_stop(srv, lab);
        snprintf(re, sizeof(re),
                 T_WAITING "\\.\\.\\.connected from: \\('127\\.0\\.0\\.1', %u\\)\n" T_WAITING
                           "\\.\\.\\.connected from: \\('127\\.0\\.0\\.1', %u\\)\n(" T_WAITING ")?",
                 pa, pb);
        sct_expect_stdout(srv, re, lab);
        sct_wire_check(lab, 0, "tsTserv/log-names-each-client", NULL);
}

/* Where the first FIN (and any RST) of each side of one connection is in a capture. */
struct tcp_ends {
        int client_fin, server_fin; /* packet indices, -1 if none */
        int client_rst, server_rst;
};

static struct tcp_ends tcp_ends_of(const char *pcap, unsigned cport)
{
        struct sc_pcap *cap = load_pcap(pcap);
        struct tcp_ends e = {-1, -1, -1, -1};

        for (size_t i = 0; i < cap->count; i++) {
                const struct sc_packet *k = &cap->pkts[i];
                bool from_client = k->sport == cport && k->dport == CHUN_PORT;
                bool from_server = k->sport == CHUN_PORT && k->dport == cport;

                if (!is_tcp(k) || (!from_client && !from_server))
                        continue;
                if ((k->tcp_flags & TCP_FIN) && from_client && e.client_fin < 0)
                        e.client_fin = (int)i;
                if ((k->tcp_flags & TCP_FIN) && from_server && e.server_fin < 0)
                        e.server_fin = (int)i;
                if ((k->tcp_flags & TCP_RST) && from_client && e.client_rst < 0)
                        e.client_rst = (int)i;
                if ((k->tcp_flags & TCP_RST) && from_server && e.server_rst < 0)
                        e.server_rst = (int)i;
        }
        sc_pcap_free(cap);
        return e;
}

/* Asserts both sides closed with a FIN, the client first, and nobody reset. */
static void expect_client_closes_first(const char *pcap, unsigned cport, const struct sc_lab *lab)
{
        struct tcp_ends e = tcp_ends_of(pcap, cport);

        cr_assert(e.client_fin >= 0, "connection from port %u: the client sent no FIN; %s", cport,
                  sct_evidence(lab));
        cr_assert(e.server_fin >= 0,
                  "connection from port %u: the server never closed its side (no FIN from %d) "
                  "after the client's FIN (packet %d); %s",
                  cport, CHUN_PORT, e.client_fin + 1, sct_evidence(lab));
        cr_assert(e.client_fin < e.server_fin,
                  "connection from port %u: expected the client's FIN first, got the server's FIN "
                  "at packet %d and the client's at packet %d; %s",
                  cport, e.server_fin + 1, e.client_fin + 1, sct_evidence(lab));
        cr_assert(e.client_rst < 0 && e.server_rst < 0,
                  "connection from port %u: expected no RST, got one from the %s at packet %d; %s",
                  cport, e.client_rst >= 0 ? "client" : "server",
                  (e.client_rst >= 0 ? e.client_rst : e.server_rst) + 1, sct_evidence(lab));
}

Test(tsTserv_book, closes_after_the_client, SCT_CONTRACT("C-tsTserv-4"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab("tcp port " CHUN_PORT_S);
        const char *extra[] = {"--expect-eof", "hi", "there", NULL};
        struct sct_io io[MAX_IO];
        const struct sct_io *ans[4];
        struct sc_proc *a;
        unsigned pa;
        int n;

        start_tsTserv(lab);
        /* The client keeps its side open up to 1 s: the server must not close first. */
        a = tcp_client_run(lab, "client-1", extra);
        n = sct_peer_log(a, io, MAX_IO);
        cr_assert_eq(peer_answers(io, n, ans, 4), 2, "client-1 logged %d sends, expected 2; %s",
                     peer_answers(io, n, ans, 4), sct_evidence(lab));
        expect_stamped(ans[0], "client-1, first message", "hi", 2, lab);
        expect_stamped(ans[1], "client-1, second message", "there", 5, lab);
        sct_io_free(io, n);
        cr_assert(sct_peer_count(a, "noeof") == 1,
                  "the server closed the connection while the client was still connected "
                  "(expected the client to close first); client log: %s; %s",
                  sct_show(sc_proc_stdout(a, NULL), strlen(sc_proc_stdout(a, NULL))),
                  sct_evidence(lab));
        pa = peer_local_port(a, lab);
        /* Served only after the server has closed the first connection. */
        tcp_client_served(lab, "client-2", "sync");
        expect_client_closes_first(finish_capture(lab), pa, lab);
        sct_wire_check(lab, 0, "tsTserv/closes-after-the-client", NULL);
}

Test(tsTserv_book, queues_a_second_client, SCT_CONTRACT("C-tsTserv-5"), .timeout = 30)
{
        struct sc_lab *lab = chun_lab(NULL);
        const char *first_argv[] = {sct_ref("tsTclnt"), NULL};
        struct args a = {.n = 0};
        struct sc_proc *first, *second;
        struct sct_io io[MAX_IO];
        const struct sct_io *ans[32], *reply = NULL;
        char msgs[20][8], re[128];
        double closed_at, deadline;
        int n, k;

        start_tsTserv(lab);
        /* The first client (our tsTclnt) is served and keeps its connection open. */
        first = sct_run_open(lab, 0, "client-1", first_argv);
        SCT_OK(sc_proc_write(first, "first\n", 6));
        cr_assert(sc_proc_wait_output(first, "first", 5) == 0,
                  "the first client got no reply to \"first\": %s; %s", sc_error(),
                  sct_evidence(lab));
        /*
         * The second sends m01, m02, ... waiting 300 ms for a reply to each:
         * while the first client is connected, m01 must go unanswered.
         */
        args_add(&a, sct_peer());
        args_add(&a, "tcp-client");
        args_add(&a, "127.0.0.1");
        args_add(&a, CHUN_PORT_S);
        args_add(&a, "--wait");
        args_add(&a, "300");
        for (int i = 0; i < 20; i++) {
                snprintf(msgs[i], sizeof(msgs[i]), "m%02d", i + 1);
                args_add(&a, msgs[i]);
        }
        second = sct_run(lab, 0, "client-2", NULL, a.v);
        deadline = sc_now() + 5;
        while (sct_peer_count(second, "noreply") + sct_peer_count(second, "reply") +
                       sct_peer_count(second, "eof") ==
                   0 &&
               sc_proc_running(second) && sc_now() < deadline)
                sc_nap(0.005);
        n = sct_peer_log(second, io, MAX_IO);
        k = peer_answers(io, n, ans, 32);
        cr_assert(k >= 1 && strcmp(ans[0]->verb, "noreply") == 0,
                  "expected m01 of the second client to go unanswered while the first is "
                  "connected, got: %s \"%s\"; %s",
                  k ? ans[0]->verb : "nothing",
                  k && ans[0]->data ? sct_show(ans[0]->data, ans[0]->len) : "", sct_evidence(lab));
        sct_io_free(io, n);

        /* The first leaves (empty line); now the second must be served, m01 first. */
        closed_at = sc_now();
        SCT_OK(sc_proc_write(first, "\n", 1));
        expect_exit(first, "client-1 (reference tsTclnt)", 0, 5, lab);
        expect_exit(second, "client-2", 0, 15, lab);
        n = sct_peer_log(second, io, MAX_IO);
        k = peer_answers(io, n, ans, 32);
        for (int i = 0; i < k && !reply; i++)
                if (strcmp(ans[i]->verb, "reply") == 0)
                        reply = ans[i];
        cr_assert(reply,
                  "the second client was never served after the first left (%d sends, "
                  "no reply); %s",
                  k, sct_evidence(lab));
        cr_assert(reply->mono >= closed_at,
                  "the second client's first reply came %.3f s before the first client left; %s",
                  closed_at - reply->mono, sct_evidence(lab));
        /* What queued up may come back as one chunk: m01m02... */
        snprintf(re, sizeof(re), "\\[" SCT_RE_CTIME "\\] m01(m[0-9]{2})*");
        cr_assert(sct_match(re, reply->data),
                  "second client's first reply: expected \"[<ctime>] m01...\", got \"%s\"; %s",
                  sct_show(reply->data, reply->len), sct_evidence(lab));
        sct_io_free(io, n);
}

Test(tsTserv_book, serves_clients_in_turn, SCT_CONTRACT("C-tsTserv-4"), .timeout = 20)
{
        static const char *const msgs[] = {"first client", "second client", "third client",
                                           "fourth client"};
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *srv = start_tsTserv(lab);

        for (size_t i = 0; i < NELEMS(msgs); i++) {
                char name[32];

                snprintf(name, sizeof(name), "client-%zu", i + 1);
                tcp_client_served(lab, name, msgs[i]);
        }
        cr_assert(sc_proc_running(srv), "the server ended: %s; %s", sc_proc_end(srv),
                  sct_evidence(lab));
        sct_wire_check(lab, 0, "tsTserv/serves-clients-in-turn", NULL);
}

/* A misbehaving first client, then a normal one that must be served. */
static const struct {
        const char *name;
        const char *extra[4];
} bad_clients[] = {
    {"resets mid-dialog", {"--reset", "one", "two", NULL}},
    {"connects and closes without sending", {NULL}},
    {"resets without sending", {"--reset", NULL}},
};

static void survives(size_t row)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *srv = start_tsTserv(lab), *next;
        const char *next_argv[] = {sct_peer(),  "tcp-client",   "127.0.0.1",
                                   CHUN_PORT_S, "still there?", NULL};
        struct sct_io io[MAX_IO];
        const struct sct_io *ans[4];
        int n;

        {
                const char *bad_argv[8] = {sct_peer(), "tcp-client", "127.0.0.1", CHUN_PORT_S};
                struct sc_proc *bad;

                for (int i = 0; bad_clients[row].extra[i]; i++)
                        bad_argv[4 + i] = bad_clients[row].extra[i];
                /* How the misbehaving client itself fares is not the point. */
                bad = sct_run(lab, 0, "bad-client", NULL, bad_argv);
                cr_assert(sc_proc_wait(bad, 10) == 0, "the client that %s is still running; %s",
                          bad_clients[row].name, sct_evidence(lab));
        }
        next = sct_run(lab, 0, "next-client", NULL, next_argv);
        cr_assert(sc_proc_wait(next, 10) == 0 && sc_proc_exit_code(next) == 0,
                  "after a client that %s, the next client was not served: it %s (%s); the server "
                  "is %s, stderr ends: %s; %s",
                  bad_clients[row].name, sc_proc_end(next),
                  sct_stderr_tail(next), sc_proc_end(srv),
                  sct_stderr_tail(srv), sct_evidence(lab));
        n = sct_peer_log(next, io, MAX_IO);
        cr_assert_eq(peer_answers(io, n, ans, 4), 1, "next-client logged %d sends, expected 1; %s",
                     peer_answers(io, n, ans, 4), sct_evidence(lab));
        expect_stamped(ans[0], "the next client after one that misbehaved", "still there?", 12,
                       lab);
        sct_io_free(io, n);
        cr_assert(sc_proc_running(srv), "after a client that %s, the server ended: %s; %s",
                  bad_clients[row].name, sc_proc_end(srv), sct_evidence(lab));
}

Test(tsTserv_robust, survives_a_reset_mid_dialog, SCT_CONTRACT("R-2"), .timeout = 20)
{
        survives(0);
}

Test(tsTserv_robust, survives_a_client_that_sends_nothing, SCT_CONTRACT("R-2"), .timeout = 20)
{
        survives(1);
}

Test(tsTserv_robust, survives_a_reset_before_any_data, SCT_CONTRACT("R-2"), .timeout = 20)
{
        survives(2);
}

/* ---- tsTclnt and tsUclnt: the client under test ------------------------- */

/* Which client, and who its book partner is. */
struct client_kind {
        const char *id;
        const char *server; /* reference server id */
        int proto;
};

static const struct client_kind TCLNT = {"tsTclnt", "tsTserv", IPPROTO_TCP};
static const struct client_kind UCLNT = {"tsUclnt", "tsUserv", IPPROTO_UDP};

static struct sc_proc *start_ref_server(struct sc_lab *lab, const struct client_kind *k)
{
        const char *argv[] = {sct_ref(k->server), NULL};

        return sct_server(lab, 0, "ref-server", k->proto, CHUN_PORT, argv);
}

static struct sc_proc *run_client(struct sc_lab *lab, const struct client_kind *k, const char *name,
                                  const char *stdin_text)
{
        const char *argv[] = {sct_prog(k->id), NULL};

        return sct_run(lab, 0, name, stdin_text, argv);
}

static void prompt_stream(const struct client_kind *k)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli;

        start_ref_server(lab, k);
        cli = run_client(lab, k, "client", "hi\nthere\n\n");
        expect_exit(cli, k->id, 0, 5, lab);
        sct_expect_stdout(cli, "> \\[" SCT_RE_CTIME "\\] hi\n> \\[" SCT_RE_CTIME "\\] there\n> ", lab);
        {
                char ref[96];

                snprintf(ref, sizeof(ref), "%s/prompt-stream", k->id);
                sct_wire_check(lab, 0, ref, NULL);
        }
}

Test(tsTclnt_book, prompt_stream, SCT_CONTRACT("C-tsTclnt-1 C-tsTclnt-3"), .timeout = 20)
{
        prompt_stream(&TCLNT);
}

Test(tsUclnt_book, prompt_stream, SCT_CONTRACT("C-tsUclnt-1 C-tsUclnt-3"), .timeout = 20)
{
        prompt_stream(&UCLNT);
}

/* A dialog: the lines typed; the reference server stamps each. */
static const struct dialog {
        const char *name;
        const char *lines[6];
        size_t long_len; /* > 0: one more line of this many 'L' */
} dialogs[] = {
    {"one line", {"hello"}, 0},
    {"four lines", {"first", "second line", "3", "and the fourth"}, 0},
    {"regex and quote characters", {"a.b*c+d?(e)[f]{g}|h^$\\", "it's \"quoted\""}, 0},
    {"tab and UTF-8", {"tab\there", "na\xc3\xafve caf\xc3\xa9"}, 0},
    {"a 997-byte line, a 1024-byte reply", {"before"}, 997},
};

static size_t dialog_lines(const struct dialog *d, const char **lines)
{
        static char long_line[BUFSIZ_BOOK];
        size_t n = 0;

        while (n < NELEMS(d->lines) && d->lines[n])
                lines[n] = d->lines[n], n++;
        if (d->long_len) {
                memset(long_line, 'L', d->long_len);
                long_line[d->long_len] = '\0';
                lines[n++] = long_line;
        }
        return n;
}

/*
 * Does out hold "> [<ctime>] line\n" for every line, then "> "?  On a
 * mismatch, why says at which line and byte.
 */
static bool dialog_ok(const char *out, size_t len, const char *const *lines, size_t n, char *why,
                      size_t cap)
{
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                size_t ll = strlen(lines[i]);

                if (len - o < 2 + STAMP_LEN + ll + 1 || memcmp(out + o, "> ", 2) != 0 ||
                    !stamped(out + o + 2, STAMP_LEN + ll, lines[i], ll) ||
                    out[o + 2 + STAMP_LEN + ll] != '\n') {
                        snprintf(why, cap, "line %zu (at byte %zu): expected \"> [<ctime>] %s\\n\"",
                                 i + 1, o, sct_show(lines[i], ll));
                        return false;
                }
                o += 2 + STAMP_LEN + ll + 1;
        }
        if (len - o != 2 || memcmp(out + o, "> ", 2) != 0) {
                snprintf(why, cap,
                         "after %zu replies (at byte %zu): expected the last prompt \"> \"", n, o);
                return false;
        }
        return true;
}

static void dialogs_against_reference(const struct client_kind *k)
{
        struct sc_lab *lab = chun_lab(NULL);

        start_ref_server(lab, k);
        for (size_t d = 0; d < NELEMS(dialogs); d++) {
                const char *lines[NELEMS(dialogs[0].lines) + 1];
                size_t n = dialog_lines(&dialogs[d], lines), olen;
                char in[4096], name[32], why[1200];
                size_t o = 0;
                struct sc_proc *cli;
                const char *out;

                for (size_t i = 0; i < n; i++)
                        o += (size_t)snprintf(in + o, sizeof(in) - o, "%s\n", lines[i]);
                snprintf(in + o, sizeof(in) - o, "\n");
                snprintf(name, sizeof(name), "client-%zu", d + 1);
                cli = run_client(lab, k, name, in);
                expect_exit(cli, dialogs[d].name, 0, 5, lab);
                out = sc_proc_stdout(cli, &olen);
                cr_expect(dialog_ok(out, olen, lines, n, why, sizeof(why)),
                          "dialog \"%s\": %s\n  got: %s\n  %s", dialogs[d].name, why,
                          sct_show(out, olen), sct_evidence(lab));
        }
        {
                char ref[96];

                snprintf(ref, sizeof(ref), "%s/dialogs", k->id);
                sct_wire_check(lab, 0, ref, NULL);
        }
}

Test(tsTclnt_book, dialogs, SCT_CONTRACT("C-tsTclnt-3"), .timeout = 30)
{
        dialogs_against_reference(&TCLNT);
}

Test(tsUclnt_book, dialogs, SCT_CONTRACT("C-tsUclnt-3"), .timeout = 30)
{
        dialogs_against_reference(&UCLNT);
}

/* The scripted server: sc-peer tcp (close last) or udp on the Chun port. */
static struct sc_proc *start_peer_server(struct sc_lab *lab, const struct client_kind *k,
                                         const char *const *extra)
{
        struct args a = {.n = 0};

        args_add(&a, sct_peer());
        args_add(&a, k->proto == IPPROTO_TCP ? "tcp" : "udp");
        args_add(&a, CHUN_PORT_S);
        for (int i = 0; extra && extra[i]; i++)
                args_add(&a, extra[i]);
        return sct_server(lab, 0, "peer", k->proto, CHUN_PORT, a.v);
}

/* Everything a peer received (`recv` entries, concatenated) and how many receives. */
static size_t peer_received(struct sc_proc *p, char *buf, size_t cap, int *nrecv)
{
        struct sct_io io[MAX_IO];
        int n = sct_peer_log(p, io, MAX_IO);
        size_t o = 0;

        *nrecv = 0;
        for (int i = 0; i < n; i++) {
                if (strcmp(io[i].verb, "recv") != 0)
                        continue;
                (*nrecv)++;
                if (io[i].data && o + io[i].len <= cap) {
                        memcpy(buf + o, io[i].data, io[i].len);
                        o += io[i].len;
                }
        }
        sct_io_free(io, n);
        return o;
}

static void sends_line_without_newline(const struct client_kind *k)
{
        static const char line[] = "hello world";
        const char *tcp_extra[] = {"--reply", "ok", NULL};
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *peer, *cli;
        char got[4096];
        size_t glen;
        int nrecv;

        /* sc-peer udp answers "Your data was N bytes long"; sc-peer tcp answers "ok". */
        peer = start_peer_server(lab, k, k->proto == IPPROTO_TCP ? tcp_extra : NULL);
        cli = run_client(lab, k, "client", "hello world\n\n");
        expect_exit(cli, k->id, 0, 5, lab);
        if (k->proto == IPPROTO_TCP)
                expect_exit(peer, "sc-peer tcp", 0, 5, lab);
        glen = peer_received(peer, got, sizeof(got), &nrecv);
        cr_assert(glen == strlen(line) && memcmp(got, line, glen) == 0,
                  "for the line \"%s\\n\" the server received \"%s\" (%zu bytes in %d receives), "
                  "expected \"%s\" (%zu bytes, no newline); %s",
                  line, sct_show(got, glen), glen, nrecv, line, strlen(line), sct_evidence(lab));
        sct_expect_stdout_is(
            cli, k->proto == IPPROTO_TCP ? "> ok\n> " : "> Your data was 11 bytes long\n> ", lab);
        {
                char ref[96];

                snprintf(ref, sizeof(ref), "%s/sends-the-line-without-newline", k->id);
                sct_wire_check(lab, 0, ref, NULL);
        }
}

Test(tsTclnt_book, sends_the_line_without_newline, SCT_CONTRACT("C-tsTclnt-2"), .timeout = 20)
{
        sends_line_without_newline(&TCLNT);
}

Test(tsUclnt_book, sends_the_line_without_newline, SCT_CONTRACT("C-tsUclnt-2"), .timeout = 20)
{
        sends_line_without_newline(&UCLNT);
}

Test(tsTclnt_book, empty_line_sends_nothing, SCT_CONTRACT("C-tsTclnt-1"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *peer = start_peer_server(lab, &TCLNT, NULL), *cli;
        char got[64];
        size_t glen;
        int nrecv;

        cli = run_client(lab, &TCLNT, "client", "\n");
        expect_exit(cli, "tsTclnt", 0, 5, lab);
        sct_expect_stdout_is(cli, "> ", lab);
        /* sc-peer tcp (close last) exits once the client has closed. */
        expect_exit(peer, "sc-peer tcp", 0, 5, lab);
        glen = peer_received(peer, got, sizeof(got), &nrecv);
        cr_assert(nrecv == 0,
                  "after an empty first line the server received \"%s\" (%zu bytes), "
                  "expected nothing; %s",
                  sct_show(got, glen), glen, sct_evidence(lab));
        sct_wire_check(lab, 0, "tsTclnt/empty-line-sends-nothing", NULL);
}

Test(tsUclnt_book, empty_line_sends_nothing, SCT_CONTRACT("C-tsUclnt-1"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *peer = start_peer_server(lab, &UCLNT, NULL), *cli;
        const char *extra_sync[] = {sct_peer(),  "udp-client", "127.0.0.1",
                                    CHUN_PORT_S, "sync",       NULL};
        struct sc_proc *sync;
        char got[64];
        size_t glen;
        int nrecv;

        cli = run_client(lab, &UCLNT, "client", "\n");
        expect_exit(cli, "tsUclnt", 0, 5, lab);
        sct_expect_stdout_is(cli, "> ", lab);
        /* The peer reads in order: once "sync" is answered, anything the client sent is logged. */
        sync = sct_run(lab, 0, "sync", NULL, extra_sync);
        expect_exit(sync, "sync", 0, 5, lab);
        cr_assert(sct_peer_count(sync, "reply") == 1, "the sync datagram was not answered; %s",
                  sct_evidence(lab));
        glen = peer_received(peer, got, sizeof(got), &nrecv);
        cr_assert(nrecv == 1 && glen == 4,
                  "after an empty first line the server received %d datagrams (\"%s\"), expected "
                  "only \"sync\"; %s",
                  nrecv, sct_show(got, glen), sct_evidence(lab));
        sct_wire_check(lab, 0, "tsUclnt/empty-line-sends-nothing", NULL);
}

/* The first SYN's source port: the client of a capture's first connection. */
static unsigned first_client_port(const char *pcap, const struct sc_lab *lab)
{
        struct sc_pcap *cap = load_pcap(pcap);
        unsigned port = 0;

        for (size_t i = 0; i < cap->count && !port; i++) {
                const struct sc_packet *k = &cap->pkts[i];

                if (is_tcp(k) && k->dport == CHUN_PORT && (k->tcp_flags & TCP_SYN) &&
                    !(k->tcp_flags & TCP_ACK))
                        port = k->sport;
        }
        sc_pcap_free(cap);
        cr_assert(port, "no SYN to port %d in %s; %s", CHUN_PORT, pcap, sct_evidence(lab));
        return port;
}

Test(tsTclnt_book, closes_first_on_empty_line, SCT_CONTRACT("C-tsTclnt-1"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab("tcp port " CHUN_PORT_S);
        const char *extra[] = {"--reply", "[Sat Nov 21 17:47:41 2026] hi", NULL};
        struct sc_proc *peer = start_peer_server(lab, &TCLNT, extra), *cli;
        const char *pcap;

        cli = run_client(lab, &TCLNT, "client", "hi\n\n");
        expect_exit(cli, "tsTclnt", 0, 5, lab);
        /* sc-peer tcp (close last) closes only after the client did, then exits. */
        expect_exit(peer, "sc-peer tcp", 0, 5, lab);
        sct_expect_stdout_is(cli, "> [Sat Nov 21 17:47:41 2026] hi\n> ", lab);
        pcap = finish_capture(lab);
        expect_client_closes_first(pcap, first_client_port(pcap, lab), lab);
        sct_wire_check(lab, 0, "tsTclnt/closes-first-on-empty-line", NULL);
}

Test(tsTclnt_book, exits_when_the_server_closes, SCT_CONTRACT("C-tsTclnt-4"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        const char *extra[] = {"--reply", "X", "--close", "first", NULL};
        const char *argv[] = {sct_prog("tsTclnt"), NULL};
        struct sc_proc *peer = start_peer_server(lab, &TCLNT, extra), *cli;

        cli = sct_run_open(lab, 0, "client", argv);
        SCT_OK(sc_proc_write(cli, "a\n", 2));
        /* Only once the server has closed does the client get its next line. */
        cr_assert(sct_peer_wait(peer, "closed", 1, 5), "sc-peer tcp never closed; %s",
                  sct_evidence(lab));
        SCT_OK(sc_proc_write(cli, "b\nc\n\n", 5));
        SCT_OK(sc_proc_close_stdin(cli));
        expect_exit(cli, "tsTclnt", 0, 5, lab);
        sct_expect_stdout_is(cli, "> X\n> ", lab);
        sct_wire_check(lab, 0, "tsTclnt/exits-when-the-server-closes", NULL);
}

Test(tsTclnt_book, refused_connection, SCT_CONTRACT("C-tsTclnt-5 C-common-8"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli = run_client(lab, &TCLNT, "client", "hi\n\n");
        const char *last;

        expect_exit(cli, "tsTclnt", 1, 5, lab);
        sct_expect_stdout_is(cli, "", lab);
        last = sct_stderr_tail(cli);
        cr_assert(strstr(last, "[Errno 111] Connection refused"),
                  "stderr ends: %s, expected ...[Errno 111] Connection refused; %s", last,
                  sct_evidence(lab));
        sct_wire_check(lab, 0, "tsTclnt/refused-connection", NULL);
}

Test(tsUclnt_book, follows_the_last_answerer, SCT_CONTRACT("C-tsUclnt-4"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        const char *extra[] = {"--from-port", OTHER_PORT_S, NULL};
        struct sc_proc *peer = start_peer_server(lab, &UCLNT, extra), *cli;
        struct sct_io io[MAX_IO];
        const struct sct_io *other = NULL;
        double end = sc_now() + 5;
        int n, nrecv = 0;

        /* The peer answers "one" from port 21600: "two" must go there. */
        cli = run_client(lab, &UCLNT, "client", "one\ntwo\n\n");
        while (sct_peer_count(peer, "recv-other") < 1 && sct_peer_count(peer, "recv") < 2 &&
               sc_now() < end)
                sc_nap(0.005);
        n = sct_peer_log(peer, io, MAX_IO);
        for (int i = 0; i < n; i++) {
                if (strcmp(io[i].verb, "recv") == 0)
                        nrecv++;
                else if (strcmp(io[i].verb, "recv-other") == 0 && !other)
                        other = &io[i];
        }
        cr_assert(other,
                  "the second datagram never reached port %d, which answered the first; "
                  "port %d received %d datagrams; %s",
                  OTHER_PORT, CHUN_PORT, nrecv, sct_evidence(lab));
        cr_assert_eq(nrecv, 1, "port %d received %d datagrams, expected only the first; %s",
                     CHUN_PORT, nrecv, sct_evidence(lab));
        cr_assert_eq(other->len, 3,
                     "port %d received a datagram of %zu bytes for \"two\", expected "
                     "3 (no newline); %s",
                     OTHER_PORT, other->len, sct_evidence(lab));
        sct_io_free(io, n);
        /* Nobody answers at 21600: the client waits for ever. */
        SCT_OK(sc_proc_stop(cli));
        sct_expect_stdout_is(cli, "> Your data was 3 bytes long\n> ", lab);
        sct_wire_check(lab, 0, "tsUclnt/follows-the-last-answerer", (const uint16_t[]){OTHER_PORT, 0});
}

Test(tsUclnt_book, waits_without_server, SCT_CONTRACT("C-tsUclnt-5"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli = run_client(lab, &UCLNT, "client", "hi\n\n");
        int rc = sc_proc_wait(cli, 1.5);

        cr_assert(rc == -ETIMEDOUT,
                  "with no server, expected the client still waiting after 1.5 s, "
                  "got: %s; stderr ends: %s; %s",
                  sc_proc_end(cli), sct_stderr_tail(cli), sct_evidence(lab));
        SCT_OK(sc_proc_stop(cli));
        sct_expect_stdout_is(cli, "> ", lab);
        sct_wire_check(lab, 0, "tsUclnt/waits-without-server", NULL);
}

/* ---- tsUserv: the server under test, sc-peer udp-client as the client ---- */

static const struct chunk udp_chunks[] = {
    {"empty", "", "", 0, 0, 0},
    {"one byte", "x", "x", 0, 1, 1},
    {"a word", "hello", "hello", 0, 5, 5},
    {"CR LF inside", "one\\r\\ntwo\\r\\n", "one\r\ntwo\r\n", 0, 10, 10},
    {"1000 bytes", "@1000:a", NULL, 'a', 1000, 1000},
    {"1024 bytes", "@1024:b", NULL, 'b', 1024, 1024},
};

static const struct chunk udp_long[] = {
    {"1025 bytes", "@1025:c", NULL, 'c', 1025, 1024},
    {"2000 bytes", "@2000:d", NULL, 'd', 2000, 1024},
};

static const struct chunk udp_odd[] = {
    {"NUL bytes", "\\x00\\x00a\\x00", "\0\0a\0", 0, 4, 4},
    {"non-ASCII", "\\xff\\xfe caf\\xc3\\xa9 \\x80", "\xff\xfe caf\xc3\xa9 \x80", 0, 10, 10},
    {"control bytes", "\\x01\\x1b[0m\\x7f", "\x01\x1b[0m\x7f", 0, 6, 6},
    {"65507 bytes", "@65507:z", NULL, 'z', 65507, 1024},
};

static struct sc_proc *start_tsUserv(struct sc_lab *lab)
{
        const char *argv[] = {sct_prog("tsUserv"), NULL};

        return sct_server(lab, 0, "server", IPPROTO_UDP, CHUN_PORT, argv);
}

/* sc-peer udp-client sending each chunk's arg (then tail, if not NULL); waits for it. */
static struct sc_proc *udp_client_run(struct sc_lab *lab, const char *name, const struct chunk *c,
                                      size_t nc, const char *tail)
{
        struct args a = {.n = 0};
        struct sc_proc *p;

        args_add(&a, sct_peer());
        args_add(&a, "udp-client");
        args_add(&a, "127.0.0.1");
        args_add(&a, CHUN_PORT_S);
        for (size_t i = 0; i < nc; i++)
                args_add(&a, c[i].arg);
        if (tail)
                args_add(&a, tail);
        p = sct_run(lab, 0, name, NULL, a.v);
        expect_exit(p, name, 0, 10, lab);
        return p;
}

/* Asserts every chunk got "[<ctime>] " + its first 1024 bytes, from the server's port. */
static void expect_udp_replies(struct sc_proc *p, const struct chunk *c, size_t nc,
                               const char *tail, const struct sc_lab *lab)
{
        struct sct_io io[MAX_IO];
        const struct sct_io *ans[MAX_IO];
        int n = sct_peer_log(p, io, MAX_IO);
        int k = peer_answers(io, n, ans, MAX_IO);

        cr_assert_eq(k, (int)(nc + (tail != NULL)), "the client logged %d sends, expected %zu; %s",
                     k, nc + (tail != NULL), sct_evidence(lab));
        for (size_t i = 0; i < nc; i++) {
                char what[96];

                snprintf(what, sizeof(what), "datagram \"%s\" (%zu bytes)", c[i].name, c[i].len);
                expect_stamped(ans[i], what, chunk_bytes(&c[i]), c[i].echoed, lab);
                cr_assert(strcmp(ans[i]->addr, "127.0.0.1") == 0 && ans[i]->port == CHUN_PORT,
                          "%s: expected the reply from 127.0.0.1:%d, got it from %s:%u; %s", what,
                          CHUN_PORT, ans[i]->addr, ans[i]->port, sct_evidence(lab));
        }
        if (tail)
                expect_stamped(ans[nc], "the datagram after them", tail, strlen(tail), lab);
        sct_io_free(io, n);
}

Test(tsUserv_book, replies_to_each_datagram, SCT_CONTRACT("C-tsUserv-2 C-common-4"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli;

        start_tsUserv(lab);
        cli = udp_client_run(lab, "client", udp_chunks, NELEMS(udp_chunks), NULL);
        expect_udp_replies(cli, udp_chunks, NELEMS(udp_chunks), NULL, lab);
        sct_wire_check(lab, 0, "tsUserv/replies-to-each-datagram", NULL);
}

Test(tsUserv_book, cuts_datagrams_at_1024_bytes, SCT_CONTRACT("C-tsUserv-2"), .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli;

        start_tsUserv(lab);
        cli = udp_client_run(lab, "client", udp_long, NELEMS(udp_long), "after");
        expect_udp_replies(cli, udp_long, NELEMS(udp_long), "after", lab);
        sct_wire_check(lab, 0, "tsUserv/cuts-datagrams-at-1024-bytes", NULL);
}

Test(tsUserv_book, answers_each_sender, SCT_CONTRACT("C-tsUserv-4"), .timeout = 20)
{
        static const char *const who[] = {"A", "B", "C"};
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli[NELEMS(who)];
        char msgs[NELEMS(who)][5][8];

        start_tsUserv(lab);
        /* Three senders at once, from three ports: each must get its own replies. */
        for (size_t c = 0; c < NELEMS(who); c++) {
                struct args a = {.n = 0};
                char name[32];

                args_add(&a, sct_peer());
                args_add(&a, "udp-client");
                args_add(&a, "127.0.0.1");
                args_add(&a, CHUN_PORT_S);
                for (int m = 0; m < 5; m++) {
                        snprintf(msgs[c][m], sizeof(msgs[c][m]), "%s%d", who[c], m + 1);
                        args_add(&a, msgs[c][m]);
                }
                snprintf(name, sizeof(name), "client-%s", who[c]);
                cli[c] = sct_run(lab, 0, name, NULL, a.v);
        }
        for (size_t c = 0; c < NELEMS(who); c++) {
                struct sct_io io[MAX_IO];
                const struct sct_io *ans[8];
                int n, k;

                expect_exit(cli[c], who[c], 0, 10, lab);
                n = sct_peer_log(cli[c], io, MAX_IO);
                k = peer_answers(io, n, ans, 8);
                cr_assert_eq(k, 5, "client %s logged %d sends, expected 5; %s", who[c], k,
                             sct_evidence(lab));
                for (int m = 0; m < 5; m++) {
                        char what[160];

                        snprintf(what, sizeof(what), "client %s, datagram %s", who[c], msgs[c][m]);
                        expect_stamped(ans[m], what, msgs[c][m], strlen(msgs[c][m]), lab);
                }
                sct_io_free(io, n);
        }
}

/* The source ports of datagrams to the Chun port, in order of first appearance. */
static int udp_senders(const char *pcap, unsigned *ports, int max)
{
        struct sc_pcap *cap = load_pcap(pcap);
        int n = 0;

        for (size_t i = 0; i < cap->count && n < max; i++) {
                const struct sc_packet *k = &cap->pkts[i];
                bool seen = false;

                if (!is_udp(k) || k->dport != CHUN_PORT)
                        continue;
                for (int j = 0; j < n; j++)
                        seen |= ports[j] == k->sport;
                if (!seen)
                        ports[n++] = k->sport;
        }
        sc_pcap_free(cap);
        return n;
}

Test(tsUserv_book, log_names_each_sender, SCT_CONTRACT("C-tsUserv-1 C-tsUserv-3 C-common-1"),
     .timeout = 20)
{
        static const struct chunk two[] = {
            {"one", "one", "one", 0, 3, 3},
            {"two", "two", "two", 0, 3, 3},
        };
        struct sc_lab *lab = chun_lab("udp port " CHUN_PORT_S);
        struct sc_proc *srv = start_tsUserv(lab), *a, *b;
        unsigned ports[4];
        char re[1024];
        int n;

        a = udp_client_run(lab, "client-1", two, NELEMS(two), NULL);
        expect_udp_replies(a, two, NELEMS(two), NULL, lab);
        /*
         * The reply to a second sender proves the server has printed its lines for the
         * first one (it prints after sending, then waits for the next datagram).
         */
        b = udp_client_run(lab, "client-2", NULL, 0, "sync");
        expect_udp_replies(b, NULL, 0, "sync", lab);
        sct_stop(srv, lab);
        n = udp_senders(finish_capture(lab), ports, 4);
        cr_assert_eq(n, 2, "the capture shows %d senders to port %d, expected 2; %s", n, CHUN_PORT,
                     sct_evidence(lab));
        snprintf(re, sizeof(re),
                 U_WAITING
                 "\\.\\.\\.received from and returned to: \\('127\\.0\\.0\\.1', %u\\)\n" U_WAITING
                 "\\.\\.\\.received from and returned to: \\('127\\.0\\.0\\.1', %u\\)\n" U_WAITING
                 "(\\.\\.\\.received from and returned to: \\('127\\.0\\.0\\.1', %u\\)\n(" U_WAITING
                 ")?)?",
                 ports[0], ports[0], ports[1]);
        sct_expect_stdout(srv, re, lab);
        sct_wire_check(lab, 0, "tsUserv/log-names-each-sender", NULL);
}

/* ip(8), to make a reply unsendable; the test SKIPs without it. */
static const char *ip_tool(void)
{
        static const char *const paths[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};

        for (size_t i = 0; i < NELEMS(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        cr_skip_test("needs ip(8) to add a prohibit route");
        return NULL;
}

/*
 * The server sends, then logs.  The order shows when the send fails: a
 * prohibit route on the server's host makes sendto() fail with EACCES.  The
 * book's server dies there without logging the sender; a careful one
 * survives (and may log it); one that logs first dies with the line printed.
 */
Test(tsUserv_book, reports_only_after_sending, SCT_CONTRACT("C-tsUserv-3"), .timeout = 30)
{
        const char *ip, *out;
        struct sc_lab *lab;
        int c, s, seg;
        struct sc_proc *srv, *doomed, *after;

        SCT_NEED_NAMESPACES();
        ip = ip_tool();
        lab = sct_lab(NULL);
        c = sc_lab_host(lab, "client");
        s = sc_lab_host(lab, "server");
        seg = sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
        SCT_OK(c);
        SCT_OK(s);
        SCT_OK(seg);
        SCT_OK(sc_lab_attach(lab, c, seg, 1));
        SCT_OK(sc_lab_attach(lab, s, seg, 2));
        SCT_OK(sc_lab_start(lab));
        {
                const char *srv_argv[] = {sct_prog("tsUserv"), NULL};
                const char *add[] = {ip, "route", "add", "prohibit", "10.0.1.1/32", NULL};
                const char *del[] = {ip, "route", "del", "prohibit", "10.0.1.1/32", NULL};
                const char *doomed_argv[] = {sct_peer(), "udp-client", "10.0.1.2", CHUN_PORT_S,
                                             "--wait",   "500",        "doomed",   NULL};
                const char *after_argv[] = {sct_peer(),  "udp-client", "10.0.1.2",
                                            CHUN_PORT_S, "after",      NULL};

                srv = sct_server(lab, s, "server", IPPROTO_UDP, CHUN_PORT, srv_argv);
                expect_exit(sct_run(lab, s, "route-add", NULL, add), "ip route add", 0, 5, lab);
                doomed = sct_run(lab, c, "doomed", NULL, doomed_argv);
                expect_exit(doomed, "doomed", 0, 5, lab);
                cr_assert(sct_peer_count(doomed, "noreply") == 1,
                          "a reply crossed the prohibit route: the fault did not apply; %s",
                          sct_evidence(lab));
                expect_exit(sct_run(lab, s, "route-del", NULL, del), "ip route del", 0, 5, lab);
                after = sct_run(lab, c, "after", NULL, after_argv);
                expect_exit(after, "after", 0, 5, lab);
        }
        if (sct_peer_count(after, "reply") == 1) {
                /* It survived the failed send: the doomed datagram must have reached it. */
                sct_stop(srv, lab);
                out = sc_proc_stdout(srv, NULL);
                cr_assert(strstr(out, "returned to: ('10.0.1.1'") &&
                              strstr(strstr(out, "returned to: ('10.0.1.1'") + 1,
                                     "returned to: ('10.0.1.1'"),
                          "the server answered \"after\" but did not log both datagrams; "
                          "stdout: %s; %s",
                          sct_show(out, strlen(out)), sct_evidence(lab));
                return;
        }
        cr_assert(sc_proc_wait(srv, 5) == 0,
                  "the server neither answered \"after\" nor ended after its reply failed; %s",
                  sct_evidence(lab));
        out = sc_proc_stdout(srv, NULL);
        cr_assert(!strstr(out, "...received from and returned to: ('10.0.1.1'"),
                  "the server died on the failed reply to 10.0.1.1 (%s; stderr ends: %s) but had "
                  "already logged it as returned: it prints before it sends; stdout: %s; %s",
                  sc_proc_end(srv), sct_stderr_tail(srv),
                  sct_show(out, strlen(out)), sct_evidence(lab));
        cr_assert(sct_match(U_WAITING, out),
                  "the server died on the failed reply; expected its stdout to be just \"waiting "
                  "for message...\\n\", got: %s; %s",
                  sct_show(out, strlen(out)), sct_evidence(lab));
}

Test(tsUserv_robust, keeps_serving_after_odd_datagrams, SCT_CONTRACT("R-1"), .timeout = 30)
{
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *srv = start_tsUserv(lab);

        for (size_t i = 0; i < NELEMS(udp_odd); i++) {
                char name[32];
                struct sc_proc *cli;

                snprintf(name, sizeof(name), "client-%zu", i + 1);
                cli = udp_client_run(lab, name, &udp_odd[i], 1, "after");
                expect_udp_replies(cli, &udp_odd[i], 1, "after", lab);
        }
        cr_assert(sc_proc_running(srv), "the server ended: %s; %s", sc_proc_end(srv),
                  sct_evidence(lab));
}

/* ======================= under delay ======================= */

/*
 * The TCP pair across a link with 100 ms of delay each way: the same
 * output, and the handshake first on the wire, taking at least one round
 * trip.  The client's host points "localhost" at the server's host, since
 * tsTclnt connects to localhost.  One side is the program under test, the
 * other our reference program.
 */
static void tcp_under_delay(bool server_under_test)
{
        const double delay_ms = 100, tol_s = 0.005;
        const char *serv = server_under_test ? sct_prog("tsTserv") : sct_ref("tsTserv");
        const char *clnt = server_under_test ? sct_ref("tsTclnt") : sct_prog("tsTclnt");
        const char *srv_argv[] = {serv, NULL}, *cli_argv[] = {clnt, NULL};
        struct sc_rule r = {.segment = 0, .from_host = -1, .delay_ms = delay_ms};
        struct sc_lab *lab = sct_lab_pair(1500, true);
        struct sc_proc *srv, *cli;
        struct sc_pcap *cap;
        const struct sc_packet *hs[3];
        int nhs = 0;

        SCT_OK(sc_lab_hosts_entry(lab, 0, "10.0.1.2", "localhost"));
        SCT_OK(sc_lab_impair(lab, &r));
        SCT_OK(sc_lab_start(lab));
        srv = sct_server(lab, 1, "server", IPPROTO_TCP, CHUN_PORT, srv_argv);
        cli = sct_run(lab, 0, "client", "hi\nthere\n\n", cli_argv);
        expect_exit(cli, "tsTclnt", 0, 10, lab);
        sct_expect_stdout(cli, "> \\[" SCT_RE_CTIME "\\] hi\n> \\[" SCT_RE_CTIME "\\] there\n> ", lab);
        /* The client's FIN takes 100 ms to arrive: the server may not be back at accept yet. */
        sct_stop(srv, lab);
        sct_expect_stdout(srv,
                          T_WAITING "\\.\\.\\.connected from: \\('10\\.0\\.1\\.1', [0-9]+\\)\n(" T_WAITING ")?",
                          lab);
        cap = load_pcap(finish_capture(lab));
        for (size_t i = 0; i < cap->count && nhs < 3; i++)
                if (is_tcp(&cap->pkts[i]))
                        hs[nhs++] = &cap->pkts[i];
        cr_assert(nhs == 3 && hs[0]->tcp_flags == TCP_SYN && hs[0]->dport == CHUN_PORT &&
                          hs[1]->tcp_flags == (TCP_SYN | TCP_ACK) && hs[2]->tcp_flags == TCP_ACK,
                  "expected the handshake first on the wire ([S] to %d, [S.], [.]); %s", CHUN_PORT,
                  sct_evidence(lab));
        cr_assert((double)(hs[2]->ts_ns - hs[0]->ts_ns) / 1e9 >= 2 * delay_ms / 1000 - tol_s,
                  "the handshake took %.3f s; with %.0f ms each way it takes a round trip (%s)",
                  (double)(hs[2]->ts_ns - hs[0]->ts_ns) / 1e9, delay_ms, sct_evidence(lab));
        sc_pcap_free(cap);
        sct_wire_check(lab, 0, server_under_test ? "tsTserv/under-delay" : "tsTclnt/under-delay",
                       NULL);
}

Test(tsTserv_book, under_delay, SCT_CONTRACT("C-tsTserv-1 C-tsTserv-2"), .timeout = 20)
{
        tcp_under_delay(true);
}

Test(tsTclnt_book, under_delay, SCT_CONTRACT("C-tsTclnt-1 C-tsTclnt-3"), .timeout = 20)
{
        tcp_under_delay(false);
}

/* ======================= times, typed lines, ports ======================= */

/*
 * The stamps are the current local time (C-common-5): the server runs
 * under a zone with an offset and a daylight-saving rule, our client sends
 * two lines, the second in a later second than the first reply came, and
 * each stamp must be the local time between its line and its reply.  A
 * server that stamps UTC, reads the clock once at start-up, or once per
 * connection or sender, fails.  One connection (and one UDP socket) for
 * both lines, so per-connection stamps cannot pass.
 */
static void stamps_local_time(const struct client_kind *k, const char *clause)
{
        const char *srv_argv[] = {sct_prog(k->server), NULL};
        const char *cli_argv[] = {sct_ref(k->id), NULL};
        static const char *const lines[] = {"first", "second"};
        struct sc_lab *lab = chun_lab(NULL);
        struct sc_proc *cli;
        double t0[2], t1[2];
        const char *out;
        char why[600];

        sct_server_tz(lab, 0, "server", k->proto, CHUN_PORT, srv_argv);
        cli = sct_run_open(lab, 0, "client", cli_argv);
        for (int i = 0; i < 2; i++) {
                char line[16];

                if (i > 0)
                        sct_wait_past_second(t1[i - 1]);
                snprintf(line, sizeof(line), "%s\n", lines[i]);
                t0[i] = sct_wall();
                SCT_OK(sc_proc_write(cli, line, strlen(line)));
                cr_assert(sc_proc_wait_output(cli, lines[i], 5) == 0,
                          "our %s got no reply to \"%s\" from the server: %s; %s", k->id, lines[i],
                          sc_error(), sct_evidence(lab));
                t1[i] = sct_wall();
        }
        SCT_OK(sc_proc_write(cli, "\n", 1));
        expect_exit(cli, k->id, 0, 5, lab);
        out = sc_proc_stdout(cli, NULL);
        /* "> [<ctime>] first\n> [<ctime>] second\n> " */
        for (int i = 0; i < 2; i++) {
                const char *at = out;
                char stamp[CTIME_LEN + 1];

                for (int j = 0; j <= i && at; j++)
                        at = strstr(at + (j ? 1 : 0), "> [");
                cr_assert(at && strlen(at) >= 3 + CTIME_LEN,
                          SCT_BROKEN("C-common-5") "reply %d: no \"[<ctime>]\" stamp in the "
                          "client's output %s; %s",
                          i + 1, sct_show(out, strlen(out)), sct_evidence(lab));
                memcpy(stamp, at + 3, CTIME_LEN);
                stamp[CTIME_LEN] = '\0';
                cr_assert(sct_ctime_between(stamp, t0[i], t1[i], why, sizeof(why)),
                          SCT_BROKEN("C-common-5") "%s run with %s, reply to line %d \"%s\"%s: "
                          "%s (%s); %s",
                          k->server, sct_tz_env(), i + 1, lines[i],
                          i ? ", sent in a later second than the first reply" : "", why, clause,
                          sct_evidence(lab));
        }
}

Test(tsTserv_book, stamps_each_reply_with_the_local_time,
     SCT_CONTRACT("C-common-5 C-tsTserv-3"), .timeout = 20)
{
        stamps_local_time(&TCLNT, "C-tsTserv-3");
}

Test(tsUserv_book, stamps_each_reply_with_the_local_time,
     SCT_CONTRACT("C-common-5 C-tsUserv-2"), .timeout = 20)
{
        stamps_local_time(&UCLNT, "C-tsUserv-2");
}

/*
 * What the user typed is what is sent (C-tsTclnt-2, C-tsUclnt-2): lines
 * with leading and trailing spaces and tabs, and lines of only blanks, go
 * out unchanged.  tsTclnt meets our tsTserv, whose reply carries the chunk
 * back unchanged, so the printed replies show what was sent; tsUclnt meets
 * sc-peer, which logs every datagram.
 */
static const char *const typed[] = {
        "  two leading spaces", "two trailing spaces  ", "\tleading tab", "trailing tab\t",
        "   ", " \t ", "\t", " x ",
};

static void sends_as_typed(const struct client_kind *k, const char *clause)
{
        struct sc_lab *lab = chun_lab(NULL);
        char in[512] = "", why[1200];
        size_t n = NELEMS(typed), olen;
        struct sc_proc *peer = NULL, *cli;
        const char *out;

        for (size_t i = 0; i < n; i++)
                snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s\n", typed[i]);
        snprintf(in + strlen(in), sizeof(in) - strlen(in), "\n");
        if (k->proto == IPPROTO_TCP)
                start_ref_server(lab, k);
        else
                peer = start_peer_server(lab, k, NULL);
        cli = run_client(lab, k, "client", in);
        expect_exit(cli, k->id, 0, 5, lab);
        out = sc_proc_stdout(cli, &olen);
        if (peer) {
                struct sct_io io[MAX_IO];
                int m = sct_peer_log(peer, io, MAX_IO), got = 0;

                for (int i = 0; i < m; i++) {
                        if (strcmp(io[i].verb, "recv") != 0)
                                continue;
                        cr_assert(got < (int)n && io[i].len == strlen(typed[got]) &&
                                          memcmp(io[i].data, typed[got], io[i].len) == 0,
                                  SCT_BROKEN("%s") "the user typed \"%s\", the server received "
                                  "\"%s\" (%zu bytes); a line is sent as typed, blanks and all; %s",
                                  clause, got < (int)n ? sct_show(typed[got], strlen(typed[got])) : "(nothing)",
                                  sct_show(io[i].data, io[i].len), io[i].len, sct_evidence(lab));
                        got++;
                }
                sct_io_free(io, m);
                cr_assert_eq(got, (int)n,
                             SCT_BROKEN("%s") "%d lines typed (none empty), the server received "
                             "%d datagrams; client stdout: %s; %s",
                             clause, (int)n, got, sct_show(out, olen), sct_evidence(lab));
                return;
        }
        cr_assert(dialog_ok(out, olen, typed, n, why, sizeof(why)),
                  SCT_BROKEN("%s") "our tsTserv echoes each chunk unchanged after its stamp, so "
                  "the replies show what was sent: %s\n  got: %s\n  %s",
                  clause, why, sct_show(out, olen), sct_evidence(lab));
}

Test(tsTclnt_book, sends_lines_as_typed, SCT_CONTRACT("C-tsTclnt-2 C-tsTclnt-3"), .timeout = 20)
{
        sends_as_typed(&TCLNT, "C-tsTclnt-2");
}

Test(tsUclnt_book, sends_lines_as_typed, SCT_CONTRACT("C-tsUclnt-2"), .timeout = 20)
{
        sends_as_typed(&UCLNT, "C-tsUclnt-2");
}

/* No SO_REUSEADDR (C-common-10): a second tsUserv on the same port fails to bind. */
Test(tsUserv_book, second_server_fails_address_in_use, SCT_CONTRACT("C-common-8 C-common-10"),
     .timeout = 20)
{
        struct sc_lab *lab = chun_lab(NULL);
        const char *argv[] = {sct_prog("tsUserv"), NULL};

        start_tsUserv(lab);
        sct_expect_address_in_use(sct_run(lab, 0, "second", NULL, argv),
                                  "a first copy was running on port 21567", lab);
}

/*
 * No SO_REUSEADDR, seen on TCP (C-common-10).  Two listeners never share a
 * port, option or not, so a second copy shows nothing; what the option
 * changes is a restart while a connection of the last run is still
 * closing.  The server is stopped while a client is connected: its kernel
 * closes first, and the port stays held (FIN_WAIT, then TIME_WAIT) by a
 * socket that inherited the server's options.  The book's restart fails
 * with EADDRINUSE; one that set SO_REUSEADDR binds.
 */
Test(tsTserv_book, restart_fails_while_a_connection_lingers,
     SCT_CONTRACT("C-common-8 C-common-10"), .timeout = 20)
{
        const char *argv[] = {sct_prog("tsTserv"), NULL};
        struct sc_lab *lab;

        SCT_NEED_NAMESPACES();
        lab = chun_lab(NULL);
        sct_expect_restart_refused(lab, start_tsTserv(lab), argv, CHUN_PORT_S, "hi");
}

/*
 * listen(5) (C-tsTserv-6): while the server is busy with one client it
 * accepts no one, and its kernel queues backlog + 1 = 6 more connections;
 * the 7th cannot connect until the server accepts.  Needs a stack of its
 * own: the queued clients hold their connections until the lab ends.
 */
Test(tsTserv_book, listen_backlog_is_5, SCT_CONTRACT("C-tsTserv-6"), .timeout = 30)
{
        const char *first_argv[] = {sct_ref("tsTclnt"), NULL};
        struct sc_lab *lab;
        struct sc_proc *first;
        int n;

        SCT_NEED_NAMESPACES();
        lab = chun_lab(NULL);
        start_tsTserv(lab);
        first = sct_run_open(lab, 0, "client-1", first_argv);
        SCT_OK(sc_proc_write(first, "first\n", 6));
        cr_assert(sc_proc_wait_output(first, "first", 5) == 0,
                  "the first client got no reply to \"first\": %s; %s", sc_error(),
                  sct_evidence(lab));
        n = sct_accept_queue_fill(lab, 0, "127.0.0.1", CHUN_PORT, 8, 1.0);
        cr_assert_eq(n, 6,
                     SCT_BROKEN("C-tsTserv-6") "while the server was busy with its first client, "
                     "%d more clients connected; listen(5) queues 6 (Linux holds backlog + 1) "
                     "and the 7th waits: %d means another backlog; %s",
                     n, n, sct_evidence(lab));
}
