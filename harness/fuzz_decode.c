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
 * file flavour, and one pcapng as the lab writes it) into the directory it
 * is given.  See decode.cmake.
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

#include "framegen.h"
#include "pcapng.h"

#include <errno.h>
#include <sys/stat.h>

#define A 0x0a000001u /* 10.0.0.1 */
#define B 0x0a000002u /* 10.0.0.2 */

/* IPv4 as the book's hosts send it: ttl 64, a fixed id. */
static struct sc_fg_ip ip(uint32_t src, uint32_t dst, uint16_t frag)
{
        return (struct sc_fg_ip){.src = src, .dst = dst, .id = 0x1c46, .frag = frag, .ttl = 64};
}

static void udp(struct sc_fg *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
                const char *data)
{
        struct sc_fg_ip h = ip(src, dst, 0x4000);

        sc_fg_udp(f, &h, sp, dp, data, strlen(data));
}

static void tcp(struct sc_fg *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t fl,
                uint32_t seq, uint32_t ack, const char *data)
{
        struct sc_fg_ip h = ip(src, dst, 0x4000);
        struct sc_fg_tcp t = {
            .sport = sp, .dport = dp, .seq = seq, .ack = ack, .flags = fl, .window = 64240};

        if (fl & 0x02)
                t.opts = sc_fg_syn_opts, t.optlen = sizeof(sc_fg_syn_opts);
        sc_fg_tcp(f, &h, &t, data, strlen(data));
}

/* The port-unreachable for the first datagram, quoting its first 28 bytes. */
static void icmp_unreach(struct sc_fg *f)
{
        struct sc_fg_ip h = ip(B, A, 0);
        uint8_t room[64];
        struct sc_fg q;

        sc_fg_init(&q, room, sizeof(room));
        udp(&q, A, 46056, B, 1060, "This is another message");
        sc_fg_icmp(f, &h, 3, 3, q.buf, 28);
}

static void arp(struct sc_fg *f)
{
        sc_fg_put32(f, 0x00010800);
        sc_fg_put32(f, 0x06040001);
        sc_fg_put(f, "\x02\0\0\0\0\x01", 6);
        sc_fg_put32(f, A);
        sc_fg_put(f, "\0\0\0\0\0\0", 6);
        sc_fg_put32(f, B);
}

/* The book's exchanges as bare IP, each in a builder of its own; returns how many. */
static size_t exchanges(struct sc_fg *out, size_t max)
{
        static uint8_t room[10][256];
        size_t i, n = 0;

        if (max < 10)
                return 0;
        for (i = 0; i < 10; i++)
                sc_fg_init(&out[i], room[i], sizeof(room[i]));
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
static void link_header(struct sc_fg *f, int linktype, bool is_arp)
{
        uint16_t type = is_arp ? 0x0806 : 0x0800;

        switch (linktype) {
        case SC_LINK_EN10MB:
                sc_fg_ether(f, "\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01", type);
                break;
        case SC_LINK_LINUX_SLL:
                sc_fg_put(f, "\0\x04\0\x01\0\x06\x02\0\0\0\0\x01\0\0", 14);
                sc_fg_put16(f, type);
                break;
        case SC_LINK_LINUX_SLL2:
                sc_fg_put16(f, type);
                sc_fg_put(f, "\0\0\0\0\0\x02\0\x01\x04\x06\x02\0\0\0\0\x01\0\0", 18);
                break;
        case SC_LINK_NULL:
                sc_fg_put(f, "\x02\0\0\0", 4);
                break;
        default:
                break;
        }
}

/* Writes one seed pcap (little-endian), the ARP request last if asked. */
static int write_seed(const char *dir, const char *name, int linktype, bool nsec, bool with_arp)
{
        static uint8_t file_room[16384], frame_room[2048];
        struct sc_fg dgram[10], file, fr;
        size_t n = exchanges(dgram, 10), i;
        char path[4096];
        FILE *fp;

        sc_fg_init(&file, file_room, sizeof(file_room));
        sc_fg_pcap_header(&file, false, nsec, (uint32_t)linktype, 262144);
        for (i = 0; i < n + with_arp; i++) {
                sc_fg_init(&fr, frame_room, sizeof(frame_room));
                link_header(&fr, linktype, i == n);
                if (i == n)
                        arp(&fr);
                else if (dgram[i].overflow)
                        return -ENOBUFS;
                else
                        sc_fg_put(&fr, dgram[i].buf, dgram[i].len);
                if (fr.overflow)
                        return -ENOBUFS;
                sc_fg_pcap_record(&file, 1700000000, (uint32_t)i * 1000, (uint32_t)fr.len,
                                  (uint32_t)fr.len, fr.buf, fr.len);
        }
        if (file.overflow)
                return -ENOBUFS;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fp = fopen(path, "wb");
        if (!fp)
                return -errno;
        if (fwrite(file.buf, 1, file.len, fp) != file.len) {
                fclose(fp);
                return -EIO;
        }
        return fclose(fp) == 0 ? 0 : -errno;
}

/* A pcapng seed as the lab writes them: two links, names, comments, flags, packet ids. */
static int write_pcapng_seed(const char *dir)
{
        static const char *const comments[] = {"scenario: seed", "seed: 1"};
        static const uint32_t addrs[] = {0x0100000a, 0x0200000a}; /* 10.0.0.1, .2 in network order */
        static const char *const names[] = {"alpha", "beta"};
        static uint8_t frame_room[2048];
        struct sc_fg dgram[10], fr;
        size_t n = exchanges(dgram, 10);
        struct sc_png w;
        char path[4096];
        int ret;

        sc_png_init(&w);
        sc_png_shb(&w, comments, 2, "fuzz_decode_seeds");
        sc_png_idb(&w, SC_LINK_EN10MB, 262144, "lan/alpha", "segment lan 10.0.0.0/24", 9,
                   addrs[0], 24);
        sc_png_idb(&w, SC_LINK_EN10MB, 262144, "lan/beta", "segment lan 10.0.0.0/24", 9,
                   addrs[1], 24);
        sc_png_nrb(&w, addrs, names, 2);
        for (size_t i = 0; i < n; i++) {
                struct sc_png_packet p = {.ifid = (uint32_t)(i & 1),
                                          .ts = 1700000000000000000ULL + i * 1000,
                                          .flags = i & 1 ? SC_PNG_INBOUND : SC_PNG_OUTBOUND,
                                          .has_packet_id = true, .packet_id = i / 2,
                                          .comment = i == 0 ? "dropped by rule 1 (drop first 1) "
                                                              "[fate=drop rule=1]"
                                                            : NULL};

                sc_fg_init(&fr, frame_room, sizeof(frame_room));
                link_header(&fr, SC_LINK_EN10MB, false);
                sc_fg_put(&fr, dgram[i].buf, dgram[i].len);
                if (fr.overflow)
                        return -ENOBUFS;
                p.caplen = p.len = (uint32_t)fr.len;
                p.data = fr.buf;
                sc_png_epb(&w, &p);
        }
        snprintf(path, sizeof(path), "%s/lab.pcapng", dir);
        ret = sc_png_save(&w, path);
        sc_png_free(&w);
        return ret;
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
        ret = write_pcapng_seed(argv[1]);
        if (ret < 0) {
                fprintf(stderr, "fuzz_decode_seeds: %s/lab.pcapng: %s\n", argv[1], strerror(-ret));
                return 1;
        }
        return 0;
}

#endif
