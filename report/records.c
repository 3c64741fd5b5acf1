/*
 * records.c - reading what a conform run left: the runners' records
 * (suites/sct_record.c: one line per test) and the list of tests the run
 * was meant to run (so a test whose runner died before it reported is a
 * harness error, not a silent gap); then the verdict.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sr_ids[12] = {"udp_local",   "udp_remote",  "big_sender", "udp_broadcast",
                                "tsTserv",     "tsTclnt",     "tsUserv",    "tsUclnt",
                                "time_server", "time_client", "echo_server", "echo_client"};

/* The id a name starts with (followed by '_' or its end); the longest wins. */
static const char *program_of(const char *name)
{
        const char *best = "";

        for (size_t i = 0; i < 12; i++) {
                size_t n = strlen(sr_ids[i]);

                if (strncmp(name, sr_ids[i], n) == 0 && (name[n] == '_' || !name[n]) &&
                    n > strlen(best))
                        best = sr_ids[i];
        }
        return best;
}

static bool ends_with(const char *s, const char *tail)
{
        size_t a = strlen(s), b = strlen(tail);

        return a >= b && strcmp(s + a - b, tail) == 0;
}

static struct sr_test *find(struct sr_run *run, const char *suite, const char *test)
{
        for (size_t i = 0; i < run->n; i++)
                if (!strcmp(run->tests[i].suite, suite) && !strcmp(run->tests[i].test, test))
                        return &run->tests[i];
        return NULL;
}

static struct sr_test *add(struct sr_run *run, const char *suite, const char *test)
{
        struct sr_test *t = find(run, suite, test);

        if (t)
                return t;
        if (run->n == run->cap) {
                run->cap = run->cap ? run->cap * 2 : 256;
                run->tests = realloc(run->tests, run->cap * sizeof(*run->tests));
                if (!run->tests)
                        abort();
        }
        t = &run->tests[run->n++];
        memset(t, 0, sizeof(*t));
        t->suite = sr_safe(suite, strlen(suite));
        t->test = sr_safe(test, strlen(test));
        if (strcmp(suite, "smoke") == 0) {
                t->tier = SR_PAIRS;
                t->program = program_of(test);
        } else {
                t->tier = ends_with(suite, "_robust") ? SR_ROBUST : SR_BOOK;
                t->program = program_of(suite);
        }
        /* Until a record says otherwise: the runner never reported it. */
        t->status = SR_HARNESS_ERROR;
        t->message = strdup("harness error: no result; the suite's runner ended before this "
                            "test reported (see the runner's .log beside this report)");
        t->duration_s = -1;
        return t;
}

