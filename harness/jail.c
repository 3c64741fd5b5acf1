/*
 * jail.c - the cell every program of a port under test runs in.
 *
 * A student's port is untrusted code: it may be buggy, hostile or written
 * to fool the grader.  The jail is built by construction, not from a list
 * of attacks: the program sees a fresh root that holds only what programs
 * need to run (the machine's /usr and /lib read-only, a few /etc files, the
 * port read-only at /port, a private HOME and /tmp, its own /proc and a
 * minimal /dev), runs under a uid of its own with no capability and no way
 * to gain one (no_new_privs, locked securebits, an empty bounding set),
 * keeps only fds 0-2 and an allowlisted environment, and a seccomp filter
 * refuses with EPERM the calls no book program needs (mounts, namespaces,
 * tracing, bpf, keyrings, modules, io_uring, raw and packet sockets, and
 * any non-native ABI).  It is a denylist so that ports in any language
 * still start; what it leaves open (files, sockets, processes) is bounded
 * by the jail's view and by the limits (limits.c, cgroup.c).
 *
 * Who does what is in jail.h: the plan is made in the test process, the
 * namespaces in the supervisor, the root in the jail's init, the drop in
 * the program's own process right before exec.  Code that runs after fork
 * uses only stack buffers and system calls.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "jail.h"

#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define JAIL_UID_BASE 3000000u
#define JAIL_SLOTS 256
#define NEWROOT "/tmp" /* where the fresh root is put together before the pivot */
#define HOME_DIR "/home/port"

extern char **environ;

/* ---- the seccomp filter, compiled once per test process ---- */

static struct sock_fprog filter;
static int filter_rc;
static char filter_err[256];

static const char *const denied[] = {
        /* the filesystem tree */
        "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
        "fsconfig", "fsmount", "fspick", "mount_setattr", "name_to_handle_at",
        "open_by_handle_at", "swapon", "swapoff", "quotactl", "quotactl_fd",
        /* namespaces */
        "unshare", "setns",
        /* other processes' memory */
        "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
        /* the kernel itself */
        "bpf", "perf_event_open", "add_key", "request_key", "keyctl", "kexec_load",
        "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module", "acct",
        "syslog", "iopl", "ioperm", "lookup_dcookie", "settimeofday", "clock_settime",
        "clock_adjtime", "adjtimex", "vhangup", "fanotify_init", "userfaultfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
};

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                    const struct scmp_arg_cmp *args)
{
        int nr = seccomp_syscall_resolve_name(name);

        if (nr == __NR_SCMP_ERROR)
                return 0; /* not a call of this architecture */
        return seccomp_rule_add_array(ctx, action, nr, n, args);
}

static void compile_filter(void)
{
        static const int nsflags[] = {CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                      CLONE_NEWUTS, CLONE_NEWIPC,  CLONE_NEWCGROUP};
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        int rc = 0, fd = -1;
        const char *step = "seccomp_init";
        struct stat st;

        if (!ctx) {
                rc = -ENOMEM;
                goto out;
        }
        step = "refuse other ABIs";
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, eperm);
        for (size_t i = 0; rc == 0 && i < sizeof(denied) / sizeof(denied[0]); i++) {
                step = denied[i];
                rc = add_rule(ctx, eperm, denied[i], 0, NULL);
        }
        /* New namespaces through clone(); clone3's flags sit behind a pointer, so
         * it says ENOSYS and the C library falls back to clone(). */
        for (size_t i = 0; rc == 0 && i < sizeof(nsflags) / sizeof(nsflags[0]); i++) {
                struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, (scmp_datum_t)nsflags[i],
                                                (scmp_datum_t)nsflags[i]);

                step = "clone with a namespace flag";
                rc = add_rule(ctx, eperm, "clone", 1, &a);
        }
        if (rc == 0) {
                step = "clone3";
                rc = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
        }
        /* Packet sockets, and raw IP sockets (netlink's SOCK_RAW stays allowed:
         * the C library's resolver uses it). */
        if (rc == 0) {
                struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, AF_PACKET);

                step = "AF_PACKET";
                rc = add_rule(ctx, eperm, "socket", 1, &a);
        }
        for (int fam = 0; rc == 0 && fam < 2; fam++) {
                struct scmp_arg_cmp a[2] = {
                        SCMP_A0(SCMP_CMP_EQ, fam ? AF_INET6 : AF_INET),
                        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW),
                };

                step = "SOCK_RAW";
                rc = add_rule(ctx, eperm, "socket", 2, a);
        }
        if (rc < 0)
                goto out;
        /* The compiled program, kept in memory for prctl() in the forked children. */
        step = "export";
        fd = memfd_create("sockcheck-seccomp", MFD_CLOEXEC);
        if (fd < 0) {
                rc = -errno;
                goto out;
        }
        rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0)
                goto out;
        if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter)) {
                rc = -EIO;
                goto out;
        }
        filter.filter = malloc((size_t)st.st_size);
        if (!filter.filter || pread(fd, filter.filter, (size_t)st.st_size, 0) != st.st_size) {
                rc = -EIO;
                goto out;
        }
        filter.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
