/*
 * conform_results.c - what scripts/conform found for one port, in the schema
 * of conform's results.json:
 *   {"port","name","mode","mode_reason","seed","tier","wall_s","verdict",
 *    "limits","programs":{...},"pairs":{...},
 *    "tests":[{"suite","test","program","tier","status","message",
 *              "duration_s","evidence"}]}
 * with verdict CONFORMANT | NOT CONFORMANT | NO BOOK TEST RAN | HARNESS ERROR
 * and status pass | fail | skip | harness_error.
 *
 * This file is the one place that knows where that comes from.  When conform
 * wrote results.json, it is read as it is.  A conform that does not write it
 * yet is read from what it does write: results.txt ("PASS suite::test"), the
 * failure and skip lines of report.txt, the durations of its Criterion logs,
 * and the evidence folders.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void gr_split_suite(const char *suite, const char *test, char *prog, size_t plen, char *tier,
                    size_t tlen)
{
        size_t n = strlen(suite);

        prog[0] = 0;
        if (!strcmp(suite, "smoke")) {
                /* smoke tests are named after the pair: the longest program id that starts it */
                size_t best = 0;
                for (int i = 0; i < GR_NPROGRAMS; i++) {
                        size_t k = strlen(gr_programs[i]);
                        if (k > best && !strncmp(test, gr_programs[i], k)) {
                                best = k;
                                snprintf(prog, plen, "%s", gr_programs[i]);
                        }
                }
                snprintf(tier, tlen, "pairs");
                return;
        }
        if (n > 5 && !strcmp(suite + n - 5, "_book")) {
                snprintf(prog, plen, "%.*s", (int)(n - 5), suite);
                snprintf(tier, tlen, "book");
        } else if (n > 7 && !strcmp(suite + n - 7, "_robust")) {
                snprintf(prog, plen, "%.*s", (int)(n - 7), suite);
                snprintf(tier, tlen, "robust");
        } else {
                snprintf(prog, plen, "%s", suite);
                snprintf(tier, tlen, "other");
        }
}

/* "  FAIL suite/test: message" lines of report.txt, by "suite::test". */
static void report_lines(const char *report, const char *verb, json_t *into)
{
        char want[16];
        size_t wl;

        if (!report)
                return;
        wl = (size_t)snprintf(want, sizeof(want), "  %s ", verb);
        for (const char *p = report; *p;) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t)(eol - p) : strlen(p);
                if (n > wl && !strncmp(p, want, wl)) {
                        const char *name = p + wl, *colon = memchr(name, ':', n - wl);
                        const char *slash = memchr(name, '/', n - wl);
                        if (colon && slash && slash < colon) {
                                char key[512], *msg;
                                snprintf(key, sizeof(key), "%.*s::%.*s", (int)(slash - name), name,
                                         (int)(colon - slash - 1), slash + 1);
                                msg = strndup(colon + 2 > p + n ? p + n : colon + 2,
                                              p + n - (colon + 2 > p + n ? p + n : colon + 2));
                                if (!json_object_get(into, key))
                                        json_object_set_new(into, key, json_string(msg));
                                free(msg);
                        }
                }
                p += n + (eol ? 1 : 0);
        }
}

/* "[PASS] suite::test: (0.59s)" lines of every Criterion log conform kept. */
static void durations(const char *dir, json_t *into)
{
        DIR *d = opendir(dir);
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d))) {
                size_t n = strlen(e->d_name);
                char path[PATH_MAX], *text;
                if (n < 5 || strcmp(e->d_name + n - 4, ".log"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (!(text = gr_slurp(path, NULL)))
                        continue;
                for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                        char name[512];
                        double s;
                        if (line[0] != '[' || strlen(line) < 8 || line[5] != ']')
                                continue;
                        if (sscanf(line + 7, "%511[^:]::%*s", name) != 1)
                                continue;
                        char *open = strstr(line, ": (");
                        if (!open || sscanf(open + 3, "%lfs)", &s) != 1)
                                continue;
                        char key[600];
                        const char *t = strstr(line + 7, "::");
                        snprintf(key, sizeof(key), "%s::%.*s", name, (int)(open - t - 2), t + 2);
                        json_object_set_new(into, key, json_real(s));
                }
                free(text);
        }
        closedir(d);
}

static char *report_field(const char *report, const char *label)
{
        const char *p = report ? strstr(report, label) : NULL;

        if (!p)
                return strdup("");
        p += strlen(label);
        while (*p == ' ')
                p++;
        return strndup(p, strcspn(p, "\n"));
}

