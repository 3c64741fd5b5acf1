/*
 * util.c - the small things every part of the grader needs: the error
 * string, files and trees, clocks, escaping, a growable string, json access.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const gr_programs[GR_NPROGRAMS] = {
    "udp_local", "udp_remote", "big_sender",  "udp_broadcast", "tsTserv",     "tsTclnt",
    "tsUserv",   "tsUclnt",    "time_server", "time_client",   "echo_server", "echo_client",
};

static char errbuf[1024];

const char *gr_error(void)
{
        return errbuf[0] ? errbuf : "no error";
}

int gr_fail(int err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
        va_end(ap);
        return -(err ? err : EIO);
}

int gr_mkdirs(const char *path)
{
        char p[PATH_MAX];
        size_t n = strlen(path);

        if (n >= sizeof(p))
                return gr_fail(ENAMETOOLONG, "path too long: %s", path);
        memcpy(p, path, n + 1);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return gr_fail(errno, "cannot create %s: %s", p, strerror(errno));
                *s = '/';
        }
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return gr_fail(errno, "cannot create %s: %s", p, strerror(errno));
        return 0;
}

/* Removes below dirfd without following any link (a student's tree may hold any). */
static int rm_at(int at, const char *name)
{
        struct stat st;
        int ret = 0;

        if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode)) {
                int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                DIR *d;
                struct dirent *e;

                if (fd < 0)
                        return -errno;
                /* a directory unpacked without write or search bits still goes */
                fchmod(fd, 0700);
                d = fdopendir(fd);
                if (!d) {
                        close(fd);
                        return -errno;
                }
                while ((e = readdir(d))) {
                        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                                continue;
                        int r = rm_at(dirfd(d), e->d_name);
                        if (r < 0 && !ret)
                                ret = r;
                }
                closedir(d);
                if (unlinkat(at, name, AT_REMOVEDIR) < 0 && !ret)
                        ret = -errno;
                return ret;
        }
        if (unlinkat(at, name, 0) < 0)
                return -errno;
        return 0;
}

int gr_rm_rf(const char *path)
{
        int r = rm_at(AT_FDCWD, path);

        return r < 0 ? gr_fail(-r, "cannot remove %s: %s", path, strerror(-r)) : 0;
}

char *gr_slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t n = 0, cap = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (cap - n < 4096) {
                        cap = cap ? cap * 2 : 8192;
                        char *nb = realloc(buf, cap + 1);
                        if (!nb) {
                                free(buf);
                                fclose(f);
                                return NULL;
                        }
                        buf = nb;
                }
                size_t r = fread(buf + n, 1, cap - n, f);
                n += r;
                if (r == 0)
                        break;
        }
        fclose(f);
        buf[n] = 0;
        if (len)
                *len = n;
        return buf;
}

int gr_write_file(const char *path, const char *text)
{
        char tmp[PATH_MAX];
        FILE *f;

        /* written beside and renamed: a reader never sees half a report */
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "w");
        if (!f)
                return gr_fail(errno, "cannot write %s: %s", tmp, strerror(errno));
        fputs(text, f);
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return gr_fail(e, "cannot write %s: %s", path, strerror(e));
        }
        return 0;
}

int gr_write_json(const char *path, json_t *j)
{
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        int r;

        if (!s)
                return gr_fail(ENOMEM, "cannot serialise %s", path);
        size_t n = strlen(s);
        char *t = malloc(n + 2);
        if (!t) {
                free(s);
                return gr_fail(ENOMEM, "out of memory");
        }
        memcpy(t, s, n);
        t[n] = '\n';
        t[n + 1] = 0;
        r = gr_write_file(path, t);
        free(t);
        free(s);
        return r;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
        int in = open(from, O_RDONLY | O_NOFOLLOW), out, ret = 0;
        char buf[65536];
        ssize_t r;

        if (in < 0)
                return gr_fail(errno, "cannot read %s: %s", from, strerror(errno));
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode & 0777);
        if (out < 0) {
                ret = gr_fail(errno, "cannot write %s: %s", to, strerror(errno));
                goto out_in;
        }
        while ((r = read(in, buf, sizeof(buf))) > 0) {
                if (write(out, buf, r) != r) {
                        ret = gr_fail(errno, "cannot write %s: %s", to, strerror(errno));
                        break;
                }
        }
        close(out);
out_in:
        close(in);
        return ret;
}

int gr_copy_tree(const char *from, const char *to)
{
        struct stat st;
        DIR *d;
        struct dirent *e;
        int ret = 0;

        if (lstat(from, &st) < 0)
                return gr_fail(errno, "cannot read %s: %s", from, strerror(errno));
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(from, target, sizeof(target) - 1);
                if (n < 0)
                        return gr_fail(errno, "cannot read link %s", from);
                target[n] = 0;
                unlink(to);
                return symlink(target, to) < 0 ? gr_fail(errno, "cannot link %s", to) : 0;
        }
        if (!S_ISDIR(st.st_mode))
                return S_ISREG(st.st_mode) ? copy_file(from, to, st.st_mode) : 0;
        if ((ret = gr_mkdirs(to)) < 0)
                return ret;
        d = opendir(from);
        if (!d)
                return gr_fail(errno, "cannot read %s: %s", from, strerror(errno));
        while ((e = readdir(d))) {
                char a[PATH_MAX], b[PATH_MAX];
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
                snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
                if ((ret = gr_copy_tree(a, b)) < 0)
                        break;
        }
        closedir(d);
        return ret;
}

double gr_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

void gr_fmt_dur(char *buf, size_t len, double s)
{
        long t = (long)(s + 0.5);

        if (t >= 3600)
                snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
        else if (t >= 60)
                snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
        else
                snprintf(buf, len, "%lds", t);
}

char *gr_xml_escape(const char *s)
{
        struct gr_buf b = {0};

        gr_bputs(&b, "");
        for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
                switch (*p) {
                case '<':
                        gr_bputs(&b, "&lt;");
                        break;
                case '>':
                        gr_bputs(&b, "&gt;");
                        break;
                case '&':
                        gr_bputs(&b, "&amp;");
                        break;
                case '"':
                        gr_bputs(&b, "&quot;");
                        break;
                case '\'':
                        gr_bputs(&b, "&#39;");
                        break;
                default:
                        /* XML 1.0 allows no other control characters */
                        if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
                                gr_bprintf(&b, "\\x%02x", *p);
                        else
                                gr_bprintf(&b, "%c", *p);
                }
        }
        return b.s;
}

void gr_bputs(struct gr_buf *b, const char *s)
{
        gr_bprintf(b, "%s", s);
}

void gr_bprintf(struct gr_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 1024;
                while (cap < b->len + n + 1)
                        cap *= 2;
                char *ns = realloc(b->s, cap);
                if (!ns)
                        abort(); /* out of memory while rendering: nothing sensible is left */
                b->s = ns;
                b->cap = cap;
        }
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        b->len += n;
}

const char *gr_jstr(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? s : "";
}

long long gr_jint(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        return json_is_integer(v) ? json_integer_value(v) : (long long)json_number_value(v);
}

double gr_jreal(json_t *o, const char *key)
{
        return json_number_value(json_object_get(o, key));
}
