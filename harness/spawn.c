/*
 * spawn.c - running a program under test inside a lab host, and ending it.
 *
 * Three processes per program:
 *   supervisor  forked from the test; enters the host's namespaces (user,
 *               network), makes private mount/UTS/IPC/PID namespaces, puts
 *               the host's /etc/hosts view and hostname in place, enforces
 *               the deadline and the limits, and forwards stop signals;
 *   init        pid 1 of the new PID namespace: forwards signals to the
 *               program's process group and reaps; when it exits, the
 *               kernel kills whatever the program left behind;
 *   program     pid 2, in its own process group, with default signal
 *               dispositions, stdin from a pipe or /dev/null.
 *
 * A program of the port under test (every program not marked trusted) runs
 * in the jail (jail.c): init builds a fresh root before forking it, the
 * program drops identity and privileges right before exec, the supervisor
 * puts init in cgroup leaves of its own (cgroup.c) and relays stdout and
 * stderr into the evidence files, stopping the program when a stream passes
 * its cap.  Nothing the program can reach is read to make a verdict: its
 * output arrives through the relay, its end through this process's wait.
 * Our own programs and peers write straight into the evidence files; in
 * plain loopback mode they run without namespaces, the supervisor a child
 * subreaper that kills the program's group and any orphan it adopts.
 *
 * sc_spawn returns once the program has exec'd (or failed to): a status
 * pipe whose write end every stage closes on the way, the last by exec
 * itself.  What happened (the wait status, a deadline, a limit, a stop the
 * program made itself) is written by init and the supervisor into a small
 * shared page the test reads, and told in words by sc_proc_end.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "jail.h"
#include "timing_prio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
        volatile int ended;     /* the program's status below is final */
        volatile int status;    /* wait(2) status of the program */
        volatile int timed_out;
        volatile int setup_failed;   /* the harness could not start it (a harness error) */
        volatile int exec_failed;    /* the port's file could not be run (the port's fault) */
        volatile int stopped_itself; /* it was seen stopped by a signal nobody here sent */
        volatile int out_capped[2];  /* stdout / stderr passed the output limit */
        volatile int cpu_hit, mem_hit, pids_hit;
        volatile double cpu_s;       /* CPU the program used (its own, or its cgroup's) */
        char setup_error[256];
        char exec_error[320];
};

struct sc_proc {
        struct sc_lab *lab;
        struct sc_proc *next;
        int host;
        pid_t pid; /* the supervisor */
        int stdin_fd;
        bool reaped;
        int stop_sig; /* the last stop signal sent (SIGUSR1 = killed) */
        double started, timeout;
        struct shared *sh;
        struct sc_jail *jail; /* NULL for our own programs */
        char name[64];
        char out_path[900], err_path[900];
        char *out_buf, *err_buf;
        char end[640];
};

extern char **environ;

/* Signal to the supervisor that the test process died (PR_SET_PDEATHSIG). */
#define SIG_PARENT_GONE (SIGRTMIN + 1)

/* ---- in the children (no Criterion, no stdio on the test's streams) ---- */

static volatile pid_t forward_to; /* >0 a pid, <0 a process group */
static volatile sig_atomic_t hard_kill, parent_gone, child_changed;

static void forward_signal(int sig)
{
        int saved = errno;

        if (sig == SIGUSR1) {
                hard_kill = 1;
                sig = SIGKILL;
        }
        if (forward_to) {
                kill(forward_to, sig);
                /* A program that stopped itself must wake to see the signal. */
                if (forward_to < 0 && sig != SIGKILL)
                        kill(forward_to, SIGCONT);
        }
        errno = saved;
}

static void note_parent_gone(int sig)
{
        (void)sig;
        parent_gone = 1;
}

static void note_child(int sig)
{
        (void)sig;
        child_changed = 1;
}

static void install_forwarders(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = forward_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGUSR1, &sa, NULL);
}

/* A step of the harness failed: a harness error, never the program's fault. */
static void setup_fail_msg(struct shared *sh, const char *msg)
{
        snprintf(sh->setup_error, sizeof(sh->setup_error), "%s", msg);
        sh->setup_failed = 1;
        dprintf(2, "sockcheck: cannot start the program: %s\n", sh->setup_error);
        _exit(126);
}

static void setup_fail(struct shared *sh, const char *what)
{
        char msg[256];

        snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
        setup_fail_msg(sh, msg);
}

/* The host's /etc/hosts view: a file on a private tmpfs, bound over /etc/hosts. */
static void put_hosts_view(struct shared *sh, const char *hosts)
{
        int fd;

        if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                setup_fail(sh, "make mounts private");
        if (mount("sockcheck", "/tmp", "tmpfs", 0, "size=64k,mode=0755") < 0)
                setup_fail(sh, "mount tmpfs");
        fd = open("/tmp/hosts", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, hosts, strlen(hosts)) < 0)
                setup_fail(sh, "write hosts view");
        close(fd);
        if (mount("/tmp/hosts", "/etc/hosts", NULL, MS_BIND, NULL) < 0)
                setup_fail(sh, "bind /etc/hosts");
        /* Detach the tmpfs: the program sees the real /tmp, the bind stays. */
        if (umount2("/tmp", MNT_DETACH) < 0)
                setup_fail(sh, "detach tmpfs");
}

