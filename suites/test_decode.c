/*
 * Unit tests for harness/decode.c and harness/pcapfile.c: the header
 * parsers on hand-written frames (hex bytes, each annotated with what it
 * decodes to, checksums correct, cross-checked with tshark), the pcap reader
 * on files built in memory in both byte orders and both time precisions,
 * every kind of damaged file, the timeline, the canonical form and its diff.
 * A damaged input must give a clean error or a note, never a crash: the
 * sanitizer build and fuzz_decode check the "never" part harder.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "framegen.h"

/* ---- helpers ---- */

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Hex digits to bytes; spaces are ignored so frames can be laid out by header. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
        size_t n = 0;
        int v;

        for (; *hex; hex++) {
                if (*hex == ' ')
                        continue;
                v = hexval(*hex);
                cr_assert(v >= 0, "bad hex digit '%c'", *hex);
                cr_assert(n / 2 < cap, "hex longer than %zu bytes", cap);
                if (n % 2 == 0)
                        out[n / 2] = (uint8_t)(v << 4);
                else
                        out[n / 2] |= (uint8_t)v;
                n++;
        }
        cr_assert(n % 2 == 0, "odd number of hex digits");
        return n / 2;
}

static uint32_t ip4(const char *s)
{
        return inet_addr(s);
}

/* A frame of the tables below, decoded as Ethernet, with nothing wrong expected. */
static void decode_hex(const char *hex, struct sc_packet *p, uint8_t *buf, size_t cap)
{
        size_t n = unhex(hex, buf, cap);

        cr_assert_eq(sc_decode_frame(SC_LINK_EN10MB, buf, (uint32_t)n, (uint32_t)n, p), 0);
}

/* ---- annotated frames (10.0.0.1 = client, 10.0.0.2 = server) ---- */

/* udp_remote's request: 'This is another message' to port 1060, DF set. */
static const char udp_hex[] =
    /* Ethernet II: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800 IPv4 */
    "020000000002 020000000001 0800"
    /* IPv4: version 4 IHL 5, tos 0, total length 51, id 0x1c46, flags DF offset 0,
     * ttl 64, proto 17 UDP, checksum 0x0a72, 10.0.0.1 > 10.0.0.2 */
    "45 00 0033 1c46 4000 40 11 0a72 0a000001 0a000002"
    /* UDP: 46056 > 1060, length 31, checksum 0 (not computed) */
    "b3e8 0424 001f 0000"
    /* 'This is another message' (23 bytes) */
    "5468697320697320616e6f74686572206d657373616765";

/* tsTclnt's SYN to 21567 with Linux's usual options. */
static const char syn_hex[] =
    /* Ethernet II: 02:..:01 > 02:..:02, IPv4 */
    "020000000002 020000000001 0800"
    /* IPv4: IHL 5, total 60, id 0x1c46, DF, ttl 64, TCP, checksum 0x0a74, 10.0.0.1 > 10.0.0.2 */
    "45 00 003c 1c46 4000 40 06 0a74 0a000001 0a000002"
    /* TCP: 54176 > 21567, seq 0x11223344, ack 0, data offset 10 (40 bytes), flags SYN,
     * window 64240, checksum 0, urgent 0 */
    "d3a0 543f 11223344 00000000 a0 02 faf0 0000 0000"
    /* options: mss 1460; sackOK; TS val 1000 ecr 0; nop; wscale 7 */
    "020405b4 0402 080a000003e800000000 01 030307";

/* The server's FIN|ACK: a 54-byte frame padded to Ethernet's 60-byte minimum. */
static const char finack_hex[] =
    "020000000002 020000000001 0800"
    /* IPv4: total 40, id 0x1c46, DF, ttl 64, TCP, checksum 0x0a88, 10.0.0.2 > 10.0.0.1 */
    "45 00 0028 1c46 4000 40 06 0a88 0a000002 0a000001"
    /* TCP: 21567 > 54176, seq 0xa0000000, ack 0x11223350, offset 5, flags FIN|ACK,
     * window 502 */
    "543f d3a0 a0000000 11223350 50 11 01f6 0000 0000"
    /* Ethernet padding: not part of the IP datagram */
    "000000000000";

/* The server host's answer to a datagram for a closed port, quoting udp_hex's datagram. */
static const char icmp_hex[] =
    "020000000002 020000000001 0800"
    /* IPv4: total 56, id 1, no flags, ttl 64, ICMP, checksum 0x66c2, 10.0.0.2 > 10.0.0.1 */
    "45 00 0038 0001 0000 40 01 66c2 0a000002 0a000001"
    /* ICMP: type 3 destination unreachable, code 3 port unreachable, checksum 0, unused */
    "03 03 0000 00000000"
    /* quoted IPv4 header: total 51, id 0x1c46, DF, UDP, 10.0.0.1 > 10.0.0.2 */
    "45 00 0033 1c46 4000 40 11 0a72 0a000001 0a000002"
    /* quoted first 8 bytes: UDP 46056 > 1060, length 31 */
    "b3e8 0424 001f 0000";

/* An IPv4 header with options: IHL 6, a Router Alert option (RFC 2113). */
static const char ipopt_hex[] =
    "020000000002 020000000001 0800"
    /* IPv4: IHL 6 (24 bytes), total 34, id 0x1c46, DF, ttl 64, UDP, checksum 0x757e */
    "46 00 0022 1c46 4000 40 11 757e 0a000001 0a000002"
    /* option 0x94 Router Alert, length 4, value 0 */
    "94 04 0000"
    /* UDP: 46056 > 1060, length 10; 'hi' */
    "b3e8 0424 000a 0000 6869"
    /* Ethernet padding */
    "0000000000000000000000000000";

/* A 48-byte UDP datagram in two fragments: 32 data bytes, then 16 at offset 32. */
static const char frag1_hex[] =
    "020000000002 020000000001 0800"
    /* IPv4: total 52, id 0x0100, flags MF offset 0, ttl 64, UDP, checksum 0x45b7 */
    "45 00 0034 0100 2000 40 11 45b7 0a000001 0a000002"
    /* UDP: 40000 > 1060, length 48 (the whole datagram) */
    "9c40 0424 0030 0000"
    /* 24 x 'A' */
    "414141414141414141414141414141414141414141414141";
static const char frag2_hex[] =
    "020000000002 020000000001 0800"
    /* IPv4: total 36, id 0x0100, no MF, offset 4 (32 bytes), ttl 64, UDP, checksum 0x65c3 */
    "45 00 0024 0100 0004 40 11 65c3 0a000001 0a000002"
    /* 16 x 'B': the datagram's bytes 32..47, no UDP header */
    "42424242424242424242424242424242"
    /* Ethernet padding */
    "00000000000000000000";