static json_t *derive(const char *out, int exit_code)
{
        char path[PATH_MAX];
        char *results, *report;
        json_t *r = json_object(), *tests = json_array(), *msgs = json_object(),
               *durs = json_object(), *reruns = json_object();
        int book_pass = 0, book_fail = 0;

        snprintf(path, sizeof(path), "%s/results.txt", out);
        results = gr_slurp(path, NULL);
        snprintf(path, sizeof(path), "%s/report.txt", out);
        report = gr_slurp(path, NULL);
        report_lines(report, "FAIL", msgs);
        report_lines(report, "SKIP", msgs);
        /* Timing tests conform passed only when it reran them alone: FLAKY here too. */
        report_lines(report, "RERUN", reruns);
        durations(out, durs);

        for (char *line = results ? strtok(results, "\n") : NULL; line; line = strtok(NULL, "\n")) {
                char verdict[8], suite[256], test[256], prog[64], tier[16], key[600];
                const char *status;
                struct stat st;
                json_t *t;

                if (sscanf(line, "%7s %255[^:]::%255s", verdict, suite, test) != 3)
                        continue;
                status = !strcmp(verdict, "PASS")   ? "pass"
                         : !strcmp(verdict, "FAIL") ? "fail"
                         : !strcmp(verdict, "SKIP") ? "skip"
                                                    : "harness_error";
                gr_split_suite(suite, test, prog, sizeof(prog), tier, sizeof(tier));
                snprintf(key, sizeof(key), "%s::%s", suite, test);
                t = json_pack("{s:s, s:s, s:s, s:s, s:s}", "suite", suite, "test", test, "program",
                              prog, "tier", tier, "status", status);
                if (!strcmp(status, "pass") && json_object_get(reruns, key)) {
                        status = "flaky";
                        json_object_set_new(t, "status", json_string(status));
                        json_object_set_new(t, "message", json_string(gr_jstr(reruns, key)));
                } else {
                        json_object_set_new(t, "message", json_string(gr_jstr(msgs, key)));
                }
                json_object_set_new(t, "duration_s",
                                    json_real(json_number_value(json_object_get(durs, key))));
                snprintf(path, sizeof(path), "%s/evidence/%s/%s", out, suite, test);
                if (!strcmp(status, "flaky")) /* the failed first try's */
                        strncat(path, ".first-try", sizeof(path) - strlen(path) - 1);
                if ((!strcmp(status, "fail") || !strcmp(status, "flaky")) && stat(path, &st) == 0)
                        json_object_set_new(t, "evidence", json_string(path));
                else
                        json_object_set_new(t, "evidence", json_null());
                if (strcmp(tier, "robust")) {
                        book_pass += !strcmp(status, "pass") || !strcmp(status, "flaky");
                        book_fail += !strcmp(status, "fail");
                }
                json_array_append_new(tests, t);
        }

        char *port = report_field(report, "Port:"), *mode = report_field(report, "Mode:");
        char *seed = report_field(report, "Seed:");
        json_object_set_new(r, "port", json_string(port));
        json_object_set_new(r, "mode", json_string(mode));
        json_object_set_new(r, "seed", json_integer(strtoll(seed, NULL, 10)));
        json_object_set_new(r, "verdict",
                            json_string(exit_code == 0                 ? "CONFORMANT"
                                        : exit_code == 1 && book_fail  ? "NOT CONFORMANT"
                                        : exit_code == 1 && !book_pass ? "NO BOOK TEST RAN"
                                                                       : "HARNESS ERROR"));
        json_object_set_new(r, "tests", tests);
        json_object_set_new(r, "derived_from", json_string("results.txt and report.txt"));
        free(port);
        free(mode);
        free(seed);
        free(results);
        free(report);
        json_decref(msgs);
        json_decref(durs);
        json_decref(reruns);
        return r;
}

json_t *gr_conform_load(const char *out, int exit_code)
{
        char path[PATH_MAX];
        struct stat st;

        snprintf(path, sizeof(path), "%s/results.json", out);
        if (stat(path, &st) == 0) {
                json_error_t err;
                json_t *r = json_load_file(path, 0, &err);
                if (r && json_is_array(json_object_get(r, "tests")))
                        return r;
                json_decref(r);
                /* a results.json that does not parse is conform's failure, not the port's */
                return json_pack("{s:s, s:s, s:[]}", "verdict", "HARNESS ERROR", "error",
                                 "conform's results.json does not parse", "tests");
        }
        return derive(out, exit_code);
}