static void default_signals(void)
{
        sigset_t none;

        setpgid(0, 0);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Our own programs: the runner's environment, less what would change how they buffer. */
static void exec_trusted(const struct sc_proc_opts *o)
{
        size_t n = 0, extra = 0;
        char **envp;

        default_signals();
        /*
         * Ours too write into the evidence, and a flooding port can make a
         * reference server print without end: its files stop at 4 MiB.
         */
        {
                struct rlimit fs = {.rlim_cur = 4u << 20, .rlim_max = 4u << 20};

                setrlimit(RLIMIT_FSIZE, &fs);
                signal(SIGXFSZ, SIG_IGN); /* a write past it fails; the program goes on */
        }
        while (environ[n])
                n++;
        while (o->env && o->env[extra])
                extra++;
        envp = calloc(n + extra + 1, sizeof(*envp));
        if (envp) {
                size_t k = 0;

                /*
                 * Programs run as a person would run them: a Python port
                 * block-buffers its stdout on a file, as the book's programs
                 * do, even where the caller's environment says otherwise.
                 */
                for (size_t i = 0; i < n; i++)
                        if (strncmp(environ[i], "PYTHONUNBUFFERED=", 17) != 0)
                                envp[k++] = environ[i];
                for (size_t i = 0; i < extra; i++)
                        envp[k++] = (char *)o->env[i];
        }
        sc_timing_priority(o->rt_priority); /* timing tests: see timing_prio.c */
        execve(o->argv[0], (char *const *)o->argv, envp ? envp : environ);
        dprintf(2, "sockcheck: cannot run %s: %s\n", o->argv[0], strerror(errno));
        _exit(127);
}

/* A program of the port: the jail's last steps, then exec as /port/<name>. */
static void exec_jailed(struct shared *sh, const struct sc_proc_opts *o, const struct sc_jail *j,
                        bool mem_cgroup, bool pids_cgroup, int status_fd)
{
        char msg[256], arg0[PATH_MAX];
        const char *argv[64];
        const char *base = strrchr(o->argv[0], '/');
        int e;
        size_t n = 0;

        default_signals();
        snprintf(arg0, sizeof(arg0), "/port/%s", base ? base + 1 : o->argv[0]);
        argv[n++] = arg0;
        for (size_t i = 1; o->argv[i] && n < 63; i++)
                argv[n++] = o->argv[i];
        argv[n] = NULL;
        sc_timing_priority(o->rt_priority); /* while it still may: see timing_prio.c */
        if (sc_jail_drop(j, mem_cgroup, pids_cgroup, status_fd, msg, sizeof(msg)) < 0)
                setup_fail_msg(sh, msg);
        execve(j->exec_path, (char *const *)argv, (char *const *)j->envp);
        e = errno;
        sc_jail_explain_exec(j->exec_path, e, sh->exec_error, sizeof(sh->exec_error));
        sh->exec_failed = 1;
        dprintf(2, "sockcheck: cannot run %s: %s\n", arg0, sh->exec_error);
        _exit(127);
}

struct child_args {
        struct shared *sh;
        const struct sc_proc_opts *o;
        const struct sc_jail *jail; /* NULL: trusted */
        bool mem_cgroup, pids_cgroup;
        int status_fd;              /* closed on exec; the test waits for that */
        int go_fd;                  /* jail: the supervisor has put init in its cgroups */
};

/* pid 1 of the program's PID namespace. */
static void run_init(const struct child_args *a, pid_t supervisor)
{
        struct shared *sh = a->sh;
        sigset_t mask;
        struct rusage ru;
        pid_t prog;
        int status;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != supervisor && getppid() != 0)
                _exit(1);
        if (a->jail) {
                char msg[256], go;
                int go_fd = a->go_fd;

                /* The relays and evidence files are not its business. */
                if (go_fd > 4)
                        close_range(4, (unsigned)go_fd - 1, 0);
                close_range((unsigned)go_fd + 1, ~0U, 0);
                /*
                 * The root is built while the supervisor moves this process into
                 * its cgroups (a migration waits for an RCU grace period): the
                 * program is forked only once it is in them.
                 */
                if (sc_jail_build_root(a->jail, msg, sizeof(msg)) < 0)
                        setup_fail_msg(sh, msg);
                if (read(go_fd, &go, 1) != 1)
                        _exit(1); /* the supervisor gave up */
                close(go_fd);
                /* Its memory holds the runner's environment: not for the program to read. */
                prctl(PR_SET_DUMPABLE, 0);
        }
        prog = fork();
        if (prog < 0)
                setup_fail(sh, "fork program");
        if (prog == 0) {
                if (a->jail)
                        exec_jailed(sh, a->o, a->jail, a->mem_cgroup, a->pids_cgroup,
                                    a->status_fd);
                exec_trusted(a->o);
        }
        close(a->status_fd);
        setpgid(prog, prog);
        forward_to = -prog;
        install_forwarders();
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_SETMASK, &mask, NULL); /* SIGCHLD stays blocked: we wait for it */
        for (;;) {
                pid_t r = wait4(-1, &status, WUNTRACED, &ru);

                if (r == prog && WIFSTOPPED(status)) {
                        /* Nobody here sends SIGSTOP: the program (or its group) did. */
                        sh->stopped_itself = 1;
                        continue;
                }
                if (r == prog) {
                        sh->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                                    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
                        sh->status = status;
                        sh->ended = 1;
                        _exit(0); /* the kernel now kills the rest of the namespace */
                }
                if (r < 0 && errno != EINTR)
                        _exit(1);
        }
}

