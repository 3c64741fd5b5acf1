/*
 * peer.c - sc-peer, the scripted partners that clients are tested against.
 * The harness runs it inside a lab host like any program under test.
 *
 *   sc-peer udp PORT [--silent] [--after MS] [--nth N] [--from-port P]
 *                    [--reply TEXT] [--count N]
 *       UDP on PORT.  By default answers every datagram at once with
 *       "Your data was N bytes long" (the book's servers' reply).
 *       --silent never answers; --after waits MS before answering;
 *       --nth answers only the Nth datagram; --from-port answers from a
 *       second socket bound to P (a reply the client did not ask for);
 *       --spoof-port P first answers "Spoofed reply" from a socket bound
 *       to P, then the real reply from PORT (after --after MS);
 *       --count exits 0 after N datagrams.  Datagrams that arrive at the
 *       --from-port socket are logged as `recv-other mono=... port=P len=N`.
 *   sc-peer tcp PORT [--reply TEXT] [--close first|last] [--no-read] [--dual-stack]
 *       Accepts one connection; reads once (unless --no-read), answers
 *       TEXT, then closes at once (first) or after the client has closed
 *       (last, the default), and exits 0.
 *   sc-peer ping HOST PORT N   (for the benchmark) N UDP round trips,
 *       prints each round-trip time in microseconds, one per line.
 *   sc-peer send HOST PORT [--broadcast] [--df] [--size N] [--count N]
 *                          [--interval MS] [--text T]
 *       Sends datagrams (numbered "1", "2", ... unless --text); on a send
 *       error prints `error errno=N (text) mtu=M` and exits 1.
 *   sc-peer whoami   prints `hostname=H addr=A`, A being what the
 *       host's resolver makes of gethostname().
 *   sc-peer udp-client HOST PORT [--wait MS] [--until-reply] MSG...
 *       From one unconnected socket, sends each MSG as a datagram and waits
 *       up to MS (default 1000) for a datagram from anyone, logged as
 *       `reply mono=... from=ip:port len=N data=<hex>`, or `noreply`.
 *       --until-reply: stops after the first reply (retries of one question).
 *   sc-peer tcp-client HOST PORT [--wait MS] [--reset] [--expect-eof]
 *                      [--echo-bytes N] MSG...
 *       Connects (`connected local=ip:port`), sends each MSG and reads once
 *       (`reply ...`/`noreply`).  Then closes (`closed`), or with --reset
 *       aborts with an RST, or with --expect-eof waits for the server to
 *       close first (`eof mono=...` or `noeof`).  --echo-bytes sends N
 *       pattern bytes while reading, half-closes, reads to the end and
 *       prints `echo sent=N received=M intact=0|1`.
 * A MSG may use \n \r \t \\ and \xNN escapes; @N:C stands for N bytes of C.
 *
 * Every datagram or chunk received is logged on stdout as one line:
 *   recv mono=<CLOCK_MONOTONIC seconds> from=<ip>:<port> len=<n> data=<hex>
 * and every reply as `sent mono=... to=... len=...`, flushed at once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
        fprintf(stderr, "sc-peer: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void log_io(const char *verb, const struct sockaddr_in *a, const uint8_t *d, size_t n)
{
        char ip[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        printf("%s mono=%.6f %s=%s:%u len=%zu", verb, mono(), *verb == 'r' ? "from" : "to", ip,
               ntohs(a->sin_port), n);
        if (*verb == 'r') {
                printf(" data=");
                for (size_t i = 0; i < n; i++)
                        printf("%02x", d[i]);
        }
        printf("\n");
        fflush(stdout);
}

static int bound_socket(int type, unsigned port)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        int fd = socket(AF_INET, type, 0);

        if (fd < 0)
                die("socket");
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
                die("bind");
        return fd;
}

static int run_udp(unsigned port, int argc, char **argv)
{
        bool silent = false;
        long after_ms = 0, nth = 0, count = 0, seen = 0;
        unsigned from_port = 0, spoof_port = 0;
        const char *reply = NULL;
        static uint8_t buf[65536];
        int fd, out, spoof;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--silent") == 0)
                        silent = true;
                else if (strcmp(argv[i], "--after") == 0 && i + 1 < argc)
                        after_ms = atol(argv[++i]);
                else if (strcmp(argv[i], "--nth") == 0 && i + 1 < argc)
                        nth = atol(argv[++i]);
                else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
                        count = atol(argv[++i]);
                else if (strcmp(argv[i], "--from-port") == 0 && i + 1 < argc)
                        from_port = (unsigned)atoi(argv[++i]);
                else if (strcmp(argv[i], "--spoof-port") == 0 && i + 1 < argc)
                        spoof_port = (unsigned)atoi(argv[++i]);
                else if (strcmp(argv[i], "--reply") == 0 && i + 1 < argc)
                        reply = argv[++i];
                else {
                        fprintf(stderr, "usage: sc-peer udp PORT [options]: bad '%s'\n", argv[i]);
                        return 2;
                }
        }
        fd = bound_socket(SOCK_DGRAM, port);
        out = from_port ? bound_socket(SOCK_DGRAM, from_port) : fd;
        spoof = spoof_port ? bound_socket(SOCK_DGRAM, spoof_port) : -1;
        for (;;) {
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = out, .events = POLLIN}};
                int nfds = out != fd ? 2 : 1, rfd;
                ssize_t n;
                char text[128];
                const char *r;

                /* With --from-port, datagrams sent to the other socket are logged too. */
                if (poll(pf, (nfds_t)nfds, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        die("poll");
                }
                rfd = (pf[0].revents & POLLIN) ? fd : out;
                n = recvfrom(rfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        die("recvfrom");
                if (rfd == out && out != fd) {
                        printf("recv-other mono=%.6f port=%u len=%zd\n", mono(), from_port, n);
                        fflush(stdout);
                        continue;
                }
                seen++;
                log_io("recv", &from, buf, (size_t)n);
                if (!silent && (!nth || seen == nth)) {
                        if (spoof >= 0) {
                                static const char sp[] = "Spoofed reply";

                                if (sendto(spoof, sp, sizeof(sp) - 1, 0, (struct sockaddr *)&from,
                                           fl) < 0)
                                        die("sendto (spoof)");
                                log_io("sent", &from, NULL, sizeof(sp) - 1);
                        }
                        if (after_ms > 0) {
                                struct timespec ts = {after_ms / 1000, (after_ms % 1000) * 1000000};

                                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                                        ;
                        }
                        snprintf(text, sizeof(text), "Your data was %zd bytes long", n);
                        r = reply ? reply : text;
                        if (sendto(out, r, strlen(r), 0, (struct sockaddr *)&from, fl) < 0)
                                die("sendto");
                        log_io("sent", &from, NULL, strlen(r));
                }
                if (count && seen >= count)
                        return 0;
        }
}

