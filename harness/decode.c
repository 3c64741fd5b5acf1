/*
 * decode.c - turns captured frames into facts and text.  Three layers, in
 * this order: header parsers (one per RFC, each reading every field through
 * a bounds-checked getter, never by casting bytes to a struct, so a short or
 * lying packet yields a note instead of a read past the end); the timeline,
 * one readable line per packet for a person looking at a failure; and the
 * canonical form, the same lines stripped of everything that legitimately
 * differs between two runs of a correct program, so that a port's capture
 * can be compared with a reference capture by plain text equality.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_IPV6 0x86dd

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* ================================================================ */
/* Bounds-checked reading                                           */
/* ================================================================ */

/*
 * A window on captured bytes.  A read past the end returns 0 and sets
 * short_read, so a parser reads its fixed fields and checks once.
 */
struct rd {
        const uint8_t *p;
        size_t len;
        bool short_read;
};

static bool rd_has(struct rd *r, size_t off, size_t n)
{
        if (off > r->len || r->len - off < n) {
                r->short_read = true;
                return false;
        }
        return true;
}

static uint8_t get_u8(struct rd *r, size_t off)
{
        return rd_has(r, off, 1) ? r->p[off] : 0;
}

static uint16_t get_be16(struct rd *r, size_t off)
{
        return rd_has(r, off, 2) ? (uint16_t)(r->p[off] << 8 | r->p[off + 1]) : 0;
}

static uint32_t get_be32(struct rd *r, size_t off)
{
        if (!rd_has(r, off, 4))
                return 0;
        return (uint32_t)r->p[off] << 24 | (uint32_t)r->p[off + 1] << 16 |
               (uint32_t)r->p[off + 2] << 8 | r->p[off + 3];
}

static uint32_t get_le32(struct rd *r, size_t off)
{
        if (!rd_has(r, off, 4))
                return 0;
        return (uint32_t)r->p[off + 3] << 24 | (uint32_t)r->p[off + 2] << 16 |
               (uint32_t)r->p[off + 1] << 8 | r->p[off];
}

/* An IPv4 address as stored in sc_packet: network order. */
static uint32_t get_addr(struct rd *r, size_t off)
{
        return htonl(get_be32(r, off));
}

static void get_bytes(struct rd *r, size_t off, void *dst, size_t n)
{
        if (rd_has(r, off, n))
                memcpy(dst, r->p + off, n);
        else
                memset(dst, 0, n);
}

/* The bytes from off on (at most n of them; empty if off is past the end). */
static struct rd rd_sub(const struct rd *r, size_t off, size_t n)
{
        struct rd s = {.p = r->p, .len = 0};

        if (off <= r->len) {
                s.p = r->p + off;
                s.len = r->len - off < n ? r->len - off : n;
        }
        return s;
}