/* Kills the children a subreaper adopted (loopback mode only). */
static void kill_adopted(void)
{
        char path[64], buf[4096];

        for (int round = 0; round < 50; round++) {
                int fd, found = 0;
                ssize_t n;

                snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n <= 0)
                        return;
                buf[n] = '\0';
                for (char *p = buf, *end; *p; p = end) {
                        long pid = strtol(p, &end, 10);

                        if (end == p)
                                break;
                        if (pid > 0) {
                                kill((pid_t)pid, SIGKILL);
                                found = 1;
                        }
                }
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (!found)
                        return;
                usleep(1000);
        }
}

/* One output stream of a jailed program on its way to its evidence file. */
struct relay {
        int from, to;
        uint64_t seen;
        volatile int *capped;
};

/* Moves what is there; true when the stream passed its cap just now. */
static bool relay_some(struct relay *r, uint64_t cap)
{
        char buf[65536];
        bool hit = false;

        for (int rounds = 0; r->from >= 0 && rounds < 16; rounds++) {
                ssize_t n = read(r->from, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) {
                                close(r->from);
                                r->from = -1;
                        }
                        break;
                }
                if (r->seen < cap) {
                        uint64_t room = cap - r->seen;
                        size_t keep = (uint64_t)n < room ? (size_t)n : (size_t)room;

                        if (write(r->to, buf, keep) < 0) {
                                /* The evidence file is the harness's: nothing to do but stop. */
                        }
                }
                r->seen += (uint64_t)n;
                if (r->seen > cap && !*r->capped) {
                        *r->capped = 1;
                        hit = true;
                }
        }
        return hit;
}

struct sup_args {
        struct sc_lab *lab;
        const struct sc_proc_opts *o;
        struct shared *sh;
        const struct sc_jail *jail;
        int in, out, err, status_fd;
        const char *hosts;
        double timeout;
        pid_t parent;
};

/* Moves fd above the low numbers first, so placing one never lands on another. */
static int lift_fd(int fd)
{
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 100);

        if (high >= 0)
                close(fd);
        return high;
}

/* Puts a lifted fd at number want; returns want. */
static int place_fd(int fd, int want)
{
        if (dup2(fd, want) < 0)
                return -1;
        close(fd);
        return want;
}

