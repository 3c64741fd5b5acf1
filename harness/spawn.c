/*
 * spawn.c - running a program under test inside a lab host, and ending it.
 *
 * Three processes per program:
 *   supervisor  forked from the test; enters the host's namespaces (user,
 *               network), makes private mount/UTS/IPC/PID namespaces, puts
 *               the host's /etc/hosts view and hostname in place, enforces
 *               the deadline, and forwards stop signals;
 *   init        pid 1 of the new PID namespace: forwards signals to the
 *               program's process group and reaps; when it exits, the
 *               kernel kills whatever the program left behind;
 *   program     pid 2, in its own process group, with default signal
 *               dispositions, stdin from a pipe or /dev/null, stdout and
 *               stderr straight into evidence files (so nothing is lost
 *               however the program ends, and Python's block-buffered
 *               output is flushed by its own exit path on SIGINT).
 * In plain loopback mode there is no namespace: the supervisor becomes a
 * child subreaper and kills the program's group and any orphan it adopts.
 *
 * The end of the program (its wait status, whether the deadline hit) is
 * written by init/supervisor into a small shared page the test reads.
 */
#define _GNU_SOURCE
#include "internal.h"

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
#include <sys/wait.h>
#include <unistd.h>

struct shared {
        volatile int ended;     /* the program's status below is final */
        volatile int status;    /* wait(2) status of the program */
        volatile int timed_out;
        volatile int setup_failed;
        char setup_error[256];
};

struct sc_proc {
        struct sc_lab *lab;
        struct sc_proc *next;
        int host;
        pid_t pid; /* the supervisor */
        int stdin_fd;
        bool reaped;
        double started, timeout;
        struct shared *sh;
        char name[64];
        char out_path[900], err_path[900];
        char *out_buf, *err_buf;
        char end[320];
};

extern char **environ;

/* ---- in the children (no Criterion, no stdio on the test's streams) ---- */

static volatile pid_t forward_to; /* >0 a pid, <0 a process group */
static volatile sig_atomic_t hard_kill;

