/*
 * udp_remote: UDP server and client for different machines, a port of FOPNP
 * Listing 2-2 (udp_remote.py).  The server pretends to drop half of the
 * datagrams; the client connect()s its socket (so only the server's replies
 * reach it) and retransmits with exponential backoff, giving up once the
 * delay would exceed two seconds.  The server survives non-ASCII datagrams,
 * which kill the original.
 */
#define _GNU_SOURCE /* ppoll() */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "common.h"

#define MAX_BYTES 65535

static char data[MAX_BYTES];
static char text[64 + PY_ADDR_MAX + PY_REPR_MAX(MAX_BYTES)];

/* splitmix64: tiny, and good enough for a fair coin that can be replayed. */
static uint64_t coin_state;

static bool coin(void)
{
        uint64_t z = (coin_state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return ((z ^ (z >> 31)) >> 63) != 0;
}

/* The book flips an unseeded coin; SOCKCHECK_SEED makes a run reproducible. */
static void seed_coin(void)
{
        const char *s = getenv("SOCKCHECK_SEED");
        char *end;

        if (s) {
                errno = 0;
                coin_state = strtoull(s, &end, 10);
                if (errno != 0 || end == s || *end != '\0')
                        py_die("ValueError", "SOCKCHECK_SEED must be a decimal integer, not '%s'",
                               s);
                return;
        }
        if (getrandom(&coin_state, sizeof(coin_state), 0) != (ssize_t)sizeof(coin_state))
                py_die_errno("getrandom", errno);
}

static void server(const char *interface, long port)
{
        struct sockaddr_in me, address;
        struct pybuf line;
        char reply[64];
        int sock = sc_socket(SOCK_DGRAM);

        seed_coin();
        sc_bind(sock, interface, port);
        sc_getsockname(sock, &me);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "Listening at ");
        py_addr(&line, &me);
        out_line(&line);
        for (;;) {
                ssize_t n = sc_recvfrom(sock, data, sizeof(data), &address);
                int len;

                if (n < 0)
                        py_die_errno("recvfrom", errno);
                if (coin()) {
                        py_puts(&line, "Pretending to drop packet from ");
                        py_addr(&line, &address);
                        out_line(&line);
                        continue;
                }
                py_puts(&line, "The client at ");
                py_addr(&line, &address);
                py_puts(&line, " says ");
                py_repr_str(&line, data, (size_t)n);
                out_line(&line);
                len = snprintf(reply, sizeof(reply), "Your data was %zd bytes long", n);
                if (sc_sendto(sock, reply, (size_t)len, &address) < 0)
                        warn("sendto");
        }
}

static double now(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
                py_die_errno("clock_gettime", errno);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * sock.settimeout(delay); sock.recv(): wait up to delay seconds for a
 * datagram from the connected peer.  Returns its length, or -1 on timeout.
 * A pending ICMP error (ECONNREFUSED) surfaces through recv() and is fatal.
 */
static ssize_t recv_timeout(int sock, double delay)
{
        double deadline = now() + delay;

        for (;;) {
                struct pollfd pfd = {.fd = sock, .events = POLLIN};
                double left = deadline - now();
                struct timespec ts;
                ssize_t n;
                int r;

                if (left <= 0)
                        return -1;
                ts.tv_sec = (time_t)left;
                ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
                r = ppoll(&pfd, 1, &ts, NULL);
                if (r < 0 && errno != EINTR)
                        py_die_errno("poll", errno);
                if (r <= 0)
                        continue;
                n = sc_recv(sock, data, sizeof(data), MSG_DONTWAIT);
                if (n >= 0)
                        return n;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                        py_die_errno("recv", errno);
        }
}

static void client(const char *hostname, long port)
{
        static const char message[] = "This is another message";
        struct sockaddr_in me;
        struct pybuf line;
        double delay = 0.1;
        ssize_t n;
        int sock = sc_socket(SOCK_DGRAM);

        sc_connect(sock, hostname, port);
        sc_getsockname(sock, &me);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "Client socket name is ");
        py_addr(&line, &me);
        out_line(&line);

        for (;;) {
                if (sc_send(sock, message, strlen(message)) < 0)
                        py_die_errno("send", errno);
                py_puts(&line, "Waiting up to ");
                py_float(&line, delay);
                py_puts(&line, " seconds for a reply");
                out_line(&line);
                n = recv_timeout(sock, delay);
                if (n >= 0)
                        break;
                delay *= 2; /* wait even longer for the next request */
                if (delay > 2.0)
                        py_die("RuntimeError", "I think the server is down");
        }
        py_puts(&line, "The server says ");
        py_repr_str(&line, data, (size_t)n);
        out_line(&line);
}

int main(int argc, char **argv)
{
        static const struct fopnp_cli cli = {
            .description = "Send and receive UDP, pretending packets are often dropped",
            .role_help = "which role to take",
            .host_help = "interface the server listens at; host the client sends to",
            .epilog = "The server drops each datagram on a fair coin flip, seeded at random.\n"
                      "Set SOCKCHECK_SEED to a decimal integer for a reproducible sequence.",
        };
        struct fopnp_args args;

        sc_init("udp_remote");
        fopnp_parse(&cli, argc, argv, &args);
        if (args.server)
                server(args.host, args.port);
        else
                client(args.host, args.port);
        return 0;
}
