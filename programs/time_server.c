/*
 * time_server: the time-of-day TCP server of bogotobogo's "Network
 * Programming - Server & Client A: Basics" (server.py).  Bound to this
 * host's name on port 9999, it sends each client "<ctime>\r\n" and closes
 * at once, so the server closes first and never reads.  A client that is
 * already gone costs a warning, not the server.
 */
#include <err.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define PORT 9999

int main(int argc, char **argv)
{
        char host[1025], now[PY_CTIME_LEN + 3], text[64 + PY_ADDR_MAX];
        struct pybuf line, current_time;
        struct sockaddr_in addr;
        int sock, conn;

        sc_init("time_server");
        noargs_parse(
            argc, argv,
            "Time server (bogotobogo server.py): listens on port 9999 of the address\n"
            "gethostname() resolves to, sends each client the ctime() and \"\\r\\n\", and\n"
            "closes the connection at once.");
        sock = sc_socket(SOCK_STREAM);
        if (gethostname(host, sizeof(host) - 1) != 0)
                py_die_errno("gethostname", errno);
        host[sizeof(host) - 1] = '\0';
        sc_bind(sock, host, PORT);
        sc_listen(sock, 5);
        pybuf_init(&line, text, sizeof(text));
        pybuf_init(&current_time, now, sizeof(now));
        for (;;) {
                conn = sc_accept(sock, &addr);
                if (conn < 0) {
                        /* The connection died in the queue: there is nobody to serve. */
                        if (errno != ECONNABORTED && errno != EPROTO)
                                py_die_errno("accept", errno);
                        warn("accept");
                        continue;
                }
                py_puts(&line, "Got a connection from ");
                py_addr(&line, &addr);
                out_line(&line);
                pybuf_reset(&current_time);
                py_ctime(&current_time, time(NULL));
                py_puts(&current_time, "\r\n");
                if (sc_send(conn, current_time.data, current_time.len) < 0)
                        warn("send");
                sc_close(conn);
        }
}
