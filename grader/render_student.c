/*
 * render_student.c - one student's files, all from grade.json:
 *   report.txt    what the teacher reads: verdict, seed, notes, flaky
 *                 reruns, changes since the baseline, then conform's report;
 *   junit.xml     one testcase per test, for CI dashboards;
 *   results.json  Gradescope's autograder format (each book test is one
 *                 point; a test that could not run here is shown and not
 *                 counted; robust tests are shown at zero points);
 *   feedback.txt  what the student reads: what failed, in the contract's
 *                 words with its section, and the command that reproduces
 *                 one failure with the student's seed.
 * A harness error is never charged: it scores nothing out of nothing.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int prog_index(const char *p)
{
        for (int i = 0; i < GR_NPROGRAMS; i++)
                if (!strcmp(p, gr_programs[i]))
                        return i;
        return -1;
}

static bool passed(const char *status)
{
        return !strcmp(status, "pass") || !strcmp(status, "flaky");
}

void gr_tally(json_t *grade, int counts[GR_NPROGRAMS + 1][3][3], int *flaky, int *book_pass,
              int *book_fail, int *book_skip)
{
        json_t *t;
        size_t i;

        memset(counts, 0, sizeof(int) * (GR_NPROGRAMS + 1) * 9);
        *flaky = *book_pass = *book_fail = *book_skip = 0;
        json_array_foreach(json_object_get(grade, "tests"), i, t)
        {
                const char *st = gr_jstr(t, "status"), *tier = gr_jstr(t, "tier");
                int p = prog_index(gr_jstr(t, "program"));
                int k = passed(st) ? 0 : !strcmp(st, "fail") ? 1 : 2;
                int row = !strcmp(tier, "pairs") ? GR_NPROGRAMS : p;
                int col = !strcmp(tier, "robust") ? 1 : 0;

                *flaky += !strcmp(st, "flaky");
                if (row >= 0)
                        counts[row][col][k]++;
                if (col == 0) {
                        *book_pass += k == 0;
                        *book_fail += k == 1;
                        *book_skip += k == 2;
                }
        }
}

void gr_baseline_diff(const struct gr_ctx *ctx, json_t *grade)
{
        json_t *old, *nf = json_array(), *np = json_array(), *t;
        json_t *was = json_object();
        size_t i;

        if (!ctx->baseline) {
                json_decref(nf);
                json_decref(np);
                json_decref(was);
                json_object_del(grade, "baseline");
                return;
        }
        old = json_object_get(ctx->baseline, gr_jstr(grade, "student"));
        json_array_foreach(json_object_get(old, "tests"), i, t)
        {
                char key[600];
                snprintf(key, sizeof(key), "%s/%s", gr_jstr(t, "suite"), gr_jstr(t, "test"));
                json_object_set_new(was, key, json_string(gr_jstr(t, "status")));
        }
        json_array_foreach(json_object_get(grade, "tests"), i, t)
        {
                char key[600];
                const char *now = gr_jstr(t, "status"), *then;
                snprintf(key, sizeof(key), "%s/%s", gr_jstr(t, "suite"), gr_jstr(t, "test"));
                then = json_string_value(json_object_get(was, key));
                if (!then)
                        continue;
                if (passed(then) && !strcmp(now, "fail"))
                        json_array_append_new(nf, json_string(key));
                else if (!strcmp(then, "fail") && passed(now))
                        json_array_append_new(np, json_string(key));
        }
        json_object_set_new(grade, "baseline",
                            json_pack("{s:s, s:b, s:s?, s:o, s:o}", "dir", ctx->baseline_dir,
                                      "found", old != NULL, "verdict",
                                      old ? gr_jstr(old, "verdict") : NULL, "newly_fail", nf,
                                      "newly_pass", np));
        json_decref(was);
}

/* "server_listening_line" -> "server listening line" */
static void words(char *dst, size_t len, const char *test)
{
        size_t j = 0;

        for (size_t i = 0; test[i] && j + 1 < len; i++)
                dst[j++] = test[i] == '_' ? ' ' : test[i];
        dst[j] = 0;
}

