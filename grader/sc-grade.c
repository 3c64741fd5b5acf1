/*
 * sc-grade - grades a class of ports: the program behind scripts/grade.
 *
 *   sc-grade --root SRC --build BUILD CLASS_DIR [-o OUT] [--jobs N] [--seed N]
 *            [--resume] [--only NAME...] [--baseline OLD_OUT] [--shard K/N]
 *            [--limit K=V]... [--tier book|robust|all] [--deadline S]
 *   sc-grade --root SRC --build BUILD --merge [-o OUT] SHARD_OUT...
 *
 * One student at a time per slot: the entry is unpacked if it is an archive,
 * looked at (no program at all is a verdict, not a run), then judged by
 * scripts/conform under a guard (slots.c).  A harness error is retried and
 * never charged; a failed timing test is rerun alone once every slot is
 * idle, and a pass on rerun is FLAKY.  What was found becomes
 * OUT/<student>/grade.json, and every readable file is rendered from it.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ATTEMPTS 3 /* conform runs per student before a harness error stands */
#define MAX_RERUNS 2   /* runs of one failed timing test alone */

struct opts {
        const char *root, *build, *class_dir, *out, *baseline, *tier;
        int jobs;
        bool seed_given, resume, merge, progress_tty, auto_jobs;
        unsigned long seed;
        int shard_k, shard_n, deadline;
        const char *only[256];
        int nonly;
        const char *limits[32];
        int nlimits;
        const char *merge_dirs[64];
        /*
         * For the grader's own tests only (grader/tests): "fail-once:S/T"
         * counts test S/T as failed in every student's conform run, so the
         * real rerun-alone path runs; "harness-error-once:NAME" takes that
         * student's first conform run as a harness error, so the retry runs.
         */
        bool conform_has_limit;
        char limits_env[1024]; /* "SOCKCHECK_LIMITS=k=v,k=v" or "" */
        const char *inject[4];
        int ninject;
        int nmerge;
        struct gr_caps caps;
};

static struct opts o;
static struct gr_ctx ctx;
static double t0;

static void usage(FILE *f)
{
        fputs("usage: scripts/grade CLASS_DIR [-o OUT] [--jobs N|auto] [--seed N] [--resume]\n"
              "                     [--only NAME...] [--baseline OLD_OUT] [--shard K/N]\n"
              "                     [--limit K=V]... [--tier book|robust|all] [--deadline S]\n"
              "       scripts/grade --merge [-o OUT] SHARD_OUT...\n"
              "CLASS_DIR holds one port per student: a directory, .tar.gz or .zip.\n"
              "See the README's grading section.\n",
              f);
}

static void die(const char *fmt, const char *arg)
{
        fprintf(stderr, "grade: ");
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
        exit(2);
}

/* ---- progress ----------------------------------------------------------- */

static int n_total, n_done, n_failing, n_running;
static bool progress_shown;

static void progress_clear(void)
{
        if (o.progress_tty && progress_shown) {
                fputs("\r\033[K", stderr);
                progress_shown = false;
        }
}

static void progress(bool force_line)
{
        char el[32], eta[32] = "?";
        double e = gr_now() - t0;

        if (!o.progress_tty && !force_line)
                return;
        gr_fmt_dur(el, sizeof(el), e);
        if (n_done > 0 && n_done < n_total)
                gr_fmt_dur(eta, sizeof(eta), e / n_done * (n_total - n_done));
        else if (n_done >= n_total)
                snprintf(eta, sizeof(eta), "0s");
        progress_clear();
        fprintf(stderr, "grade: [%d/%d] %s elapsed, ETA %s, %d not conformant so far, %d running%s",
                n_done, n_total, el, eta, n_failing, n_running, o.progress_tty ? "" : "\n");
        progress_shown = o.progress_tty;
}

/* ---- one student's grade ------------------------------------------------ */

static json_t *grade_new(struct gr_student *s)
{
        json_t *limits = json_array();

        for (int i = 0; i < o.nlimits; i++)
                json_array_append_new(limits, json_string(o.limits[i]));
        return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:[], s:[], s:b, s:i}",
                         "student", s->name, "entry", s->entry, "kind", gr_kind_name(s->kind),
                         "hash", s->hash, "seed", (json_int_t)s->seed, "class_seed",
                         (json_int_t)o.seed, "tier", o.tier, "limits", limits, "notes", "tests",
                         "complete", 0, "grader_version", 1);
}

static void note(struct gr_student *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct gr_student *s, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        json_array_append_new(json_object_get(s->grade, "notes"), json_string(buf));
}

/* The jail's limits, as the notes a teacher sorts by. */
static void limit_notes(struct gr_student *s)
{
        static const char *const needles[][2] = {
            {"memory limit", "memory limit"},   {"out of memory", "memory limit"},
            {"cpu limit", "CPU limit"},         {"cpu time limit", "CPU limit"},
            {"process limit", "process limit"}, {"pids limit", "process limit"},
            {"output limit", "output limit"},   {"stopped: more than", "output limit"},
        };
        bool seen[sizeof(needles) / sizeof(needles[0])] = {0};
        size_t i;
        json_t *t;

        json_array_foreach(json_object_get(s->grade, "tests"), i, t)
        {
                const char *m = gr_jstr(t, "message");
                for (size_t k = 0; k < sizeof(needles) / sizeof(needles[0]); k++) {
                        if (!seen[k] && strcasestr(m, needles[k][0])) {
                                bool dup = false;
                                for (size_t j = 0; j < k; j++)
                                        dup |= seen[j] && !strcmp(needles[j][1], needles[k][1]);
                                seen[k] = true;
                                if (!dup)
                                        note(s, "%s", needles[k][1]);
                        }
                }
        }
}

static const char *verdict_of(json_t *g)
{
        return gr_jstr(g, "verdict");
}

