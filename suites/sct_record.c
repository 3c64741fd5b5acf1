/*
 * sct_record.c - one exact record per test, for scripts/conform's report
 * (report/sc-report).
 *
 * Criterion's verbose log cannot say which failed assertion belongs to which
 * test once tests run in parallel: the runner prints an assertion when it
 * arrives, and another test's lines may come before the [FAIL] it belongs
 * to.  Its --xml keeps no message and no skip reason, its --json no
 * duration and no escaping.  So the runner itself writes, from its
 * POST_TEST and TEST_CRASH report hooks, one line per test into the file
 * SOCKCHECK_RECORD names (nothing when it is unset):
 *
 *   <suite> TAB <test> TAB <status> TAB <seconds or -> TAB <message> NL
 *
 * status is pass, fail, skip, crash or timeout; message is the skip reason,
 * or the failed assertions' messages in the order they failed, separated by
 * "\n", or an exit code.  Every field is escaped so that a record is one
 * line whatever bytes a port printed: backslash, TAB, NL and every byte
 * below 0x20 or at 0x7f become \\ \t \n \xNN; other bytes stay as they are
 * (sc-report makes them safe for each output).  Hooks run in the runner,
 * which handles one event at a time, and each record is a single O_APPEND
 * write, so records never interleave.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rec_buf {
        char *p;
        size_t len, cap;
};

static void put(struct rec_buf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
                char *p = realloc(b->p, cap);

                if (!p)
                        return; /* the record is cut short, never corrupt */
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static void put_escaped(struct rec_buf *b, const char *s)
{
        for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                char esc[8];

                if (c == '\\')
                        put(b, "\\\\", 2);
                else if (c == '\t')
                        put(b, "\\t", 2);
                else if (c == '\n')
                        put(b, "\\n", 2);
                else if (c < 0x20 || c == 0x7f)
                        put(b, esc, (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c));
                else
                        put(b, s, 1);
        }
}

/* Criterion keeps the assertions newest first: print them oldest first. */
static void put_asserts(struct rec_buf *b, const struct criterion_assert_stats *a, int *n)
{
        if (!a)
                return;
        put_asserts(b, a->next, n);
        if (a->passed)
                return;
        if ((*n)++)
                put(b, "\\n", 2);
        put_escaped(b, a->message && *a->message ? a->message : "assertion failed");
}

static void record(const struct criterion_test_stats *st, const char *status, bool timed)
{
        const char *path = getenv("SOCKCHECK_RECORD");
        struct rec_buf b = {0};
        char num[64];
        int n = 0, fd;

        if (!path || !*path)
                return;
        put_escaped(&b, st->test->category);
        put(&b, "\t", 1);
        put_escaped(&b, st->test->name);
        put(&b, "\t", 1);
        put(&b, status, strlen(status));
        put(&b, "\t", 1);
        if (timed)
                put(&b, num, (size_t)snprintf(num, sizeof(num), "%.3f", st->elapsed_time));
        else
                put(&b, "-", 1);
        put(&b, "\t", 1);
        if (strcmp(status, "skip") == 0) {
                put_escaped(&b, st->message ? st->message : "skipped (no reason given)");
        } else if (strcmp(status, "crash") == 0) {
                put_escaped(&b, "the test process crashed (a harness bug, not the port's)");
        } else if (strcmp(status, "timeout") == 0) {
                snprintf(num, sizeof(num), "%g", st->test->data->timeout);
                put(&b, "the test did not end within its ", 32);
                put(&b, num, strlen(num));
                put(&b, " s time limit", 13);
        } else {
                put_asserts(&b, st->asserts, &n);
                if (!n && st->exit_code != 0) {
                        snprintf(num, sizeof(num), "the test process exited with code %d",
                                 st->exit_code);
                        put(&b, num, strlen(num));
                }
        }
        put(&b, "\n", 1);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0 && b.p) {
                if (write(fd, b.p, b.len) != (ssize_t)b.len)
                        fprintf(stderr, "sct_record: short write to %s\n", path);
        }
        if (fd >= 0)
                close(fd);
        free(b.p);
}

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
        const char *status = "pass";

        if (st->test_status == CR_STATUS_SKIPPED)
                status = "skip";
        else if (st->timed_out)
                status = "timeout";
        else if (st->test_status == CR_STATUS_FAILED)
                status = "fail";
        record(st, status, true);
}

/* A crash ends a test without POST_TEST. */
ReportHook(TEST_CRASH)(struct criterion_test_stats *st)
{
        record(st, "crash", false);
}
