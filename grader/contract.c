/*
 * contract.c - the words a failed test is explained in: the sentences of
 * programs/CONTRACT.md ("- **C-udp_local-3** for each datagram prints ...")
 * that the test checks, from the clause map clauses.tsv ("clause, section,
 * suite/test" rows that scripts/clauses makes out of the suites' tags).
 * The map is programs/clauses.tsv when it is there; otherwise scripts/clauses
 * is run once into the build tree.  Without a contract, the section of
 * PROGRAMS.md that names the program is cited instead.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *by_test;     /* "suite/test" -> ["C-x-1", ...] */
static json_t *clause_info; /* "C-x-1" -> {"section", "text"} */
static char *contract, *programs_md;
static bool loaded;

/* The sentence texts: each "- **C-...** text" bullet up to the next bullet, blank line or heading.
 */
static void parse_contract(void)
{
        char *cur = NULL;
        struct gr_buf text = {0};

        if (!contract)
                return;
        char *copy = strdup(contract), *next = copy;
        for (;;) {
                /* line by line, blank lines kept: strtok would swallow them */
                char *line = next;
                if (line) {
                        char *nl = strchr(line, '\n');
                        if (nl)
                                *nl = 0;
                        next = nl ? nl + 1 : NULL;
                        if (!nl && !*line)
                                line = NULL;
                }
                bool bullet = line && !strncmp(line, "- **C-", 6);
                bool ends = !line || bullet || line[0] == '#' || line[0] == '-' || line[0] == 0;
                if (cur && ends) {
                        json_t *ci = json_object_get(clause_info, cur);
                        if (!ci) {
                                ci = json_object();
                                json_object_set_new(clause_info, cur, ci);
                        }
                        json_object_set_new(ci, "text", json_string(text.s ? text.s : ""));
                        free(cur);
                        cur = NULL;
                        free(text.s);
                        memset(&text, 0, sizeof(text));
                }
                if (!line)
                        break;
                if (bullet) {
                        char *id = line + 4, *end = strstr(id, "**");
                        if (!end)
                                continue;
                        cur = strndup(id, end - id);
                        gr_bputs(&text, end + 2 + strspn(end + 2, " "));
                } else if (cur) {
                        gr_bprintf(&text, " %s", line + strspn(line, " "));
                }
        }
        free(copy);
}

static void parse_tsv(const char *path)
{
        char *tsv = gr_slurp(path, NULL);

        if (!tsv)
                return;
        for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
                char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
                if (!tab2 || !strncmp(line, "clause\t", 7))
                        continue;
                *tab1 = *tab2 = 0;
                const char *id = line, *section = tab1 + 1, *test = tab2 + 1;
                json_t *ci = json_object_get(clause_info, id);
                if (!ci) {
                        ci = json_object();
                        json_object_set_new(clause_info, id, ci);
                }
                json_object_set_new(ci, "section", json_string(section));
                if (!strchr(test, '/'))
                        continue; /* "-" or "unobservable" */
                json_t *arr = json_object_get(by_test, test);
                if (!arr) {
                        arr = json_array();
                        json_object_set_new(by_test, test, arr);
                }
                json_array_append_new(arr, json_string(id));
        }
        free(tsv);
}

void gr_contract_load(const char *root, const char *build)
{
        char path[PATH_MAX], cmd[3 * PATH_MAX], script[PATH_MAX];
        struct stat st;

        if (loaded)
                return;
        loaded = true;
        by_test = json_object();
        clause_info = json_object();
        snprintf(path, sizeof(path), "%s/programs/CONTRACT.md", root);
        contract = gr_slurp(path, NULL);
        snprintf(path, sizeof(path), "%s/../shared/book/PROGRAMS.md", root);
        programs_md = gr_slurp(path, NULL);
        if (!contract)
                return;
        parse_contract();
        snprintf(path, sizeof(path), "%s/programs/clauses.tsv", root);
        if (stat(path, &st) < 0) {
                /* no map shipped yet: make one from the compiled suites, once a run */
                snprintf(path, sizeof(path), "%s/grade-clauses/clauses.tsv", build);
                snprintf(cmd, sizeof(cmd),
                         "bash '%s/scripts/clauses' --build '%s' --out '%s/grade-clauses' --write "
                         ">/dev/null 2>&1",
                         root, build, build);
                snprintf(script, sizeof(script), "%s/scripts/clauses", root);
                if (stat(script, &st) < 0 || system(cmd) != 0)
                        unlink(path);
        }
        parse_tsv(path);
}

json_t *gr_test_clauses(const char *suite, const char *test)
{
        char key[600];

        snprintf(key, sizeof(key), "%s/%s", suite, test);
        return by_test ? json_object_get(by_test, key) : NULL;
}

const char *gr_clause_text(const char *id)
{
        return json_string_value(json_object_get(json_object_get(clause_info, id), "text"));
}

const char *gr_contract_section(const char *root, const char *prog)
{
        static char out[512];
        const char *doc, *name;

        (void)root;
        doc = contract ? contract : programs_md;
        name = contract ? "programs/CONTRACT.md" : "PROGRAMS.md";
        /* the first heading that names the program id as a word */
        for (const char *p = doc; p && *p;) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t)(eol - p) : strlen(p);
                if (n > 2 && p[0] == '#') {
                        const char *hit = memmem(p, n, prog, strlen(prog));
                        size_t k = strlen(prog);
                        if (hit &&
                            (hit == p || !(hit[-1] == '_' || (hit[-1] >= 'a' && hit[-1] <= 'z'))) &&
                            (hit + k == p + n ||
                             !(hit[k] == '_' || (hit[k] >= 'a' && hit[k] <= 'z')))) {
                                const char *h = p;
                                while (*h == '#' || *h == ' ')
                                        h++;
                                snprintf(out, sizeof(out), "%s, section \"%.*s\"", name,
                                         (int)(p + n - h), h);
                                return out;
                        }
                }
                p += n + (eol ? 1 : 0);
        }
        snprintf(out, sizeof(out), "%s (program %s)", name, prog);
        return out;
}
