/*
 * render_class.c - the class at a glance, from every student's grade.json:
 *   class.csv   one row a student (verdict, book pass/fail/skip per program,
 *               flaky count, time, changes since the baseline, notes);
 *   class.json  the same, with each program's pass rate across the class;
 *   index.html  one self-contained page (no network, no external script):
 *               the summary, the hardest program, a table sortable by any
 *               column (a few lines of inline JS; #sort=KEY or #sort=KEY-desc
 *               in the address sorts it on load), each program's pass rate
 *               in the table's foot, and each row linking to the student's
 *               report, feedback and evidence.
 * A program counts as passed by a student when none of its book tests failed
 * and at least one passed; the rate is over the students that were judged
 * (a harness error is no judgment).
 */
#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NCOL (GR_NPROGRAMS + 1) /* the programs, then pairs */

static const char *col_name(int p)
{
        return p < GR_NPROGRAMS ? gr_programs[p] : "pairs";
}

static bool judged(json_t *g)
{
        const char *v = gr_jstr(g, "verdict");

        return strcmp(v, "HARNESS ERROR") != 0;
}

static void csv_cell(struct gr_buf *b, const char *s, bool last)
{
        if (strpbrk(s, ",\"\n\r")) {
                gr_bputs(b, "\"");
                for (; *s; s++)
                        gr_bprintf(b, *s == '"' ? "\"\"" : "%c", *s);
                gr_bputs(b, "\"");
        } else {
                gr_bputs(b, s);
        }
        gr_bputs(b, last ? "\n" : ",");
}

static char *joined(json_t *arr, const char *sep)
{
        struct gr_buf b = {0};
        json_t *n;
        size_t i;

        gr_bputs(&b, "");
        json_array_foreach(arr, i, n) gr_bprintf(&b, "%s%s", i ? sep : "", json_string_value(n));
        return b.s;
}

static bool has_evidence(json_t *g)
{
        json_t *t;
        size_t i;

        json_array_foreach(json_object_get(g, "tests"), i,
                           t) if (json_is_string(json_object_get(t, "evidence"))) return true;
        return false;
}

struct rates {
        int passing[NCOL], judged;
        int attempted[NCOL]; /* students where at least one of its book tests ran */
        int failing_tests[NCOL];
};

static void program_rates(json_t *grades, struct rates *r)
{
        json_t *g;
        size_t i;

        memset(r, 0, sizeof(*r));
        json_array_foreach(grades, i, g)
        {
                int c[GR_NPROGRAMS + 1][3][3], fl, bp, bf, bs;
                if (!judged(g))
                        continue;
                r->judged++;
                gr_tally(g, c, &fl, &bp, &bf, &bs);
                for (int p = 0; p < NCOL; p++) {
                        r->passing[p] += c[p][0][1] == 0 && c[p][0][0] > 0;
                        r->attempted[p] += c[p][0][0] + c[p][0][1] > 0;
                        r->failing_tests[p] += c[p][0][1];
                }
        }
}

static int write_csv(const struct gr_ctx *ctx, json_t *grades)
{
        struct gr_buf b = {0};
        char path[PATH_MAX];
        json_t *g;
        size_t i;
        int r;

        gr_bputs(&b, "student,verdict,conformant,seed,book_pass,book_fail,book_skip,flaky,time_s");
        for (int p = 0; p < NCOL; p++)
                gr_bprintf(&b, ",%s_pass,%s_fail,%s_skip", col_name(p), col_name(p), col_name(p));
        gr_bputs(&b, ",newly_fail,newly_pass,newly_failing_tests,newly_passing_tests,notes\n");
        json_array_foreach(grades, i, g)
        {
                int c[GR_NPROGRAMS + 1][3][3], fl, bp, bf, bs;
                json_t *bl = json_object_get(g, "baseline");
                gr_tally(g, c, &fl, &bp, &bf, &bs);
                csv_cell(&b, gr_jstr(g, "student"), false);
                csv_cell(&b, gr_jstr(g, "verdict"), false);
                csv_cell(&b, !strcmp(gr_jstr(g, "verdict"), "CONFORMANT") ? "yes" : "no", false);
                /* numbers need no quoting: several cells at once */
                gr_bprintf(&b, "%lld,%d,%d,%d,%d,%.1f,", gr_jint(g, "seed"), bp, bf, bs, fl,
                           gr_jreal(g, "wall_s"));
                for (int p = 0; p < NCOL; p++)
                        gr_bprintf(&b, "%d,%d,%d,", c[p][0][0], c[p][0][1], c[p][0][2]);
                char *nf = joined(json_object_get(bl, "newly_fail"), " ");
                char *np = joined(json_object_get(bl, "newly_pass"), " ");
                char *notes = joined(json_object_get(g, "notes"), "; ");
                if (bl)
                        gr_bprintf(&b, "%zu,%zu,",
                                   json_array_size(json_object_get(bl, "newly_fail")),
                                   json_array_size(json_object_get(bl, "newly_pass")));
                else
                        gr_bputs(&b, ",,");
                csv_cell(&b, nf, false);
                csv_cell(&b, np, false);
                csv_cell(&b, notes, true);
                free(nf);
                free(np);
                free(notes);
        }
        snprintf(path, sizeof(path), "%s/class.csv", ctx->out);
        r = gr_write_file(path, b.s);
        free(b.s);
        return r;
}

