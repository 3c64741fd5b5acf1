/*
 * impair.h - the lab's fault decisions, kept pure: given the rules, the
 * seed and a frame, say what happens to it.  Nothing here touches the
 * network, so the decisions can be tested (and repeated) on their own.
 */
#ifndef SOCKCHECK_IMPAIR_H
#define SOCKCHECK_IMPAIR_H

#include "sc.h"

struct sc_impair {
        uint64_t seed;
        int nrules;
        struct sc_rule rules[SC_MAX_RULES];
        unsigned count[SC_MAX_RULES]; /* packets each rule has matched so far */
};

struct sc_fate {
        bool drop;
        bool dup;
        bool reorder;       /* hold behind the next packet of rule reorder_rule */
        int reorder_rule;
        int64_t delay_ns;
        /* Which rule (1-based, 0: none) made each decision, for pcapng comments. */
        int drop_rule, delay_rule, dup_rule;
        char drop_why[64];  /* "first 2", "every 3", "listed", "p=0.3 seed=1" */
        char text[160];     /* "dropped by lab (rule 1 #2: first 2)", "" when untouched */
};

/* The frame's IPv4 protocol and ports, for rule matching; false if not IPv4. */
bool sc_frame_flow(const uint8_t *frame, size_t len, int *proto, int *sport, int *dport);

void sc_impair_init(struct sc_impair *im, uint64_t seed, const struct sc_rule *rules, int n);

/* Decides the fate of one frame that host from_host sent onto segment seg. */
void sc_impair_decide(struct sc_impair *im, int seg, int from_host, const uint8_t *frame,
                      size_t len, struct sc_fate *fate);

/* The seeded uniform number in [0,1) for (seed, rule, packet, purpose). */
double sc_impair_uniform(uint64_t seed, int rule, unsigned pkt, unsigned purpose);

#endif
