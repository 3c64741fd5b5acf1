/*
 * test_harness.c - the harness's self-tests (ctest label `harness`).  Each
 * feature has an assertion that fails if the feature breaks: exact fault
 * patterns for a seed, faults on the wire and not in the sender, delay,
 * duplicate and reorder, broadcast reach across a router, MTU, hostnames,
 * process ends in words, whole trees killed, nothing left after a crash.
 * They use only the scripted peer and standard tools, never the programs
 * under test.
 */
#define _GNU_SOURCE
#include "impair.h"
#include "sct.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(harness, .fini = sct_cleanup);

/* ---- fault decisions, without a network ---- */

/* Ethernet II + IPv4 + UDP header, enough for rule matching. */
static size_t udp_frame(uint8_t *f, uint16_t sport, uint16_t dport)
{
        memset(f, 0, 64);
        f[12] = 0x08;           /* ethertype IPv4 */
        f[14] = 0x45;           /* version 4, IHL 5 */
        f[14 + 9] = IPPROTO_UDP;
        f[34] = (uint8_t)(sport >> 8);
        f[35] = (uint8_t)sport;
        f[36] = (uint8_t)(dport >> 8);
        f[37] = (uint8_t)dport;
        return 64;
}

static void decide_many(struct sc_impair *im, int n, int from, uint16_t dport, bool *dropped)
{
        uint8_t f[64];
        struct sc_fate fate;

        for (int i = 0; i < n; i++) {
                sc_impair_decide(im, 0, from, f, udp_frame(f, 40000, dport), &fate);
                dropped[i] = fate.drop;
        }
}

Test(harness, drop_patterns_exact, .timeout = 10)
{
        struct sc_rule r = {.segment = 0, .from_host = -1, .proto = IPPROTO_UDP, .port = 1060,
                            .drop_first = 2, .drop_every = 5, .drop_list = {7, 11}};
        struct sc_impair im;
        bool d[12];
        /* 1,2 (first 2), 5,10 (every 5th), 7,11 (listed) */
        const bool want[12] = {1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0};

        sc_impair_init(&im, 7, &r, 1);
        decide_many(&im, 12, 0, 1060, d);
        for (int i = 0; i < 12; i++)
                cr_expect_eq(d[i], want[i], "packet %d: dropped=%d, expected %d", i + 1, d[i],
                             want[i]);
}

Test(harness, rule_filters_flow_and_direction, .timeout = 10)
{
        struct sc_rule r = {.segment = 0, .from_host = 1, .proto = IPPROTO_UDP, .port = 1060,
                            .drop_first = 100};
        struct sc_impair im;
        bool d[1];

        sc_impair_init(&im, 1, &r, 1);
        decide_many(&im, 1, 0, 1060, d);
        cr_expect(!d[0], "a frame from another host was dropped");
        decide_many(&im, 1, 1, 2000, d);
        cr_expect(!d[0], "a frame of another port was dropped");
        decide_many(&im, 1, 1, 1060, d);
        cr_expect(d[0], "the matching frame was not dropped");
        cr_expect_eq(im.count[0], 1, "rule counted %u packets, expected 1 (only matches count)",
                     im.count[0]);
}

Test(harness, drop_probability_is_seeded, .timeout = 10)
{
        struct sc_rule r = {.segment = 0, .from_host = -1, .drop_prob = 0.3};
        struct sc_impair a, b, c;
        static bool da[2000], db[2000], dc[2000];
        int n = 0, same_other = 0;

        sc_impair_init(&a, 42, &r, 1);
        sc_impair_init(&b, 42, &r, 1);
        sc_impair_init(&c, 43, &r, 1);
        decide_many(&a, 2000, 0, 1, da);
        decide_many(&b, 2000, 0, 1, db);
        decide_many(&c, 2000, 0, 1, dc);
        for (int i = 0; i < 2000; i++) {
                cr_assert_eq(da[i], db[i], "seed 42 decided packet %d two ways", i + 1);
                n += da[i];
                same_other += da[i] == dc[i];
        }
        /* Binomial(2000, 0.3): mean 600, sd 20.5; +-6 sd fails about once in 10^9. */
        cr_expect(n > 477 && n < 723, "p=0.3 dropped %d of 2000", n);
        cr_expect(same_other < 2000, "seeds 42 and 43 made identical decisions");
}

/* ---- labs on the wire ---- */

/* The payloads a peer logged, as text, in order: "3,5,6". */
static const char *received(struct sc_proc *p)
{
        static char out[1024];
        const char *text = sc_proc_stdout(p, NULL), *at = text;
        size_t o = 0;

        out[0] = '\0';
        while ((at = strstr(at, " data=")) != NULL) {
                at += 6;
                if (o)
                        out[o++] = ',';
                while (at[0] && at[1] && at[0] != '\n' && o + 2 < sizeof(out)) {
                        unsigned v;

                        sscanf(at, "%2x", &v);
                        out[o++] = (char)v;
                        at += 2;
                }
                out[o] = '\0';
        }
        return out;
}

