/*
 * rerun.c - what a timing-test rerun needs to know: which tests judge timing
 * (suites/serial.txt, the list conform and ctest also run alone), and which
 * suite binary holds a test (asked once from each binary's --list), so one
 * failed test can be run again by itself with the student's seed.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the binaries scripts/conform runs */
static const char *const binaries[] = {"conf_fopnp", "conf_chun", "conf_bogo", "smoke"};

static json_t *serial; /* "suite/test" -> true */
static json_t *holder; /* "suite/test" -> binary path */

int gr_serial_load(const char *root)
{
        char path[PATH_MAX], *text;

        serial = json_object();
        snprintf(path, sizeof(path), "%s/suites/serial.txt", root);
        if (!(text = gr_slurp(path, NULL)))
                return gr_fail(2, "cannot read %s", path);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                line += strspn(line, " \t");
                if (*line == '#' || !*line)
                        continue;
                line[strcspn(line, " \t\r")] = 0;
                json_object_set_new(serial, line, json_true());
        }
        free(text);
        return 0;
}

bool gr_is_timing_test(const char *suite, const char *test)
{
        char key[600];

        snprintf(key, sizeof(key), "%s/%s", suite, test);
        return serial && json_object_get(serial, key) != NULL;
}

static void list_binary(const char *build, const char *bin)
{
        char cmd[PATH_MAX + 64], line[1024], suite[256] = "", path[PATH_MAX];
        FILE *p;

        snprintf(path, sizeof(path), "%s/suites/%s", build, bin);
        snprintf(cmd, sizeof(cmd), "'%s' --list 2>/dev/null", path);
        if (!(p = popen(cmd, "r")))
                return;
        while (fgets(line, sizeof(line), p)) {
                char name[256];
                int n;
                line[strcspn(line, "\n")] = 0;
                if (sscanf(line, "%255[A-Za-z0-9_]: %d test", name, &n) == 2) {
                        snprintf(suite, sizeof(suite), "%s", name);
                        continue;
                }
                /* the tree's branch is "├── " or "└── " (UTF-8) or "|-- " */
                char *sp = strrchr(line, ' ');
                if (suite[0] && sp && (strstr(line, "── ") || strstr(line, "-- "))) {
                        char key[600];
                        snprintf(key, sizeof(key), "%s/%s", suite, sp + 1);
                        json_object_set_new(holder, key, json_string(path));
                }
        }
        pclose(p);
}

const char *gr_suite_binary(const char *build, const char *suite, const char *test)
{
        char key[600];

        if (!holder) {
                holder = json_object();
                for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++)
                        list_binary(build, binaries[i]);
        }
        snprintf(key, sizeof(key), "%s/%s", suite, test);
        return json_string_value(json_object_get(holder, key));
}
