/*
 * write_json.c - results.json, the machine-readable result the class
 * grader (grader/, issue 10) reads.  Its schema is a contract; change it
 * only together with the grader:
 *
 *   {"port": abs path, "name": str, "mode": "root|rootless|loopback",
 *    "mode_reason": str, "seed": int, "tier": "book|robust|all",
 *    "wall_s": float,
 *    "verdict": "CONFORMANT|NOT CONFORMANT|NO BOOK TEST RAN|HARNESS ERROR",
 *    "limits": object or null  (the SOCKCHECK_LIMITS_JSON file, if any),
 *    "programs": {"<id>": {"book": {"pass":n,"fail":n,"skip":n},
 *                          "robust": {...}}, ...,
 *                 "pairs": {"pass":n,"fail":n,"skip":n}},
 *    "tests": [{"suite", "test", "program", "tier": "book|robust|pairs",
 *               "status": "pass|fail|skip|harness_error", "message",
 *               "duration_s": float|null, "evidence": path|null,
 *               "first_try": str|null  (a timing test rerun alone after a failed
 *                                       first try: that failure; status is the rerun's)}]}
 *
 * "skip" counts include harness errors (neither ran to a verdict); the
 * tests array tells them apart.  Strings are safe text, so always valid
 * UTF-8, which jansson requires.
 */
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static json_t *counts(const struct sr_run *run, const char *program, enum sr_tier tier)
{
        json_int_t pass = 0, fail = 0, skip = 0;

        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];

                if (t->tier != tier || (program && strcmp(t->program, program)))
                        continue;
                pass += t->status == SR_PASS;
                fail += t->status == SR_FAIL;
                skip += t->status == SR_SKIP || t->status == SR_HARNESS_ERROR;
        }
        return json_pack("{sIsIsI}", "pass", pass, "fail", fail, "skip", skip);
}

int sr_write_json(const struct sr_run *run, const char *path)
{
        json_t *root, *programs = json_object(), *tests = json_array(), *limits = json_null();
        json_error_t jerr;
        FILE *f;
        int rc;

        if (run->limits_json) {
                limits = json_loads(run->limits_json, 0, &jerr);
                if (!limits || !json_is_object(limits)) {
                        fprintf(stderr, "sc-report: SOCKCHECK_LIMITS_JSON is not a JSON object "
                                        "(%s); limits left null\n",
                                limits ? "another JSON value" : jerr.text);
                        json_decref(limits);
                        limits = json_null();
                }
        }
        for (size_t i = 0; i < 12; i++)
                json_object_set_new(programs, sr_ids[i],
                                    json_pack("{soso}", "book", counts(run, sr_ids[i], SR_BOOK),
                                              "robust", counts(run, sr_ids[i], SR_ROBUST)));
        json_object_set_new(programs, "pairs", counts(run, NULL, SR_PAIRS));
        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *t = &run->tests[i];

                json_array_append_new(
                    tests, json_pack("{sssssssssssssososo}", "suite", t->suite, "test", t->test,
                                     "program", t->program, "tier", sr_tier_name(t->tier),
                                     "status", sr_status_name(t->status), "message", t->message,
                                     "duration_s",
                                     t->duration_s >= 0 ? json_real(t->duration_s) : json_null(),
                                     "evidence",
                                     t->evidence ? json_string(t->evidence) : json_null(),
                                     "first_try",
                                     t->first_try ? json_string(t->first_try) : json_null()));
        }
        root = json_pack("{sssssssssIsssfsssoso}", "port", run->port, "name", run->name, "mode",
                         run->mode, "mode_reason", run->mode_reason, "seed",
                         (json_int_t)run->seed, "tier", run->tier, "wall_s", round(run->wall_s * 1000) / 1000,
                         "verdict", sr_verdict_name(run->verdict), "limits", limits, "programs",
                         programs);
        if (!root) {
                fprintf(stderr, "sc-report: building results.json failed\n");
                return -1;
        }
        json_object_set_new(root, "tests", tests);
        f = sr_open(path);
        if (!f) {
                json_decref(root);
                return -1;
        }
        rc = json_dumpf(root, f, JSON_INDENT(1)) == 0 && fputc('\n', f) != EOF ? 0 : -1;
        json_decref(root);
        if (rc)
                fprintf(stderr, "sc-report: writing %s failed\n", path);
        return sr_commit(f, path) ? -1 : rc;
}
