/*
 * sc-bench.c - measures the harness and prints figures (a benchmark, not a
 * test: nothing here passes or fails, so a busy machine cannot flake it):
 *
 *   - lab set-up and tear-down time, per host, for labs of 1 to 8 hosts;
 *   - the error of the lab's delay at 50 ms and 200 ms (median, p99, max),
 *     measured end to end by UDP round trips through a delayed segment;
 *   - the latency the userspace switch adds, against loopback;
 *   - whether seeded drop patterns agree across runs, and differ by seed.
 *
 * Usage: sc-bench [--peer PATH] [--rounds N]   (run by scripts/bench)
 */
#define _GNU_SOURCE
#include "decode.h"
#include "sc.h"
#include "stats.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *peer = "sc-peer";
static int rounds = 200;

static void die(const char *what)
{
        fprintf(stderr, "sc-bench: %s: %s\n", what, sc_error());
        exit(1);
}

/* A started lab of n hosts on one segment (n = 1: a lone host on loopback). */
static struct sc_lab *lab_of(const char *name, int n, double delay_ms, int capture)
{
        struct sc_lab *lab = sc_lab_new(name);
        int s = -1;

        if (!lab)
                die("lab");
        for (int h = 0; h < n; h++) {
                char hn[16];

                snprintf(hn, sizeof(hn), "h%d", h + 1);
                if (sc_lab_host(lab, hn) < 0)
                        die("host");
        }
        if (n > 1) {
                s = sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
                for (int h = 0; h < n; h++)
                        if (sc_lab_attach(lab, h, s, h + 1) < 0)
                                die("attach");
        }
        if (delay_ms > 0 && sc_lab_impair(lab, &(struct sc_rule){.segment = s, .from_host = 0,
                                                                  .proto = IPPROTO_UDP,
                                                                  .delay_ms = delay_ms}) < 0)
                die("impair");
        if (capture && sc_lab_capture(lab, "lan", s, -1, NULL, NULL) < 0)
                die("capture");
        if (sc_lab_start(lab) < 0)
                die("start");
        return lab;
}

static void setup_teardown(void)
{
        static const int sizes[] = {1, 2, 4, 8};

        printf("Lab set-up and tear-down (%s), 10 labs each:\n", sc_mode_name(sc_mode()));
        printf("  %-6s %-14s %-14s %-16s\n", "hosts", "set-up ms", "tear-down ms",
               "per host (up+down)");
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                double up = 0, down = 0;

                for (int r = 0; r < 10; r++) {
                        double t0 = sc_now(), t1;
                        struct sc_lab *lab = lab_of("bench/setup", sizes[i], 0, 0);

                        t1 = sc_now();
                        sc_lab_free(lab);
                        up += t1 - t0;
                        down += sc_now() - t1;
                }
                printf("  %-6d %-14.2f %-14.2f %-16.2f\n", sizes[i], up * 100, down * 100,
                       (up + down) * 100 / sizes[i]);
        }
}

/* Round trips from h1 to h2 (or on loopback when one host); fills rtt (ms). */
static int round_trips(struct sc_lab *lab, int hosts, double *rtt, int n)
{
        const char *echo[] = {peer, "udp", "7000", NULL};
        char count[16];
        const char *ping[] = {peer, "ping", hosts > 1 ? "10.0.1.2" : "127.0.0.1", "7000", count,
                              NULL};
        struct sc_proc *e, *p;
        const char *out;
        int got = 0;

        snprintf(count, sizeof(count), "%d", n);
        if (sc_spawn(lab, &(struct sc_proc_opts){.host = hosts > 1 ? 1 : 0, .argv = echo,
                                                  .name = "echo", .timeout_s = 120},
                     &e) < 0 ||
            sc_proc_wait_bound(e, IPPROTO_UDP, 7000, 5) < 0)
                die("echo peer");
        if (sc_spawn(lab, &(struct sc_proc_opts){.host = 0, .argv = ping, .name = "ping",
                                                  .timeout_s = 120},
                     &p) < 0 ||
            sc_proc_wait(p, 120) < 0)
                die("ping");
        out = sc_proc_stdout(p, NULL);
        for (const char *l = out; *l && got < n;) {
                if (strncmp(l, "lost", 4) != 0)
                        rtt[got++] = atof(l) / 1000.0;
                l = strchr(l, '\n');
                if (!l)
                        break;
                l++;
        }
        sc_proc_free(p);
        sc_proc_free(e);
        return got;
}

