/*
 * common: what the twelve book programs share besides printing (pyfmt.h):
 * argparse-like command lines, dying the way an uncaught Python exception
 * does (message on stderr, last line "<Class>: <message>", exit 1), address
 * resolution with Python's special host names, and socket and stdout calls
 * that retry on EINTR.  Each program stays a direct transcription of its
 * listing; anything here exists because at least two programs need it.
 */
#ifndef SOCKCHECK_COMMON_H
#define SOCKCHECK_COMMON_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "pyfmt.h"

/* The program id, for usage lines and err(3)-style messages. */
extern const char *sc_prog;

/*
 * Names the program and sets the signal dispositions every program wants:
 * SIGINT and SIGTERM back to their default (a shell may start a background
 * server with SIGINT ignored) and unblocked, SIGPIPE ignored so a send to a
 * closed peer fails with EPIPE like Python's does.
 */
void sc_init(const char *prog);

/* --- Command lines ---------------------------------------------------- */

/* The argparse parser of a FOPNP listing: [{client,server}] [host] [-p PORT]. */
struct fopnp_cli {
        const char *description;
        const char *role_help; /* NULL: no {client,server} positional */
        const char *host_help; /* NULL: no host positional */
        const char *epilog;    /* NULL, or a paragraph at the end of --help */
};

struct fopnp_args {
        bool server;      /* role was "server" */
        const char *host; /* NULL when the parser has no host */
        long port;        /* as typed; the socket call range-checks it, as Python's does */
};

/* Parses like argparse: --help exits 0, a usage error prints usage and exits 2. */
void fopnp_parse(const struct fopnp_cli *cli, int argc, char **argv, struct fopnp_args *out);

/* For the programs that take no arguments: only -h/--help is accepted. */
void noargs_parse(int argc, char **argv, const char *description);

/* --- Dying like Python -------------------------------------------------- */

/* Prints "<cls>: <message>" as the last stderr line and exits 1. */
noreturn void py_die(const char *cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * An OSError from a socket call: "<prog>: <what>: <strerror>" then
 * "<Class>: [Errno N] <strerror>", Class chosen as Python 3 maps errno values
 * to OSError subclasses (ECONNREFUSED -> ConnectionRefusedError, ...).
 */
noreturn void py_die_errno(const char *what, int err);

/* Python's OSError subclass name for an errno value. */
const char *py_oserror_class(int err);

/* --- Sockets -------------------------------------------------------------- */

/*
 * Python's (host, port) -> sockaddr_in: '' is INADDR_ANY, '<broadcast>' is
 * INADDR_BROADCAST, anything else goes through getaddrinfo(AF_INET) and the
 * first answer wins.  call names the socket method for the range error
 * ("bind" -> "OverflowError: bind(): port must be 0-65535.").  Dies with
 * socket.gaierror when the name does not resolve.
 */
void py_sockaddr(const char *call, const char *host, long port, struct sockaddr_in *out);

/* socket(AF_INET, type) or die. */
int sc_socket(int type);
/* bind((host, port)) or die. */
void sc_bind(int fd, const char *host, long port);
/* connect((host, port)) or die; an interrupted TCP connect is waited for. */
void sc_connect(int fd, const char *host, long port);
/* listen(backlog) or die. */
void sc_listen(int fd, int backlog);
/* getsockname() or die. */
void sc_getsockname(int fd, struct sockaddr_in *out);

/*
 * The calls a program may want to survive: they retry on EINTR and return
 * what the system call returns (-1 with errno set on failure).
 */
int sc_accept(int fd, struct sockaddr_in *peer);
ssize_t sc_recv(int fd, void *buf, size_t n, int flags);
ssize_t sc_recvfrom(int fd, void *buf, size_t n, struct sockaddr_in *from);
ssize_t sc_send(int fd, const void *buf, size_t n);
ssize_t sc_sendto(int fd, const void *buf, size_t n, const struct sockaddr_in *to);
/* Python's sendall(): 0 once every byte is sent, -1 with errno otherwise. */
int sc_sendall(int fd, const void *buf, size_t n);
/* close(), which must not be retried on EINTR on Linux. */
void sc_close(int fd);

/* --- Standard output ---------------------------------------------------- */

/*
 * Writes bytes to stdout at once, unbuffered, so nothing is lost when a
 * signal ends a server; dies as print() would (BrokenPipeError...) on failure.
 */
void out_write(const void *bytes, size_t n);
/* Writes a pybuf's content and a newline (print()), then empties it. */
void out_line(struct pybuf *b);

/*
 * input(prompt): writes the prompt (no newline) to stdout, reads one line of
 * any length from stdin and returns it without its newline, *len bytes (it
 * may hold NUL bytes).  NULL at the end of input.  The storage is reused by
 * the next call.
 */
char *py_input(const char *prompt, size_t *len);

#endif
