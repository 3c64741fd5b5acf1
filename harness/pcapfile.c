/*
 * pcapfile.c - reads classic pcap and pcapng files without libpcap, so
 * that the fuzzer covers every byte between a file on disk and a decoded
 * packet.  Both byte orders, microsecond and nanosecond magics, and the link
 * types decode.c understands.  A file whose header is wrong is refused; a
 * file that goes wrong later (a record cut short, a length no capture could
 * produce) keeps the packets read so far and says where it stopped, because
 * a capture killed mid-write is still evidence.
 *
 * Format: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
 * (24-byte file header, then 16-byte record headers each followed by caplen
 * bytes), the same as libpcap's sf-pcap.c.  pcapng: draft-ietf-opsawg-pcapng
 * (blocks "type, length, body, length"; we read section headers, interface
 * descriptions, enhanced, simple and obsolete packet blocks, name
 * resolution, and the comments, flags and packet ids the lab writes;
 * other blocks are skipped).
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

/* ---- pcapng ---- */

#define BT_SHB MAGIC_PCAPNG
#define BT_IDB 1u
#define BT_PB 2u /* obsolete packet block */
#define BT_SPB 3u
#define BT_NRB 4u
#define BT_EPB 6u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define MAX_IFS 4096u

struct ng {
        struct sc_pcap *cap;
        bool be;
        size_t section_base; /* first interface of the current section */
        size_t alloc;        /* packets allocated */
        size_t ifalloc, namealloc;
};

/* Appends text (n bytes, not NUL-terminated) to *dst with sep; false on memory trouble. */
static bool append_text(char **dst, const char *sep, const uint8_t *text, size_t n)
{
        size_t old = *dst ? strlen(*dst) : 0, seplen = old ? strlen(sep) : 0;
        char *nd;

        n = strnlen((const char *)text, n); /* a comment holding a NUL ends there */
        nd = realloc(*dst, old + seplen + n + 1);
        if (!nd)
                return false;
        memcpy(nd + old, sep, seplen);
        memcpy(nd + old + seplen, text, n);
        nd[old + seplen + n] = '\0';
        *dst = nd;
        return true;
}

/* Copies a string option into a fixed field, NUL-terminated, cut to fit. */
static void opt_string(char *dst, size_t cap, const uint8_t *v, size_t n)
{
        n = strnlen((const char *)v, n);
        if (n >= cap)
                n = cap - 1;
        memcpy(dst, v, n);
        dst[n] = '\0';
}

typedef bool (*opt_fn)(struct ng *ng, void *ctx, uint16_t code, const uint8_t *v, uint16_t n);

/* Walks the options in [off, end); false if the callback ran out of memory. */
static bool walk_options(struct ng *ng, size_t off, size_t end, opt_fn fn, void *ctx)
{
        const uint8_t *buf = ng->cap->data;

        while (off + 4 <= end) {
                uint16_t code = 0, n = 0;

                file_u16(buf, end, off, ng->be, &code);
                file_u16(buf, end, off + 2, ng->be, &n);
                if (code == 0 || n > end - off - 4)
                        break; /* opt_endofopt, or an option past the block: the rest is noise */
                if (!fn(ng, ctx, code, buf + off + 4, n))
                        return false;
                off += 4 + (((size_t)n + 3) & ~(size_t)3);
        }
        return true;
}

static bool shb_opt(struct ng *ng, void *ctx, uint16_t code, const uint8_t *v, uint16_t n)
{
        (void)ctx;
        if (code == 1) /* opt_comment */
                return append_text(&ng->cap->comments, "\n", v, n);
        return true;
}

static bool idb_opt(struct ng *ng, void *ctx, uint16_t code, const uint8_t *v, uint16_t n)
{
        struct sc_pcap_iface *i = ctx;
        uint32_t hi = 0, lo = 0;

        switch (code) {
        case 2: /* if_name */
                opt_string(i->name, sizeof(i->name), v, n);
                break;
        case 3: /* if_description */
                opt_string(i->description, sizeof(i->description), v, n);
                break;
        case 9: /* if_tsresol */
                if (n >= 1)
                        i->tsresol = v[0];
                break;
        case 14: /* if_tsoffset: 64-bit seconds */
                if (n >= 8 && file_u32(v, n, ng->be ? 0 : 4, ng->be, &hi) &&
                    file_u32(v, n, ng->be ? 4 : 0, ng->be, &lo))
                        i->tsoffset = (int64_t)((uint64_t)hi << 32 | lo);
                break;
        default:
                break;
        }
        return true;
}