/* After reruns: the verdict conform would give with the flaky tests passed. */
static void recompute_verdict(json_t *g)
{
        int counts[GR_NPROGRAMS + 1][3][3], flaky, bp, bf, bs;

        if (strcmp(verdict_of(g), "NOT CONFORMANT"))
                return;
        gr_tally(g, counts, &flaky, &bp, &bf, &bs);
        if (bf == 0 && bp > 0)
                json_object_set_new(g, "verdict", json_string("CONFORMANT"));
}

static json_t *class_names; /* the students of this run's class (or shard) */
static const char *class_name;
static int render_class_from(json_t *names, const char *class_name, bool students_too);

static void finalize(struct gr_student *s)
{
        static double last_render;
        char path[PATH_MAX], dur[32];
        int counts[GR_NPROGRAMS + 1][3][3], flaky, bp, bf, bs;
        time_t now = time(NULL);
        char iso[32];

        s->wall = gr_now() - s->started;
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        json_object_set_new(s->grade, "graded_at", json_string(iso));
        json_object_set_new(s->grade, "wall_s", json_real(s->wall));
        json_object_set_new(s->grade, "complete", json_true());
        limit_notes(s);
        gr_baseline_diff(&ctx, s->grade);
        /* the files a person reads first, grade.json last: it marks the student done */
        if (gr_render_student(&ctx, s->dir, s->grade) < 0)
                fprintf(stderr, "grade: %s: %s\n", s->name, gr_error());
        snprintf(path, sizeof(path), "%s/grade.json", s->dir);
        if (gr_write_json(path, s->grade) < 0)
                fprintf(stderr, "grade: %s\n", gr_error());

        gr_tally(s->grade, counts, &flaky, &bp, &bf, &bs);
        n_done++;
        if (strcmp(verdict_of(s->grade), "CONFORMANT"))
                n_failing++;
        gr_fmt_dur(dur, sizeof(dur), s->wall);
        progress_clear();
        printf("%-20s %-16s book %3d pass %3d fail %3d skip", s->name, verdict_of(s->grade), bp, bf,
               bs);
        if (flaky)
                printf(", %d FLAKY", flaky);
        printf("  seed %lu  %s  -> %s/report.txt\n", s->seed, dur, s->dir);
        fflush(stdout);
        /* the page stays current while a long class runs (not more often than every 5 s) */
        if (class_names && gr_now() - last_render > 5) {
                render_class_from(class_names, class_name, false);
                last_render = gr_now();
        }
        progress(!o.progress_tty);
}

/* Refused archive, no program, ...: a verdict without a conform run. */
static void verdict_without_run(struct gr_student *s, const char *verdict)
{
        json_object_set_new(s->grade, "verdict", json_string(verdict));
        finalize(s);
}

static int port_programs(struct gr_student *s)
{
        int present = 0;
        char absent[512] = "", noexec[512] = "";

        for (int i = 0; i < GR_NPROGRAMS; i++) {
                char p[PATH_MAX + 64];
                struct stat st;
                snprintf(p, sizeof(p), "%s/%s", s->port, gr_programs[i]);
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
                        present++;
                } else if (lstat(p, &st) == 0) {
                        snprintf(noexec + strlen(noexec), sizeof(noexec) - strlen(noexec), "%s%s",
                                 *noexec ? " " : "", gr_programs[i]);
                } else {
                        snprintf(absent + strlen(absent), sizeof(absent) - strlen(absent), "%s%s",
                                 *absent ? " " : "", gr_programs[i]);
                }
        }
        if (*noexec)
                note(s, "not executable (chmod +x?): %s", noexec);
        if (*absent && present)
                note(s, "programs absent: %s", absent);
        return present;
}

/* An archive that holds one directory and nothing else: the port is inside. */
static void descend_single_dir(struct gr_student *s)
{
        char only[PATH_MAX] = "";
        int n = 0;
        struct stat st;
        DIR *d = opendir(s->port);
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                n++;
                snprintf(only, sizeof(only), "%s/%s", s->port, e->d_name);
        }
        closedir(d);
        if (n == 1 && lstat(only, &st) == 0 && S_ISDIR(st.st_mode))
                snprintf(s->port, sizeof(s->port), "%s", only);
}

/* Returns true when the student needs a conform run. */
static bool prepare(struct gr_student *s)
{
        s->started = gr_now();
        gr_rm_rf(s->dir);
        if (gr_mkdirs(s->dir) < 0) {
                fprintf(stderr, "grade: %s\n", gr_error());
                exit(2);
        }
        s->grade = grade_new(s);
        if (s->kind == GR_DIR) {
                snprintf(s->port, sizeof(s->port), "%s", s->entry);
        } else {
                snprintf(s->port, sizeof(s->port), "%s/port", s->dir);
                if (gr_unpack(s->entry, s->port, &o.caps) < 0) {
                        note(s, "archive refused: %s", gr_error());
                        json_object_set_new(s->grade, "port", json_null());
                        verdict_without_run(s, "REFUSED");
                        return false;
                }
                descend_single_dir(s);
        }
        json_object_set_new(s->grade, "port", json_string(s->port));
        if (port_programs(s) == 0) {
                note(s, "the port holds none of the twelve programs (a port is a directory of "
                        "executables named by program id)");
                verdict_without_run(s, "NO PROGRAMS");
                return false;
        }
        return true;
}