int sr_read_records(struct sr_run *run, const char *path)
{
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;

        if (!f) {
                if (errno == ENOENT)
                        return 0; /* a runner that reported nothing: caught by the list */
                fprintf(stderr, "sc-report: cannot read %s: %s\n", path, strerror(errno));
                return -errno;
        }
        while ((len = getline(&line, &cap, f)) > 0) {
                char *field[5], *p = line;
                struct sr_test *t;
                size_t mlen;
                int nf = 0;

                if (line[len - 1] == '\n')
                        line[--len] = '\0';
                while (nf < 5) {
                        field[nf++] = p;
                        p = strchr(p, '\t');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                if (nf != 5) {
                        fprintf(stderr, "sc-report: %s: a malformed record, ignored\n", path);
                        continue;
                }
                sr_unescape(field[0]);
                sr_unescape(field[1]);
                t = add(run, field[0], field[1]);
                /*
                 * A second record is a timing test's rerun alone (scripts/conform):
                 * it decides; a failed first try is kept to be shown.
                 */
                if (t->recorded && t->status == SR_FAIL && !t->first_try)
                        t->first_try = t->message;
                else
                        free(t->message);
                t->recorded = true;
                mlen = sr_unescape(field[4]);
                t->message = sr_safe(field[4], mlen);
                t->duration_s = strcmp(field[3], "-") ? strtod(field[3], NULL) : -1;
                if (!strcmp(field[2], "pass"))
                        t->status = SR_PASS;
                else if (!strcmp(field[2], "skip"))
                        t->status = strncmp(t->message, "harness error:", 14) ? SR_SKIP
                                                                              : SR_HARNESS_ERROR;
                else if (!strcmp(field[2], "crash"))
                        t->status = SR_HARNESS_ERROR;
                else
                        t->status = SR_FAIL; /* fail, timeout */
        }
        free(line);
        fclose(f);
        return 0;
}

int sr_read_expected(struct sr_run *run, const char *path)
{
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;

        if (!f) {
                fprintf(stderr, "sc-report: cannot read %s: %s\n", path, strerror(errno));
                return -errno;
        }
        while ((len = getline(&line, &cap, f)) > 0) {
                char *sep;

                if (line[len - 1] == '\n')
                        line[--len] = '\0';
                sep = strstr(line, "::");
                if (!sep)
                        continue;
                *sep = '\0';
                add(run, line, sep + 2);
        }
        free(line);
        fclose(f);
        return 0;
}

static int by_name(const void *a, const void *b)
{
        const struct sr_test *x = a, *y = b;
        int c = strcmp(x->suite, y->suite);

        return c ? c : strcmp(x->test, y->test);
}

void sr_finish(struct sr_run *run)
{
        size_t book_pass = 0, book_fail = 0, errors = 0;

        qsort(run->tests, run->n, sizeof(*run->tests), by_name);
        for (size_t i = 0; i < run->n; i++) {
                struct sr_test *t = &run->tests[i];
                char rel[2048], abs[4096];
                struct stat st;

                snprintf(rel, sizeof(rel), "evidence/%s/%s", t->suite, t->test);
                snprintf(abs, sizeof(abs), "%s/%s", run->out_dir, rel);
                if (stat(abs, &st) == 0 && S_ISDIR(st.st_mode))
                        t->evidence = strdup(rel);
                if (t->status == SR_HARNESS_ERROR)
                        errors++;
                else if (t->tier != SR_ROBUST && t->status == SR_PASS)
                        book_pass++;
                else if (t->tier != SR_ROBUST && t->status == SR_FAIL)
                        book_fail++;
        }
        if (errors)
                run->verdict = SR_HARNESS_ERR;
        else if (book_fail)
                run->verdict = SR_NOT_CONFORMANT;
        else if (!book_pass)
                run->verdict = SR_NO_BOOK_TEST;
        else
                run->verdict = SR_CONFORMANT;
}

const char *sr_verdict_name(enum sr_verdict v)
{
        static const char *const names[] = {"CONFORMANT", "NOT CONFORMANT", "NO BOOK TEST RAN",
                                            "HARNESS ERROR"};
        return names[v];
}

const char *sr_status_name(enum sr_status s)
{
        static const char *const names[] = {"pass", "fail", "skip", "harness_error"};
        return names[s];
}

const char *sr_tier_name(enum sr_tier t)
{
        static const char *const names[] = {"book", "robust", "pairs"};
        return names[t];
}

const char *sr_label(const struct sr_test *t)
{
        static char ring[4][1024];
        static int next;
        char *b = ring[next++ % 4];

        snprintf(b, sizeof(ring[0]), "%s/%s", t->suite, t->test);
        return b;
}

FILE *sr_open(const char *path)
{
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "w");
        if (!f)
                fprintf(stderr, "sc-report: cannot write %s: %s\n", tmp, strerror(errno));
        return f;
}

int sr_commit(FILE *f, const char *path)
{
        char tmp[4096];
        int bad = ferror(f);

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (fclose(f) != 0 || bad) {
                fprintf(stderr, "sc-report: writing %s failed\n", tmp);
                unlink(tmp);
                return -EIO;
        }
        if (rename(tmp, path) != 0) {
                int e = errno;

                fprintf(stderr, "sc-report: cannot rename %s: %s\n", tmp, strerror(e));
                unlink(tmp);
                return -e;
        }
        return 0;
}
