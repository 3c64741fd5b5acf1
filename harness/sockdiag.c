/*
 * sockdiag.c - is a port bound in a lab host?  Asked of the host's own
 * stack through NETLINK_SOCK_DIAG rather than read from /proc/<pid>/net.
 *
 * Why: /proc/net/tcp walks the machine's whole established-connection
 * table (262144 buckets here, shared by every network namespace) on every
 * read, about 6 ms of system time, and a wait for a TCP server polls it
 * every 2 ms; that was the largest single item in a conform run's CPU.
 * A sock_diag dump that asks only for listeners walks the listening table
 * alone, and filters on the port in the kernel.  UDP has no such split;
 * its dump walks the (small) UDP table, as /proc/net/udp does.
 *
 * The socket answers for the namespace it was made in, so the keeper makes
 * one in each host's namespace and hands it over with the namespace's fd
 * (see keeper.c); that works rootless too, where the test process could
 * not enter the namespace itself.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sc_diag_open(void)
{
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

        if (fd < 0)
                return sc_fail(errno, "sock_diag socket: %s", strerror(errno));
        return fd;
}

/* One dump of family's proto sockets in the wanted states: how many have port (0: any). */
static int dump_count(int fd, int family, int proto, uint32_t states, uint16_t port)
{
        static uint32_t seq;
        struct {
                struct nlmsghdr nh;
                struct inet_diag_req_v2 r;
        } req = {
                .nh = {.nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = ++seq},
                .r = {.sdiag_family = (uint8_t)family, .sdiag_protocol = (uint8_t)proto,
                      .idiag_states = states, .id.idiag_sport = htons(port)},
        };
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        long buf[8192 / sizeof(long)];
        int found = 0; /* how many */

        if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                return sc_fail(errno, "sock_diag request: %s", strerror(errno));
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return sc_fail(errno, "sock_diag reply: %s", strerror(errno));
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
                     h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != req.nh.nlmsg_seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return found;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);

                                /*
                                 * A kernel without IPv6 holds no IPv6 socket;
                                 * no IPv4 handler (inet_diag not there) is an error, and the
                                 * caller reads /proc instead.
                                 */
                                if (family == AF_INET6 &&
                                    (e->error == -ENOENT || e->error == -EAFNOSUPPORT))
                                        return 0;
                                return sc_fail(-e->error, "sock_diag: %s", strerror(-e->error));
                        }
                        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
                            h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                                const struct inet_diag_msg *m = NLMSG_DATA(h);

                                /* The listening walk filters on the port; UDP's does not. */
                                if (port == 0 || m->id.idiag_sport == htons(port))
                                        found++;
                        }
                }
        }
}

int sc_diag_bound(int fd, int proto, uint16_t port)
{
        /* TCP: listeners only; UDP: a bound socket, connected or not. */
        uint32_t states = proto == IPPROTO_TCP ? 1u << TCP_LISTEN : ~0u;
        static const int families[] = {AF_INET, AF_INET6};

        for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
                int r = dump_count(fd, families[i], proto, states, port);

                if (r != 0)
                        return r < 0 ? r : 1;
        }
        return 0;
}

int sc_diag_tcp_closing(int fd)
{
        /* One side has sent its FIN and the other's has not been seen yet. */
        uint32_t states = 1u << TCP_FIN_WAIT1 | 1u << TCP_FIN_WAIT2 | 1u << TCP_CLOSE_WAIT |
                          1u << TCP_LAST_ACK | 1u << TCP_CLOSING;
        int v4 = dump_count(fd, AF_INET, IPPROTO_TCP, states, 0), v6;

        if (v4 < 0)
                return v4;
        v6 = dump_count(fd, AF_INET6, IPPROTO_TCP, states, 0);
        return v6 < 0 ? v6 : v4 + v6;
}
