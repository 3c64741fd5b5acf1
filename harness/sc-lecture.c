/*
 * sc-lecture - runs the lecture scenarios and leaves, for each, a folder a
 * lecturer can open: capture.pcapng (the story in Wireshark), timeline.txt,
 * SVG figures drawn from the capture, README.txt (what it shows, how to
 * rerun it, what to filter on); and over all of them a self-contained
 * index.html.  scripts/lecture is the command a person types.
 *
 *   sc-lecture list
 *   sc-lecture run -o DIR [--port DIR] [--seed N] [--rerun CMD] SCENARIO...
 *   sc-lecture gallery DIR
 *
 * Programs come from --port (a port: one executable per program id) or our
 * own build; partners that must behave exactly (a server that always
 * answers, one that never does) are the harness's scripted peers.  Every
 * program runs through sc_spawn, like in the suites.
 *
 * Exit status: 0 when every scenario left its folder, 1 when one could not
 * run (the harness failed; a port that misbehaves is shown, not failed),
 * 2 on a usage error.
 */
#define _GNU_SOURCE
#include "decode.h"
#include "figure.h"
#include "sc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { FIG_BACKOFF = 1, FIG_REACH = 2, FIG_SEQUENCE = 4 };

struct run {
        struct sc_lab *lab;
        char *story;         /* "what happened", filled by the scenario */
        size_t story_len;
        FILE *out;           /* writes to story */
        double gave_up_s;    /* backoff: when the client ended, from its first send (-1) */
        double client_end;   /* CLOCK_REALTIME seconds the client was seen ending */
};

struct scenario {
        const char *name;
        const char *title;
        const char *shows;  /* README: what it shows */
        const char *filter; /* a Wireshark display filter worth trying */
        int figures;
        int (*run)(struct run *r);
};

static char progs[2048], peer[2048];
static bool port_given;

/* ---- helpers the scenarios share ---- */

