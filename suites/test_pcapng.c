/*
 * The pcapng writer (harness/pcapng.c) against two readers: our own
 * (pcapfile.c, which the timeline, the figures and the wire checks use)
 * and libpcap's, an independent one.  Also the reader on files our writer
 * never makes: big-endian, microsecond and binary-fraction timestamps,
 * and damage (a cut block, an undescribed interface, a bad magic).  The
 * whole chain with tshark is checked in check-lecture.sh.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "framegen.h"
#include "pcapng.h"

TestSuite(pcapng);

#define T0 1700000000123456789ULL

/* One UDP datagram alpha -> beta in an Ethernet frame. */
static size_t frame(uint8_t *buf, size_t cap, const char *text)
{
        struct sc_fg f;
        struct sc_fg_ip ip = {.src = 0x0a000101, .dst = 0x0a000102, .id = 7, .frag = 0x4000,
                              .ttl = 64};

        sc_fg_init(&f, buf, cap);
        sc_fg_ether(&f, "\x02\x5c\x00\x01\x02\x01", "\x02\x5c\x00\x01\x01\x01", 0x0800);
        sc_fg_udp(&f, &ip, 40000, 1060, text, strlen(text));
        cr_assert(!f.overflow);
        return f.len;
}

/* The lab's shape: two links, names, three packets (one dropped). */
static void lab_file(struct sc_png *w)
{
        static const char *const comments[] = {"scenario: unit", "seed: 42"};
        uint32_t addrs[2];
        const char *names[] = {"alpha", "beta"};
        uint8_t buf[256];
        size_t n = frame(buf, sizeof(buf), "This is another message");

        inet_pton(AF_INET, "10.0.1.1", &addrs[0]);
        inet_pton(AF_INET, "10.0.1.2", &addrs[1]);
        sc_png_init(w);
        sc_png_shb(w, comments, 2, "test_pcapng");
        cr_assert_eq(sc_png_idb(w, 1, 262144, "lan/alpha",
                                "segment lan 10.0.1.0/24, port to alpha 10.0.1.1", 9, addrs[0], 24),
                     0);
        cr_assert_eq(sc_png_idb(w, 1, 262144, "lan/beta", "segment lan 10.0.1.0/24, port to beta",
                                9, addrs[1], 24),
                     1);
        sc_png_nrb(w, addrs, names, 2);
        sc_png_epb(w, &(struct sc_png_packet){
                          .ifid = 0, .ts = T0, .caplen = (uint32_t)n, .len = (uint32_t)n,
                          .data = buf, .flags = SC_PNG_OUTBOUND | SC_PNG_UNICAST,
                          .has_packet_id = true, .packet_id = 11,
                          .comment = "dropped by rule 1 (drop first 1) [fate=drop rule=1]"});
        sc_png_epb(w, &(struct sc_png_packet){.ifid = 0, .ts = T0 + 100000000, .caplen = (uint32_t)n,
                                              .len = (uint32_t)n, .data = buf,
                                              .flags = SC_PNG_OUTBOUND, .has_packet_id = true,
                                              .packet_id = 12});
        sc_png_epb(w, &(struct sc_png_packet){.ifid = 1, .ts = T0 + 100200000, .caplen = (uint32_t)n,
                                              .len = (uint32_t)n, .data = buf,
                                              .flags = SC_PNG_INBOUND, .has_packet_id = true,
                                              .packet_id = 12});
        cr_assert(!w->oom);
}

Test(pcapng, our_reader_reads_what_the_writer_wrote, .timeout = 10)
{
        struct sc_png w;
        struct sc_pcap *cap;
        char err[256];

        lab_file(&w);
        cr_assert_eq(sc_pcap_parse(w.buf, w.len, &cap, err, sizeof(err)), 0, "%s", err);
        cr_assert(cap->pcapng);
        cr_assert_str_eq(cap->problem, "");
        cr_assert_str_eq(cap->comments, "scenario: unit\nseed: 42");
        cr_assert_eq(cap->nifs, 2);
        cr_assert_str_eq(cap->ifs[0].name, "lan/alpha");
        cr_assert_str_eq(cap->ifs[0].description, "segment lan 10.0.1.0/24, port to alpha 10.0.1.1");
        cr_assert_eq(cap->ifs[1].tsresol, 9);
        cr_assert_eq(cap->nnames, 2);
        cr_assert_str_eq(cap->names[1].name, "beta");
        cr_assert_eq(cap->names[1].addr, htonl(0x0a000102));
        cr_assert_eq(cap->count, 3);
        cr_assert_eq(cap->pkts[0].ts_ns, T0);
        cr_assert_eq(cap->pkts[2].ts_ns, T0 + 100200000);
        cr_assert_str_eq(cap->pkts[0].comment, "dropped by rule 1 (drop first 1) [fate=drop rule=1]");
        cr_assert_null(cap->pkts[1].comment);
        cr_assert_eq(cap->pkts[0].epb_flags, SC_PNG_OUTBOUND | SC_PNG_UNICAST);
        cr_assert_eq(cap->pkts[2].epb_flags & 3, SC_PNG_INBOUND);
        cr_assert_eq(cap->pkts[2].ifindex, 1);
        cr_assert(cap->pkts[1].has_packet_id && cap->pkts[1].packet_id == 12);
        cr_assert_eq(cap->pkts[2].dport, 1060, "the frame decodes: UDP to 1060");
        cr_assert_eq(cap->pkts[2].payload_len, 23);
        sc_pcap_free(cap);
        sc_png_free(&w);
}

