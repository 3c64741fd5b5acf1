/*
 * common: command lines, Python-style fatal errors, address resolution and
 * EINTR-safe socket and stdout calls for the book programs (see common.h).
 * The argparse imitation covers what the FOPNP listings use: positionals with
 * choices, one "-p PORT" of type int, -h/--help, and argparse's messages and
 * exit statuses (0 for help, 2 for a usage error).
 */
#define _GNU_SOURCE /* accept4(), SOCK_CLOEXEC */
#include "common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

const char *sc_prog = "sockcheck";

void sc_init(const char *prog)
{
        sigset_t set;

        sc_prog = prog;
        if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
            signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                py_die_errno("signal", errno);
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        if (sigprocmask(SIG_UNBLOCK, &set, NULL) != 0)
                py_die_errno("sigprocmask", errno);
}

/* --- Command lines ------------------------------------------------------ */

static void fopnp_usage(const struct fopnp_cli *cli, FILE *f)
{
        fprintf(f, "usage: %s [-h] [-p PORT]%s%s\n", sc_prog,
                cli->role_help ? " {client,server}" : "", cli->host_help ? " host" : "");
}

static noreturn void usage_error(const struct fopnp_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static noreturn void usage_error(const struct fopnp_cli *cli, const char *fmt, ...)
{
        va_list ap;

        if (cli)
                fopnp_usage(cli, stderr);
        else
                fprintf(stderr, "usage: %s [-h]\n", sc_prog);
        fprintf(stderr, "%s: error: ", sc_prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(2);
}

static void help_row(const char *left, const char *right, int width)
{
        printf("  %-*s  %s\n", width, left, right);
}

static noreturn void fopnp_help(const struct fopnp_cli *cli)
{
        const int w = cli->role_help ? 15 : 10; /* widest of "{client,server}", "-h, --help" */

        fopnp_usage(cli, stdout);
        printf("\n%s\n\npositional arguments:\n", cli->description);
        if (cli->role_help)
                help_row("{client,server}", cli->role_help, w);
        if (cli->host_help)
                help_row("host", cli->host_help, w);
        printf("\noptions:\n");
        help_row("-h, --help", "show this help message and exit", w);
        help_row("-p PORT", "UDP port (default 1060)", w);
        if (cli->epilog)
                printf("\n%s\n", cli->epilog);
        exit(fflush(stdout) == 0 ? 0 : 1);
}

/* argparse accepts any unambiguous prefix of a long option: --h, --he, --hel. */
static bool is_help(const char *a)
{
        size_t n = strlen(a);

        return strcmp(a, "-h") == 0 || (n >= 3 && strncmp(a, "--help", n) == 0 && n <= 6);
}

/* argparse's test for "-5" or "-.5" (^-\d+$|^-\d*\.\d+$): a value, not an option. */
static bool looks_negative(const char *a)
{
        const char *s = a + 1;

        if (a[0] != '-')
                return false;
        while (isdigit((unsigned char)*s))
                s++;
        if (*s == '\0')
                return s > a + 1;
        if (*s++ != '.' || !isdigit((unsigned char)*s))
                return false;
        while (isdigit((unsigned char)*s))
                s++;
        return *s == '\0';
}

static bool is_option(const char *a)
{
        return a[0] == '-' && a[1] != '\0' && !looks_negative(a);
}

/*
 * Python's int(str): surrounding whitespace, a sign, digits with single
 * underscores between them.  Large values saturate: the socket call rejects
 * anything outside 0-65535 anyway.
 */
static bool py_int(const char *s, long *out)
{
        long v = 0;
        bool neg = false, digit = false;

        while (isspace((unsigned char)*s))
                s++;
        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        for (; *s; s++) {
                if (*s == '_' && digit && isdigit((unsigned char)s[1]))
                        continue;
                if (!isdigit((unsigned char)*s))
                        break;
                digit = true;
                if (v < 1000000000L)
                        v = v * 10 + (*s - '0');
        }
        while (isspace((unsigned char)*s))
                s++;
        if (!digit || *s)
                return false;
        *out = neg ? -v : v;
        return true;
}

static void set_port(const struct fopnp_cli *cli, const char *v, struct fopnp_args *out)
{
        if (!py_int(v, &out->port))
                usage_error(cli, "argument -p: invalid int value: '%s'", v);
}

void fopnp_parse(const struct fopnp_cli *cli, int argc, char **argv, struct fopnp_args *out)
{
        const char *role = NULL, *extra[64];
        bool dashdash = false;
        int i, nextra = 0;
        size_t len = 0;
        char joined[1024];

        out->server = false;
        out->host = NULL;
        out->port = 1060;
        for (i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!dashdash && strcmp(a, "--") == 0) {
                        dashdash = true;
                } else if (!dashdash && is_help(a)) {
                        fopnp_help(cli);
                } else if (!dashdash && strcmp(a, "-p") == 0) {
                        if (i + 1 >= argc || is_option(argv[i + 1]) ||
                            strcmp(argv[i + 1], "--") == 0)
                                usage_error(cli, "argument -p: expected one argument");
                        set_port(cli, argv[++i], out);
                } else if (!dashdash && strncmp(a, "-p", 2) == 0 && a[2] != '-') {
                        set_port(cli, a[2] == '=' ? a + 3 : a + 2, out); /* -p1060, -p=1060 */
                } else if (!dashdash && is_option(a)) {
                        if (nextra < (int)(sizeof(extra) / sizeof(extra[0])))
                                extra[nextra++] = a;
                } else if (cli->role_help && !role) {
                        if (strcmp(a, "client") != 0 && strcmp(a, "server") != 0)
                                usage_error(cli,
                                            "argument role: invalid choice: '%s' (choose from "
                                            "'client', 'server')",
                                            a);
                        role = a;
                        out->server = strcmp(a, "server") == 0;
                } else if (cli->host_help && !out->host) {
                        out->host = a;
                } else if (nextra < (int)(sizeof(extra) / sizeof(extra[0]))) {
                        extra[nextra++] = a;
                }
        }
        if (cli->role_help && !role)
                usage_error(cli, "the following arguments are required: %s",
                            cli->host_help && !out->host ? "role, host" : "role");
        if (cli->host_help && !out->host)
                usage_error(cli, "the following arguments are required: host");
        if (nextra > 0) {
                joined[0] = '\0';
                for (i = 0; i < nextra && len + strlen(extra[i]) + 2 < sizeof(joined); i++)
                        len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s",
                                                i ? " " : "", extra[i]);
                usage_error(cli, "unrecognized arguments: %s", joined);
        }
}