static double realtime(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *prog(const char *id)
{
        static char path[8][PATH_MAX];
        static int next;
        char *p = path[next++ % 8];

        snprintf(p, PATH_MAX, "%s/%s", progs, id);
        return p;
}

/* Fails with the harness's sentence. */
#define TRY(expr)                                                                                 \
        do {                                                                                      \
                if ((expr) < 0) {                                                                 \
                        fprintf(stderr, "sc-lecture: %s: %s\n", #expr, sc_error());               \
                        return -1;                                                                \
                }                                                                                 \
        } while (0)

static struct sc_proc *start(struct run *r, int host, const char *name, const char *stdin_text,
                             const char *const *argv)
{
        struct sc_proc_opts o = {.host = host, .argv = argv, .name = name, .timeout_s = 20,
                                 .stdin_data = stdin_text,
                                 .stdin_len = stdin_text ? strlen(stdin_text) : 0};
        struct sc_proc *p = NULL;

#ifdef SC_EHARNESS /* the harness has a jail: only a port's programs go in it */
        o.trusted = !port_given || strcmp(argv[0], peer) == 0;
#endif
        if (access(argv[0], X_OK) < 0) {
                fprintf(r->out, "%s: %s is missing (%s), so it did not run.\n", name, argv[0],
                        strerror(errno));
                return NULL;
        }
        if (sc_spawn(r->lab, &o, &p) < 0) {
                fprintf(stderr, "sc-lecture: cannot start %s: %s\n", name, sc_error());
                return NULL;
        }
        return p;
}

static struct sc_proc *server(struct run *r, int host, const char *name, int proto, uint16_t port,
                              const char *const *argv)
{
        struct sc_proc *p = start(r, host, name, NULL, argv);

        if (p && sc_proc_wait_bound(p, proto, port, 5) < 0)
                fprintf(r->out, "%s never bound port %u: %s\n", name, port, sc_proc_end(p));
        return p;
}

/* Waits for p to end and tells what it printed and how it ended. */
static void report(struct run *r, struct sc_proc *p, const char *name, double timeout)
{
        const char *out, *err;

        if (!p)
                return;
        if (timeout > 0 && sc_proc_wait(p, timeout) == -ETIMEDOUT)
                sc_proc_stop(p);
        else if (timeout <= 0)
                sc_proc_stop(p);
        out = sc_proc_stdout(p, NULL);
        fprintf(r->out, "%s (%s):\n", name, sc_proc_end(p));
        for (const char *l = out; l && *l;) {
                const char *nl = strchr(l, '\n');
                int n = nl ? (int)(nl - l) : (int)strlen(l);

                fprintf(r->out, "    %.*s\n", n, l);
                l += n + (nl ? 1 : 0);
        }
        err = sc_proc_stderr(p, NULL);
        if (err && *err) {
                const char *last = err + strlen(err);

                while (last > err && last[-1] == '\n')
                        last--;
                while (last > err && last[-1] != '\n')
                        last--;
                fprintf(r->out, "    stderr ends: %s", last);
                if (last[strlen(last) - 1] != '\n')
                        fputc('\n', r->out);
        }
}

static struct sc_lab *pair_lab(struct run *r, const char *name, bool lo)
{
        struct sc_lab *lab = sc_lab_new(name);

        if (!lab)
                return NULL;
        r->lab = lab;
        if (sc_lab_host(lab, "alpha") < 0 || sc_lab_host(lab, "beta") < 0 ||
            sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500) < 0 ||
            sc_lab_attach(lab, 0, 0, 1) < 0 || sc_lab_attach(lab, 1, 0, 2) < 0 ||
            sc_lab_capture(lab, "lan", 0, -1, NULL, NULL) < 0 ||
            (lo && sc_lab_capture(lab, "alpha-lo", -1, 0, "lo", NULL) < 0))
                return NULL;
        return lab;
}

/* ---- the scenarios ---- */

static int backoff(struct run *r, const char *name, bool silent)
{
        const char *peer_ok[] = {peer, "udp", "1060", NULL};
        const char *peer_silent[] = {peer, "udp", "1060", "--silent", NULL};
        const char *cli[] = {prog("udp_remote"), "client", "10.0.1.2", NULL};
        struct sc_proc *s, *c;

        if (!pair_lab(r, name, false))
                return -1;
        if (!silent) {
                /* The first three datagrams from alpha are lost on the wire; the fourth arrives. */
                struct sc_rule rule = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP,
                                       .port = 1060, .drop_first = 3};

                TRY(sc_lab_impair(r->lab, &rule));
        }
        TRY(sc_lab_start(r->lab));
        s = server(r, 1, silent ? "silent-server" : "server", IPPROTO_UDP, 1060,
                   silent ? peer_silent : peer_ok);
        if (!s)
                return -1;
        c = start(r, 0, "client", NULL, cli);
        if (c) {
                sc_proc_wait(c, 8);
                r->client_end = realtime();
        }
        report(r, c, "client on alpha (udp_remote client 10.0.1.2)", 1);
        sc_proc_stop(s);
        return 0;
}

static int backoff_drops(struct run *r)
{
        return backoff(r, "udp_remote-drops", false);
}

static int backoff_silent(struct run *r)
{
        return backoff(r, "udp_remote-gives-up", true);
}

