/*
 * clauses.c - lets scripts/clauses read the clause tags (clauses.h) out of
 * a compiled suite.  With SOCKCHECK_CLAUSE_DUMP set, the suite prints one
 * line per test, "<suite>/<test><TAB><description>", and exits before
 * running anything.  Reading the binary rather than the source means a
 * test counts exactly as Criterion registered it (a table of Test() made by
 * a macro, an #if'd-out test).  Linked into every conformance suite.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/internal/ordered-set.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void dump_clauses(struct criterion_test_set *set)
{
        const char *dump = getenv("SOCKCHECK_CLAUSE_DUMP");

        if (!dump || !*dump)
                return;
        FOREACH_SET(struct criterion_suite_set *s, set->suites) {
                FOREACH_SET(struct criterion_test *t, s->tests) {
                        const char *d = t->data && t->data->description ? t->data->description : "";

                        printf("%s/%s\t%s\n", t->category, t->name, d);
                }
        }
        fflush(stdout);
        _exit(0);
}

/*
 * Registered by hand, as ReportHook(PRE_ALL) would, but with static names:
 * the macro names its function after the source line, a global symbol that
 * collides with any other file's hook on the same line (sct_record.c has some).
 */
static f_report_hook dump_clauses_hook __attribute__((section("cr_pra"), used)) =
        (f_report_hook)dump_clauses;
