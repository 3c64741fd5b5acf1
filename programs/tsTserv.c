/*
 * tsTserv: TCP timestamp server, a port of Chun's Example 16.1 (tsTserv.py).
 * One client at a time on 0.0.0.0:21567; every chunk received (up to 1024
 * bytes) goes back as "[<ctime>] <chunk>", one reply per receive.  Unlike
 * the original, an error on one connection (a reset, say) only ends that
 * connection: the server goes back to accept.
 */
#include <err.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define PORT 21567
#define BUFSIZ_ 1024

/* accept(2)'s list of errors that belong to the pending connection, not to us. */
static bool transient(int e)
{
        return e == ECONNABORTED || e == EPROTO || e == ENETDOWN || e == ENOPROTOOPT ||
               e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH || e == EOPNOTSUPP ||
               e == ENETUNREACH || e == EPERM;
}

static void serve(int conn)
{
        static char data[BUFSIZ_];
        static char reply[3 + PY_CTIME_LEN + BUFSIZ_ + 1];
        struct pybuf out;

        pybuf_init(&out, reply, sizeof(reply));
        for (;;) {
                ssize_t n = sc_recv(conn, data, sizeof(data), 0);

                if (n < 0)
                        warn("recv");
                if (n <= 0)
                        return;
                pybuf_reset(&out);
                py_puts(&out, "[");
                py_ctime(&out, time(NULL));
                py_puts(&out, "] ");
                py_put(&out, data, (size_t)n);
                if (sc_sendall(conn, out.data, out.len) < 0) {
                        warn("send");
                        return;
                }
        }
}

int main(int argc, char **argv)
{
        static char text[64 + PY_ADDR_MAX];
        struct sockaddr_in addr;
        struct pybuf line;
        int sock, conn;

        sc_init("tsTserv");
        noargs_parse(
            argc, argv,
            "TCP timestamp server (Core Python Programming, Example 16.1): listens on\n"
            "0.0.0.0:21567 and sends every chunk it receives back as \"[<ctime>] <chunk>\".");
        sock = sc_socket(SOCK_STREAM);
        sc_bind(sock, "", PORT);
        sc_listen(sock, 5);
        pybuf_init(&line, text, sizeof(text));
        for (;;) {
                py_puts(&line, "waiting for connection...");
                out_line(&line);
                while ((conn = sc_accept(sock, &addr)) < 0) {
                        if (!transient(errno))
                                py_die_errno("accept", errno);
                        warn("accept");
                }
                py_puts(&line, "...connected from: ");
                py_addr(&line, &addr);
                out_line(&line);
                serve(conn);
                sc_close(conn);
        }
}