static int broadcast(struct run *r)
{
        struct sc_lab *lab = sc_lab_new("broadcast-router");
        const char *srv[] = {prog("udp_broadcast"), "server", "", NULL};
        const char *cli[] = {prog("udp_broadcast"), "client", "10.0.1.255", NULL};
        static const char *const names[] = {"sender", "h2", "h3", "router", "h4"};
        struct sc_proc *s[3] = {NULL, NULL, NULL}, *c;
        int l, rt;

        if (!lab)
                return -1;
        r->lab = lab;
        for (int h = 0; h < 5; h++)
                TRY(sc_lab_host(lab, names[h]));
        TRY(l = sc_lab_segment(lab, "left", "10.0.1.0/24", 1500));
        TRY(rt = sc_lab_segment(lab, "right", "10.0.2.0/24", 1500));
        TRY(sc_lab_attach(lab, 0, l, 1));
        TRY(sc_lab_attach(lab, 1, l, 2));
        TRY(sc_lab_attach(lab, 2, l, 3));
        TRY(sc_lab_attach(lab, 3, l, 254));
        TRY(sc_lab_attach(lab, 3, rt, 254));
        TRY(sc_lab_attach(lab, 4, rt, 4));
        TRY(sc_lab_router(lab, 3));
        TRY(sc_lab_capture(lab, "left", l, -1, NULL, NULL));
        TRY(sc_lab_capture(lab, "right", rt, -1, NULL, NULL));
        TRY(sc_lab_start(lab));
        s[0] = server(r, 1, "h2", IPPROTO_UDP, 1060, srv);
        s[1] = server(r, 2, "h3", IPPROTO_UDP, 1060, srv);
        s[2] = server(r, 4, "h4", IPPROTO_UDP, 1060, srv);
        c = start(r, 0, "client", NULL, cli);
        report(r, c, "client on sender (udp_broadcast client 10.0.1.255)", 5);
        /* Time for the datagram to arrive, if it is going to (no readiness to poll for). */
        sc_nap(0.3);
        report(r, s[0], "server on h2 (left)", 0);
        report(r, s[1], "server on h3 (left)", 0);
        report(r, s[2], "server on h4 (right, behind the router)", 0);
        return 0;
}

static int mtu(struct run *r)
{
        const char *lo[] = {prog("big_sender"), "127.0.0.1", NULL};
        const char *lan[] = {prog("big_sender"), "10.0.1.2", NULL};

        if (!pair_lab(r, "big_sender-mtu", true))
                return -1;
        TRY(sc_lab_start(r->lab));
        report(r, start(r, 0, "loopback", NULL, lo), "big_sender 127.0.0.1 (loopback, MTU 65536)", 5);
        report(r, start(r, 0, "lan", NULL, lan), "big_sender 10.0.1.2 (the lan, MTU 1500)", 5);
        return 0;
}

static int exchange(struct run *r, const char *name, const char *srv_id, const char *cli_id,
                    int proto)
{
        const char *srv[] = {prog(srv_id), NULL};
        const char *cli[] = {prog(cli_id), NULL};
        struct sc_proc *s, *c;

        if (!pair_lab(r, name, false))
                return -1;
        /* The Chun clients talk to "localhost": here that name is beta. */
        TRY(sc_lab_hosts_entry(r->lab, 0, "10.0.1.2", "localhost"));
        TRY(sc_lab_start(r->lab));
        s = server(r, 1, "server", proto, 21567, srv);
        c = start(r, 0, "client", "hi\nthere\n\n", cli);
        report(r, c, "client on alpha (typing hi, there, then an empty line)", 5);
        sc_nap(0.2); /* the server's side of the close */
        report(r, s, "server on beta", 0);
        return 0;
}

static int tcp_exchange(struct run *r)
{
        return exchange(r, "tcp-exchange", "tsTserv", "tsTclnt", IPPROTO_TCP);
}

static int udp_exchange(struct run *r)
{
        return exchange(r, "udp-exchange", "tsUserv", "tsUclnt", IPPROTO_UDP);
}