/* "breaks C-x-1: <the sentence>" for each sentence the test checks */
static void clauses_text(struct gr_buf *b, json_t *t, const char *indent)
{
        json_t *ids = gr_test_clauses(gr_jstr(t, "suite"), gr_jstr(t, "test")), *id;
        size_t i;

        json_array_foreach(ids, i, id)
        {
                const char *text = gr_clause_text(json_string_value(id));
                gr_bprintf(b, "%s%s %s (programs/CONTRACT.md): %s\n", indent,
                           i ? "or" : "It checks", json_string_value(id), text ? text : "");
        }
}

static bool not_charged_skip(json_t *t)
{
        /* a program the port lacks is the student's; anything else could not run here */
        return !strcmp(gr_jstr(t, "status"), "skip") &&
               !strstr(gr_jstr(t, "message"), "port has no");
}

static const char *summary_line(json_t *g, char *buf, size_t len)
{
        int counts[GR_NPROGRAMS + 1][3][3], flaky, bp, bf, bs;
        const char *v = gr_jstr(g, "verdict");

        gr_tally(g, counts, &flaky, &bp, &bf, &bs);
        if (!strcmp(v, "CONFORMANT") || !strcmp(v, "NOT CONFORMANT"))
                snprintf(buf, len, "%s: %d book test(s) passed, %d failed, %d skipped%s", v, bp, bf,
                         bs, flaky ? " (some only on rerun: FLAKY)" : "");
        else if (!strcmp(v, "HARNESS ERROR"))
                snprintf(buf, len,
                         "HARNESS ERROR: the grader could not judge this port; this is not "
                         "the student's fault and is not charged");
        else
                snprintf(buf, len, "%s", v);
        return buf;
}

static void notes_text(struct gr_buf *b, json_t *g, const char *indent)
{
        json_t *n;
        size_t i;

        json_array_foreach(json_object_get(g, "notes"), i, n)
            gr_bprintf(b, "%s%s\n", indent, json_string_value(n));
}

static const char *suite_binary_name(const struct gr_ctx *ctx, json_t *t)
{
        return gr_suite_binary(ctx->build, gr_jstr(t, "suite"), gr_jstr(t, "test"));
}

/* The command that runs one test alone with the student's seed. */
static void repro(const struct gr_ctx *ctx, struct gr_buf *b, json_t *g, json_t *t)
{
        const char *bin = suite_binary_name(ctx, t);

        gr_bprintf(
            b, "  SOCKCHECK_PORT=%s SOCKCHECK_SEED=%lld \\\n    %s --filter='%s/%s' --verbose\n",
            gr_jstr(g, "port"), gr_jint(g, "seed"), bin ? bin : "build/suites/<suite binary>",
            gr_jstr(t, "suite"), gr_jstr(t, "test"));
}

static int tier_rank(json_t *t)
{
        const char *tier = gr_jstr(t, "tier");

        return !strcmp(tier, "book") ? 0 : !strcmp(tier, "pairs") ? 1 : 2;
}

