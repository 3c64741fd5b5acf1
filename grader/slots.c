/*
 * slots.c - running a job (one student's conform, or one rerun) so that
 * nothing it starts outlives it, even when the grader is killed with SIGKILL.
 *
 * Every job runs under a guard, a forked copy of the grader that:
 *   - asks for SIGTERM when the grader dies (PR_SET_PDEATHSIG), and checks
 *     the grader is still its parent after asking (the race of dying first);
 *   - makes itself the child subreaper, so every process the job leaves
 *     behind (conform's timeout(1) and suite runners live in process groups
 *     of their own, a hostile port's daemon in yet another) is re-parented
 *     to the guard instead of init;
 *   - starts the job in a process group of its own, with the terminal's
 *     SIGINT out of reach (the grader alone decides what ^C stops);
 *   - when the job ends, is told to stop, or runs over its deadline, kills
 *     every process whose parent it is, reaps, and repeats until it has no
 *     child left: a tree can hide below a killed parent only until it is
 *     re-parented to the guard on the next round.
 * Only processes this guard started (and their descendants) are touched,
 * always by pid.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int sigfd = -1;
static sigset_t grader_mask;

int gr_signals_init(void)
{
        sigemptyset(&grader_mask);
        sigaddset(&grader_mask, SIGCHLD);
        sigaddset(&grader_mask, SIGINT);
        sigaddset(&grader_mask, SIGTERM);
        sigaddset(&grader_mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &grader_mask, NULL) < 0)
                return gr_fail(errno, "sigprocmask: %s", strerror(errno));
        sigfd = signalfd(-1, &grader_mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigfd < 0)
                return gr_fail(errno, "signalfd: %s", strerror(errno));
        return 0;
}

int gr_signal_fd(void)
{
        return sigfd;
}

/* Every pid whose parent is me, read from /proc (no CONFIG_PROC_CHILDREN needed). */
static int my_children(pid_t *out, int max)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        pid_t me = getpid();
        int n = 0;

        if (!d)
                return 0;
        while ((e = readdir(d)) && n < max) {
                char path[64], buf[512];
                pid_t pid = (pid_t)atoi(e->d_name);
                if (pid <= 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/stat", pid);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t r = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (r <= 0)
                        continue;
                buf[r] = 0;
                /* pid (comm) state ppid ...: comm may hold anything, so from the last ')' */
                char *p = strrchr(buf, ')');
                char state;
                int ppid;
                if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == me)
                        out[n++] = pid;
        }
        closedir(d);
        return n;
}

/*
 * A suite binary (Criterion) that is killed leaves its control socket
 * /tmp/criterion_<pid>.sock behind (the path is fixed in Criterion).  Each
 * process the guard reaps after killing it may have been one: its socket,
 * if there is one by that exact name, goes with it.
 */
static void forget_criterion_socket(pid_t pid)
{
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "/tmp/criterion_%d.sock", (int)pid);
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == geteuid())
                unlink(path);
}

static void kill_tree(void)
{
        pid_t kids[512];
        int n, st;

        for (int round = 0; round < 1000; round++) {
                n = my_children(kids, 512);
                for (int i = 0; i < n; i++) {
                        kill(-kids[i], SIGKILL); /* its group, when it leads one */
                        kill(kids[i], SIGKILL);
                }
                /* reaping makes the grandchildren ours; no child left is the end */
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                        forget_criterion_socket(w);
                if (w < 0 && errno == ECHILD)
                        return;
                if (n == 0) {
                        /* children that are exiting but not yet reapable */
                        usleep(10000);
                }
        }
}

static void guard_main(pid_t grader, char *const argv[], char *const env[], const char *log,
                       int deadline_s)
{
        sigset_t none, wait_for;
        pid_t job;
        int st = 0, code = 0;
        bool over_deadline = false;

        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != grader)
                _exit(143);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        /*
         * The guard keeps its signals blocked and takes them with
         * sigtimedwait: a SIGTERM that comes early (even before this line,
         * as the grader's death) waits pending, never lost between a check
         * and a wait.
         */
        sigemptyset(&none);
        sigemptyset(&wait_for);
        sigaddset(&wait_for, SIGTERM);
        sigaddset(&wait_for, SIGHUP);
        sigaddset(&wait_for, SIGALRM);
        sigaddset(&wait_for, SIGCHLD);
        sigprocmask(SIG_BLOCK, &wait_for, NULL);
        signal(SIGINT, SIG_IGN);
        signal(SIGCHLD, SIG_DFL);

        job = fork();
        if (job < 0)
                _exit(125);
        if (job == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
                setpgid(0, 0);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                if (nul >= 0)
                        dup2(nul, 0);
                /* the job gets ordinary signals back: SIGINT default (Python ports need it) */
                signal(SIGINT, SIG_DFL);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (int i = 0; env && env[i]; i++)
                        putenv(env[i]);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execvp(argv[0], argv);
                dprintf(2, "grade: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(126);
        }
        if (deadline_s > 0)
                alarm((unsigned)deadline_s);
        for (;;) {
                struct timespec tick = {0, 250 * 1000 * 1000};
                pid_t w = waitpid(job, &st, WNOHANG);
                int sig;

                if (w == job || (w < 0 && errno != EINTR))
                        break;
                sig = sigtimedwait(&wait_for, NULL, &tick);
                if (sig == SIGALRM)
                        over_deadline = true;
                if (sig == SIGTERM || sig == SIGHUP || sig == SIGALRM) {
                        kill_tree();
                        _exit(over_deadline ? 124 : 143);
                }
        }
        if (WIFEXITED(st))
                code = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
                code = 128 + WTERMSIG(st);
        /* whatever the job left running goes with it */
        kill_tree();
        _exit(over_deadline ? 124 : code);
}

pid_t gr_guard_start(char *const argv[], char *const env[], const char *log, int deadline_s)
{
        pid_t grader = getpid();
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return gr_fail(errno, "fork: %s", strerror(errno));
        if (pid == 0) {
                if (sigfd >= 0)
                        close(sigfd);
                guard_main(grader, argv, env, log, deadline_s);
        }
        /* also from here, so the group exists before anyone signals it */
        setpgid(pid, pid);
        return pid;
}
