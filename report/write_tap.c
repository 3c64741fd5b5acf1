/*
 * write_tap.c - TAP version 13 (the format kselftest and prove read): one
 * "ok"/"not ok" line per test, "# SKIP <reason>" on skips, and a YAML block
 * under each failure and harness error with its message, duration and
 * evidence.  A harness error is "not ok" with severity harness_error: a
 * consumer must not count it as a pass, and the YAML says it is not the
 * port's.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* A YAML double-quoted scalar of safe text. */
static void yaml(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

int sr_write_tap(const struct sr_run *run, const char *path)
{
        FILE *f = sr_open(path);

        if (!f)
                return -1;
        fprintf(f, "TAP version 13\n1..%zu\n", run->n);
        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];
                char *one = sr_one_line(t->message);

                /* '#' would start a directive in the description. */
                for (char *p = one; *p; p++)
                        if (*p == '#')
                                *p = '+';
                switch (t->status) {
                case SR_PASS:
                        fprintf(f, "ok %zu - %s\n", i + 1, sr_label(t));
                        if (t->first_try) { /* rerun alone: the first try's failure */
                                fprintf(f, "  ---\n  first_try: ");
                                yaml(f, t->first_try);
                                fprintf(f, "\n  ...\n");
                        }
                        break;
                case SR_SKIP:
                        fprintf(f, "ok %zu - %s # SKIP %s\n", i + 1, sr_label(t), one);
                        break;
                case SR_FAIL:
                case SR_HARNESS_ERROR:
                        fprintf(f, "not ok %zu - %s\n  ---\n  message: ", i + 1, sr_label(t));
                        yaml(f, t->message);
                        fprintf(f, "\n  severity: %s\n  tier: %s\n",
                                t->status == SR_FAIL ? "fail" : "harness_error",
                                sr_tier_name(t->tier));
                        if (t->duration_s >= 0)
                                fprintf(f, "  duration_ms: %.0f\n", t->duration_s * 1000);
                        if (t->evidence) {
                                fprintf(f, "  evidence: ");
                                yaml(f, t->evidence);
                                fputc('\n', f);
                        }
                        fprintf(f, "  ...\n");
                        break;
                }
                free(one);
        }
        return sr_commit(f, path);
}
