/*
 * classdir.c - a class folder as a list of students: one directory or
 * archive (.tar.gz, .tgz, .zip) each, named after the entry, sorted by name.
 * Anything else there is noted and left alone; so are hidden entries.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *gr_kind_name(enum gr_kind k)
{
        return k == GR_DIR ? "directory" : k == GR_TARGZ ? "tar.gz" : "zip";
}

bool gr_in_shard(const char *name, int k, int n)
{
        return n <= 1 || (int)(gr_fnv1a(name) % (uint64_t)n) == k - 1;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);

        return a > b && strcasecmp(s + a - b, suffix) == 0;
}

/* A name that is safe as one path component and in a CSV cell. */
static void safe_name(char *dst, size_t len, const char *src, size_t n)
{
        size_t j = 0;

        for (size_t i = 0; i < n && j + 1 < len; i++) {
                unsigned char c = src[i];
                dst[j++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                                   c == '@' || c == '+'
                               ? c
                               : '_';
        }
        dst[j] = 0;
}

static int cmp_students(const void *a, const void *b)
{
        return strcmp(((const struct gr_student *)a)->name, ((const struct gr_student *)b)->name);
}

static void class_note(struct gr_class *cls, const char *fmt, const char *arg)
{
        if (cls->nnotes < sizeof(cls->notes) / sizeof(cls->notes[0]))
                snprintf(cls->notes[cls->nnotes++], sizeof(cls->notes[0]), fmt, arg);
}

int gr_class_scan(const char *dir, struct gr_class *cls)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t cap = 0;

        memset(cls, 0, sizeof(*cls));
        if (!d)
                return gr_fail(errno, "cannot read the class folder %s: %s", dir, strerror(errno));
        while ((e = readdir(d))) {
                char path[PATH_MAX];
                struct stat st;
                struct gr_student s;
                size_t base;

                if (e->d_name[0] == '.')
                        continue;
                memset(&s, 0, sizeof(s));
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (stat(path, &st) < 0) {
                        class_note(cls, "ignored %s: a dangling link", e->d_name);
                        continue;
                }
                base = strlen(e->d_name);
                if (S_ISDIR(st.st_mode)) {
                        s.kind = GR_DIR;
                } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".tar.gz")) {
                        s.kind = GR_TARGZ;
                        base -= 7;
                } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".tgz")) {
                        s.kind = GR_TARGZ;
                        base -= 4;
                } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".zip")) {
                        s.kind = GR_ZIP;
                        base -= 4;
                } else {
                        class_note(cls, "ignored %s: not a directory, .tar.gz or .zip", e->d_name);
                        continue;
                }
                safe_name(s.name, sizeof(s.name), e->d_name, base);
                snprintf(s.entry, sizeof(s.entry), "%s", path);
                if (cls->n == cap) {
                        cap = cap ? cap * 2 : 64;
                        struct gr_student *ns = realloc(cls->s, cap * sizeof(*ns));
                        if (!ns) {
                                closedir(d);
                                return gr_fail(ENOMEM, "out of memory");
                        }
                        cls->s = ns;
                }
                cls->s[cls->n++] = s;
        }
        closedir(d);
        qsort(cls->s, cls->n, sizeof(*cls->s), cmp_students);
        /* alice/ and alice.zip: both are graded, the second under its full entry name */
        for (size_t i = 1; i < cls->n; i++) {
                if (strcmp(cls->s[i].name, cls->s[i - 1].name) != 0)
                        continue;
                struct gr_student *a = cls->s[i].kind != GR_DIR ? &cls->s[i] : &cls->s[i - 1];
                const char *b = strrchr(a->entry, '/') + 1;
                class_note(cls,
                           "two entries are named %s: the archive is graded under its full name",
                           a->name);
                safe_name(a->name, sizeof(a->name), b, strlen(b));
        }
        return 0;
}