static void run_supervisor(const struct sup_args *s)
{
        struct sc_lab *lab = s->lab;
        const struct sc_proc_opts *o = s->o;
        const struct sc_jail *j = s->jail;
        struct shared *sh = s->sh;
        bool netns = lab->mode != SC_MODE_LOOPBACK;
        bool pidns = netns || j;
        struct child_args ca = {.sh = sh, .o = o, .jail = j, .go_fd = -1};
        struct relay relays[2] = {{.from = -1, .to = -1, .capped = &sh->out_capped[0]},
                                  {.from = -1, .to = -1, .capped = &sh->out_capped[1]}};
        struct sc_cgroup cg;
        struct sigaction sa;
        sigset_t chld, wake;
        double deadline = sc_now() + s->timeout, next_cpu = 0;
        int go[2] = {-1, -1}, status = 0, opipe[2], epipe[2], in, out, err, stfd;
        char msg[256];
        pid_t child;
        bool killed = false;

        memset(&cg, 0, sizeof(cg));
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = note_parent_gone;
        sigaction(SIG_PARENT_GONE, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, j ? SIG_PARENT_GONE : SIGKILL);
        if (getppid() != s->parent)
                _exit(1);
        /* First into the host, while the lab's descriptors are where they were. */
        if (netns) {
                if (lab->userns >= 0 && setns(lab->userns, CLONE_NEWUSER) < 0)
                        setup_fail(sh, "enter the lab's user namespace");
                if (setns(lab->netns[o->host], CLONE_NEWNET) < 0)
                        setup_fail(sh, "enter the host's network namespace");
        }
        /* Descriptors: 0-2 the program's, 3 the status pipe, then the relays' ends. */
        if (j) {
                if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0)
                        setup_fail(sh, "make the output relays");
                opipe[0] = lift_fd(opipe[0]), opipe[1] = lift_fd(opipe[1]);
                epipe[0] = lift_fd(epipe[0]), epipe[1] = lift_fd(epipe[1]);
                in = lift_fd(s->in), out = lift_fd(s->out), err = lift_fd(s->err);
                stfd = lift_fd(s->status_fd);
                if (place_fd(in, 0) < 0 || place_fd(opipe[1], 1) < 0 ||
                    place_fd(epipe[1], 2) < 0 || place_fd(stfd, 3) < 0 ||
                    place_fd(opipe[0], 4) < 0 || place_fd(epipe[0], 5) < 0 ||
                    place_fd(out, 6) < 0 || place_fd(err, 7) < 0)
                        setup_fail(sh, "arrange descriptors");
                relays[0].from = 4, relays[1].from = 5, relays[0].to = 6, relays[1].to = 7;
                fcntl(4, F_SETFL, O_NONBLOCK);
                fcntl(5, F_SETFL, O_NONBLOCK);
        } else {
                in = lift_fd(s->in), out = lift_fd(s->out), err = lift_fd(s->err);
                stfd = lift_fd(s->status_fd);
                if (place_fd(in, 0) < 0 || place_fd(out, 1) < 0 || place_fd(err, 2) < 0 ||
                    place_fd(stfd, 3) < 0)
                        setup_fail(sh, "arrange descriptors");
        }
        fcntl(3, F_SETFD, FD_CLOEXEC);
        ca.status_fd = 3;
        /* The namespaces are entered: nothing of the test process's stays open. */
        close_range(j ? 8 : 4, ~0U, 0);
        if (j) {
                if (j->root) {
                        if (sc_cgroup_make(&cg, &j->lim, getpid(), j->uid - (uid_t)j->slot, msg,
                                           sizeof(msg)) < 0) {
                                sc_cgroup_destroy(&cg);
                                setup_fail_msg(sh, msg);
                        }
                }
                ca.mem_cgroup = cg.have[SC_CG_MEMORY];
                ca.pids_cgroup = cg.have[SC_CG_PIDS];
                if (sc_jail_unshare(j, lab->userns >= 0, msg, sizeof(msg)) < 0) {
                        sc_cgroup_destroy(&cg);
                        setup_fail_msg(sh, msg);
                }
                if (j->hostname[0] && sethostname(j->hostname, strlen(j->hostname)) < 0)
                        setup_fail(sh, "sethostname");
                if (pipe2(go, O_CLOEXEC) < 0)
                        setup_fail(sh, "make the start pipe");
                ca.go_fd = go[0];
        } else if (netns) {
                if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0)
                        setup_fail(sh, "unshare mount/UTS/IPC/PID namespaces");
                put_hosts_view(sh, s->hosts);
                if (sethostname(lab->hosts[o->host].name, strlen(lab->hosts[o->host].name)) < 0)
                        setup_fail(sh, "sethostname");
        } else {
                prctl(PR_SET_CHILD_SUBREAPER, 1);
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = note_child;
        sigaction(SIGCHLD, &sa, NULL);
        child = fork();
        if (child < 0)
                setup_fail(sh, "fork");
        if (child == 0) {
                if (pidns)
                        run_init(&ca, getppid());
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                exec_trusted(o);
        }
        close(3);
        if (j) {
                /* The relays' write ends are the program's alone, so their EOF means it is gone. */
                dup2(6, 1);
                dup2(7, 2);
                close(go[0]);
                if (sc_cgroup_enter(&cg, child, msg, sizeof(msg)) < 0) {
                        kill(child, SIGKILL);
                        waitpid(child, NULL, 0);
                        sc_cgroup_destroy(&cg);
                        setup_fail_msg(sh, msg);
                }
                if (write(go[1], "g", 1) != 1)
                        setup_fail(sh, "start the jail");
                close(go[1]);
        }
        if (!pidns)
                setpgid(child, child);
        forward_to = pidns ? child : -child;
        install_forwarders();
        sigemptyset(&wake);
        sigaddset(&wake, SIGCHLD);
        sigprocmask(SIG_SETMASK, &wake, NULL); /* all but SIGCHLD unblocked */
        sigemptyset(&chld);                    /* ppoll lets SIGCHLD in */
        for (;;) {
                pid_t r = waitpid(child, &status, WNOHANG);
                double left = deadline - sc_now();
                struct pollfd pf[2];
                struct timespec ts;
                int n = 0;

                if (r == child)
                        break;
                if ((hard_kill || parent_gone) && !killed) {
                        kill(child, SIGKILL);
                        if (!pidns)
                                kill(-child, SIGKILL);
                        killed = true;
                }
                if (left <= 0 && !sh->timed_out) {
                        sh->timed_out = 1;
                        kill(pidns ? child : -child, SIGKILL);
                        left = 1;
                }
                /* The limits the cgroups count, looked at ten times a second. */
                if (j && sc_now() >= next_cpu) {
                        double used = sc_cgroup_cpu_s(&cg);

                        next_cpu = sc_now() + 0.1;
                        if (used > j->lim.cpu_s && !sh->cpu_hit) {
                                sh->cpu_hit = 1;
                                kill(child, SIGKILL);
                        }
                        /* A fork refused at the process limit ends the program, as memory does. */
                        if (!sh->pids_hit && sc_cgroup_hit_pids(&cg)) {
                                sh->pids_hit = 1;
                                kill(child, SIGKILL);
                        }
                }
                for (int i = 0; i < 2; i++)
                        if (relays[i].from >= 0) {
                                pf[n].fd = relays[i].from;
                                pf[n++].events = POLLIN;
                        }
                if (left > 0.1)
                        left = 0.1;
                ts.tv_sec = (time_t)left;
                ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
                child_changed = 0;
                ppoll(pf, (nfds_t)n, &ts, &chld);
                for (int i = 0; i < 2; i++)
                        if (relay_some(&relays[i], j ? j->lim.out_bytes : 0))
                                kill(child, SIGKILL); /* more than its share of output: stopped */
        }
        /* Everything in the PID namespace is gone now: the rest of the output is in the pipes. */
        for (int i = 0; i < 2; i++) {
                double until = sc_now() + 1.0;

                while (relays[i].from >= 0 && sc_now() < until) {
                        relay_some(&relays[i], j->lim.out_bytes);
                        if (relays[i].from >= 0) {
                                struct pollfd pf = {.fd = relays[i].from, .events = POLLIN};

                                poll(&pf, 1, 20);
                        }
                }
        }
        if (j) {
                double used = sc_cgroup_cpu_s(&cg);

                if (used >= 0 && used > sh->cpu_s)
                        sh->cpu_s = used;
                sh->mem_hit = sc_cgroup_hit_memory(&cg);
                sh->pids_hit |= sc_cgroup_hit_pids(&cg);
                sc_cgroup_destroy(&cg);
        }
        if (!pidns) {
                sh->status = status;
                sh->ended = 1;
                kill(-child, SIGKILL); /* what the program left in its group */
                kill_adopted();
        } else if (!sh->ended) {
                /* init died before the program did (killed at the deadline). */
                sh->status = status;
                sh->ended = 1;
        }
        _exit(0);
}