static const struct scenario scenarios[] = {
    {"udp_remote-drops", "udp_remote backs off while its datagrams are lost",
     "udp_remote client (FOPNP listing 2-2) sends, waits 0.1 s, and doubles the wait after\n"
     "every timeout.  The lab drops its first three datagrams on the wire (rule 1, drop\n"
     "first 3), so it sends at 0, 0.1, 0.3 and 0.7 s; the fourth gets through and the\n"
     "server's reply ends the wait.",
     "frame.comment contains \"dropped\"", FIG_BACKOFF | FIG_SEQUENCE, backoff_drops},
    {"udp_remote-gives-up", "udp_remote gives up on a silent server",
     "Against a server that never answers, udp_remote client sends at 0, 0.1, 0.3, 0.7\n"
     "and 1.5 s, waiting 0.1, 0.2, 0.4, 0.8 and 1.6 s, and gives up at 3.1 s with\n"
     "\"RuntimeError: I think the server is down\" (exit 1).",
     "udp.dstport == 1060", FIG_BACKOFF, backoff_silent},
    {"broadcast-router", "A subnet broadcast stops at the router",
     "udp_broadcast client (listing 2-4) on 'sender' sends one datagram to 10.0.1.255.\n"
     "Every host of the left segment (h2, h3 and the router's port) receives it; h4,\n"
     "on the right segment behind the router, never sees it: routers do not forward\n"
     "broadcasts.",
     "eth.dst == ff:ff:ff:ff:ff:ff", FIG_REACH, broadcast},
    {"big_sender-mtu", "A datagram too big for the path",
     "big_sender (listing 2-3) sets DF (IP_PMTUDISC_DO) and sends 65000 bytes.  On\n"
     "loopback (MTU 65536) it leaves as one 65028-byte IP packet with DF set (see\n"
     "alpha/lo); towards 10.0.1.2 the path MTU is 1500, the kernel refuses the send\n"
     "with EMSGSIZE, the program prints \"Alas, the datagram did not make it\" and\n"
     "\"Actual MTU: 1500\", and nothing at all appears on lan/alpha.",
     "ip.flags.df == 1 && udp", 0, mtu},
    {"tcp-exchange", "A TCP exchange and its close (tsTserv / tsTclnt)",
     "Chun's TCP timestamp client (example 16.2) connects (SYN, SYN-ACK, ACK), sends\n"
     "'hi' and 'there', prints each timestamped reply, and on the empty line closes\n"
     "first (its FIN); the server closes its side and waits for the next client.",
     "tcp.flags.syn == 1 || tcp.flags.fin == 1", FIG_SEQUENCE, tcp_exchange},
    {"udp-exchange", "A UDP exchange (tsUserv / tsUclnt)",
     "Chun's UDP timestamp client (example 16.4) sends each line as one datagram and\n"
     "prints the reply: no connection, no handshake, no close, just datagrams.",
     "udp.port == 21567", FIG_SEQUENCE, udp_exchange},
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* ---- what every scenario leaves ---- */

static int write_text(const char *dir, const char *name, const char *text)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return sc_write_file(path, text, strlen(text));
}


static int figures(const struct scenario *s, struct run *r, const struct sc_pcap *cap,
                   FILE *readme)
{
        const char *dir = sc_lab_dir(r->lab);
        char *svg = NULL;
        int rc;

        if (s->figures & FIG_BACKOFF) {
                struct sc_fig_backoff o = {.title = s->title, .port = 1060, .gave_up_s = -1};

                inet_pton(AF_INET, "10.0.1.1", &o.client);
                if (r->gave_up_s >= 0)
                        o.gave_up_s = r->gave_up_s;
                rc = sc_fig_backoff_svg(cap, &o, &svg);
                if (rc == 0 && write_text(dir, "backoff.svg", svg) == 0)
                        fprintf(readme, "  backoff.svg    sends, drops and the reply on the book's schedule;\n"
                                        "                 below, each wait on a log2 axis\n");
                else
                        fprintf(readme, "  (no backoff.svg: the capture holds no datagram from the client)\n");
                free(svg);
                svg = NULL;
        }
        if (s->figures & FIG_REACH) {
                struct sc_fig_reach o = {.title = s->title};

                rc = sc_fig_reach_svg(cap, &o, &svg);
                if (rc == 0 && write_text(dir, "reach.svg", svg) == 0)
                        fprintf(readme, "  reach.svg      which hosts' links the broadcast frame appeared on\n");
                else
                        fprintf(readme, "  (no reach.svg: the capture holds no broadcast datagram)\n");
                free(svg);
                svg = NULL;
        }
        if (s->figures & FIG_SEQUENCE) {
                struct sc_fig_sequence o = {.title = s->title};

                rc = sc_fig_sequence_svg(cap, &o, &svg);
                if (rc == 0 && write_text(dir, "sequence.svg", svg) == 0)
                        fprintf(readme, "  sequence.svg   every packet between the hosts, time to scale\n");
                else
                        fprintf(readme, "  (no sequence.svg: the capture holds no packet between the hosts)\n");
                free(svg);
        }
        return 0;
}

