/*
 * test_jail.c - the jail's self-tests (ctest labels `harness` and `jail`).
 *
 * Each part of the jail has an assertion that fails if that part is gone:
 * the identity (uid, groups, capabilities, no_new_privs, seccomp mode), the
 * fresh root and what is writable in it, the environment and descriptors,
 * the seccomp denials, every limit with its verdict in words, the refusal
 * of files that are not programs of the port, the ends a program makes for
 * itself, and that nothing it started outlives it.  They run standard tools
 * (sh, python3) as untrusted programs, never the programs under test.
 */
#define _GNU_SOURCE
#include "sct.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(jail, .fini = sct_cleanup);

/* Runs argv jailed on a one-host lab and waits for its end. */
static struct sc_proc *jailed(struct sc_lab *lab, const char *name, const char *const *argv,
                              const char *const *env, double wait_s)
{
        struct sc_proc_opts o = {.host = 0, .argv = argv, .env = env, .name = name,
                                 .timeout_s = 20, .trusted = false};
        struct sc_proc *p;

        sct_spawn(lab, &o, &p);
        if (wait_s > 0)
                sc_proc_wait(p, wait_s);
        return p;
}

static const char *out_of(struct sc_proc *p)
{
        return sc_proc_stdout(p, NULL);
}

/* A script of the test's own, in a port directory of its own under the lab's evidence. */
static const char *script(const struct sc_lab *lab, const char *name, const char *text)
{
        static char ring[4][1200];
        static int next;
        char *path = ring[next++ % 4];
        char dir[1100];

        snprintf(dir, sizeof(dir), "%s/port", sc_lab_dir(lab));
        SCT_OK(sc_mkdirs(dir));
        snprintf(path, sizeof(ring[0]), "%s/%s", dir, name);
        SCT_OK(sc_write_file(path, text, strlen(text)));
        cr_assert(chmod(path, 0755) == 0);
        return path;
}

Test(jail, runs_as_nobody_in_particular, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {"/bin/sh", "-c",
                              "id -u; id -G; grep -E '^(Cap|NoNewPrivs|Seccomp):' /proc/self/status",
                              NULL};
        struct sc_proc *p = jailed(lab, "id", argv, NULL, 10);
        const char *out = out_of(p);
        unsigned uid = 0;

        cr_assert_eq(sc_proc_exit_code(p), 0, "%s; stderr: %s", sc_proc_end(p),
                     sct_stderr_tail(p));
        cr_assert_eq(sscanf(out, "%u", &uid), 1, "no uid in %s", sct_show(out, strlen(out)));
        if (geteuid() == 0) {
                cr_assert(uid >= 3000000 && uid < 3000256, "root runner: uid %u is not a slot uid",
                          uid);
                cr_assert(strstr(out, "\n0\n") == NULL, "a group of root is kept: %s",
                          sct_show(out, strlen(out)));
        } else {
                cr_assert_eq(uid, 0u, "rootless: the program is uid 0 of the lab's namespace");
        }
        for (const char *c = out; (c = strstr(c, "Cap")); c++) {
                const char *v = strchr(c, ':');

                cr_assert(v && strncmp(v + 1, "\t0000000000000000", 17) == 0,
                          "a capability set is not empty: %.40s", c);
        }
        cr_assert(strstr(out, "NoNewPrivs:\t1"), "no_new_privs is off: %s", sct_show(out, strlen(out)));
        cr_assert(strstr(out, "Seccomp:\t2"), "no seccomp filter: %s", sct_show(out, strlen(out)));
}

