/*
 * pcapfile.c - reads classic pcap files (not pcapng) without libpcap, so
 * that the fuzzer covers every byte between a file on disk and a decoded
 * packet.  Both byte orders, microsecond and nanosecond magics, and the link
 * types decode.c understands.  A file whose header is wrong is refused; a
 * file that goes wrong later (a record cut short, a length no capture could
 * produce) keeps the packets read so far and says where it stopped, because
 * a capture killed mid-write is still evidence.
 *
 * Format: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
 * (24-byte file header, then 16-byte record headers each followed by caplen
 * bytes), the same as libpcap's sf-pcap.c.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define MAGIC_KUZNETZOV 0xa1b2cd34u /* "modified" pcap of old Linux patches */
#define MAGIC_PCAPNG 0x0a0d0d0au    /* section header block type, a palindrome */
#define FILE_HDR_LEN 24u
#define REC_HDR_LEN 16u
#define MAX_FILE_LEN (1u << 30) /* far beyond any capture a test makes */
/* libpcap's LT_LINKTYPE(): the upper bits carry FCS information. */
#define LINKTYPE_MASK 0x03FFFFFFu

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (!err || !errlen)
                return;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

/* Bounds-checked 32-bit read in the file's byte order; false past the end. */
static bool file_u32(const uint8_t *buf, size_t len, size_t off, bool be, uint32_t *v)
{
        const uint8_t *p;

        if (off > len || len - off < 4)
                return false;
        p = buf + off;
        if (be)
                *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        else
                *v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
        return true;
}

static bool file_u16(const uint8_t *buf, size_t len, size_t off, bool be, uint16_t *v)
{
        if (off > len || len - off < 2)
                return false;
        *v = be ? (uint16_t)(buf[off] << 8 | buf[off + 1])
                : (uint16_t)(buf[off + 1] << 8 | buf[off]);
        return true;
}

static bool host_is_be(void)
{
        const uint16_t one = 1;

        return *(const uint8_t *)&one == 0;
}

/* Maps a file's link type onto the ones decode.c knows; -1 if none. */
static int known_linktype(uint32_t lt)
{
        switch (lt) {
        case SC_LINK_NULL:
        case SC_LINK_EN10MB:
        case SC_LINK_RAW:
        case SC_LINK_LOOP:
        case SC_LINK_LINUX_SLL:
        case SC_LINK_LINUX_SLL2:
                return (int)lt;
        case 12:  /* DLT_RAW on most systems, written as-is by old tools */
        case 14:  /* DLT_RAW on OpenBSD */
        case 228: /* LINKTYPE_IPV4 */
        case 229: /* LINKTYPE_IPV6 */
                return SC_LINK_RAW;
        default:
                return -1;
        }
}

/* Reads and checks the 24-byte file header into cap; 0 or -EINVAL. */
static int parse_file_header(const uint8_t *buf, size_t len, struct sc_pcap *cap, bool *be,
                             char *err, size_t errlen)
{
        uint32_t magic_le = 0, magic_be = 0, lt = 0;
        uint16_t major = 0, minor = 0;

        if (!file_u32(buf, len, 0, false, &magic_le) || !file_u32(buf, len, 0, true, &magic_be)) {
                set_err(err, errlen, "not a pcap file: %zu bytes, too short for a file header",
                        len);
                return -EINVAL;
        }
        if (magic_le == MAGIC_PCAPNG) {
                set_err(err, errlen,
                        "pcapng files are not supported: convert with 'editcap -F pcap IN OUT'");
                return -EINVAL;
        }
        if (magic_le == MAGIC_KUZNETZOV || magic_be == MAGIC_KUZNETZOV) {
                set_err(err, errlen, "modified (Kuznetzov) pcap files are not supported");
                return -EINVAL;
        }
        if (magic_le == MAGIC_USEC || magic_le == MAGIC_NSEC) {
                *be = false;
        } else if (magic_be == MAGIC_USEC || magic_be == MAGIC_NSEC) {
                *be = true;
                magic_le = magic_be;
        } else {
                set_err(err, errlen, "not a pcap file: magic 0x%08x", magic_be);
                return -EINVAL;
        }
        cap->nsec = magic_le == MAGIC_NSEC;
        cap->swapped = *be != host_is_be();
        if (len < FILE_HDR_LEN) {
                set_err(err, errlen, "pcap file header truncated: %zu of %u bytes", len,
                        FILE_HDR_LEN);
                return -EINVAL;
        }
        /* Offsets: version 4, 6; thiszone 8; sigfigs 12; snaplen 16; linktype 20. */
        if (!file_u16(buf, len, 4, *be, &major) || !file_u16(buf, len, 6, *be, &minor) ||
            !file_u32(buf, len, 16, *be, &cap->snaplen) || !file_u32(buf, len, 20, *be, &lt))
                return -EINVAL;
        if (major != 2) {
                set_err(err, errlen, "unsupported pcap version %u.%u (only 2.x)", major, minor);
                return -EINVAL;
        }
        cap->linktype = known_linktype(lt & LINKTYPE_MASK);
        if (cap->linktype < 0) {
                set_err(err, errlen,
                        "unsupported link type %u (decoded: NULL 0, EN10MB 1, RAW 101, "
                        "LOOP 108, LINUX_SLL 113, LINUX_SLL2 276)",
                        lt & LINKTYPE_MASK);
                return -EINVAL;
        }
        return 0;
}