static int finish(const struct scenario *s, struct run *r, const char *rerun)
{
        const char *dir = sc_lab_dir(r->lab);
        char path[PATH_MAX], err[256], *readme_text = NULL;
        size_t readme_len = 0;
        struct sc_pcap *cap = NULL;
        FILE *tl, *readme;
        int rc;

        if (sc_lab_capture_finish(r->lab, NULL) < 0) {
                fprintf(stderr, "sc-lecture: %s: %s\n", s->name, sc_error());
                return -1;
        }
        snprintf(path, sizeof(path), "%s/capture.pcapng", dir);
        rc = sc_pcap_load(path, &cap, err, sizeof(err));
        if (rc < 0) {
                fprintf(stderr, "sc-lecture: %s: %s\n", s->name, err);
                return -1;
        }
        if (r->client_end > 0 && s->figures & FIG_BACKOFF && strstr(s->name, "gives-up")) {
                for (size_t i = 0; i < cap->count; i++)
                        if ((cap->pkts[i].epb_flags & 3) == 2 && cap->pkts[i].dport == 1060) {
                                r->gave_up_s = r->client_end - (double)cap->pkts[i].ts_ns / 1e9;
                                break;
                        }
        }
        snprintf(path, sizeof(path), "%s/timeline.txt", dir);
        tl = fopen(path, "we");
        if (!tl || sc_timeline_write(tl, cap, NULL) < 0) {
                fprintf(stderr, "sc-lecture: cannot write %s\n", path);
                if (tl)
                        fclose(tl);
                sc_pcap_free(cap);
                return -1;
        }
        fclose(tl);
        readme = open_memstream(&readme_text, &readme_len);
        if (!readme) {
                sc_pcap_free(cap);
                return -1;
        }
        fprintf(readme, "%s\n", s->title);
        for (size_t i = strlen(s->title); i > 0; i--)
                fputc('=', readme);
        fprintf(readme, "\n\nscenario %s, seed %llu, %s\n\nWhat it shows\n-------------\n%s\n\n",
                s->name, (unsigned long long)sc_seed(),
                port_given ? progs : "our own C programs", s->shows);
        fprintf(readme, "What happened this time\n-----------------------\n%s\n", r->story);
        fprintf(readme, "The capture: %zu frames on %zu interfaces (", cap->count, cap->nifs);
        for (size_t i = 0; i < cap->nifs; i++)
                fprintf(readme, "%s%s", i ? ", " : "", cap->ifs[i].name);
        fprintf(readme, ").\n\nFiles\n-----\n"
                        "  capture.pcapng one interface per link (outbound: sent by that link's\n"
                        "                 host, inbound: delivered to it), the hosts' names, and\n"
                        "                 what the lab did to each frame as its comment\n"
                        "  timeline.txt   the same, as text\n");
        figures(s, r, cap, readme);
        fprintf(readme,
                "\nRerun\n-----\n  %s\n\nIn Wireshark\n------------\n"
                "  wireshark -X lua_script:tools/wireshark/sockcheck.lua capture.pcapng\n"
                "  Worth a filter: %s\n"
                "  Every comment: frame.comment; the lab's decisions: frame.comment contains \"dropped\",\n"
                "  or with the plugin sockcheck.fate == \"drop\" and sockcheck.rule == 1.\n"
                "  Copies of one packet on several links share frame.packet_id;\n"
                "  View > Name Resolution > Network addresses shows the lab's host names.\n",
                rerun, s->filter);
        fclose(readme);
        rc = write_text(dir, "README.txt", readme_text);
        free(readme_text);
        sc_pcap_free(cap);
        return rc < 0 ? -1 : 0;
}