static struct sc_proc *listener(struct sc_lab *lab, int host, const char *name, const char *port)
{
        const char *argv[] = {sct_peer(), "udp", port, "--silent", NULL};

        return sct_server(lab, host, name, IPPROTO_UDP, (uint16_t)atoi(port), argv);
}

Test(harness, drop_on_the_wire_not_in_the_sender, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        struct sc_rule r = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP, .port = 7000,
                            .drop_first = 2, .drop_list = {4}};
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        struct sc_proc *rx, *tx;
        const char *tx_argv[] = {sct_peer(), "send", "10.0.1.2", "7000", "--count", "6",
                                 "--interval", "10", NULL};
        char *fates;

        SCT_OK(sc_lab_impair(lab, &r));
        SCT_OK(sc_lab_start(lab));
        rx = listener(lab, 1, "receiver", "7000");
        tx = sct_run(lab, 0, "sender", NULL, tx_argv);
        sct_expect_exit(tx, 0, 5); /* every sendto() succeeded: the loss is on the wire */
        sct_peer_wait(rx, "recv", 3, 2.0);
        SCT_OK(sc_lab_capture_finish(lab, st));
        cr_assert_str_eq(received(rx), "3,5,6", "receiver got %s; %s", received(rx),
                         sct_evidence(lab));
        cr_assert_eq(st[0].lab_dropped, 3, "capture says %u dropped", st[0].lab_dropped);
        cr_assert_eq(st[0].kernel_drops, 0, "the kernel dropped %u frames", st[0].kernel_drops);
        {
                char path[1100];

                snprintf(path, sizeof(path), "%s.fates", st[0].path);
                cr_assert(access(path, R_OK) == 0, "no fates file next to %s", st[0].path);
                fates = NULL;
                {
                        FILE *f = fopen(path, "r");
                        static char buf[4096];
                        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

                        if (f)
                                fclose(f);
                        buf[n] = '\0';
                        fates = buf;
                }
                cr_assert(strstr(fates, "rule 1 #4: listed"), "fates file lacks the listed drop:\n%s",
                          fates);
        }
}

Test(harness, delay_is_applied_one_way, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        struct sc_rule r = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP, .delay_ms = 50};
        const char *echo_argv[] = {sct_peer(), "udp", "7000", NULL};
        const char *ping_argv[] = {sct_peer(), "ping", "10.0.1.2", "7000", "5", NULL};
        struct sc_proc *ping;
        const char *out;
        int n = 0;

        SCT_OK(sc_lab_impair(lab, &r));
        SCT_OK(sc_lab_start(lab));
        sct_server(lab, 1, "echo", IPPROTO_UDP, 7000, echo_argv);
        ping = sct_run(lab, 0, "ping", NULL, ping_argv);
        sct_expect_exit(ping, 0, 10);
        out = sc_proc_stdout(ping, NULL);
        for (const char *line = out; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
                double us = atof(line);

                /* Functional bound only; the benchmark measures the error precisely. */
                cr_assert(us >= 50000 && us < 70000, "round trip %.0f us with 50 ms one way; %s",
                          us, sct_evidence(lab));
                n++;
        }
        cr_assert_eq(n, 5, "expected 5 round trips, got:\n%s", out);
}

Test(harness, duplicate_and_reorder, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, false);
        struct sc_rule dup = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP, .port = 7000,
                              .dup_prob = 1.0};
        struct sc_rule reo = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP, .port = 7001,
                              .reorder_every = 2};
        const char *d_argv[] = {sct_peer(), "send", "10.0.1.2", "7000", "--count", "3",
                                "--interval", "10", NULL};
        const char *r_argv[] = {sct_peer(), "send", "10.0.1.2", "7001", "--count", "4",
                                "--interval", "20", NULL};
        struct sc_proc *rx_d, *rx_r;

        SCT_OK(sc_lab_impair(lab, &dup));
        SCT_OK(sc_lab_impair(lab, &reo));
        SCT_OK(sc_lab_start(lab));
        rx_d = listener(lab, 1, "rx-dup", "7000");
        rx_r = listener(lab, 1, "rx-reorder", "7001");
        sct_expect_exit(sct_run(lab, 0, "tx-dup", NULL, d_argv), 0, 5);
        sct_expect_exit(sct_run(lab, 0, "tx-reorder", NULL, r_argv), 0, 5);
        sct_peer_wait(rx_d, "recv", 6, 2.0);
        sct_peer_wait(rx_r, "recv", 4, 2.0);
        cr_assert_str_eq(received(rx_d), "1,1,2,2,3,3", "duplicates: got %s", received(rx_d));
        /* 2 is held behind 3; 4 has nothing behind it and comes after the hold time. */
        cr_assert_str_eq(received(rx_r), "1,3,2,4", "reorder: got %s", received(rx_r));
}