static int grow(struct sc_pcap *cap, size_t *alloc)
{
        struct sc_packet *p;
        size_t n = *alloc ? *alloc * 2 : 64;

        if (n > SIZE_MAX / sizeof(*p))
                return -ENOMEM;
        p = realloc(cap->pkts, n * sizeof(*p));
        if (!p)
                return -ENOMEM;
        cap->pkts = p;
        *alloc = n;
        return 0;
}

/* Puts a record-level note in front of what the decoder found, cut to fit. */
static void prepend_note(struct sc_packet *pkt, const char *note)
{
        char joined[64 + 2 + sizeof(pkt->problem)];
        size_t len;

        snprintf(joined, sizeof(joined), "%.63s%s%s", note, pkt->problem[0] ? "; " : "",
                 pkt->problem);
        len = strnlen(joined, sizeof(pkt->problem) - 1);
        memcpy(pkt->problem, joined, len);
        pkt->problem[len] = '\0';
}

/*
 * Decodes the record at *off into a new packet.  Returns 1 to go on, 0 to
 * stop (cap->problem says why), -ENOMEM.
 */
static int read_record(struct sc_pcap *cap, bool be, size_t *off, size_t *alloc)
{
        const uint8_t *buf = cap->data;
        size_t len = cap->data_len, index = cap->count + 1, avail;
        uint32_t sec = 0, frac = 0, incl = 0, orig = 0;
        struct sc_packet *pkt;
        char note[64] = "";
        bool cut = false;

        if (!file_u32(buf, len, *off, be, &sec) || !file_u32(buf, len, *off + 4, be, &frac) ||
            !file_u32(buf, len, *off + 8, be, &incl) || !file_u32(buf, len, *off + 12, be, &orig) ||
            len - *off < REC_HDR_LEN) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "record %zu: header truncated (%zu of %u bytes at offset %zu)", index,
                         len - *off, REC_HDR_LEN, *off);
                return 0;
        }
        if (incl > SC_PCAP_MAX_CAPLEN) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "record %zu: captured length %u is absurd (limit %u); reading stopped",
                         index, incl, SC_PCAP_MAX_CAPLEN);
                return 0;
        }
        *off += REC_HDR_LEN;
        avail = len - *off;
        if (incl > avail) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "record %zu truncated: file ends after %zu of %u bytes", index, avail,
                         incl);
                snprintf(note, sizeof(note), "record truncated: %zu of %u bytes in file", avail,
                         incl);
                incl = (uint32_t)avail;
                cut = true;
        } else if (cap->snaplen && incl > cap->snaplen) {
                snprintf(note, sizeof(note), "caplen %u > snaplen %u", incl, cap->snaplen);
        } else if (frac >= (cap->nsec ? 1000000000u : 1000000u)) {
                snprintf(note, sizeof(note), "timestamp fraction %u out of range", frac);
        }
        if (cap->count == *alloc && grow(cap, alloc) < 0)
                return -ENOMEM;
        pkt = &cap->pkts[cap->count++];
        /* The decoder only fails on a link type, and the header check vetted it. */
        sc_decode_frame(cap->linktype, buf + *off, incl, orig, pkt);
        pkt->ts_ns = (uint64_t)sec * 1000000000u + (cap->nsec ? frac : (uint64_t)frac * 1000u);
        if (note[0])
                prepend_note(pkt, note);
        if (cut)
                pkt->truncated = true;
        *off += incl;
        return cut ? 0 : 1;
}