/* ---- the gallery ---- */

static void html_esc(FILE *f, const char *s)
{
        for (; *s; s++) {
                if (*s == '<')
                        fputs("&lt;", f);
                else if (*s == '>')
                        fputs("&gt;", f);
                else if (*s == '&')
                        fputs("&amp;", f);
                else
                        fputc(*s, f);
        }
}

static int gallery(const char *out)
{
        char path[PATH_MAX], *text = NULL;
        static const char *const figs[] = {"backoff.svg", "reach.svg", "sequence.svg"};
        FILE *f;
        int shown = 0;

        snprintf(path, sizeof(path), "%s/index.html", out);
        f = fopen(path, "we");
        if (!f) {
                fprintf(stderr, "sc-lecture: %s: %s\n", path, strerror(errno));
                return -1;
        }
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<title>sockcheck lecture figures</title>\n<style>\n"
              "body{font-family:sans-serif;max-width:1040px;margin:2em auto;color:#222}\n"
              "section{border-top:2px solid #ccc;margin-top:2em;padding-top:1em}\n"
              "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:13px}\n"
              "figure{margin:1em 0} svg{max-width:100%;height:auto;border:1px solid #ddd}\n"
              "</style></head><body>\n<h1>sockcheck: lecture figures</h1>\n"
              "<p>One section per scenario: the figures (drawn from the capture), the README, "
              "and links to the capture and its timeline.  Open a capture in Wireshark with "
              "<code>-X lua_script:tools/wireshark/sockcheck.lua</code>.</p>\n<nav><ul>\n",
              f);
        for (size_t i = 0; i < NSCEN; i++) {
                snprintf(path, sizeof(path), "%s/%s/README.txt", out, scenarios[i].name);
                if (access(path, R_OK) == 0)
                        fprintf(f, "<li><a href=\"#%s\">%s</a></li>\n", scenarios[i].name,
                                scenarios[i].title);
        }
        fputs("</ul></nav>\n", f);
        for (size_t i = 0; i < NSCEN; i++) {
                const struct scenario *s = &scenarios[i];
                size_t len;

                snprintf(path, sizeof(path), "%s/%s/README.txt", out, s->name);
                if (sc_read_file(path, &text, &len) < 0)
                        continue;
                shown++;
                fprintf(f, "<section id=\"%s\" class=\"scenario\">\n<h2>%s</h2>\n", s->name,
                        s->title);
                for (size_t k = 0; k < sizeof(figs) / sizeof(figs[0]); k++) {
                        char *svg = NULL, *start;

                        snprintf(path, sizeof(path), "%s/%s/%s", out, s->name, figs[k]);
                        if (sc_read_file(path, &svg, &len) < 0)
                                continue;
                        start = strstr(svg, "<svg");
                        fprintf(f, "<figure class=\"%.*s\">\n%s</figure>\n",
                                (int)(strlen(figs[k]) - 4), figs[k], start ? start : "");
                        free(svg);
                }
                fprintf(f, "<p><a href=\"%s/capture.pcapng\">capture.pcapng</a> &middot; "
                           "<a href=\"%s/timeline.txt\">timeline.txt</a> &middot; "
                           "<a href=\"%s/README.txt\">README.txt</a></p>\n<pre>",
                        s->name, s->name, s->name);
                html_esc(f, text);
                fputs("</pre>\n</section>\n", f);
                free(text);
                text = NULL;
        }
        fputs("</body></html>\n", f);
        if (fclose(f) != 0)
                return -1;
        return shown;
}

/* ---- main ---- */

static void usage(FILE *f)
{
        fprintf(f, "usage: sc-lecture list\n"
                   "       sc-lecture run -o DIR [--port DIR] [--rerun CMD] SCENARIO...\n"
                   "       sc-lecture gallery DIR\n");
}

static const struct scenario *find(const char *name)
{
        for (size_t i = 0; i < NSCEN; i++)
                if (strcmp(scenarios[i].name, name) == 0)
                        return &scenarios[i];
        return NULL;
}