/* ---- in the test process ---- */

/*
 * Waits until the status pipe closes: the program has exec'd, or a stage
 * before it has failed (the shared page says which).
 */
static int wait_exec(struct sc_proc *p, int fd)
{
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        double deadline = sc_now() + 10.0;
        char c;

        for (;;) {
                int r = poll(&pf, 1, 100);

                if (r > 0 && read(fd, &c, 1) <= 0)
                        break;
                if (r < 0 && errno != EINTR)
                        break;
                if (sc_now() > deadline)
                        return sc_fail(SC_EHARNESS, "harness error: %s did not start within 10 s",
                                       p->name);
        }
        if (p->sh->setup_failed)
                return sc_fail(SC_EHARNESS, "harness error: cannot %s %s: %s",
                               p->jail ? "build the jail for" : "start", p->name,
                               p->sh->setup_error);
        return 0;
}

int sc_spawn(struct sc_lab *lab, const struct sc_proc_opts *o, struct sc_proc **out)
{
        struct sc_proc *p;
        char hosts[1024] = "";
        int in[2] = {-1, -1}, st[2] = {-1, -1}, fo = -1, fe = -1, rc;
        sigset_t block, old;

        *out = NULL;
        if (!lab->started)
                return sc_fail(EINVAL, "lab %s is not started", lab->name);
        if (o->host < 0 || o->host >= lab->nhosts)
                return sc_fail(EINVAL, "lab %s has no host %d", lab->name, o->host);
        if (!o->argv || !o->argv[0])
                return sc_fail(EINVAL, "no program to run");
        if (o->trusted && access(o->argv[0], X_OK) < 0)
                return sc_fail(errno, "cannot run %s: %s", o->argv[0], strerror(errno));
        p = calloc(1, sizeof(*p));
        if (!p)
                return sc_fail(ENOMEM, "out of memory");
        p->lab = lab;
        p->host = o->host;
        p->stdin_fd = -1;
        p->timeout = o->timeout_s > 0 ? o->timeout_s : 30.0;
        snprintf(p->name, sizeof(p->name), "%s", o->name ? o->name : "prog");
        snprintf(p->out_path, sizeof(p->out_path), "%s/%s.stdout", lab->dir, p->name);
        snprintf(p->err_path, sizeof(p->err_path), "%s/%s.stderr", lab->dir, p->name);
        p->sh = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p->sh == MAP_FAILED) {
                p->sh = NULL;
                rc = sc_fail(errno, "mmap: %s", strerror(errno));
                goto fail;
        }
        if (lab->mode != SC_MODE_LOOPBACK) {
                rc = sc_lab_hosts_text(lab, o->host, hosts, sizeof(hosts));
                if (rc < 0)
                        goto fail;
        }
        if (!o->trusted) {
                p->jail = calloc(1, sizeof(*p->jail));
                if (!p->jail) {
                        rc = sc_fail(ENOMEM, "out of memory");
                        goto fail;
                }
                rc = sc_jail_plan(p->jail, o->argv[0], o->env,
                                  lab->mode != SC_MODE_LOOPBACK ? lab->hosts[o->host].name : NULL,
                                  hosts);
                if (rc < 0)
                        goto fail;
        }
        fo = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        fe = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fo < 0 || fe < 0) {
                rc = sc_fail(errno, "open %s: %s", p->out_path, strerror(errno));
                goto fail;
        }
        if (pipe2(st, O_CLOEXEC) < 0) {
                rc = sc_fail(errno, "pipe: %s", strerror(errno));
                goto fail;
        }
        if (o->stdin_data || o->stdin_open) {
                if (pipe2(in, O_CLOEXEC) < 0) {
                        rc = sc_fail(errno, "pipe: %s", strerror(errno));
                        goto fail;
                }
                fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
        } else {
                in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (in[0] < 0) {
                        rc = sc_fail(errno, "open /dev/null: %s", strerror(errno));
                        goto fail;
                }
        }
        /* Children start with stop signals blocked until their forwarders are in place. */
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigaddset(&block, SIGUSR1);
        sigaddset(&block, SIGCHLD);
        sigaddset(&block, SIG_PARENT_GONE);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        {
                struct sup_args s = {.lab = lab, .o = o, .sh = p->sh, .jail = p->jail,
                                     .in = in[0], .out = fo, .err = fe, .status_fd = st[1],
                                     .hosts = hosts, .timeout = p->timeout, .parent = getpid()};

                p->pid = fork();
                if (p->pid == 0)
                        run_supervisor(&s);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (p->pid < 0) {
                rc = sc_fail(errno, "fork: %s", strerror(errno));
                goto fail;
        }
        p->started = sc_now();
        close(in[0]);
        close(fo);
        close(fe);
        close(st[1]);
        p->stdin_fd = in[1];
        p->next = lab->procs;
        lab->procs = p;
        rc = wait_exec(p, st[0]);
        close(st[0]);
        if (rc == 0 && o->stdin_data && o->stdin_len)
                rc = sc_proc_write(p, o->stdin_data, o->stdin_len);
        if (rc < 0) {
                char why[1024];

                snprintf(why, sizeof(why), "%s", sc_error());
                sc_proc_free(p);
                return sc_fail(-rc, "%s", why);
        }
        if (!o->stdin_open)
                sc_proc_close_stdin(p);
        sc_lab_note_program(lab, o->host, p->name, o->argv); /* for capture.pcapng */
        *out = p;
        return 0;
fail:
        if (in[0] >= 0)
                close(in[0]);
        if (in[1] >= 0)
                close(in[1]);
        if (st[0] >= 0)
                close(st[0]);
        if (st[1] >= 0)
                close(st[1]);
        if (fo >= 0)
                close(fo);
        if (fe >= 0)
                close(fe);
        if (p->sh)
                munmap(p->sh, sizeof(struct shared));
        if (p->jail) {
                sc_jail_release(p->jail);
                free(p->jail);
        }
        free(p);
        return rc;
}

