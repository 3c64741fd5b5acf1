/*
 * time_client: the time-of-day TCP client of bogotobogo's "Network
 * Programming - Server & Client A: Basics" (client.py).  Connects to this
 * host's name on port 9999, receives once (up to 1024 bytes), closes and
 * prints what came, its "\r\n" included.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define PORT 9999

int main(int argc, char **argv)
{
        char host[1025], tm[1024], text[64 + sizeof(tm)];
        struct pybuf line;
        ssize_t n;
        int s;

        sc_init("time_client");
        noargs_parse(argc, argv,
                     "Time client (bogotobogo client.py): connects to port 9999 of the address\n"
                     "gethostname() resolves to, receives once and prints the time it got.");
        s = sc_socket(SOCK_STREAM);
        if (gethostname(host, sizeof(host) - 1) != 0)
                py_die_errno("gethostname", errno);
        host[sizeof(host) - 1] = '\0';
        sc_connect(s, host, PORT);
        n = sc_recv(s, tm, sizeof(tm), 0);
        if (n < 0)
                py_die_errno("recv", errno);
        sc_close(s);
        pybuf_init(&line, text, sizeof(text));
        py_puts(&line, "The time got from the server is ");
        py_put(&line, tm, (size_t)n);
        out_line(&line);
        return 0;
}