out:
        if (rc < 0)
                snprintf(filter_err, sizeof(filter_err), "compile the seccomp filter (%s): %s",
                         step, strerror(-rc));
        if (fd >= 0)
                close(fd);
        if (ctx)
                seccomp_release(ctx);
        filter_rc = rc;
}

/* ---- the plan (test process) ---- */

/*
 * The first slot's uid: 3000000, or SOCKCHECK_JAIL_UID_BASE (a run that
 * must tell its own jailed processes from other runs' picks a range).
 */
static uid_t uid_base(void)
{
        const char *v = getenv("SOCKCHECK_JAIL_UID_BASE");
        char *end;
        unsigned long b;

        if (!v || !*v)
                return JAIL_UID_BASE;
        b = strtoul(v, &end, 10);
        if (*end || b < 100000 || b > 2000000000ul)
                return JAIL_UID_BASE;
        return (uid_t)b;
}

/* Takes the first free slot: an abstract socket name is a lock the kernel frees on death. */
static int take_slot(int *fd_out)
{
        for (int k = 0; k < JAIL_SLOTS; k++) {
                struct sockaddr_un a = {.sun_family = AF_UNIX};
                int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                int n;

                if (fd < 0)
                        return -errno;
                n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "sockcheck-jail-slot-%u-%d",
                             (unsigned)uid_base(), k);
                if (bind(fd, (struct sockaddr *)&a,
                         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) == 0) {
                        *fd_out = fd;
                        return k;
                }
                close(fd);
                if (errno != EADDRINUSE)
                        return -errno;
        }
        return -EAGAIN;
}

static int add_env(struct sc_jail *j, size_t *n, size_t *used, const char *kv)
{
        size_t len = strlen(kv) + 1;

        if (*n >= SC_JAIL_MAX_ENV || *used + len > sizeof(j->env_store))
                return sc_fail(E2BIG, "the program's environment is too large");
        memcpy(j->env_store + *used, kv, len);
        j->envp[(*n)++] = j->env_store + *used;
        *used += len;
        j->envp[*n] = NULL;
        return 0;
}

static bool env_has(const struct sc_jail *j, size_t n, const char *kv)
{
        size_t k = strcspn(kv, "=");

        for (size_t i = 0; i < n; i++)
                if (strncmp(j->envp[i], kv, k + 1) == 0)
                        return true;
        return false;
}

/*
 * The program as the jail sees it.  Its directory is the port; the file must
 * be a regular file there, or a link that stays inside the port.
 */
