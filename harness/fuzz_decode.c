/*
 * fuzz_decode.c - the libFuzzer target for everything that reads capture
 * bytes: the pcap reader, every header parser (through the reader, and
 * directly behind each link type, so the fuzzer need not first discover a
 * file header), the timeline, the canonical form and the diff between the
 * two.  Pcaps come from the lab, but also from students' runs and from
 * files people attach to bug reports: the decoder must survive any of them.
 *
 * Built with -DSC_FUZZ_SEEDGEN instead, this file is fuzz_decode_seeds: it
 * writes a small seed corpus (the book's exchanges, in each link type and
 * file flavour) into the directory it is given.  See decode.cmake.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <stdlib.h>
#include <string.h>

#ifndef SC_FUZZ_SEEDGEN

static const int link_types[] = {SC_LINK_EN10MB, SC_LINK_LINUX_SLL, SC_LINK_LINUX_SLL2,
                                 SC_LINK_RAW,    SC_LINK_NULL,      SC_LINK_LOOP};

/* Timeline and canonical text of cap, then a diff between them. */
static void exercise(const struct sc_pcap *cap)
{
        static const uint16_t fixed[] = SC_BOOK_PORTS;
        char *timeline = NULL, *canon = NULL, *report = NULL;
        size_t tlen = 0;
        FILE *mem;

        mem = open_memstream(&timeline, &tlen);
        if (mem) {
                sc_timeline_write(mem, cap, NULL);
                fclose(mem);
        }
        if (sc_canon_text(cap, fixed, SC_BOOK_NPORTS, &canon) == 0 && timeline)
                sc_canon_diff(canon, timeline, &report);
        free(report);
        free(canon);
        free(timeline);
}

/*
 * The input as one frame: byte 0 picks the link type (low 3 bits), whether
 * the wire length is shorter than the capture (bit 3) and how much longer
 * it is otherwise (high bits, in units of 97 bytes).
 */
static void one_frame(const uint8_t *data, size_t size)
{
        struct sc_packet pkt;
        struct sc_pcap cap = {.count = 1, .pkts = &pkt, .snaplen = 262144};
        uint32_t caplen, wirelen;

        if (size < 1 || size - 1 > SC_PCAP_MAX_CAPLEN)
                return;
        cap.linktype = link_types[(data[0] & 7) % (sizeof(link_types) / sizeof(link_types[0]))];
        caplen = (uint32_t)(size - 1);
        wirelen = data[0] & 8 ? caplen / 2 : caplen + (uint32_t)(data[0] >> 4) * 97u;
        /* The frame lives in its own allocation so ASan sees a read past its end. */
        uint8_t *frame = malloc(caplen ? caplen : 1);

        if (!frame)
                return;
        memcpy(frame, data + 1, caplen);
        sc_decode_frame(cap.linktype, frame, caplen, wirelen, &pkt);
        exercise(&cap);
        free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sc_pcap *cap = NULL;
        char err[256];

        if (sc_pcap_parse(data, size, &cap, err, sizeof(err)) == 0) {
                exercise(cap);
                sc_pcap_free(cap);
        } else {
                one_frame(data, size);
        }
        return 0;
}

#else /* SC_FUZZ_SEEDGEN */

#include <errno.h>
#include <sys/stat.h>

/* ---- tiny frame builder: just enough to write plausible seeds ---- */

struct frame {
        uint8_t b[2048];
        size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
        if (f->n + n <= sizeof(f->b)) {
                memcpy(f->b + f->n, p, n);
                f->n += n;
        }
}

static void put16(struct frame *f, uint16_t v)
{
        uint8_t b[2] = {v >> 8, v & 0xff};

        put(f, b, 2);
}

static void put32(struct frame *f, uint32_t v)
{
        put16(f, v >> 16);
        put16(f, v & 0xffff);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
        uint32_t s = 0;
        size_t i;

        for (i = 0; i + 1 < n; i += 2)
                s += (uint32_t)(p[i] << 8 | p[i + 1]);
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t)~s;
}

#define A 0x0a000001u /* 10.0.0.1 */
#define B 0x0a000002u /* 10.0.0.2 */

/* IPv4 header (20 bytes, checksummed) for a payload of len bytes. */
static void ipv4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto, size_t len,
                 uint16_t flags)
{
        size_t at = f->n;
        uint16_t c;

        put16(f, 0x4500);
        put16(f, (uint16_t)(20 + len));
        put16(f, 0x1c46);
        put16(f, flags);
        put16(f, (uint16_t)(64 << 8 | proto));
        put16(f, 0);
        put32(f, src);
        put32(f, dst);
        c = csum(f->b + at, 20);
        f->b[at + 10] = c >> 8;
        f->b[at + 11] = c & 0xff;
}

static void udp(struct frame *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
                const char *data)
{
        size_t n = strlen(data);

        ipv4(f, src, dst, 17, 8 + n, 0x4000);
        put16(f, sp);
        put16(f, dp);
        put16(f, (uint16_t)(8 + n));
        put16(f, 0);
        put(f, data, n);
}

