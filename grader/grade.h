/*
 * grade.h - what the parts of the class grader (sc-grade) share.
 *
 * The grader judges one class: a folder with one entry per student (a port
 * directory or an archive of one).  Each student is judged by running
 * scripts/conform on the port in a slot of its own; what conform found is
 * kept as OUT/<student>/grade.json (the facts), and every file a person reads
 * (report.txt, junit.xml, the Gradescope results.json, feedback.txt, the
 * class CSV/JSON/HTML) is rendered from those facts, so --resume, --baseline
 * and --merge only ever re-render, never re-judge.
 *
 * Error convention, as in the harness: 0 or -errno, and a sentence left in
 * gr_error().  Only sc-grade.c decides to exit.
 */
#ifndef SOCKCHECK_GRADE_H
#define SOCKCHECK_GRADE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GR_NPROGRAMS 12
extern const char *const gr_programs[GR_NPROGRAMS];

/* The last error, as a sentence. */
const char *gr_error(void);
int gr_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- util.c ------------------------------------------------------------ */
int gr_mkdirs(const char *path);
int gr_rm_rf(const char *path);
/* Reads a whole (small) file; NULL on error.  The caller frees. */
char *gr_slurp(const char *path, size_t *len);
int gr_write_file(const char *path, const char *text);
int gr_write_json(const char *path, json_t *j);
int gr_copy_tree(const char *from, const char *to);
double gr_now(void);
/* "1m05s" */
void gr_fmt_dur(char *buf, size_t len, double s);
/* Escapes text for XML/HTML into a new string (caller frees). */
char *gr_xml_escape(const char *s);
/* Appends to a growable string. */
struct gr_buf {
        char *s;
        size_t len, cap;
};
void gr_bprintf(struct gr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gr_bputs(struct gr_buf *b, const char *s);
/* json helpers that never return NULL for strings */
const char *gr_jstr(json_t *o, const char *key);
long long gr_jint(json_t *o, const char *key);
double gr_jreal(json_t *o, const char *key);

/* ---- hash.c ------------------------------------------------------------ */
/* SHA-256, as hex, of a port directory's names, modes and contents, or of an archive's bytes. */
int gr_hash_entry(const char *path, bool is_dir, char hex[65]);
/* Stable 64-bit FNV-1a of a string (shards, seeds). */
uint64_t gr_fnv1a(const char *s);
/* The student's seed: from the class seed and the student's name. */
unsigned long gr_student_seed(unsigned long class_seed, const char *name);

/* ---- classdir.c -------------------------------------------------------- */
enum gr_kind { GR_DIR, GR_TARGZ, GR_ZIP };
struct gr_student {
        char name[128];       /* from the entry's name, made safe for a path */
        char entry[PATH_MAX]; /* CLASS_DIR/<entry> */
        enum gr_kind kind;
        char hash[65];
        unsigned long seed;
        char dir[PATH_MAX];  /* OUT/<name> */
        char port[PATH_MAX]; /* the directory conform judges */
        /* while grading */
        int attempts; /* conform runs so far (harness errors are retried) */
        double started, wall;
        json_t *grade; /* grade.json being built */
        bool selected; /* graded this run (not resumed, in shard and --only) */
};
struct gr_class {
        struct gr_student *s;
        size_t n;
        char notes[16][256]; /* class-level notes (ignored entries, duplicate names) */
        size_t nnotes;
};
int gr_class_scan(const char *dir, struct gr_class *cls);
const char *gr_kind_name(enum gr_kind k);
/* shard K of N (1-based) holds the names whose FNV-1a hash is K-1 mod N */
bool gr_in_shard(const char *name, int k, int n);

/* ---- unpack.c ---------------------------------------------------------- */
struct gr_caps {
        uint64_t max_bytes; /* all files together */
        uint64_t max_files; /* entries of any type */
};
/*
 * Unpacks an archive into dest (created, must not exist), refusing absolute
 * paths, "..", links that could resolve outside dest, hard links to
 * outside, devices, FIFOs and sockets, and anything past the caps.  On a
 * refusal returns -EPERM and gr_error() says which entry and why; dest is
 * then removed.
 */
int gr_unpack(const char *archive, const char *dest, const struct gr_caps *caps);

/* ---- slots.c ----------------------------------------------------------- */
/*
 * Starts argv (with env additions "K=V", NULL-terminated) under a guard: a
 * process that stays between the grader and the job, makes itself the
 * subreaper of everything the job starts, kills that whole tree when the job
 * ends, when told (SIGTERM) or when the grader dies (PDEATHSIG), and exits
 * with the job's status (124 when over deadline_s).  stdout and stderr go
 * to log.  Returns the guard's pid or -errno.
 */
pid_t gr_guard_start(char *const argv[], char *const env[], const char *log, int deadline_s);
/* Blocks the signals the main loop reads from gr_signal_fd(). */
int gr_signals_init(void);
int gr_signal_fd(void);

/* ---- conform_results.c ------------------------------------------------- */
/*
 * What conform found, in the schema of conform's results.json (port, name,
 * mode, seed, verdict, tests[...]).  The one place that knows where that
 * comes from: results.json when conform wrote one, else derived from its
 * results.txt and report.txt.
 */
json_t *gr_conform_load(const char *conform_out, int exit_code);
/* "udp_local_book" -> program id and tier; smoke tests are tier "pairs" */
void gr_split_suite(const char *suite, const char *test, char *prog, size_t plen, char *tier,
                    size_t tlen);

/* ---- rerun.c ----------------------------------------------------------- */
int gr_serial_load(const char *root);
bool gr_is_timing_test(const char *suite, const char *test);
/* The suite binary (under build/suites) holding suite/test, or NULL. */
const char *gr_suite_binary(const char *build, const char *suite, const char *test);

/* ---- render_student.c -------------------------------------------------- */
struct gr_ctx {
        const char *root;  /* the sockcheck checkout */
        const char *build; /* its build tree */
        const char *out;   /* OUT */
        json_t *baseline;  /* {"<student>": grade.json} of --baseline, or NULL */
        const char *baseline_dir;
};
/* Counts of a grade: per program, tier -> pass/fail/skip; flaky; book totals. */
void gr_tally(json_t *grade, int counts[GR_NPROGRAMS + 1][3][3], int *flaky, int *book_pass,
              int *book_fail, int *book_skip);
/* Compares with the baseline: sets "newly_fail"/"newly_pass" arrays in grade. */
void gr_baseline_diff(const struct gr_ctx *ctx, json_t *grade);
int gr_render_student(const struct gr_ctx *ctx, const char *dir, json_t *grade);

/* ---- contract.c ------------------------------------------------------- */
/* Reads programs/CONTRACT.md and the clause map (made with scripts/clauses when not shipped). */
void gr_contract_load(const char *root, const char *build);
/* The clause ids a test checks ("C-udp_local-3", ...), or NULL. */
json_t *gr_test_clauses(const char *suite, const char *test);
/* The sentence of a clause, or NULL. */
const char *gr_clause_text(const char *id);
/* The CONTRACT.md (or PROGRAMS.md) section that states what program id must do. */
const char *gr_contract_section(const char *root, const char *prog);

/* ---- render_class.c ---------------------------------------------------- */
int gr_render_class(const struct gr_ctx *ctx, json_t *grades, json_t *meta);

#endif