static int resolve_prog(struct sc_jail *j, const char *prog)
{
        char dir[PATH_MAX], real[PATH_MAX];
        const char *slash = strrchr(prog, '/');
        struct stat st;
        size_t dl;

        if (!slash || (size_t)(slash - prog) >= sizeof(dir))
                return sc_fail(EINVAL, "%s: a port program is named by a path", prog);
        memcpy(dir, prog, (size_t)(slash - prog));
        dir[slash - prog] = '\0';
        if (!realpath(dir[0] ? dir : "/", j->port_dir))
                return sc_fail(errno, "%s: %s", dir, strerror(errno));
        if (lstat(prog, &st) < 0)
                return sc_fail(errno, "%s: %s", prog, strerror(errno));
        if (!realpath(prog, real))
                return sc_fail(errno, "%s is a link to nothing (%s)", prog, strerror(errno));
        dl = strlen(j->port_dir);
        if (strncmp(real, j->port_dir, dl) != 0 || real[dl] != '/')
                return sc_fail(EPERM, "refused: %s is a link that leaves the port (to %s)", prog,
                               real);
        if (stat(real, &st) < 0)
                return sc_fail(errno, "%s: %s", real, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return sc_fail(EISDIR, "refused: %s is a directory, not a program", prog);
        if (!S_ISREG(st.st_mode))
                return sc_fail(EPERM, "refused: %s is a %s, not a program file", prog,
                               S_ISFIFO(st.st_mode)   ? "FIFO"
                               : S_ISSOCK(st.st_mode) ? "socket"
                                                      : "device");
        snprintf(j->exec_path, sizeof(j->exec_path), "/port/%s", real + dl + 1);
        return 0;
}

int sc_jail_plan(struct sc_jail *j, const char *prog, const char *const *extra_env,
                 const char *hostname, const char *hosts)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT, swept = PTHREAD_ONCE_INIT;
        static const char *const allow[] = {"PATH=", "LANG=", "TZ="};
        size_t n = 0, used = 0;
        char home[32 + sizeof(HOME_DIR)];
        int rc;

        memset(j, 0, sizeof(*j));
        j->slot = j->slot_fd = -1;
        rc = resolve_prog(j, prog);
        if (rc < 0)
                return rc;
        pthread_once(&once, compile_filter);
        /* Leaves of supervisors that were killed (a crashed run), once per test process. */
        if (geteuid() == 0)
                pthread_once(&swept, sc_cgroup_sweep);
        if (filter_rc < 0)
                return sc_fail(SC_EHARNESS, "harness error: %s", filter_err);
        j->filter = filter;
        j->lim = *sc_limits();
        j->root = geteuid() == 0;
        if (j->root) {
                j->slot = take_slot(&j->slot_fd);
                if (j->slot < 0)
                        return sc_fail(SC_EHARNESS, "harness error: no free jail slot (%d in use)",
                                       JAIL_SLOTS);
                j->uid = uid_base() + (uid_t)j->slot;
                j->gid = uid_base() + (gid_t)j->slot;
        }
        snprintf(j->hostname, sizeof(j->hostname), "%s", hostname ? hostname : "");
        snprintf(j->hosts, sizeof(j->hosts), "%s", hosts ? hosts : "");
        /* What the test set wins over what the runner had. */
        for (size_t i = 0; extra_env && extra_env[i]; i++)
                if ((rc = add_env(j, &n, &used, extra_env[i])) < 0)
                        goto fail;
        snprintf(home, sizeof(home), "HOME=%s", HOME_DIR);
        if (!env_has(j, n, home) && (rc = add_env(j, &n, &used, home)) < 0)
                goto fail;
        for (size_t a = 0; a < sizeof(allow) / sizeof(allow[0]); a++)
                for (char **e = environ; *e; e++)
                        if (strncmp(*e, allow[a], strlen(allow[a])) == 0 && !env_has(j, n, *e) &&
                            (rc = add_env(j, &n, &used, *e)) < 0)
                                goto fail;
        if (!env_has(j, n, "PATH=") &&
            (rc = add_env(j, &n, &used, "PATH=/usr/local/bin:/usr/bin:/bin")) < 0)
                goto fail;
        j->on = true;
        return 0;
fail:
        sc_jail_release(j);
        return rc;
}

void sc_jail_release(struct sc_jail *j)
{
        if (j->slot_fd >= 0)
                close(j->slot_fd);
        j->slot_fd = -1;
        j->on = false;
}

/* ---- namespaces (supervisor) ---- */

static int write_all(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

        if (fd < 0)
                return -errno;
        if (write(fd, text, strlen(text)) < 0)
                rc = -errno;
        close(fd);
        return rc;
}

