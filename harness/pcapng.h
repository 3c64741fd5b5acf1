/*
 * pcapng.h - a pcapng writer (libpcap 1.10 reads pcapng but cannot write
 * it).  It builds a whole file in memory, block by block, so a capture's
 * blocks can be put in the order a reader needs (section header, interface
 * descriptions, name resolution, then packets) whatever order the lab saw
 * them in.  Little-endian throughout (readers take either order, the
 * section header says which).  Memory trouble sets a flag once and every
 * later call does nothing, so a caller checks once, at sc_png_save.
 *
 * Format: draft-ietf-opsawg-pcapng (sections 4.1 SHB, 4.2 IDB, 4.3 EPB,
 * 4.5 NRB); option codes are the draft's.
 */
#ifndef SOCKCHECK_PCAPNG_H
#define SOCKCHECK_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sc_png {
        uint8_t *buf;
        size_t len, cap;
        bool oom;
        unsigned nifs; /* interfaces described so far in this section */
};

/* Direction and reception type of an EPB (epb_flags, draft 4.3.1). */
#define SC_PNG_INBOUND 1u
#define SC_PNG_OUTBOUND 2u
#define SC_PNG_UNICAST (1u << 2)
#define SC_PNG_MULTICAST (2u << 2)
#define SC_PNG_BROADCAST (3u << 2)

/* One packet for sc_png_epb. */
struct sc_png_packet {
        uint32_t ifid;        /* index of its IDB in this section */
        uint64_t ts;          /* in the interface's resolution units */
        uint32_t caplen, len; /* bytes in the file, bytes on the wire */
        const uint8_t *data;
        uint32_t flags;       /* SC_PNG_* (0: leave the option out) */
        bool has_packet_id;
        uint64_t packet_id;   /* the same for every copy of one packet */
        const char *comment;  /* NULL: none */
};

void sc_png_init(struct sc_png *w);
void sc_png_free(struct sc_png *w);

/* Section header: one opt_comment per comments[i], and shb_userappl. */
void sc_png_shb(struct sc_png *w, const char *const *comments, size_t ncomments,
                const char *userappl);
/*
 * Interface description; tsresol is if_tsresol's byte (9: nanoseconds), 0
 * to leave it out (microseconds).  addr/prefix (network order; prefix 0:
 * none) becomes if_IPv4addr.  Returns the interface's index.
 */
unsigned sc_png_idb(struct sc_png *w, uint16_t linktype, uint32_t snaplen, const char *name,
                    const char *description, uint8_t tsresol, uint32_t addr, int prefix);
/* Name resolution block: n IPv4 records, addrs[i] (network order) is names[i]. */
void sc_png_nrb(struct sc_png *w, const uint32_t *addrs, const char *const *names, size_t n);
/* Enhanced packet block. */
void sc_png_epb(struct sc_png *w, const struct sc_png_packet *p);

/* Writes the file (mode 0644); 0 or -errno (-ENOMEM if a block did not fit). */
int sc_png_save(const struct sc_png *w, const char *path);

#endif