Test(jail, sees_a_fresh_root, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {
                "/bin/sh", "-c",
                "ls -A / | tr '\\n' ' '; echo;"
                "for d in /usr /etc /port /proc/sys /; do touch $d/x 2>/dev/null && echo wrote $d; done;"
                "echo h > $HOME/x && echo home; echo t > /tmp/x && echo tmp;"
                "ls /proc | grep -c '^[0-9]'; test -e /root || echo noroot;"
                "test -e " SOCKCHECK_BINARY_DIR " || echo nobuild; test -e /dev/sda || echo nodisk",
                NULL};
        struct sc_proc *p = jailed(lab, "fs", argv, NULL, 10);
        const char *out = out_of(p);
        int procs = 99;
        const char *l;

        cr_assert_eq(sc_proc_exit_code(p), 0, "%s", sc_proc_end(p));
        cr_assert(strncmp(out, "bin dev etc home lib lib32 lib64 port proc sbin tmp usr \n", 56) == 0 ||
                          strncmp(out, "bin dev etc home lib lib64 port proc sbin tmp usr \n", 50) == 0,
                  "the root holds more (or less) than the jail's own: %s",
                  sct_show(out, strlen(out)));
        cr_assert(!strstr(out, "wrote"), "wrote where nothing may be written: %s",
                  sct_show(out, strlen(out)));
        cr_assert(strstr(out, "home\ntmp\n"), "HOME and /tmp are not writable: %s",
                  sct_show(out, strlen(out)));
        l = strstr(out, "tmp\n");
        cr_assert(l && sscanf(l + 4, "%d", &procs) == 1 && procs <= 4,
                  "/proc shows %d processes: not the jail's own PID namespace", procs);
        cr_assert(strstr(out, "noroot") && strstr(out, "nobuild") && strstr(out, "nodisk"),
                  "the machine's /root, the build tree or its disks are visible: %s",
                  sct_show(out, strlen(out)));
}

Test(jail, keeps_only_the_allowed_environment_and_fds, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {"/bin/sh", "-c", "env | cut -d= -f1 | sort | tr '\\n' ' '; echo;"
                                               "ls /proc/self/fd | tr '\\n' ' '",
                              NULL};
        const char *env[] = {"TEST_SET=1", NULL};
        struct sc_proc *p;
        const char *out;

        setenv("SOCKCHECK_RUNNER_SECRET", "not for the port", 1);
        p = jailed(lab, "env", argv, env, 10);
        out = out_of(p);
        cr_assert_eq(sc_proc_exit_code(p), 0, "%s", sc_proc_end(p));
        cr_assert(!strstr(out, "SOCKCHECK") && !strstr(out, "PYTHONUNBUFFERED"),
                  "the runner's environment leaked: %s", sct_show(out, strlen(out)));
        cr_assert(strstr(out, "HOME ") && strstr(out, "PATH ") && strstr(out, "TEST_SET "),
                  "the allowlist or the test's own variable is missing: %s",
                  sct_show(out, strlen(out)));
        /* sh itself: 0 1 2, and ls's directory fd. */
        cr_assert(strstr(out, "\n0 1 2 3 ") && !strstr(out, " 4 "),
                  "descriptors beyond 0-2 are open: %s", sct_show(out, strlen(out)));
}

Test(jail, refuses_what_no_book_program_needs, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {
                "/usr/bin/python3", "-c",
                "import ctypes, errno, os, socket\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "def tell(name, rc):\n"
                "    print(name, 'ok' if rc == 0 else errno.errorcode[ctypes.get_errno()])\n"
                "tell('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
                "tell('unshare', libc.unshare(0x10000000))\n"
                "tell('setns', libc.setns(os.open('/proc/self/ns/net', os.O_RDONLY), 0))\n"
                "tell('ptrace', libc.ptrace(16, 1, None, None))\n"
                "tell('bpf', libc.syscall(321, 0, None, 0))\n"
                "tell('io_uring', libc.syscall(425, 1, None) if False else libc.syscall(425, 1, ctypes.create_string_buffer(120)))\n"
                "for fam, typ in ((socket.AF_PACKET, socket.SOCK_RAW), (socket.AF_INET, socket.SOCK_RAW)):\n"
                "    try:\n"
                "        socket.socket(fam, typ, 0 if fam == socket.AF_PACKET else 17); print('raw ok')\n"
                "    except OSError as e:\n"
                "        print('raw', errno.errorcode[e.errno])\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); print('udp ok')\n",
                NULL};
        struct sc_proc *p = jailed(lab, "seccomp", argv, NULL, 15);
        const char *out = out_of(p);
        static const char *const want[] = {"mount EPERM", "unshare EPERM", "setns EPERM",
                                           "ptrace EPERM", "bpf EPERM", "io_uring EPERM",
                                           "raw EPERM\nraw EPERM", "udp ok"};

        cr_assert_eq(sc_proc_exit_code(p), 0, "%s; stderr: %s", sc_proc_end(p),
                     sct_stderr_tail(p));
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                cr_assert(strstr(out, want[i]), "expected '%s' in: %s", want[i],
                          sct_show(out, strlen(out)));
}