int sc_jail_unshare(const struct sc_jail *j, bool in_lab_userns, char *msg, size_t cap)
{
        if (!j->root && !in_lab_userns) {
                /* Plain loopback mode without root: a user namespace of the jail's own. */
                char map[64];
                uid_t uid = geteuid();
                gid_t gid = getegid();

                if (unshare(CLONE_NEWUSER) < 0) {
                        snprintf(msg, cap, "make a user namespace: %s", strerror(errno));
                        return -errno;
                }
                snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
                if (write_all("/proc/self/setgroups", "deny") < 0 ||
                    write_all("/proc/self/uid_map", map) < 0) {
                        snprintf(msg, cap, "map the user namespace: %s", strerror(errno));
                        return -EPERM;
                }
                snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
                if (write_all("/proc/self/gid_map", map) < 0) {
                        snprintf(msg, cap, "map the user namespace's group: %s", strerror(errno));
                        return -EPERM;
                }
        }
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0) {
                snprintf(msg, cap, "make the mount, UTS, IPC and PID namespaces: %s",
                         strerror(errno));
                return -errno;
        }
        return 0;
}

/* ---- the fresh root (init) ---- */

#define STEP(cond, ...)                                                                           \
        do {                                                                                      \
                if (!(cond)) {                                                                    \
                        int e_ = errno;                                                           \
                        int n_ = snprintf(msg, cap, __VA_ARGS__);                                 \
                        if (n_ >= 0 && (size_t)n_ < cap)                                          \
                                snprintf(msg + n_, cap - (size_t)n_, ": %s", strerror(e_));       \
                        return -(e_ ? e_ : EIO);                                                  \
                }                                                                                 \
        } while (0)

/* Makes a mount (and, with rec, every mount below it) read-only, nosuid, nodev. */
static int seal(const char *path, bool rec, bool noexec)
{
        struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};

        if (noexec)
                a.attr_set |= MOUNT_ATTR_NOEXEC;
        return mount_setattr(AT_FDCWD, path, rec ? AT_RECURSIVE : 0, &a, sizeof(a));
}

/*
 * Puts the machine's src at dst in the new root: a link as the same link, a
 * directory bound read-only, a small regular file (with copy) copied.  What
 * the machine does not have is left out.
 */
static int put_entry(const char *src, const char *dst, bool copy, char *msg, size_t cap)
{
        char buf[1 << 16];
        struct stat st;
        int in, out;
        ssize_t n;

        if (lstat(src, &st) < 0)
                return 0; /* this machine has none */
        if (S_ISLNK(st.st_mode)) {
                n = readlink(src, buf, sizeof(buf) - 1);
                STEP(n > 0, "read link %s", src);
                buf[n] = '\0';
                STEP(symlink(buf, dst) == 0, "link %s", dst);
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                /* Bound, not copied (alternatives holds hundreds of links). */
                STEP(mkdir(dst, 0755) == 0 || errno == EEXIST, "mkdir %s", dst);
                STEP(mount(src, dst, NULL, MS_BIND | MS_REC, NULL) == 0, "bind %s", src);
                STEP(seal(dst, true, false) == 0, "make %s read-only", dst);
                return 0;
        }
        if (!copy || !S_ISREG(st.st_mode) || st.st_size > (off_t)sizeof(buf))
                return 0;
        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return 0; /* unreadable to us: not for the program either */
        n = read(in, buf, sizeof(buf));
        close(in);
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        STEP(out >= 0, "create %s", dst);
        STEP(n < 0 || write(out, buf, (size_t)n) == n, "write %s", dst);
        close(out);
        return 0;
}

/* A directory of the machine (or the link standing for it), read-only at the same path. */
static int bind_ro(const char *src, char *msg, size_t cap)
{
        char dst[PATH_MAX];

        snprintf(dst, sizeof(dst), NEWROOT "%s", src);
        return put_entry(src, dst, false, msg, cap);
}

/* What libc and runtimes read from the machine's /etc. */
static int copy_etc(const char *name, char *msg, size_t cap)
{
        char src[PATH_MAX], dst[PATH_MAX];

        snprintf(src, sizeof(src), "/etc/%s", name);
        snprintf(dst, sizeof(dst), NEWROOT "/etc/%s", name);
        return put_entry(src, dst, true, msg, cap);
}

static int write_new(const char *path, const char *text, char *msg, size_t cap)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        size_t len = strlen(text);

        STEP(fd >= 0, "create %s", path);
        STEP(write(fd, text, len) == (ssize_t)len, "write %s", path);
        close(fd);
        return 0;
}

