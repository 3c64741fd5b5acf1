/*
 * limits.c - how much a jailed program may take, and how each limit is
 * enforced here.
 *
 * The defaults are far above what any faithful port of the book's programs
 * needs (they are a few small processes that print a few lines) and far
 * below what would hurt the machine: 10 s of CPU, 256 MiB, 64 processes,
 * 16 MiB files, 256 open files, no core files, 1 MiB on each of stdout and
 * stderr.  A run can change them (SOCKCHECK_LIMITS="mem=512M" for a JVM
 * port; scripts/conform --limit sets it), and every report prints them with
 * the mechanism behind each, because the mechanism differs by mode: as root
 * the cgroup v1 memory, pids and cpuacct controllers count a program's
 * whole tree, rootless only per-process rlimits can.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "jail.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct sc_limits defaults = {
        .cpu_s = 10,
        .mem_bytes = 256ull << 20,
        .nproc = 64,
        .fsize_bytes = 16ull << 20,
        .nofile = 256,
        .out_bytes = 1ull << 20,
};

/* "512M", "1G", "4096", "64k": bytes; 0 on a malformed size. */
static int parse_size(const char *v, uint64_t *out)
{
        char *end;
        unsigned long long n;
        int shift = 0;

        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno || end == v)
                return -EINVAL;
        switch (toupper((unsigned char)*end)) {
        case '\0':
                break;
        case 'K':
                shift = 10;
                break;
        case 'M':
                shift = 20;
                break;
        case 'G':
                shift = 30;
                break;
        default:
                return -EINVAL;
        }
        if (*end && end[1] && !(toupper((unsigned char)end[1]) == 'I' && end[2] == 'B' &&
                                !end[3]) && !(toupper((unsigned char)end[1]) == 'B' && !end[2]))
                return -EINVAL;
        if (n == 0 || n > (~0ull >> shift))
                return -EINVAL;
        *out = n << shift;
        return 0;
}

static int parse_count(const char *v, unsigned max, unsigned *out)
{
        char *end;
        unsigned long n;

        errno = 0;
        n = strtoul(v, &end, 10);
        if (errno || end == v || *end || n == 0 || n > max)
                return -EINVAL;
        *out = (unsigned)n;
        return 0;
}

int sc_limits_parse(const char *spec, struct sc_limits *lim)
{
        char buf[512], *save = NULL;

        if (strlen(spec) >= sizeof(buf))
                return sc_fail(EINVAL, "limit spec too long");
        strcpy(buf, spec);
        for (char *kv = strtok_r(buf, ", ", &save); kv; kv = strtok_r(NULL, ", ", &save)) {
                char *v = strchr(kv, '=');
                int rc = -EINVAL;

                if (!v)
                        return sc_fail(EINVAL, "limit '%s' is not KEY=VALUE (keys: cpu, mem, "
                                               "procs, fsize, files, out)", kv);
                *v++ = '\0';
                if (strcmp(kv, "cpu") == 0) {
                        char *end;
                        double s = strtod(v, &end);

                        if (end != v && (*end == '\0' || (*end == 's' && !end[1])) && s > 0 &&
                            s <= 3600) {
                                lim->cpu_s = s;
                                rc = 0;
                        }
                } else if (strcmp(kv, "mem") == 0) {
                        rc = parse_size(v, &lim->mem_bytes);
                        if (rc == 0 && lim->mem_bytes < (16ull << 20))
                                return sc_fail(EINVAL, "mem=%s: less than 16M starts nothing", v);
                } else if (strcmp(kv, "procs") == 0 || strcmp(kv, "nproc") == 0) {
                        rc = parse_count(v, 4096, &lim->nproc);
                } else if (strcmp(kv, "fsize") == 0) {
                        rc = parse_size(v, &lim->fsize_bytes);
                } else if (strcmp(kv, "files") == 0 || strcmp(kv, "nofile") == 0) {
                        rc = parse_count(v, 65536, &lim->nofile);
                        if (rc == 0 && lim->nofile < 16)
                                return sc_fail(EINVAL, "files=%s: fewer than 16 starts nothing", v);
                } else if (strcmp(kv, "out") == 0) {
                        rc = parse_size(v, &lim->out_bytes);
                } else {
                        return sc_fail(EINVAL, "unknown limit '%s' (keys: cpu, mem, procs, "
                                               "fsize, files, out)", kv);
                }
                if (rc < 0)
                        return sc_fail(EINVAL, "limit %s=%s: not a valid value", kv, v);
        }
        return 0;
}