Test(harness, broadcast_stays_on_its_segment, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_routed(false);
        struct sc_proc *l2, *l4, *l3;
        const int h1 = SCT_SENDER, h2 = SCT_H2, h4 = SCT_H3, h3 = SCT_H4;

        /* h2 and h4 share the sender's segment; h3 is behind the router. */
        SCT_OK(sc_lab_start(lab));
        l2 = listener(lab, h2, "h2", "7000");
        l4 = listener(lab, h4, "h4", "7000");
        l3 = listener(lab, h3, "h3", "7000");
        {
                const char *sub[] = {sct_peer(), "send", "10.0.1.255", "7000", "--broadcast",
                                     "--text", "subnet", NULL};
                const char *all[] = {sct_peer(), "send", "255.255.255.255", "7000", "--broadcast",
                                     "--text", "limited", NULL};
                const char *uni[] = {sct_peer(), "send", "10.0.2.4", "7000", "--text", "unicast",
                                     NULL};

                sct_expect_exit(sct_run(lab, h1, "tx-subnet", NULL, sub), 0, 5);
                sct_expect_exit(sct_run(lab, h1, "tx-limited", NULL, all), 0, 5);
                /* Positive control: h3 listens and is reachable through the router. */
                sct_expect_exit(sct_run(lab, h1, "tx-unicast", NULL, uni), 0, 5);
        }
        sct_peer_wait(l2, "recv", 2, 2.0);
        sct_peer_wait(l4, "recv", 2, 2.0);
        sct_peer_wait(l3, "recv", 1, 2.0);
        cr_assert_str_eq(received(l2), "subnet,limited", "h2 got %s", received(l2));
        cr_assert_str_eq(received(l4), "subnet,limited", "h4 got %s", received(l4));
        cr_assert_str_eq(received(l3), "unicast", "h3 (behind the router) got %s; %s",
                         received(l3), sct_evidence(lab));
}

Test(harness, mtu_refuses_large_df_datagram, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, false);
        const char *big[] = {sct_peer(), "send", "10.0.1.2", "7000", "--df", "--size", "1473", NULL};
        const char *fits[] = {sct_peer(), "send", "10.0.1.2", "7000", "--df", "--size", "1472",
                              NULL};
        struct sc_proc *p;

        SCT_OK(sc_lab_link_mtu(lab, 1, 9000)); /* beta's link only: alpha's stays 1500 */
        SCT_OK(sc_lab_start(lab));
        listener(lab, 1, "receiver", "7000");
        p = sct_run(lab, 0, "big", NULL, big);
        sct_expect_exit(p, 1, 5);
        cr_assert(strstr(sc_proc_stdout(p, NULL), "errno=90") &&
                          strstr(sc_proc_stdout(p, NULL), "mtu=1500"),
                  "1473 bytes with DF on a 1500 link: %s", sc_proc_stdout(p, NULL));
        sct_expect_exit(sct_run(lab, 0, "fits", NULL, fits), 0, 5);
}

Test(harness, hostname_resolves_inside_a_host, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, false);
        const char *argv[] = {sct_peer(), "whoami", NULL};
        struct sc_proc *p;

        SCT_OK(sc_lab_start(lab));
        p = sct_run(lab, 1, "whoami", NULL, argv);
        sct_expect_exit(p, 0, 5);
        cr_assert_str_eq(sc_proc_stdout(p, NULL), "hostname=beta addr=10.0.1.2\n");
}

Test(harness, hostname_on_a_loopback_host, .timeout = 20)
{
        struct sc_lab *lab;
        const char *argv[] = {sct_peer(), "whoami", NULL};
        struct sc_proc *p;

        SCT_NEED_NAMESPACES();
        lab = sct_lab_loopback("solo");
        p = sct_run(lab, 0, "whoami", NULL, argv);
        sct_expect_exit(p, 0, 5);
        cr_assert_str_eq(sc_proc_stdout(p, NULL), "hostname=solo addr=127.0.0.1\n");
}

Test(harness, ipv6_is_off_unless_asked_for, .timeout = 20)
{
        const char *argv[] = {"/bin/cat", "/proc/sys/net/ipv6/conf/lo/disable_ipv6", NULL};

        SCT_NEED_NAMESPACES();
        for (int on = 0; on <= 1; on++) {
                struct sc_lab *lab = sct_lab(on ? "on" : "off");
                struct sc_proc *p;

                SCT_OK(sc_lab_host(lab, "h1"));
                if (on)
                        SCT_OK(sc_lab_ipv6(lab, true));
                SCT_OK(sc_lab_start(lab));
                p = sct_run(lab, 0, "cat", NULL, argv);
                sct_expect_exit(p, 0, 5);
                cr_assert_str_eq(sc_proc_stdout(p, NULL), on ? "0\n" : "1\n",
                                 "IPv6 %s asked for, disable_ipv6 on lo reads %s", on ? "" : "not",
                                 sc_proc_stdout(p, NULL));
                sct_cleanup();
        }
}