static int private_tmpfs(const struct sc_jail *j, const char *dst, char *msg, size_t cap)
{
        char opts[96];

        snprintf(opts, sizeof(opts), "size=16m,nr_inodes=4096,mode=0700,uid=%u,gid=%u",
                 (unsigned)j->uid, (unsigned)j->gid);
        STEP(mkdir(dst, 0755) == 0 || errno == EEXIST, "mkdir %s", dst);
        STEP(mount("sockcheck", dst, "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0, "mount %s", dst);
        return 0;
}

int sc_jail_build_root(const struct sc_jail *j, char *msg, size_t cap)
{
        static const char *const sys_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32",
                                               "/lib64", "/libx32"};
        static const char *const etc_files[] = {
                "resolv.conf", "nsswitch.conf", "host.conf", "gai.conf", "protocols", "services",
                "ld.so.cache", "ld.so.conf",    "ld.so.conf.d", "localtime", "alternatives",
        };
        static const char *const devices[] = {"null", "zero", "full", "random", "urandom"};
        static const char *const masked[] = {"/proc/sysrq-trigger", "/proc/kcore", "/proc/keys",
                                             "/proc/timer_list"};
        enum { MAX_ADDED = 16 };
        struct {
                int fd;
                char path[PATH_MAX];
        } added[MAX_ADDED];
        char path[PATH_MAX], text[1024];
        const char *extra = getenv("SOCKCHECK_JAIL_BIND");
        int port_tree, nadded = 0;

        /*
         * A mount namespace of init's own: pivot_root moves the root of every
         * process of the namespace, and the supervisor must keep the
         * machine's view (its cgroup files) to the end.
         */
        STEP(unshare(CLONE_NEWNS) == 0, "make the jail's mount namespace");
        STEP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make mounts private");
        /*
         * The port and the added directories are taken first, as detached
         * copies of their mounts, and attached in the new root later: the
         * new root's tmpfs hides whatever lives under its own path, and a
         * port unpacked in /tmp is the common case.
         */
        port_tree = open_tree(AT_FDCWD, j->port_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        STEP(port_tree >= 0, "take the port %s", j->port_dir);
        /* Directories an instructor adds for a language runtime (SOCKCHECK_JAIL_BIND=/opt/jdk:...). */
        if (extra && *extra) {
                char list[1024], *save = NULL;

                snprintf(list, sizeof(list), "%s", extra);
                for (char *d = strtok_r(list, ":", &save); d && nadded < MAX_ADDED;
                     d = strtok_r(NULL, ":", &save)) {
                        if (d[0] != '/' || strstr(d, ".."))
                                continue;
                        added[nadded].fd = open_tree(AT_FDCWD, d, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                                      AT_RECURSIVE);
                        if (added[nadded].fd < 0)
                                continue; /* this machine has none */
                        snprintf(added[nadded++].path, sizeof(added[0].path), "%s", d);
                }
        }
        STEP(mount("sockcheck-root", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV,
                   "size=2m,nr_inodes=1024,mode=0755") == 0,
             "mount the new root");
        for (size_t i = 0; i < sizeof(sys_dirs) / sizeof(sys_dirs[0]); i++)
                if (bind_ro(sys_dirs[i], msg, cap) < 0)
                        return -EIO;

        /* /etc: the host's view of names, an identity for the uid, what libc reads. */
        STEP(mkdir(NEWROOT "/etc", 0755) == 0, "mkdir /etc");
        for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++)
                if (copy_etc(etc_files[i], msg, cap) < 0)
                        return -EIO;
        /* A lab host's own view, or (plain loopback mode) the machine's, as our programs see it. */
        if (j->hosts[0] ? write_new(NEWROOT "/etc/hosts", j->hosts, msg, cap) < 0
                        : copy_etc("hosts", msg, cap) < 0)
                return -EIO;
        if (j->hostname[0]) {
                snprintf(text, sizeof(text), "%s\n", j->hostname);
                if (write_new(NEWROOT "/etc/hostname", text, msg, cap) < 0)
                        return -EIO;
        } else if (copy_etc("hostname", msg, cap) < 0) {
                return -EIO;
        }
        snprintf(text, sizeof(text),
                 "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                 "port:x:%u:%u:port under test:" HOME_DIR ":/bin/sh\n"
                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                 (unsigned)j->uid, (unsigned)j->gid);
        if (j->uid == 0) /* rootless: the program is uid 0 of its user namespace */
                snprintf(text, sizeof(text),
                         "port:x:0:0:port under test:" HOME_DIR ":/bin/sh\n"
                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        if (write_new(NEWROOT "/etc/passwd", text, msg, cap) < 0)
                return -EIO;
        snprintf(text, sizeof(text), "%s:x:%u:\nnogroup:x:65534:\n", j->gid ? "port" : "root",
                 (unsigned)j->gid);
        if (write_new(NEWROOT "/etc/group", text, msg, cap) < 0)
                return -EIO;

        /* /dev: five harmless devices and the fd links. */
        STEP(mkdir(NEWROOT "/dev", 0755) == 0, "mkdir /dev");
        STEP(mount("sockcheck-dev", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
                   "size=64k,nr_inodes=64,mode=0755") == 0,
             "mount /dev");
        for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
                char src[64];
                int fd;

                snprintf(src, sizeof(src), "/dev/%s", devices[i]);
                snprintf(path, sizeof(path), NEWROOT "/dev/%s", devices[i]);
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
                STEP(fd >= 0, "create %s", path);
                close(fd);
                STEP(mount(src, path, NULL, MS_BIND, NULL) == 0, "bind %s", src);
        }
        STEP(symlink("/proc/self/fd", NEWROOT "/dev/fd") == 0, "link /dev/fd");
        STEP(symlink("/proc/self/fd/0", NEWROOT "/dev/stdin") == 0, "link /dev/stdin");
        STEP(symlink("/proc/self/fd/1", NEWROOT "/dev/stdout") == 0, "link /dev/stdout");
        STEP(symlink("/proc/self/fd/2", NEWROOT "/dev/stderr") == 0, "link /dev/stderr");

        /* /proc of the jail's own PID namespace; what controls the kernel is masked. */
        STEP(mkdir(NEWROOT "/proc", 0555) == 0, "mkdir /proc");
        STEP(mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   j->root ? "hidepid=invisible" : NULL) == 0,
             "mount /proc");
        STEP(mount(NEWROOT "/proc/sys", NEWROOT "/proc/sys", NULL, MS_BIND | MS_REC, NULL) == 0,
             "bind /proc/sys");
        STEP(seal(NEWROOT "/proc/sys", true, true) == 0, "make /proc/sys read-only");
        for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
                snprintf(path, sizeof(path), NEWROOT "%s", masked[i]);
                if (access(path, F_OK) == 0)
                        STEP(mount(NEWROOT "/dev/null", path, NULL, MS_BIND, NULL) == 0,
                             "mask %s", masked[i]);
        }

        /* The port, read-only; a private HOME and /tmp. */
        STEP(mkdir(NEWROOT "/port", 0755) == 0, "mkdir /port");
        STEP(move_mount(port_tree, "", AT_FDCWD, NEWROOT "/port", MOVE_MOUNT_F_EMPTY_PATH) == 0,
             "bind the port %s", j->port_dir);
        close(port_tree);
        STEP(seal(NEWROOT "/port", true, false) == 0, "make the port read-only");
        STEP(mkdir(NEWROOT "/home", 0755) == 0, "mkdir /home");
        if (private_tmpfs(j, NEWROOT HOME_DIR, msg, cap) < 0 ||
            private_tmpfs(j, NEWROOT "/tmp", msg, cap) < 0)
                return -EIO;
        /* The added directories last: one under /tmp is not hidden by the private /tmp. */
        for (int i = 0; i < nadded; i++) {
                snprintf(path, sizeof(path), NEWROOT "%s", added[i].path);
                STEP(sc_mkdirs(path) == 0, "mkdir %s", path);
                STEP(move_mount(added[i].fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) == 0,
                     "bind %s", added[i].path);
                STEP(seal(path, true, false) == 0, "make %s read-only", path);
                close(added[i].fd);
        }

        /* Into it; the machine's tree is let go of entirely. */
        STEP(chdir(NEWROOT) == 0, "chdir to the new root");
        STEP(syscall(SYS_pivot_root, ".", ".") == 0, "pivot_root");
        STEP(umount2(".", MNT_DETACH) == 0, "detach the old root");
        STEP(chdir("/") == 0, "chdir /");
        STEP(seal("/", false, false) == 0, "make the root read-only");
        STEP(seal("/dev", false, false) == 0, "make /dev read-only");
        return 0;
}