int sc_proc_write(struct sc_proc *p, const void *data, size_t len)
{
        const char *d = data;

        if (p->stdin_fd < 0)
                return sc_fail(EBADF, "%s: stdin is closed", p->name);
        while (len > 0) {
                ssize_t w = write(p->stdin_fd, d, len);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return sc_fail(errno, "%s: write stdin: %s", p->name, strerror(errno));
                d += w;
                len -= (size_t)w;
        }
        return 0;
}

int sc_proc_close_stdin(struct sc_proc *p)
{
        if (p->stdin_fd >= 0)
                close(p->stdin_fd);
        p->stdin_fd = -1;
        return 0;
}

/* Reaps the supervisor if it has ended; true once the program's end is known. */
static bool reap(struct sc_proc *p)
{
        int status;

        if (p->reaped)
                return true;
        if (p->pid <= 0)
                return true;
        if (waitpid(p->pid, &status, WNOHANG) == 0)
                return false;
        /* Reaped now, or by somebody else (ECHILD): the shared page has the end. */
        p->reaped = true;
        if (!p->sh->ended) {
                p->sh->status = status;
                p->sh->ended = 1;
        }
        return true;
}

bool sc_proc_running(struct sc_proc *p)
{
        return !reap(p);
}

int sc_proc_wait(struct sc_proc *p, double timeout_s)
{
        double deadline = sc_now() + timeout_s;

        while (!reap(p)) {
                if (sc_now() >= deadline)
                        return sc_fail(ETIMEDOUT, "%s still running after %.1f s", p->name,
                                       timeout_s);
                sc_nap(0.001);
        }
        return 0;
}

int sc_proc_signal(struct sc_proc *p, int sig)
{
        if (reap(p))
                return sc_fail(ESRCH, "%s has ended (%s)", p->name, sc_proc_end(p));
        if (kill(p->pid, sig) < 0)
                return sc_fail(errno, "signal %s: %s", p->name, strerror(errno));
        return 0;
}

/* Reads a small /proc file into buf (NUL-terminated); false if it is gone or empty. */
static bool read_proc(const char *path, char *buf, size_t cap)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return false;
        n = read(fd, buf, cap - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        return true;
}

/* The first child of pid (from /proc/<pid>/task/<pid>/children), or 0. */
static pid_t first_child(pid_t pid)
{
        char path[64], buf[64];

        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
        return read_proc(path, buf, sizeof(buf)) ? (pid_t)atoi(buf) : 0;
}

/* The scheduler state of pid ('R', 'S', 'D', 'Z', ...), or 0 if it is gone. */
static char proc_state(pid_t pid)
{
        char path[64], buf[512], *paren;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        if (!read_proc(path, buf, sizeof(buf)))
                return 0;
        paren = strrchr(buf, ')'); /* the command name may hold anything */
        return paren && paren[1] == ' ' ? paren[2] : 0;
}

/*
 * Waits (briefly) until the program is asleep in a system call, so that a
 * stop never lands between, say, its bind() and the print that follows:
 * what it was about to print when it became ready is printed.  A program
 * that never sleeps is stopped anyway when the deadline passes.
 */
static void wait_quiet(struct sc_proc *p, double timeout_s)
{
        double deadline = sc_now() + timeout_s;
        char self[512], exe[512], path[64];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        self[n > 0 ? n : 0] = '\0';
        while (sc_now() < deadline && !reap(p)) {
                pid_t prog = first_child(p->pid);
                char st;

                /* In a PID namespace the program is the child of init, the supervisor's child. */
                if (prog && p->lab->mode != SC_MODE_LOOPBACK)
                        prog = first_child(prog);
                if (prog) {
                        /* Until it has exec'd it is still a copy of this process. */
                        snprintf(path, sizeof(path), "/proc/%d/exe", (int)prog);
                        n = readlink(path, exe, sizeof(exe) - 1);
                        exe[n > 0 ? n : 0] = '\0';
                        st = proc_state(prog);
                        if (n > 0 && strcmp(exe, self) != 0 && st != 'R' && st != 'D')
                                return;
                }
                sc_nap(0.001);
        }
}