/* ---- processes ---- */

Test(harness, ends_are_described_in_words, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *exit3[] = {"/bin/sh", "-c", "exit 3", NULL};
        const char *segv[] = {"/bin/sh", "-c", "kill -SEGV $$", NULL};
        const char *hang[] = {"/bin/sleep", "30", NULL};
        struct sc_proc *p;

        p = sct_run(lab, 0, "exit3", NULL, exit3);
        SCT_OK(sc_proc_wait(p, 5));
        cr_assert_str_eq(sc_proc_end(p), "exited 3");
        p = sct_run(lab, 0, "segv", NULL, segv);
        SCT_OK(sc_proc_wait(p, 5));
        cr_assert_str_eq(sc_proc_end(p), "killed by SIGSEGV");
        SCT_OK(sc_spawn(lab, &(struct sc_proc_opts){.host = 0, .argv = hang, .name = "hang",
                                                     .timeout_s = 0.5},
                        &p));
        SCT_OK(sc_proc_wait(p, 5));
        cr_assert_str_eq(sc_proc_end(p), "timed out after 0.5 s");
        cr_assert(sc_proc_timed_out(p));
}

/* Processes whose command line holds marker (a unique sleep duration). */
static int count_marked(const char *marker)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        int n = 0;

        while (d && (e = readdir(d)) != NULL) {
                char path[300], buf[256];
                int fd;
                ssize_t r;

                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                fd = open(path, O_RDONLY);
                if (fd < 0)
                        continue;
                r = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (r <= 0)
                        continue;
                buf[r] = '\0';
                /* argv[0] is /bin/sleep, or /port/sleep where it runs jailed */
                if (strcmp(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, "sleep") == 0) {
                        size_t l = strlen(buf) + 1;

                        if (l < (size_t)r && strcmp(buf + l, marker) == 0)
                                n++;
                }
        }
        if (d)
                closedir(d);
        return n;
}

static bool wait_unmarked(const char *marker, double timeout)
{
        double end = sc_now() + timeout;

        while (count_marked(marker) > 0) {
                if (sc_now() > end)
                        return false;
                sc_nap(0.01);
        }
        return true;
}

Test(harness, a_forking_program_dies_with_its_whole_tree, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        char marker[32], script[256];
        const char *argv[] = {"/bin/sh", "-c", script, NULL};
        struct sc_proc *p;

        snprintf(marker, sizeof(marker), "9%d.25", (int)getpid());
        /* Two children, one orphaned grandchild that escapes to its own session. */
        snprintf(script, sizeof(script),
                 "sleep %s & (setsid sleep %s &) ; sleep %s & echo started; wait", marker, marker,
                 marker);
        p = sct_run(lab, 0, "tree", NULL, argv);
        SCT_OK(sc_proc_wait_output(p, "started", 5));
        {
                double end = sc_now() + 5;

                while (count_marked(marker) < 3 && sc_now() < end)
                        sc_nap(0.01);
        }
        cr_assert_eq(count_marked(marker), 3, "expected 3 sleeping descendants, saw %d",
                     count_marked(marker));
        SCT_OK(sc_proc_stop(p));
        cr_assert(wait_unmarked(marker, 3), "%d descendants survived sc_proc_stop (%s)",
                  count_marked(marker), sc_mode_name(sc_mode()));
}

Test(harness, output_is_kept_when_a_buffered_program_is_stopped, .timeout = 20)
{
        struct sc_lab *lab;
        const char *argv[] = {"/usr/bin/python3", "-c",
                              "import time\nprint('hello from python')\ntime.sleep(100)", NULL};
        struct sc_proc *p;

        if (access(argv[0], X_OK) != 0)
                cr_skip_test("python3 is not installed");
        lab = sct_lab_loopback("h1");
        p = sct_run(lab, 0, "python", NULL, argv);
        /* stdout is a file, so Python buffers it: the line is not there yet. */
        sc_nap(0.3);
        SCT_OK(sc_proc_stop(p));
        cr_assert_str_eq(sc_proc_stdout(p, NULL), "hello from python\n", "end: %s",
                         sc_proc_end(p));
        cr_assert_str_eq(sc_proc_end(p), "killed by SIGINT");
}

Test(harness, stop_lets_a_busy_program_settle_first, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        /* Busy for a while (as between a bind() and its print), then prints and waits. */
        const char *argv[] = {"/bin/sh", "-c",
                              "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo settled; "
                              "exec sleep 100",
                              NULL};
        struct sc_proc *p = sct_run(lab, 0, "busy", NULL, argv);

        SCT_OK(sc_proc_stop(p));
        cr_assert_str_eq(sc_proc_stdout(p, NULL), "settled\n",
                         "a stop right after the start cut the program short (%s)", sc_proc_end(p));
}