/* ---- limits and their verdicts ---- */

Test(jail, output_is_capped_and_said, .timeout = 20)
{
        struct sc_lab *lab;
        const char *argv[] = {"/usr/bin/yes", NULL};
        struct sc_proc *p;
        size_t n;

        setenv("SOCKCHECK_LIMITS", "out=64K", 1);
        lab = sct_lab_loopback("h1");
        p = jailed(lab, "yes", argv, NULL, 10);
        sc_proc_stdout(p, &n);
        cr_assert_str_eq(sc_proc_end(p), "stopped: more than 64 KiB on stdout");
        cr_assert_eq(n, (size_t)64 << 10, "kept %zu bytes of stdout, not exactly the cap", n);
}

Test(jail, memory_limit_is_said, .timeout = 30)
{
        struct sc_lab *lab;
        const char *argv[] = {"/usr/bin/python3", "-c",
                              "b = []\nfor i in range(64): b.append(bytearray(16 << 20))\n", NULL};
        struct sc_proc *p;

        setenv("SOCKCHECK_LIMITS", "mem=64M", 1);
        lab = sct_lab_loopback("h1");
        p = jailed(lab, "hog", argv, NULL, 20);
        if (access("/sys/fs/cgroup/memory", F_OK) == 0 && geteuid() == 0) {
                cr_assert_str_eq(sc_proc_end(p), "killed: memory limit (64 MiB) reached");
        } else {
                /* Rootless: RLIMIT_AS, so the allocation fails (the weaker limit the report states). */
                cr_assert(strstr(sc_proc_stderr(p, NULL), "MemoryError"),
                          "1 GiB allocated under a 64 MiB RLIMIT_AS: %s; stderr: %s",
                          sc_proc_end(p), sct_stderr_tail(p));
        }
}

Test(jail, process_limit_is_said, .timeout = 30)
{
        struct sc_lab *lab;
        const char *argv[] = {"/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done; wait",
                              NULL};
        struct sc_proc *p;

        if (access("/sys/fs/cgroup/pids", W_OK) != 0 || geteuid() != 0)
                cr_skip_test("no writable cgroup v1 pids controller: processes are limited by "
                             "RLIMIT_NPROC, and the verdict cannot name it");
        setenv("SOCKCHECK_LIMITS", "procs=8", 1);
        lab = sct_lab_loopback("h1");
        p = jailed(lab, "forks", argv, NULL, 20);
        /* Killed at once, or (a shell whose fork failed) exited first: either way named. */
        cr_assert(strstr(sc_proc_end(p), "process limit (8) reached"), "the end says: %s",
                  sc_proc_end(p));
}

Test(jail, cpu_limit_is_said, .timeout = 30)
{
        struct sc_lab *lab;
        const char *argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
        struct sc_proc *p;

        setenv("SOCKCHECK_LIMITS", "cpu=1", 1);
        lab = sct_lab_loopback("h1");
        p = jailed(lab, "spin", argv, NULL, 15);
        cr_assert_str_eq(sc_proc_end(p), "killed: CPU limit (1 s)");
}

Test(jail, file_size_is_limited, .timeout = 20)
{
        struct sc_lab *lab;
        const char *argv[] = {"/bin/sh", "-c", "head -c 2097152 /dev/zero > $HOME/big; echo $?; "
                                               "wc -c < $HOME/big",
                              NULL};
        struct sc_proc *p;
        const char *out;

        setenv("SOCKCHECK_LIMITS", "fsize=1M", 1);
        lab = sct_lab_loopback("h1");
        p = jailed(lab, "big", argv, NULL, 10);
        out = out_of(p);
        cr_assert(strstr(out, "\n1048576\n"), "a 2 MiB file under a 1 MiB limit: %s",
                  sct_show(out, strlen(out)));
}

/* ---- what is refused, and ends in words ---- */