static pid_t start_conform(struct gr_student *s)
{
        char script[PATH_MAX], cout[PATH_MAX], log[PATH_MAX], seed[32], env_build[PATH_MAX + 32];
        char *argv[16 + 2 * 32];
        char *env[] = {env_build, o.limits_env[0] ? o.limits_env : NULL, NULL};
        int a = 0;

        snprintf(script, sizeof(script), "%s/scripts/conform", o.root);
        snprintf(cout, sizeof(cout), "%s/conform", s->dir);
        snprintf(log, sizeof(log), "%s/conform.log", s->dir);
        snprintf(seed, sizeof(seed), "%lu", s->seed);
        snprintf(env_build, sizeof(env_build), "SOCKCHECK_BUILD=%s", o.build);
        gr_rm_rf(cout);
        if (s->attempts == 0)
                s->started = gr_now(); /* the time a student took, not the time in the queue */
        argv[a++] = "/bin/bash";
        argv[a++] = script;
        argv[a++] = s->port;
        argv[a++] = "--out";
        argv[a++] = cout;
        argv[a++] = "--seed";
        argv[a++] = seed;
        argv[a++] = "--quiet";
        argv[a++] = "--no-build";
        argv[a++] = "--tier";
        argv[a++] = (char *)o.tier;
        for (int i = 0; o.conform_has_limit && i < o.nlimits; i++) {
                argv[a++] = "--limit";
                argv[a++] = (char *)o.limits[i];
        }
        argv[a] = NULL;
        s->attempts++;
        return gr_guard_start(argv, env, log, o.deadline);
}

/* Evidence paths relative to the student's folder, so a copied OUT still links. */
static json_t *relative_evidence(struct gr_student *s, json_t *ev)
{
        const char *p = json_string_value(ev);
        size_t n = strlen(s->dir);

        if (!p || !*p)
                return json_null();
        if (!strncmp(p, s->dir, n) && p[n] == '/')
                return json_string(p + n + 1);
        if (p[0] != '/') {
                char buf[PATH_MAX];
                snprintf(buf, sizeof(buf), "conform/%s", p);
                return json_string(buf);
        }
        return json_string(p);
}

static void inject(struct gr_student *s, json_t *r)
{
        json_t *t;
        size_t i;

        for (int k = 0; k < o.ninject; k++) {
                const char *inj = o.inject[k];
                if (!strncmp(inj, "harness-error-once:", 19) && !strcmp(inj + 19, s->name) &&
                    s->attempts == 1) {
                        json_object_set_new(r, "verdict", json_string("HARNESS ERROR"));
                        continue;
                }
                if (!strncmp(inj, "first-try:", 10)) {
                        /* as conform reports a timing test that passed only when rerun alone */
                        json_array_foreach(json_object_get(r, "tests"), i, t)
                        {
                                char key[600];
                                snprintf(key, sizeof(key), "%s/%s", gr_jstr(t, "suite"),
                                         gr_jstr(t, "test"));
                                if (!strcmp(key, inj + 10) && !strcmp(gr_jstr(t, "status"), "pass"))
                                        json_object_set_new(
                                            t, "first_try",
                                            json_string("first try failed by --test-inject"));
                        }
                        continue;
                }
                if (strncmp(inj, "fail-once:", 10))
                        continue;
                json_array_foreach(json_object_get(r, "tests"), i, t)
                {
                        char key[600];
                        snprintf(key, sizeof(key), "%s/%s", gr_jstr(t, "suite"),
                                 gr_jstr(t, "test"));
                        if (!strcmp(key, inj + 10) && !strcmp(gr_jstr(t, "status"), "pass")) {
                                json_object_set_new(t, "status", json_string("fail"));
                                json_object_set_new(t, "message",
                                                    json_string("failed by --test-inject"));
                                json_object_set_new(r, "verdict", json_string("NOT CONFORMANT"));
                        }
                }
        }
}

/* Returns 1 when the student waits for reruns, 0 when done, -1 to retry. */
static int conform_done(struct gr_student *s, int code)
{
        char cout[PATH_MAX];
        json_t *r, *tests, *t;
        size_t i;
        int pending = 0;

        snprintf(cout, sizeof(cout), "%s/conform", s->dir);
        r = gr_conform_load(cout, code);
        inject(s, r);
        const char *verdict = gr_jstr(r, "verdict");
        if (!strcmp(verdict, "HARNESS ERROR") || code == 124) {
                if (s->attempts < MAX_ATTEMPTS) {
                        note(s, "harness error on run %d (conform exit %d), judged again",
                             s->attempts, code);
                        json_decref(r);
                        return -1;
                }
                if (code == 124)
                        note(s, "conform ran over the %d s deadline on every run", o.deadline);
        }
        json_object_set_new(s->grade, "verdict", json_string(verdict));
        json_object_set_new(s->grade, "conform_exit", json_integer(code));
        json_object_set_new(s->grade, "attempts", json_integer(s->attempts));
        json_object_set_new(s->grade, "mode", json_string(gr_jstr(r, "mode")));
        tests = json_array();
        json_array_foreach(json_object_get(r, "tests"), i, t)
        {
                /* conform reran it alone after a late first try, and it passed: FLAKY */
                const char *first = json_string_value(json_object_get(t, "first_try"));
                bool rerun_passed = first && !strcmp(gr_jstr(t, "status"), "pass");
                json_t *c = json_pack(
                    "{s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "suite", gr_jstr(t, "suite"), "test",
                    gr_jstr(t, "test"), "program", gr_jstr(t, "program"), "tier",
                    gr_jstr(t, "tier"), "status", rerun_passed ? "flaky" : gr_jstr(t, "status"),
                    "message", rerun_passed ? first : gr_jstr(t, "message"), "duration_s",
                    gr_jreal(t, "duration_s"));
                if (rerun_passed) {
                        char ev[PATH_MAX], rel[PATH_MAX];
                        struct stat st;

                        snprintf(rel, sizeof(rel), "evidence/%s/%s.first-try", gr_jstr(t, "suite"),
                                 gr_jstr(t, "test"));
                        snprintf(ev, sizeof(ev), "%s/%s", cout, rel);
                        json_object_set_new(c, "reruns", json_pack("[s]", "pass"));
                        json_t *jrel = json_string(rel);

                        json_object_set_new(c, "evidence", stat(ev, &st) == 0
                                                               ? relative_evidence(s, jrel)
                                                               : json_null());
                        json_decref(jrel);
                        json_array_append_new(tests, c);
                        continue;
                }
                json_object_set_new(c, "evidence",
                                    relative_evidence(s, json_object_get(t, "evidence")));
                /*
                 * Rerun alone: a timing test (unless it failed on a jail limit: that
                 * is the limit, not time), and any test whose capture lost frames
                 * (the machine was too busy to record; nothing the port did).
                 */
                const char *msg = gr_jstr(t, "message");
                if (!strcmp(gr_jstr(t, "status"), "fail") &&
                    ((gr_is_timing_test(gr_jstr(t, "suite"), gr_jstr(t, "test")) &&
                      !strstr(msg, " limit (")) ||
                     strstr(msg, "the kernel dropped"))) {
                        json_object_set_new(c, "rerun_pending", json_true());
                        pending++;
                }
                json_array_append_new(tests, c);
        }
        json_object_set_new(s->grade, "tests", tests);
        if (!strcmp(verdict, "HARNESS ERROR"))
                note(s, "harness error: not the student's fault, not charged; grade again");
        json_decref(r);
        return pending > 0;
}