int sc_proc_stop(struct sc_proc *p)
{
        static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1 /* = kill hard */};
        int rc;

        if (!reap(p))
                wait_quiet(p, 0.5);

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
                if (reap(p))
                        return 0;
                p->stop_sig = sigs[i];
                kill(p->pid, sigs[i]);
                /* After the hard kill the supervisor still empties and removes the cgroups. */
                if (sc_proc_wait(p, sigs[i] == SIGUSR1 ? 5.0 : sigs[i] == SIGINT ? 2.0 : 1.0) == 0)
                        return 0;
        }
        /* The supervisor itself is stuck: kill it, and remove what it would have. */
        kill(p->pid, SIGKILL);
        rc = sc_proc_wait(p, 2.0);
        if (p->jail)
                sc_cgroup_sweep();
        return rc;
}

static const char *slurp(const char *path, char **buf, size_t *len)
{
        size_t n = 0;

        free(*buf);
        *buf = NULL;
        if (sc_read_file(path, buf, &n) < 0) {
                *buf = strdup("");
                n = 0;
        }
        if (len)
                *len = n;
        return *buf ? *buf : "";
}

const char *sc_proc_stdout(struct sc_proc *p, size_t *len)
{
        return slurp(p->out_path, &p->out_buf, len);
}

const char *sc_proc_stderr(struct sc_proc *p, size_t *len)
{
        return slurp(p->err_path, &p->err_buf, len);
}

const char *sc_proc_stdout_path(const struct sc_proc *p)
{
        return p->out_path;
}

int sc_proc_wait_output(struct sc_proc *p, const char *needle, double timeout_s)
{
        double deadline = sc_now() + timeout_s;

        for (;;) {
                bool ended = reap(p);
                size_t n;
                const char *out = sc_proc_stdout(p, &n);

                if (memmem(out, n, needle, strlen(needle)))
                        return 0;
                if (ended)
                        return sc_fail(ESRCH, "%s %s without printing '%s'", p->name,
                                       sc_proc_end(p), needle);
                if (sc_now() >= deadline)
                        return sc_fail(ETIMEDOUT, "%s did not print '%s' within %.1f s",
                                       p->name, needle, timeout_s);
                sc_nap(0.002);
        }
}

int sc_proc_wait_bytes(struct sc_proc *p, size_t want, double timeout_s)
{
        double deadline = sc_now() + timeout_s;

        for (;;) {
                bool ended = reap(p);
                size_t n;

                sc_proc_stdout(p, &n);
                if (n >= want)
                        return 0;
                if (ended)
                        return sc_fail(ESRCH, "%s %s after %zu of %zu bytes", p->name,
                                       sc_proc_end(p), n, want);
                if (sc_now() >= deadline)
                        return sc_fail(ETIMEDOUT, "%s printed %zu of %zu bytes within %.1f s",
                                       p->name, n, want, timeout_s);
                sc_nap(0.002);
        }
}

/*
 * Is there a socket on port in /proc/<pid>/net/tcp or tcp6 (udp, udp6)?
 * TCP must be listening.  Only where sock_diag cannot answer (see below).
 */
static bool port_in_tables(pid_t pid, int proto, uint16_t port)
{
        static const char *const tcp[] = {"tcp", "tcp6"}, *const udp[] = {"udp", "udp6"};
        const char *const *tables = proto == IPPROTO_TCP ? tcp : udp;
        bool found = false;

        for (int i = 0; i < 2 && !found; i++) {
                char path[64], *text, *line, *save = NULL;

                snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, tables[i]);
                if (sc_read_file(path, &text, NULL) < 0)
                        continue;
                for (line = strtok_r(text, "\n", &save); line && !found;
                     line = strtok_r(NULL, "\n", &save)) {
                        unsigned lport, st;

                        /* v4 and v6 alike: "sl: local:port remote:port st" */
                        if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%4X %*[0-9A-Fa-f]:%*4X %2X", &lport,
                                   &st) == 2)
                                found = lport == port && (proto != IPPROTO_TCP || st == 0x0A);
                }
                free(text);
        }
        return found;
}

/*
 * Is port bound where p runs?  Asked of its lab host's stack through
 * sock_diag (sockdiag.c: /proc/net/tcp costs milliseconds a read); read
 * from /proc only when that cannot answer.  IPv6 too: a dual-stack
 * listener on [::] serves the book's IPv4 clients.
 */
static bool port_bound(struct sc_proc *p, int proto, uint16_t port)
{
        struct sc_lab *lab = p->lab;

        /* Plain loopback mode: the machine's own stack, which is ours. */
        if (lab && lab->mode == SC_MODE_LOOPBACK && lab->diag[p->host] < 0)
                lab->diag[p->host] = sc_diag_open();
        if (lab && lab->diag[p->host] >= 0) {
                int r = sc_diag_bound(lab->diag[p->host], proto, port);

                if (r >= 0)
                        return r > 0;
        }
        return port_in_tables(p->pid, proto, port);
}

