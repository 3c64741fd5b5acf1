/*
 * tsUserv: UDP timestamp server, a port of Chun's Example 16.3 (tsUserv.py).
 * Bound to 0.0.0.0:21567, it returns every datagram (read with a 1024-byte
 * buffer, so longer ones are cut) to its sender as "[<ctime>] <data>", and
 * only then reports whom it answered.
 */
#include <err.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "common.h"

#define PORT 21567
#define BUFSIZ_ 1024

int main(int argc, char **argv)
{
        static char data[BUFSIZ_], reply[3 + PY_CTIME_LEN + BUFSIZ_ + 1];
        static char text[64 + PY_ADDR_MAX];
        struct sockaddr_in addr;
        struct pybuf line, out;
        int sock;

        sc_init("tsUserv");
        noargs_parse(
            argc, argv,
            "UDP timestamp server (Core Python Programming, Example 16.3): listens on\n"
            "0.0.0.0:21567 and returns every datagram to its sender as \"[<ctime>] <data>\".");
        sock = sc_socket(SOCK_DGRAM);
        sc_bind(sock, "", PORT);
        pybuf_init(&line, text, sizeof(text));
        pybuf_init(&out, reply, sizeof(reply));
        for (;;) {
                ssize_t n;

                py_puts(&line, "waiting for message...");
                out_line(&line);
                n = sc_recvfrom(sock, data, sizeof(data), &addr);
                if (n < 0)
                        py_die_errno("recvfrom", errno);
                pybuf_reset(&out);
                py_puts(&out, "[");
                py_ctime(&out, time(NULL));
                py_puts(&out, "] ");
                py_put(&out, data, (size_t)n);
                /* A lost reply is UDP's business, not a reason to stop serving. */
                if (sc_sendto(sock, out.data, out.len, &addr) < 0)
                        warn("sendto");
                py_puts(&line, "...received from and returned to: ");
                py_addr(&line, &addr);
                out_line(&line);
        }
}
