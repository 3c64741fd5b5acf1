/*
 * cgroup.c - one leaf per jailed program in each cgroup hierarchy this
 * machine offers, so its limits count its whole process tree.
 *
 * The cgroup v1 controllers do the limiting: memory (limit_in_bytes and
 * memsw, and oom_control's oom_kill count tells the verdict), pids
 * (pids.max, pids.events tells a fork that failed) and cpuacct (usage, which
 * the supervisor polls against the CPU limit).  The controller-less cgroup2
 * at /sys/fs/cgroup/unified gives cgroup.kill, which ends every process of
 * the leaf at once, wherever it hid.  Leaves are made below the runner's own
 * cgroup (never at the root of a hierarchy the runner is not at), named
 * sockcheck-u<first jail uid>-<supervisor pid>, and removed by the supervisor that made them;
 * sc_cgroup_sweep removes those of supervisors that were killed.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
        const char *mount;      /* where this machine mounts it */
        const char *controller; /* its name in /proc/self/cgroup ("" for cgroup2) */
} hier[SC_CG_N] = {
        [SC_CG_MEMORY] = {"/sys/fs/cgroup/memory", "memory"},
        [SC_CG_PIDS] = {"/sys/fs/cgroup/pids", "pids"},
        [SC_CG_CPUACCT] = {"/sys/fs/cgroup/cpuacct", "cpuacct"},
        [SC_CG_UNIFIED] = {"/sys/fs/cgroup/unified", ""},
};

/* The runner's own cgroup in hierarchy h, from /proc/self/cgroup ("" if none). */
static int own_cgroup(int h, char *out, size_t cap)
{
        char buf[4096], *save = NULL;
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *c = strchr(l, ':'), *p = c ? strchr(c + 1, ':') : NULL;
                bool match = false;

                if (!p)
                        continue;
                *p++ = '\0';
                *c++ = '\0'; /* l is the hierarchy id, c its controllers, p the path */
                if (!*hier[h].controller) {
                        match = strcmp(l, "0") == 0 && *c == '\0';
                } else {
                        for (char *s = NULL, *t = strtok_r(c, ",", &s); t; t = strtok_r(NULL, ",", &s))
                                match |= strcmp(t, hier[h].controller) == 0;
                }
                if (match) {
                        snprintf(out, cap, "%s", strcmp(p, "/") == 0 ? "" : p);
                        return 0;
                }
        }
        return -ENOENT;
}

static int put(const char *dir, const char *file, const char *value)
{
        char path[PATH_MAX + 32];
        int fd, rc = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                rc = -errno;
        close(fd);
        return rc;
}

static int get(const char *dir, const char *file, char *buf, size_t cap)
{
        char path[PATH_MAX + 32];
        int fd;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, cap - 1);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

/* The directory leaves go in for hierarchy h, if it is there and writable. */
static bool parent_dir(int h, char *out, size_t cap)
{
        char own[PATH_MAX];
        struct stat st;

        if (stat(hier[h].mount, &st) < 0 || own_cgroup(h, own, sizeof(own)) < 0)
                return false;
        snprintf(out, cap, "%s%s", hier[h].mount, own);
        /* cgroupfs shows root's directories as 0555: for root, writable all the same. */
        return geteuid() == 0 || access(out, W_OK) == 0;
}

int sc_cgroup_make(struct sc_cgroup *cg, const struct sc_limits *lim, pid_t owner,
                   unsigned uid_range, char *msg, size_t cap)
{
        char dir[PATH_MAX], v[64];
        int rc;

        memset(cg, 0, sizeof(*cg));
        for (int h = 0; h < SC_CG_N; h++) {
                if (!parent_dir(h, dir, sizeof(dir)))
                        continue;
                if (owner == 0) { /* a probe: would there be one? */
                        cg->have[h] = true;
                        continue;
                }
                /* Named by the jail's uid range too, so a run can tell its own leaves. */
                snprintf(cg->path[h], sizeof(cg->path[h]), "%.*s/sockcheck-u%u-%d", PATH_MAX - 48,
                         dir, (unsigned)uid_range, (int)owner);
                if (mkdir(cg->path[h], 0755) < 0 && errno != EEXIST)
                        continue; /* not ours to make: the limit falls back to an rlimit */
                cg->have[h] = true;
        }
        if (owner == 0)
                return 0;
        if (cg->have[SC_CG_MEMORY]) {
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->mem_bytes);
                rc = put(cg->path[SC_CG_MEMORY], "memory.limit_in_bytes", v);
                /* Swap counts too, where the kernel accounts it. */
                if (rc == 0) {
                        int r2 = put(cg->path[SC_CG_MEMORY], "memory.memsw.limit_in_bytes", v);

                        if (r2 < 0 && r2 != -ENOENT)
                                rc = r2;
                }
                if (rc < 0) {
                        snprintf(msg, cap, "set the memory limit in %s: %s", cg->path[SC_CG_MEMORY],
                                 strerror(-rc));
                        return rc;
                }
        }
        if (cg->have[SC_CG_PIDS]) {
                /* The jail's init is in the leaf too: one more than the program may have. */
                snprintf(v, sizeof(v), "%u", lim->nproc + 1);
                rc = put(cg->path[SC_CG_PIDS], "pids.max", v);
                if (rc < 0) {
                        snprintf(msg, cap, "set pids.max in %s: %s", cg->path[SC_CG_PIDS],
                                 strerror(-rc));
                        return rc;
                }
        }
        return 0;
}