/* ---- the drop (the program's process) ---- */

static int set_limit(int res, rlim_t soft, rlim_t hard)
{
        struct rlimit r = {.rlim_cur = soft, .rlim_max = hard};

        return setrlimit(res, &r);
}

int sc_jail_drop(const struct sc_jail *j, bool have_memory_cgroup, bool have_pids_cgroup,
                 int keep_fd, char *msg, size_t cap)
{
        const struct sc_limits *l = &j->lim;
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2];
        rlim_t cpu = (rlim_t)(l->cpu_s + 0.999);

        /* Only 0, 1 and 2 go on (keep_fd is close-on-exec: the test waits for that). */
        if (keep_fd > 3)
                close_range(3, (unsigned)keep_fd - 1, 0);
        close_range((unsigned)keep_fd + 1, ~0U, 0);
        STEP(set_limit(RLIMIT_CPU, cpu, cpu + 1) == 0, "set RLIMIT_CPU");
        STEP(set_limit(RLIMIT_FSIZE, l->fsize_bytes, l->fsize_bytes) == 0, "set RLIMIT_FSIZE");
        STEP(set_limit(RLIMIT_NOFILE, l->nofile, l->nofile) == 0, "set RLIMIT_NOFILE");
        STEP(set_limit(RLIMIT_CORE, 0, 0) == 0, "set RLIMIT_CORE");
        /* As root the slot's uid counts only this program; rootless the lab's uid is shared. */
        /*
         * As root the slot's uid counts only this program, rootless the lab's
         * uid is shared by the lab's own processes.  Where the pids cgroup
         * counts, the rlimit is a backstop above it, so the limit that binds
         * is the one whose verdict can be named.
         */
        {
                rlim_t n = j->root && !have_pids_cgroup ? l->nproc : l->nproc + 16;

                STEP(set_limit(RLIMIT_NPROC, n, n) == 0, "set RLIMIT_NPROC");
        }
        if (!have_memory_cgroup)
                STEP(set_limit(RLIMIT_AS, l->mem_bytes, l->mem_bytes) == 0, "set RLIMIT_AS");
        STEP(chdir(HOME_DIR) == 0, "chdir " HOME_DIR);

        /* No way back to privilege: root gains nothing on exec, and that is locked. */
        STEP(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                                              SECBIT_NO_SETUID_FIXUP_LOCKED |
                                              SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                              SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) == 0,
             "set securebits");
        for (int c = 0; c <= 63; c++)
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        STEP(0, "drop capability %d from the bounding set", c);
        STEP(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0, "clear ambient caps");
        if (j->root) {
                STEP(setgroups(0, NULL) == 0, "drop supplementary groups");
                STEP(setresgid(j->gid, j->gid, j->gid) == 0, "setresgid %u", (unsigned)j->gid);
                STEP(setresuid(j->uid, j->uid, j->uid) == 0, "setresuid %u", (unsigned)j->uid);
        }
        memset(data, 0, sizeof(data));
        STEP(syscall(SYS_capset, &hdr, data) == 0, "clear capabilities");
        STEP(syscall(SYS_capget, &hdr, data) == 0, "read capabilities back");
        errno = EPERM;
        STEP(!data[0].effective && !data[0].permitted && !data[0].inheritable &&
                     !data[1].effective && !data[1].permitted && !data[1].inheritable,
             "capabilities are still held");
        STEP(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "set no_new_privs");
        STEP(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &j->filter) == 0, "load the seccomp filter");
        return 0;
}

