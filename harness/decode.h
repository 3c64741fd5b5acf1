/*
 * decode.h - reading what the lab captured: a pcap file reader of our own,
 * a defensive decoder for the few headers the book's programs put on the
 * wire (Ethernet, Linux cooked, IPv4, UDP, TCP, ICMP, ARP), a timeline a
 * person can read, and the canonical text that compares a port's capture
 * with a reference capture.
 *
 * Everything here is a pure function over bytes: no sockets, no libpcap, no
 * global state, safe on any input (a libFuzzer target, fuzz_decode, feeds it
 * arbitrary files).  Errors follow the harness's idiom: 0 or -errno, with a
 * sentence in a caller-provided buffer.  A bad packet is never an error of
 * the file: it is decoded as far as its bytes allow and carries a note.
 */
#ifndef SOCKCHECK_DECODE_H
#define SOCKCHECK_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Link types we decode (pcap LINKTYPE_* values).  The reader maps 12 and 14
 * (DLT_RAW as some systems write it), 228 (IPV4) and 229 (IPV6) to RAW.
 */
enum sc_linktype {
        SC_LINK_NULL = 0,        /* BSD loopback: 4-byte address family, host order */
        SC_LINK_EN10MB = 1,      /* Ethernet II / IEEE 802.3 */
        SC_LINK_RAW = 101,       /* bare IPv4 or IPv6 */
        SC_LINK_LOOP = 108,      /* OpenBSD loopback: family in network order */
        SC_LINK_LINUX_SLL = 113, /* Linux cooked capture v1 ("any" device) */
        SC_LINK_IPV4 = 228,      /* bare IPv4 */
        SC_LINK_LINUX_SLL2 = 276,
};

/* What sc_packet.l3 holds: the EtherType-like family of the network header. */
enum sc_l3 { SC_L3_NONE = 0, SC_L3_IPV4 = 4, SC_L3_IPV6 = 6, SC_L3_ARP = 0x806 };

/* The book's fixed ports: FOPNP 1060, Chun 21567, time 9999, echo 12345. */
/* clang-format off */
#define SC_BOOK_PORTS {1060, 21567, 9999, 12345}
/* clang-format on */
#define SC_BOOK_NPORTS 4

/* Largest record a pcap file may claim (libpcap's MAXIMUM_SNAPLEN). */
#define SC_PCAP_MAX_CAPLEN 262144u

/*
 * One captured frame and what its headers say.  Fields a frame does not
 * have stay zero; l3 and l4 say which groups are valid.  Addresses are in
 * network order (as in struct in_addr), everything else in host order.
 */
struct sc_packet {
        uint64_t ts_ns;           /* capture time, ns since the epoch */
        uint32_t caplen, wirelen; /* bytes in the file, bytes on the wire */
        const uint8_t *frame;     /* caplen bytes, owned by the sc_pcap (or the caller) */

        int l3; /* enum sc_l3, or the unknown EtherType (> 0x5ff) */
        /* IPv4 (RFC 791) */
        uint32_t ip_src, ip_dst;
        uint8_t proto, ttl;
        uint8_t ip_hlen; /* header length in bytes, options included */
        bool df, mf;
        bool ip_csum_bad; /* header checksum does not verify */
        uint16_t ip_id, ip_totlen;
        uint16_t frag_off; /* in bytes */
        /* IPv6 (RFC 8200), only enough to print it */
        uint8_t ip6_src[16], ip6_dst[16];
        uint8_t ip6_next;
        uint16_t ip6_plen;

        int l4; /* IP protocol whose header decoded completely, else 0 */
        /* UDP (RFC 768) and TCP (RFC 9293) */
        uint16_t sport, dport;
        uint16_t udp_len;   /* UDP length field (whole datagram when fragmented) */
        uint32_t seq, ack;  /* absolute */
        uint8_t tcp_flags;  /* CWR ECE URG ACK PSH RST SYN FIN */
        uint8_t tcp_hlen;   /* data offset in bytes */
        uint8_t tcp_optlen; /* option bytes captured, at tcp_opts */
        uint16_t window;
        const uint8_t *tcp_opts;
        /* ICMP (RFC 792) */
        uint8_t icmp_type, icmp_code;
        uint16_t icmp_id, icmp_seq; /* echo */
        uint16_t icmp_mtu;          /* next-hop MTU of "fragmentation needed" (RFC 1191) */
        uint8_t quote;              /* quoted datagram: 0 none, 1 IP header, 2 with ports */
        uint32_t q_src, q_dst;
        uint8_t q_proto;
        uint16_t q_totlen, q_sport, q_dport;
        /* ARP (RFC 826); addresses only when arp_ipv4 (Ethernet/IPv4) */
        bool arp_ipv4;
        uint16_t arp_op;
        uint32_t arp_spa, arp_tpa;
        uint8_t arp_sha[6];

