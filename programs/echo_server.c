/*
 * echo_server: the one-shot TCP echo server of bogotobogo's "Network
 * Programming - Server & Client A: Basics" (echo_server.py).  Bound to
 * 0.0.0.0:12345 with a backlog of 1, it accepts a single connection, sends
 * back every byte it receives until the client closes, then exits 0.
 */
#include <errno.h>
#include <sys/socket.h>

#include "common.h"

#define PORT 12345

int main(int argc, char **argv)
{
        char data[1024], text[64 + PY_ADDR_MAX];
        struct sockaddr_in addr;
        struct pybuf line;
        int s, conn;
        ssize_t n;

        sc_init("echo_server");
        noargs_parse(argc, argv,
                     "Echo server (bogotobogo echo_server.py): listens on 0.0.0.0:12345, accepts\n"
                     "one connection, echoes everything it receives until the client closes,\n"
                     "then exits.");
        s = sc_socket(SOCK_STREAM);
        sc_bind(s, "", PORT);
        sc_listen(s, 1);
        conn = sc_accept(s, &addr);
        if (conn < 0)
                py_die_errno("accept", errno);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "Connected by ");
        py_addr(&line, &addr);
        out_line(&line);
        for (;;) {
                n = sc_recv(conn, data, sizeof(data), 0);
                if (n < 0)
                        py_die_errno("recv", errno);
                if (n == 0)
                        break;
                if (sc_sendall(conn, data, (size_t)n) < 0)
                        py_die_errno("sendall", errno);
        }
        sc_close(conn);
        return 0;
}
