/*
 * big_sender: send one large UDP datagram with fragmentation forbidden, a
 * port of FOPNP Listing 2-3 (big_sender.py).  With IP_MTU_DISCOVER set to
 * IP_PMTUDISC_DO the kernel refuses (EMSGSIZE) a datagram that exceeds the
 * path MTU instead of fragmenting it, and IP_MTU then reports that MTU.
 * The constants are Linux's numbers, which Python 3 (no IN module) uses too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

/* Canon: the size the book prints; the repository's later 999999 never fits. */
#define BIG 65000

static void send_big_datagram(const char *host, long port)
{
        static char big[BIG];
        int sock = sc_socket(SOCK_DGRAM);
        int opt = IP_PMTUDISC_DO, max_mtu;
        socklen_t len = sizeof(max_mtu);
        struct pybuf line;
        char text[64];

        if (setsockopt(sock, IPPROTO_IP, IP_MTU_DISCOVER, &opt, sizeof(opt)) != 0)
                py_die_errno("setsockopt(IP_MTU_DISCOVER)", errno);
        sc_connect(sock, host, port);
        memset(big, '#', sizeof(big));
        pybuf_init(&line, text, sizeof(text));
        /* The book catches any socket.error here, not only EMSGSIZE. */
        if (sc_send(sock, big, sizeof(big)) < 0) {
                py_puts(&line, "Alas, the datagram did not make it");
                out_line(&line);
                if (getsockopt(sock, IPPROTO_IP, IP_MTU, &max_mtu, &len) != 0)
                        py_die_errno("getsockopt(IP_MTU)", errno);
                py_printf(&line, "Actual MTU: %d", max_mtu);
                out_line(&line);
        } else {
                py_puts(&line, "The big datagram was sent!");
                out_line(&line);
        }
}

int main(int argc, char **argv)
{
        static const struct fopnp_cli cli = {
            .description = "Send UDP packet to get MTU",
            .host_help = "the host to which to target the packet",
        };
        struct fopnp_args args;

        sc_init("big_sender");
        fopnp_parse(&cli, argc, argv, &args);
        send_big_datagram(args.host, args.port);
        return 0;
}