int sc_proc_wait_bound(struct sc_proc *p, int proto, uint16_t port, double timeout_s)
{
        double deadline = sc_now() + timeout_s;
        bool tcp = proto == IPPROTO_TCP;

        for (;;) {
                if (reap(p))
                        return sc_fail(ESRCH, "%s %s before binding %s port %u", p->name,
                                       sc_proc_end(p), tcp ? "TCP" : "UDP", port);
                if (port_bound(p, proto, port))
                        return 0;
                if (sc_now() >= deadline)
                        return sc_fail(ETIMEDOUT, "%s bound no %s port %u within %.1f s (%s)",
                                       p->name, tcp ? "TCP" : "UDP", port, timeout_s,
                                       sc_proc_end(p));
                sc_nap(0.002);
        }
}

int sc_proc_status(struct sc_proc *p)
{
        return reap(p) ? p->sh->status : -1;
}

int sc_proc_exit_code(struct sc_proc *p)
{
        if (!reap(p) || p->sh->timed_out || !WIFEXITED(p->sh->status))
                return -1;
        return WEXITSTATUS(p->sh->status);
}

bool sc_proc_timed_out(struct sc_proc *p)
{
        return reap(p) && p->sh->timed_out;
}

/* How it ended, before any limit or stop is taken into account. */
static void plain_end(const struct sc_proc *p, char *out, size_t cap)
{
        int st = p->sh->status;

        if (WIFEXITED(st))
                snprintf(out, cap, "exited %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
                snprintf(out, cap, "killed by SIG%s",
                         sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
        else
                snprintf(out, cap, "ended (status %#x)", st);
}

const char *sc_proc_end(struct sc_proc *p)
{
        const struct shared *sh = p->sh;
        const struct sc_limits *l = p->jail ? &p->jail->lim : sc_limits();
        char plain[64], what[400], why[320];
        int st;

        if (!reap(p))
                return sh->stopped_itself ? "stopped itself (SIGSTOP), still running" : "running";
        st = sh->status;
        plain_end(p, plain, sizeof(plain));
        /* The most telling cause first: a limit, then a deadline, then a stop it ignored. */
        if (sh->setup_failed)
                snprintf(what, sizeof(what), "harness error: could not start (%s)",
                         sh->setup_error);
        else if (sh->exec_failed)
                snprintf(what, sizeof(what), "could not run: %s", sh->exec_error);
        else if (p->jail && WIFEXITED(st) && WEXITSTATUS(st) == 127 &&
                 sc_jail_explain_127(p->jail, why, sizeof(why)))
                snprintf(what, sizeof(what), "exited 127: %s", why);
        else if (sh->mem_hit)
                snprintf(what, sizeof(what), "killed: memory limit (%s) reached",
                         sc_limit_bytes(l->mem_bytes));
        else if (sh->pids_hit)
                snprintf(what, sizeof(what), "%s: process limit (%u) reached",
                         WIFEXITED(st) && !sh->timed_out ? plain : "killed", l->nproc);
        else if (sh->out_capped[0] || sh->out_capped[1])
                snprintf(what, sizeof(what), "stopped: more than %s on %s",
                         sc_limit_bytes(l->out_bytes), sh->out_capped[0] ? "stdout" : "stderr");
        else if (sh->cpu_hit || (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU) ||
                 (p->jail && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && sh->cpu_s >= l->cpu_s))
                snprintf(what, sizeof(what), "killed: CPU limit (%g s)", l->cpu_s);
        else if (sh->timed_out)
                snprintf(what, sizeof(what), "timed out after %.1f s", p->timeout);
        else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT)
                snprintf(what, sizeof(what), "%s", plain); /* SIGINT ended it, if slowly */
        else if (p->stop_sig == SIGUSR1)
                snprintf(what, sizeof(what), "ignored SIGINT and SIGTERM: killed");
        else if (p->stop_sig == SIGTERM)
                snprintf(what, sizeof(what), "ignored SIGINT, then %s on SIGTERM",
                         WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? "killed" : plain);
        else
                snprintf(what, sizeof(what), "%s", plain);
        snprintf(p->end, sizeof(p->end), "%s%s", sh->stopped_itself ? "stopped itself (SIGSTOP); " : "",
                 what);
        return p->end;
}

int sc_proc_stop_signal(const struct sc_proc *p)
{
        return p->stop_sig == SIGUSR1 ? SIGKILL : p->stop_sig;
}

bool sc_proc_harness_error(struct sc_proc *p)
{
        return reap(p) && p->sh->setup_failed;
}

pid_t sc_proc_pid(const struct sc_proc *p)
{
        return p->pid;
}

void sc_lab_forget_proc(struct sc_lab *lab, struct sc_proc *p)
{
        for (struct sc_proc **pp = &lab->procs; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        return;
                }
}

void sc_proc_free(struct sc_proc *p)
{
        if (!p)
                return;
        sc_proc_stop(p);
        sc_proc_close_stdin(p);
        sc_lab_forget_proc(p->lab, p);
        free(p->out_buf);
        free(p->err_buf);
        if (p->jail) {
                sc_jail_release(p->jail);
                free(p->jail);
        }
        if (p->sh)
                munmap(p->sh, sizeof(struct shared));
        free(p);
}

void sc_lab_stop_procs(struct sc_lab *lab)
{
        /* Ask them all first, so they stop in parallel, then make sure. */
        for (struct sc_proc *p = lab->procs; p; p = p->next)
                if (!reap(p))
                        kill(p->pid, SIGINT);
        while (lab->procs)
                sc_proc_free(lab->procs);
}