/* For the class: each test that newly fails (or passes) and for whom. */
static json_t *class_changes(json_t *grades)
{
        json_t *out = json_pack("{s:{}, s:{}}", "newly_fail", "newly_pass"), *g;
        size_t i;
        bool any = false;

        json_array_foreach(grades, i, g)
        {
                json_t *bl = json_object_get(g, "baseline");
                for (int k = 0; k < 2 && bl; k++) {
                        const char *key = k ? "newly_pass" : "newly_fail";
                        json_t *n, *by = json_object_get(out, key);
                        size_t j;
                        any = true;
                        json_array_foreach(json_object_get(bl, key), j, n)
                        {
                                json_t *who = json_object_get(by, json_string_value(n));
                                if (!who) {
                                        who = json_array();
                                        json_object_set_new(by, json_string_value(n), who);
                                }
                                json_array_append_new(who, json_string(gr_jstr(g, "student")));
                        }
                }
        }
        if (!any) {
                json_decref(out);
                return NULL;
        }
        return out;
}

static int write_json(const struct gr_ctx *ctx, json_t *grades, json_t *meta,
                      const struct rates *rt)
{
        json_t *out = json_object(), *students = json_array(), *programs = json_object(), *g;
        char path[PATH_MAX];
        size_t i;
        int r;

        json_array_foreach(grades, i, g)
        {
                int c[GR_NPROGRAMS + 1][3][3], fl, bp, bf, bs;
                json_t *progs = json_object();
                char link[PATH_MAX];
                const char *name = gr_jstr(g, "student");

                gr_tally(g, c, &fl, &bp, &bf, &bs);
                for (int p = 0; p < NCOL; p++)
                        json_object_set_new(progs, col_name(p),
                                            json_pack("{s:[iii], s:[iii]}", "book", c[p][0][0],
                                                      c[p][0][1], c[p][0][2], "robust", c[p][1][0],
                                                      c[p][1][1], c[p][1][2]));
                json_t *s =
                    json_pack("{s:s, s:s, s:b, s:I, s:i, s:i, s:i, s:i, s:f, s:O, s:o}", "student",
                              name, "verdict", gr_jstr(g, "verdict"), "conformant",
                              !strcmp(gr_jstr(g, "verdict"), "CONFORMANT"), "seed",
                              (json_int_t)gr_jint(g, "seed"), "book_pass", bp, "book_fail", bf,
                              "book_skip", bs, "flaky", fl, "wall_s", gr_jreal(g, "wall_s"),
                              "notes", json_object_get(g, "notes"), "programs", progs);
                snprintf(link, sizeof(link), "%s/report.txt", name);
                json_object_set_new(s, "report", json_string(link));
                if (has_evidence(g)) {
                        snprintf(link, sizeof(link), "%s/conform/evidence", name);
                        json_object_set_new(s, "evidence", json_string(link));
                }
                if (json_object_get(g, "baseline"))
                        json_object_set(s, "baseline", json_object_get(g, "baseline"));
                json_array_append_new(students, s);
        }
        for (int p = 0; p < NCOL; p++)
                json_object_set_new(
                    programs, col_name(p),
                    json_pack("{s:i, s:i, s:f}", "students_passing", rt->passing[p],
                              "students_judged", rt->judged, "pass_rate",
                              rt->judged ? (double)rt->passing[p] / rt->judged : 0.0));
        json_object_set(out, "meta", meta);
        json_t *changes = class_changes(grades);
        if (changes)
                json_object_set_new(out, "baseline", changes);
        json_object_set_new(out, "programs", programs);
        json_object_set_new(out, "students", students);
        snprintf(path, sizeof(path), "%s/class.json", ctx->out);
        r = gr_write_json(path, out);
        json_decref(out);
        return r;
}