Test(harness, stdin_pipe_kept_open, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {"/bin/cat", NULL};
        struct sc_proc *p = sct_run_open(lab, 0, "cat", argv);

        SCT_OK(sc_proc_write(p, "one\n", 4));
        SCT_OK(sc_proc_wait_output(p, "one\n", 5));
        cr_assert(sc_proc_running(p), "cat ended before its stdin closed: %s", sc_proc_end(p));
        SCT_OK(sc_proc_write(p, "two\n", 4));
        SCT_OK(sc_proc_close_stdin(p));
        sct_expect_exit(p, 0, 5);
        cr_assert_str_eq(sc_proc_stdout(p, NULL), "one\ntwo\n");
}

Test(harness, readiness_is_polled_from_the_socket_table, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *tcp[] = {sct_peer(), "tcp", "7101", NULL};
        const char *quick[] = {"/bin/true", NULL};
        struct sc_proc *p = sct_run(lab, 0, "tcp-peer", NULL, tcp), *q;
        int rc;

        SCT_OK(sc_proc_wait_bound(p, IPPROTO_TCP, 7101, 5));
        rc = sc_proc_wait_bound(p, IPPROTO_UDP, 7101, 0.2);
        cr_assert_eq(rc, -ETIMEDOUT, "UDP 7101 reported bound (rc %d): %s", rc, sc_error());
        q = sct_run(lab, 0, "true", NULL, quick);
        SCT_OK(sc_proc_wait(q, 5));
        rc = sc_proc_wait_bound(q, IPPROTO_UDP, 7102, 1);
        cr_assert_eq(rc, -ESRCH, "an ended program should fail fast (rc %d)", rc);
}

/*
 * Readiness is asked of the stack of the host the program runs on (through
 * sock_diag): a listener on another host of the lab does not count, a TCP
 * socket that is not listening does not count, and a dual-stack listener on
 * [::] (what Go's net.Listen makes) does.
 */
Test(harness, readiness_is_asked_of_the_programs_own_host, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, false);
        const char *listen_[] = {sct_peer(), "tcp", "7101", NULL};
        const char *dual[] = {sct_peer(), "tcp", "7103", "--dual-stack", NULL};
        const char *udp[] = {sct_peer(), "udp", "7104", "--silent", NULL};
        struct sc_proc *beta_server, *alpha_idle, *dual_server, *udp_server;
        int rc;

        SCT_OK(sc_lab_start(lab));
        beta_server = sct_run(lab, 1, "tcp-peer", NULL, listen_);
        SCT_OK(sc_proc_wait_bound(beta_server, IPPROTO_TCP, 7101, 5));
        alpha_idle = sct_run_open(lab, 0, "cat", (const char *[]){"/bin/cat", NULL});
        rc = sc_proc_wait_bound(alpha_idle, IPPROTO_TCP, 7101, 0.3);
        cr_assert_eq(rc, -ETIMEDOUT, "beta's listener was reported bound on alpha (rc %d): %s", rc,
                     sc_error());
        dual_server = sct_run(lab, 0, "tcp-peer-dual", NULL, dual);
        SCT_OK(sc_proc_wait_bound(dual_server, IPPROTO_TCP, 7103, 5));
        udp_server = sct_run(lab, 0, "udp-peer", NULL, udp);
        SCT_OK(sc_proc_wait_bound(udp_server, IPPROTO_UDP, 7104, 5));
        rc = sc_proc_wait_bound(udp_server, IPPROTO_TCP, 7104, 0.3);
        cr_assert_eq(rc, -ETIMEDOUT, "a UDP socket was reported as a TCP listener (rc %d)", rc);
}

/*
 * Each lab host has a TCP connection table of its own (keeper.c): a walk of
 * the machine's shared one (262144 buckets here) takes milliseconds without
 * a preemption point, and the harness walks a host's table before every
 * capture ends.  Asked of a two-host lab and of a one-host lab without links.
 */
Test(harness, lab_hosts_have_their_own_tcp_table, .timeout = 20)
{
        const char *argv[] = {"/bin/cat", "/proc/sys/net/ipv4/tcp_ehash_entries", NULL};
        struct sc_lab *pair, *single;

        SCT_NEED_NAMESPACES();
        if (access("/proc/sys/net/ipv4/tcp_child_ehash_entries", F_OK) < 0)
                cr_skip_test("this kernel (before 6.1) has one TCP table for all namespaces");
        pair = sct_lab_pair(1500, false);
        SCT_OK(sc_lab_start(pair));
        for (int h = 0; h < 2; h++) {
                struct sc_proc *p = sct_run(pair, h, h ? "cat-beta" : "cat-alpha", NULL, argv);

                sct_expect_exit(p, 0, 5);
                /* Negative: the machine's table, shared. */
                sct_expect_stdout(p, "256\n", pair);
        }
        single = sct_lab_loopback_as("solo", "solo");
        {
                struct sc_proc *p = sct_run(single, 0, "cat-solo", NULL, argv);

                sct_expect_exit(p, 0, 5);
                sct_expect_stdout(p, "256\n", single);
        }
}