const struct sc_limits *sc_limits(void)
{
        static struct sc_limits lim;
        static int done;
        const char *spec = getenv("SOCKCHECK_LIMITS");

        if (!done) {
                lim = defaults;
                /* A bad spec is refused by sc-info before any test runs; here it is ignored. */
                if (spec && *spec && sc_limits_parse(spec, &lim) < 0)
                        lim = defaults;
                done = 1;
        }
        return &lim;
}

static const char *human(uint64_t bytes, char *buf, size_t cap)
{
        if (bytes % (1ull << 30) == 0)
                snprintf(buf, cap, "%llu GiB", (unsigned long long)(bytes >> 30));
        else if (bytes % (1ull << 20) == 0)
                snprintf(buf, cap, "%llu MiB", (unsigned long long)(bytes >> 20));
        else if (bytes % (1ull << 10) == 0)
                snprintf(buf, cap, "%llu KiB", (unsigned long long)(bytes >> 10));
        else
                snprintf(buf, cap, "%llu bytes", (unsigned long long)bytes);
        return buf;
}

const char *sc_limit_bytes(uint64_t bytes)
{
        static _Thread_local char ring[4][32];
        static _Thread_local int next;

        return human(bytes, ring[next++ % 4], sizeof(ring[0]));
}

int sc_jail_describe(char *out, size_t cap)
{
        const struct sc_limits *l = sc_limits();
        bool root = geteuid() == 0;
        struct sc_cgroup probe = {0};
        char msg[256];
        size_t o = 0;

        if (root)
                sc_cgroup_make(&probe, l, 0, 0, msg, sizeof(msg)); /* owner 0: probe only */
#define PUT(...) o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__)
        PUT("identity: %s\n",
            root ? "a uid/gid of its own per slot (3000000 + slot), no groups, no capabilities"
                 : "uid 0 of the lab's user namespace (the runner's uid outside), no capabilities;"
                   " weaker: no uid of its own per slot (that needs root or newuidmap)");
        PUT("filesystem: fresh root; /usr and /etc basics read-only, the port read-only at "
            "/port, private HOME and /tmp (16 MiB each), own /proc, minimal /dev\n");
        PUT("network: %s\n",
            sc_mode() == SC_MODE_LOOPBACK
                    ? "the machine's own namespace (plain loopback mode); weaker: it could reach "
                      "beyond loopback, so run it where the machine itself is disposable (a "
                      "container)"
                    : "only the lab's network namespace");
        PUT("syscalls: seccomp denylist (mounts, namespaces, ptrace, bpf, keyrings, modules, "
            "io_uring, raw and packet sockets, ...), non-native ABIs refused\n");
        PUT("cpu: %g s, %s\n", l->cpu_s,
            probe.have[SC_CG_CPUACCT] ? "all its processes together (cgroup cpuacct)"
                                      : "per process (RLIMIT_CPU); weaker: no cpuacct cgroup, "
                                        "so each process has its own budget");
        PUT("memory: %s, %s\n", sc_limit_bytes(l->mem_bytes),
            probe.have[SC_CG_MEMORY] ? "all its processes together (cgroup memory)"
                                     : "address space per process (RLIMIT_AS); weaker: no memory "
                                       "cgroup, so it counts each process apart, an allocation "
                                       "fails instead of a kill and the verdict cannot name it");
        PUT("processes: %u, %s\n", l->nproc,
            probe.have[SC_CG_PIDS] ? "its whole tree (cgroup pids)"
                                   : root ? "per slot uid (RLIMIT_NPROC)"
                                          : "RLIMIT_NPROC, counted for the whole lab (one uid); "
                                            "weaker: no pids cgroup, the verdict cannot name it");
        PUT("files: %s each, %u open, no core files\n", sc_limit_bytes(l->fsize_bytes), l->nofile);
        PUT("output: %s on each of stdout and stderr, then it is stopped\n",
            sc_limit_bytes(l->out_bytes));
#undef PUT
        return o < cap ? 0 : sc_fail(ENOSPC, "description truncated");
}
