/*
 * write_text.c - the texts a person reads: report.txt (header, the table of
 * programs by tier, failed checks with expected / what happened, harness
 * errors, skips with their reasons, the slowest test, the verdict) and
 * results.txt ("PASS|FAIL|SKIP suite::test", kept for older scripts).
 * Messages are safe text already; here they are folded onto one line.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

int sr_write_results_txt(const struct sr_run *run, const char *path)
{
        static const char *const word[] = {"PASS", "FAIL", "SKIP", "SKIP"};
        FILE *f = sr_open(path);

        if (!f)
                return -1;
        for (size_t i = 0; i < run->n; i++)
                fprintf(f, "%s %s::%s\n", word[run->tests[i].status], run->tests[i].suite,
                        run->tests[i].test);
        return sr_commit(f, path);
}

struct counts {
        unsigned pass, fail, skip;
};

static struct counts count(const struct sr_run *run, const char *program, int tier)
{
        struct counts c = {0};

        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];

                if ((int)t->tier != tier || (program && strcmp(t->program, program)))
                        continue;
                if (t->status == SR_PASS)
                        c.pass++;
                else if (t->status == SR_FAIL)
                        c.fail++;
                else
                        c.skip++;
        }
        return c;
}

static void cell(FILE *f, struct counts c)
{
        char b[32];

        snprintf(b, sizeof(b), "%3u /%3u /%3u", c.pass, c.fail, c.skip);
        fprintf(f, " %-22s", b);
}

static void section(FILE *f, const struct sr_run *run, enum sr_status status, const char *title,
                    const char *word)
{
        bool any = false;

        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];
                char *msg;

                if (t->status != status)
                        continue;
                if (!any)
                        fprintf(f, "%s\n", title);
                any = true;
                msg = sr_one_line(t->message);
                fprintf(f, "  %s %s: %s%s\n", word, sr_label(t),
                        t->first_try && status == SR_FAIL ? "(failed again when rerun alone) " : "",
                        *msg ? msg : "(no message)");
                free(msg);
        }
        if (any)
                fputc('\n', f);
}

/* Timing tests that passed when rerun alone, with their first try's failure. */
static void rerun_section(FILE *f, const struct sr_run *run)
{
        bool any = false;

        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];
                char *msg;

                if (!t->first_try || t->status != SR_PASS)
                        continue;
                if (!any)
                        fprintf(f, "Passed when rerun alone (timing tests whose first try failed; its "
                                   "evidence is kept as <test>.first-try):\n");
                any = true;
                msg = sr_one_line(t->first_try);
                fprintf(f, "  RERUN %s: first try: %s\n", sr_label(t), msg);
                free(msg);
        }
        if (any)
                fputc('\n', f);
}

void sr_print_verdict(const struct sr_run *run, FILE *f)
{
        unsigned pass = 0, fail = 0, skip = 0, err = 0, rpass = 0, rfail = 0;

        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];

                if (t->status == SR_HARNESS_ERROR)
                        err++;
                else if (t->tier == SR_ROBUST)
                        rpass += t->status == SR_PASS, rfail += t->status == SR_FAIL;
                else
                        pass += t->status == SR_PASS, fail += t->status == SR_FAIL,
                            skip += t->status == SR_SKIP;
        }
        switch (run->verdict) {
        case SR_HARNESS_ERR:
                fprintf(f, "conform: HARNESS ERROR: %u test(s) could not be judged (see \"Harness "
                           "errors\" above); nothing is charged to the port\n",
                        err);
                return;
        case SR_NOT_CONFORMANT:
                fprintf(f, "conform: NOT CONFORMANT: %u book test(s) failed\n", fail);
                return;
        case SR_NO_BOOK_TEST:
                if (!strcmp(run->tier, "robust"))
                        fprintf(f, "conform: robust tier only: %u passed, %u failed (robust "
                                   "failures are reported, never fatal)\n",
                                rpass, rfail);
                else
                        fprintf(f, "conform: NO BOOK TEST RAN: all %u were skipped (reasons "
                                   "above), so this run proves nothing\n",
                                skip);
                return;
        case SR_CONFORMANT:
                fprintf(f, "conform: CONFORMANT to the book (%u book tests passed", pass);
                if (skip)
                        fprintf(f, "; %u skipped, see above: they could not run here and prove "
                                   "nothing",
                                skip);
                if (run->absent && *run->absent)
                        fprintf(f, "; programs absent: %s", run->absent);
                fprintf(f, ")\n");
                return;
        }
}

int sr_write_report_txt(const struct sr_run *run, const char *path)
{
        FILE *f = sr_open(path);
        const struct sr_test *slowest = NULL;

        if (!f)
                return -1;
        fprintf(f, "Port:  %s\n", run->port);
        fprintf(f, "Mode:  %s (%s)\n", run->mode_label, run->mode_reason);
        fprintf(f, "Seed:  %llu (rerun: scripts/conform %s --seed %llu)\n", run->seed, run->port,
                run->seed);
        fprintf(f, "Tier:  %s; the run took %.1f s\n\n", run->tier, run->wall_s);
        fprintf(f, "%-14s %-22s %-22s\n", "program", "book pass/fail/skip",
                "robust pass/fail/skip");
        for (size_t i = 0; i < 12; i++) {
                fprintf(f, "%-14s", sr_ids[i]);
                cell(f, count(run, sr_ids[i], SR_BOOK));
                cell(f, count(run, sr_ids[i], SR_ROBUST));
                fputc('\n', f);
        }
        fprintf(f, "%-14s", "pairs");
        cell(f, count(run, NULL, SR_PAIRS));
        fprintf(f, "   (the port's clients with its own servers)\n\n");
        section(f, run, SR_FAIL, "Failed checks (expected / what happened):", "FAIL");
        section(f, run, SR_HARNESS_ERROR, "Harness errors (the harness could not judge these; "
                                          "not charged to the port):",
                "ERROR");
        section(f, run, SR_SKIP, "Skipped (with reasons):", "SKIP");
        rerun_section(f, run);
        for (size_t i = 0; i < run->n; i++)
                if (run->tests[i].duration_s >= 0 &&
                    (!slowest || run->tests[i].duration_s > slowest->duration_s))
                        slowest = &run->tests[i];
        if (slowest)
                fprintf(f, "Slowest test: %s (%.2f s)\n\n", sr_label(slowest),
                        slowest->duration_s);
        sr_print_verdict(run, f);
        return sr_commit(f, path);
}