/* The scheduling policy and real-time priority of pid, from /proc/<pid>/stat. */
static void sched_of(pid_t pid, const char *text, int *policy, int *rtprio)
{
        char path[64], buf[1024];
        const char *p;
        FILE *f = NULL;
        size_t n;

        if (!text) {
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
                f = fopen(path, "r");
                cr_assert(f, "%s: %s", path, strerror(errno));
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = '\0';
                text = buf;
        }
        /* After the comm's closing parenthesis: field 3 on; rt_priority is 40, policy 41. */
        p = strrchr(text, ')');
        cr_assert(p, "no stat line: %s", text);
        p++;
        for (int field = 3; field < 40; field++) {
                p = strchr(p + 1, ' ');
                cr_assert(p, "short stat line: %s", text);
        }
        cr_assert_eq(sscanf(p, " %d %d", rtprio, policy), 2, "stat line: %s", text);
}

/*
 * In a timing test (SOCKCHECK_PROG_RTPRIO set, as scripts/conform and
 * run-test.sh set it) the programs run SCHED_FIFO at that priority and the
 * lab's switch one above: it forwards and delays what is timed.
 */
Test(harness, timing_tests_run_programs_and_switch_real_time, .timeout = 20)
{
        const char *argv[] = {"/bin/cat", "/proc/self/stat", NULL};
        struct sc_lab *lab;
        struct sc_proc *p;
        char path[96], kids[256];
        int policy, prio, n = 0;
        pid_t keeper = 0;
        FILE *f;

        if (sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){.sched_priority = 1}) < 0)
                cr_skip_test("no real-time priority here (%s)", strerror(errno));
        sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){0});
        setenv("SOCKCHECK_PROG_RTPRIO", "20", 1);
        lab = sct_lab_pair(1500, false);
        SCT_OK(sc_lab_start(lab));
        p = sct_run(lab, 0, "cat", NULL, argv);
        sct_expect_exit(p, 0, 5);
        sched_of(0, sc_proc_stdout(p, NULL), &policy, &prio);
        cr_assert(policy == SCHED_FIFO && prio == 20,
                  "the program ran with policy %d priority %d, expected SCHED_FIFO (%d) 20", policy,
                  prio, SCHED_FIFO);
        /* The keeper is this process's one child once the program is reaped. */
        snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)syscall(SYS_gettid));
        f = fopen(path, "r");
        cr_assert(f, "%s: %s", path, strerror(errno));
        if (fgets(kids, sizeof(kids), f))
                for (char *t = strtok(kids, " \n"); t; t = strtok(NULL, " \n"), n++)
                        keeper = atoi(t);
        fclose(f);
        cr_assert_eq(n, 1, "expected one child (the keeper), found %d: %s", n, kids);
        sched_of(keeper, NULL, &policy, &prio);
        cr_assert(policy == SCHED_FIFO && prio == 21,
                  "the switch ran with policy %d priority %d, expected SCHED_FIFO (%d) 21", policy,
                  prio, SCHED_FIFO);
}

/* TCP segments with FIN from src:sport in a capture. */
static int fins_from(const char *path, const char *src, unsigned sport)
{
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *f = pcap_open_offline(path, err);
        struct pcap_pkthdr *h;
        const u_char *d;
        in_addr_t want = inet_addr(src);
        int n = 0;

        cr_assert(f, "%s: %s", path, err);
        while (pcap_next_ex(f, &h, &d) == 1) {
                size_t ihl;
                in_addr_t from;

                if (h->caplen < 14 + 20 || d[12] != 0x08 || d[13] != 0x00 || d[14 + 9] != 6)
                        continue;
                ihl = (size_t)(d[14] & 0x0f) * 4;
                memcpy(&from, d + 14 + 12, 4);
                if (h->caplen >= 14 + ihl + 14 && from == want &&
                    (unsigned)(d[14 + ihl] << 8 | d[14 + ihl + 1]) == sport && (d[14 + ihl + 13] & 1))
                        n++;
        }
        pcap_close(f);
        return n;
}

/*
 * A capture ends once the lab's TCP exchanges have settled: a server that
 * closes 300 ms after its client left still has its FIN in a capture
 * finished the moment the client ended.
 */
