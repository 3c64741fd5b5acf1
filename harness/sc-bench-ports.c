/*
 * sc-bench-ports.c - what a lab's switch pays to open and close the
 * sockets that read its ports, for the ways it could read them (a
 * benchmark: it prints figures and judges nothing).
 *
 *   ring      libpcap per port, as the keeper does: a TPACKET_V3 ring of
 *             1 MiB, inbound only (pcap_setdirection)
 *   plain     one AF_PACKET socket per port, no ring: recvmsg with
 *             SO_TIMESTAMPNS, PACKET_IGNORE_OUTGOING
 *   shared    one AF_PACKET socket for every port of the namespace (bound
 *             to no interface; sll_ifindex tells the port)
 *
 * It works in a network namespace of its own (so it needs root or a user
 * namespace), with N veth pairs up, and times open (until the last socket
 * is ready) and close, median of R rounds, wall and CPU (user + system of
 * this process: synchronize_net() is waiting, not CPU, and shows only in
 * wall).
 *
 * Usage: sc-bench-ports [--ports N] [--rounds R]
 */
#define _GNU_SOURCE
#include "capture.h"
#include "internal.h"
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

enum way { RING, PLAIN, SHARED, NWAYS };
static const char *const way_name[NWAYS] = {"ring", "plain", "shared"};

static double cpu_now(void)
{
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
}

static int packet_socket(int ifindex)
{
        /* Protocol 0 until bound: made with ETH_P_ALL, it would hook every
         * interface first and pay a synchronize_net() to move to one. */
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                                .sll_ifindex = ifindex};
        int on = 1;

        if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof(on)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
            bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                fprintf(stderr, "sc-bench-ports: packet socket: %s\n", strerror(errno));
                exit(1);
        }
        return fd;
}

/* Opens the ports one way; returns how many handles (fds or pcaps) it made. */
static int open_way(enum way w, int nports, pcap_t **pc, int *fd)
{
        char errbuf[PCAP_ERRBUF_SIZE], name[IFNAMSIZ];

        for (int i = 0; i < nports; i++) {
                snprintf(name, sizeof(name), "sw%d", i);
                if (w == RING) {
                        pc[i] = pcap_create(name, errbuf);
                        if (!pc[i] || sc_pcap_activate(pc[i], name, 1518, 1 << 20) < 0 ||
                            pcap_setdirection(pc[i], PCAP_D_IN) < 0) {
                                fprintf(stderr, "sc-bench-ports: %s: %s\n", name, sc_error());
                                exit(1);
                        }
                } else if (w == PLAIN) {
                        fd[i] = packet_socket((int)if_nametoindex(name));
                } else {
                        fd[0] = packet_socket(0);
                        return 1;
                }
        }
        return nports;
}

static void close_way(enum way w, int n, pcap_t **pc, int *fd)
{
        for (int i = 0; i < n; i++) {
                if (w == RING)
                        pcap_close(pc[i]);
                else
                        close(fd[i]);
        }
}

static void veths(int n)
{
        for (int i = 0; i < n; i++) {
                char cmd[160];

                snprintf(cmd, sizeof(cmd),
                         "ip link add sw%d type veth peer name h%d && ip link set sw%d up && "
                         "ip link set h%d up",
                         i, i, i, i);
                if (system(cmd) != 0) {
                        fprintf(stderr, "sc-bench-ports: could not make veth pair %d\n", i);
                        exit(1);
                }
        }
}

int main(int argc, char **argv)
{
        int nports = 4, rounds = 20;
        pcap_t *pc[64];
        int fd[64];

        for (int i = 1; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--ports") == 0)
                        nports = atoi(argv[i + 1]);
                else if (strcmp(argv[i], "--rounds") == 0)
                        rounds = atoi(argv[i + 1]);
        }
        if (nports < 1 || nports > 64 || rounds < 1 || rounds > 1000) {
                fprintf(stderr, "usage: sc-bench-ports [--ports 1-64] [--rounds 1-1000]\n");
                return 2;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "sc-bench-ports: unshare(CLONE_NEWNET): %s (run as root)\n",
                        strerror(errno));
                return 1;
        }
        veths(nports);
        printf("Reading %d switch ports, %d rounds, median ms (wall; CPU of this process):\n",
               nports, rounds);
        printf("  %-8s %10s %10s %10s %10s %12s\n", "way", "open", "open cpu", "close",
               "close cpu", "per port");
        for (int w = 0; w < NWAYS; w++) {
                double *ow = calloc((size_t)rounds, sizeof(double)), *oc = calloc((size_t)rounds, sizeof(double));
                double *cw = calloc((size_t)rounds, sizeof(double)), *cc = calloc((size_t)rounds, sizeof(double));
                double mo, mc;

                for (int r = 0; r < rounds; r++) {
                        double t0 = sc_now(), c0 = cpu_now();
                        int n = open_way((enum way)w, nports, pc, fd);

                        ow[r] = (sc_now() - t0) * 1e3;
                        oc[r] = (cpu_now() - c0) * 1e3;
                        t0 = sc_now();
                        c0 = cpu_now();
                        close_way((enum way)w, n, pc, fd);
                        cw[r] = (sc_now() - t0) * 1e3;
                        cc[r] = (cpu_now() - c0) * 1e3;
                }
                mo = sc_percentile(ow, rounds, 0.5);
                mc = sc_percentile(cw, rounds, 0.5);
                printf("  %-8s %10.2f %10.2f %10.2f %10.2f %12.2f\n", way_name[w], mo,
                       sc_percentile(oc, rounds, 0.5), mc,
                       sc_percentile(cc, rounds, 0.5), (mo + mc) / nports);
                free(ow);
                free(oc);
                free(cw);
                free(cc);
        }
        return 0;
}