/* Appends a note to pkt->problem ("; "-separated, cut to fit). */
static void note(struct sc_packet *pkt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct sc_packet *pkt, const char *fmt, ...)
{
        size_t used = strlen(pkt->problem);
        char msg[sizeof(pkt->problem)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (used && used + 2 < sizeof(pkt->problem)) {
                memcpy(pkt->problem + used, "; ", 3);
                used += 2;
        }
        if (used + 1 < sizeof(pkt->problem))
                snprintf(pkt->problem + used, sizeof(pkt->problem) - used, "%s", msg);
}

/* A header shorter than it must be: the capture or the packet cut it. */
static void short_header(struct sc_packet *pkt, const char *what, size_t have, size_t need)
{
        pkt->truncated = true;
        note(pkt, "%s truncated: %zu of %zu bytes", what, have, need);
}

/* ================================================================ */
/* Header parsers                                                   */
/* ================================================================ */

/* Where a layer's bytes are: what was captured, and how many were on the wire. */
struct layer {
        struct rd r;
        size_t wire; /* >= r.len */
};

static struct layer layer_sub(const struct layer *l, size_t off, size_t n)
{
        struct layer s = {.r = rd_sub(&l->r, off, n)};
        size_t wire = off < l->wire ? l->wire - off : 0;

        s.wire = wire < n ? wire : n;
        if (s.wire < s.r.len)
                s.wire = s.r.len;
        return s;
}

static void set_payload(struct sc_packet *pkt, const struct layer *l, size_t claimed)
{
        pkt->payload = l->r.p;
        pkt->payload_len = (uint32_t)claimed;
        pkt->payload_caplen = (uint32_t)(l->r.len < claimed ? l->r.len : claimed);
        if (pkt->payload_caplen < claimed)
                pkt->truncated = true;
}

/*
 * RFC 768 UDP: source port, destination port, length (header included),
 * checksum.  A first fragment carries the header but not all the data the
 * length announces, so the length is only checked on whole datagrams.
 */
static void decode_udp(struct sc_packet *pkt, const struct layer *l)
{
        struct rd r = l->r;
        size_t claimed;

        if (r.len < 8) {
                short_header(pkt, "UDP header", r.len, 8);
                return;
        }
        pkt->sport = get_be16(&r, 0);
        pkt->dport = get_be16(&r, 2);
        pkt->udp_len = get_be16(&r, 4);
        pkt->l4 = IPPROTO_UDP;
        claimed = l->wire - 8;
        if (pkt->udp_len < 8) {
                note(pkt, "UDP length %u < 8", pkt->udp_len);
        } else if (!pkt->mf && pkt->udp_len != l->wire) {
                note(pkt, "UDP length %u but %zu bytes in IP packet", pkt->udp_len, l->wire);
                if (pkt->udp_len < l->wire)
                        claimed = pkt->udp_len - 8u;
        }
        struct layer data = layer_sub(l, 8, claimed);
        set_payload(pkt, &data, claimed);
}

/*
 * RFC 9293 section 3.1 TCP: ports, sequence and acknowledgment numbers,
 * data offset (header length in 32-bit words, options included), flags,
 * window, checksum, urgent pointer, options.
 */
static void decode_tcp(struct sc_packet *pkt, const struct layer *l)
{
        struct rd r = l->r;
        size_t hlen;

        if (r.len < 20) {
                short_header(pkt, "TCP header", r.len, 20);
                return;
        }
        pkt->sport = get_be16(&r, 0);
        pkt->dport = get_be16(&r, 2);
        pkt->seq = get_be32(&r, 4);
        pkt->ack = get_be32(&r, 8);
        hlen = (size_t)(get_u8(&r, 12) >> 4) * 4;
        pkt->tcp_flags = get_u8(&r, 13);
        pkt->window = get_be16(&r, 14);
        pkt->l4 = IPPROTO_TCP;
        if (hlen < 20) {
                note(pkt, "TCP data offset %zu < 20", hlen);
                hlen = 20;
        }
        pkt->tcp_hlen = (uint8_t)hlen;
        if (hlen > l->wire) {
                note(pkt, "TCP data offset %zu > %zu bytes in segment", hlen, l->wire);
                hlen = l->wire;
        } else if (hlen > r.len) {
                short_header(pkt, "TCP options", r.len - 20, hlen - 20);
        }
        pkt->tcp_opts = r.p + 20;
        pkt->tcp_optlen = (uint8_t)((r.len < hlen ? r.len : hlen) - 20);
        struct layer data = layer_sub(l, hlen, l->wire - hlen);
        set_payload(pkt, &data, l->wire - hlen);
}

/* The IPv4 header and first 8 data bytes an ICMP error quotes (RFC 792). */
static void decode_quote(struct sc_packet *pkt, struct rd *q)
{
        size_t qhlen;

        if (q->len < 20 || get_u8(q, 0) >> 4 != 4) {
                if (q->len)
                        note(pkt, "ICMP quotes %zu bytes, not an IPv4 header", q->len);
                return;
        }
        qhlen = (size_t)(get_u8(q, 0) & 0x0f) * 4;
        pkt->q_totlen = get_be16(q, 2);
        pkt->q_proto = get_u8(q, 9);
        pkt->q_src = get_addr(q, 12);
        pkt->q_dst = get_addr(q, 16);
        pkt->quote = 1;
        /* Ports only of a first (or only) fragment: later ones carry no header. */
        if ((pkt->q_proto == IPPROTO_UDP || pkt->q_proto == IPPROTO_TCP) && qhlen >= 20 &&
            (get_be16(q, 6) & 0x1fff) == 0 && rd_has(q, qhlen, 4)) {
                pkt->q_sport = get_be16(q, qhlen);
                pkt->q_dport = get_be16(q, qhlen + 2);
                pkt->quote = 2;
        }
}

/*
 * RFC 792 ICMP: type, code, checksum, then 4 bytes whose meaning depends on
 * the type (echo: identifier and sequence; "fragmentation needed": next-hop
 * MTU, RFC 1191), then data.  Errors (destination unreachable, source
 * quench, redirect, time exceeded, parameter problem) quote the offending
 * datagram's IP header and first 8 bytes: that is how a port-unreachable
 * names the UDP socket it refuses.
 */
static void decode_icmp(struct sc_packet *pkt, const struct layer *l)
{
        struct rd r = l->r;
        struct rd quoted;

        if (r.len < 8) {
                pkt->icmp_type = get_u8(&r, 0);
                pkt->icmp_code = get_u8(&r, 1);
                short_header(pkt, "ICMP header", r.len, 8);
                return;
        }
        pkt->icmp_type = get_u8(&r, 0);
        pkt->icmp_code = get_u8(&r, 1);
        pkt->l4 = IPPROTO_ICMP;
        struct layer data = layer_sub(l, 8, l->wire - 8);
        set_payload(pkt, &data, l->wire - 8);
        switch (pkt->icmp_type) {
        case 0:
        case 8:
                pkt->icmp_id = get_be16(&r, 4);
                pkt->icmp_seq = get_be16(&r, 6);
                break;
        case 3:
        case 4:
        case 5:
        case 11:
        case 12:
                if (pkt->icmp_type == 3 && pkt->icmp_code == 4)
                        pkt->icmp_mtu = get_be16(&r, 6);
                quoted = data.r;
                decode_quote(pkt, &quoted);
                break;
        default:
                break;
        }
}

/* Walks IPv4 options (RFC 791 section 3.1) only to see that they are well formed. */
static void check_ip_options(struct sc_packet *pkt, struct rd *r, size_t hlen)
{
        size_t off = 20, olen;
        uint8_t type;

        while (off < hlen) {
                type = get_u8(r, off);
                if (type == 0) /* end of option list */
                        return;
                if (type == 1) { /* no operation */
                        off++;
                        continue;
                }
                olen = get_u8(r, off + 1);
                if (off + 1 >= hlen || olen < 2 || olen > hlen - off) {
                        note(pkt, "bad IPv4 option %u length at offset %zu", type, off);
                        return;
                }
                off += olen;
        }
}

/* RFC 1071 Internet checksum over the header: a correct header sums to 0xffff. */
static bool ip_checksum_ok(struct rd *r, size_t hlen)
{
        uint32_t sum = 0;
        size_t i;

        for (i = 0; i + 1 < hlen; i += 2)
                sum += get_be16(r, i);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return sum == 0xffff;
}

/* The transport header of a whole datagram or first fragment. */
static void decode_ip_payload(struct sc_packet *pkt, const struct layer *l)
{
        switch (pkt->proto) {
        case IPPROTO_UDP:
                decode_udp(pkt, l);
                break;
        case IPPROTO_TCP:
                decode_tcp(pkt, l);
                break;
        case IPPROTO_ICMP:
                decode_icmp(pkt, l);
                break;
        default:
                set_payload(pkt, l, l->wire);
                break;
        }
}

/*
 * RFC 791 section 3.1 IPv4: version and IHL (header length in 32-bit words,
 * options included), type of service, total length, identification, flags
 * (reserved, DF, MF) and fragment offset (8-byte units), TTL, protocol,
 * header checksum, addresses, options.  The total length, not the frame,
 * says where the datagram ends: Ethernet pads short frames.
 */
static void decode_ipv4(struct sc_packet *pkt, const struct layer *l)
{
        struct rd r = l->r;
        size_t hlen, end;
        uint16_t frag;

        pkt->l3 = SC_L3_IPV4;
        if (r.len < 20) {
                short_header(pkt, "IPv4 header", r.len, 20);
                return;
        }
        if (get_u8(&r, 0) >> 4 != 4) {
                note(pkt, "IP version %u in an IPv4 frame", get_u8(&r, 0) >> 4);
                return;
        }
        hlen = (size_t)(get_u8(&r, 0) & 0x0f) * 4;
        if (hlen < 20) {
                note(pkt, "IPv4 header length %zu < 20", hlen);
                return;
        }
        pkt->ip_totlen = get_be16(&r, 2);
        pkt->ip_id = get_be16(&r, 4);
        frag = get_be16(&r, 6);
        pkt->df = frag & 0x4000;
        pkt->mf = frag & 0x2000;
        pkt->frag_off = (uint16_t)((frag & 0x1fff) * 8);
        pkt->ttl = get_u8(&r, 8);
        pkt->proto = get_u8(&r, 9);
        pkt->ip_src = get_addr(&r, 12);
        pkt->ip_dst = get_addr(&r, 16);
        pkt->ip_hlen = (uint8_t)hlen;
        if (frag & 0x8000)
                note(pkt, "IPv4 reserved flag set");
        if (r.len < hlen) {
                short_header(pkt, "IPv4 options", r.len - 20, hlen - 20);
                return;
        }
        check_ip_options(pkt, &r, hlen);
        pkt->ip_csum_bad = !ip_checksum_ok(&r, hlen);
        if (pkt->ip_totlen < hlen) {
                note(pkt, "IPv4 total length %u < header length %zu", pkt->ip_totlen, hlen);
                return;
        }
        end = pkt->ip_totlen;
        if (end > l->wire) {
                note(pkt, "IPv4 total length %u > %zu bytes in frame", pkt->ip_totlen, l->wire);
                end = l->wire;
        }
        struct layer data = layer_sub(l, hlen, end - hlen);
        if (pkt->frag_off)
                set_payload(pkt, &data, data.wire);
        else
                decode_ip_payload(pkt, &data);
}

/* RFC 8200 section 3 IPv6 fixed header: only what a timeline line needs. */
static void decode_ipv6(struct sc_packet *pkt, const struct layer *l)
{
        struct rd r = l->r;

        pkt->l3 = SC_L3_IPV6;
        if (r.len < 40) {
                short_header(pkt, "IPv6 header", r.len, 40);
                return;
        }
        if (get_u8(&r, 0) >> 4 != 6) {
                note(pkt, "IP version %u in an IPv6 frame", get_u8(&r, 0) >> 4);
                return;
        }
        pkt->ip6_plen = get_be16(&r, 4);
        pkt->ip6_next = get_u8(&r, 6);
        pkt->ttl = get_u8(&r, 7);
        get_bytes(&r, 8, pkt->ip6_src, 16);
        get_bytes(&r, 24, pkt->ip6_dst, 16);
        struct layer data = layer_sub(l, 40, pkt->ip6_plen);
        set_payload(pkt, &data, pkt->ip6_plen);
}

/*
 * RFC 826 ARP: hardware type, protocol type, their address lengths,
 * opcode, then sender and target addresses.  Only Ethernet/IPv4 (6 and 4
 * byte addresses) is decoded in full: it is the only kind a lab sends.
 */
static void decode_arp(struct sc_packet *pkt, const struct layer *l)
{
        struct rd r = l->r;

        pkt->l3 = SC_L3_ARP;
        if (r.len < 8) {
                short_header(pkt, "ARP header", r.len, 8);
                return;
        }
        pkt->arp_op = get_be16(&r, 6);
        if (get_be16(&r, 0) != 1 || get_be16(&r, 2) != ETHERTYPE_IPV4 || get_u8(&r, 4) != 6 ||
            get_u8(&r, 5) != 4)
                return;
        if (r.len < 28) {
                short_header(pkt, "ARP Ethernet/IPv4 body", r.len, 28);
                return;
        }
        get_bytes(&r, 8, pkt->arp_sha, 6);
        pkt->arp_spa = get_addr(&r, 14);
        pkt->arp_tpa = get_addr(&r, 24);
        pkt->arp_ipv4 = true;
}

static void decode_l3(struct sc_packet *pkt, int type, const struct layer *l)
{
        switch (type) {
        case ETHERTYPE_IPV4:
                decode_ipv4(pkt, l);
                break;
        case ETHERTYPE_IPV6:
                decode_ipv6(pkt, l);
                break;
        case ETHERTYPE_ARP:
                decode_arp(pkt, l);
                break;
        default:
                pkt->l3 = type >= 0x600 ? type : SC_L3_NONE;
                set_payload(pkt, l, l->wire);
                break;
        }
}

/*
 * Ethernet II (DIX) and IEEE 802.3: destination, source, then a 2-byte
 * EtherType (>= 0x600) or an 802.3 length (<= 1500) followed by an 802.2
 * LLC header, which carries IP only with a SNAP header (RFC 1042).  802.1Q
 * and 802.1ad tags insert 4 bytes before the EtherType.
 */
static int decode_ethernet(struct sc_packet *pkt, struct rd *r, size_t *hlen)
{
        size_t off = 12;
        uint16_t type;
        int tags = 0;

        if (r->len < 14) {
                short_header(pkt, "Ethernet header", r->len, 14);
                return -1;
        }
        type = get_be16(r, off);
        while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && tags++ < 2) {
                off += 4;
                type = get_be16(r, off);
        }
        if (r->short_read) {
                short_header(pkt, "802.1Q-tagged Ethernet header", r->len, off + 2);
                return -1;
        }
        *hlen = off + 2;
        if (type >= 0x600)
                return type;
        if (type > 1500) {
                note(pkt, "Ethernet type/length 0x%04x is neither", type);
                return -1;
        }
        /* 802.3 length: LLC DSAP, SSAP, control; SNAP is AA AA 03 + OUI + type. */
        if (get_u8(r, *hlen) == 0xaa && get_u8(r, *hlen + 1) == 0xaa &&
            get_u8(r, *hlen + 2) == 0x03 && rd_has(r, *hlen + 6, 2)) {
                type = get_be16(r, *hlen + 6);
                *hlen += 8;
                return type;
        }
        return 0; /* LLC without SNAP: not IP */
}