static void delays(void)
{
        double *base = calloc((size_t)rounds, sizeof(double));
        double *lo = calloc((size_t)rounds, sizeof(double));
        double *err = calloc((size_t)rounds, sizeof(double));
        struct sc_lab *lab;
        double base_med, lo_med;
        int nb, nl;

        lab = lab_of("bench/loopback", 1, 0, 0);
        nl = round_trips(lab, 1, lo, rounds);
        sc_lab_free(lab);
        lab = lab_of("bench/switch", 2, 0, 0);
        nb = round_trips(lab, 2, base, rounds);
        sc_lab_free(lab);
        if (nl == 0 || nb == 0) {
                fprintf(stderr, "sc-bench: no round trip came back\n");
                exit(1);
        }
        lo_med = sc_percentile(lo, nl, 0.5);
        base_med = sc_percentile(base, nb, 0.5);
        printf("\nRound trips, %d each (ms):\n", rounds);
        printf("  on loopback:            median %.3f  p99 %.3f\n", lo_med, sc_percentile(lo, nl, 0.99));
        printf("  through the switch:     median %.3f  p99 %.3f\n", base_med, sc_percentile(base, nb, 0.99));
        printf("  switch adds per crossing: %.3f ms (median, half the difference)\n",
               (base_med - lo_med) / 2);
        printf("\nDelay error (one direction delayed; error = round trip - delay - undelayed "
               "median):\n");
        printf("  %-8s %-10s %-10s %-10s %-10s\n", "delay", "median", "p99 |err|", "max |err|",
               "samples");
        for (double d = 50; d <= 200; d += 150) {
                double *abs_err = calloc((size_t)rounds, sizeof(double)), med;
                int n;

                lab = lab_of("bench/delay", 2, d, 0);
                n = round_trips(lab, 2, err, rounds);
                sc_lab_free(lab);
                for (int i = 0; i < n; i++) {
                        err[i] -= d + base_med;
                        abs_err[i] = fabs(err[i]);
                }
                med = sc_percentile(err, n, 0.5);
                printf("  %-8.0f %+-10.3f %-10.3f %-10.3f %-10d\n", d, med, sc_percentile(abs_err, n, 0.99),
                       sc_percentile(abs_err, n, 1.0), n);
                free(abs_err);
        }
        free(base);
        free(lo);
        free(err);
}

/* The 1-based indices the lab dropped, as a bitmap over n datagrams. */
static int dropped_pattern(uint64_t seed, bool *drop, int n)
{
        char sseed[32], count[16];
        const char *rx[] = {peer, "udp", "7000", "--silent", NULL};
        const char *tx[] = {peer, "send", "10.0.1.2", "7000", "--count", count, NULL};
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        struct sc_lab *lab;
        struct sc_proc *r, *t;
        char path[1200], line[512];
        FILE *f;
        int nd = 0;

        snprintf(sseed, sizeof(sseed), "%llu", (unsigned long long)seed);
        snprintf(count, sizeof(count), "%d", n);
        setenv("SOCKCHECK_SEED", sseed, 1);
        lab = sc_lab_new("bench/drops");
        unsetenv("SOCKCHECK_SEED");
        sc_lab_host(lab, "h1");
        sc_lab_host(lab, "h2");
        sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
        sc_lab_attach(lab, 0, 0, 1);
        sc_lab_attach(lab, 1, 0, 2);
        sc_lab_impair(lab, &(struct sc_rule){.segment = 0, .from_host = 0, .proto = IPPROTO_UDP,
                                              .port = 7000, .drop_prob = 0.3});
        sc_lab_capture(lab, "lan", 0, -1, NULL, NULL);
        if (sc_lab_start(lab) < 0)
                die("drop lab");
        if (sc_spawn(lab, &(struct sc_proc_opts){.host = 1, .argv = rx, .name = "rx"}, &r) < 0 ||
            sc_proc_wait_bound(r, IPPROTO_UDP, 7000, 5) < 0 ||
            sc_spawn(lab, &(struct sc_proc_opts){.host = 0, .argv = tx, .name = "tx"}, &t) < 0 ||
            sc_proc_wait(t, 30) < 0 || sc_lab_capture_finish(lab, st) < 0)
                die("drop run");
        memset(drop, 0, sizeof(bool) * (size_t)n);
        snprintf(path, sizeof(path), "%s.fates", st[0].path);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f)) {
                unsigned idx;
                char *hash = strstr(line, " #");

                /* "<frame> dropped by lab (rule 1 #<index>: ...)" */
                if (strstr(line, "dropped") && hash && sscanf(hash + 2, "%u", &idx) == 1 &&
                    idx >= 1 && (int)idx <= n) {
                        drop[idx - 1] = true;
                        nd++;
                }
        }
        if (f)
                fclose(f);
        sc_lab_free(lab);
        return nd;
}

static void drop_agreement(void)
{
        enum { N = 500 };
        static bool a[N], b[N], c[N];
        int na = dropped_pattern(42, a, N), nb = dropped_pattern(42, b, N);
        int nc = dropped_pattern(43, c, N), same = 0, same_other = 0;

        for (int i = 0; i < N; i++) {
                same += a[i] == b[i];
                same_other += a[i] == c[i];
        }
        printf("\nSeeded drops (p = 0.3, %d datagrams on the wire):\n", N);
        printf("  seed 42, run 1: %d dropped; run 2: %d dropped; decisions agreeing: %d/%d\n", na,
               nb, same, N);
        printf("  seed 43: %d dropped; decisions agreeing with seed 42: %d/%d (should differ)\n",
               nc, same_other, N);
}

int main(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc)
                        peer = argv[++i];
                else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
                        rounds = atoi(argv[++i]);
                else {
                        fprintf(stderr, "usage: sc-bench [--peer PATH] [--rounds N]\n");
                        return 2;
                }
        }
        if (rounds < 10)
                rounds = 10;
        if (sc_mode() == SC_MODE_LOOPBACK) {
                fprintf(stderr, "sc-bench: needs network namespaces (%s)\n", sc_mode_reason());
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        setup_teardown();
        delays();
        drop_agreement();
        return 0;
}
