/*
 * udp_broadcast: UDP broadcast sender and listener, a port of FOPNP
 * Listing 2-4 (udp_broadcast.py).  The client needs SO_BROADCAST, without
 * which the kernel refuses (EACCES) a send to a broadcast address; the
 * server only listens and never replies.  The server survives non-ASCII
 * datagrams, which kill the original.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

#define BUFSIZE 65535

static void server(const char *interface, long port)
{
        static char data[BUFSIZE];
        static char text[64 + PY_ADDR_MAX + PY_REPR_MAX(BUFSIZE)];
        struct sockaddr_in me, address;
        struct pybuf line;
        int sock = sc_socket(SOCK_DGRAM);

        sc_bind(sock, interface, port);
        sc_getsockname(sock, &me);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "Listening for datagrams at ");
        py_addr(&line, &me);
        out_line(&line);
        for (;;) {
                ssize_t n = sc_recvfrom(sock, data, sizeof(data), &address);

                if (n < 0)
                        py_die_errno("recvfrom", errno);
                py_puts(&line, "The client at ");
                py_addr(&line, &address);
                py_puts(&line, " says: ");
                py_repr_str(&line, data, (size_t)n);
                out_line(&line);
        }
}

static void client(const char *network, long port)
{
        static const char text[] = "Broadcast datagram!";
        struct sockaddr_in to;
        int sock = sc_socket(SOCK_DGRAM), on = 1;

        if (setsockopt(sock, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) != 0)
                py_die_errno("setsockopt(SO_BROADCAST)", errno);
        py_sockaddr("sendto", network, port, &to);
        if (sc_sendto(sock, text, strlen(text), &to) < 0)
                py_die_errno("sendto", errno);
}

int main(int argc, char **argv)
{
        static const struct fopnp_cli cli = {
            .description = "Send, receive UDP broadcast",
            .role_help = "which role to take",
            .host_help = "interface the server listens at; network the client sends to",
        };
        struct fopnp_args args;

        sc_init("udp_broadcast");
        fopnp_parse(&cli, argc, argv, &args);
        if (args.server)
                server(args.host, args.port);
        else
                client(args.host, args.port);
        return 0;
}
