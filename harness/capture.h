/*
 * capture.h - the lab's recordings.  A capture either reads an interface
 * through libpcap (live) or is fed by the segment switch, which hands it
 * every frame it receives together with the lab's decision for that frame.
 * Frames are kept in memory and written as one nanosecond pcap file (plus a
 * .fates sidecar naming what the lab did) when the capture finishes.
 */
#ifndef SOCKCHECK_CAPTURE_H
#define SOCKCHECK_CAPTURE_H

#include "impair.h"
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
        uint64_t bytes;       /* frame bytes recorded */
        unsigned not_recorded; /* frames past SC_CAP_MAX_BYTES (a flood) */
};

/*
 * What one capture keeps at most: far above any book scenario, and what
 * stops a port that floods its lab from filling the keeper's memory and
 * the evidence disk.
 */
#define SC_CAP_MAX_BYTES (4u << 20)

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
 * The lab's annotated recording (capture_pcapng.c): every frame as it
 * leaves a host onto a captured segment (outbound on that host's link) and
 * every copy the switch delivers (inbound on the receiver's link), with what
 * the lab did to it, written as one capture.pcapng.
 */
struct sc_ng_fate {
        bool drop, dup, held;
        int drop_rule, delay_rule, dup_rule, held_rule; /* 1-based, 0: none */
        int64_t delay_ns;
        char why[64];
};

struct sc_ng_rec {
        uint64_t ts_ns;
        int link;       /* lab link index, -1 for a live capture */
        int live;       /* the live capture's index, when link < 0 */
        bool outbound;  /* sent by the link's host (else delivered to it) */
        uint8_t copy;   /* 1 for the second copy of a duplicated frame */
        uint32_t caplen, len;
        uint8_t *data;
        uint64_t ev;    /* the switch's decision this copy came from */
        uint64_t pkid;  /* epb_packetid: equal for every copy of one packet */
        struct sc_ng_fate fate;
};

struct sc_ng {
        bool seg_on[SC_MAX_SEGMENTS]; /* segments with a capture */
        struct sc_ng_rec *recs;
        size_t n, cap;
        uint64_t next_ev;
        struct sc_ng_seen *seen; /* occurrences of each packet hash, per segment */
        size_t nseen, seencap;
        uint64_t bytes;          /* kept so far; past SC_CAP_MAX_BYTES nothing more is */
};

/* A frame host sent on link (segment seg); returns the decision's id, fills *pkid. */
uint64_t sc_ng_ingress(struct sc_ng *ng, int link, int seg, uint64_t ts_ns, const uint8_t *data,
                       uint32_t len, const struct sc_fate *fate, uint64_t *pkid);
/* The switch delivered a copy of decision ev to link's host. */
void sc_ng_egress(struct sc_ng *ng, int link, const uint8_t *data, uint32_t len, uint64_t ev,
                  uint64_t pkid, uint8_t copy, const struct sc_ng_fate *fate);
/* Converts a switch decision into what the recording keeps of it. */
void sc_ng_fate_of(const struct sc_fate *f, struct sc_ng_fate *out);
/*
 * Writes <lab dir>/capture.pcapng: the section header with notes (lines
 * "key: value"), one interface per captured link and live capture, the
 * lab's names, then every frame in time order.  0 or -errno.
 */
int sc_ng_write(struct sc_ng *ng, const struct sc_lab *lab, const struct sc_cap *caps,
                const char *notes);
void sc_ng_free(struct sc_ng *ng);

/*
 * Sets the common options (immediate, nanosecond, snaplen, ring size) and
 * activates.  The kernel allocates the ring up front, its slots sized by the
 * snaplen, so a small snaplen makes a quick start.
 */
int sc_pcap_activate(pcap_t *p, const char *ifname, int snaplen, int buffer_bytes);

#endif
