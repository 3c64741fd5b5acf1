/*
 * unpack.c - a student's archive, read with libarchive and written by hand
 * into a fresh private directory, so that nothing in it can reach outside.
 *
 * Refused (each with a sentence naming the entry): absolute paths, any ".."
 * component, links whose target is absolute or holds ".." (a chain of
 * links can turn a lexically harmless ".." into a way out, so none is
 * allowed), hard links to anything but an earlier entry, devices, FIFOs,
 * sockets, a second entry of the same name, and more bytes or entries than
 * the caps.  Files are created O_EXCL|O_NOFOLLOW below a directory fd; modes
 * keep only read/execute (any execute bit makes it 0755, else 0644), so a
 * program that was not executable stays so and the jail's uid can read it.
 */
#define _GNU_SOURCE
#include "grade.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "./a//b/" -> "a/b"; -EPERM for absolute or ".." */
static int clean_path(const char *in, char *out, size_t len, const char *what)
{
        size_t j = 0;

        if (!in || !*in)
                return gr_fail(EPERM, "an entry has no name");
        if (in[0] == '/')
                return gr_fail(EPERM, "%s '%s' is an absolute path", what, in);
        for (const char *p = in; *p;) {
                const char *q = strchr(p, '/');
                size_t n = q ? (size_t)(q - p) : strlen(p);
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return gr_fail(EPERM, "%s '%s' goes up with '..'", what, in);
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (j + n + 2 > len)
                                return gr_fail(EPERM, "%s '%s' is too long", what, in);
                        if (j)
                                out[j++] = '/';
                        memcpy(out + j, p, n);
                        j += n;
                }
                p += n;
                while (*p == '/')
                        p++;
        }
        out[j] = 0;
        return 0;
}

/* Creates the parent directories of rel below dirfd. */
static int make_parents(int dirfd, const char *rel)
{
        char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s", rel);
        for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdirat(dirfd, p, 0755) < 0 && errno != EEXIST)
                        return gr_fail(errno, "cannot create %s: %s", p, strerror(errno));
                *s = '/';
        }
        return 0;
}

static int write_data(struct archive *a, int fd, const char *name, uint64_t *bytes,
                      const struct gr_caps *caps)
{
        char buf[65536];
        la_ssize_t r;

        while ((r = archive_read_data(a, buf, sizeof(buf))) > 0) {
                *bytes += (uint64_t)r;
                if (*bytes > caps->max_bytes)
                        return gr_fail(EPERM,
                                       "the archive unpacks to more than %llu bytes (at '%s')",
                                       (unsigned long long)caps->max_bytes, name);
                if (write(fd, buf, r) != r)
                        return gr_fail(errno, "cannot write %s: %s", name, strerror(errno));
        }
        if (r < 0)
                return gr_fail(EIO, "the archive is damaged at '%s': %s", name,
                               archive_error_string(a));
        return 0;
}

static int unpack_entry(struct archive *a, struct archive_entry *e, int dirfd, uint64_t *bytes,
                        const struct gr_caps *caps)
{
        char rel[PATH_MAX], target[PATH_MAX];
        const char *name = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        mode_t perm = archive_entry_perm(e) & 0111 ? 0755 : 0644;
        const char *hard = archive_entry_hardlink(e);
        int ret, fd;

        if ((ret = clean_path(name, rel, sizeof(rel), "entry")) < 0)
                return ret;
        if (!rel[0])
                return 0; /* the archive's "./" itself */
        if ((ret = make_parents(dirfd, rel)) < 0)
                return ret;
        if (hard) {
                if ((ret = clean_path(hard, target, sizeof(target), "hard link target")) < 0)
                        return ret;
                if (linkat(dirfd, target, dirfd, rel, 0) < 0)
                        return gr_fail(
                            EPERM,
                            "hard link '%s' -> '%s' does not name an earlier file of the archive",
                            name, hard);
                return 0;
        }
        switch (type) {
        case AE_IFDIR:
                if (mkdirat(dirfd, rel, 0755) < 0 && errno != EEXIST)
                        return gr_fail(errno, "cannot create %s: %s", rel, strerror(errno));
                return 0;
        case AE_IFLNK: {
                const char *t = archive_entry_symlink(e);
                if (!t || !*t)
                        return gr_fail(EPERM, "link '%s' has no target", name);
                if (t[0] == '/')
                        return gr_fail(
                            EPERM, "link '%s' -> '%s' points outside the port (absolute)", name, t);
                if ((ret = clean_path(t, target, sizeof(target), "link target")) < 0)
                        return gr_fail(EPERM,
                                       "link '%s' -> '%s' could point outside the port ('..')",
                                       name, t);
                if (symlinkat(t, dirfd, rel) < 0)
                        return gr_fail(
                            errno == EEXIST ? EPERM : errno, "cannot create link %s: %s", rel,
                            errno == EEXIST ? "a second entry of that name" : strerror(errno));
                return 0;
        }
        case AE_IFREG:
                fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
                if (fd < 0)
                        return gr_fail(errno == EEXIST ? EPERM : errno, "cannot create %s: %s", rel,
                                       errno == EEXIST ? "a second entry of that name"
                                                       : strerror(errno));
                ret = write_data(a, fd, rel, bytes, caps);
                fchmod(fd, perm); /* the umask must not take the execute bit */
                close(fd);
                return ret;
        case AE_IFCHR:
        case AE_IFBLK:
                return gr_fail(EPERM, "entry '%s' is a device", name);
        case AE_IFIFO:
                return gr_fail(EPERM, "entry '%s' is a FIFO", name);
        case AE_IFSOCK:
                return gr_fail(EPERM, "entry '%s' is a socket", name);
        default:
                return gr_fail(EPERM, "entry '%s' is of an unknown type", name);
        }
}

int gr_unpack(const char *path, const char *dest, const struct gr_caps *caps)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        uint64_t bytes = 0, files = 0;
        int dirfd = -1, ret = 0, r;

        if (!a)
                return gr_fail(ENOMEM, "out of memory");
        /* only what a student hands in: gzip'd tar and zip, nothing exotic */
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_format_zip(a);
        if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
                ret = gr_fail(EINVAL, "cannot open the archive: %s", archive_error_string(a));
                goto out_archive;
        }
        if (mkdir(dest, 0755) < 0) {
                ret = gr_fail(errno, "cannot create %s: %s", dest, strerror(errno));
                goto out_archive;
        }
        dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                ret = gr_fail(errno, "cannot open %s: %s", dest, strerror(errno));
                goto out_dest;
        }
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                if (++files > caps->max_files) {
                        ret = gr_fail(EPERM, "the archive holds more than %llu entries",
                                      (unsigned long long)caps->max_files);
                        break;
                }
                if ((ret = unpack_entry(a, e, dirfd, &bytes, caps)) < 0)
                        break;
        }
        if (ret == 0 && r != ARCHIVE_EOF)
                ret = gr_fail(EINVAL, "the archive is damaged: %s", archive_error_string(a));
        if (ret == 0 && files == 0)
                ret = gr_fail(EINVAL, "the archive is empty");
        close(dirfd);
out_dest:
        if (ret < 0) {
                char keep[1024];
                snprintf(keep, sizeof(keep), "%s", gr_error());
                gr_rm_rf(dest);
                gr_fail(-ret, "%s", keep);
        }
out_archive:
        archive_read_free(a);
        return ret;
}