/* ---- an exec that failed, explained ---- */

/* Is name found on the PATH of envp? */
static bool on_path(const char *name, char *const *envp)
{
        const char *path = "/usr/bin:/bin";
        char dirs[1024], *save = NULL, full[PATH_MAX];

        for (char *const *e = envp; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        snprintf(dirs, sizeof(dirs), "%s", path);
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                snprintf(full, sizeof(full), "%s/%s", d, name);
                if (access(full, X_OK) == 0)
                        return true;
        }
        return false;
}

void sc_jail_explain_exec(const char *path, int err, char *msg, size_t cap)
{
        char head[256], interp[128] = "", arg[128] = "";
        int fd;
        ssize_t n;

        if (err == EACCES) {
                snprintf(msg, cap, "%s is not executable (or its interpreter is not)", path);
                return;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(msg, cap, "%s: %s", path, strerror(errno));
                return;
        }
        n = read(fd, head, sizeof(head) - 1);
        close(fd);
        head[n > 0 ? n : 0] = '\0';
        if (n > 2 && head[0] == '#' && head[1] == '!') {
                char *nl = strchr(head, '\n');

                if (nl)
                        *nl = '\0';
                sscanf(head + 2, " %127s %127s", interp, arg);
                if (access(interp, X_OK) < 0)
                        snprintf(msg, cap,
                                 "its interpreter %s is not installed on this machine (line 1: %s)",
                                 interp, head);
                else if (strcmp(strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp, "env") ==
                                 0 &&
                         arg[0] && !on_path(arg, environ))
                        snprintf(msg, cap,
                                 "its interpreter %s (found through %s) is not installed on this "
                                 "machine's /usr/bin or /bin",
                                 arg, interp);
                else
                        snprintf(msg, cap, "%s: %s (line 1: %s)", path, strerror(err), head);
                return;
        }
        if (n >= 4 && memcmp(head, "\177ELF", 4) == 0 && err == ENOENT) {
                snprintf(msg, cap,
                         "%s is a binary whose dynamic loader is missing here (built for "
                         "another system?)",
                         path);
                return;
        }
        if (err == ENOEXEC) {
                snprintf(msg, cap, "%s is neither a binary this machine runs nor a script "
                                   "starting with #!", path);
                return;
        }
        snprintf(msg, cap, "%s: %s", path, strerror(err));
}