/* Linux cooked capture v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
static int decode_sll(struct sc_packet *pkt, struct rd *r, size_t *hlen)
{
        if (r->len < 16) {
                short_header(pkt, "Linux cooked header", r->len, 16);
                return -1;
        }
        *hlen = 16;
        return get_be16(r, 14);
}

/* Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address. */
static int decode_sll2(struct sc_packet *pkt, struct rd *r, size_t *hlen)
{
        if (r->len < 20) {
                short_header(pkt, "Linux cooked v2 header", r->len, 20);
                return -1;
        }
        *hlen = 20;
        return get_be16(r, 0);
}

/*
 * BSD loopback: a 4-byte address family in the writer's byte order (NULL)
 * or network order (LOOP).  IPv6's value differs between systems.
 */
static int decode_null(struct sc_packet *pkt, struct rd *r, size_t *hlen, bool network_order)
{
        uint32_t family;

        if (r->len < 4) {
                short_header(pkt, "loopback header", r->len, 4);
                return -1;
        }
        family = network_order ? get_be32(r, 0) : get_le32(r, 0);
        if (family & 0xffff0000u) /* written big-endian: families are small */
                family = get_be32(r, 0);
        *hlen = 4;
        switch (family) {
        case 2:
                return ETHERTYPE_IPV4;
        case 10: /* Linux */
        case 24: /* NetBSD, OpenBSD */
        case 28: /* FreeBSD */
        case 30: /* Darwin */
                return ETHERTYPE_IPV6;
        default:
                note(pkt, "loopback address family %u", family);
                return -1;
        }
}

/* Bare IP: the version nibble says which. */
static int decode_raw(struct sc_packet *pkt, struct rd *r, size_t *hlen)
{
        uint8_t v;

        if (r->len < 1) {
                short_header(pkt, "IP header", 0, 20);
                return -1;
        }
        v = get_u8(r, 0) >> 4;
        *hlen = 0;
        if (v == 4)
                return ETHERTYPE_IPV4;
        if (v == 6)
                return ETHERTYPE_IPV6;
        note(pkt, "raw frame with IP version %u", v);
        return -1;
}

int sc_decode_frame(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                    struct sc_packet *out)
{
        struct rd r = {.p = frame, .len = caplen};
        struct layer l3;
        size_t hlen = 0;
        int type;

        if (!out || (!frame && caplen))
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        out->frame = frame;
        out->caplen = caplen;
        out->wirelen = wirelen;
        if (caplen > wirelen) {
                note(out, "caplen %u > wirelen %u", caplen, wirelen);
                wirelen = caplen;
        }
        switch (linktype) {
        case SC_LINK_EN10MB:
                type = decode_ethernet(out, &r, &hlen);
                break;
        case SC_LINK_LINUX_SLL:
                type = decode_sll(out, &r, &hlen);
                break;
        case SC_LINK_LINUX_SLL2:
                type = decode_sll2(out, &r, &hlen);
                break;
        case SC_LINK_NULL:
        case SC_LINK_LOOP:
                type = decode_null(out, &r, &hlen, linktype == SC_LINK_LOOP);
                break;
        case SC_LINK_RAW:
                type = decode_raw(out, &r, &hlen);
                break;
        default:
                note(out, "link type %d not decoded", linktype);
                return -EINVAL;
        }
        if (type < 0)
                return 0;
        l3.r = rd_sub(&r, hlen, caplen);
        l3.wire = wirelen - hlen;
        decode_l3(out, type, &l3);
        return 0;
}

/* ================================================================ */
/* Text                                                             */
/* ================================================================ */

/* A growing string; after a failed allocation it stays empty and says so. */
struct sb {
        char *s;
        size_t len, cap;
        bool oom;
};

static bool sb_reserve(struct sb *b, size_t more)
{
        size_t want;
        char *n;

        if (b->oom)
                return false;
        if (b->len + more + 1 <= b->cap)
                return true;
        want = b->cap ? b->cap : 256;
        while (want < b->len + more + 1)
                want *= 2;
        n = realloc(b->s, want);
        if (!n) {
                b->oom = true;
                return false;
        }
        b->s = n;
        b->cap = want;
        return true;
}

