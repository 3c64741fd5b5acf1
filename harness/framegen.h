/*
 * framegen.h - synthesises Ethernet/IPv4/UDP/TCP/ICMP frames and classic
 * pcap files in memory, for the decoder's tests, the tshark cross-check and
 * the fuzzer's seed corpus.  Writing goes into a buffer of the caller's
 * size and never past it: a write that does not fit sets an overflow flag
 * and is dropped, with every write after it, so the caller decides whether
 * that is a failed assertion (the suites) or an error return (the seed
 * generator, which must not depend on Criterion).  Checksums other than
 * IPv4's are left 0, which the decoder and tshark accept.
 */
#ifndef SOCKCHECK_FRAMEGEN_H
#define SOCKCHECK_FRAMEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A frame or a file being built in buf[0..len), cap bytes of room. */
struct sc_fg {
        uint8_t *buf;
        size_t len, cap;
        bool overflow; /* a write did not fit: buf holds what came before it */
        bool pcap_be;  /* records follow the byte order of sc_fg_pcap_header */
};

/* IPv4 header fields (RFC 791) the callers choose; addresses in host order. */
struct sc_fg_ip {
        uint32_t src, dst;
        uint16_t id;
        uint16_t frag; /* flags and offset in 8-byte units: 0x4000 DF, 0x2000 MF */
        uint8_t ttl;
        const void *opts; /* options, already padded to a multiple of 4 bytes */
        size_t optlen;
};

/* TCP header fields (RFC 9293); the data offset follows from optlen. */
struct sc_fg_tcp {
        uint16_t sport, dport;
        uint32_t seq, ack;
        uint8_t flags;
        uint16_t window;
        const void *opts; /* a multiple of 4 bytes */
        size_t optlen;
};

/* Linux's usual SYN options: mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7. */
extern const uint8_t sc_fg_syn_opts[20];

/* Starts an empty builder over buf; also how a builder is reused. */
void sc_fg_init(struct sc_fg *f, void *buf, size_t cap);

/* Raw bytes, then big-endian (network order) integers. */
void sc_fg_put(struct sc_fg *f, const void *p, size_t n);
void sc_fg_put16(struct sc_fg *f, uint16_t v);
void sc_fg_put32(struct sc_fg *f, uint32_t v);

/* Ethernet II header: 6-byte addresses and the EtherType. */
void sc_fg_ether(struct sc_fg *f, const void *dst, const void *src, uint16_t type);

/* IPv4 header, checksummed, for len bytes of proto after it (options not counted). */
void sc_fg_ipv4(struct sc_fg *f, const struct sc_fg_ip *ip, uint8_t proto, size_t len);

/* A whole IPv4 datagram: the IP header, then UDP, TCP or ICMP, then n bytes of data. */
void sc_fg_udp(struct sc_fg *f, const struct sc_fg_ip *ip, uint16_t sport, uint16_t dport,
               const void *data, size_t n);
void sc_fg_tcp(struct sc_fg *f, const struct sc_fg_ip *ip, const struct sc_fg_tcp *tcp,
               const void *data, size_t n);
/* ICMP: type and code, checksum and the next 4 bytes 0, then data (an error's quote). */
void sc_fg_icmp(struct sc_fg *f, const struct sc_fg_ip *ip, uint8_t type, uint8_t code,
                const void *data, size_t n);

/* Classic pcap file header, version 2.4, in either byte order and time precision. */
void sc_fg_pcap_header(struct sc_fg *f, bool be, bool nsec, uint32_t linktype, uint32_t snaplen);

/*
 * A record: its header says caplen and wirelen, then come the have bytes of
 * data (a test may make them disagree, as a damaged file would).  frac is in
 * microseconds or nanoseconds, as the file header says.
 */
void sc_fg_pcap_record(struct sc_fg *f, uint32_t sec, uint32_t frac, uint32_t caplen,
                       uint32_t wirelen, const void *data, size_t have);

#endif