Test(jail, refuses_a_link_that_leaves_the_port, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        char dir[1100], link[1200];
        const char *argv[] = {link, NULL};
        struct sc_proc *p;
        int rc;

        snprintf(dir, sizeof(dir), "%s/port", sc_lab_dir(lab));
        SCT_OK(sc_mkdirs(dir));
        snprintf(link, sizeof(link), "%s/udp_local", dir);
        unlink(link);
        cr_assert(symlink("/bin/true", link) == 0);
        rc = sc_spawn(lab, &(struct sc_proc_opts){.host = 0, .argv = argv, .name = "link"}, &p);
        cr_assert(rc < 0 && strstr(sc_error(), "link that leaves the port"),
                  "a link out of the port was run (rc %d: %s)", rc, sc_error());
        snprintf(link, sizeof(link), "%s", dir);
        rc = sc_spawn(lab, &(struct sc_proc_opts){.host = 0, .argv = argv, .name = "dir"}, &p);
        cr_assert(rc < 0, "a directory was run as a program");
}

/*
 * The jail puts its new root together on a tmpfs over /tmp, where an
 * instructor most often unpacks a class: a port there, and a runtime added
 * there with SOCKCHECK_JAIL_BIND, must still be seen (they were hidden, and
 * every start was a harness error).
 */
static char under_tmp[64];

static void remove_under_tmp(void)
{
        char cmd[128];

        if (under_tmp[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", under_tmp);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", under_tmp);
        }
        sct_cleanup();
}

Test(jail, runs_a_port_kept_under_tmp, .timeout = 20, .fini = remove_under_tmp)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        char dir[96], prog[128], rt[96], file[128], link[160];
        const char *text = "#!/bin/sh\necho in-tmp; cat \"$0.rt\"/version\n";
        const char *argv[] = {prog, NULL};
        struct sc_proc *p;
        int rc;

        snprintf(under_tmp, sizeof(under_tmp), "/tmp/sockcheck-jail-test.XXXXXX");
        cr_assert(mkdtemp(under_tmp), "mkdtemp: %s", strerror(errno));
        snprintf(dir, sizeof(dir), "%s/port", under_tmp);
        snprintf(prog, sizeof(prog), "%s/udp_local", dir);
        snprintf(rt, sizeof(rt), "%s/runtime", under_tmp);
        snprintf(file, sizeof(file), "%s/version", rt);
        /* The script finds the runtime through a link in the port, to where it is bound. */
        snprintf(link, sizeof(link), "%s.rt", prog);
        cr_assert(mkdir(dir, 0755) == 0 && mkdir(rt, 0755) == 0 && chmod(under_tmp, 0755) == 0);
        SCT_OK(sc_write_file(prog, text, strlen(text)));
        SCT_OK(sc_write_file(file, "runtime 1\n", 10));
        cr_assert(chmod(prog, 0755) == 0 && symlink(rt, link) == 0);
        setenv("SOCKCHECK_JAIL_BIND", rt, 1);
        rc = sc_spawn(lab, &(struct sc_proc_opts){.host = 0, .argv = argv, .name = "in-tmp",
                                                  .timeout_s = 20},
                      &p);
        unsetenv("SOCKCHECK_JAIL_BIND");
        cr_assert(rc == 0, "a port under /tmp could not be started: %s", sc_error());
        sc_proc_wait(p, 5);
        cr_assert_str_eq(out_of(p), "in-tmp\nruntime 1\n", "a port under /tmp printed '%s' (%s)",
                         out_of(p), sc_proc_end(p));
}

Test(jail, names_a_missing_interpreter, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {script(lab, "py9", "#!/usr/bin/python9\nprint('x')\n"), NULL};
        const char *env_argv[] = {script(lab, "envpy9", "#!/usr/bin/env python9\nprint('x')\n"),
                                  NULL};
        struct sc_proc *p = jailed(lab, "py9", argv, NULL, 5);

        cr_assert(strstr(sc_proc_end(p), "its interpreter /usr/bin/python9 is not installed"),
                  "the end says: %s", sc_proc_end(p));
        p = jailed(lab, "envpy9", env_argv, NULL, 5);
        cr_assert(strstr(sc_proc_end(p), "its interpreter python9 (found through /usr/bin/env)"),
                  "the end says: %s", sc_proc_end(p));
}

