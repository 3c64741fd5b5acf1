/*
 * jail.h - what spawn.c needs from the jail (jail.c), its limits (limits.c)
 * and its cgroups (cgroup.c).  Not part of the suites' interface: suites
 * see only sc_proc_opts.trusted, sc_limits() and the verdicts in words.
 *
 * The work is split by who can do it:
 *   - the test process (threads, Criterion) prepares a plan: the slot uid,
 *     the environment, the compiled seccomp filter, the paths;
 *   - the supervisor (single-threaded, outside the jail) makes the
 *     namespaces and the cgroup leaves, relays and caps the output, and
 *     removes the leaves at the end;
 *   - init (pid 1 of the jail's PID namespace) builds the fresh root, since
 *     only a process inside the PID namespace can mount its /proc;
 *   - the program's own child drops identity and privileges and execs.
 */
#ifndef SOCKCHECK_JAIL_H
#define SOCKCHECK_JAIL_H

#include "sc.h"

#include <limits.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

/* ---- the plan, made in the test process before fork ---- */

#define SC_JAIL_MAX_ENV 64

struct sc_jail {
        bool on;
        bool root;                /* real root: a slot uid, cgroups */
        uid_t uid;                /* the slot's uid (root mode) or 0 (inside the user namespace) */
        gid_t gid;
        int slot;                 /* slot number, -1 without one */
        int slot_fd;              /* the abstract socket that holds the slot */
        char port_dir[PATH_MAX];  /* bound read-only at /port */
        char exec_path[PATH_MAX]; /* the program as seen inside: /port/<relative path> */
        char hostname[64];
        char hosts[1024];         /* the host's /etc/hosts view */
        char *envp[SC_JAIL_MAX_ENV + 1];
        char env_store[8192];
        struct sock_fprog filter; /* the compiled seccomp filter (shared, never freed) */
        struct sc_limits lim;
};

/*
 * Fills the plan for argv[0] (a program of the port under test): resolves it
 * without leaving its directory, takes a slot, compiles the filter once.
 * extra_env are the test's own "K=V" entries.  0 or -errno with sc_error().
 */
int sc_jail_plan(struct sc_jail *j, const char *prog, const char *const *extra_env,
                 const char *hostname, const char *hosts);
/* Gives the slot back (test process, after the program has ended). */
void sc_jail_release(struct sc_jail *j);

/*
 * In the supervisor, before forking init: the namespaces the jail needs
 * beyond the lab's (mount, UTS, IPC, PID; a user namespace of its own when
 * not root and not already in the lab's).  0 or -errno; msg filled.
 */
int sc_jail_unshare(const struct sc_jail *j, bool in_lab_userns, char *msg, size_t cap);

/*
 * In init (pid 1 of the new PID namespace): builds the fresh root and
 * pivots into it.  0 or -errno; msg says which step failed.
 */
int sc_jail_build_root(const struct sc_jail *j, char *msg, size_t cap);

/*
 * In the program's process, as the last steps before exec: limits,
 * identity, capabilities, no_new_privs, seccomp, working directory.
 * 0 or -errno; msg filled.
 */
int sc_jail_drop(const struct sc_jail *j, bool have_memory_cgroup, bool have_pids_cgroup,
                 int keep_fd, char *msg, size_t cap);

/* "256 MiB", "1 MiB", "4096 bytes" (a ring of static buffers). */
const char *sc_limit_bytes(uint64_t bytes);

/*
 * Why an exec of path failed with err, in words a student understands
 * ("its interpreter /usr/bin/python9 is not installed").  Inside the jail.
 */
void sc_jail_explain_exec(const char *path, int err, char *msg, size_t cap);

/*
 * A jailed script that exited 127: was it `#!/usr/bin/env X` with no X the
 * jail can see?  Then msg says so (test process, reading the port's file).
 */
bool sc_jail_explain_127(const struct sc_jail *j, char *msg, size_t cap);

/* ---- cgroups (cgroup.c), in the supervisor ---- */

enum { SC_CG_MEMORY, SC_CG_PIDS, SC_CG_CPUACCT, SC_CG_UNIFIED, SC_CG_N };

struct sc_cgroup {
        bool have[SC_CG_N];
        char path[SC_CG_N][PATH_MAX];
};

/*
 * Makes a leaf in each hierarchy there is (below the runner's own cgroup),
 * with the limits set.  Hierarchies that are missing or not writable are
 * left out (have[] says which); 0 unless a leaf was made but its limit could
 * not be set (-errno, msg filled).
 */
int sc_cgroup_make(struct sc_cgroup *cg, const struct sc_limits *lim, pid_t owner,
                   unsigned uid_range, char *msg, size_t cap);
/* Moves pid into every leaf. */
int sc_cgroup_enter(const struct sc_cgroup *cg, pid_t pid, char *msg, size_t cap);
/* CPU time used by the leaf, in seconds (-1 without cpuacct). */
double sc_cgroup_cpu_s(const struct sc_cgroup *cg);
/* Did the leaf hit its memory or process limit? */
bool sc_cgroup_hit_memory(const struct sc_cgroup *cg);
bool sc_cgroup_hit_pids(const struct sc_cgroup *cg);
/* Kills every process left in the leaves, waits until they are gone, removes them. */
void sc_cgroup_destroy(struct sc_cgroup *cg);
/* Removes leaves left by supervisors that no longer exist (a crashed run). */
void sc_cgroup_sweep(void);

#endif