void noargs_parse(int argc, char **argv, const char *description)
{
        char joined[1024];
        size_t len = 0;
        int i;

        if (argc < 2)
                return;
        if (is_help(argv[1])) {
                printf("usage: %s [-h]\n\n%s\n\noptions:\n  -h, --help  show this help message "
                       "and exit\n",
                       sc_prog, description);
                exit(fflush(stdout) == 0 ? 0 : 1);
        }
        joined[0] = '\0';
        for (i = 1; i < argc && len + strlen(argv[i]) + 2 < sizeof(joined); i++)
                len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s",
                                        i > 1 ? " " : "", argv[i]);
        usage_error(NULL, "unrecognized arguments: %s", joined);
}

/* --- Dying like Python ---------------------------------------------------- */

noreturn void py_die(const char *cls, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", cls);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

const char *py_oserror_class(int err)
{
        /* PEP 3151's table, as Python 3 applies it to socket errors. */
        switch (err) {
        case ECONNREFUSED:
                return "ConnectionRefusedError";
        case ECONNRESET:
                return "ConnectionResetError";
        case ECONNABORTED:
                return "ConnectionAbortedError";
        case EPIPE:
        case ESHUTDOWN:
                return "BrokenPipeError";
        case EACCES:
        case EPERM:
                return "PermissionError";
        case ETIMEDOUT:
                return "TimeoutError";
        case EAGAIN:
        case EALREADY:
        case EINPROGRESS:
                return "BlockingIOError";
        case EINTR:
                return "InterruptedError";
        case ENOENT:
                return "FileNotFoundError";
        default:
                return "OSError";
        }
}

noreturn void py_die_errno(const char *what, int err)
{
        fprintf(stderr, "%s: %s: %s\n", sc_prog, what, strerror(err));
        py_die(py_oserror_class(err), "[Errno %d] %s", err, strerror(err));
}

/* --- Sockets ---------------------------------------------------------------- */

void py_sockaddr(const char *call, const char *host, long port, struct sockaddr_in *out)
{
        struct addrinfo hints = {.ai_family = AF_INET}, *res;
        int rc;

        memset(out, 0, sizeof(*out));
        out->sin_family = AF_INET;
        if (host[0] == '\0') {
                out->sin_addr.s_addr = htonl(INADDR_ANY);
        } else if (strcmp(host, "<broadcast>") == 0) {
                out->sin_addr.s_addr = htonl(INADDR_BROADCAST);
        } else {
                rc = getaddrinfo(host, NULL, &hints, &res);
                if (rc == EAI_SYSTEM)
                        py_die_errno("getaddrinfo", errno);
                if (rc != 0) {
                        fprintf(stderr, "%s: %s: %s\n", sc_prog, host, gai_strerror(rc));
                        py_die("socket.gaierror", "[Errno %d] %s", rc, gai_strerror(rc));
                }
                out->sin_addr = ((const struct sockaddr_in *)res->ai_addr)->sin_addr;
                freeaddrinfo(res);
        }
        /* Python resolves first and range-checks the port second. */
        if (port < 0 || port > 65535)
                py_die("OverflowError", "%s(): port must be 0-65535.", call);
        out->sin_port = htons((uint16_t)port);
}

int sc_socket(int type)
{
        /* Python creates every socket close-on-exec. */
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

        if (fd < 0)
                py_die_errno("socket", errno);
        return fd;
}

void sc_bind(int fd, const char *host, long port)
{
        struct sockaddr_in sin;

        py_sockaddr("bind", host, port, &sin);
        if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0)
                py_die_errno("bind", errno);
}

