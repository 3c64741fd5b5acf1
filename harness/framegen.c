/*
 * framegen.c - the frame and pcap builder behind framegen.h.  It writes only
 * through sc_fg_put, the one place that checks the room left, so no header
 * builder can write past the caller's buffer however the lengths add up.
 */
#include "framegen.h"

#include <string.h>

const uint8_t sc_fg_syn_opts[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};

void sc_fg_init(struct sc_fg *f, void *buf, size_t cap)
{
        *f = (struct sc_fg){.buf = buf, .cap = cap};
}

void sc_fg_put(struct sc_fg *f, const void *p, size_t n)
{
        if (f->overflow || n > f->cap - f->len) {
                f->overflow = true;
                return;
        }
        if (n)
                memcpy(f->buf + f->len, p, n);
        f->len += n;
}

void sc_fg_put16(struct sc_fg *f, uint16_t v)
{
        uint8_t b[2] = {v >> 8, v & 0xff};

        sc_fg_put(f, b, 2);
}

void sc_fg_put32(struct sc_fg *f, uint32_t v)
{
        sc_fg_put16(f, v >> 16);
        sc_fg_put16(f, v & 0xffff);
}

/* A pcap file's integers, in the byte order its header chose. */
static void pcap32(struct sc_fg *f, uint32_t v)
{
        uint8_t le[4] = {v, v >> 8, v >> 16, v >> 24};

        if (f->pcap_be)
                sc_fg_put32(f, v);
        else
                sc_fg_put(f, le, 4);
}

static void pcap16(struct sc_fg *f, uint16_t v)
{
        uint8_t le[2] = {v, v >> 8};

        if (f->pcap_be)
                sc_fg_put16(f, v);
        else
                sc_fg_put(f, le, 2);
}

/* The Internet checksum (RFC 1071): one's complement of the one's complement sum. */
static uint16_t csum(const uint8_t *p, size_t n)
{
        uint32_t s = 0;
        size_t i;

        for (i = 0; i + 1 < n; i += 2)
                s += (uint32_t)(p[i] << 8 | p[i + 1]);
        if (n & 1)
                s += (uint32_t)p[n - 1] << 8; /* an odd byte is padded with a zero */
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t)~s;
}

void sc_fg_ether(struct sc_fg *f, const void *dst, const void *src, uint16_t type)
{
        sc_fg_put(f, dst, 6);
        sc_fg_put(f, src, 6);
        sc_fg_put16(f, type);
}

void sc_fg_ipv4(struct sc_fg *f, const struct sc_fg_ip *ip, uint8_t proto, size_t len)
{
        size_t at = f->len, hlen = 20 + ip->optlen;
        uint16_t c;

        sc_fg_put16(f, (uint16_t)(0x4000 | (hlen / 4) << 8)); /* version 4, IHL, tos 0 */
        sc_fg_put16(f, (uint16_t)(hlen + len));
        sc_fg_put16(f, ip->id);
        sc_fg_put16(f, ip->frag);
        sc_fg_put16(f, (uint16_t)(ip->ttl << 8 | proto));
        sc_fg_put16(f, 0); /* checksum, filled in below */
        sc_fg_put32(f, ip->src);
        sc_fg_put32(f, ip->dst);
        sc_fg_put(f, ip->opts, ip->optlen);
        if (f->overflow)
                return;
        c = csum(f->buf + at, hlen);
        f->buf[at + 10] = c >> 8;
        f->buf[at + 11] = c & 0xff;
}

void sc_fg_udp(struct sc_fg *f, const struct sc_fg_ip *ip, uint16_t sport, uint16_t dport,
               const void *data, size_t n)
{
        sc_fg_ipv4(f, ip, 17, 8 + n);
        sc_fg_put16(f, sport);
        sc_fg_put16(f, dport);
        sc_fg_put16(f, (uint16_t)(8 + n));
        sc_fg_put16(f, 0); /* no checksum (RFC 768) */
        sc_fg_put(f, data, n);
}

void sc_fg_tcp(struct sc_fg *f, const struct sc_fg_ip *ip, const struct sc_fg_tcp *tcp,
               const void *data, size_t n)
{
        size_t hlen = 20 + tcp->optlen;

        sc_fg_ipv4(f, ip, 6, hlen + n);
        sc_fg_put16(f, tcp->sport);
        sc_fg_put16(f, tcp->dport);
        sc_fg_put32(f, tcp->seq);
        sc_fg_put32(f, tcp->ack);
        sc_fg_put16(f, (uint16_t)((hlen / 4) << 12 | tcp->flags));
        sc_fg_put16(f, tcp->window);
        sc_fg_put32(f, 0); /* checksum, urgent pointer */
        sc_fg_put(f, tcp->opts, tcp->optlen);
        sc_fg_put(f, data, n);
}

void sc_fg_icmp(struct sc_fg *f, const struct sc_fg_ip *ip, uint8_t type, uint8_t code,
                const void *data, size_t n)
{
        sc_fg_ipv4(f, ip, 1, 8 + n);
        sc_fg_put16(f, (uint16_t)(type << 8 | code));
        sc_fg_put16(f, 0); /* checksum */
        sc_fg_put32(f, 0); /* unused in the errors we build */
        sc_fg_put(f, data, n);
}

void sc_fg_pcap_header(struct sc_fg *f, bool be, bool nsec, uint32_t linktype, uint32_t snaplen)
{
        f->pcap_be = be;
        pcap32(f, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
        pcap16(f, 2);
        pcap16(f, 4);
        pcap32(f, 0); /* thiszone */
        pcap32(f, 0); /* sigfigs */
        pcap32(f, snaplen);
        pcap32(f, linktype);
}

void sc_fg_pcap_record(struct sc_fg *f, uint32_t sec, uint32_t frac, uint32_t caplen,
                       uint32_t wirelen, const void *data, size_t have)
{
        pcap32(f, sec);
        pcap32(f, frac);
        pcap32(f, caplen);
        pcap32(f, wirelen);
        sc_fg_put(f, data, have);
}
