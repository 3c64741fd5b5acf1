/*
 * report.h - the model sc-report builds from one conform run, and the
 * writers that turn it into report.txt, results.txt, junit.xml, TAP 13 and
 * results.json.  Every string in the model is already safe text
 * (safe_text.c): valid UTF-8 with no control byte but '\n', so each writer
 * only has to apply its own format's quoting.
 */
#ifndef SOCKCHECK_REPORT_H
#define SOCKCHECK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum sr_tier { SR_BOOK, SR_ROBUST, SR_PAIRS };
enum sr_status { SR_PASS, SR_FAIL, SR_SKIP, SR_HARNESS_ERROR };

struct sr_test {
        char *suite, *test; /* Criterion suite and test name */
        const char *program; /* program id, or "" if none matches */
        enum sr_tier tier;
        enum sr_status status;
        char *message;       /* failure text, skip reason, or "" */
        double duration_s;   /* < 0: unknown (a crashed test) */
        char *evidence;      /* "evidence/<suite>/<test>" if kept, else NULL */
        char *first_try;     /* a rerun's test: its first try's failure, else NULL */
        bool recorded;       /* a record was read for it */
};

/* The twelve program ids, in PROGRAMS.md order. */
extern const char *const sr_ids[12];

enum sr_verdict { SR_CONFORMANT, SR_NOT_CONFORMANT, SR_NO_BOOK_TEST, SR_HARNESS_ERR };

struct sr_run {
        const char *out_dir;
        char *port, *name, *mode, *mode_label, *mode_reason, *tier, *absent;
        unsigned long long seed;
        double wall_s;
        char *limits_json;   /* the SOCKCHECK_LIMITS_JSON file's text, or NULL */
        struct sr_test *tests;
        size_t n, cap;
        enum sr_verdict verdict;
};

/* safe_text.c: bytes -> malloc'd safe text (\xNN for what may not show). */
char *sr_safe(const char *bytes, size_t len);
/* Decodes a record field's \\ \t \n \xNN escapes in place; returns its length. */
size_t sr_unescape(char *s);
/* The text with each newline and the blanks around it as " | ", malloc'd. */
char *sr_one_line(const char *text);

/* records.c */
int sr_read_records(struct sr_run *run, const char *path);
int sr_read_expected(struct sr_run *run, const char *path);
void sr_finish(struct sr_run *run); /* evidence paths, sorting, verdict */
const char *sr_verdict_name(enum sr_verdict v);
const char *sr_status_name(enum sr_status s);
const char *sr_tier_name(enum sr_tier t);
/* "<suite>/<test>" in a static ring of buffers. */
const char *sr_label(const struct sr_test *t);

/* The writers: 0 or -errno, with a message on stderr. */
int sr_write_results_txt(const struct sr_run *run, const char *path);
int sr_write_report_txt(const struct sr_run *run, const char *path);
int sr_write_junit(const struct sr_run *run, const char *path);
int sr_write_tap(const struct sr_run *run, const char *path);
int sr_write_json(const struct sr_run *run, const char *path);
/* The closing line (also the last line of report.txt). */
void sr_print_verdict(const struct sr_run *run, FILE *f);

/* Opens path.tmp for writing; sr_commit renames it over path (atomic). */
FILE *sr_open(const char *path);
int sr_commit(FILE *f, const char *path);

#endif