void sc_connect(int fd, const char *host, long port)
{
        struct sockaddr_in sin;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        socklen_t len = sizeof(int);
        int err;

        py_sockaddr("connect", host, port, &sin);
        if (connect(fd, (const struct sockaddr *)&sin, sizeof(sin)) == 0)
                return;
        if (errno != EINTR)
                py_die_errno("connect", errno);
        /* An interrupted connect goes on in the background; wait for its verdict. */
        while (poll(&pfd, 1, -1) < 0)
                if (errno != EINTR)
                        py_die_errno("poll", errno);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                py_die_errno("getsockopt", errno);
        if (err != 0)
                py_die_errno("connect", err);
}

void sc_listen(int fd, int backlog)
{
        if (listen(fd, backlog) != 0)
                py_die_errno("listen", errno);
}

void sc_getsockname(int fd, struct sockaddr_in *out)
{
        socklen_t len = sizeof(*out);

        if (getsockname(fd, (struct sockaddr *)out, &len) != 0)
                py_die_errno("getsockname", errno);
}

int sc_accept(int fd, struct sockaddr_in *peer)
{
        socklen_t len;
        int c;

        do {
                len = sizeof(*peer);
                c = accept4(fd, (struct sockaddr *)peer, &len, SOCK_CLOEXEC);
        } while (c < 0 && errno == EINTR);
        return c;
}

ssize_t sc_recv(int fd, void *buf, size_t n, int flags)
{
        ssize_t r;

        do
                r = recv(fd, buf, n, flags);
        while (r < 0 && errno == EINTR);
        return r;
}

ssize_t sc_recvfrom(int fd, void *buf, size_t n, struct sockaddr_in *from)
{
        socklen_t len;
        ssize_t r;

        do {
                len = sizeof(*from);
                r = recvfrom(fd, buf, n, 0, (struct sockaddr *)from, &len);
        } while (r < 0 && errno == EINTR);
        return r;
}

ssize_t sc_send(int fd, const void *buf, size_t n)
{
        ssize_t r;

        do
                r = send(fd, buf, n, 0);
        while (r < 0 && errno == EINTR);
        return r;
}

ssize_t sc_sendto(int fd, const void *buf, size_t n, const struct sockaddr_in *to)
{
        ssize_t r;

        do
                r = sendto(fd, buf, n, 0, (const struct sockaddr *)to, sizeof(*to));
        while (r < 0 && errno == EINTR);
        return r;
}

int sc_sendall(int fd, const void *buf, size_t n)
{
        const char *p = buf;

        while (n > 0) {
                ssize_t r = sc_send(fd, p, n);

                if (r < 0)
                        return -1;
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

void sc_close(int fd)
{
        /* On Linux the descriptor is gone even when close() reports EINTR. */
        if (close(fd) != 0 && errno != EINTR)
                py_die_errno("close", errno);
}

/* --- Standard output -------------------------------------------------------- */

static void write_all(const struct iovec *iov, int n)
{
        struct iovec v[2];
        int i;

        for (i = 0; i < n; i++)
                v[i] = iov[i];
        for (i = 0; i < n;) {
                ssize_t r = writev(STDOUT_FILENO, v + i, n - i);

                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        py_die_errno("write to stdout", errno);
                }
                for (; i < n && (size_t)r >= v[i].iov_len; i++)
                        r -= (ssize_t)v[i].iov_len;
                if (i < n) {
                        v[i].iov_base = (char *)v[i].iov_base + r;
                        v[i].iov_len -= (size_t)r;
                }
        }
}

void out_write(const void *bytes, size_t n)
{
        struct iovec v = {.iov_base = (void *)bytes, .iov_len = n};

        write_all(&v, 1);
}

void out_line(struct pybuf *b)
{
        /* One writev per line: a reader of a pipe sees whole lines. */
        struct iovec v[2] = {{.iov_base = b->data, .iov_len = b->len},
                             {.iov_base = "\n", .iov_len = 1}};

        write_all(v, 2);
        pybuf_reset(b);
}

char *py_input(const char *prompt, size_t *len)
{
        static char *line;
        static size_t cap;
        ssize_t n;

        out_write(prompt, strlen(prompt));
        errno = 0;
        n = getline(&line, &cap, stdin);
        if (n < 0) {
                if (ferror(stdin))
                        py_die_errno("read from stdin", errno ? errno : EIO);
                return NULL;
        }
        if (n > 0 && line[n - 1] == '\n')
                n--;
        *len = (size_t)n;
        return line;
}
