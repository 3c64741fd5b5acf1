/*
 * udp_local: UDP server and client on the loopback interface, a port of
 * FOPNP Listing 2-1 (udp_local.py).  The server answers every datagram with
 * its length; the client sends the time and, as the book warns ("Danger!"),
 * accepts a reply from anyone.  Unlike the original, the server survives a
 * non-ASCII datagram: it prints the bytes as \xNN and carries on.
 */
#include <errno.h>
#include <err.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "common.h"

#define MAX_BYTES 65535

static char data[MAX_BYTES];
static char text[64 + PY_ADDR_MAX + PY_REPR_MAX(MAX_BYTES)];

static void server(long port)
{
        struct sockaddr_in me, address;
        struct pybuf line;
        char reply[64];
        int sock = sc_socket(SOCK_DGRAM);

        sc_bind(sock, "127.0.0.1", port);
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
                py_puts(&line, "The client at ");
                py_addr(&line, &address);
                py_puts(&line, " says ");
                py_repr_str(&line, data, (size_t)n);
                out_line(&line);
                len = snprintf(reply, sizeof(reply), "Your data was %zd bytes long", n);
                /* A lost reply is UDP's business, not a reason to stop serving. */
                if (sc_sendto(sock, reply, (size_t)len, &address) < 0)
                        warn("sendto");
        }
}

static void client(long port)
{
        struct sockaddr_in to, me, address;
        struct timespec now;
        struct pybuf line;
        ssize_t n;
        int sock = sc_socket(SOCK_DGRAM);

        if (clock_gettime(CLOCK_REALTIME, &now) != 0)
                py_die_errno("clock_gettime", errno);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "The time is ");
        py_datetime(&line, now.tv_sec, now.tv_nsec / 1000);
        py_sockaddr("sendto", "127.0.0.1", port, &to);
        if (sc_sendto(sock, line.data, line.len, &to) < 0)
                py_die_errno("sendto", errno);
        pybuf_reset(&line);

        sc_getsockname(sock, &me);
        py_puts(&line, "The OS assigned me the address ");
        py_addr(&line, &me);
        out_line(&line);

        n = sc_recvfrom(sock, data, sizeof(data), &address); /* Danger! */
        if (n < 0)
                py_die_errno("recvfrom", errno);
        py_puts(&line, "The server ");
        py_addr(&line, &address);
        py_puts(&line, " replied ");
        py_repr_str(&line, data, (size_t)n);
        out_line(&line);
}

int main(int argc, char **argv)
{
        static const struct fopnp_cli cli = {
            .description = "Send and receive UDP locally",
            .role_help = "which role to play",
        };
        struct fopnp_args args;

        sc_init("udp_local");
        fopnp_parse(&cli, argc, argv, &args);
        if (args.server)
                server(args.port);
        else
                client(args.port);
        return 0;
}
