/*
 * The pcapng writer (harness/pcapng.c) against two readers: our own
 * (pcapfile.c, which the timeline, the figures and the wire checks use)
 * and libpcap's, an independent one.  Also the reader on files our writer
 * never makes: big-endian, microsecond and binary-fraction timestamps,
 * and damage (a cut block, an undescribed interface, a bad magic).  Then
 * the lab's capture.pcapng itself: duplicates and reordering told in its
 * comments, and one packet id for a datagram on every link it crossed,
 * routed ones included.  The whole chain with tshark is checked in
 * check-lecture.sh.
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
#include "sct.h"

TestSuite(pcapng, .fini = sct_cleanup);

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

/* ---- the lab's capture.pcapng ---- */

static struct sc_pcap *lab_capture(struct sc_lab *lab)
{
        char path[1200], err[256];
        struct sc_pcap *cap = NULL;

        sct_finish_captures(lab, NULL);
        snprintf(path, sizeof(path), "%s/capture.pcapng", sc_lab_dir(lab));
        cr_assert_eq(sc_pcap_load(path, &cap, err, sizeof(err)), 0, "%s", err);
        return cap;
}

static struct sc_proc *silent(struct sc_lab *lab, int host, const char *name, const char *port)
{
        const char *argv[] = {sct_peer(), "udp", port, "--silent", NULL};

        return sct_server(lab, host, name, IPPROTO_UDP, (uint16_t)atoi(port), argv);
}

Test(pcapng, lab_tells_duplicates_and_reordering, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_pair(1500, true);
        struct sc_rule dup = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP, .port = 7000,
                              .dup_prob = 1.0};
        struct sc_rule reo = {.segment = 0, .from_host = 0, .proto = IPPROTO_UDP, .port = 7001,
                              .reorder_every = 2};
        const char *d_argv[] = {sct_peer(), "send", "10.0.1.2", "7000", "--count", "1", NULL};
        const char *r_argv[] = {sct_peer(), "send", "10.0.1.2", "7001", "--count", "2",
                                "--interval", "20", NULL};
        struct sc_proc *rx;
        struct sc_pcap *cap;
        size_t dups = 0, dup_of = 0, held = 0, reordered = 0, first_in = 0;

        SCT_OK(sc_lab_impair(lab, &dup));
        SCT_OK(sc_lab_impair(lab, &reo));
        SCT_OK(sc_lab_start(lab));
        rx = silent(lab, 1, "rx", "7000");
        silent(lab, 1, "rx-reorder", "7001");
        sct_expect_exit(sct_run(lab, 0, "tx-dup", NULL, d_argv), 0, 5);
        sct_expect_exit(sct_run(lab, 0, "tx-reorder", NULL, r_argv), 0, 5);
        cr_assert(sct_peer_wait(rx, "recv", 2, 2.0), "the duplicate did not arrive (%s)",
                  sct_evidence(lab));
        sc_nap(0.3); /* a held frame waits for the next one, at most 200 ms */
        cap = lab_capture(lab);
        for (size_t i = 0; i < cap->count; i++) {
                const struct sc_packet *p = &cap->pkts[i];
                const char *c = p->comment ? p->comment : "";

                if (p->dport == 7000 && (p->epb_flags & 3) == SC_PNG_INBOUND && !first_in &&
                    !strstr(c, "duplicate of"))
                        first_in = i + 1;
                dups += strstr(c, "duplicated by rule 1 [fate=duplicate rule=1]") != NULL;
                if (strstr(c, "duplicate of frame ")) {
                        dup_of = (size_t)atoi(strstr(c, "duplicate of frame ") + 19);
                        cr_assert_eq(p->packet_id, cap->pkts[dup_of - 1].packet_id,
                                     "a duplicate and its original have one packet id");
                }
                held += strstr(c, "held behind the next packet by rule 2 [fate=reorder rule=2]") != NULL;
                reordered += strstr(c, "reordered by rule 2 (sent as frame ") != NULL;
        }
        cr_assert_eq(dups, 1, "one frame duplicated by rule 1, comments say %zu (%s)", dups,
                     sct_evidence(lab));
        cr_assert(first_in && dup_of == first_in,
                  "the second copy names the first delivered one (frame %zu), it says %zu (%s)",
                  first_in, dup_of, sct_evidence(lab));
        cr_assert_eq(held, 1, "one frame held by rule 2, comments say %zu (%s)", held,
                     sct_evidence(lab));
        cr_assert_eq(reordered, 1, "its delivery says it was reordered: %zu (%s)", reordered,
                     sct_evidence(lab));
        sc_pcap_free(cap);
}

Test(pcapng, one_packet_id_across_a_router, .timeout = 20)
{
        struct sc_lab *lab = sct_lab_routed(true);
        const char *argv[] = {sct_peer(), "send", "10.0.2.4", "7000", "--count", "2", NULL};
        struct sc_proc *rx;
        struct sc_pcap *cap;
        uint64_t id[2] = {0, 0};
        int seen[2][4] = {{0}}; /* per datagram: left/sender out, left/router in, right/router out, right/h4 in */

        SCT_OK(sc_lab_start(lab));
        rx = silent(lab, SCT_H4, "rx", "7000");
        sct_expect_exit(sct_run(lab, SCT_SENDER, "tx", NULL, argv), 0, 5);
        cr_assert(sct_peer_wait(rx, "recv", 2, 2.0), "h4 heard nothing (%s)", sct_evidence(lab));
        cap = lab_capture(lab);
        for (size_t i = 0; i < cap->count; i++) {
                const struct sc_packet *p = &cap->pkts[i];
                const char *ifn = cap->ifs[p->ifindex].name;
                int d, where = -1;

                if (p->dport != 7000)
                        continue;
                d = p->payload_caplen && p->payload[0] == '2';
                if (!strcmp(ifn, "left/sender") && (p->epb_flags & 3) == SC_PNG_OUTBOUND)
                        where = 0, id[d] = p->packet_id;
                else if (!strcmp(ifn, "left/router") && (p->epb_flags & 3) == SC_PNG_INBOUND)
                        where = 1;
                else if (!strcmp(ifn, "right/router") && (p->epb_flags & 3) == SC_PNG_OUTBOUND)
                        where = 2;
                else if (!strcmp(ifn, "right/h4") && (p->epb_flags & 3) == SC_PNG_INBOUND)
                        where = 3;
                cr_assert(where >= 0, "datagram %d on %s, direction %u: not on its path (%s)", d + 1,
                          ifn, p->epb_flags & 3, sct_evidence(lab));
                cr_assert(p->has_packet_id, "frame %zu has no packet id", i + 1);
                if (where > 0)
                        cr_assert_eq(p->packet_id, id[d],
                                     "datagram %d on %s has id %llu, on left/sender %llu (%s)",
                                     d + 1, ifn, (unsigned long long)p->packet_id,
                                     (unsigned long long)id[d], sct_evidence(lab));
                seen[d][where]++;
        }
        for (int d = 0; d < 2; d++)
                for (int w = 0; w < 4; w++)
                        cr_assert_eq(seen[d][w], 1, "datagram %d seen %d times at hop %d (%s)", d + 1,
                                     seen[d][w], w, sct_evidence(lab));
        cr_assert_neq(id[0], id[1], "two datagrams, two ids");
        sc_pcap_free(cap);
}