/* ---- the rerun of one timing test, alone -------------------------------- */

static volatile bool interrupted;

static int wait_guard(pid_t pid)
{
        int st;
        struct pollfd pfd = {.fd = gr_signal_fd(), .events = POLLIN};

        for (;;) {
                pid_t w = waitpid(pid, &st, WNOHANG);
                if (w == pid)
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                if (poll(&pfd, 1, 1000) > 0) {
                        struct signalfd_siginfo si;
                        while (read(pfd.fd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo != SIGCHLD && !interrupted) {
                                        interrupted = true;
                                        kill(pid, SIGTERM);
                                }
                        }
                }
                progress(false);
        }
}

static void rerun_student(struct gr_student *s)
{
        json_t *t;
        size_t i;

        json_array_foreach(json_object_get(s->grade, "tests"), i, t)
        {
                if (!json_is_true(json_object_get(t, "rerun_pending")) || interrupted)
                        continue;
                const char *suite = gr_jstr(t, "suite"), *test = gr_jstr(t, "test");
                const char *bin = gr_suite_binary(o.build, suite, test);
                json_t *runs = json_array();
                bool passed = false;

                json_object_del(t, "rerun_pending");
                for (int k = 1; k <= MAX_RERUNS && bin && !passed && !interrupted; k++) {
                        char dir[PATH_MAX], log[PATH_MAX], filter[600], e1[PATH_MAX + 32],
                            e2[PATH_MAX + 32], e3[64], e4[PATH_MAX + 32], *text;
                        snprintf(dir, sizeof(dir), "%s/rerun/%s/%s/%d", s->dir, suite, test, k);
                        gr_mkdirs(dir);
                        snprintf(log, sizeof(log), "%s/log.txt", dir);
                        snprintf(filter, sizeof(filter), "--filter=%s/%s", suite, test);
                        snprintf(e1, sizeof(e1), "SOCKCHECK_PORT=%s", s->port);
                        snprintf(e2, sizeof(e2), "SOCKCHECK_EVIDENCE=%s/evidence", dir);
                        snprintf(e3, sizeof(e3), "SOCKCHECK_SEED=%lu", s->seed);
                        snprintf(e4, sizeof(e4), "SOCKCHECK_BUILD=%s", o.build);
                        char *argv[] = {(char *)bin,     filter, "--verbose",
                                        "--color=never", "-j1",  NULL};
                        /* Its programs real-time, as conform runs them (harness/timing_prio.c). */
                        char e5[] = "SOCKCHECK_PROG_RTPRIO=20";
                        char *env[] = {e1, e2, e3, e4, e5, o.limits_env[0] ? o.limits_env : NULL,
                                       NULL};
                        pid_t g = gr_guard_start(argv, env, log, 600);
                        if (g < 0)
                                break;
                        progress_clear();
                        printf("%-20s rerun %d of %s/%s, alone\n", s->name, k, suite,
                               test);
                        wait_guard(g);
                        char pass_line[600];
                        snprintf(pass_line, sizeof(pass_line), "[PASS] %s::%s", suite, test);
                        text = gr_slurp(log, NULL);
                        passed = text && strstr(text, pass_line);
                        free(text);
                        json_array_append_new(runs, json_string(passed ? "pass" : "fail"));
                        if (passed) {
                                char ev[PATH_MAX];
                                snprintf(ev, sizeof(ev), "%s/rerun/%s/%s", s->dir, suite, test);
                                gr_rm_rf(ev); /* evidence is kept for failures only */
                        }
                }
                json_object_set_new(t, "reruns", runs);
                if (passed)
                        json_object_set_new(t, "status", json_string("flaky"));
        }
        recompute_verdict(s->grade);
}

/* ---- the class ---------------------------------------------------------- */

static json_t *load_grade(const char *dir, const char *name)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s/grade.json", dir, name);
        return json_load_file(path, 0, NULL);
}

static json_t *class_meta(const char *name, int nstudents)
{
        time_t now = time(NULL);
        char iso[32], shard[32] = "";

        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        if (o.shard_n > 1)
                snprintf(shard, sizeof(shard), "%d/%d", o.shard_k, o.shard_n);
        return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s?, s:i, s:f, s:i}", "class", name,
                         "class_dir", o.class_dir ? o.class_dir : "", "class_seed",
                         (json_int_t)o.seed, "tier", o.tier, "shard", shard, "generated_at", iso,
                         "baseline", o.baseline, "students", nstudents, "wall_s", gr_now() - t0,
                         "jobs", o.jobs);
}

static void load_baseline(void)
{
        DIR *d;
        struct dirent *e;

        if (!o.baseline)
                return;
        d = opendir(o.baseline);
        if (!d)
                die("cannot read the baseline %s", o.baseline);
        ctx.baseline = json_object();
        ctx.baseline_dir = o.baseline;
        while ((e = readdir(d))) {
                json_t *g;
                if (e->d_name[0] == '.')
                        continue;
                if ((g = load_grade(o.baseline, e->d_name)))
                        json_object_set_new(ctx.baseline, e->d_name, g);
        }
        closedir(d);
}