Test(jail, says_a_program_stopped_itself, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {"/bin/sh", "-c", "kill -STOP $$; sleep 30", NULL};
        struct sc_proc *p = jailed(lab, "stopper", argv, NULL, 0);
        double end = sc_now() + 5;

        while (!strstr(sc_proc_end(p), "stopped itself") && sc_now() < end)
                sc_nap(0.01);
        cr_assert_str_eq(sc_proc_end(p), "stopped itself (SIGSTOP), still running");
        SCT_OK(sc_proc_stop(p));
        cr_assert(strncmp(sc_proc_end(p), "stopped itself (SIGSTOP); ", 26) == 0, "ends: %s",
                  sc_proc_end(p));
}

Test(jail, says_a_program_ignored_the_stop_signals, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {"/bin/sh", "-c", "trap '' INT TERM; sleep 30", NULL};
        struct sc_proc *p = jailed(lab, "stubborn", argv, NULL, 0);

        sc_nap(0.2);
        SCT_OK(sc_proc_stop(p));
        cr_assert_str_eq(sc_proc_end(p), "ignored SIGINT and SIGTERM: killed");
}

/* Processes of a uid in the jail's range, or -1 for none. */
static int jailed_processes(void)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        int n = 0;

        while (d && (e = readdir(d))) {
                char path[300];
                struct stat st;

                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s", e->d_name);
                if (stat(path, &st) == 0 && st.st_uid >= 3000000 && st.st_uid < 3000256) {
                        char cmd[256] = "";
                        int fd;

                        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                        fd = open(path, O_RDONLY);
                        if (fd >= 0) {
                                ssize_t r = read(fd, cmd, sizeof(cmd) - 1);

                                cmd[r > 0 ? r : 0] = '\0';
                                close(fd);
                        }
                        /* Only this test's daemon: its command line is unique. */
                        if (strstr(cmd, "sleep") && strstr(cmd + strlen(cmd) + 1, "97.25"))
                                n++;
                }
        }
        if (d)
                closedir(d);
        return n;
}

Test(jail, nothing_it_started_outlives_it, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {"/bin/sh", "-c",
                              "setsid sh -c 'sleep 97.25 & sleep 97.25' </dev/null >/dev/null 2>&1 &"
                              " sleep 0.3; exit 0",
                              NULL};
        struct sc_proc *p;
        pid_t sup;
        char leaf[128];
        double end;

        if (geteuid() != 0)
                cr_skip_test("rootless, the jail's programs keep the runner's uid: counted by "
                             "the PID namespace test of the harness suite instead");
        p = jailed(lab, "daemon", argv, NULL, 0);
        sup = sc_proc_pid(p);
        snprintf(leaf, sizeof(leaf), "/sys/fs/cgroup/pids/sockcheck-u3000000-%d", (int)sup);
        cr_assert(access("/sys/fs/cgroup/pids", F_OK) != 0 || access(leaf, F_OK) == 0,
                  "no cgroup leaf %s while it runs: the check below would prove nothing", leaf);
        snprintf(leaf, sizeof(leaf), "/sys/fs/cgroup/unified/sockcheck-u3000000-%d", (int)sup);
        cr_assert(access("/sys/fs/cgroup/unified", F_OK) != 0 || access(leaf, F_OK) == 0,
                  "no cgroup2 leaf %s (for cgroup.kill) while it runs", leaf);
        sc_proc_wait(p, 10);
        cr_assert_eq(sc_proc_exit_code(p), 0, "%s", sc_proc_end(p));
        end = sc_now() + 3;
        while (jailed_processes() > 0 && sc_now() < end)
                sc_nap(0.02);
        cr_assert_eq(jailed_processes(), 0, "the daemon it left outlived it");
        snprintf(leaf, sizeof(leaf), "/sys/fs/cgroup/pids/sockcheck-u3000000-%d", (int)sup);
        cr_assert(access(leaf, F_OK) != 0, "its cgroup %s is left", leaf);
        snprintf(leaf, sizeof(leaf), "/sys/fs/cgroup/unified/sockcheck-u3000000-%d", (int)sup);
        cr_assert(access(leaf, F_OK) != 0, "its cgroup %s is left", leaf);
}