static int run_tcp(unsigned port, int argc, char **argv)
{
        const char *reply = "", *close_mode = "last";
        bool do_read = true, dual = false;
        static uint8_t buf[65536];
        struct sockaddr_in from = {.sin_family = AF_INET};
        struct sockaddr_in6 from6;
        socklen_t fl = sizeof(from6);
        int ls, c;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--reply") == 0 && i + 1 < argc)
                        reply = argv[++i];
                else if (strcmp(argv[i], "--close") == 0 && i + 1 < argc)
                        close_mode = argv[++i];
                else if (strcmp(argv[i], "--no-read") == 0)
                        do_read = false;
                else if (strcmp(argv[i], "--dual-stack") == 0)
                        dual = true; /* one IPv6 socket on [::] that takes IPv4 too */
                else {
                        fprintf(stderr, "usage: sc-peer tcp PORT [options]: bad '%s'\n", argv[i]);
                        return 2;
                }
        }
        if (dual) {
                struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
                int off = 0;

                ls = socket(AF_INET6, SOCK_STREAM, 0);
                if (ls < 0 || setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
                        die("socket");
                if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0)
                        die("bind");
        } else {
                ls = bound_socket(SOCK_STREAM, port);
        }
        if (listen(ls, 5) < 0)
                die("listen");
        c = accept(ls, (struct sockaddr *)&from6, &fl);
        if (c < 0)
                die("accept");
        if (from6.sin6_family == AF_INET6) { /* an IPv4 peer as ::ffff:a.b.c.d */
                memcpy(&from.sin_addr, &from6.sin6_addr.s6_addr[12], 4);
                from.sin_port = from6.sin6_port;
        } else {
                memcpy(&from, &from6, sizeof(from));
        }
        printf("accepted mono=%.6f\n", mono());
        if (do_read) {
                ssize_t n = recv(c, buf, sizeof(buf), 0);

                if (n > 0)
                        log_io("recv", &from, buf, (size_t)n);
        }
        if (*reply) {
                if (send(c, reply, strlen(reply), MSG_NOSIGNAL) < 0)
                        die("send");
                log_io("sent", &from, NULL, strlen(reply));
        }
        if (strcmp(close_mode, "last") == 0) {
                ssize_t n;

                while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
                        log_io("recv", &from, buf, (size_t)n);
        }
        close(c);
        printf("closed mono=%.6f\n", mono());
        fflush(stdout);
        return 0;
}