/*
 * The class files from every grade.json; students_too renders each student's
 * files again as well (a baseline given now, a merge into a new folder, the
 * end of a run where some were kept by --resume), which a progress refresh
 * of a large class does not need.
 */
static int render_class_from(json_t *names, const char *class_name, bool students_too)
{
        json_t *grades = json_array(), *meta, *n;
        size_t i;
        int ret;

        json_array_foreach(names, i, n)
        {
                json_t *g = load_grade(o.out, json_string_value(n));
                if (!g)
                        continue;
                /* a student resumed or merged is rendered again: the current baseline, the
                 * current folder (paths in it are relative) */
                char dir[PATH_MAX];
                snprintf(dir, sizeof(dir), "%s/%s", o.out, json_string_value(n));
                if (ctx.baseline)
                        gr_baseline_diff(&ctx, g);
                if (students_too)
                        gr_render_student(&ctx, dir, g);
                json_array_append_new(grades, g);
        }
        meta = class_meta(class_name, (int)json_array_size(grades));
        ret = gr_render_class(&ctx, grades, meta);
        json_decref(grades);
        json_decref(meta);
        return ret;
}

static unsigned long stored_class_seed(bool *found)
{
        char path[PATH_MAX];
        json_t *j;
        unsigned long s = 0;

        snprintf(path, sizeof(path), "%s/class.json", o.out);
        j = json_load_file(path, 0, NULL);
        *found = j && json_is_integer(json_object_get(json_object_get(j, "meta"), "class_seed"));
        if (*found)
                s = (unsigned long)json_integer_value(
                    json_object_get(json_object_get(j, "meta"), "class_seed"));
        json_decref(j);
        return s;
}

static bool resumable(struct gr_student *s)
{
        json_t *g = load_grade(o.out, s->name);
        bool ok;
        json_t *limits = json_array();

        for (int i = 0; i < o.nlimits; i++)
                json_array_append_new(limits, json_string(o.limits[i]));
        ok = g && json_is_true(json_object_get(g, "complete")) &&
             !strcmp(gr_jstr(g, "hash"), s->hash) && (unsigned long)gr_jint(g, "seed") == s->seed &&
             !strcmp(gr_jstr(g, "tier"), o.tier) &&
             json_equal(json_object_get(g, "limits"), limits) &&
             strcmp(gr_jstr(g, "verdict"), "HARNESS ERROR") != 0;
        json_decref(limits);
        json_decref(g);
        return ok;
}

static bool in_only(const char *name)
{
        if (o.nonly == 0)
                return true;
        for (int i = 0; i < o.nonly; i++)
                if (!strcmp(o.only[i], name))
                        return true;
        return false;
}

/* The share of CPU time the whole machine spent idle since the last call. */
static double cpu_idle_fraction(void)
{
        static unsigned long long last_idle, last_total;
        unsigned long long v[10] = {0}, idle, total = 0;
        FILE *f = fopen("/proc/stat", "r");
        double frac = 0;

        if (!f)
                return 0;
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) == 8) {
                for (int i = 0; i < 8; i++)
                        total += v[i];
                idle = v[3] + v[4];
                if (total > last_total)
                        frac = (double)(idle - last_idle) / (double)(total - last_total);
                last_idle = idle;
                last_total = total;
        }
        fclose(f);
        return frac;
}

static long mem_available_mib(void)
{
        char line[256];
        long kb = -1;
        FILE *f = fopen("/proc/meminfo", "r");

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb / 1024;
}

static void stop_all(pid_t *guards, int nslots)
{
        for (int i = 0; i < nslots; i++)
                if (guards[i] > 0)
                        kill(guards[i], SIGTERM);
        for (int i = 0; i < nslots; i++) {
                if (guards[i] > 0) {
                        waitpid(guards[i], NULL, 0);
                        guards[i] = 0;
                }
        }
}

/* A class folder that holds program files is a port given by mistake. */
static bool looks_like_a_port(const char *dir)
{
        for (int i = 0; i < GR_NPROGRAMS; i++) {
                char p[PATH_MAX];
                struct stat st;
                snprintf(p, sizeof(p), "%s/%s", dir, gr_programs[i]);
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
                        return true;
        }
        return false;
}