static bool epb_opt(struct ng *ng, void *ctx, uint16_t code, const uint8_t *v, uint16_t n)
{
        struct sc_packet *p = ctx;
        uint32_t hi = 0, lo = 0;

        switch (code) {
        case 1: /* opt_comment */
                return append_text(&p->comment, "; ", v, n);
        case 2: /* epb_flags */
                if (n >= 4)
                        file_u32(v, n, 0, ng->be, &p->epb_flags);
                break;
        case 5: /* epb_packetid */
                if (n >= 8 && file_u32(v, n, ng->be ? 0 : 4, ng->be, &hi) &&
                    file_u32(v, n, ng->be ? 4 : 0, ng->be, &lo)) {
                        p->has_packet_id = true;
                        p->packet_id = (uint64_t)hi << 32 | lo;
                }
                break;
        default:
                break;
        }
        return true;
}

/* Timestamp units of an interface to nanoseconds since the epoch. */
static uint64_t ng_ts_ns(const struct sc_pcap_iface *i, uint64_t ts)
{
        unsigned exp = i->tsresol & 0x7f;
        uint64_t ns;

        if (i->tsresol & 0x80) {
                ns = exp >= 64 ? 0 : (uint64_t)(((unsigned __int128)ts * 1000000000u) >> exp);
        } else if (exp <= 9) {
                ns = ts;
                for (unsigned e = exp; e < 9; e++)
                        ns *= 10;
        } else {
                ns = ts;
                for (unsigned e = 9; e < exp && ns; e++)
                        ns /= 10;
        }
        return ns + (uint64_t)i->tsoffset * 1000000000u;
}

static int ng_idb(struct ng *ng, size_t body, size_t end)
{
        struct sc_pcap *cap = ng->cap;
        struct sc_pcap_iface *i;
        uint16_t lt = 0;

        if (end - body < 8) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "interface description %zu: too short", cap->nifs);
                return 0;
        }
        if (cap->nifs == MAX_IFS) {
                snprintf(cap->problem, sizeof(cap->problem), "more than %u interfaces", MAX_IFS);
                return 0;
        }
        if (cap->nifs == ng->ifalloc) {
                size_t n = ng->ifalloc ? ng->ifalloc * 2 : 8;
                struct sc_pcap_iface *ni = realloc(cap->ifs, n * sizeof(*ni));

                if (!ni)
                        return -ENOMEM;
                cap->ifs = ni;
                ng->ifalloc = n;
        }
        i = &cap->ifs[cap->nifs];
        memset(i, 0, sizeof(*i));
        file_u16(cap->data, end, body, ng->be, &lt);
        file_u32(cap->data, end, body + 4, ng->be, &i->snaplen);
        i->linktype = known_linktype(lt & LINKTYPE_MASK);
        i->tsresol = 6;
        walk_options(ng, body + 8, end, idb_opt, i);
        if (cap->nifs == 0) {
                cap->linktype = i->linktype >= 0 ? i->linktype : (int)lt;
                cap->snaplen = i->snaplen;
                cap->nsec = i->tsresol == 9;
        }
        cap->nifs++;
        return 1;
}

static int ng_nrb(struct ng *ng, size_t off, size_t end)
{
        struct sc_pcap *cap = ng->cap;

        while (off + 4 <= end) {
                uint16_t type = 0, n = 0;

                file_u16(cap->data, end, off, ng->be, &type);
                file_u16(cap->data, end, off + 2, ng->be, &n);
                if (type == 0 || n > end - off - 4)
                        break;
                if (type == 1 && n > 4) { /* nrb_record_ipv4: address, then names */
                        struct sc_pcap_name *nm;

                        if (cap->nnames == ng->namealloc) {
                                size_t na = ng->namealloc ? ng->namealloc * 2 : 16;
                                struct sc_pcap_name *nn;

                                if (na > 65536)
                                        return 1;
                                nn = realloc(cap->names, na * sizeof(*nn));
                                if (!nn)
                                        return -ENOMEM;
                                cap->names = nn;
                                ng->namealloc = na;
                        }
                        nm = &cap->names[cap->nnames++];
                        memcpy(&nm->addr, cap->data + off + 4, 4);
                        opt_string(nm->name, sizeof(nm->name), cap->data + off + 8, n - 4u);
                }
                off += 4 + (((size_t)n + 3) & ~(size_t)3);
        }
        return 1;
}

