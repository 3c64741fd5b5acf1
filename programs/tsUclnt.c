/*
 * tsUclnt: UDP timestamp client, a port of Chun's Example 16.4 (tsUclnt.py).
 * An unconnected socket: each line typed after the "> " prompt goes as one
 * datagram to the current target (first localhost:21567), the first
 * datagram to arrive from anyone is printed, and its sender becomes the
 * target for the next line, as the book rebinds ADDR.  An empty line or the
 * end of stdin ends it; with no server it waits forever.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "common.h"

#define HOST "localhost"
#define PORT 21567
#define BUFSIZ_ 1024

int main(int argc, char **argv)
{
        char data[BUFSIZ_], text[BUFSIZ_ + 1];
        struct sockaddr_in addr;
        bool resolved = false;
        struct pybuf reply;
        size_t len;
        ssize_t n;
        char *line;
        int sock;

        sc_init("tsUclnt");
        noargs_parse(
            argc, argv,
            "UDP timestamp client (Core Python Programming, Example 16.4): sends each\n"
            "line read from stdin after a \"> \" prompt as a datagram to localhost:21567,\n"
            "then to whoever answered last, and prints the reply.  An empty line or end\n"
            "of input ends it.");
        sock = sc_socket(SOCK_DGRAM);
        pybuf_init(&reply, text, sizeof(text));
        for (;;) {
                line = py_input("> ", &len);
                if (!line || len == 0)
                        break;
                /* Python resolves ADDR at the first sendto(), after the first prompt. */
                if (!resolved) {
                        py_sockaddr("sendto", HOST, PORT, &addr);
                        resolved = true;
                }
                if (sc_sendto(sock, line, len, &addr) < 0)
                        py_die_errno("sendto", errno);
                n = sc_recvfrom(sock, data, sizeof(data), &addr);
                if (n < 0)
                        py_die_errno("recvfrom", errno);
                if (n == 0)
                        break;
                py_put(&reply, data, (size_t)n);
                out_line(&reply);
        }
        sc_close(sock);
        return 0;
}