static int grade_class(void)
{
        struct gr_class cls;
        const char *cname;
        char absdir[PATH_MAX];
        bool found;
        unsigned long stored;
        size_t nsel = 0, nresumed = 0;
        json_t *names = json_array();

        if (!realpath(o.class_dir, absdir))
                die("no such class folder: %s", o.class_dir);
        o.class_dir = strdup(absdir);
        cname = strrchr(o.class_dir, '/') + 1;
        if (!o.out) {
                char buf[PATH_MAX];
                snprintf(buf, sizeof(buf), "%s/grade/%s", o.build, cname);
                o.out = strdup(buf);
        }
        if (gr_mkdirs(o.out) < 0)
                die("%s", gr_error());
        if (!realpath(o.out, absdir))
                die("cannot resolve %s", o.out);
        o.out = strdup(absdir);
        ctx.out = o.out;
        stored = stored_class_seed(&found);
        if (!o.seed_given) {
                if (found) {
                        o.seed = stored;
                } else if (o.shard_n > 1) {
                        die("%s", "--shard needs --seed N, the same for every shard, so that each "
                                  "student's seed does not depend on the slicing");
                } else {
                        unsigned int r = 0;
                        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
                                r = (unsigned int)time(NULL);
                        o.seed = r % 1000000;
                }
        }
        if (gr_class_scan(o.class_dir, &cls) < 0)
                die("%s", gr_error());
        if (looks_like_a_port(o.class_dir))
                die("%s looks like one port (it holds program files): scripts/grade takes a folder "
                    "of ports, scripts/conform PORT checks one",
                    o.class_dir);
        if (cls.n == 0)
                die("%s holds no student entry (a directory, .tar.gz or .zip each)", o.class_dir);
        for (size_t i = 0; i < cls.nnotes; i++)
                fprintf(stderr, "grade: %s\n", cls.notes[i]);
        /* OUT may sit inside the class folder: it is no student */
        for (size_t i = 0; i < cls.n; i++) {
                char rp[PATH_MAX];
                if (cls.s[i].kind == GR_DIR && realpath(cls.s[i].entry, rp) && !strcmp(rp, o.out)) {
                        fprintf(stderr, "grade: ignored %s: it is the output folder\n", cls.s[i].entry);
                        memmove(&cls.s[i], &cls.s[i + 1], (cls.n - i - 1) * sizeof(cls.s[0]));
                        cls.n--;
                        i--;
                }
        }
        for (int i = 0; i < o.nonly; i++) {
                bool known = false;
                for (size_t k = 0; k < cls.n; k++)
                        known |= !strcmp(cls.s[k].name, o.only[i]);
                if (!known)
                        die("--only %s: no such student in the class", o.only[i]);
        }
        for (size_t i = 0; i < cls.n; i++) {
                struct gr_student *s = &cls.s[i];
                if (!gr_in_shard(s->name, o.shard_k, o.shard_n))
                        continue;
                json_array_append_new(names, json_string(s->name));
                snprintf(s->dir, sizeof(s->dir), "%s/%s", o.out, s->name);
                if (gr_hash_entry(s->entry, s->kind == GR_DIR, s->hash) < 0)
                        die("%s", gr_error());
                s->seed = gr_student_seed(o.seed, s->name);
                if (!in_only(s->name))
                        continue;
                if (o.resume && resumable(s)) {
                        nresumed++;
                        continue;
                }
                s->selected = true;
                nsel++;
        }
        load_baseline();
        printf("grade: class %s: %zu students%s, %zu to grade, %d slots%s\n", cname,
               json_array_size(names), o.shard_n > 1 ? " in this shard" : "", nsel, o.jobs,
               o.auto_jobs ? " (more while the cores idle; --jobs N fixes it)" : "");
        if (nresumed)
                printf("grade: %zu unchanged (same files, seed and options) kept from %s\n",
                       nresumed, o.out);
        printf("grade: class seed %lu (repeat with --seed %lu); each student's seed is printed\n",
               o.seed, o.seed);
        printf("grade: output in %s\n", o.out);
        fflush(stdout);

        /*
         * The class files now, before any check: class.json holds the class
         * seed, so a run killed even with SIGKILL resumes with the same seeds;
         * they are rendered again as students finish and at the end.
         */
        class_names = names;
        class_name = cname;
        render_class_from(names, cname, false);

        /* ---- the slots ---- */
        /* --jobs auto: start with one slot a core, add one while the cores idle */
        int nslots = o.jobs, max_slots = o.auto_jobs ? 4 * o.jobs : o.jobs;
        double last_growth = gr_now();
        pid_t *guards = calloc(max_slots, sizeof(*guards));
        struct gr_student **in_slot = calloc(max_slots, sizeof(*in_slot));
        cpu_idle_fraction();
        struct gr_student **queue = calloc(cls.n + 1, sizeof(*queue)),
                          **waiting = calloc(cls.n + 1, sizeof(*waiting));
        size_t qhead = 0, qtail = 0, nwait = 0;

        n_total = (int)nsel;
        for (size_t i = 0; i < cls.n; i++) {
                if (!cls.s[i].selected)
                        continue;
                if (prepare(&cls.s[i]))
                        queue[qtail++] = &cls.s[i];
        }
        struct pollfd pfd = {.fd = gr_signal_fd(), .events = POLLIN};
        while (!interrupted && (qhead < qtail || n_running > 0)) {
                for (int k = 0; k < nslots && qhead < qtail; k++) {
                        if (guards[k] > 0)
                                continue;
                        struct gr_student *s = queue[qhead++];
                        pid_t g = start_conform(s);
                        if (g < 0) {
                                fprintf(stderr, "grade: %s\n", gr_error());
                                interrupted = true;
                                break;
                        }
                        guards[k] = g;
                        in_slot[k] = s;
                        n_running++;
                }
                progress(false);
                if (poll(&pfd, 1, 1000) > 0) {
                        struct signalfd_siginfo si;
                        while (read(pfd.fd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo != SIGCHLD)
                                        interrupted = true;
                        }
                }
                /*
                 * A check mostly waits on timers and the network: while every
                 * slot is busy, students wait, and the machine's CPUs were more
                 * than a quarter idle over the last few seconds, one more slot.
                 */
                if (gr_now() - last_growth >= 3) {
                        double idle = cpu_idle_fraction();
                        last_growth = gr_now();
                        if (nslots < max_slots && n_running == nslots && qhead < qtail &&
                            idle > 0.25 && mem_available_mib() > 1024) {
                                nslots++;
                                progress_clear();
                                printf("grade: the cores are %.0f%% idle: %d slots\n", 100 * idle,
                                       nslots);
                        }
                }
                if (interrupted)
                        break;
                for (int k = 0; k < nslots; k++) {
                        int st;
                        if (guards[k] <= 0 || waitpid(guards[k], &st, WNOHANG) != guards[k])
                                continue;
                        struct gr_student *s = in_slot[k];
                        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        guards[k] = 0;
                        n_running--;
                        int r = conform_done(s, code);
                        if (r < 0) {
                                progress_clear();
                                printf("%-20s harness error (conform exit %d): judging again\n",
                                       s->name, code);
                                queue[--qhead] = s; /* next free slot takes it first */
                        } else if (r > 0) {
                                waiting[nwait++] = s;
                        } else {
                                finalize(s);
                        }
                }
        }
        if (interrupted) {
                progress_clear();
                fprintf(stderr, "grade: interrupted: stopping %d running check(s)\n", n_running);
                stop_all(guards, max_slots);
        }
        /* reruns, each alone: every slot is idle now */
        for (size_t i = 0; i < nwait && !interrupted; i++) {
                rerun_student(waiting[i]);
                if (!interrupted)
                        finalize(waiting[i]);
        }
        progress_clear();
        render_class_from(names, cname, ctx.baseline != NULL);

        int conformant = 0, harness = 0, graded = 0;
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n)
        {
                json_t *g = load_grade(o.out, json_string_value(n));
                if (!g)
                        continue;
                graded++;
                conformant += !strcmp(verdict_of(g), "CONFORMANT");
                harness += !strcmp(verdict_of(g), "HARNESS ERROR");
                json_decref(g);
        }
        char el[32];
        gr_fmt_dur(el, sizeof(el), gr_now() - t0);
        printf("grade: %d of %zu students graded, %d conformant, %d not, %d harness error(s); %s\n",
               graded, json_array_size(names), conformant, graded - conformant - harness, harness,
               el);
        printf("grade: class report %s/index.html (also class.csv, class.json)\n", o.out);
        if (interrupted) {
                printf("grade: interrupted; finish with: scripts/grade %s -o %s --resume\n",
                       o.class_dir, o.out);
                return 130;
        }
        return harness ? 1 : 0;
}

