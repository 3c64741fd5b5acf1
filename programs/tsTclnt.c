/*
 * tsTclnt: TCP timestamp client, a port of Chun's Example 16.2 (tsTclnt.py).
 * Connects to localhost:21567, then for each line typed after the "> "
 * prompt sends the line (without its newline), receives once (up to 1024
 * bytes) and prints the reply.  An empty line ends it; so does the end of
 * stdin (canon: the original dies with EOFError there), or the server closing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "common.h"

#define HOST "localhost"
#define PORT 21567
#define BUFSIZ_ 1024

int main(int argc, char **argv)
{
        char data[BUFSIZ_], text[BUFSIZ_ + 1];
        struct pybuf reply;
        size_t len;
        ssize_t n;
        char *line;
        int sock;

        sc_init("tsTclnt");
        noargs_parse(argc, argv,
                     "TCP timestamp client (Core Python Programming, Example 16.2): connects to\n"
                     "localhost:21567, sends each line read from stdin after a \"> \" prompt and\n"
                     "prints the timestamped reply.  An empty line or end of input ends it.");
        sock = sc_socket(SOCK_STREAM);
        sc_connect(sock, HOST, PORT);
        pybuf_init(&reply, text, sizeof(text));
        for (;;) {
                line = py_input("> ", &len);
                if (!line || len == 0)
                        break;
                if (sc_sendall(sock, line, len) < 0)
                        py_die_errno("send", errno);
                n = sc_recv(sock, data, sizeof(data), 0);
                if (n < 0)
                        py_die_errno("recv", errno);
                if (n == 0)
                        break;
                py_put(&reply, data, (size_t)n);
                out_line(&reply);
        }
        sc_close(sock);
        return 0;
}