        const uint8_t *payload;  /* data after the last decoded header */
        uint32_t payload_caplen; /* bytes of it captured */
        uint32_t payload_len;    /* bytes of it the headers claim */
        bool truncated;          /* the capture cut a header or the payload short */
        char problem[96];        /* what is wrong with the frame, "" if nothing */

        /* pcapng only (zero in classic pcap) */
        unsigned ifindex;        /* its interface, an index into sc_pcap.ifs */
        uint32_t epb_flags;      /* direction in bits 0-1: 1 inbound, 2 outbound */
        bool has_packet_id;
        uint64_t packet_id;      /* epb_packetid: equal for copies of one packet */
        char *comment;           /* its opt_comment(s), joined by "; ", malloc'd; NULL if none */
};

/* A pcapng interface (IDB). */
struct sc_pcap_iface {
        int linktype; /* enum sc_linktype, -1 if we do not decode it */
        uint32_t snaplen;
        char name[64];         /* if_name, "" if none */
        char description[160]; /* if_description */
        uint8_t tsresol;       /* if_tsresol (6 when absent: microseconds) */
        int64_t tsoffset;      /* if_tsoffset, seconds */
};

/* A pcapng name-resolution record (IPv4 only). */
struct sc_pcap_name {
        uint32_t addr; /* network order */
        char name[64];
};

/* A whole capture file; sc_pcap_free releases it and every frame. */
struct sc_pcap {
        int linktype; /* enum sc_linktype (FCS bits masked off) */
        bool nsec;    /* nanosecond timestamps (magic 0xa1b23c4d) */
        bool swapped; /* written in the other byte order */
        uint32_t snaplen;
        size_t count;
        struct sc_packet *pkts;
        char problem[160]; /* why reading stopped before the end, "" if it did not */
        /* pcapng: interfaces, section comments ("\n"-joined, NULL if none), names */
        bool pcapng;
        size_t nifs;
        struct sc_pcap_iface *ifs;
        char *comments;
        size_t nnames;
        struct sc_pcap_name *names;
        uint8_t *data;     /* the file's bytes; frames point into them */
        size_t data_len;
};

/*
 * Parses a pcap or pcapng file held in memory (the bytes are copied).
 * Returns 0 when the file header is good, even if a record is bad: reading
 * then stops and cap->problem says why, with the readable packets kept.
 * -EINVAL for a header that is neither classic pcap 2.x of a link type we
 * decode nor a pcapng section header, -ENOMEM.  In pcapng, cap->linktype
 * is the first interface's; each packet is decoded with its own
 * interface's, and packets of interfaces we do not decode keep only their
 * times and lengths, with a problem saying so.
 */
int sc_pcap_parse(const uint8_t *buf, size_t len, struct sc_pcap **out, char *err, size_t errlen);
/* The same for a file on disk; -errno if it cannot be read. */
int sc_pcap_load(const char *path, struct sc_pcap **out, char *err, size_t errlen);
void sc_pcap_free(struct sc_pcap *cap);

/*
 * Decodes one frame into *out (zeroed first; frame is kept by pointer).
 * Returns 0, with out->problem saying what, if anything, is wrong, or
 * -EINVAL for a link type we do not decode.
 */
int sc_decode_frame(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                    struct sc_packet *out);

/*
 * Writes the timeline: one line per packet, time relative to the first.
 * fates_path names the lab's "<index> <fate>" sidecar; NULL or a missing
 * file means no fates.  0 or -errno (-EIO if out fails).
 */
int sc_timeline_write(FILE *out, const struct sc_pcap *cap, const char *fates_path);

/*
 * The canonical form (format in decode.c): IPv4 UDP/TCP/ICMP only, volatile
 * fields normalised, ports not in fixed_ports replaced by C1, C2... in order
 * of appearance.  *out_text is malloc'd, newline-terminated.  0 or -ENOMEM.
 */
int sc_canon_text(const struct sc_pcap *cap, const uint16_t *fixed_ports, size_t nfixed,
                  char **out_text);

/*
 * Compares two texts line by line.  0 when equal (*out_report = NULL), 1 when
 * not, with *out_report a malloc'd "-expected / +actual" report of the first
 * differing lines; -ENOMEM.
 */
int sc_canon_diff(const char *expected, const char *actual, char **out_report);

#endif