Test(harness, capture_waits_for_the_last_fin, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        const char *srv_argv[] = {"/usr/bin/python3", "-c",
                                  "import socket, time\n"
                                  "s = socket.socket()\n"
                                  "s.bind(('', 7200))\n"
                                  "s.listen(1)\n"
                                  "c, _ = s.accept()\n"
                                  "while c.recv(100):\n"
                                  "    pass\n"
                                  "time.sleep(0.3)\n"
                                  "c.close()\n",
                                  NULL};
        const char *cli_argv[] = {sct_peer(), "tcp-client", "10.0.1.2", "7200", "--wait", "50",
                                  "hi", NULL};
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        struct sc_proc *srv;
        int n;

        SCT_OK(sc_lab_start(lab));
        srv = sct_run(lab, 1, "server", NULL, srv_argv);
        SCT_OK(sc_proc_wait_bound(srv, IPPROTO_TCP, 7200, 5));
        sct_expect_exit(sct_run(lab, 0, "client", NULL, cli_argv), 0, 5);
        SCT_OK(sc_lab_capture_finish(lab, st));
        n = fins_from(st[0].path, "10.0.1.2", 7200);
        cr_assert_eq(n, 1, "the capture holds %d FIN of the server's (it closes 0.3 s after its "
                     "client); %s", n, sct_evidence(lab));
}

Test(harness, capture_drains_without_kernel_drops, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        const char *tx[] = {sct_peer(), "send", "10.0.1.2", "7000", "--count", "300", NULL};
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        struct sc_proc *rx;
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *f;
        struct pcap_pkthdr *h;
        const u_char *data;
        unsigned n = 0, udp = 0;

        SCT_OK(sc_lab_start(lab));
        rx = listener(lab, 1, "receiver", "7000");
        sct_expect_exit(sct_run(lab, 0, "sender", NULL, tx), 0, 5);
        sct_peer_wait(rx, "recv", 300, 3.0);
        SCT_OK(sc_lab_capture_finish(lab, st));
        cr_assert_eq(st[0].kernel_drops, 0, "kernel dropped %u frames", st[0].kernel_drops);
        f = pcap_open_offline_with_tstamp_precision(st[0].path, PCAP_TSTAMP_PRECISION_NANO, err);
        cr_assert(f, "cannot read %s: %s", st[0].path, err);
        while (pcap_next_ex(f, &h, &data) == 1) {
                n++;
                udp += h->caplen > 23 && data[12] == 8 && data[13] == 0 && data[23] == IPPROTO_UDP;
        }
        pcap_close(f);
        cr_assert_eq(n, st[0].packets, "file has %u frames, stats say %u", n, st[0].packets);
        cr_assert_eq(udp, 300, "capture holds %u UDP frames of 300 sent; %s", udp,
                     sct_evidence(lab));
}

Test(harness, capture_on_a_host_interface, .timeout = 20)
{
        struct sc_lab *lab;
        struct sc_capture_stats st[SC_MAX_CAPTURES];
        const char *tx[] = {sct_peer(), "send", "127.0.0.1", "7002", "--count", "3", NULL};
        struct sc_proc *rx;

        if (sc_mode() == SC_MODE_LOOPBACK && geteuid() != 0)
                cr_skip_test("capturing on the machine's loopback needs root");
        lab = sct_lab(NULL);
        SCT_OK(sc_lab_host(lab, "h1"));
        SCT_OK(sc_lab_capture(lab, "lo", -1, 0, "lo", "udp port 7002"));
        SCT_OK(sc_lab_start(lab));
        rx = listener(lab, 0, "receiver", "7002");
        sct_expect_exit(sct_run(lab, 0, "sender", NULL, tx), 0, 5);
        sct_peer_wait(rx, "recv", 3, 2.0);
        SCT_OK(sc_lab_capture_finish(lab, st));
        cr_assert_eq(st[0].packets, 3, "captured %u packets on lo, expected 3", st[0].packets);
}

/* ---- nothing left behind ---- */

/* Is a namespace with this inode still referenced by any process or descriptor? */
static bool netns_alive(const char *link)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        bool found = false;

        while (!found && d && (e = readdir(d)) != NULL) {
                char path[300], target[64];
                DIR *fds;
                struct dirent *f;
                ssize_t n;

                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
                n = readlink(path, target, sizeof(target) - 1);
                if (n > 0 && (target[n] = '\0', strcmp(target, link) == 0))
                        found = true;
                snprintf(path, sizeof(path), "/proc/%s/fd", e->d_name);
                fds = opendir(path);
                while (!found && fds && (f = readdir(fds)) != NULL) {
                        char fpath[600];

                        snprintf(fpath, sizeof(fpath), "%s/%s", path, f->d_name);
                        n = readlink(fpath, target, sizeof(target) - 1);
                        if (n > 0 && (target[n] = '\0', strcmp(target, link) == 0))
                                found = true;
                }
                if (fds)
                        closedir(fds);
        }
        if (d)
                closedir(d);
        return found;
}