/* ---- --merge ------------------------------------------------------------ */

static int merge(void)
{
        char absdir[PATH_MAX];
        json_t *names = json_array(), *seen_shards = json_object();
        const char *cname = "class";
        json_t *first_meta = NULL;

        if (o.nmerge == 0)
                die("%s", "--merge needs at least one shard output");
        o.shard_n = 0; /* learnt from the shards' class.json */
        if (!o.out)
                o.out = o.merge_dirs[0];
        if (gr_mkdirs(o.out) < 0 || !realpath(o.out, absdir))
                die("cannot create %s", o.out);
        o.out = strdup(absdir);
        ctx.out = o.out;
        for (int i = 0; i < o.nmerge; i++) {
                char path[PATH_MAX], src[PATH_MAX];
                json_t *cj, *meta;
                DIR *d;
                struct dirent *e;

                if (!realpath(o.merge_dirs[i], src))
                        die("no such shard output: %s", o.merge_dirs[i]);
                snprintf(path, sizeof(path), "%s/class.json", src);
                cj = json_load_file(path, 0, NULL);
                if (!cj)
                        die("%s is not a grading output (no class.json)", src);
                meta = json_object_get(cj, "meta");
                if (!first_meta) {
                        first_meta = json_deep_copy(meta);
                        o.seed = (unsigned long)gr_jint(meta, "class_seed");
                        o.tier = strdup(gr_jstr(meta, "tier"));
                        cname = strdup(gr_jstr(meta, "class"));
                } else if (gr_jint(meta, "class_seed") != gr_jint(first_meta, "class_seed")) {
                        fprintf(stderr,
                                "grade: warning: %s was graded with class seed %lld, not %lld\n",
                                src, gr_jint(meta, "class_seed"),
                                gr_jint(first_meta, "class_seed"));
                }
                if (*gr_jstr(meta, "shard"))
                        json_object_set_new(seen_shards, gr_jstr(meta, "shard"), json_true());
                if (o.shard_n == 0 && *gr_jstr(meta, "shard"))
                        sscanf(gr_jstr(meta, "shard"), "%*d/%d", &o.shard_n);
                json_decref(cj);
                d = opendir(src);
                while (d && (e = readdir(d))) {
                        json_t *g;
                        char to[PATH_MAX], from[PATH_MAX];
                        if (e->d_name[0] == '.' || !(g = load_grade(src, e->d_name)))
                                continue;
                        snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
                        snprintf(to, sizeof(to), "%s/%s", o.out, e->d_name);
                        if (strcmp(from, to)) {
                                gr_rm_rf(to);
                                if (gr_copy_tree(from, to) < 0)
                                        die("%s", gr_error());
                        }
                        json_array_append_new(names, json_string(e->d_name));
                        json_decref(g);
                }
                if (d)
                        closedir(d);
        }
        for (int k = 1; k <= o.shard_n; k++) {
                char key[32];
                snprintf(key, sizeof(key), "%d/%d", k, o.shard_n);
                if (!json_object_get(seen_shards, key))
                        fprintf(stderr, "grade: warning: shard %s is missing from the merge\n",
                                key);
        }
        o.shard_n = 0;
        o.class_dir = strdup(gr_jstr(first_meta, "class_dir"));
        printf("grade: merged %d output(s), %zu students, into %s\n", o.nmerge,
               json_array_size(names), o.out);
        load_baseline();
        render_class_from(names, cname, true);
        printf("grade: class report %s/index.html (also class.csv, class.json)\n", o.out);
        return 0;
}