static const char *verdict_class(const char *v)
{
        return !strcmp(v, "CONFORMANT") ? "ok" : !strcmp(v, "HARNESS ERROR") ? "herr" : "bad";
}

/* A self-made sorter: numbers by data-sort, text otherwise; ties keep the name order. */
static const char *const sort_js =
    "(function(){\n"
    "var t=document.getElementById('class'),hs=t.tHead.rows[0].cells,b=t.tBodies[0];\n"
    "function key(c){var v=c.getAttribute('data-sort');if(v===null)v=c.textContent.trim();\n"
    "  return /^-?[0-9]+(\\.[0-9]+)?$/.test(v)?[0,parseFloat(v)]:[1,v.toLowerCase()];}\n"
    "function sortBy(i,dir){var rows=Array.prototype.slice.call(b.rows);\n"
    "  rows.sort(function(x,y){var a=key(x.cells[i]),c=key(y.cells[i]),r;\n"
    "    if(a[0]!==c[0])r=a[0]-c[0];else if(a[0]===0)r=a[1]-c[1];else "
    "r=a[1]<c[1]?-1:a[1]>c[1]?1:0;\n"
    "    return dir*r||(+x.getAttribute('data-i'))-(+y.getAttribute('data-i'));});\n"
    "  rows.forEach(function(r){b.appendChild(r);});\n"
    "  for(var k=0;k<hs.length;k++)hs[k].removeAttribute('aria-sort');\n"
    "  hs[i].setAttribute('aria-sort',dir>0?'ascending':'descending');}\n"
    "for(var i=0;i<hs.length;i++)(function(i){hs[i].addEventListener('click',function(){\n"
    "  sortBy(i,hs[i].getAttribute('aria-sort')==='ascending'?-1:1);});})(i);\n"
    "var m=/#sort=([A-Za-z0-9_]+?)(-desc|-asc)?$/.exec(location.hash);\n"
    "if(m)for(var "
    "k=0;k<hs.length;k++)if(hs[k].getAttribute('data-key')===m[1])sortBy(k,m[2]==='-desc'?-1:1);\n"
    "})();\n";

static const char *const css =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
    "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px "
    "6px;text-align:center}\n"
    "th{background:#eee;cursor:pointer;user-select:none;position:sticky;top:0}\n"
    "th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' "
    "\\25BC'}\n"
    "td{white-space:nowrap}td.name,td.notes{text-align:left}\n"
    "td.notes{white-space:normal;min-width:26em;font-size:12px}\n"
    ".ok{background:#d8f3d8}.bad{background:#f8d0d0}\n"
    ".herr{background:#f3e6b0}.none{color:#999}.flaky{background:#fff2b3}\n"
    "tfoot td{font-weight:bold;background:#f4f4f4}.new{color:#b00;font-weight:bold}\n"
    ".fixed{color:#070}small{color:#555}\n";

static void html_escaped(struct gr_buf *b, const char *s)
{
        char *e = gr_xml_escape(s);

        gr_bputs(b, e);
        free(e);
}

