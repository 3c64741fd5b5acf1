/*
 * figure.h - figures for lectures, as SVG text, drawn from a lab's
 * capture.pcapng (decode.h) and nothing else: what the figure shows is what
 * the capture holds, never what was expected (expectations are drawn as
 * dashed guides beside it).  No library: SVG is text.  Every mark carries
 * data-* attributes (its time, its frame) so a test can check that it sits
 * where the capture puts it.
 */
#ifndef SOCKCHECK_FIGURE_H
#define SOCKCHECK_FIGURE_H

#include "decode.h"

/* udp_remote's backoff (PROGRAMS.md): sends at 0, 0.1, 0.3, 0.7, 1.5 s, give-up at 3.1 s. */
struct sc_fig_backoff {
        const char *title;
        uint32_t client;     /* the client's address (network order) */
        uint16_t port;       /* the server's port */
        double gave_up_s;    /* when the client was seen ending (no packet marks a give-up),
                                from its first send; < 0: it did not give up */
};

/*
 * Broadcast reach: segments, router and hosts, each host coloured by
 * whether the first broadcast datagram appeared inbound on its link.
 */
struct sc_fig_reach {
        const char *title;
};

/* A sequence diagram of the IPv4 TCP and UDP packets between lab hosts, time to scale. */
struct sc_fig_sequence {
        const char *title;
};

/* Each returns 0 with *svg malloc'd, or -ENOENT (what it draws is not in the capture), -ENOMEM. */
int sc_fig_backoff_svg(const struct sc_pcap *cap, const struct sc_fig_backoff *o, char **svg);
int sc_fig_reach_svg(const struct sc_pcap *cap, const struct sc_fig_reach *o, char **svg);
int sc_fig_sequence_svg(const struct sc_pcap *cap, const struct sc_fig_sequence *o, char **svg);

/* The name a pcapng gives addr (its name-resolution block), or NULL. */
const char *sc_fig_name_of(const struct sc_pcap *cap, uint32_t addr);

#endif