static void tcp(struct frame *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t fl,
                uint32_t seq, uint32_t ack, const char *data)
{
        static const uint8_t opts[] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                       0, 1, 0, 0,    0, 0, 1, 3,  3, 7};
        size_t n = strlen(data), olen = fl & 0x02 ? sizeof(opts) : 0;

        ipv4(f, src, dst, 6, 20 + olen + n, 0x4000);
        put16(f, sp);
        put16(f, dp);
        put32(f, seq);
        put32(f, ack);
        put16(f, (uint16_t)(((20 + olen) / 4) << 12 | fl));
        put16(f, 64240);
        put32(f, 0);
        put(f, opts, olen);
        put(f, data, n);
}

static void icmp_unreach(struct frame *f)
{
        struct frame q = {0};

        udp(&q, A, 46056, B, 1060, "This is another message");
        ipv4(f, B, A, 1, 8 + 28, 0);
        put32(f, 0x03030000);
        put32(f, 0);
        put(f, q.b, 28);
}

static void arp(struct frame *f)
{
        put32(f, 0x00010800);
        put32(f, 0x06040001);
        put(f, "\x02\0\0\0\0\x01", 6);
        put32(f, A);
        put(f, "\0\0\0\0\0\0", 6);
        put32(f, B);
}

/* The book's exchanges as bare IP (ARP in its own frame, marked by a leading 0). */
static size_t exchanges(struct frame *out, size_t max)
{
        size_t n = 0;

        if (max < 10)
                return 0;
        memset(out, 0, max * sizeof(*out));
        udp(&out[n++], A, 46056, B, 1060, "This is another message");
        udp(&out[n++], B, 1060, A, 46056, "Your data was 23 bytes long");
        icmp_unreach(&out[n++]);
        tcp(&out[n++], A, 54176, B, 21567, 0x02, 1000, 0, "");
        tcp(&out[n++], B, 21567, A, 54176, 0x12, 5000, 1001, "");
        tcp(&out[n++], A, 54176, B, 21567, 0x10, 1001, 5001, "");
        tcp(&out[n++], A, 54176, B, 21567, 0x18, 1001, 5001, "hi");
        tcp(&out[n++], B, 21567, A, 54176, 0x18, 5001, 1003, "[Sat Nov 21 17:47:41 2026] hi");
        tcp(&out[n++], A, 54176, B, 21567, 0x11, 1003, 5030, "");
        return n;
}

/* Link headers for an IPv4 (or ARP) frame, per link type. */
static void link_header(struct frame *f, int linktype, bool is_arp)
{
        uint16_t type = is_arp ? 0x0806 : 0x0800;

        switch (linktype) {
        case SC_LINK_EN10MB:
                put(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
                put16(f, type);
                break;
        case SC_LINK_LINUX_SLL:
                put(f, "\0\x04\0\x01\0\x06\x02\0\0\0\0\x01\0\0", 14);
                put16(f, type);
                break;
        case SC_LINK_LINUX_SLL2:
                put16(f, type);
                put(f, "\0\0\0\0\0\x02\0\x01\x04\x06\x02\0\0\0\0\x01\0\0", 18);
                break;
        case SC_LINK_NULL:
                put(f, "\x02\0\0\0", 4);
                break;
        default:
                break;
        }
}

static void w32(FILE *fp, uint32_t v)
{
        fwrite(&v, 4, 1, fp);
}

/* Writes one seed pcap in host byte order. */
static int write_seed(const char *dir, const char *name, int linktype, bool nsec, bool with_arp)
{
        static struct frame ip[12], fr;
        size_t n = exchanges(ip, 12), i;
        char path[4096];
        FILE *fp;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fp = fopen(path, "wb");
        if (!fp)
                return -errno;
        w32(fp, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
        w32(fp, 2 | 4u << 16);
        w32(fp, 0);
        w32(fp, 0);
        w32(fp, 262144);
        w32(fp, (uint32_t)linktype);
        for (i = 0; i < n + with_arp; i++) {
                fr.n = 0;
                link_header(&fr, linktype, i == n);
                if (i == n)
                        arp(&fr);
                else
                        put(&fr, ip[i].b, ip[i].n);
                w32(fp, 1700000000);
                w32(fp, (uint32_t)i * 1000);
                w32(fp, (uint32_t)fr.n);
                w32(fp, (uint32_t)fr.n);
                fwrite(fr.b, 1, fr.n, fp);
        }
        return fclose(fp) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int linktype;
                bool nsec, arp;
        } seeds[] = {
            {"en10mb_usec.pcap", SC_LINK_EN10MB, false, true},
            {"en10mb_nsec.pcap", SC_LINK_EN10MB, true, true},
            {"sll.pcap", SC_LINK_LINUX_SLL, false, true},
            {"sll2.pcap", SC_LINK_LINUX_SLL2, true, true},
            {"null.pcap", SC_LINK_NULL, false, false},
            {"raw.pcap", SC_LINK_RAW, true, false},
        };
        size_t i;
        int ret;

        if (argc != 2) {
                fprintf(stderr, "usage: fuzz_decode_seeds DIR\n");
                return 2;
        }
        if (mkdir(argv[1], 0777) < 0 && errno != EEXIST) {
                perror(argv[1]);
                return 1;
        }
        for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
                ret = write_seed(argv[1], seeds[i].name, seeds[i].linktype, seeds[i].nsec,
                                 seeds[i].arp);
                if (ret < 0) {
                        fprintf(stderr, "fuzz_decode_seeds: %s/%s: %s\n", argv[1], seeds[i].name,
                                strerror(-ret));
                        return 1;
                }
        }
        return 0;
}

#endif
