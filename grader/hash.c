/*
 * hash.c - what makes grading repeatable: the content hash of a student's
 * entry (--resume regrades only what changed), and the stable string hash
 * that derives each student's seed and shard from their name.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t gr_fnv1a(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

unsigned long gr_student_seed(unsigned long class_seed, const char *name)
{
        char buf[256];

        /* nine digits: short enough to read out, and conform takes any integer */
        snprintf(buf, sizeof(buf), "%lu/%s", class_seed, name);
        return (unsigned long)(gr_fnv1a(buf) % 1000000000ULL);
}

static int hash_fd(struct sha256_ctx *c, int fd)
{
        unsigned char buf[65536];
        ssize_t r;

        while ((r = read(fd, buf, sizeof(buf))) > 0)
                sha256_update(c, r, buf);
        return r < 0 ? -errno : 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Names (sorted), types, permission bits and contents; a link counts by its
 * target text and, when it reaches a file, by that file's bytes (the jail runs
 * what the link reaches).  Directory links are not followed (no loops).
 */
static int hash_tree(struct sha256_ctx *c, const char *path, const char *rel)
{
        DIR *d = opendir(path);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, cap = 0;
        int ret = 0;

        if (!d)
                return gr_fail(errno, "cannot read %s: %s", path, strerror(errno));
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 32;
                        char **nn = realloc(names, cap * sizeof(*names));
                        if (!nn) {
                                ret = gr_fail(ENOMEM, "out of memory");
                                goto out;
                        }
                        names = nn;
                }
                names[n++] = strdup(e->d_name);
        }
        qsort(names, n, sizeof(*names), cmp_names);
        for (size_t i = 0; i < n && ret == 0; i++) {
                char p[PATH_MAX], r[PATH_MAX], head[PATH_MAX + 64];
                struct stat st;

                snprintf(p, sizeof(p), "%s/%s", path, names[i]);
                snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", names[i]);
                if (lstat(p, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        char t[PATH_MAX];
                        ssize_t k = readlink(p, t, sizeof(t) - 1);
                        t[k < 0 ? 0 : k] = 0;
                        snprintf(head, sizeof(head), "L %s -> %s\n", r, t);
                        sha256_update(c, strlen(head), (const uint8_t *)head);
                        if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        snprintf(head, sizeof(head), "D %s %o\n", r, st.st_mode & 07777);
                        sha256_update(c, strlen(head), (const uint8_t *)head);
                        ret = hash_tree(c, p, r);
                } else if (S_ISREG(st.st_mode)) {
                        snprintf(head, sizeof(head), "F %s %o %lld\n", r, st.st_mode & 07777,
                                 (long long)st.st_size);
                        sha256_update(c, strlen(head), (const uint8_t *)head);
                        int fd = open(p, O_RDONLY);
                        if (fd >= 0) {
                                hash_fd(c, fd);
                                close(fd);
                        }
                } else {
                        snprintf(head, sizeof(head), "O %s %o\n", r, st.st_mode);
                        sha256_update(c, strlen(head), (const uint8_t *)head);
                }
        }
out:
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(d);
        return ret;
}

int gr_hash_entry(const char *path, bool is_dir, char hex[65])
{
        struct sha256_ctx c;
        uint8_t dig[SHA256_DIGEST_SIZE];
        int ret;

        sha256_init(&c);
        if (is_dir) {
                ret = hash_tree(&c, path, "");
        } else {
                int fd = open(path, O_RDONLY);
                if (fd < 0)
                        return gr_fail(errno, "cannot read %s: %s", path, strerror(errno));
                ret = hash_fd(&c, fd);
                close(fd);
                if (ret < 0)
                        ret = gr_fail(-ret, "cannot read %s: %s", path, strerror(-ret));
        }
        if (ret < 0)
                return ret;
        sha256_digest(&c, sizeof(dig), dig);
        for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
                snprintf(hex + 2 * i, 3, "%02x", dig[i]);
        return 0;
}