static int run_ping(const char *host, unsigned port, long n)
{
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        char buf[64];

        if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1)
                die("ping target");
        if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
                die("connect");
        for (long i = 0; i < n; i++) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                double t0 = mono();

                if (send(fd, "ping", 4, 0) < 0)
                        die("send");
                if (poll(&p, 1, 5000) <= 0 || recv(fd, buf, sizeof(buf), 0) < 0) {
                        printf("lost\n");
                        continue;
                }
                printf("%.1f\n", (mono() - t0) * 1e6);
        }
        fflush(stdout);
        return 0;
}

static int run_send(const char *host, unsigned port, int argc, char **argv)
{
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        long size = -1, count = 1, interval_ms = 0;
        const char *text = NULL;
        bool broadcast = false, df = false;
        static char buf[65536];
        int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--broadcast") == 0)
                        broadcast = true;
                else if (strcmp(argv[i], "--df") == 0)
                        df = true;
                else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
                        size = atol(argv[++i]);
                else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
                        count = atol(argv[++i]);
                else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc)
                        interval_ms = atol(argv[++i]);
                else if (strcmp(argv[i], "--text") == 0 && i + 1 < argc)
                        text = argv[++i];
                else {
                        fprintf(stderr, "usage: sc-peer send HOST PORT [options]: bad '%s'\n",
                                argv[i]);
                        return 2;
                }
        }
        if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1 || size >= (long)sizeof(buf))
                die("send target");
        if (broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
                die("SO_BROADCAST");
        if (df) {
                int v = IP_PMTUDISC_DO;

                if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)) < 0)
                        die("IP_MTU_DISCOVER");
                if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
                        die("connect");
        }
        for (long i = 1; i <= count; i++) {
                size_t n;

                if (size >= 0) {
                        memset(buf, '#', (size_t)size);
                        n = (size_t)size;
                } else if (text) {
                        n = (size_t)snprintf(buf, sizeof(buf), "%s", text);
                } else {
                        n = (size_t)snprintf(buf, sizeof(buf), "%ld", i);
                }
                if (sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
                        int e = errno, mtu = 0;
                        socklen_t ml = sizeof(mtu);

                        getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &ml);
                        printf("error errno=%d (%s) mtu=%d\n", e, strerror(e), mtu);
                        return 1;
                }
                printf("sent mono=%.6f len=%zu\n", mono(), n);
                if (interval_ms > 0 && i < count) {
                        struct timespec ts = {interval_ms / 1000, (interval_ms % 1000) * 1000000};

                        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                                ;
                }
        }
        return 0;
}

/* Decodes a MSG argument (see the top comment) into buf; returns its length. */
static size_t decode_msg(const char *arg, uint8_t *buf, size_t cap)
{
        size_t n = 0;
        long count;
        char *end;

        if (arg[0] == '@' && (count = strtol(arg + 1, &end, 10)) >= 0 && *end == ':' && end[1]) {
                n = (size_t)count < cap ? (size_t)count : cap;
                memset(buf, end[1], n);
                return n;
        }
        for (const char *a = arg; *a && n < cap; a++) {
                unsigned v;

                if (*a != '\\' || !a[1]) {
                        buf[n++] = (uint8_t)*a;
                        continue;
                }
                a++;
                switch (*a) {
                case 'n': buf[n++] = '\n'; break;
                case 'r': buf[n++] = '\r'; break;
                case 't': buf[n++] = '\t'; break;
                case 'x':
                        if (sscanf(a + 1, "%2x", &v) == 1) {
                                buf[n++] = (uint8_t)v;
                                a += 2;
                        }
                        break;
                default: buf[n++] = (uint8_t)*a; break;
                }
        }
        return n;
}