/* Is dir one the jail shows (the machine's /usr, /bin, /sbin, /lib*, or an extra bind)? */
static bool jail_sees(const char *dir)
{
        static const char *const shown[] = {"/usr/", "/bin/", "/sbin/", "/lib"};
        const char *extra = getenv("SOCKCHECK_JAIL_BIND");
        char d[PATH_MAX];

        snprintf(d, sizeof(d), "%s/", dir);
        for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
                if (strncmp(d, shown[i], strlen(shown[i])) == 0)
                        return true;
        if (extra && *extra) {
                char list[1024], *save = NULL;

                snprintf(list, sizeof(list), "%s", extra);
                for (char *e = strtok_r(list, ":", &save); e; e = strtok_r(NULL, ":", &save))
                        if (strncmp(dir, e, strlen(e)) == 0)
                                return true;
        }
        return false;
}

bool sc_jail_explain_127(const struct sc_jail *j, char *msg, size_t cap)
{
        char host[PATH_MAX + 8], head[256], interp[128] = "", arg[128] = "", dirs[2048];
        const char *path = "/usr/bin:/bin";
        char *save = NULL, *nl;
        int fd;
        ssize_t n;

        snprintf(host, sizeof(host), "%s%s", j->port_dir, j->exec_path + strlen("/port"));
        fd = open(host, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, head, sizeof(head) - 1);
        close(fd);
        head[n > 0 ? n : 0] = '\0';
        if (n < 3 || head[0] != '#' || head[1] != '!')
                return false;
        if ((nl = strchr(head, '\n')))
                *nl = '\0';
        if (sscanf(head + 2, " %127s %127s", interp, arg) != 2 ||
            strcmp(strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp, "env") != 0 ||
            arg[0] == '-')
                return false;
        for (char *const *e = j->envp; *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        snprintf(dirs, sizeof(dirs), "%s", path);
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char full[PATH_MAX + 130];

                snprintf(full, sizeof(full), "%s/%s", d, arg);
                if (d[0] == '/' && jail_sees(d) && access(full, X_OK) == 0)
                        return false; /* it is there: the 127 is the program's own */
        }
        snprintf(msg, cap,
                 "its interpreter %s (found through %s) is not installed on this machine's "
                 "/usr/bin or /bin (line 1: %s)",
                 arg, interp, head);
        return true;
}
