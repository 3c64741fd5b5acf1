/*
 * util.c - the small things every part of the harness needs: the error
 * string, the mode probe, the seed, the evidence root, files and clocks.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SC_DEFAULT_EVIDENCE
#define SC_DEFAULT_EVIDENCE "evidence"
#endif

static _Thread_local char errbuf[1024];

const char *sc_error(void)
{
        return errbuf[0] ? errbuf : "no error";
}

int sc_fail(int err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
        va_end(ap);
        return -(err ? err : EIO);
}

double sc_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sc_nap(double s)
{
        struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

void sc_ip_str(uint32_t addr, char out[INET_ADDRSTRLEN])
{
        struct in_addr a = {.s_addr = addr};

        inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

/* ---- mode ---- */

static enum sc_mode probed_mode = (enum sc_mode)-1;
static char mode_reason[256];

/* Can this process's children make a user namespace with a network namespace? */
static int probe_userns(void)
{
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : (errno & 0x7f));
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        return -(WIFEXITED(status) ? WEXITSTATUS(status) : EIO);
}

enum sc_mode sc_mode(void)
{
        const char *forced = getenv("SOCKCHECK_MODE");
        int rc;

        if ((int)probed_mode >= 0)
                return probed_mode;
        if (forced && *forced && strcmp(forced, "auto") != 0) {
                if (strcmp(forced, "loopback") == 0)
                        probed_mode = SC_MODE_LOOPBACK;
                else if (strcmp(forced, "rootless") == 0)
                        probed_mode = SC_MODE_ROOTLESS;
                else if (strcmp(forced, "root") == 0 && geteuid() == 0)
                        probed_mode = SC_MODE_ROOT;
                else
                        probed_mode = geteuid() == 0 ? SC_MODE_ROOT : SC_MODE_ROOTLESS;
                snprintf(mode_reason, sizeof(mode_reason), "forced by SOCKCHECK_MODE=%s", forced);
                return probed_mode;
        }
        if (geteuid() == 0) {
                probed_mode = SC_MODE_ROOT;
                snprintf(mode_reason, sizeof(mode_reason), "running as root");
                return probed_mode;
        }
        rc = probe_userns();
        if (rc == 0) {
                probed_mode = SC_MODE_ROOTLESS;
                snprintf(mode_reason, sizeof(mode_reason), "not root; user namespaces work");
        } else {
                probed_mode = SC_MODE_LOOPBACK;
                snprintf(mode_reason, sizeof(mode_reason),
                         "not root and no user namespace (%s): plain loopback", strerror(-rc));
        }
        return probed_mode;
}

const char *sc_mode_name(enum sc_mode mode)
{
        switch (mode) {
        case SC_MODE_ROOT:
                return "namespaces (root)";
        case SC_MODE_ROOTLESS:
                return "namespaces (rootless)";
        case SC_MODE_LOOPBACK:
                return "plain loopback";
        }
        return "?";
}

const char *sc_mode_reason(void)
{
        sc_mode();
        return mode_reason;
}

uint64_t sc_seed(void)
{
        const char *s = getenv("SOCKCHECK_SEED");
        char *end;
        unsigned long long v;

        if (!s || !*s)
                return 1;
        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno || *end)
                return 1;
        return v;
}

const char *sc_evidence_root(void)
{
        const char *e = getenv("SOCKCHECK_EVIDENCE");

        return e && *e ? e : SC_DEFAULT_EVIDENCE;
}

/* ---- files ---- */

int sc_mkdirs(const char *path)
{
        char buf[1024];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(buf))
                return sc_fail(ENAMETOOLONG, "path too long: %s", path);
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return sc_fail(errno, "mkdir %s: %s", buf, strerror(errno));
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                return sc_fail(errno, "mkdir %s: %s", buf, strerror(errno));
        return 0;
}

int sc_write_file(const char *path, const char *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t off = 0;

        if (fd < 0)
                return sc_fail(errno, "open %s: %s", path, strerror(errno));
        while (off < len) {
                ssize_t w = write(fd, data + off, len - off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0) {
                        int e = errno;

                        close(fd);
                        return sc_fail(e, "write %s: %s", path, strerror(e));
                }
                off += (size_t)w;
        }
        close(fd);
        return 0;
}

int sc_read_file(const char *path, char **out, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t cap = 4096, n = 0;
        char *buf;

        if (fd < 0)
                return sc_fail(errno, "open %s: %s", path, strerror(errno));
        buf = malloc(cap);
        if (!buf) {
                close(fd);
                return sc_fail(ENOMEM, "out of memory");
        }
        for (;;) {
                ssize_t r;

                if (n + 1 >= cap) {
                        char *nb = realloc(buf, cap * 2);

                        if (!nb) {
                                free(buf);
                                close(fd);
                                return sc_fail(ENOMEM, "out of memory");
                        }
                        buf = nb;
                        cap *= 2;
                }
                r = read(fd, buf + n, cap - n - 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;

                        free(buf);
                        close(fd);
                        return sc_fail(e, "read %s: %s", path, strerror(e));
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        close(fd);
        buf[n] = '\0';
        *out = buf;
        if (len)
                *len = n;
        return 0;
}
