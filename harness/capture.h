/*
 * capture.h - the lab's recordings.  A capture either reads an interface
 * through libpcap (live) or is fed by the segment switch, which hands it
 * every frame it receives together with the lab's decision for that frame.
 * Frames are kept in memory and written as one nanosecond pcap file (plus a
 * .fates sidecar naming what the lab did) when the capture finishes.
 */
#ifndef SOCKCHECK_CAPTURE_H
#define SOCKCHECK_CAPTURE_H

#include "internal.h"

#include <pcap/pcap.h>

struct sc_cap_rec {
        uint64_t ts_ns;
        uint32_t caplen, len;
        uint8_t *data;
        char *fate; /* NULL when untouched */
};

struct sc_cap {
        struct sc_capture_spec spec;
        pcap_t *live; /* NULL for a segment capture */
        bool active;
        struct sc_cap_rec *recs;
        size_t n, cap;
        unsigned dropped, delayed, duplicated;
};

/* Opens a live capture on spec.ifname in the calling thread's namespace. */
int sc_cap_open_live(struct sc_cap *c);
/* Appends one frame (copied). */
void sc_cap_add(struct sc_cap *c, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                uint32_t len, const char *fate);
/* Reads whatever a live capture still has buffered. */
void sc_cap_drain(struct sc_cap *c);
/* Writes <dir>/<name>.pcap and its .fates, fills stats; the capture stops. */
int sc_cap_finish(struct sc_cap *c, const char *dir, struct sc_capture_stats *st);
void sc_cap_free(struct sc_cap *c);

/*
 * Sets the common options (immediate, nanosecond, snaplen, ring size) and
 * activates.  The kernel allocates the ring up front, its slots sized by the
 * snaplen, so a small snaplen makes a quick start.
 */
int sc_pcap_activate(pcap_t *p, const char *ifname, int snaplen, int buffer_bytes);

#endif