static int render_report(const struct gr_ctx *ctx, const char *dir, json_t *g)
{
        struct gr_buf b = {0};
        char path[PATH_MAX], line[512], dur[32];
        json_t *t, *bl = json_object_get(g, "baseline");
        size_t i;
        char *conform;
        int r;

        gr_fmt_dur(dur, sizeof(dur), gr_jreal(g, "wall_s"));
        gr_bprintf(&b, "Student: %s\n", gr_jstr(g, "student"));
        gr_bprintf(&b, "Verdict: %s\n", summary_line(g, line, sizeof(line)));
        gr_bprintf(&b, "Entry:   %s (%s, sha256 %.16s)\n", gr_jstr(g, "entry"), gr_jstr(g, "kind"),
                   gr_jstr(g, "hash"));
        if (json_is_string(json_object_get(g, "port")))
                gr_bprintf(&b, "Port:    %s\n", gr_jstr(g, "port"));
        gr_bprintf(
            &b,
            "Seed:    %lld (from class seed %lld and the name; scripts/grade CLASS --only %s "
            "--seed %lld repeats it)\n",
            gr_jint(g, "seed"), gr_jint(g, "class_seed"), gr_jstr(g, "student"),
            gr_jint(g, "class_seed"));
        gr_bprintf(&b, "Tier:    %s; graded %s in %s", gr_jstr(g, "tier"), gr_jstr(g, "graded_at"),
                   dur);
        if (gr_jint(g, "attempts") > 1)
                gr_bprintf(&b, " (%lld runs: harness errors are judged again)",
                           gr_jint(g, "attempts"));
        gr_bputs(&b, "\n");
        if (json_array_size(json_object_get(g, "notes"))) {
                gr_bputs(&b, "Notes:\n");
                notes_text(&b, g, "  ");
        }
        json_array_foreach(json_object_get(g, "tests"), i, t)
        {
                if (!strcmp(gr_jstr(t, "status"), "flaky"))
                        gr_bprintf(&b, "FLAKY:   %s/%s failed, then passed when rerun alone\n",
                                   gr_jstr(t, "suite"), gr_jstr(t, "test"));
                else if (json_array_size(json_object_get(t, "reruns")))
                        gr_bprintf(&b,
                                   "Rerun:   %s/%s failed again when rerun alone (%zu rerun(s))\n",
                                   gr_jstr(t, "suite"), gr_jstr(t, "test"),
                                   json_array_size(json_object_get(t, "reruns")));
        }
        if (bl) {
                json_t *n;
                gr_bprintf(&b, "Since the baseline %s: ", gr_jstr(bl, "dir"));
                if (!json_is_true(json_object_get(bl, "found"))) {
                        gr_bputs(&b, "the student was not in it\n");
                } else {
                        gr_bprintf(&b, "was %s; %zu newly fail, %zu newly pass\n",
                                   gr_jstr(bl, "verdict"),
                                   json_array_size(json_object_get(bl, "newly_fail")),
                                   json_array_size(json_object_get(bl, "newly_pass")));
                        json_array_foreach(json_object_get(bl, "newly_fail"), i, n)
                            gr_bprintf(&b, "  newly FAILS  %s\n", json_string_value(n));
                        json_array_foreach(json_object_get(bl, "newly_pass"), i, n)
                            gr_bprintf(&b, "  newly passes %s\n", json_string_value(n));
                }
        }
        gr_bputs(&b, "\n");
        snprintf(path, sizeof(path), "%s/conform/report.txt", dir);
        if ((conform = gr_slurp(path, NULL))) {
                gr_bputs(&b, "---- scripts/conform's report ----\n");
                gr_bputs(&b, conform);
                free(conform);
        } else {
                gr_bputs(&b, "scripts/conform did not run: see the notes above.\n");
        }
        json_t *first = NULL;
        json_array_foreach(json_object_get(g, "tests"), i, t)
        {
                if (strcmp(gr_jstr(t, "status"), "fail"))
                        continue;
                if (!first || tier_rank(t) < tier_rank(first))
                        first = t;
                if (json_is_string(json_object_get(t, "evidence")))
                        gr_bprintf(&b, "Evidence of %s/%s: %s/%s\n", gr_jstr(t, "suite"),
                                   gr_jstr(t, "test"), dir, gr_jstr(t, "evidence"));
        }
        if (first) {
                gr_bprintf(&b, "\nReproduce %s/%s alone with this student's seed:\n",
                           gr_jstr(first, "suite"), gr_jstr(first, "test"));
                repro(ctx, &b, g, first);
        }
        snprintf(path, sizeof(path), "%s/report.txt", dir);
        r = gr_write_file(path, b.s);
        free(b.s);
        return r;
}