Test(pcapng, libpcap_reads_every_frame_the_writer_wrote, .timeout = 10)
{
        struct sc_png w;
        char path[] = "test_pcapng.XXXXXX", err[PCAP_ERRBUF_SIZE];
        struct pcap_pkthdr *h;
        const u_char *d;
        pcap_t *p;
        int fd, n = 0;

        lab_file(&w);
        /* In the test's own directory (the build tree), removed at once after opening. */
        fd = mkstemp(path);
        cr_assert(fd >= 0);
        close(fd);
        cr_assert_eq(sc_png_save(&w, path), 0);
        p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
        unlink(path);
        cr_assert(p, "libpcap: %s", err);
        cr_assert_eq(pcap_datalink(p), DLT_EN10MB);
        while (pcap_next_ex(p, &h, &d) == 1) {
                cr_assert_eq(h->caplen, 65, "frame %d", n);
                if (n == 0)
                        cr_assert_eq((uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec,
                                     T0);
                n++;
        }
        pcap_close(p);
        sc_png_free(&w);
        cr_assert_eq(n, 3, "libpcap read %d of 3 frames", n);
}

/* Big-endian blocks by hand: what another writer on another machine makes. */
static void be32(uint8_t **p, uint32_t v)
{
        (*p)[0] = (uint8_t)(v >> 24), (*p)[1] = (uint8_t)(v >> 16), (*p)[2] = (uint8_t)(v >> 8),
        (*p)[3] = (uint8_t)v;
        *p += 4;
}

Test(pcapng, reads_big_endian_and_other_resolutions, .timeout = 10)
{
        uint8_t file[512], fr[128], *p = file;
        size_t n = frame(fr, sizeof(fr), "hi"), padded = (n + 3) & ~(size_t)3;
        struct sc_pcap *cap;
        char err[256];

        be32(&p, 0x0A0D0D0A), be32(&p, 28), be32(&p, 0x1A2B3C4D), be32(&p, 0x00010000);
        be32(&p, 0xffffffff), be32(&p, 0xffffffff), be32(&p, 28);
        /* IDB 0: microseconds (no if_tsresol); IDB 1: if_tsresol 0x8a, 1/1024 s. */
        be32(&p, 1), be32(&p, 20), be32(&p, 0x00010000), be32(&p, 65535), be32(&p, 20);
        be32(&p, 1), be32(&p, 28), be32(&p, 0x00010000), be32(&p, 65535);
        be32(&p, 0x00090001), be32(&p, 0x8a000000), be32(&p, 28);
        for (int i = 0; i < 2; i++) {
                uint32_t tot = (uint32_t)(32 + padded);

                be32(&p, 6), be32(&p, tot), be32(&p, (uint32_t)i), be32(&p, 0);
                be32(&p, i ? 2048 : 1500000), be32(&p, (uint32_t)n), be32(&p, (uint32_t)n);
                memset(p, 0, padded);
                memcpy(p, fr, n);
                p += padded;
                be32(&p, tot);
        }
        cr_assert_eq(sc_pcap_parse(file, (size_t)(p - file), &cap, err, sizeof(err)), 0, "%s", err);
        cr_assert_str_eq(cap->problem, "");
        cr_assert_eq(cap->count, 2);
        cr_assert_eq(cap->pkts[0].ts_ns, 1500000000ULL, "1500000 us");
        cr_assert_eq(cap->pkts[1].ts_ns, 2000000000ULL, "2048/1024 s");
        cr_assert_eq(cap->pkts[1].dport, 1060);
        sc_pcap_free(cap);
}

Test(pcapng, damage_keeps_what_was_read_and_says_where, .timeout = 10)
{
        struct sc_png w;
        struct sc_pcap *cap;
        char err[256];

        lab_file(&w);
        /* Cut in the middle of the last packet block. */
        cr_assert_eq(sc_pcap_parse(w.buf, w.len - 10, &cap, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(cap->count, 2);
        cr_assert(strstr(cap->problem, "runs past the end"), "problem: %s", cap->problem);
        sc_pcap_free(cap);
        /* A packet naming interface 5, never described: reading stops there. */
        {
                uint8_t *copy = malloc(w.len);
                size_t last = w.len;
                uint32_t tot;

                cr_assert(copy);
                memcpy(copy, w.buf, w.len);
                memcpy(&tot, copy + w.len - 4, 4); /* little-endian host assumed by the writer */
                last = w.len - tot;
                copy[last + 8] = 5;
                cr_assert_eq(sc_pcap_parse(copy, w.len, &cap, err, sizeof(err)), 0, "%s", err);
                cr_assert_eq(cap->count, 2);
                cr_assert(strstr(cap->problem, "interface 5 was never described"), "problem: %s",
                          cap->problem);
                sc_pcap_free(cap);
                /* A bad byte-order magic is not a pcapng file at all. */
                copy[8] = 0;
                cr_assert_eq(sc_pcap_parse(copy, w.len, &cap, err, sizeof(err)), -EINVAL);
                cr_assert(strstr(err, "byte-order magic"), "error: %s", err);
                free(copy);
        }
        sc_png_free(&w);
}