int main(int argc, char **argv)
{
        enum {
                OPT_ROOT = 256,
                OPT_BUILD,
                OPT_SEED,
                OPT_RESUME,
                OPT_ONLY,
                OPT_BASELINE,
                OPT_SHARD,
                OPT_LIMIT,
                OPT_MERGE,
                OPT_TIER,
                OPT_DEADLINE,
                OPT_MAXB,
                OPT_MAXF,
                OPT_INJECT
        };
        static const struct option longopts[] = {
            {"root", 1, 0, OPT_ROOT},
            {"build", 1, 0, OPT_BUILD},
            {"out", 1, 0, 'o'},
            {"jobs", 1, 0, 'j'},
            {"seed", 1, 0, OPT_SEED},
            {"resume", 0, 0, OPT_RESUME},
            {"only", 0, 0, OPT_ONLY},
            {"baseline", 1, 0, OPT_BASELINE},
            {"shard", 1, 0, OPT_SHARD},
            {"limit", 1, 0, OPT_LIMIT},
            {"merge", 0, 0, OPT_MERGE},
            {"tier", 1, 0, OPT_TIER},
            {"deadline", 1, 0, OPT_DEADLINE},
            {"max-bytes", 1, 0, OPT_MAXB},
            {"max-files", 1, 0, OPT_MAXF},
            {"help", 0, 0, 'h'},
            {"test-inject", 1, 0, OPT_INJECT},
            {0, 0, 0, 0},
        };
        int c;
        char *end;

        t0 = gr_now();
        o.tier = "all";
        o.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
        o.auto_jobs = true;
        o.deadline = 1800;
        o.caps.max_bytes = 64ULL << 20;
        o.caps.max_files = 2000;
        o.shard_k = o.shard_n = 1;
        /*
         * --only NAME...: the names are every following word up to the next
         * option.  They leave argv here, so getopt's reordering never sees
         * them; a last word that is a directory is the class folder.
         */
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--only"))
                        continue;
                int j = i + 1;
                while (j < argc && argv[j][0] != '-' && o.nonly < 256)
                        o.only[o.nonly++] = argv[j++];
                memmove(argv + i + 1, argv + j, (argc - j + 1) * sizeof(*argv));
                argc -= j - i - 1;
                if (o.nonly == 0)
                        die("%s", "--only takes one or more student names");
        }
        while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_ROOT:
                        o.root = optarg;
                        break;
                case OPT_BUILD:
                        o.build = optarg;
                        break;
                case 'o':
                        o.out = optarg;
                        break;
                case 'j':
                        if (!strcmp(optarg, "auto")) {
                                o.auto_jobs = true;
                                break;
                        }
                        o.auto_jobs = false;
                        o.jobs = (int)strtol(optarg, &end, 10);
                        if (*end || o.jobs < 1 || o.jobs > 256)
                                die("--jobs takes auto or a number from 1 to 256, not '%s'",
                                    optarg);
                        break;
                case OPT_SEED:
                        o.seed = strtoul(optarg, &end, 10);
                        if (*end || !*optarg || *optarg == '-')
                                die("--seed takes a non-negative integer, not '%s'", optarg);
                        o.seed_given = true;
                        break;
                case OPT_RESUME:
                        o.resume = true;
                        break;
                case OPT_ONLY:
                        break; /* taken out of argv before getopt, below */
                case OPT_BASELINE:
                        o.baseline = optarg;
                        break;
                case OPT_SHARD:
                        if (sscanf(optarg, "%d/%d", &o.shard_k, &o.shard_n) != 2 || o.shard_n < 1 ||
                            o.shard_k < 1 || o.shard_k > o.shard_n)
                                die("--shard takes K/N with 1 <= K <= N, not '%s'", optarg);
                        break;
                case OPT_LIMIT:
                        if (!strchr(optarg, '=') || o.nlimits >= 32)
                                die("--limit takes KEY=VALUE, not '%s'", optarg);
                        o.limits[o.nlimits++] = optarg;
                        break;
                case OPT_MERGE:
                        o.merge = true;
                        break;
                case OPT_TIER:
                        if (strcmp(optarg, "book") && strcmp(optarg, "robust") &&
                            strcmp(optarg, "all"))
                                die("--tier takes book, robust or all, not '%s'", optarg);
                        o.tier = optarg;
                        break;
                case OPT_DEADLINE:
                        o.deadline = (int)strtol(optarg, &end, 10);
                        if (*end || o.deadline < 1)
                                die("--deadline takes seconds, not '%s'", optarg);
                        break;
                case OPT_MAXB:
                        o.caps.max_bytes = strtoull(optarg, NULL, 10);
                        break;
                case OPT_MAXF:
                        o.caps.max_files = strtoull(optarg, NULL, 10);
                        break;
                case OPT_INJECT:
                        if (strncmp(optarg, "fail-once:", 10) &&
                            strncmp(optarg, "first-try:", 10) &&
                            strncmp(optarg, "harness-error-once:", 19))
                                die("--test-inject takes fail-once:SUITE/TEST, "
                                    "first-try:SUITE/TEST or harness-error-once:STUDENT, "
                                    "not '%s'",
                                    optarg);
                        if (o.ninject < 4)
                                o.inject[o.ninject++] = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!o.root || !o.build)
                die("%s", "sc-grade is run by scripts/grade (--root and --build are missing)");
        ctx.root = o.root;
        ctx.build = o.build;
        o.progress_tty = isatty(2);
        for (; optind < argc; optind++) {
                if (o.merge) {
                        if (o.nmerge < 64)
                                o.merge_dirs[o.nmerge++] = argv[optind];
                } else if (o.class_dir && strcmp(o.class_dir, argv[optind])) {
                        die("one class folder at a time (and '%s'?); --only takes names",
                            argv[optind]);
                } else {
                        o.class_dir = argv[optind];
                }
        }
        if (gr_signals_init() < 0)
                die("%s", gr_error());
        gr_contract_load(o.root, o.build);
        if (o.merge)
                return merge();
        struct stat st;
        if (!o.class_dir && o.nonly > 1 && stat(o.only[o.nonly - 1], &st) == 0 &&
            S_ISDIR(st.st_mode))
                o.class_dir = o.only[--o.nonly]; /* scripts/grade --only a b CLASS_DIR */
        if (!o.class_dir) {
                usage(stderr);
                return 2;
        }
        if (gr_serial_load(o.root) < 0)
                die("%s", gr_error());
        if (o.nlimits > 0) {
                /* the harness reads SOCKCHECK_LIMITS (conform and the reruns inherit it);
                 * a conform that knows --limit is also told, for its report */
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/scripts/conform", o.root);
                char *text = gr_slurp(path, NULL);
                o.conform_has_limit = text && strstr(text, "--limit");
                free(text);
                snprintf(o.limits_env, sizeof(o.limits_env), "SOCKCHECK_LIMITS=");
                for (int i = 0; i < o.nlimits; i++)
                        snprintf(o.limits_env + strlen(o.limits_env),
                                 sizeof(o.limits_env) - strlen(o.limits_env), "%s%s", i ? "," : "",
                                 o.limits[i]);
        }
        return grade_class();
}