int main(int argc, char **argv)
{
        const char *out = NULL, *port = NULL, *rerun_base = "scripts/lecture";
        char self[PATH_MAX], *dir;
        int failed = 0, first = 2;
        ssize_t n;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "list") == 0) {
                for (size_t i = 0; i < NSCEN; i++)
                        printf("%-20s %s\n", scenarios[i].name, scenarios[i].title);
                return 0;
        }
        if (strcmp(argv[1], "gallery") == 0 && argc == 3)
                return gallery(argv[2]) < 0;
        if (strcmp(argv[1], "run") != 0) {
                usage(stderr);
                return 2;
        }
        for (; first < argc && argv[first][0] == '-'; first++) {
                if (first + 1 >= argc) {
                        usage(stderr);
                        return 2;
                }
                if (strcmp(argv[first], "-o") == 0)
                        out = argv[++first];
                else if (strcmp(argv[first], "--port") == 0)
                        port = argv[++first];
                else if (strcmp(argv[first], "--rerun") == 0)
                        rerun_base = argv[++first];
                else {
                        fprintf(stderr, "sc-lecture: unknown option %s\n", argv[first]);
                        usage(stderr);
                        return 2;
                }
        }
        if (!out || first == argc) {
                usage(stderr);
                return 2;
        }
        for (int i = first; i < argc; i++)
                if (!find(argv[i])) {
                        fprintf(stderr, "sc-lecture: no scenario '%s' (sc-lecture list)\n", argv[i]);
                        return 2;
                }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return 1;
        self[n] = '\0';
        dir = dirname(self);
        if (strlen(dir) > 1024)
                return 1;
        snprintf(peer, sizeof(peer), "%s/sc-peer", dir);
        if (port) {
                char real[PATH_MAX];

                if (!realpath(port, real) || strlen(real) >= sizeof(progs)) {
                        fprintf(stderr, "sc-lecture: %s: %s\n", port, strerror(errno));
                        return 2;
                }
                snprintf(progs, sizeof(progs), "%s", real);
                port_given = true;
        } else {
                char rel[PATH_MAX], real[PATH_MAX];

                snprintf(rel, sizeof(rel), "%s/../programs", dir);
                if (!realpath(rel, real) || strlen(real) >= sizeof(progs))
                        snprintf(real, sizeof(real), "%s", rel);
                snprintf(progs, sizeof(progs), "%.2000s", real);
        }
        if (sc_mkdirs(out) < 0) {
                fprintf(stderr, "sc-lecture: %s\n", sc_error());
                return 1;
        }
        setenv("SOCKCHECK_EVIDENCE", out, 1);
        for (int i = first; i < argc; i++) {
                const struct scenario *s = find(argv[i]);
                struct run r = {.gave_up_s = -1};
                char rerun[8192];

                printf("lecture: %-20s ", s->name);
                fflush(stdout);
                if (sc_mode() == SC_MODE_LOOPBACK) {
                        printf("SKIP: needs network namespaces (%s)\n", sc_mode_reason());
                        continue;
                }
                snprintf(rerun, sizeof(rerun), "%s %s --seed %llu%s%s", rerun_base, s->name,
                         (unsigned long long)sc_seed(), port ? " --port " : "", port ? progs : "");
                setenv("SOCKCHECK_RERUN", rerun, 1);
                r.out = open_memstream(&r.story, &r.story_len);
                if (!r.out)
                        return 1;
                if (s->run(&r) < 0 || !r.lab) {
                        fclose(r.out);
                        printf("FAILED: %s\n", sc_error());
                        failed++;
                } else {
                        fclose(r.out);
                        if (finish(s, &r, rerun) < 0) {
                                printf("FAILED\n");
                                failed++;
                        } else {
                                printf("%s/\n", sc_lab_dir(r.lab));
                        }
                }
                sc_lab_free(r.lab);
                free(r.story);
        }
        if (gallery(out) < 0)
                failed++;
        return failed ? 1 : 0;
}