/* A packet block of any of the three kinds; returns 1 to go on, 0 to stop, -ENOMEM. */
static int ng_packet(struct ng *ng, uint32_t type, size_t body, size_t end)
{
        struct sc_pcap *cap = ng->cap;
        size_t index = cap->count + 1, hdr, avail;
        uint32_t ifid = 0, hi = 0, lo = 0, incl = 0, orig = 0;
        uint16_t ifid16 = 0;
        const struct sc_pcap_iface *i;
        struct sc_packet *pkt;
        char note[64] = "";

        if (type == BT_EPB) {
                hdr = 20;
                file_u32(cap->data, end, body, ng->be, &ifid);
                file_u32(cap->data, end, body + 4, ng->be, &hi);
                file_u32(cap->data, end, body + 8, ng->be, &lo);
                file_u32(cap->data, end, body + 12, ng->be, &incl);
                file_u32(cap->data, end, body + 16, ng->be, &orig);
        } else if (type == BT_PB) {
                hdr = 20;
                file_u16(cap->data, end, body, ng->be, &ifid16);
                ifid = ifid16;
                file_u32(cap->data, end, body + 4, ng->be, &hi);
                file_u32(cap->data, end, body + 8, ng->be, &lo);
                file_u32(cap->data, end, body + 12, ng->be, &incl);
                file_u32(cap->data, end, body + 16, ng->be, &orig);
        } else { /* simple packet block: interface 0, no time, length from the block */
                hdr = 4;
                file_u32(cap->data, end, body, ng->be, &orig);
                incl = orig;
        }
        if (end - body < hdr) {
                snprintf(cap->problem, sizeof(cap->problem), "packet %zu: block too short",
                         index);
                return 0;
        }
        if (ng->section_base + ifid >= cap->nifs) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "packet %zu: interface %u was never described", index, ifid);
                return 0;
        }
        i = &cap->ifs[ng->section_base + ifid];
        avail = end - body - hdr;
        if (type == BT_SPB) {
                if (i->snaplen && incl > i->snaplen)
                        incl = i->snaplen;
                if (incl > avail)
                        incl = (uint32_t)avail;
        }
        if (incl > SC_PCAP_MAX_CAPLEN) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "packet %zu: captured length %u is absurd (limit %u); reading stopped",
                         index, incl, SC_PCAP_MAX_CAPLEN);
                return 0;
        }
        if (incl > avail) {
                snprintf(cap->problem, sizeof(cap->problem),
                         "packet %zu: captured length %u overruns its block (%zu bytes)", index,
                         incl, avail);
                return 0;
        }
        if (i->snaplen && incl > i->snaplen)
                snprintf(note, sizeof(note), "caplen %u > snaplen %u", incl, i->snaplen);
        if (cap->count == ng->alloc && grow(cap, &ng->alloc) < 0)
                return -ENOMEM;
        pkt = &cap->pkts[cap->count++];
        if (i->linktype >= 0) {
                sc_decode_frame(i->linktype, cap->data + body + hdr, incl, orig, pkt);
        } else {
                memset(pkt, 0, sizeof(*pkt));
                pkt->frame = cap->data + body + hdr;
                pkt->caplen = incl;
                pkt->wirelen = orig;
                snprintf(pkt->problem, sizeof(pkt->problem), "interface %u: link type not decoded",
                         ifid);
        }
        pkt->ifindex = (unsigned)(ng->section_base + ifid);
        if (type != BT_SPB)
                pkt->ts_ns = ng_ts_ns(i, (uint64_t)hi << 32 | lo);
        if (note[0])
                prepend_note(pkt, note);
        if (type != BT_SPB) {
                size_t opts = body + hdr + (((size_t)incl + 3) & ~(size_t)3);

                if (opts < end && !walk_options(ng, opts, end, epb_opt, pkt))
                        return -ENOMEM;
        }
        return 1;
}

/* A section header at off: byte order, version, comments.  0 or -EINVAL (first one only). */
static int ng_shb(struct ng *ng, size_t off, size_t end, bool first, char *err, size_t errlen)
{
        struct sc_pcap *cap = ng->cap;
        uint16_t major = 0;

        /* end excludes the trailing length: 24 bytes is a section header without options. */
        if (first && end - off < 24) {
                set_err(err, errlen, "pcapng section header truncated: %zu of 28 bytes",
                        end - off + 4);
                return -EINVAL;
        }
        file_u16(cap->data, end, off + 12, ng->be, &major);
        if (major != 1) {
                if (first) {
                        set_err(err, errlen, "unsupported pcapng version %u (only 1.x)", major);
                        return -EINVAL;
                }
                snprintf(cap->problem, sizeof(cap->problem),
                         "section of pcapng version %u: reading stopped", major);
                return 1;
        }
        ng->section_base = cap->nifs;
        if (!walk_options(ng, off + 24, end, shb_opt, NULL))
                return -ENOMEM;
        return 0;
}

