/*
 * write_junit.c - one JUnit XML file for the whole run: a <testsuite> per
 * Criterion suite, each test once as a <testcase> whose classname is its
 * suite, with <failure> (the failed checks), <error> (a harness error) or
 * <skipped> (the reason).  The text is safe text (no byte XML 1.0 forbids),
 * so escaping the five markup characters keeps the file well-formed.
 */
#include "report.h"

#include <string.h>

/* Markup characters escaped; in an attribute a newline too, so it survives. */
static void xml_esc(FILE *f, const char *s, bool attribute)
{
        for (; *s; s++) {
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '"': fputs("&quot;", f); break;
                case '\'': fputs("&apos;", f); break;
                case '\n': fputs(attribute ? "&#10;" : "\n", f); break;
                default: fputc(*s, f);
                }
        }
}

static void xml(FILE *f, const char *s)
{
        xml_esc(f, s, true);
}

static void xml_text(FILE *f, const char *s)
{
        xml_esc(f, s, false);
}

struct tally {
        unsigned tests, failures, errors, skipped;
        double time;
};

static struct tally tally(const struct sr_run *run, const char *suite)
{
        struct tally t = {0};

        for (size_t i = 0; i < run->n; i++) {
                const struct sr_test *x = &run->tests[i];

                if (suite && strcmp(x->suite, suite))
                        continue;
                t.tests++;
                t.failures += x->status == SR_FAIL;
                t.errors += x->status == SR_HARNESS_ERROR;
                t.skipped += x->status == SR_SKIP;
                if (x->duration_s > 0)
                        t.time += x->duration_s;
        }
        return t;
}

int sr_write_junit(const struct sr_run *run, const char *path)
{
        FILE *f = sr_open(path);
        struct tally all = tally(run, NULL);

        if (!f)
                return -1;
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        fprintf(f, "<testsuites name=\"sockcheck ");
        xml(f, run->name);
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\">\n",
                all.tests, all.failures, all.errors, all.skipped, run->wall_s);
        for (size_t i = 0; i < run->n;) {
                const char *suite = run->tests[i].suite;
                struct tally st = tally(run, suite);

                fprintf(f, "  <testsuite name=\"");
                xml(f, suite);
                fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
                           "time=\"%.3f\">\n",
                        st.tests, st.failures, st.errors, st.skipped, st.time);
                fprintf(f, "    <properties>\n      <property name=\"port\" value=\"");
                xml(f, run->port);
                fprintf(f, "\"/>\n      <property name=\"mode\" value=\"");
                xml(f, run->mode);
                fprintf(f, "\"/>\n      <property name=\"seed\" value=\"%llu\"/>\n"
                           "    </properties>\n",
                        run->seed);
                for (; i < run->n && !strcmp(run->tests[i].suite, suite); i++) {
                        const struct sr_test *t = &run->tests[i];
                        static const char *const tag[] = {NULL, "failure", "skipped", "error"};

                        fprintf(f, "    <testcase classname=\"");
                        xml(f, t->suite);
                        fprintf(f, "\" name=\"");
                        xml(f, t->test);
                        fprintf(f, "\" time=\"%.3f\"", t->duration_s > 0 ? t->duration_s : 0);
                        if (t->status == SR_PASS && t->first_try) {
                                fprintf(f, ">\n      <system-out>passed when rerun alone; the first "
                                           "try failed: ");
                                xml_text(f, t->first_try);
                                fprintf(f, "</system-out>\n    </testcase>\n");
                                continue;
                        }
                        if (t->status == SR_PASS) {
                                fprintf(f, "/>\n");
                                continue;
                        }
                        fprintf(f, ">\n      <%s message=\"", tag[t->status]);
                        xml(f, t->message);
                        if (t->status == SR_SKIP) {
                                fprintf(f, "\"/>\n");
                        } else {
                                fprintf(f, "\" type=\"%s\">", sr_status_name(t->status));
                                xml_text(f, t->message);
                                if (t->evidence) {
                                        fprintf(f, "\nevidence: ");
                                        xml_text(f, t->evidence);
                                }
                                fprintf(f, "</%s>\n", tag[t->status]);
                        }
                        fprintf(f, "    </testcase>\n");
                }
                fprintf(f, "  </testsuite>\n");
        }
        fprintf(f, "</testsuites>\n");
        return sr_commit(f, path);
}