/* Parses cap->data; the caller has set data and data_len. */
static int parse_owned(struct sc_pcap *cap, char *err, size_t errlen)
{
        size_t off = FILE_HDR_LEN, alloc = 0;
        bool be = false;
        int ret;

        ret = parse_file_header(cap->data, cap->data_len, cap, &be, err, errlen);
        if (ret < 0)
                return ret;
        while (off < cap->data_len) {
                ret = read_record(cap, be, &off, &alloc);
                if (ret < 0) {
                        set_err(err, errlen, "out of memory after %zu packets", cap->count);
                        return ret;
                }
                if (ret == 0)
                        break;
        }
        return 0;
}

int sc_pcap_parse(const uint8_t *buf, size_t len, struct sc_pcap **out, char *err, size_t errlen)
{
        struct sc_pcap *cap;
        int ret;

        *out = NULL;
        if (!buf && len) {
                set_err(err, errlen, "no buffer");
                return -EINVAL;
        }
        cap = calloc(1, sizeof(*cap));
        if (!cap)
                goto out_nomem;
        cap->data = malloc(len ? len : 1);
        if (!cap->data)
                goto out_nomem;
        if (len)
                memcpy(cap->data, buf, len);
        cap->data_len = len;
        ret = parse_owned(cap, err, errlen);
        if (ret < 0) {
                sc_pcap_free(cap);
                return ret;
        }
        *out = cap;
        return 0;
out_nomem:
        sc_pcap_free(cap);
        set_err(err, errlen, "out of memory");
        return -ENOMEM;
}

/* Reads a whole file (regular or not) into a malloc'd buffer. */
static int read_all(int fd, uint8_t **out, size_t *outlen)
{
        size_t len = 0, alloc = 0;
        uint8_t *buf = NULL, *nb;
        ssize_t n;

        for (;;) {
                if (len == alloc) {
                        alloc = alloc ? alloc * 2 : 65536;
                        if (alloc > MAX_FILE_LEN) {
                                free(buf);
                                return -EFBIG;
                        }
                        nb = realloc(buf, alloc);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                n = read(fd, buf + len, alloc - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;

                        free(buf);
                        return -e;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *out = buf;
        *outlen = len;
        return 0;
}

int sc_pcap_load(const char *path, struct sc_pcap **out, char *err, size_t errlen)
{
        struct sc_pcap *cap = NULL;
        char inner[160] = "";
        int fd, ret;

        *out = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                ret = -errno;
                set_err(err, errlen, "%s: %s", path, strerror(-ret));
                return ret;
        }
        cap = calloc(1, sizeof(*cap));
        if (!cap) {
                ret = -ENOMEM;
                goto out_close;
        }
        ret = read_all(fd, &cap->data, &cap->data_len);
        if (ret < 0) {
                set_err(err, errlen, "%s: %s", path, strerror(-ret));
                goto out_free;
        }
        ret = parse_owned(cap, inner, sizeof(inner));
        if (ret < 0) {
                set_err(err, errlen, "%s: %s", path, inner);
                goto out_free;
        }
        *out = cap;
        cap = NULL;
out_free:
        sc_pcap_free(cap);
out_close:
        close(fd);
        if (ret == -ENOMEM && !inner[0])
                set_err(err, errlen, "%s: out of memory", path);
        return ret;
}

void sc_pcap_free(struct sc_pcap *cap)
{
        if (!cap)
                return;
        free(cap->pkts);
        free(cap->data);
        free(cap);
}