int sc_cgroup_enter(const struct sc_cgroup *cg, pid_t pid, char *msg, size_t cap)
{
        char v[32];

        snprintf(v, sizeof(v), "%d", (int)pid);
        for (int h = 0; h < SC_CG_N; h++) {
                int rc;

                if (!cg->have[h])
                        continue;
                rc = put(cg->path[h], "cgroup.procs", v);
                if (rc < 0) {
                        snprintf(msg, cap, "move the jail into %s: %s", cg->path[h], strerror(-rc));
                        return rc;
                }
        }
        return 0;
}

double sc_cgroup_cpu_s(const struct sc_cgroup *cg)
{
        char buf[64];

        if (!cg->have[SC_CG_CPUACCT] || get(cg->path[SC_CG_CPUACCT], "cpuacct.usage", buf,
                                            sizeof(buf)) < 0)
                return -1;
        return (double)strtoull(buf, NULL, 10) / 1e9;
}

/* The number after "key " in a flat keyed file, or 0. */
static unsigned long long keyed(const char *dir, const char *file, const char *key)
{
        char buf[1024];
        size_t k = strlen(key);

        if (get(dir, file, buf, sizeof(buf)) < 0)
                return 0;
        for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, k) == 0 && l[k] == ' ')
                        return strtoull(l + k + 1, NULL, 10);
        return 0;
}

bool sc_cgroup_hit_memory(const struct sc_cgroup *cg)
{
        return cg->have[SC_CG_MEMORY] &&
               keyed(cg->path[SC_CG_MEMORY], "memory.oom_control", "oom_kill") > 0;
}

bool sc_cgroup_hit_pids(const struct sc_cgroup *cg)
{
        return cg->have[SC_CG_PIDS] && keyed(cg->path[SC_CG_PIDS], "pids.events", "max") > 0;
}

/* SIGKILLs every pid listed in dir/cgroup.procs; true if there was one. */
static bool kill_listed(const char *dir)
{
        char buf[8192];
        bool any = false;

        if (get(dir, "cgroup.procs", buf, sizeof(buf)) < 0)
                return false;
        for (char *p = buf, *end; *p; p = end) {
                long pid = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (pid > 1) {
                        kill((pid_t)pid, SIGCONT);
                        kill((pid_t)pid, SIGKILL);
                        any = true;
                }
        }
        return any;
}

static void remove_leaf(const char *dir)
{
        for (int i = 0; i < 200; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return;
                if (errno != EBUSY)
                        return;
                /* What is still in it belongs to the jail: end it. */
                if (strstr(dir, "/unified/"))
                        put(dir, "cgroup.kill", "1");
                kill_listed(dir);
                usleep(5000);
        }
}

void sc_cgroup_destroy(struct sc_cgroup *cg)
{
        if (cg->have[SC_CG_UNIFIED])
                put(cg->path[SC_CG_UNIFIED], "cgroup.kill", "1");
        for (int h = 0; h < SC_CG_N; h++)
                if (cg->have[h]) {
                        remove_leaf(cg->path[h]);
                        cg->have[h] = false;
                }
}

void sc_cgroup_sweep(void)
{
        char dir[PATH_MAX];

        for (int h = 0; h < SC_CG_N; h++) {
                DIR *d;
                struct dirent *e;

                if (!parent_dir(h, dir, sizeof(dir)) || !(d = opendir(dir)))
                        continue;
                while ((e = readdir(d))) {
                        char leaf[PATH_MAX + 300];
                        char *end;
                        long pid;

                        const char *dash = strrchr(e->d_name, '-');

                        if (strncmp(e->d_name, "sockcheck-", 10) != 0 || !dash)
                                continue;
                        pid = strtol(dash + 1, &end, 10);
                        if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                                continue;
                        snprintf(leaf, sizeof(leaf), "%s/%s", dir, e->d_name);
                        remove_leaf(leaf);
                }
                closedir(d);
        }
}