static bool wait_readable(int fd, long ms)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};

        return poll(&p, 1, (int)ms) > 0;
}

static int run_udp_client(const char *host, unsigned port, int argc, char **argv)
{
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        static uint8_t buf[65536], in[65536];
        long wait_ms = 1000;
        bool until_reply = false;
        int fd = socket(AF_INET, SOCK_DGRAM, 0), i = 0;

        if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1)
                die("udp-client target");
        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
                        wait_ms = atol(argv[++i]);
                } else if (strcmp(argv[i], "--until-reply") == 0) {
                        until_reply = true;
                } else {
                        fprintf(stderr, "usage: sc-peer udp-client: bad '%s'\n", argv[i]);
                        return 2;
                }
        }
        for (; i < argc; i++) {
                size_t n = decode_msg(argv[i], buf, sizeof(buf));

                if (sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
                        die("sendto");
                log_io("sent", &to, NULL, n);
                if (!wait_readable(fd, wait_ms)) {
                        printf("noreply mono=%.6f\n", mono());
                        continue;
                }
                {
                        struct sockaddr_in from;
                        socklen_t fl = sizeof(from);
                        ssize_t r = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);

                        if (r < 0)
                                die("recvfrom");
                        log_io("reply", &from, in, (size_t)r);
                }
                if (until_reply)
                        break; /* the rest were only there in case this went unanswered */
        }
        return 0;
}

static uint8_t pattern(size_t i)
{
        return (uint8_t)(i * 7 % 251);
}

/*
 * Sends n pattern bytes while reading the echo.  It half-closes only once
 * everything came back, or nothing more came for wait_ms: the order of the
 * close is then the same every run, and an echo that stops short still
 * ends.  Reads to the end and reports whether all came back intact.
 */
static int echo_bytes(int fd, size_t n, long wait_ms)
{
        static uint8_t out[65536], in[65536];
        size_t sent = 0, got = 0;
        bool intact = true, half_closed = false;

        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN | (sent < n ? POLLOUT : 0)};
                int ready;
                ssize_t r;

                /* All came back: half-close now, not after wait_ms of silence. */
                if (got == n && !half_closed) {
                        shutdown(fd, SHUT_WR);
                        half_closed = true;
                }
                ready = poll(&p, 1, (int)wait_ms);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready <= 0) {
                        if (half_closed)
                                break; /* no end came after the half-close */
                        shutdown(fd, SHUT_WR);
                        half_closed = true;
                        continue;
                }
                if (p.revents & POLLOUT) {
                        size_t chunk = n - sent < sizeof(out) ? n - sent : sizeof(out);

                        for (size_t i = 0; i < chunk; i++)
                                out[i] = pattern(sent + i);
                        r = send(fd, out, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
                        if (r > 0)
                                sent += (size_t)r;
                        else if (r < 0 && errno != EAGAIN)
                                break;
                }
                if (p.revents & (POLLIN | POLLHUP)) {
                        r = recv(fd, in, sizeof(in), MSG_DONTWAIT);
                        if (r == 0)
                                break;
                        if (r < 0 && errno != EAGAIN)
                                break;
                        for (ssize_t i = 0; i < r; i++)
                                intact &= in[i] == pattern(got + (size_t)i);
                        if (r > 0)
                                got += (size_t)r;
                }
        }
        printf("echo sent=%zu received=%zu intact=%d\n", sent, got, intact && got == n);
        return 0;
}