static int parse_pcapng(struct sc_pcap *cap, char *err, size_t errlen)
{
        struct ng ng = {.cap = cap};
        const uint8_t *buf = cap->data;
        size_t len = cap->data_len, off = 0;
        bool first = true;
        int ret;

        cap->pcapng = true;
        cap->nsec = true;
        while (off < len) {
                uint32_t type = 0, tot = 0, trail = 0, bom = 0;

                if (len - off < 12) {
                        snprintf(cap->problem, sizeof(cap->problem),
                                 "block at offset %zu truncated (%zu bytes)", off, len - off);
                        break;
                }
                file_u32(buf, len, off, false, &type);
                if (type == BT_SHB) {
                        /* The byte order comes first: the block type reads the same both ways. */
                        if (!file_u32(buf, len, off + 8, false, &bom) ||
                            (bom != BYTE_ORDER_MAGIC && bom != 0x4D3C2B1Au)) {
                                if (first) {
                                        set_err(err, errlen, "pcapng: bad byte-order magic");
                                        return -EINVAL;
                                }
                                snprintf(cap->problem, sizeof(cap->problem),
                                         "section at offset %zu: bad byte-order magic", off);
                                break;
                        }
                        ng.be = bom != BYTE_ORDER_MAGIC;
                } else if (first) {
                        set_err(err, errlen, "pcapng: the file does not start with a section");
                        return -EINVAL;
                }
                file_u32(buf, len, off, ng.be, &type);
                file_u32(buf, len, off + 4, ng.be, &tot);
                if (tot < 12 || tot % 4 || tot > len - off) {
                        if (first) {
                                set_err(err, errlen, "pcapng section header: bad length %u", tot);
                                return -EINVAL;
                        }
                        snprintf(cap->problem, sizeof(cap->problem),
                                 "block at offset %zu: length %u %s", off, tot,
                                 tot > len - off ? "runs past the end of the file"
                                                 : "is impossible");
                        break;
                }
                file_u32(buf, len, off + tot - 4, ng.be, &trail);
                if (trail != tot) {
                        if (first) {
                                set_err(err, errlen, "pcapng section header: lengths disagree");
                                return -EINVAL;
                        }
                        snprintf(cap->problem, sizeof(cap->problem),
                                 "block at offset %zu: lengths disagree (%u, %u)", off, tot, trail);
                        break;
                }
                switch (type) {
                case BT_SHB:
                        ret = ng_shb(&ng, off, off + tot - 4, first, err, errlen);
                        if (ret < 0)
                                return ret;
                        ret = ret ? 0 : 1;
                        break;
                case BT_IDB:
                        ret = ng_idb(&ng, off + 8, off + tot - 4);
                        break;
                case BT_EPB:
                case BT_PB:
                case BT_SPB:
                        ret = ng_packet(&ng, type, off + 8, off + tot - 4);
                        break;
                case BT_NRB:
                        ret = ng_nrb(&ng, off + 8, off + tot - 4);
                        break;
                default:
                        ret = 1; /* statistics, decryption secrets, custom: not ours */
                        break;
                }
                if (ret < 0) {
                        set_err(err, errlen, "out of memory after %zu packets", cap->count);
                        return ret;
                }
                first = false;
                if (ret == 0)
                        break;
                off += tot;
        }
        if (cap->nifs == 0)
                cap->linktype = SC_LINK_EN10MB; /* no interface: nothing to decode anyway */
        return 0;
}

/* Parses cap->data; the caller has set data and data_len. */
static int parse_owned(struct sc_pcap *cap, char *err, size_t errlen)
{
        size_t off = FILE_HDR_LEN, alloc = 0;
        bool be = false;
        uint32_t magic = 0;
        int ret;

        if (file_u32(cap->data, cap->data_len, 0, false, &magic) && magic == MAGIC_PCAPNG)
                return parse_pcapng(cap, err, errlen);
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
        for (size_t i = 0; i < cap->count; i++)
                free(cap->pkts[i].comment);
        free(cap->ifs);
        free(cap->names);
        free(cap->comments);
        free(cap->pkts);
        free(cap->data);
        free(cap);
}