Test(harness, nothing_survives_a_crashed_test, .timeout = 30)
{
        char marker[32], links[2][64];
        int pfd[2], status;
        pid_t child;
        ssize_t n;

        SCT_NEED_NAMESPACES();
        snprintf(marker, sizeof(marker), "8%d.75", (int)getpid());
        cr_assert(pipe(pfd) == 0);
        child = fork();
        cr_assert(child >= 0);
        if (child == 0) {
                /* A test that builds a lab, starts programs, then dies: no cr_* in here. */
                struct sc_lab *lab = sc_lab_new("harness/nothing_survives_a_crashed_test");
                const char *argv[] = {"/bin/sleep", marker, NULL};
                struct sc_proc *p[2];
                char out[128];
                int s;

                close(pfd[0]);
                if (!lab || sc_lab_host(lab, "a") < 0 || sc_lab_host(lab, "b") < 0)
                        _exit(2);
                s = sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
                if (sc_lab_attach(lab, 0, s, 1) < 0 || sc_lab_attach(lab, 1, s, 2) < 0 ||
                    sc_lab_capture(lab, "lan", s, -1, NULL, NULL) < 0 || sc_lab_start(lab) < 0)
                        _exit(3);
                for (int h = 0; h < 2; h++)
                        if (sc_spawn(lab, &(struct sc_proc_opts){.host = h, .argv = argv,
                                                                  .name = h ? "b" : "a"},
                                     &p[h]) < 0)
                                _exit(4);
                /* Once the programs run, their supervisors are inside the hosts' namespaces. */
                for (int tries = 0; count_marked(marker) < 2; tries++) {
                        if (tries > 2000)
                                _exit(7); /* never a child that outlives its test */
                        usleep(5000);
                }
                for (int h = 0; h < 2; h++) {
                        char path[64], link[64];
                        ssize_t l;

                        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sc_proc_pid(p[h]));
                        l = readlink(path, link, sizeof(link) - 1);
                        if (l <= 0)
                                _exit(5);
                        link[l] = '\0';
                        snprintf(out, sizeof(out), "%-63s", link);
                        if (write(pfd[1], out, 63) != 63)
                                _exit(6);
                }
                raise(SIGKILL);
        }
        close(pfd[1]);
        for (int h = 0; h < 2; h++) {
                n = read(pfd[0], links[h], 63);
                cr_assert(n != 63 || strncmp(links[h], "net:[", 5) == 0, "odd link %s", links[h]);
                cr_assert_eq(n, 63, "the crashing child reported no namespace (%zd)", n);
                links[h][63] = '\0';
                strtok(links[h], " ");
        }
        close(pfd[0]);
        waitpid(child, &status, 0);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the child was meant to die by SIGKILL, status %#x", status);
        cr_assert(wait_unmarked(marker, 5), "%d programs outlived their crashed test",
                  count_marked(marker));
        for (int h = 0; h < 2; h++) {
                double end = sc_now() + 5;

                while (netns_alive(links[h]) && sc_now() < end)
                        sc_nap(0.02);
                cr_assert(!netns_alive(links[h]), "namespace %s outlived its crashed test",
                          links[h]);
        }
}

/* ---- the relay: faults without a topology (and in plain loopback mode) ---- */

Test(harness, relay_drops_and_delays_on_loopback, .timeout = 20)
{
        struct sc_lab *lab = sct_lab(NULL);
        const char *srv[] = {sct_peer(), "udp", "7201", NULL};
        const char *cli[] = {sct_peer(), "udp-client", "127.0.0.1", "7200", "--wait", "300",
                             "a", "b", "c", NULL};
        struct sc_proc *peer, *client;
        struct sct_io io[16];
        int r, n;
        double sent = 0;

        SCT_OK(sc_lab_host(lab, "h1"));
        r = sc_lab_relay(lab, 0, 7200, 7201);
        SCT_OK(r);
        SCT_OK(sc_lab_impair(lab, &(struct sc_rule){.segment = SC_RELAY(r), .from_host = 0,
                                                     .drop_first = 2}));
        SCT_OK(sc_lab_impair(lab, &(struct sc_rule){.segment = SC_RELAY(r), .from_host = 1,
                                                     .delay_ms = 50}));
        SCT_OK(sc_lab_start(lab));
        peer = sct_server(lab, 0, "peer", IPPROTO_UDP, 7201, srv);
        client = sct_run(lab, 0, "client", NULL, cli);
        sct_expect_exit(client, 0, 5);
        cr_assert_str_eq(received(peer), "c", "the target got %s; the relay drops the first 2",
                         received(peer));
        n = sct_peer_log(client, io, 16);
        for (int i = 0; i < n; i++) {
                if (strcmp(io[i].verb, "sent") == 0)
                        sent = io[i].mono;
                if (strcmp(io[i].verb, "reply") == 0) {
                        cr_assert_eq(io[i].port, 7200, "the reply came from port %u, not the relay's",
                                     io[i].port);
                        cr_assert(io[i].mono - sent >= 0.050 && io[i].mono - sent < 0.5,
                                  "reply after %.1f ms; replies are delayed 50 ms",
                                  (io[i].mono - sent) * 1e3);
                }
        }
        sct_io_free(io, n);
        cr_assert_eq(sct_peer_count(client, "reply"), 1, "replies: %d, expected 1 (to c)",
                     sct_peer_count(client, "reply"));
}