static int run_tcp_client(const char *host, unsigned port, int argc, char **argv)
{
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)}, me;
        socklen_t ml = sizeof(me);
        static uint8_t buf[65536], in[65536];
        long wait_ms = 1000, echo_n = -1;
        bool reset = false, expect_eof = false;
        int fd = socket(AF_INET, SOCK_STREAM, 0), i;
        char ip[INET_ADDRSTRLEN];

        if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1)
                die("tcp-client target");
        for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
                        wait_ms = atol(argv[++i]);
                else if (strcmp(argv[i], "--reset") == 0)
                        reset = true;
                else if (strcmp(argv[i], "--expect-eof") == 0)
                        expect_eof = true;
                else if (strcmp(argv[i], "--echo-bytes") == 0 && i + 1 < argc)
                        echo_n = atol(argv[++i]);
                else {
                        fprintf(stderr, "usage: sc-peer tcp-client: bad '%s'\n", argv[i]);
                        return 2;
                }
        }
        if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
                die("connect");
        getsockname(fd, (struct sockaddr *)&me, &ml);
        inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip));
        printf("connected mono=%.6f local=%s:%u\n", mono(), ip, ntohs(me.sin_port));
        if (echo_n >= 0)
                return echo_bytes(fd, (size_t)echo_n, wait_ms);
        for (; i < argc; i++) {
                size_t n = decode_msg(argv[i], buf, sizeof(buf));
                ssize_t r;

                if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
                        die("send");
                log_io("sent", &to, NULL, n);
                if (!wait_readable(fd, wait_ms)) {
                        printf("noreply mono=%.6f\n", mono());
                        continue;
                }
                r = recv(fd, in, sizeof(in), 0);
                if (r < 0)
                        die("recv");
                if (r == 0)
                        printf("eof mono=%.6f\n", mono());
                else
                        log_io("reply", &to, in, (size_t)r);
        }
        if (reset) {
                struct linger l = {.l_onoff = 1, .l_linger = 0};

                setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
                close(fd);
                printf("reset mono=%.6f\n", mono());
                return 0;
        }
        if (expect_eof) {
                ssize_t r;

                if (!wait_readable(fd, wait_ms)) {
                        printf("noeof mono=%.6f\n", mono());
                        return 0;
                }
                while ((r = recv(fd, in, sizeof(in), 0)) > 0)
                        log_io("reply", &to, in, (size_t)r);
                printf("%s mono=%.6f\n", r == 0 ? "eof" : "error", mono());
        }
        close(fd);
        printf("closed mono=%.6f\n", mono());
        return 0;
}

static int run_whoami(void)
{
        char name[256];
        struct addrinfo hints = {.ai_family = AF_INET}, *res;
        char ip[INET_ADDRSTRLEN] = "?";

        if (gethostname(name, sizeof(name)) < 0)
                die("gethostname");
        if (getaddrinfo(name, NULL, &hints, &res) == 0) {
                inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof(ip));
                freeaddrinfo(res);
        }
        printf("hostname=%s addr=%s\n", name, ip);
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc >= 3 && strcmp(argv[1], "udp") == 0)
                return run_udp((unsigned)atoi(argv[2]), argc - 3, argv + 3);
        if (argc >= 3 && strcmp(argv[1], "tcp") == 0)
                return run_tcp((unsigned)atoi(argv[2]), argc - 3, argv + 3);
        if (argc >= 4 && strcmp(argv[1], "send") == 0)
                return run_send(argv[2], (unsigned)atoi(argv[3]), argc - 4, argv + 4);
        if (argc >= 4 && strcmp(argv[1], "udp-client") == 0)
                return run_udp_client(argv[2], (unsigned)atoi(argv[3]), argc - 4, argv + 4);
        if (argc >= 4 && strcmp(argv[1], "tcp-client") == 0)
                return run_tcp_client(argv[2], (unsigned)atoi(argv[3]), argc - 4, argv + 4);
        if (argc == 2 && strcmp(argv[1], "whoami") == 0)
                return run_whoami();
        if (argc == 5 && strcmp(argv[1], "ping") == 0)
                return run_ping(argv[2], (unsigned)atoi(argv[3]), atol(argv[4]));
        fprintf(stderr, "usage: sc-peer udp PORT [--silent] [--after MS] [--nth N] "
                        "[--from-port P] [--reply TEXT] [--count N]\n"
                        "       sc-peer tcp PORT [--reply TEXT] [--close first|last] [--no-read]\n"
                        "                        [--dual-stack]\n"
                        "       sc-peer ping HOST PORT N\n"
                        "       sc-peer send HOST PORT [--broadcast] [--df] [--size N] [--count N] "
                        "[--interval MS] [--text T]\n"
                        "       sc-peer udp-client HOST PORT [--wait MS] [--until-reply] MSG...\n"
                        "       sc-peer tcp-client HOST PORT [--wait MS] [--reset] [--expect-eof] "
                        "[--echo-bytes N] MSG...\n"
                        "       sc-peer whoami\n");
        return 2;
}