static void forward_signal(int sig)
{
        int saved = errno;

        if (sig == SIGUSR1) {
                hard_kill = 1;
                sig = SIGKILL;
        }
        if (forward_to)
                kill(forward_to, sig);
        errno = saved;
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

static void setup_fail(struct shared *sh, const char *what)
{
        int e = errno;

        snprintf(sh->setup_error, sizeof(sh->setup_error), "%s: %s", what, strerror(e));
        sh->setup_failed = 1;
        dprintf(2, "sockcheck: cannot start the program: %s\n", sh->setup_error);
        _exit(126);
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

static void exec_program(const struct sc_proc_opts *o)
{
        sigset_t none;
        size_t n = 0, extra = 0;
        char **envp;

        setpgid(0, 0);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
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
        execve(o->argv[0], (char *const *)o->argv, envp ? envp : environ);
        dprintf(2, "sockcheck: cannot run %s: %s\n", o->argv[0], strerror(errno));
        _exit(127);
}

/* pid 1 of the program's PID namespace. */
static void run_init(struct shared *sh, const struct sc_proc_opts *o, pid_t supervisor)
{
        sigset_t none;
        pid_t prog;
        int status;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != supervisor && getppid() != 0)
                _exit(1);
        prog = fork();
        if (prog < 0)
                setup_fail(sh, "fork program");
        if (prog == 0)
                exec_program(o);
        setpgid(prog, prog);
        forward_to = -prog;
        install_forwarders();
        sigemptyset(&none);
        sigaddset(&none, SIGCHLD);
        sigprocmask(SIG_SETMASK, &none, NULL); /* SIGCHLD stays blocked: we wait for it */
        for (;;) {
                pid_t r = waitpid(-1, &status, 0);

                if (r == prog) {
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

static void run_supervisor(struct sc_lab *lab, const struct sc_proc_opts *o, struct shared *sh,
                           int in, int out, int err, const char *hosts, double timeout,
                           pid_t parent)
{
        bool ns = lab->mode != SC_MODE_LOOPBACK;
        sigset_t chld, wake;
        struct timespec ts;
        double deadline = sc_now() + timeout;
        pid_t child;
        int status;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(1);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                setup_fail(sh, "redirect stdio");
        if (ns) {
                if (lab->userns >= 0 && setns(lab->userns, CLONE_NEWUSER) < 0)
                        setup_fail(sh, "enter the lab's user namespace");
                if (setns(lab->netns[o->host], CLONE_NEWNET) < 0)
                        setup_fail(sh, "enter the host's network namespace");
                if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0)
                        setup_fail(sh, "unshare mount/UTS/IPC/PID namespaces");
                put_hosts_view(sh, hosts);
                if (sethostname(lab->hosts[o->host].name, strlen(lab->hosts[o->host].name)) < 0)
                        setup_fail(sh, "sethostname");
        } else {
                prctl(PR_SET_CHILD_SUBREAPER, 1);
        }
        close_range(3, ~0U, 0);
        child = fork();
        if (child < 0)
                setup_fail(sh, "fork");
        if (child == 0) {
                if (ns)
                        run_init(sh, o, getppid());
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                exec_program(o);
        }
        if (!ns)
                setpgid(child, child);
        forward_to = ns ? child : -child;
        install_forwarders();
        sigemptyset(&wake);
        sigaddset(&wake, SIGCHLD);
        sigprocmask(SIG_SETMASK, &wake, NULL); /* all but SIGCHLD unblocked */
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        for (;;) {
                pid_t r = waitpid(child, &status, WNOHANG);
                double left = deadline - sc_now();

                if (r == child)
                        break;
                if (hard_kill) {
                        kill(child, SIGKILL);
                        if (!ns)
                                kill(-child, SIGKILL);
                }
                if (left <= 0 && !sh->timed_out) {
                        sh->timed_out = 1;
                        kill(ns ? child : -child, SIGKILL);
                        left = 1;
                }
                if (left > 0.2)
                        left = 0.2;
                ts.tv_sec = (time_t)left;
                ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
                sigtimedwait(&chld, NULL, &ts);
        }
        if (!ns) {
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

int sc_spawn(struct sc_lab *lab, const struct sc_proc_opts *o, struct sc_proc **out)
{
        struct sc_proc *p;
        char hosts[1024] = "";
        int in[2] = {-1, -1}, fo = -1, fe = -1, rc;
        sigset_t block, old;

        *out = NULL;
        if (!lab->started)
                return sc_fail(EINVAL, "lab %s is not started", lab->name);
        if (o->host < 0 || o->host >= lab->nhosts)
                return sc_fail(EINVAL, "lab %s has no host %d", lab->name, o->host);
        if (!o->argv || !o->argv[0])
                return sc_fail(EINVAL, "no program to run");
        if (access(o->argv[0], X_OK) < 0)
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
        fo = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        fe = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fo < 0 || fe < 0) {
                rc = sc_fail(errno, "open %s: %s", p->out_path, strerror(errno));
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
        pthread_sigmask(SIG_BLOCK, &block, &old);
        {
                pid_t parent = getpid();

                p->pid = fork();
                if (p->pid == 0)
                        run_supervisor(lab, o, p->sh, in[0], fo, fe, hosts, p->timeout, parent);
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
        p->stdin_fd = in[1];
        if (o->stdin_data && o->stdin_len) {
                rc = sc_proc_write(p, o->stdin_data, o->stdin_len);
                if (rc < 0) {
                        p->next = lab->procs;
                        lab->procs = p;
                        sc_proc_free(p);
                        return rc;
                }
        }
        if (!o->stdin_open)
                sc_proc_close_stdin(p);
        p->next = lab->procs;
        lab->procs = p;
        sc_lab_note_program(lab, o->host, p->name, o->argv); /* for capture.pcapng */
        *out = p;
        return 0;
fail:
        if (in[0] >= 0)
                close(in[0]);
        if (in[1] >= 0)
                close(in[1]);
        if (fo >= 0)
                close(fo);
        if (fe >= 0)
                close(fe);
        if (p->sh)
                munmap(p->sh, sizeof(struct shared));
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

        if (!reap(p))
                wait_quiet(p, 0.5);

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
                if (reap(p))
                        return 0;
                kill(p->pid, sigs[i]);
                if (sc_proc_wait(p, 1.0) == 0)
                        return 0;
        }
        kill(p->pid, SIGKILL);
        return sc_proc_wait(p, 2.0);
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

/* Is there a socket on port in /proc/<pid>/net/<table>? TCP must be listening. */
static int port_in_table(pid_t pid, const char *table, uint16_t port, bool listening)
{
        char path[64], *text, *line, *save = NULL;
        int found = 0;

        snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, table);
        if (sc_read_file(path, &text, NULL) < 0)
                return -ESRCH;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned addr, lport, raddr, rport, st;

                if (sscanf(line, " %*u: %8X:%4X %8X:%4X %2X", &addr, &lport, &raddr, &rport,
                           &st) != 5)
                        continue;
                if (lport == port && (!listening || st == 0x0A)) {
                        found = 1;
                        break;
                }
        }
        free(text);
        return found;
}

int sc_proc_wait_bound(struct sc_proc *p, int proto, uint16_t port, double timeout_s)
{
        double deadline = sc_now() + timeout_s;
        bool tcp = proto == IPPROTO_TCP;

        for (;;) {
                int r;

                if (reap(p))
                        return sc_fail(ESRCH, "%s %s before binding %s port %u", p->name,
                                       sc_proc_end(p), tcp ? "TCP" : "UDP", port);
                r = port_in_table(p->pid, tcp ? "tcp" : "udp", port, tcp);
                if (r > 0)
                        return 0;
                if (sc_now() >= deadline)
                        return sc_fail(ETIMEDOUT, "%s bound no %s port %u within %.1f s",
                                       p->name, tcp ? "TCP" : "UDP", port, timeout_s);
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

const char *sc_proc_end(struct sc_proc *p)
{
        int st;

        if (!reap(p))
                return "running";
        st = p->sh->status;
        if (p->sh->timed_out)
                snprintf(p->end, sizeof(p->end), "timed out after %.1f s", p->timeout);
        else if (p->sh->setup_failed)
                snprintf(p->end, sizeof(p->end), "could not start (%s)", p->sh->setup_error);
        else if (WIFEXITED(st))
                snprintf(p->end, sizeof(p->end), "exited %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
                snprintf(p->end, sizeof(p->end), "killed by SIG%s",
                         sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
        else
                snprintf(p->end, sizeof(p->end), "ended (status %#x)", st);
        return p->end;
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
