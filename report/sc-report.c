/*
 * sc-report - turns what one scripts/conform run left into its reports.
 *
 *   sc-report --out DIR --port PATH --name NAME --mode-label "namespaces (root)"
 *             --mode-reason TEXT --seed N --tier book|robust|all --wall SECONDS
 *             [--absent "ID ..."] [--expected FILE] [--tap FILE] [--results-only]
 *             RECORD...
 *
 * RECORD files are the suites' per-test records (suites/sct_record.c);
 * --expected lists "suite::test" lines the run was meant to run.  It writes
 * under DIR: results.txt, and unless --results-only, report.txt, junit.xml
 * and results.json (plus TAP 13 to --tap FILE).  SOCKCHECK_LIMITS_JSON may
 * name a JSON file with the jail's limits, copied into results.json.
 *
 * Exit status: 0 conformant (or a robust-only run), 1 not conformant or no
 * book test ran, 2 a harness error in the run or bad use of sc-report.
 * It is a C tool because JSON, XML and TAP quoting of arbitrary bytes is
 * not something a shell script can get right.
 */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static char *safe_arg(const char *s)
{
        return sr_safe(s, strlen(s));
}

static char *read_small(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf;
        long n;

        if (!f)
                return NULL;
        if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1 << 20) ||
            fseek(f, 0, SEEK_SET)) {
                fclose(f);
                return NULL;
        }
        buf = calloc(1, (size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: sc-report --out DIR --port PATH --name NAME --mode-label TEXT "
                   "--mode-reason TEXT --seed N --tier book|robust|all --wall S [--absent IDS] "
                   "[--expected FILE] [--tap FILE] [--results-only] RECORD...\n");
}

int main(int argc, char **argv)
{
        enum { O_OUT = 256, O_PORT, O_NAME, O_LABEL, O_REASON, O_SEED, O_TIER, O_WALL, O_ABSENT,
               O_EXPECTED, O_TAP, O_RESULTS_ONLY };
        static const struct option opts[] = {
            {"out", 1, 0, O_OUT},          {"port", 1, 0, O_PORT},
            {"name", 1, 0, O_NAME},        {"mode-label", 1, 0, O_LABEL},
            {"mode-reason", 1, 0, O_REASON}, {"seed", 1, 0, O_SEED},
            {"tier", 1, 0, O_TIER},        {"wall", 1, 0, O_WALL},
            {"absent", 1, 0, O_ABSENT},    {"expected", 1, 0, O_EXPECTED},
            {"tap", 1, 0, O_TAP},          {"results-only", 0, 0, O_RESULTS_ONLY},
            {"help", 0, 0, 'h'},           {0, 0, 0, 0}};
        struct sr_run run = {.seed = 1, .tier = "all"};
        const char *expected = NULL, *tap = NULL, *limits;
        bool results_only = false;
        char path[4096];
        int c, rc = 0;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case O_OUT: run.out_dir = optarg; break;
                case O_PORT: run.port = safe_arg(optarg); break;
                case O_NAME: run.name = safe_arg(optarg); break;
                case O_LABEL: run.mode_label = safe_arg(optarg); break;
                case O_REASON: run.mode_reason = safe_arg(optarg); break;
                case O_SEED: run.seed = strtoull(optarg, NULL, 10); break;
                case O_TIER: run.tier = safe_arg(optarg); break;
                case O_WALL: run.wall_s = strtod(optarg, NULL); break;
                case O_ABSENT: run.absent = safe_arg(optarg); break;
                case O_EXPECTED: expected = optarg; break;
                case O_TAP: tap = optarg; break;
                case O_RESULTS_ONLY: results_only = true; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (!run.out_dir || !run.port || !run.name || !run.mode_label) {
                usage(stderr);
                return 2;
        }
        if (strcmp(run.tier, "book") && strcmp(run.tier, "robust") && strcmp(run.tier, "all")) {
                fprintf(stderr, "sc-report: --tier takes book, robust or all\n");
                return 2;
        }
        if (!run.mode_reason)
                run.mode_reason = strdup("");
        /* "namespaces (root)", "namespaces (rootless)", "plain loopback" */
        run.mode = strstr(run.mode_label, "rootless") ? "rootless"
                   : strstr(run.mode_label, "root")   ? "root"
                                                      : "loopback";
        limits = getenv("SOCKCHECK_LIMITS_JSON");
        if (limits && *limits) {
                run.limits_json = read_small(limits);
                if (!run.limits_json && errno != ENOENT)
                        fprintf(stderr, "sc-report: cannot read SOCKCHECK_LIMITS_JSON=%s\n", limits);
        }
        if (expected && sr_read_expected(&run, expected) < 0)
                return 2;
        for (int i = optind; i < argc; i++)
                if (sr_read_records(&run, argv[i]) < 0)
                        return 2;
        sr_finish(&run);

        snprintf(path, sizeof(path), "%s/results.txt", run.out_dir);
        rc |= sr_write_results_txt(&run, path);
        if (!results_only) {
                snprintf(path, sizeof(path), "%s/report.txt", run.out_dir);
                rc |= sr_write_report_txt(&run, path);
                snprintf(path, sizeof(path), "%s/junit.xml", run.out_dir);
                rc |= sr_write_junit(&run, path);
                snprintf(path, sizeof(path), "%s/results.json", run.out_dir);
                rc |= sr_write_json(&run, path);
                if (tap)
                        rc |= sr_write_tap(&run, tap);
        }
        if (rc)
                return 2;
        if (results_only)
                return 0;
        switch (run.verdict) {
        case SR_CONFORMANT: return 0;
        case SR_NO_BOOK_TEST: return strcmp(run.tier, "robust") ? 1 : 0;
        case SR_NOT_CONFORMANT: return 1;
        default: return 2;
        }
}