static int write_html(const struct gr_ctx *ctx, json_t *grades, json_t *meta,
                      const struct rates *rt)
{
        struct gr_buf b = {0};
        char path[PATH_MAX];
        json_t *g;
        size_t i;
        int r, nconf = 0, nnot = 0, nherr = 0, nflaky = 0, nnew = 0, hardest = -1;

        json_array_foreach(grades, i, g)
        {
                int c[GR_NPROGRAMS + 1][3][3], fl, bp, bf, bs;
                const char *v = gr_jstr(g, "verdict");
                gr_tally(g, c, &fl, &bp, &bf, &bs);
                nconf += !strcmp(v, "CONFORMANT");
                nherr += !strcmp(v, "HARNESS ERROR");
                nnot += strcmp(v, "CONFORMANT") && strcmp(v, "HARNESS ERROR");
                nflaky += fl > 0;
                nnew += json_array_size(
                            json_object_get(json_object_get(g, "baseline"), "newly_fail")) > 0;
        }
        /* among the programs someone handed in: the fewest passing, then the most failures */
        for (int p = 0; p < GR_NPROGRAMS; p++) {
                if (!rt->attempted[p])
                        continue;
                if (hardest < 0 || rt->passing[p] < rt->passing[hardest] ||
                    (rt->passing[p] == rt->passing[hardest] &&
                     rt->failing_tests[p] > rt->failing_tests[hardest]))
                        hardest = p;
        }

        gr_bputs(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
        html_escaped(&b, gr_jstr(meta, "class"));
        gr_bprintf(&b, ": sockcheck grades</title>\n<style>\n%s</style></head><body>\n<h1>", css);
        html_escaped(&b, gr_jstr(meta, "class"));
        gr_bputs(&b, ": sockcheck grades</h1>\n<p id=\"summary\">");
        gr_bprintf(&b,
                   "<b>%zu students</b>: <span class=\"ok\">%d conformant</span>, <span "
                   "class=\"bad\">%d not "
                   "conformant</span>",
                   json_array_size(grades), nconf, nnot);
        if (nherr)
                gr_bprintf(
                    &b,
                    ", <span class=\"herr\">%d harness error(s), not charged: grade again</span>",
                    nherr);
        if (nflaky)
                gr_bprintf(&b, "; %d with FLAKY timing tests (passed when rerun alone)", nflaky);
        gr_bputs(&b, ".<br>");
        if (hardest >= 0 && rt->judged)
                gr_bprintf(&b, "Hardest program: <b id=\"hardest\">%s</b>, passed by %d of %d. ",
                           gr_programs[hardest], rt->passing[hardest], rt->judged);
        gr_bprintf(&b, "<small>Class seed %lld, tier %s", gr_jint(meta, "class_seed"),
                   gr_jstr(meta, "tier"));
        if (*gr_jstr(meta, "shard"))
                gr_bprintf(&b, ", shard %s", gr_jstr(meta, "shard"));
        gr_bprintf(&b, ", generated %s.</small></p>\n", gr_jstr(meta, "generated_at"));
        if (json_is_string(json_object_get(meta, "baseline"))) {
                gr_bputs(&b, "<p id=\"baseline\">Since the baseline <code>");
                html_escaped(&b, gr_jstr(meta, "baseline"));
                gr_bprintf(&b, "</code>: <span class=\"new\">%d student(s) newly fail tests</span>",
                           nnew);
                json_array_foreach(grades, i, g)
                {
                        json_t *bl = json_object_get(g, "baseline");
                        size_t nf = json_array_size(json_object_get(bl, "newly_fail"));
                        if (nf) {
                                gr_bputs(&b, " ");
                                html_escaped(&b, gr_jstr(g, "student"));
                                gr_bprintf(&b, " (%zu)", nf);
                        }
                }
                gr_bputs(&b, ".</p>\n");
                /* and test by test, for the class */
                json_t *changes = class_changes(grades);
                for (int k = 0; k < 2 && changes; k++) {
                        const char *key = k ? "newly_pass" : "newly_fail", *test;
                        json_t *who;
                        if (!json_object_size(json_object_get(changes, key)))
                                continue;
                        gr_bprintf(&b, "<details id=\"%s\"><summary>%zu test(s) newly %s</summary><ul>\n",
                                   key, json_object_size(json_object_get(changes, key)),
                                   k ? "pass" : "fail");
                        json_object_foreach(json_object_get(changes, key), test, who)
                        {
                                char *names = joined(who, ", ");
                                gr_bputs(&b, "<li><code>");
                                html_escaped(&b, test);
                                gr_bprintf(&b, "</code>: %zu student(s): ", json_array_size(who));
                                html_escaped(&b, names);
                                gr_bputs(&b, "</li>\n");
                                free(names);
                        }
                        gr_bputs(&b, "</ul></details>\n");
                }
                json_decref(changes);
        }
        gr_bputs(&b, "<p><small>Cells are book tests passed/failed/skipped. Click a heading to "
                     "sort.</small></p>\n");

        gr_bputs(&b, "<table id=\"class\">\n<thead><tr><th data-key=\"student\">student</th>"
                     "<th data-key=\"verdict\">verdict</th><th data-key=\"pass\">book pass</th>"
                     "<th data-key=\"fail\">book fail</th><th data-key=\"skip\">skip</th>"
                     "<th data-key=\"flaky\">flaky</th><th data-key=\"time\">time (s)</th>");
        for (int p = 0; p < NCOL; p++)
                gr_bprintf(&b, "<th data-key=\"%s\">%s</th>", col_name(p), col_name(p));
        gr_bputs(&b, "<th data-key=\"changes\">since baseline</th><th data-key=\"notes\">notes</th>"
                     "<th data-key=\"links\">files</th></tr></thead>\n<tbody>\n");
        json_array_foreach(grades, i, g)
        {
                int c[GR_NPROGRAMS + 1][3][3], fl, bp, bf, bs;
                const char *v = gr_jstr(g, "verdict"), *name = gr_jstr(g, "student");
                json_t *bl = json_object_get(g, "baseline");
                size_t nf = json_array_size(json_object_get(bl, "newly_fail")),
                       np = json_array_size(json_object_get(bl, "newly_pass"));
                char *en = gr_xml_escape(name);

                gr_tally(g, c, &fl, &bp, &bf, &bs);
                gr_bprintf(&b,
                           "<tr data-i=\"%zu\" data-student=\"%s\"><td class=\"name\"><a "
                           "href=\"%s/report.txt\">%s</a></td>",
                           i, en, en, en);
                gr_bprintf(&b, "<td class=\"verdict %s\">%s</td>", verdict_class(v), v);
                gr_bprintf(&b, "<td>%d</td><td%s>%d</td><td>%d</td><td%s>%d</td><td>%.0f</td>", bp,
                           bf ? " class=\"bad\"" : "", bf, bs, fl ? " class=\"flaky\"" : "", fl,
                           gr_jreal(g, "wall_s"));
                for (int p = 0; p < NCOL; p++) {
                        int *k = c[p][0];
                        const char *cls = k[1] ? "bad" : k[0] ? "ok" : "none";
                        /* sorts by failures first, then by passes */
                        gr_bprintf(&b, "<td class=\"%s\" data-sort=\"%d\">%d/%d/%d</td>", cls,
                                   k[1] * 1000 - k[0], k[0], k[1], k[2]);
                }
                if (!bl) {
                        gr_bputs(&b, "<td class=\"none\" data-sort=\"0\">-</td>");
                } else if (!json_is_true(json_object_get(bl, "found"))) {
                        gr_bputs(&b, "<td data-sort=\"0\">new student</td>");
                } else {
                        char *fails = joined(json_object_get(bl, "newly_fail"), "\n");
                        char *ef = gr_xml_escape(fails);
                        gr_bprintf(&b, "<td data-sort=\"%zu\" title=\"%s\">", nf, ef);
                        if (nf)
                                gr_bprintf(&b, "<span class=\"new\">%zu newly fail</span>", nf);
                        if (np)
                                gr_bprintf(&b, "%s<span class=\"fixed\">%zu newly pass</span>",
                                           nf ? ", " : "", np);
                        if (!nf && !np)
                                gr_bputs(&b, "same");
                        gr_bputs(&b, "</td>");
                        free(fails);
                        free(ef);
                }
                char *notes = joined(json_object_get(g, "notes"), "; ");
                gr_bputs(&b, "<td class=\"notes\">");
                html_escaped(&b, notes);
                gr_bprintf(&b,
                           "</td><td><a href=\"%s/report.txt\">report</a> <a "
                           "href=\"%s/feedback.txt\">feedback</a>",
                           en, en);
                if (has_evidence(g))
                        gr_bprintf(&b, " <a href=\"%s/conform/evidence/\">evidence</a>", en);
                gr_bputs(&b, "</td></tr>\n");
                free(notes);
                free(en);
        }
        gr_bputs(&b, "</tbody>\n<tfoot><tr><td class=\"name\">pass "
                     "rate</td><td></td><td></td><td></td><td></td><td></td><td></td>");
        for (int p = 0; p < NCOL; p++)
                gr_bprintf(&b, "<td class=\"rate\" data-program=\"%s\">%d/%d<br>%.0f%%</td>",
                           col_name(p), rt->passing[p], rt->judged,
                           rt->judged ? 100.0 * rt->passing[p] / rt->judged : 0.0);
        gr_bputs(&b, "<td></td><td></td><td></td></tr></tfoot>\n</table>\n");
        gr_bprintf(&b, "<script>\n%s</script>\n</body></html>\n", sort_js);
        snprintf(path, sizeof(path), "%s/index.html", ctx->out);
        r = gr_write_file(path, b.s);
        free(b.s);
        return r;
}

int gr_render_class(const struct gr_ctx *ctx, json_t *grades, json_t *meta)
{
        struct rates rt;
        int r = 0, e;

        program_rates(grades, &rt);
        if ((e = write_csv(ctx, grades)) < 0)
                r = e;
        if ((e = write_json(ctx, grades, meta, &rt)) < 0)
                r = e;
        if ((e = write_html(ctx, grades, meta, &rt)) < 0)
                r = e;
        return r;
}
