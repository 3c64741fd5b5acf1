/*
 * echo_client: the TCP echo client of bogotobogo's "Network Programming -
 * Server & Client A: Basics" (echo_client.py).  Connects to this host's name
 * on port 12345, sends "Hello, world", receives once (up to 1024 bytes),
 * closes first and prints the repr() of the bytes it got.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define PORT 12345

int main(int argc, char **argv)
{
        static const char hello[] = "Hello, world";
        char host[1025], data[1024], text[16 + PY_REPR_MAX(sizeof(data))];
        struct pybuf line;
        ssize_t n;
        int s;

        sc_init("echo_client");
        noargs_parse(
            argc, argv,
            "Echo client (bogotobogo echo_client.py): connects to port 12345 of the\n"
            "address gethostname() resolves to, sends \"Hello, world\", receives once and\n"
            "prints the repr() of what came back.");
        if (gethostname(host, sizeof(host) - 1) != 0)
                py_die_errno("gethostname", errno);
        host[sizeof(host) - 1] = '\0';
        s = sc_socket(SOCK_STREAM);
        sc_connect(s, host, PORT);
        if (sc_sendall(s, hello, strlen(hello)) < 0)
                py_die_errno("sendall", errno);
        n = sc_recv(s, data, sizeof(data), 0);
        if (n < 0)
                py_die_errno("recv", errno);
        sc_close(s);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "Received ");
        py_repr_bytes(&line, data, (size_t)n);
        out_line(&line);
        return 0;
}