/* ARP request, broadcast: who has 10.0.0.2? tell 10.0.0.1. */
static const char arp_hex[] =
    /* Ethernet II: ff:ff:ff:ff:ff:ff < 02:..:01, type 0x0806 ARP */
    "ffffffffffff 020000000001 0806"
    /* ARP: hardware 1 Ethernet, protocol 0x0800, lengths 6 and 4, opcode 1 request */
    "0001 0800 06 04 0001"
    /* sender 02:00:00:00:00:01 10.0.0.1, target 00:00:00:00:00:00 10.0.0.2 */
    "020000000001 0a000001 000000000000 0a000002"
    /* Ethernet padding */
    "000000000000000000000000000000000000";

static const char *const all_frames[] = {udp_hex,   syn_hex,   finack_hex, icmp_hex,
                                         ipopt_hex, frag1_hex, frag2_hex,  arp_hex};
#define NFRAMES (sizeof(all_frames) / sizeof(all_frames[0]))

/* ---- header parsers ---- */

Test(decode, udp_datagram, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(udp_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert_eq(p.l3, SC_L3_IPV4);
        cr_assert_eq(p.l4, 17);
        cr_assert_eq(p.ip_src, ip4("10.0.0.1"));
        cr_assert_eq(p.ip_dst, ip4("10.0.0.2"));
        cr_assert_eq(p.ip_totlen, 51);
        cr_assert_eq(p.ip_id, 0x1c46);
        cr_assert_eq(p.ttl, 64);
        cr_assert(p.df && !p.mf && !p.ip_csum_bad, "DF only, checksum good");
        cr_assert_eq(p.sport, 46056);
        cr_assert_eq(p.dport, 1060);
        cr_assert_eq(p.udp_len, 31);
        cr_assert_eq(p.payload_len, 23);
        cr_assert_eq(p.payload_caplen, 23);
        cr_assert(memcmp(p.payload, "This is another message", 23) == 0, "payload");
        cr_assert(!p.truncated, "not truncated");
}

Test(decode, tcp_syn_with_options, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(syn_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert_eq(p.l4, 6);
        cr_assert_eq(p.sport, 54176);
        cr_assert_eq(p.dport, 21567);
        cr_assert_eq(p.seq, 0x11223344u);
        cr_assert_eq(p.tcp_flags, 0x02);
        cr_assert_eq(p.tcp_hlen, 40);
        cr_assert_eq(p.tcp_optlen, 20);
        cr_assert_eq(p.window, 64240);
        cr_assert_eq(p.payload_len, 0);
}

Test(decode, tcp_finack_ignores_ethernet_padding, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(finack_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert_eq(p.caplen, 60);
        cr_assert_eq(p.tcp_flags, 0x11);
        cr_assert_eq(p.seq, 0xa0000000u);
        cr_assert_eq(p.ack, 0x11223350u);
        cr_assert_eq(p.window, 502);
        cr_assert_eq(p.payload_len, 0, "the 6 padding bytes are not TCP data");
}

Test(decode, icmp_port_unreachable_quotes_ports, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(icmp_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert_eq(p.l4, 1);
        cr_assert_eq(p.icmp_type, 3);
        cr_assert_eq(p.icmp_code, 3);
        cr_assert_eq(p.quote, 2);
        cr_assert_eq(p.q_proto, 17);
        cr_assert_eq(p.q_src, ip4("10.0.0.1"));
        cr_assert_eq(p.q_dst, ip4("10.0.0.2"));
        cr_assert_eq(p.q_sport, 46056);
        cr_assert_eq(p.q_dport, 1060);
        cr_assert_eq(p.q_totlen, 51);
}

Test(decode, ipv4_options_skipped_by_ihl, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(ipopt_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert_eq(p.ip_hlen, 24);
        cr_assert_eq(p.sport, 46056);
        cr_assert_eq(p.payload_len, 2);
        cr_assert(memcmp(p.payload, "hi", 2) == 0, "payload after the options");
}

Test(decode, fragments, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(frag1_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "", "a first fragment's short UDP length is not a problem");
        cr_assert(p.mf, "MF");
        cr_assert_eq(p.frag_off, 0);
        cr_assert_eq(p.l4, 17);
        cr_assert_eq(p.dport, 1060);
        cr_assert_eq(p.udp_len, 48);
        cr_assert_eq(p.payload_len, 24);

        decode_hex(frag2_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert(!p.mf, "last fragment");
        cr_assert_eq(p.frag_off, 32);
        cr_assert_eq(p.proto, 17);
        cr_assert_eq(p.l4, 0, "a later fragment has no UDP header");
        cr_assert_eq(p.payload_len, 16);
        cr_assert_eq(p.payload[0], 'B');
}

Test(decode, arp_request, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;

        decode_hex(arp_hex, &p, buf, sizeof(buf));
        cr_assert_str_eq(p.problem, "");
        cr_assert_eq(p.l3, SC_L3_ARP);
        cr_assert(p.arp_ipv4, "Ethernet/IPv4 ARP");
        cr_assert_eq(p.arp_op, 1);
        cr_assert_eq(p.arp_spa, ip4("10.0.0.1"));
        cr_assert_eq(p.arp_tpa, ip4("10.0.0.2"));
        cr_assert_eq(p.arp_sha[5], 1);
}

/* Every prefix of every frame: a note when a header is cut, never a crash or a read past. */
Test(decode, every_truncation_is_noted, .timeout = 20)
{
        uint8_t buf[128];
        struct sc_packet p;
        size_t f, n, cut;

        for (f = 0; f < NFRAMES; f++) {
                n = unhex(all_frames[f], buf, sizeof(buf));
                for (cut = 0; cut < n; cut++) {
                        /* A private copy of exactly cut bytes, so ASan sees any over-read. */
                        uint8_t *copy = malloc(cut ? cut : 1);

                        memcpy(copy, buf, cut);
                        cr_assert_eq(
                            sc_decode_frame(SC_LINK_EN10MB, copy, (uint32_t)cut, (uint32_t)n, &p),
                            0);
                        if (cut < 34) /* inside Ethernet + the smallest IPv4/ARP header */
                                cr_assert(p.truncated && p.problem[0],
                                          "frame %zu cut at %zu: truncated with a note, got '%s'",
                                          f, cut, p.problem);
                        free(copy);
                }
        }
}

Test(decode, malformed_headers_are_noted, .timeout = 10)
{
        uint8_t buf[128];
        struct sc_packet p;
        size_t n;

        /* IHL 4: a header shorter than the fixed 20 bytes */
        n = unhex(udp_hex, buf, sizeof(buf));
        buf[14] = 0x44;
        sc_decode_frame(SC_LINK_EN10MB, buf, (uint32_t)n, (uint32_t)n, &p);
        cr_assert(strstr(p.problem, "IPv4 header length 16 < 20"), "got '%s'", p.problem);

        /* UDP length 200 in a 31-byte datagram */
        n = unhex(udp_hex, buf, sizeof(buf));
        buf[38] = 0;
        buf[39] = 200;
        sc_decode_frame(SC_LINK_EN10MB, buf, (uint32_t)n, (uint32_t)n, &p);
        cr_assert(strstr(p.problem, "UDP length 200 but 31 bytes"), "got '%s'", p.problem);

        /* IP total length 300 in a 65-byte frame */
        n = unhex(udp_hex, buf, sizeof(buf));
        buf[16] = 0x01;
        buf[17] = 0x2c;
        sc_decode_frame(SC_LINK_EN10MB, buf, (uint32_t)n, (uint32_t)n, &p);
        cr_assert(strstr(p.problem, "total length 300 > 51 bytes"), "got '%s'", p.problem);
        cr_assert(p.ip_csum_bad, "the header changed, the checksum did not");

        /* TCP data offset 15 (60 bytes) in a 40-byte segment */
        n = unhex(syn_hex, buf, sizeof(buf));
        buf[46] = 0xf0;
        sc_decode_frame(SC_LINK_EN10MB, buf, (uint32_t)n, (uint32_t)n, &p);
        cr_assert(strstr(p.problem, "TCP data offset 60 > 40"), "got '%s'", p.problem);

        /* caplen > wirelen */
        n = unhex(udp_hex, buf, sizeof(buf));
        sc_decode_frame(SC_LINK_EN10MB, buf, (uint32_t)n, 20, &p);
        cr_assert(strstr(p.problem, "caplen 65 > wirelen 20"), "got '%s'", p.problem);
        cr_assert_eq(p.payload_len, 23, "the bytes are there: still decoded");

        /* Captured with a snaplen of 50: the payload is cut, not malformed */
        n = unhex(udp_hex, buf, sizeof(buf));
        sc_decode_frame(SC_LINK_EN10MB, buf, 50, (uint32_t)n, &p);
        cr_assert(p.truncated, "truncated");
        cr_assert_eq(p.payload_len, 23);
        cr_assert_eq(p.payload_caplen, 8);

        cr_assert_eq(sc_decode_frame(9999, buf, 10, 10, &p), -EINVAL);
}

/* The same IPv4 datagram behind every link header we read. */
Test(decode, link_types, .timeout = 10)
{
        static const struct {
                int linktype;
                const char *hdr;
        } links[] = {
            /* Linux cooked v1: packet type 4 outgoing, ARPHRD 1, addr len 6, addr, IPv4 */
            {SC_LINK_LINUX_SLL, "0004 0001 0006 020000000001 0000 0800"},
            /* Linux cooked v2: IPv4, reserved, ifindex 2, ARPHRD 1, outgoing, len 6, addr */
            {SC_LINK_LINUX_SLL2, "0800 0000 00000002 0001 04 06 020000000001 0000"},
            /* BSD loopback, AF_INET (2) written little-endian, then big-endian */
            {SC_LINK_NULL, "02000000"},
            {SC_LINK_NULL, "00000002"},
            /* OpenBSD loopback: network order */
            {SC_LINK_LOOP, "00000002"},
            /* bare IP */
            {SC_LINK_RAW, ""},
            /* Ethernet with an 802.1Q tag (VLAN 5) */
            {SC_LINK_EN10MB, "020000000002 020000000001 8100 0005 0800"},
            /* IEEE 802.3 length 51 + 8, LLC AA AA 03, SNAP OUI 0, type IPv4 (RFC 1042) */
            {SC_LINK_EN10MB, "020000000002 020000000001 003b aaaa03 000000 0800"},
        };
        uint8_t ipbuf[128], frame[256];
        struct sc_packet p;
        size_t i, nip, nhdr;

        /* the IPv4 datagram of udp_hex, without its Ethernet header */
        nip = unhex(udp_hex, ipbuf, sizeof(ipbuf)) - 14;
        memmove(ipbuf, ipbuf + 14, nip);
        for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
                nhdr = unhex(links[i].hdr, frame, sizeof(frame));
                memcpy(frame + nhdr, ipbuf, nip);
                cr_assert_eq(sc_decode_frame(links[i].linktype, frame, (uint32_t)(nhdr + nip),
                                             (uint32_t)(nhdr + nip), &p),
                             0);
                cr_assert_str_eq(p.problem, "", "link %zu", i);
                cr_assert_eq(p.dport, 1060, "link %zu", i);
                cr_assert_eq(p.payload_len, 23, "link %zu", i);
        }
}

/* ---- pcap files built in memory ---- */

/* Room for the biggest pcap built here: a 65000-byte datagram and a few more frames. */
#define PCAP_ROOM (128 * 1024)

/* Starts a pcap file in a fresh buffer of PCAP_ROOM bytes (free(b->buf) when done). */
static void pb_header(struct sc_fg *b, bool be, bool nsec, uint32_t linktype, uint32_t snaplen)
{
        uint8_t *room = malloc(PCAP_ROOM);

        cr_assert(room, "out of memory");
        sc_fg_init(b, room, PCAP_ROOM);
        sc_fg_pcap_header(b, be, nsec, linktype, snaplen);
}

/* A pcap of all_frames, 1 ms apart from t = 1700000000.5 s. */
static void pb_all_frames(struct sc_fg *b, bool be, bool nsec)
{
        uint8_t frame[128];
        size_t i, n;

        pb_header(b, be, nsec, SC_LINK_EN10MB, 65535);
        for (i = 0; i < NFRAMES; i++) {
                n = unhex(all_frames[i], frame, sizeof(frame));
                sc_fg_pcap_record(b, 1700000000, nsec ? 500000000 + i * 1000000 : 500000 + i * 1000,
                                  (uint32_t)n, (uint32_t)n, frame, n);
        }
}

static struct sc_pcap *parse_ok(const struct sc_fg *b)
{
        struct sc_pcap *cap = NULL;
        char err[256] = "";

        cr_assert(!b->overflow, "pcap over %zu bytes", b->cap);
        cr_assert_eq(sc_pcap_parse(b->buf, b->len, &cap, err, sizeof(err)), 0, "parse: %s", err);
        return cap;
}

/* -EINVAL and an error message containing want. */
static void parse_fails(const uint8_t *p, size_t n, const char *want)
{
        struct sc_pcap *cap = (struct sc_pcap *)1;
        char err[256] = "";

        cr_assert_eq(sc_pcap_parse(p, n, &cap, err, sizeof(err)), -EINVAL, "for '%s'", want);
        cr_assert_null(cap);
        cr_assert(strstr(err, want), "error '%s' should say '%s'", err, want);
}

Test(decode, pcap_both_byte_orders_and_precisions, .timeout = 10)
{
        static const struct {
                bool be, nsec;
        } variants[] = {{false, false}, {true, false}, {false, true}, {true, true}};
        struct sc_fg b;
        size_t v, i;

        for (v = 0; v < 4; v++) {
                pb_all_frames(&b, variants[v].be, variants[v].nsec);
                struct sc_pcap *cap = parse_ok(&b);

                cr_assert_str_eq(cap->problem, "", "variant %zu", v);
                cr_assert_eq(cap->count, NFRAMES, "variant %zu", v);
                cr_assert_eq(cap->linktype, SC_LINK_EN10MB);
                cr_assert_eq(cap->nsec, variants[v].nsec, "variant %zu", v);
                cr_assert_eq(cap->snaplen, 65535);
                for (i = 0; i < NFRAMES; i++) {
                        cr_assert_eq(cap->pkts[i].ts_ns, 1700000000500000000ull + i * 1000000ull,
                                     "variant %zu pkt %zu", v, i);
                        cr_assert_str_eq(cap->pkts[i].problem, "", "variant %zu pkt %zu", v, i);
                }
                cr_assert_eq(cap->pkts[0].dport, 1060);
                cr_assert_eq(cap->pkts[3].q_sport, 46056);
                sc_pcap_free(cap);
                free(b.buf);
        }
}

Test(decode, pcap_bad_headers, .timeout = 10)
{
        struct sc_fg b;

        parse_fails((const uint8_t *)"", 0, "too short");
        parse_fails((const uint8_t *)"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8, "header truncated");
        parse_fails((const uint8_t *)"GIF89a..........................", 32, "not a pcap file");
        parse_fails((const uint8_t *)"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a", 12,
                    "pcapng");

        pb_header(&b, false, false, 147, 65535); /* LINKTYPE_USER0 */
        parse_fails(b.buf, b.len, "unsupported link type 147");
        free(b.buf);

        pb_header(&b, true, false, 1, 65535);
        b.buf[5] = 3; /* version 3.4 */
        parse_fails(b.buf, b.len, "unsupported pcap version 3.4");
        free(b.buf);
}

Test(decode, pcap_empty_capture, .timeout = 10)
{
        struct sc_fg b;
        struct sc_pcap *cap;

        pb_header(&b, false, true, SC_LINK_LINUX_SLL, 262144);
        cap = parse_ok(&b);
        cr_assert_eq(cap->count, 0);
        cr_assert_str_eq(cap->problem, "");
        cr_assert_eq(cap->linktype, SC_LINK_LINUX_SLL);
        sc_pcap_free(cap);
        free(b.buf);
}

Test(decode, pcap_truncated_records, .timeout = 10)
{
        uint8_t frame[128];
        struct sc_fg b;
        struct sc_pcap *cap;
        size_t n = unhex(udp_hex, frame, sizeof(frame));

        /* The second record claims 65 bytes; the file ends after 30. */
        pb_header(&b, false, false, SC_LINK_EN10MB, 65535);
        sc_fg_pcap_record(&b, 1, 0, (uint32_t)n, (uint32_t)n, frame, n);
        sc_fg_pcap_record(&b, 1, 5, (uint32_t)n, (uint32_t)n, frame, 30);
        cap = parse_ok(&b);
        cr_assert_eq(cap->count, 2);
        cr_assert(strstr(cap->problem, "record 2 truncated: file ends after 30 of 65 bytes"),
                  "got '%s'", cap->problem);
        cr_assert(cap->pkts[1].truncated, "the partial record is kept and marked");
        cr_assert(strstr(cap->pkts[1].problem, "record truncated"), "got '%s'",
                  cap->pkts[1].problem);
        sc_pcap_free(cap);

        /* A record header cut after 8 of its 16 bytes. */
        b.len -= 30 + 8;
        cap = parse_ok(&b);
        cr_assert_eq(cap->count, 1);
        cr_assert(strstr(cap->problem, "record 2: header truncated (8 of 16"), "got '%s'",
                  cap->problem);
        sc_pcap_free(cap);
        free(b.buf);
}

Test(decode, pcap_lying_lengths, .timeout = 10)
{
        uint8_t frame[128];
        struct sc_fg b;
        struct sc_pcap *cap;
        size_t n = unhex(udp_hex, frame, sizeof(frame));

        pb_header(&b, true, false, SC_LINK_EN10MB, 60);
        sc_fg_pcap_record(&b, 1, 0, (uint32_t)n, 20, frame, n);          /* caplen > wirelen */
        sc_fg_pcap_record(&b, 1, 1, (uint32_t)n, (uint32_t)n, frame, n); /* caplen > snaplen */
        sc_fg_pcap_record(&b, 1, 2000000, 0, 0, frame, 0);               /* usec fraction >= 1 s */
        sc_fg_pcap_record(&b, 1, 3, 0x7fffffff, 0x7fffffff, frame, n);   /* absurd caplen */
        sc_fg_pcap_record(&b, 1, 4, (uint32_t)n, (uint32_t)n, frame, n); /* never reached */
        cap = parse_ok(&b);
        cr_assert_eq(cap->count, 3);
        cr_assert(strstr(cap->pkts[0].problem, "caplen 65 > wirelen 20"), "got '%s'",
                  cap->pkts[0].problem);
        cr_assert(strstr(cap->pkts[1].problem, "caplen 65 > snaplen 60"), "got '%s'",
                  cap->pkts[1].problem);
        cr_assert(strstr(cap->pkts[2].problem, "timestamp fraction 2000000 out of range"),
                  "got '%s'", cap->pkts[2].problem);
        cr_assert(strstr(cap->problem, "record 4: captured length 2147483647 is absurd"),
                  "got '%s'", cap->problem);
        sc_pcap_free(cap);
        free(b.buf);
}

/* Random bytes behind a good header and on their own: errors or notes, never a crash. */
Test(decode, pcap_garbage, .timeout = 30)
{
        static const uint32_t linktypes[] = {0, 1, 101, 108, 113, 276};
        uint8_t junk[600];
        struct sc_fg b;
        struct sc_pcap *cap;
        char err[256], *text;
        unsigned seed = 12345, round;
        size_t i;

        for (round = 0; round < 3000; round++) {
                for (i = 0; i < sizeof(junk); i++)
                        junk[i] = (uint8_t)rand_r(&seed);
                pb_header(&b, round & 1, round & 2, linktypes[round % 6], 65535);
                /* a plausible record header, so the junk reaches the decoders */
                sc_fg_pcap_record(&b, 1, 0, round % 200, round % 300, junk, round % 220);
                sc_fg_put(&b, junk + 220, round % 380);
                cr_assert(!b.overflow, "round %u: pcap over %zu bytes", round, b.cap);
                if (sc_pcap_parse(b.buf, b.len, &cap, err, sizeof(err)) == 0) {
                        FILE *devnull = fopen("/dev/null", "w");

                        cr_assert_eq(sc_timeline_write(devnull, cap, NULL), 0);
                        fclose(devnull);
                        cr_assert_eq(sc_canon_text(cap, NULL, 0, &text), 0);
                        free(text);
                        sc_pcap_free(cap);
                }
                free(b.buf);
                if (sc_pcap_parse(junk, round % sizeof(junk), &cap, err, sizeof(err)) == 0)
                        sc_pcap_free(cap);
        }
}

Test(decode, pcap_load_missing_file, .timeout = 10)
{
        struct sc_pcap *cap;
        char err[256];

        cr_assert_eq(sc_pcap_load("/nonexistent/x.pcap", &cap, err, sizeof(err)), -ENOENT);
        cr_assert(strstr(err, "/nonexistent/x.pcap: No such file"), "got '%s'", err);
}

/* ---- timeline ---- */

static char *timeline_of(const struct sc_pcap *cap, const char *fates)
{
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);

        cr_assert(mem, "open_memstream");
        cr_assert_eq(sc_timeline_write(mem, cap, fates), 0);
        fclose(mem);
        return text;
}

static void assert_has(const char *text, const char *want)
{
        cr_assert(strstr(text, want), "expected the line\n  %s\nin\n%s", want, text);
}

Test(decode, timeline_lines, .timeout = 10)
{
        struct sc_fg b;
        struct sc_pcap *cap;
        char *t;

        pb_all_frames(&b, false, true);
        cap = parse_ok(&b);
        t = timeline_of(cap, NULL);
        assert_has(t, "# 8 packets, link type EN10MB (1), nanosecond timestamps, snaplen 65535\n");
        assert_has(t, "  1 0.000000 10.0.0.1:46056 > 10.0.0.2:1060 UDP DF iplen 51 len 23 "
                      "'This is another message'\n");
        assert_has(t, "  2 0.001000 10.0.0.1:54176 > 10.0.0.2:21567 TCP [S] DF iplen 60 seq 0 "
                      "win 64240 options [mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7] len 0\n");
        /* no SYN seen from the server: its numbers count from one before its first */
        assert_has(t, "  3 0.002000 10.0.0.2:21567 > 10.0.0.1:54176 TCP [F.] DF iplen 40 seq 1 "
                      "ack 12 win 502 len 0\n");
        assert_has(t, "  4 0.003000 10.0.0.2 > 10.0.0.1 ICMP port unreachable iplen 56 for UDP "
                      "10.0.0.1:46056 > 10.0.0.2:1060 iplen 51\n");
        assert_has(t, "  6 0.005000 10.0.0.1:40000 > 10.0.0.2:1060 UDP MF id 0x0100 iplen 52 "
                      "first fragment udplen 48 len 24 'AAAAAAAAAAAAAAAAAAAAAAAA'\n");
        assert_has(t, "  7 0.006000 10.0.0.1 > 10.0.0.2 UDP fragment offset 32 id 0x0100 iplen 36 "
                      "len 16 'BBBBBBBBBBBBBBBB'\n");
        assert_has(t, "  8 0.007000 ARP who-has 10.0.0.2 tell 10.0.0.1\n");
        free(t);
        sc_pcap_free(cap);
        free(b.buf);
}

Test(decode, timeline_problems_and_escapes, .timeout = 10)
{
        uint8_t frame[128];
        struct sc_fg b;
        struct sc_pcap *cap;
        size_t n = unhex(udp_hex, frame, sizeof(frame));
        char *t;

        pb_header(&b, false, false, SC_LINK_EN10MB, 65535);
        sc_fg_pcap_record(&b, 10, 0, 20, 20, frame, 20); /* cut inside the IPv4 header */
        memcpy(frame + 42, "a'b\\c\r\n\x01\x7f\xff", 10);
        sc_fg_pcap_record(&b, 10, 1, (uint32_t)n, (uint32_t)n, frame, n);
        /* earlier than the first */
        sc_fg_pcap_record(&b, 9, 999999, (uint32_t)n, (uint32_t)n, frame, n);
        cap = parse_ok(&b);
        t = timeline_of(cap, NULL);
        assert_has(t, "  1 0.000000 IPv4 !! IPv4 header truncated: 6 of 20 bytes\n");
        assert_has(t, "len 23 'a\\'b\\\\c\\r\\n\\x01\\x7f\\xffother message'\n");
        assert_has(t, "  3 -0.000001 10.0.0.1:46056");
        free(t);
        sc_pcap_free(cap);
        free(b.buf);
}

Test(decode, timeline_fates, .timeout = 10)
{
        char path[] = "/tmp/sc-decode-fates-XXXXXX";
        struct sc_fg b;
        struct sc_pcap *cap;
        FILE *fp;
        char *t;
        int fd;

        pb_all_frames(&b, false, false);
        cap = parse_ok(&b);
        fd = mkstemp(path);
        cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
        fp = fdopen(fd, "w");
        fprintf(fp, "# lab fates\n3 dropped by lab (rule 1: drop first 2)\n"
                    "1 delayed 100.000 ms by lab (rule 1)\nnot a fate\n"
                    "3 seen twice\n42 delayed 1 ms\n");
        fclose(fp);
        t = timeline_of(cap, path);
        unlink(path);
        assert_has(t, "'This is another message'  <-- delayed 100.000 ms by lab (rule 1)\n");
        assert_has(t, "win 502 len 0  <-- dropped by lab (rule 1: drop first 2)  <-- seen twice\n");
        assert_has(t, "# fate for frame 42, not in the capture: delayed 1 ms\n");
        free(t);
        /* a fates file that does not exist is no fates */
        t = timeline_of(cap, "/nonexistent/x.pcap.fates");
        cr_assert_null(strstr(t, "<--"));
        free(t);
        sc_pcap_free(cap);
        free(b.buf);
}

/* ---- canonical form ---- */

struct seg {
        const char *src, *dst;
        uint16_t sport, dport;
        uint8_t proto;     /* 17 or 6 */
        uint8_t flags;     /* TCP */
        uint32_t seq, ack; /* TCP, absolute */
        const char *data;
        size_t len; /* of data; 0 = strlen */
        uint16_t id;
        uint8_t ttl;
};

/* Ethernet + IPv4 (DF) + UDP or TCP (no options) around seg->data, into f. */
static void build(const struct seg *s, struct sc_fg *f)
{
        size_t dlen = s->len ? s->len : strlen(s->data ? s->data : "");
        struct sc_fg_ip ip = {.src = ntohl(ip4(s->src)),
                              .dst = ntohl(ip4(s->dst)),
                              .id = s->id,
                              .frag = 0x4000,
                              .ttl = s->ttl ? s->ttl : 64};
        struct sc_fg_tcp tcp = {.sport = s->sport,
                                .dport = s->dport,
                                .seq = s->seq,
                                .ack = s->ack,
                                .flags = s->flags,
                                .window = 64240};

        sc_fg_ether(f, "\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01", 0x0800);
        if (s->proto == 6)
                sc_fg_tcp(f, &ip, &tcp, s->data, dlen);
        else
                sc_fg_udp(f, &ip, s->sport, s->dport, s->data, dlen);
}

/* Table rows: UDP(src, dst, sport, dport, .data = ...) and TCP(..., flags, seq, ack, .data = ...).
 */
#define UDP(s, d, sp, dp, ...)                                                                     \
        {                                                                                          \
                .src = s, .dst = d, .sport = sp, .dport = dp, .proto = 17, __VA_ARGS__             \
        }
#define TCP(s, d, sp, dp, fl, sq, ak, ...)                                                         \
        {                                                                                          \
                .src = s, .dst = d, .sport = sp, .dport = dp, .proto = 6, .flags = fl, .seq = sq,  \
                .ack = ak, __VA_ARGS__                                                             \
        }

static struct sc_pcap *capture_of(const struct seg *segs, size_t nsegs)
{
        static uint8_t room[70000];
        struct sc_fg b, f;
        struct sc_pcap *cap;
        size_t i;

        pb_header(&b, false, true, SC_LINK_EN10MB, 262144);
        for (i = 0; i < nsegs; i++) {
                sc_fg_init(&f, room, sizeof(room));
                build(&segs[i], &f);
                cr_assert(!f.overflow, "segment %zu: frame over %zu bytes", i, f.cap);
                sc_fg_pcap_record(&b, 100, (uint32_t)i * 1000, (uint32_t)f.len, (uint32_t)f.len,
                                  f.buf, f.len);
        }
        cap = parse_ok(&b);
        free(b.buf);
        return cap;
}

static char *canon_of(const struct seg *segs, size_t n, const uint16_t *fixed, size_t nfixed)
{
        struct sc_pcap *cap = capture_of(segs, n);
        char *text = NULL;

        cr_assert_eq(sc_canon_text(cap, fixed, nfixed, &text), 0);
        sc_pcap_free(cap);
        /* the fixed header, then the packets */
        cr_assert(strncmp(text, "# sockcheck canonical capture v2", 32) == 0, "header");
        return text;
}

/* The canonical lines without the comment header. */
static const char *body(const char *text)
{
        while (*text == '#')
                text = strchr(text, '\n') + 1;
        return text;
}

static const uint16_t book[] = SC_BOOK_PORTS;

Test(decode, canon_udp_exchange, .timeout = 10)
{
        const struct seg segs[] = {
            UDP("10.0.0.1", "10.0.0.2", 46056, 1060, .data = "This is another message", .id = 7),
            UDP("10.0.0.2", "10.0.0.1", 1060, 46056, .data = "Your data was 23 bytes long", .id = 9,
                .ttl = 63),
            UDP("10.0.0.3", "10.0.0.2", 51000, 1060, .data = "again"),
            UDP("10.0.0.1", "10.0.0.2", 46056, 4444, .data = "x"),
        };
        const uint16_t fixed[] = {1060, 4444};
        char *t = canon_of(segs, 4, fixed, 2);

        cr_assert_str_eq(body(t), "10.0.0.1:C1 > 10.0.0.2:1060 UDP DF iplen 51 len 23 "
                                  "'This is another message'\n"
                                  "10.0.0.2:1060 > 10.0.0.1:C1 UDP DF iplen 55 len 27 "
                                  "'Your data was 23 bytes long'\n"
                                  "10.0.0.3:C2 > 10.0.0.2:1060 UDP DF iplen 33 len 5 'again'\n"
                                  "10.0.0.1:C1 > 10.0.0.2:4444 UDP DF iplen 29 len 1 'x'\n");
        free(t);
}

/* A tsTserv session: handshake, one line, the reply, close from the client. */
static void tcp_session(struct seg *s, uint16_t cport, uint32_t cisn, uint32_t sisn,
                        const char *reply)
{
        const struct seg proto[] = {
            TCP("10.0.0.1", "10.0.0.2", cport, 21567, 0x02, cisn, 0, .data = NULL),
            TCP("10.0.0.2", "10.0.0.1", 21567, cport, 0x12, sisn, cisn + 1, .data = NULL),
            TCP("10.0.0.1", "10.0.0.2", cport, 21567, 0x10, cisn + 1, sisn + 1, .data = NULL),
            TCP("10.0.0.1", "10.0.0.2", cport, 21567, 0x18, cisn + 1, sisn + 1, .data = "hi"),
            TCP("10.0.0.2", "10.0.0.1", 21567, cport, 0x18, sisn + 1, cisn + 3, .data = reply),
            TCP("10.0.0.1", "10.0.0.2", cport, 21567, 0x11, cisn + 3, sisn + 30, .data = NULL),
            TCP("10.0.0.2", "10.0.0.1", 21567, cport, 0x11, sisn + 30, cisn + 4, .data = NULL),
            TCP("10.0.0.1", "10.0.0.2", cport, 21567, 0x10, cisn + 4, sisn + 31, .data = NULL),
        };

        memcpy(s, proto, sizeof(proto));
}

/* tcp_session()'s exchange in canonical form: the six segments that are not pure ACKs. */
#define TCP_SESSION_CANON                                                                    \
        "10.0.0.1:C1 > 10.0.0.2:21567 TCP [S] DF iplen 40 seq 0 len 0\n"                      \
        "10.0.0.2:21567 > 10.0.0.1:C1 TCP [S.] DF iplen 40 seq 0 len 0\n"                     \
        "10.0.0.1:C1 > 10.0.0.2:21567 TCP [P.] DF iplen 42 seq 1:3 len 2 'hi'\n"              \
        "10.0.0.2:21567 > 10.0.0.1:C1 TCP [P.] DF iplen 69 seq 1:30 len 29 '[<ctime>] hi'\n"  \
        "10.0.0.1:C1 > 10.0.0.2:21567 TCP [F.] DF iplen 40 seq 3 len 0\n"                     \
        "10.0.0.2:21567 > 10.0.0.1:C1 TCP [F.] DF iplen 40 seq 30 len 0\n"

Test(decode, canon_tcp_session, .timeout = 10)
{
        struct seg segs[8];
        char *t;

        tcp_session(segs, 54176, 0xfffffff0u, 12345678, "[Sat Nov  1 08:05:03 2026] hi");
        t = canon_of(segs, 8, book, SC_BOOK_NPORTS);
        cr_assert_str_eq(body(t), TCP_SESSION_CANON);
        cr_assert(strstr(t, "pure ACKs are left out"), "the header says why ACKs are missing");
        free(t);
}

/*
 * A retransmission (the tail-loss probe a slow switch provokes) is the
 * stack's, not the program's: it is left out.  The same bytes sent again as
 * new data (another seq) stay, and so does a UDP datagram sent twice.
 */
Test(decode, canon_leaves_out_tcp_retransmissions_only, .timeout = 10)
{
        struct seg segs[13];
        char *t;

        tcp_session(segs, 54176, 1000, 5000, "[Sat Nov  1 08:05:03 2026] hi");
        segs[8] = segs[6]; /* the server's FIN again, as a tail-loss probe sends it */
        segs[9] = segs[4]; /* the reply again, same seq */
        segs[10] = (struct seg)TCP("10.0.0.1", "10.0.0.2", 54176, 21567, 0x18, 1003, 5030,
                                   .data = "hi"); /* "hi" again, as new data */
        segs[11] = (struct seg)UDP("10.0.0.1", "10.0.0.2", 46056, 1060, .data = "twice");
        segs[12] = segs[11];
        t = canon_of(segs, 13, book, SC_BOOK_NPORTS);
        cr_assert_str_eq(body(t),
                         TCP_SESSION_CANON
                         "10.0.0.1:C1 > 10.0.0.2:21567 TCP [P.] DF iplen 42 seq 3:5 len 2 "
                         "'hi'\n"
                         "10.0.0.1:C2 > 10.0.0.2:1060 UDP DF iplen 33 len 5 'twice'\n"
                         "10.0.0.1:C2 > 10.0.0.2:1060 UDP DF iplen 33 len 5 'twice'\n");
        free(t);
}

/*
 * A reset after a finished close (both FINs sent) is the kernel answering a
 * stray segment, not a program: left out.  A reset before the other side's
 * FIN (tsTclnt writing to a server that has closed) stays, and so does one
 * that is not past its sender's FIN.
 */
Test(decode, canon_leaves_out_resets_after_a_finished_close, .timeout = 10)
{
        struct seg segs[16];
        char *t;

        tcp_session(segs, 54176, 1000, 5000, "[Sat Nov  1 08:05:03 2026] hi");
        /* the server's stale ACK of the client's FIN, the client's answer, the reset */
        segs[8] = (struct seg)TCP("10.0.0.2", "10.0.0.1", 21567, 54176, 0x10, 5030, 1004, .data = NULL);
        segs[9] = (struct seg)TCP("10.0.0.1", "10.0.0.2", 54176, 21567, 0x10, 1004, 5031, .data = NULL);
        segs[10] = (struct seg)TCP("10.0.0.2", "10.0.0.1", 21567, 54176, 0x04, 5031, 0, .data = NULL);
        /* another connection: the server closes, the client writes, the server resets */
        segs[11] = (struct seg)TCP("10.0.0.1", "10.0.0.2", 54200, 21567, 0x02, 100, 0, .data = NULL);
        segs[12] = (struct seg)TCP("10.0.0.2", "10.0.0.1", 21567, 54200, 0x12, 900, 101, .data = NULL);
        segs[13] = (struct seg)TCP("10.0.0.2", "10.0.0.1", 21567, 54200, 0x11, 901, 101, .data = NULL);
        segs[14] = (struct seg)TCP("10.0.0.1", "10.0.0.2", 54200, 21567, 0x18, 101, 902, .data = "b");
        segs[15] = (struct seg)TCP("10.0.0.2", "10.0.0.1", 21567, 54200, 0x04, 902, 0, .data = NULL);
        t = canon_of(segs, 16, book, SC_BOOK_NPORTS);
        cr_assert_str_eq(body(t), TCP_SESSION_CANON
                         "10.0.0.1:C2 > 10.0.0.2:21567 TCP [S] DF iplen 40 seq 0 len 0\n"
                         "10.0.0.2:21567 > 10.0.0.1:C2 TCP [S.] DF iplen 40 seq 0 len 0\n"
                         "10.0.0.2:21567 > 10.0.0.1:C2 TCP [F.] DF iplen 40 seq 1 len 0\n"
                         "10.0.0.1:C2 > 10.0.0.2:21567 TCP [P.] DF iplen 41 seq 1:2 len 1 'b'\n"
                         "10.0.0.2:21567 > 10.0.0.1:C2 TCP [R] DF iplen 40 seq 2 len 0\n");
        free(t);
        /* Not past the server's FIN: kept. */
        segs[10].seq = 5030;
        t = canon_of(segs, 11, book, SC_BOOK_NPORTS);
        cr_assert_str_eq(body(t), TCP_SESSION_CANON
                         "10.0.0.2:21567 > 10.0.0.1:C1 TCP [R] DF iplen 40 seq 30 len 0\n");
        free(t);
}

/* What canonical form is for: two correct runs compare equal. */
Test(decode, canon_equal_across_runs, .timeout = 10)
{
        struct seg a[8], b[8];
        char *ta, *tb, *report = NULL;
        size_t i;

        tcp_session(a, 54176, 1000, 2000, "[Sat Nov 21 17:47:41 2026] hi");
        tcp_session(b, 39001, 0x80000000u, 7, "[Mon Dec  7 01:02:03 2026] hi");
        for (i = 0; i < 8; i++)
                b[i].id = (uint16_t)(i * 77), b[i].ttl = 60;
        ta = canon_of(a, 8, book, SC_BOOK_NPORTS);
        tb = canon_of(b, 8, book, SC_BOOK_NPORTS);
        cr_assert_eq(sc_canon_diff(ta, tb, &report), 0, "%s", report ? report : "");
        cr_assert_null(report);
        free(ta);
        free(tb);
}

Test(decode, canon_timestamps_in_payloads, .timeout = 10)
{
        const struct seg segs[] = {
            UDP("10.0.0.1", "10.0.0.2", 40000, 1060,
                .data = "The time is 2026-11-21 17:45:23.130394"),
            UDP("10.0.0.1", "10.0.0.2", 40000, 1060, .data = "The time is 2026-11-21 17:45:23"),
            TCP("10.0.0.2", "10.0.0.1", 9999, 40001, 0x18, 5, 5,
                .data = "Sat Nov 21 17:47:41 2026\r\n"),
            /* near misses stay as they are */
            TCP("10.0.0.2", "10.0.0.1", 9999, 40001, 0x18, 31, 5,
                .data = "Sat Nov 41 17:47:41 2026|2026-11-21 17:45"),
        };
        char *t = canon_of(segs, 4, book, SC_BOOK_NPORTS);

        assert_has(t, "UDP DF iplen 66 len 38 'The time is <datetime>'\n");
        assert_has(t, "UDP DF iplen 59 len 31 'The time is <datetime>'\n");
        assert_has(t, "len 26 '<ctime>\\r\\n'\n");
        assert_has(t, "len 41 'Sat Nov 41 17:47:41 2026|2026-11-21 17:45'\n");
        free(t);
}

Test(decode, canon_long_payloads_summarised, .timeout = 10)
{
        char *big = malloc(65000), *mixed = malloc(27 + 1024);
        char *t;

        memset(big, '#', 65000);
        memcpy(mixed, "[Sat Nov 21 17:47:41 2026] ", 27);
        memset(mixed + 27, 'x', 1024);
        const struct seg segs[] = {
            UDP("10.0.0.1", "10.0.0.2", 40000, 1060, .data = big, .len = 65000),
            TCP("10.0.0.2", "10.0.0.1", 21567, 40001, 0x18, 5, 5, .data = mixed, .len = 27 + 1024),
        };
        t = canon_of(segs, 2, book, SC_BOOK_NPORTS);
        /* FNV-1a 64 of 65000 '#' */
        assert_has(t, "UDP DF iplen 65028 len 65000 <fnv1a64 ");
        assert_has(t, ": 65000 x '#'>\n");
        assert_has(t, "len 1051 <fnv1a64 ");
        assert_has(t, ": '[<ctime>] ' + 1024 x 'x'>\n");
        free(t);
        free(big);
        free(mixed);
}

Test(decode, canon_keeps_ip_icmp_only, .timeout = 10)
{
        uint8_t frame[128];
        struct sc_fg b;
        struct sc_pcap *cap;
        char *t;
        size_t i, n;

        pb_header(&b, false, false, SC_LINK_EN10MB, 65535);
        for (i = 0; i < NFRAMES; i++) {
                n = unhex(all_frames[i], frame, sizeof(frame));
                sc_fg_pcap_record(&b, 1, (uint32_t)i, (uint32_t)n, (uint32_t)n, frame, n);
        }
        cap = parse_ok(&b);
        cr_assert_eq(sc_canon_text(cap, book, SC_BOOK_NPORTS, &t), 0);
        cr_assert_str_eq(
            body(t),
            "10.0.0.1:C1 > 10.0.0.2:1060 UDP DF iplen 51 len 23 'This is another message'\n"
            "10.0.0.1:C2 > 10.0.0.2:21567 TCP [S] DF iplen 60 seq 0 len 0\n"
            "10.0.0.2:21567 > 10.0.0.1:C2 TCP [F.] DF iplen 40 seq 1 len 0\n"
            "10.0.0.2 > 10.0.0.1 ICMP port unreachable iplen 56 for UDP 10.0.0.1:C1 > "
            "10.0.0.2:1060 iplen 51\n"
            "10.0.0.1:C1 > 10.0.0.2:1060 UDP DF iplen 34 len 2 'hi'\n"
            "10.0.0.1:C3 > 10.0.0.2:1060 UDP MF iplen 52 first fragment udplen 48 len 24 "
            "'AAAAAAAAAAAAAAAAAAAAAAAA'\n"
            "10.0.0.1 > 10.0.0.2 UDP fragment offset 32 iplen 36 len 16 'BBBBBBBBBBBBBBBB'\n");
        free(t);
        sc_pcap_free(cap);
        free(b.buf);
}

/* ---- diff ---- */

Test(decode, diff_equal_is_zero, .timeout = 10)
{
        char *report = (char *)1;

        cr_assert_eq(sc_canon_diff("a\nb\n", "a\nb\n", &report), 0);
        cr_assert_null(report);
}

Test(decode, diff_names_both_lines, .timeout = 10)
{
        char *report = NULL;

        cr_assert_eq(sc_canon_diff("a\nUDP len 23\nc\n", "a\nUDP len 24\nc\n", &report), 1);
        cr_assert_str_eq(report, "--- expected\n+++ actual\n@@ -2 +2 @@\n-UDP len 23\n"
                                 "+UDP len 24\n");
        free(report);

        /* one line added: only that line is reported, at its place */
        cr_assert_eq(sc_canon_diff("a\nb\nc\nd\n", "a\nb\nX\nc\nd\n", &report), 1);
        cr_assert_str_eq(report, "--- expected\n+++ actual\n@@ -3 +3 @@\n+X\n");
        free(report);

        cr_assert_eq(sc_canon_diff("a\n", "a", &report), 1);
        assert_has(report, "final newline");
        free(report);
}

Test(decode, diff_is_short, .timeout = 10)
{
        char exp[4000] = "", act[4000] = "", *report = NULL;
        int i;

        for (i = 0; i < 50; i++) {
                sprintf(exp + strlen(exp), "line %d\n", i);
                sprintf(act + strlen(act), "LINE %d\n", i);
        }
        cr_assert_eq(sc_canon_diff(exp, act, &report), 1);
        assert_has(report, "-line 0\n");
        assert_has(report, "... and 80 more differing lines\n");
        free(report);
}