static int render_junit(const char *dir, json_t *g)
{
        struct gr_buf b = {0};
        char path[PATH_MAX];
        json_t *t, *suites = json_array();
        size_t i, j;
        int tests = 0, failures = 0, errors = 0, skipped = 0;
        char *name = gr_xml_escape(gr_jstr(g, "student"));
        int r;

        json_array_foreach(json_object_get(g, "tests"), i, t)
        {
                const char *st = gr_jstr(t, "status");
                bool have = false;
                json_t *s;
                tests++;
                failures += !strcmp(st, "fail");
                errors += !strcmp(st, "harness_error");
                skipped += !strcmp(st, "skip");
                json_array_foreach(suites, j, s) have |=
                    !strcmp(json_string_value(s), gr_jstr(t, "suite"));
                if (!have)
                        json_array_append_new(suites, json_string(gr_jstr(t, "suite")));
        }
        gr_bputs(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if (tests == 0) {
                /* no conform run: one case that says why */
                struct gr_buf n = {0};
                notes_text(&n, g, "");
                char *msg = gr_xml_escape(n.s ? n.s : "");
                char *v = gr_xml_escape(gr_jstr(g, "verdict"));
                gr_bprintf(&b,
                           "<testsuites name=\"sockcheck grade: %s\" tests=\"1\" failures=\"1\" "
                           "errors=\"0\">\n"
                           "  <testsuite name=\"grade\" tests=\"1\" failures=\"1\" errors=\"0\" "
                           "skipped=\"0\">\n"
                           "    <testcase classname=\"grade\" name=\"port\" time=\"0\">\n"
                           "      <failure message=\"%s\">%s</failure>\n    </testcase>\n"
                           "  </testsuite>\n</testsuites>\n",
                           name, v, msg);
                free(msg);
                free(v);
                free(n.s);
                goto write;
        }
        gr_bprintf(
            &b,
            "<testsuites name=\"sockcheck grade: %s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
            "skipped=\"%d\" time=\"%.3f\">\n",
            name, tests, failures, errors, skipped, gr_jreal(g, "wall_s"));
        json_t *s;
        json_array_foreach(suites, j, s)
        {
                const char *suite = json_string_value(s);
                int n = 0, f = 0, e = 0, k = 0;
                double time = 0;
                json_array_foreach(json_object_get(g, "tests"), i, t)
                {
                        if (strcmp(gr_jstr(t, "suite"), suite))
                                continue;
                        const char *st = gr_jstr(t, "status");
                        n++;
                        f += !strcmp(st, "fail");
                        e += !strcmp(st, "harness_error");
                        k += !strcmp(st, "skip");
                        time += gr_jreal(t, "duration_s");
                }
                char *es = gr_xml_escape(suite);
                gr_bprintf(&b,
                           "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
                           "skipped=\"%d\" "
                           "time=\"%.3f\">\n",
                           es, n, f, e, k, time);
                json_array_foreach(json_object_get(g, "tests"), i, t)
                {
                        if (strcmp(gr_jstr(t, "suite"), suite))
                                continue;
                        const char *st = gr_jstr(t, "status");
                        char *et = gr_xml_escape(gr_jstr(t, "test"));
                        char *msg = gr_xml_escape(gr_jstr(t, "message"));
                        gr_bprintf(&b, "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\">",
                                   es, et, gr_jreal(t, "duration_s"));
                        if (!strcmp(st, "fail")) {
                                gr_bprintf(&b, "\n      <failure message=\"%s\">%s", msg, msg);
                                if (json_is_string(json_object_get(t, "evidence"))) {
                                        char *ev = gr_xml_escape(gr_jstr(t, "evidence"));
                                        gr_bprintf(&b, "\nevidence: %s", ev);
                                        free(ev);
                                }
                                gr_bputs(&b, "</failure>\n    ");
                        } else if (!strcmp(st, "skip")) {
                                gr_bprintf(&b, "\n      <skipped message=\"%s\"/>\n    ", msg);
                        } else if (!strcmp(st, "harness_error")) {
                                gr_bprintf(&b,
                                           "\n      <error message=\"harness error (not charged): "
                                           "%s\"/>\n    ",
                                           msg);
                        } else if (!strcmp(st, "flaky")) {
                                gr_bputs(&b, "\n      <system-out>FLAKY: failed in the class run, "
                                             "passed when "
                                             "rerun alone</system-out>\n    ");
                        }
                        gr_bputs(&b, "</testcase>\n");
                        free(et);
                        free(msg);
                }
                gr_bputs(&b, "  </testsuite>\n");
                free(es);
        }
        gr_bputs(&b, "</testsuites>\n");
write:
        snprintf(path, sizeof(path), "%s/junit.xml", dir);
        r = gr_write_file(path, b.s);
        free(b.s);
        free(name);
        json_decref(suites);
        return r;
}

static int render_gradescope(const struct gr_ctx *ctx, const char *dir, json_t *g)
{
        json_t *out = json_object(), *tests = json_array(), *t;
        char path[PATH_MAX], line[512], tw[256];
        size_t i;
        double score = 0;
        bool harness = !strcmp(gr_jstr(g, "verdict"), "HARNESS ERROR");
        int r;

        json_array_foreach(json_object_get(g, "tests"), i, t)
        {
                const char *st = gr_jstr(t, "status"), *tier = gr_jstr(t, "tier");
                bool counted = strcmp(tier, "robust") && strcmp(st, "harness_error") &&
                               !not_charged_skip(t) && !harness;
                bool ok = passed(st);
                struct gr_buf o = {0};
                char name[512];

                words(tw, sizeof(tw), gr_jstr(t, "test"));
                snprintf(name, sizeof(name), "%s (%s): %s", gr_jstr(t, "program"), tier, tw);
                if (!strcmp(st, "flaky"))
                        gr_bputs(
                            &o,
                            "Passed when rerun alone (FLAKY: it failed once in the class run).\n");
                else if (!strcmp(st, "skip"))
                        gr_bprintf(
                            &o, "Skipped: %s%s\n", gr_jstr(t, "message"),
                            counted ? "" : " (could not run on the grading machine; not counted)");
                else if (!strcmp(st, "harness_error"))
                        gr_bprintf(&o, "Harness error, not counted: %s\n", gr_jstr(t, "message"));
                else if (!ok) {
                        gr_bprintf(&o, "%s\nThe behaviour: %s.\n", gr_jstr(t, "message"),
                                   gr_contract_section(ctx->root, gr_jstr(t, "program")));
                        clauses_text(&o, t, "");
                }
                if (!strcmp(tier, "robust"))
                        gr_bputs(&o, "Robust tier: beyond the book; shown, worth no points.\n");
                json_t *e = json_pack(
                    "{s:s, s:f, s:f, s:s, s:s, s:s, s:[ss]}", "name", name, "score",
                    counted && ok ? 1.0 : 0.0, "max_score", counted ? 1.0 : 0.0, "status",
                    ok || (!counted && strcmp(st, "fail")) ? "passed" : "failed", "output",
                    o.s ? o.s : "", "visibility", "visible", "tags", gr_jstr(t, "program"), tier);
                json_array_append_new(tests, e);
                if (counted && ok)
                        score += 1;
                free(o.s);
        }
        if (json_array_size(tests) == 0) {
                struct gr_buf n = {0};
                notes_text(&n, g, "");
                json_array_append_new(tests, json_pack("{s:s, s:f, s:f, s:s, s:s, s:s}", "name",
                                                       "the port could be judged", "score", 0.0,
                                                       "max_score", harness ? 0.0 : 1.0, "status",
                                                       "failed", "output", n.s ? n.s : "",
                                                       "visibility", "visible"));
                free(n.s);
        }
        json_object_set_new(out, "score", json_real(score));
        json_object_set_new(out, "execution_time", json_integer((json_int_t)gr_jreal(g, "wall_s")));
        json_object_set_new(out, "output", json_string(summary_line(g, line, sizeof(line))));
        json_object_set_new(out, "visibility", json_string("visible"));
        json_object_set_new(out, "stdout_visibility", json_string("hidden"));
        json_object_set_new(out, "tests", tests);
        snprintf(path, sizeof(path), "%s/results.json", dir);
        r = gr_write_json(path, out);
        json_decref(out);
        return r;
}

static int render_feedback(const struct gr_ctx *ctx, const char *dir, json_t *g)
{
        struct gr_buf b = {0};
        char path[PATH_MAX], line[512], tw[256];
        json_t *t, *first = NULL;
        size_t i;
        int r, nfail = 0;

        gr_bprintf(&b, "Feedback for %s\n%s\n\n", gr_jstr(g, "student"),
                   summary_line(g, line, sizeof(line)));
        if (json_array_size(json_object_get(g, "notes"))) {
                gr_bputs(&b, "Notes:\n");
                notes_text(&b, g, "  - ");
                gr_bputs(&b, "\n");
        }
        int header_for = -1;
        for (int q = 0; q < GR_NPROGRAMS * 3; q++) {
                /* program by program; in each, book tests, then pairs, then robust */
                int p = q / 3, rank = q % 3;
                json_array_foreach(json_object_get(g, "tests"), i, t)
                {
                        if (strcmp(gr_jstr(t, "status"), "fail") ||
                            strcmp(gr_jstr(t, "program"), gr_programs[p]) || tier_rank(t) != rank)
                                continue;
                        if (header_for != p) {
                                gr_bprintf(&b, "%s%s - what it must do: %s\n",
                                           header_for >= 0 ? "\n" : "", gr_programs[p],
                                           gr_contract_section(ctx->root, gr_programs[p]));
                                header_for = p;
                        }
                        nfail++;
                        words(tw, sizeof(tw), gr_jstr(t, "test"));
                        gr_bprintf(&b, "  FAILED (%s): %s   [%s/%s]\n", gr_jstr(t, "tier"), tw,
                                   gr_jstr(t, "suite"), gr_jstr(t, "test"));
                        /* conform joins a message's lines with " | " */
                        const char *m = gr_jstr(t, "message");
                        gr_bputs(&b, "    ");
                        for (; *m; m++) {
                                if (*m == '\n') {
                                        if (m[1])
                                                gr_bputs(&b, "\n    ");
                                } else if (!strncmp(m, " | ", 3)) {
                                        gr_bputs(&b, "\n    ");
                                        m += 2;
                                        while (m[1] == ' ')
                                                m++;
                                } else {
                                        gr_bprintf(&b, "%c", *m);
                                }
                        }
                        gr_bputs(&b, "\n");
                        clauses_text(&b, t, "    ");
                        /* the one to reproduce: a book test first, then a pair, then robust */
                        if (!first || tier_rank(t) < tier_rank(first))
                                first = t;
                }
        }
        if (header_for >= 0)
                gr_bputs(&b, "\n");
        if (nfail == 0 && !strcmp(gr_jstr(g, "verdict"), "CONFORMANT"))
                gr_bputs(&b, "Every test that ran passed.\n\n");
        json_array_foreach(json_object_get(g, "tests"), i, t)
        {
                if (!strcmp(gr_jstr(t, "status"), "flaky"))
                        gr_bprintf(
                            &b,
                            "FLAKY (counted as passed): %s/%s failed once and passed when run "
                            "alone; a timing test can miss on a busy machine.\n",
                            gr_jstr(t, "suite"), gr_jstr(t, "test"));
        }
        if (first) {
                gr_bprintf(
                    &b, "\nTo reproduce %s/%s alone, with the seed you were graded with (%lld):\n",
                    gr_jstr(first, "suite"), gr_jstr(first, "test"), gr_jint(g, "seed"));
                repro(ctx, &b, g, first);
                gr_bprintf(
                    &b, "The whole check as graded:\n  scripts/conform %s --seed %lld --tier %s\n",
                    gr_jstr(g, "port"), gr_jint(g, "seed"), gr_jstr(g, "tier"));
                gr_bputs(
                    &b,
                    "(in your own checkout of sockcheck, put your port's directory in place of the "
                    "path)\n");
        }
        snprintf(path, sizeof(path), "%s/feedback.txt", dir);
        r = gr_write_file(path, b.s);
        free(b.s);
        return r;
}

int gr_render_student(const struct gr_ctx *ctx, const char *dir, json_t *g)
{
        int r = 0, e;

        if ((e = render_report(ctx, dir, g)) < 0)
                r = e;
        if ((e = render_junit(dir, g)) < 0)
                r = e;
        if ((e = render_gradescope(ctx, dir, g)) < 0)
                r = e;
        if ((e = render_feedback(ctx, dir, g)) < 0)
                r = e;
        return r;
}