static void sb_add(struct sb *b, const char *s, size_t n)
{
        if (!sb_reserve(b, n))
                return;
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
        sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
        char small[128];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n < sizeof(small)) {
                sb_add(b, small, (size_t)n);
                return;
        }
        if (!sb_reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

static void sb_ip(struct sb *b, uint32_t addr)
{
        const uint8_t *a = (const uint8_t *)&addr;

        sb_printf(b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* One byte as it appears inside quotes: Python's repr() rules. */
static void sb_escaped_byte(struct sb *b, uint8_t c)
{
        switch (c) {
        case '\\':
                sb_puts(b, "\\\\");
                break;
        case '\'':
                sb_puts(b, "\\'");
                break;
        case '\t':
                sb_puts(b, "\\t");
                break;
        case '\n':
                sb_puts(b, "\\n");
                break;
        case '\r':
                sb_puts(b, "\\r");
                break;
        default:
                if (c >= 0x20 && c < 0x7f)
                        sb_add(b, (const char *)&c, 1);
                else
                        sb_printf(b, "\\x%02x", c);
        }
}

/* Quotes bytes; stops once the quoted text exceeds max chars (0 = never) and says if it did. */
static bool sb_quoted(struct sb *b, const uint8_t *p, size_t n, size_t max)
{
        size_t start = b->len, i;

        sb_puts(b, "'");
        for (i = 0; i < n; i++) {
                if (max && b->len - start > max) {
                        sb_puts(b, "'...");
                        return true;
                }
                sb_escaped_byte(b, p[i]);
        }
        sb_puts(b, "'");
        return false;
}

/* tcpdump's flag letters, in tcpdump's order: [S.] is SYN|ACK. */
static void sb_tcp_flags(struct sb *b, uint8_t flags)
{
        static const struct {
                uint8_t bit;
                char c;
        } letters[] = {{TCP_FIN, 'F'}, {TCP_SYN, 'S'}, {TCP_RST, 'R'}, {TCP_PSH, 'P'},
                       {TCP_ACK, '.'}, {TCP_URG, 'U'}, {TCP_ECE, 'E'}, {TCP_CWR, 'W'}};
        size_t i;

        sb_puts(b, "[");
        if (!flags)
                sb_puts(b, "none");
        for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
                if (flags & letters[i].bit)
                        sb_add(b, &letters[i].c, 1);
        sb_puts(b, "]");
}

/*
 * TCP options for the timeline (RFC 9293 3.2; window scale and timestamps
 * RFC 7323; SACK RFC 2018), tcpdump style.  The canonical form leaves them
 * out: their values (timestamps above all) change from run to run.
 */
static void sb_tcp_options(struct sb *b, const struct sc_packet *p)
{
        struct rd r = {.p = p->tcp_opts, .len = p->tcp_optlen};
        size_t off = 0, olen;
        uint8_t kind;
        bool first = true;

        if (!p->tcp_optlen)
                return;
        sb_puts(b, " options [");
        while (off < r.len) {
                kind = get_u8(&r, off);
                sb_puts(b, first ? "" : ",");
                first = false;
                if (kind == 0) {
                        sb_puts(b, "eol");
                        break;
                }
                if (kind == 1) {
                        sb_puts(b, "nop");
                        off++;
                        continue;
                }
                olen = get_u8(&r, off + 1);
                if (off + 1 >= r.len || olen < 2 || olen > r.len - off) {
                        sb_printf(b, "bad opt %u", kind);
                        break;
                }
                if (kind == 2 && olen == 4)
                        sb_printf(b, "mss %u", get_be16(&r, off + 2));
                else if (kind == 3 && olen == 3)
                        sb_printf(b, "wscale %u", get_u8(&r, off + 2));
                else if (kind == 4 && olen == 2)
                        sb_puts(b, "sackOK");
                else if (kind == 5)
                        sb_printf(b, "sack %zu", (olen - 2) / 8);
                else if (kind == 8 && olen == 10)
                        sb_printf(b, "TS val %u ecr %u", get_be32(&r, off + 2),
                                  get_be32(&r, off + 6));
                else
                        sb_printf(b, "opt-%u len %zu", kind, olen);
                off += olen;
        }
        sb_puts(b, "]");
}

/* ---- what the timeline and the canonical form share ---- */

/* Per-direction TCP state: the first sequence number, so others print relative to it. */
struct flow {
        uint32_t src, dst;
        uint16_t sport, dport;
        uint32_t isn;
        bool known;
};

/* An ephemeral endpoint and its symbol (its index + 1: C1, C2...). */
struct portsym {
        uint32_t ip;
        uint16_t port;
        uint8_t proto;
};

struct fmt {
        bool canon;
        const uint16_t *fixed;
        size_t nfixed;
        struct flow *flows;
        size_t nflows, flows_cap;
        struct portsym *syms;
        size_t nsyms, syms_cap;
        bool oom;
};

static void fmt_free(struct fmt *f)
{
        free(f->flows);
        free(f->syms);
}

/* Grows an array of n elements of size sz to hold one more; false on failure. */
static bool grow_array(void **arr, size_t *cap, size_t n, size_t sz)
{
        size_t want = *cap ? *cap * 2 : 16;
        void *p;

        if (n < *cap)
                return true;
        if (want > SIZE_MAX / sz)
                return false;
        p = realloc(*arr, want * sz);
        if (!p)
                return false;
        *arr = p;
        *cap = want;
        return true;
}

/* Index of a direction's flow, created if need be; -1 when out of memory. */
static long flow_index(struct fmt *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
        struct flow *fl;
        size_t i;

        for (i = 0; i < f->nflows; i++) {
                fl = &f->flows[i];
                if (fl->src == src && fl->dst == dst && fl->sport == sport && fl->dport == dport)
                        return (long)i;
        }
        if (!grow_array((void **)&f->flows, &f->flows_cap, f->nflows, sizeof(*f->flows))) {
                f->oom = true;
                return -1;
        }
        f->flows[f->nflows] = (struct flow){.src = src, .dst = dst, .sport = sport, .dport = dport};
        return (long)f->nflows++;
}

/*
 * Relative sequence numbers, as tcpdump and Wireshark show them: each
 * direction counts from its SYN (the SYN is 0, the first data byte 1).  A
 * direction first seen without a SYN counts from one before its first
 * sequence number, so the numbers stay deterministic even then.  A new SYN
 * starts a new connection on the same four-tuple.
 */
static void tcp_relative(struct fmt *f, const struct sc_packet *p, uint32_t *rseq, uint32_t *rack)
{
        long fwd = flow_index(f, p->ip_src, p->sport, p->ip_dst, p->dport);
        long rev = flow_index(f, p->ip_dst, p->dport, p->ip_src, p->sport);

        *rseq = p->seq;
        *rack = p->ack;
        if (fwd < 0 || rev < 0)
                return;
        if (p->tcp_flags & TCP_SYN) {
                f->flows[fwd].isn = p->seq;
                f->flows[fwd].known = true;
                if (!(p->tcp_flags & TCP_ACK))
                        f->flows[rev].known = false;
        } else if (!f->flows[fwd].known) {
                f->flows[fwd].isn = p->seq - 1;
                f->flows[fwd].known = true;
        }
        if ((p->tcp_flags & TCP_ACK) && !f->flows[rev].known) {
                f->flows[rev].isn = p->ack - 1;
                f->flows[rev].known = true;
        }
        *rseq = p->seq - f->flows[fwd].isn;
        *rack = p->ack - f->flows[rev].isn;
}

static bool port_fixed(const struct fmt *f, uint16_t port)
{
        size_t i;

        for (i = 0; i < f->nfixed; i++)
                if (f->fixed[i] == port)
                        return true;
        return false;
}

/* "ip:port"; in the canonical form an ephemeral port becomes C<n>. */
static void sb_endpoint(struct sb *b, struct fmt *f, uint8_t proto, uint32_t ip, uint16_t port)
{
        size_t i;

        sb_ip(b, ip);
        if (!f->canon || port_fixed(f, port)) {
                sb_printf(b, ":%u", port);
                return;
        }
        for (i = 0; i < f->nsyms; i++)
                if (f->syms[i].ip == ip && f->syms[i].port == port && f->syms[i].proto == proto)
                        break;
        if (i == f->nsyms) {
                if (!grow_array((void **)&f->syms, &f->syms_cap, f->nsyms, sizeof(*f->syms))) {
                        f->oom = true;
                        return;
                }
                f->syms[f->nsyms++] = (struct portsym){.ip = ip, .port = port, .proto = proto};
        }
        sb_printf(b, ":C%zu", i + 1);
}

static const char *proto_name(uint8_t proto)
{
        switch (proto) {
        case IPPROTO_UDP:
                return "UDP";
        case IPPROTO_TCP:
                return "TCP";
        case IPPROTO_ICMP:
                return "ICMP";
        default:
                return NULL;
        }
}

static void sb_proto(struct sb *b, uint8_t proto)
{
        const char *name = proto_name(proto);

        if (name)
                sb_puts(b, name);
        else
                sb_printf(b, "proto %u", proto);
}

/* ---- payloads ---- */

/* Matches pat at p: 'A' upper, 'a' lower, '9' digit, 'D' [ 1-3], anything else itself. */
static bool match_pattern(const uint8_t *p, size_t n, const char *pat)
{
        size_t i, len = strlen(pat);

        if (n < len)
                return false;
        for (i = 0; i < len; i++) {
                uint8_t c = p[i];
                bool ok;

                switch (pat[i]) {
                case 'A':
                        ok = c >= 'A' && c <= 'Z';
                        break;
                case 'a':
                        ok = c >= 'a' && c <= 'z';
                        break;
                case '9':
                        ok = c >= '0' && c <= '9';
                        break;
                case 'D':
                        ok = c == ' ' || (c >= '1' && c <= '3');
                        break;
                default:
                        ok = c == (uint8_t)pat[i];
                }
                if (!ok)
                        return false;
        }
        return true;
}

#define CTIME_PATTERN "Aaa Aaa D9 99:99:99 9999"
#define DATETIME_PATTERN "9999-99-99 99:99:99"
#define DATETIME_FRACTION ".999999"

/*
 * The payload with the clock taken out: ctime() text becomes <ctime> and
 * str(datetime) text <datetime>.  A timestamp split across two TCP segments
 * is not recognised; on the lab's links a reply this short is never split.
 */
static int normalise_times(const uint8_t *p, size_t n, struct sb *out)
{
        size_t i = 0, skip;

        while (i < n) {
                if (match_pattern(p + i, n - i, CTIME_PATTERN)) {
                        sb_puts(out, "<ctime>");
                        i += strlen(CTIME_PATTERN);
                } else if (match_pattern(p + i, n - i, DATETIME_PATTERN)) {
                        sb_puts(out, "<datetime>");
                        skip = strlen(DATETIME_PATTERN);
                        if (match_pattern(p + i + skip, n - i - skip, DATETIME_FRACTION))
                                skip += strlen(DATETIME_FRACTION);
                        i += skip;
                } else {
                        sb_add(out, (const char *)p + i, 1);
                        i++;
                }
        }
        return out->oom ? -ENOMEM : 0;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ull;
        size_t i;

        for (i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ull;
        }
        return h;
}

#define RUN_MIN 8        /* shorter runs of one byte stay literal */
#define DESCRIBE_MAX 120 /* a longer run-length description is replaced by a prefix */
#define CANON_INLINE_MAX 200

/* Appends one part of a description, "+"-separated. */
static void describe_part(struct sb *b, bool *first, const uint8_t *p, size_t n, size_t run)
{
        sb_puts(b, *first ? "" : " + ");
        *first = false;
        if (run)
                sb_printf(b, "%zu x ", run);
        sb_quoted(b, p, n, 0);
}

/* "'[<ctime>] ' + 1024 x '#'": literal stretches, and runs of one byte. */
static void describe_runs(struct sb *b, const uint8_t *p, size_t n)
{
        size_t i = 0, j, lit = 0;
        bool first = true;

        while (i < n) {
                for (j = i; j < n && p[j] == p[i]; j++)
                        ;
                if (j - i >= RUN_MIN) {
                        if (i > lit)
                                describe_part(b, &first, p + lit, i - lit, 0);
                        describe_part(b, &first, p + i, 1, j - i);
                        lit = j;
                }
                i = j;
        }
        if (n > lit)
                describe_part(b, &first, p + lit, n - lit, 0);
}

/*
 * A long payload in the canonical form: its (normalised) length is already
 * on the line; here a hash to compare it by and a description to read it by.
 */
static void sb_payload_summary(struct sb *b, const uint8_t *p, size_t n)
{
        struct sb desc = {0};

        sb_printf(b, "<fnv1a64 %016llx: ", (unsigned long long)fnv1a64(p, n));
        describe_runs(&desc, p, n);
        if (!desc.oom && desc.len <= DESCRIBE_MAX) {
                sb_add(b, desc.s, desc.len);
        } else {
                sb_quoted(b, p, n < 40 ? n : 40, 0);
                sb_puts(b, "...");
        }
        free(desc.s);
        sb_puts(b, ">");
}

/* The payload at the end of a line: quoted (cut in the timeline) or normalised and summarised. */
static void sb_payload(struct sb *b, const struct fmt *f, const struct sc_packet *p)
{
        struct sb norm = {0};

        if (!p->payload_caplen && !p->payload_len)
                return;
        sb_puts(b, " ");
        if (!f->canon) {
                if (sb_quoted(b, p->payload, p->payload_caplen, 60) &&
                    p->payload_caplen == p->payload_len)
                        sb_printf(b, " (%u bytes)", p->payload_len);
        } else if (normalise_times(p->payload, p->payload_caplen, &norm) < 0) {
                b->oom = true;
        } else if (p->payload_caplen > CANON_INLINE_MAX) {
                sb_payload_summary(b, (const uint8_t *)norm.s, norm.len);
        } else {
                sb_quoted(b, (const uint8_t *)norm.s, norm.len, 0);
        }
        free(norm.s);
        if (p->payload_caplen < p->payload_len)
                sb_printf(b, " (captured %u of %u)", p->payload_caplen, p->payload_len);
}

/* ---- one line per packet ---- */

static void sb_ip_flags(struct sb *b, const struct fmt *f, const struct sc_packet *p)
{
        if (p->df)
                sb_puts(b, " DF");
        if (p->mf)
                sb_puts(b, " MF");
        if (!f->canon && (p->mf || p->frag_off))
                sb_printf(b, " id 0x%04x", p->ip_id);
        if (!f->canon && p->ip_csum_bad)
                sb_puts(b, " bad-ip-checksum");
        sb_printf(b, " iplen %u", p->ip_totlen);
}

static void fmt_udp(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        sb_endpoint(b, f, IPPROTO_UDP, p->ip_src, p->sport);
        sb_puts(b, " > ");
        sb_endpoint(b, f, IPPROTO_UDP, p->ip_dst, p->dport);
        sb_puts(b, " UDP");
        sb_ip_flags(b, f, p);
        if (p->mf)
                sb_printf(b, " first fragment udplen %u", p->udp_len);
        sb_printf(b, " len %u", p->payload_len);
        sb_payload(b, f, p);
}

static void fmt_tcp(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        uint32_t rseq, rack;

        tcp_relative(f, p, &rseq, &rack);
        sb_endpoint(b, f, IPPROTO_TCP, p->ip_src, p->sport);
        sb_puts(b, " > ");
        sb_endpoint(b, f, IPPROTO_TCP, p->ip_dst, p->dport);
        sb_puts(b, " TCP ");
        sb_tcp_flags(b, p->tcp_flags);
        sb_ip_flags(b, f, p);
        sb_printf(b, " seq %u", rseq);
        if (p->payload_len)
                sb_printf(b, ":%u", rseq + p->payload_len);
        /*
         * The canonical form leaves acknowledgement numbers out: when both
         * sides close at once, whether a FIN acknowledges the other side's
         * depends on which the kernel handled first, not on the program.
         */
        if ((p->tcp_flags & TCP_ACK) && !f->canon)
                sb_printf(b, " ack %u", rack);
        if (!f->canon) {
                sb_printf(b, " win %u", p->window);
                sb_tcp_options(b, p);
        }
        sb_printf(b, " len %u", p->payload_len);
        sb_payload(b, f, p);
}

static const char *unreach_name(uint8_t code)
{
        static const char *const names[] = {
            "net unreachable",
            "host unreachable",
            "protocol unreachable",
            "port unreachable",
            "fragmentation needed",
            "source route failed",
            "net unknown",
            "host unknown",
            "source host isolated",
            "net prohibited",
            "host prohibited",
            "net unreachable for TOS",
            "host unreachable for TOS",
            "admin prohibited",
        };

        return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

/* RFC 792 type names; NULL for types a line shows as numbers. */
static const char *icmp_name(uint8_t type)
{
        switch (type) {
        case 0:
                return "echo reply";
        case 4:
                return "source quench";
        case 5:
                return "redirect";
        case 8:
                return "echo request";
        case 11:
                return "time exceeded";
        case 12:
                return "parameter problem";
        default:
                return NULL;
        }
}

static void sb_icmp_kind(struct sb *b, const struct fmt *f, const struct sc_packet *p)
{
        const char *name = p->icmp_type == 3 ? unreach_name(p->icmp_code) : icmp_name(p->icmp_type);

        if (!name)
                sb_printf(b, " type %u code %u", p->icmp_type, p->icmp_code);
        else if (p->icmp_type == 3 || p->icmp_code == 0)
                sb_printf(b, " %s", name);
        else
                sb_printf(b, " %s code %u", name, p->icmp_code);
        if (p->icmp_type == 3 && p->icmp_code == 4)
                sb_printf(b, " mtu %u", p->icmp_mtu);
        if (!f->canon && (p->icmp_type == 0 || p->icmp_type == 8))
                sb_printf(b, " id %u seq %u", p->icmp_id, p->icmp_seq);
}

/* The datagram an ICMP error is about, with its ports symbolised like any other. */
static void sb_icmp_quote(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        sb_puts(b, " for ");
        sb_proto(b, p->q_proto);
        sb_puts(b, " ");
        if (p->quote == 2) {
                sb_endpoint(b, f, p->q_proto, p->q_src, p->q_sport);
                sb_puts(b, " > ");
                sb_endpoint(b, f, p->q_proto, p->q_dst, p->q_dport);
        } else {
                sb_ip(b, p->q_src);
                sb_puts(b, " > ");
                sb_ip(b, p->q_dst);
        }
        sb_printf(b, " iplen %u", p->q_totlen);
}

static void fmt_icmp(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        sb_ip(b, p->ip_src);
        sb_puts(b, " > ");
        sb_ip(b, p->ip_dst);
        sb_puts(b, " ICMP");
        sb_icmp_kind(b, f, p);
        sb_ip_flags(b, f, p);
        if (p->quote) {
                sb_icmp_quote(b, f, p);
                return;
        }
        sb_printf(b, " len %u", p->payload_len);
        if (p->icmp_type != 0 && p->icmp_type != 8)
                sb_payload(b, f, p);
}

/* Later fragments, other protocols, and IPv4 whose transport header is unreadable. */
static void fmt_ipv4_other(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        sb_ip(b, p->ip_src);
        sb_puts(b, " > ");
        sb_ip(b, p->ip_dst);
        sb_puts(b, " ");
        sb_proto(b, p->proto);
        if (p->frag_off)
                sb_printf(b, " fragment offset %u", p->frag_off);
        sb_ip_flags(b, f, p);
        if (p->frag_off || p->payload_len)
                sb_printf(b, " len %u", p->payload_len);
        if (p->frag_off)
                sb_payload(b, f, p);
}

static void fmt_ipv4(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        if (!p->ip_hlen) {
                sb_puts(b, "IPv4");
                return;
        }
        switch (p->frag_off ? 0 : p->l4) {
        case IPPROTO_UDP:
                fmt_udp(b, f, p);
                break;
        case IPPROTO_TCP:
                fmt_tcp(b, f, p);
                break;
        case IPPROTO_ICMP:
                fmt_icmp(b, f, p);
                break;
        default:
                fmt_ipv4_other(b, f, p);
                break;
        }
}

static void fmt_ipv6(struct sb *b, const struct sc_packet *p)
{
        char a[INET6_ADDRSTRLEN], z[INET6_ADDRSTRLEN];

        if (p->problem[0] && !p->ip6_plen && !p->ip6_next) {
                sb_puts(b, "IPv6");
                return;
        }
        inet_ntop(AF_INET6, p->ip6_src, a, sizeof(a));
        inet_ntop(AF_INET6, p->ip6_dst, z, sizeof(z));
        sb_printf(b, "%s > %s IPv6 next-header %u plen %u", a, z, p->ip6_next, p->ip6_plen);
}

static void fmt_arp(struct sb *b, const struct sc_packet *p)
{
        const uint8_t *m = p->arp_sha;

        sb_puts(b, "ARP");
        if (!p->arp_ipv4) {
                if (!p->problem[0])
                        sb_printf(b, " op %u (not Ethernet/IPv4)", p->arp_op);
                return;
        }
        if (p->arp_op == 1) {
                sb_puts(b, " who-has ");
                sb_ip(b, p->arp_tpa);
                sb_puts(b, " tell ");
                sb_ip(b, p->arp_spa);
        } else if (p->arp_op == 2) {
                sb_puts(b, " reply ");
                sb_ip(b, p->arp_spa);
                sb_printf(b, " is-at %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                          m[5]);
        } else {
                sb_printf(b, " op %u ", p->arp_op);
                sb_ip(b, p->arp_spa);
                sb_puts(b, " > ");
                sb_ip(b, p->arp_tpa);
        }
}

/* One packet, without time or frame number; problems go at the end after "!!". */
static void fmt_packet(struct sb *b, struct fmt *f, const struct sc_packet *p)
{
        switch (p->l3) {
        case SC_L3_IPV4:
                fmt_ipv4(b, f, p);
                break;
        case SC_L3_IPV6:
                fmt_ipv6(b, p);
                break;
        case SC_L3_ARP:
                fmt_arp(b, p);
                break;
        case SC_L3_NONE: /* with a problem: too broken to say what it carries */
                sb_printf(b, p->problem[0] ? "frame of %u bytes" : "frame of %u bytes, not IP",
                          p->wirelen);
                break;
        default:
                sb_printf(b, "EtherType 0x%04x, %u bytes", (unsigned)p->l3, p->wirelen);
                break;
        }
        if (p->problem[0])
                sb_printf(b, " !! %s", p->problem);
}

/* ================================================================ */
/* Timeline                                                         */
/* ================================================================ */

struct fate {
        size_t frame; /* 1-based */
        size_t order; /* line in the file, for a stable sort */
        char *text;
};

static int fate_cmp(const void *a, const void *b)
{
        const struct fate *x = a, *y = b;

        if (x->frame != y->frame)
                return x->frame < y->frame ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

static void fates_free(struct fate *fates, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                free(fates[i].text);
        free(fates);
}

/* Parses one "<index> <text>" line into *fate; false for a line that is not one. */
static bool parse_fate(char *line, struct fate *fate)
{
        char *end;
        size_t len;

        while (*line == ' ' || *line == '\t')
                line++;
        if (*line < '0' || *line > '9')
                return false;
        fate->frame = strtoul(line, &end, 10);
        while (*end == ' ' || *end == '\t')
                end++;
        len = strcspn(end, "\r\n");
        end[len] = '\0';
        fate->text = strdup(end);
        return fate->text != NULL;
}

/* Reads the sidecar; a missing file is no fates.  Lines that are not fates are skipped. */
static int fates_load(const char *path, struct fate **out, size_t *n)
{
        size_t cap = 0, linecap = 0;
        struct fate *fates = NULL;
        char *line = NULL;
        FILE *fp;
        int ret = 0;

        *out = NULL;
        *n = 0;
        if (!path)
                return 0;
        fp = fopen(path, "re");
        if (!fp)
                return errno == ENOENT ? 0 : -errno;
        while (getline(&line, &linecap, fp) > 0) {
                struct fate fate = {.order = *n};

                if (!parse_fate(line, &fate))
                        continue;
                if (!grow_array((void **)&fates, &cap, *n, sizeof(*fates))) {
                        free(fate.text);
                        ret = -ENOMEM;
                        break;
                }
                fates[(*n)++] = fate;
        }
        free(line);
        fclose(fp);
        if (ret < 0) {
                fates_free(fates, *n);
                *n = 0;
                return ret;
        }
        qsort(fates, *n, sizeof(*fates), fate_cmp);
        *out = fates;
        return 0;
}

static const char *linktype_name(int lt)
{
        switch (lt) {
        case SC_LINK_NULL:
                return "NULL";
        case SC_LINK_EN10MB:
                return "EN10MB";
        case SC_LINK_RAW:
                return "RAW";
        case SC_LINK_LOOP:
                return "LOOP";
        case SC_LINK_LINUX_SLL:
                return "LINUX_SLL";
        case SC_LINK_LINUX_SLL2:
                return "LINUX_SLL2";
        default:
                return "unknown";
        }
}

/* Seconds since t0 with 6 decimals; negative when the file is out of order. */
static void sb_reltime(struct sb *b, uint64_t t, uint64_t t0)
{
        uint64_t d = t >= t0 ? t - t0 : t0 - t;

        sb_printf(b, "%s%llu.%06llu", t >= t0 ? "" : "-", (unsigned long long)(d / 1000000000u),
                  (unsigned long long)(d % 1000000000u / 1000u));
}

static void timeline_header(struct sb *b, const struct sc_pcap *cap)
{
        sb_printf(b, "# %zu packet%s, link type %s (%d), %s timestamps, snaplen %u\n", cap->count,
                  cap->count == 1 ? "" : "s", linktype_name(cap->linktype), cap->linktype,
                  cap->nsec ? "nanosecond" : "microsecond", cap->snaplen);
        if (!cap->pcapng)
                return;
        /* pcapng: the section's comments, then the interfaces the lines name. */
        for (const char *c = cap->comments; c && *c;) {
                const char *nl = strchr(c, '\n');
                int n = nl ? (int)(nl - c) : (int)strlen(c);

                sb_printf(b, "# %.*s\n", n, c);
                c += n + (nl ? 1 : 0);
        }
        for (size_t i = 0; i < cap->nifs; i++)
                sb_printf(b, "# interface %zu: %s%s%s\n", i, cap->ifs[i].name[0] ? cap->ifs[i].name : "?",
                          cap->ifs[i].description[0] ? ": " : "", cap->ifs[i].description);
}

/* pcapng: "lan/alpha out " before a packet (direction as the link's host sees it). */
static void sb_iface(struct sb *b, const struct sc_pcap *cap, const struct sc_packet *p)
{
        static const char *const dir[4] = {"   ", "in ", "out", "   "};

        if (!cap->pcapng || p->ifindex >= cap->nifs)
                return;
        sb_printf(b, "%-12s %s ", cap->ifs[p->ifindex].name[0] ? cap->ifs[p->ifindex].name : "?",
                  dir[p->epb_flags & 3]);
}

static void fates_footer(struct sb *b, const struct fate *fates, size_t from, size_t to)
{
        for (; from < to; from++)
                sb_printf(b, "# fate for frame %zu, not in the capture: %s\n", fates[from].frame,
                          fates[from].text);
}

/* Builds the whole timeline in memory, so a write error is one check. */
static int timeline_text(struct sb *b, const struct sc_pcap *cap, const struct fate *fates,
                         size_t nfates)
{
        struct fmt f = {0};
        size_t i, k, nzero;

        timeline_header(b, cap);
        for (nzero = 0; nzero < nfates && fates[nzero].frame == 0; nzero++)
                ;
        for (i = 0, k = nzero; i < cap->count; i++) {
                const struct sc_packet *p = &cap->pkts[i];

                sb_printf(b, "%3zu ", i + 1);
                sb_reltime(b, p->ts_ns, cap->pkts[0].ts_ns);
                sb_puts(b, " ");
                sb_iface(b, cap, p);
                fmt_packet(b, &f, p);
                for (; k < nfates && fates[k].frame == i + 1; k++)
                        sb_printf(b, "  <-- %s", fates[k].text);
                if (p->comment)
                        sb_printf(b, "  <-- %s", p->comment);
                sb_puts(b, "\n");
        }
        fates_footer(b, fates, 0, nzero);
        fates_footer(b, fates, k, nfates);
        if (cap->problem[0])
                sb_printf(b, "# capture problem: %s\n", cap->problem);
        fmt_free(&f);
        return b->oom || f.oom ? -ENOMEM : 0;
}

int sc_timeline_write(FILE *out, const struct sc_pcap *cap, const char *fates_path)
{
        struct fate *fates = NULL;
        struct sb b = {0};
        size_t nfates = 0;
        int ret;

        if (!out || !cap)
                return -EINVAL;
        ret = fates_load(fates_path, &fates, &nfates);
        if (ret < 0)
                return ret;
        ret = timeline_text(&b, cap, fates, nfates);
        if (ret == 0 && b.len && fwrite(b.s, 1, b.len, out) != b.len)
                ret = -EIO;
        if (ret == 0 && fflush(out) != 0)
                ret = -EIO;
        free(b.s);
        fates_free(fates, nfates);
        return ret;
}

/* ================================================================ */
/* Canonical form                                                   */
/* ================================================================ */

/*
 * Format, one line per kept packet, in capture order:
 *
 *   10.0.0.1:C1 > 10.0.0.2:1060 UDP DF iplen 51 len 23 'This is another message'
 *   10.0.0.1:C1 > 10.0.0.2:21567 TCP [S] DF iplen 60 seq 0 len 0
 *   10.0.0.2 > 10.0.0.1 ICMP port unreachable iplen 79 for UDP 10.0.0.1:C1 > 10.0.0.2:1060 iplen 51
 *
 * preceded by a fixed comment header.  Kept exactly: addresses, fixed
 * ports, protocol, DF/MF, IP total length, payload length, TCP flags,
 * relative sequence numbers, fragment offsets, ICMP type and code, payload
 * bytes.  Left out: time, IP ID, TTL, checksums, TCP acknowledgement numbers
 * (racy when both sides close at once), window and options, ICMP echo
 * id/seq, ARP and everything that is not IPv4 UDP/TCP/ICMP.
 */
static const char canon_header[] =
    "# sockcheck canonical capture v2: IPv4 UDP/TCP/ICMP only; no times, IP IDs, TTLs,\n"
    "# checksums, TCP acks, windows or options; ports not fixed become C1, C2... in order\n"
    "# of appearance; TCP seq relative to each direction's SYN; <ctime> and <datetime>\n"
    "# stand for timestamps in payloads; pure ACKs are left out (see decode.c).\n";
/* (Also left out, with no change of header: TCP retransmissions and resets after a finished
 * close; no reference capture holds either, so every one still compares.) */

static bool canon_keeps(const struct sc_packet *p)
{
        if (p->l3 != SC_L3_IPV4)
                return false;
        if (!p->ip_hlen) /* an IPv4 header too broken to say more: a difference worth seeing */
                return true;
        if (p->proto != IPPROTO_UDP && p->proto != IPPROTO_TCP && p->proto != IPPROTO_ICMP)
                return false;
        /*
         * A pure ACK (the flags exactly ACK, no data) exists or not depending
         * on delayed-ACK timers and on whether data was ready to piggyback
         * on: two runs of one correct program differ here, so leave them out.
         */
        if (p->l4 == IPPROTO_TCP && !p->frag_off && p->tcp_flags == TCP_ACK && !p->payload_len &&
            !p->problem[0])
                return false;
        return true;
}

/*
 * A TCP segment whose canonical line (endpoints, flags, relative sequence,
 * length, payload) is already in the text is a retransmission: the stack
 * sends one when an ACK is slow (a tail-loss probe fires after about two
 * round trips, a few ms here, so a switch delayed by load makes one), never
 * because the program asked.  Left out, like pure ACKs.  UDP repeats stay:
 * those are datagrams the program sent twice.  (The header is unchanged: no
 * reference capture holds a retransmission, so every one still compares.)
 */
static bool canon_repeats(const struct sb *b, size_t start)
{
        const char *line = b->s + start;
        size_t len = b->len - start;

        for (const char *p = b->s; p < line;) {
                const char *nl = memchr(p, '\n', (size_t)(line - p));
                size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(line - p);

                if (l == len && memcmp(p, line, len) == 0)
                        return true;
                p += l;
        }
        return false;
}

/*
 * A reset after a finished close.  Once both ends of a connection have sent
 * their FIN, neither program can make a segment of it any more; a reset
 * sent past the sender's own FIN is its kernel answering a stray segment,
 * and under load there is one: the ACK of a client's FIN, made in one CPU's
 * softirq, left the server after the server's own FIN made in another, the
 * client answered that stale ACK and the closed server reset (seen once in
 * a CI run, tsTclnt_book/empty_line_sends_nothing).  Left out, like pure
 * ACKs.  (A program that closes with SO_LINGER 0 in the microseconds while
 * the other FIN is in flight would lose its reset here; no book program
 * sets SO_LINGER.)
 */
struct closed_conn {
        uint32_t ip[2];
        uint16_t port[2];
        bool fin[2];
        uint32_t fin_seq[2];
};

static bool canon_late_reset(struct closed_conn *c, size_t *n, size_t cap,
                             const struct sc_packet *p)
{
        size_t i;
        int d = -1;

        if (p->l4 != IPPROTO_TCP || p->frag_off || !(p->tcp_flags & (TCP_FIN | TCP_RST)))
                return false;
        for (i = 0; i < *n && d < 0; i++)
                for (int k = 0; k < 2; k++)
                        if (c[i].ip[k] == p->ip_src && c[i].port[k] == p->sport &&
                            c[i].ip[!k] == p->ip_dst && c[i].port[!k] == p->dport) {
                                d = k;
                                break;
                        }
        if (d < 0) {
                if (!(p->tcp_flags & TCP_FIN) || *n == cap)
                        return false;
                i = (*n)++;
                memset(&c[i], 0, sizeof(c[i]));
                c[i].ip[0] = p->ip_src, c[i].port[0] = p->sport;
                c[i].ip[1] = p->ip_dst, c[i].port[1] = p->dport;
                d = 0;
        } else {
                i--;
        }
        if (p->tcp_flags & TCP_FIN) {
                c[i].fin[d] = true;
                c[i].fin_seq[d] = p->seq + p->payload_len;
                return false;
        }
        return (p->tcp_flags & ~TCP_ACK) == TCP_RST && !p->payload_len && c[i].fin[0] &&
               c[i].fin[1] && p->seq == c[i].fin_seq[d] + 1;
}

int sc_canon_text(const struct sc_pcap *cap, const uint16_t *fixed_ports, size_t nfixed,
                  char **out_text)
{
        struct fmt f = {.canon = true, .fixed = fixed_ports, .nfixed = nfixed};
        struct sb b = {0};
        struct closed_conn closed[64];
        size_t i, nclosed = 0;

        *out_text = NULL;
        if (!cap || (!fixed_ports && nfixed))
                return -EINVAL;
        sb_puts(&b, canon_header);
        for (i = 0; i < cap->count; i++) {
                size_t start = b.len;

                if (!canon_keeps(&cap->pkts[i]) ||
                    canon_late_reset(closed, &nclosed, sizeof(closed) / sizeof(closed[0]),
                                     &cap->pkts[i]))
                        continue;
                fmt_packet(&b, &f, &cap->pkts[i]);
                sb_puts(&b, "\n");
                if (!b.oom && cap->pkts[i].l4 == IPPROTO_TCP && canon_repeats(&b, start))
                        b.s[b.len = start] = '\0';
        }
        fmt_free(&f);
        if (b.oom || f.oom) {
                free(b.s);
                return -ENOMEM;
        }
        *out_text = b.s;
        return 0;
}

/* ================================================================ */
/* Line diff                                                        */
/* ================================================================ */

struct line {
        const char *s;
        size_t len;
};

/* Splits text into lines (without their '\n'); a final '\n' ends the last line. */
static struct line *split_lines(const char *text, size_t *n)
{
        size_t count = 0, i = 0;
        const char *p, *nl;
        struct line *lines;

        for (p = text; *p; p = nl + 1) {
                nl = strchr(p, '\n');
                count++;
                if (!nl)
                        break;
        }
        lines = calloc(count ? count : 1, sizeof(*lines));
        if (!lines)
                return NULL;
        for (p = text; *p && i < count; p = nl + 1) {
                nl = strchr(p, '\n');
                lines[i].s = p;
                lines[i].len = nl ? (size_t)(nl - p) : strlen(p);
                i++;
                if (!nl)
                        break;
        }
        *n = count;
        return lines;
}

static bool line_eq(const struct line *a, const struct line *b)
{
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

#define DIFF_MAX_LINES 20
#define DIFF_MAX_CELLS 4000000u /* beyond this the middle is shown as all replaced */

/* One line of the edit script: '-' only in expected, '+' only in actual. */
struct edit {
        char op;
        size_t ie, ia; /* 0-based line numbers where it applies */
};

struct diff {
        const struct line *e, *a;
        size_t ne, na;
        struct edit *edits;
        size_t nedits, edits_cap;
        bool oom;
};

static void diff_edit(struct diff *d, char op, size_t ie, size_t ia)
{
        if (!grow_array((void **)&d->edits, &d->edits_cap, d->nedits, sizeof(*d->edits))) {
                d->oom = true;
                return;
        }
        d->edits[d->nedits++] = (struct edit){.op = op, .ie = ie, .ia = ia};
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
        return a > b ? a : b;
}

/*
 * The edit script for the lines between the common prefix and suffix, from
 * a longest-common-subsequence table (canonical texts are short).
 */
static int diff_middle(struct diff *d, size_t lo, size_t he, size_t ha)
{
        size_t n = he - lo, m = ha - lo, i, j;
        uint32_t *t;

        if (n && m && (n + 1) > DIFF_MAX_CELLS / (m + 1))
                n = m = 0; /* too big: everything left is shown as replaced */
#define T(i, j) t[(i) * (m + 1) + (j)]
        t = calloc((n + 1) * (m + 1), sizeof(*t));
        if (!t)
                return -ENOMEM;
        for (i = n; i-- > 0;)
                for (j = m; j-- > 0;)
                        T(i, j) = line_eq(&d->e[lo + i], &d->a[lo + j])
                                      ? T(i + 1, j + 1) + 1
                                      : max_u32(T(i + 1, j), T(i, j + 1));
        i = j = 0;
        while (i < n && j < m) {
                if (line_eq(&d->e[lo + i], &d->a[lo + j])) {
                        i++, j++;
                } else if (T(i + 1, j) >= T(i, j + 1)) {
                        diff_edit(d, '-', lo + i, lo + j);
                        i++;
                } else {
                        diff_edit(d, '+', lo + i, lo + j);
                        j++;
                }
        }
#undef T
        free(t);
        for (i += lo; i < he; i++)
                diff_edit(d, '-', i, j + lo);
        for (j += lo; j < ha; j++)
                diff_edit(d, '+', he, j);
        return d->oom ? -ENOMEM : 0;
}

/* Prints up to max of the hunk's lines with one op, in order. */
static size_t print_side(struct sb *b, const struct diff *d, size_t from, size_t to, char op,
                         size_t max)
{
        size_t k, shown = 0;
        const struct line *l;

        for (k = from; k < to && shown < max; k++) {
                if (d->edits[k].op != op)
                        continue;
                l = op == '-' ? &d->e[d->edits[k].ie] : &d->a[d->edits[k].ia];
                sb_printf(b, "%c%.*s\n", op, (int)l->len, l->s);
                shown++;
        }
        return shown;
}

/*
 * Hunks of consecutive edits, each as its '-' lines then its '+' lines.
 * The line budget is shared so that a long replaced block still shows
 * both sides: that is what a person reading a failure needs.
 */
static void print_hunks(struct sb *b, const struct diff *d)
{
        size_t k = 0, end, dels, adds, show_d, show_a, left = DIFF_MAX_LINES, hidden = 0;

        while (k < d->nedits) {
                dels = adds = 0;
                for (end = k; end < d->nedits; end++) {
                        if (end > k && (d->edits[end].ie !=
                                            d->edits[end - 1].ie + (d->edits[end - 1].op == '-') ||
                                        d->edits[end].ia !=
                                            d->edits[end - 1].ia + (d->edits[end - 1].op == '+')))
                                break;
                        d->edits[end].op == '-' ? dels++ : adds++;
                }
                show_d = dels < left - (adds < left / 2 ? adds : left / 2)
                             ? dels
                             : left - (adds < left / 2 ? adds : left / 2);
                show_a = adds < left - show_d ? adds : left - show_d;
                if (show_d + show_a) {
                        sb_printf(b, "@@ -%zu +%zu @@\n", d->edits[k].ie + 1, d->edits[k].ia + 1);
                        print_side(b, d, k, end, '-', show_d);
                        print_side(b, d, k, end, '+', show_a);
                }
                left -= show_d + show_a;
                hidden += dels + adds - show_d - show_a;
                k = end;
        }
        if (hidden)
                sb_printf(b, "... and %zu more differing lines\n", hidden);
}

int sc_canon_diff(const char *expected, const char *actual, char **out_report)
{
        struct diff d = {0};
        struct line *e = NULL, *a = NULL;
        struct sb out = {0};
        size_t lo = 0, he, ha;
        int ret = -ENOMEM;

        if (!out_report)
                return -EINVAL;
        *out_report = NULL;
        if (!expected || !actual)
                return -EINVAL;
        if (strcmp(expected, actual) == 0)
                return 0;
        e = split_lines(expected, &d.ne);
        a = split_lines(actual, &d.na);
        if (!e || !a)
                goto out;
        d.e = e;
        d.a = a;
        he = d.ne;
        ha = d.na;
        while (lo < he && lo < ha && line_eq(&e[lo], &a[lo]))
                lo++;
        while (he > lo && ha > lo && line_eq(&e[he - 1], &a[ha - 1]))
                he--, ha--;
        if (diff_middle(&d, lo, he, ha) < 0)
                goto out;
        sb_puts(&out, "--- expected\n+++ actual\n");
        print_hunks(&out, &d);
        if (!d.nedits)
                sb_puts(&out, "(the texts differ only in their final newline)\n");
        if (out.oom)
                goto out;
        *out_report = out.s;
        out.s = NULL;
        ret = 1;
out:
        free(out.s);
        free(d.edits);
        free(e);
        free(a);
        return ret;
}
