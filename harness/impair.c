/*
 * impair.c - drop, delay, duplicate and reorder decisions for the lab's
 * switch.  Each random draw is a hash of (seed, rule, packet index,
 * purpose), not the next number of a stream, so a decision never depends
 * on what other packets did, on timing, or on the kernel: the same seed
 * gives the same faults everywhere.
 */
#include "impair.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

enum { PURPOSE_DROP = 1, PURPOSE_JITTER, PURPOSE_DUP };

static uint64_t splitmix64(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

double sc_impair_uniform(uint64_t seed, int rule, unsigned pkt, unsigned purpose)
{
        uint64_t h = splitmix64(seed);

        h = splitmix64(h ^ ((uint64_t)(unsigned)rule << 40) ^ ((uint64_t)purpose << 32) ^ pkt);
        return (double)(h >> 11) / 9007199254740992.0; /* 2^53 */
}

static unsigned be16(const uint8_t *p)
{
        return (unsigned)p[0] << 8 | p[1];
}

/* Ethernet II (IEEE 802.3) then IPv4 (RFC 791); ports from UDP/TCP (RFC 768, 9293). */
bool sc_frame_flow(const uint8_t *frame, size_t len, int *proto, int *sport, int *dport)
{
        size_t ihl;

        *proto = 0;
        *sport = *dport = 0;
        if (len < 14 + 20 || be16(frame + 12) != 0x0800)
                return false;
        ihl = (size_t)(frame[14] & 0x0f) * 4;
        if ((frame[14] >> 4) != 4 || ihl < 20 || len < 14 + ihl)
                return false;
        *proto = frame[14 + 9];
        /* Only a first fragment carries the ports. */
        if ((be16(frame + 14 + 6) & 0x1fff) == 0 && len >= 14 + ihl + 4 &&
            (*proto == IPPROTO_UDP || *proto == IPPROTO_TCP)) {
                *sport = (int)be16(frame + 14 + ihl);
                *dport = (int)be16(frame + 14 + ihl + 2);
        }
        return true;
}

void sc_impair_init(struct sc_impair *im, uint64_t seed, const struct sc_rule *rules, int n)
{
        memset(im, 0, sizeof(*im));
        im->seed = seed;
        if (n > SC_MAX_RULES)
                n = SC_MAX_RULES;
        im->nrules = n;
        if (n > 0)
                memcpy(im->rules, rules, sizeof(rules[0]) * (size_t)n);
}

static bool rule_matches(const struct sc_rule *r, int seg, int from_host, int proto, int sport,
                         int dport)
{
        if (r->segment != seg)
                return false;
        if (r->from_host >= 0 && r->from_host != from_host)
                return false;
        if (r->proto && r->proto != proto)
                return false;
        if (r->port && r->port != sport && r->port != dport)
                return false;
        return true;
}

/* Why rule r drops its packet number idx, or NULL. */
static const char *drop_reason(const struct sc_impair *im, int ri, unsigned idx, char *buf,
                               size_t cap)
{
        const struct sc_rule *r = &im->rules[ri];

        if (r->drop_first && idx <= r->drop_first) {
                snprintf(buf, cap, "first %u", r->drop_first);
                return buf;
        }
        if (r->drop_every && idx % r->drop_every == 0) {
                snprintf(buf, cap, "every %u", r->drop_every);
                return buf;
        }
        for (int i = 0; i < SC_MAX_DROP_LIST && r->drop_list[i]; i++)
                if (r->drop_list[i] == idx) {
                        snprintf(buf, cap, "listed");
                        return buf;
                }
        if (r->drop_prob > 0 && sc_impair_uniform(im->seed, ri, idx, PURPOSE_DROP) < r->drop_prob) {
                snprintf(buf, cap, "p=%g seed=%llu", r->drop_prob, (unsigned long long)im->seed);
                return buf;
        }
        return NULL;
}

void sc_impair_decide(struct sc_impair *im, int seg, int from_host, const uint8_t *frame,
                      size_t len, struct sc_fate *fate)
{
        int proto, sport, dport;
        size_t used = 0;

        memset(fate, 0, sizeof(*fate));
        fate->reorder_rule = -1;
        sc_frame_flow(frame, len, &proto, &sport, &dport);
        for (int ri = 0; ri < im->nrules; ri++) {
                const struct sc_rule *r = &im->rules[ri];
                unsigned idx;
                char why[64];
                int64_t d;

                if (!rule_matches(r, seg, from_host, proto, sport, dport))
                        continue;
                idx = ++im->count[ri];
                if (drop_reason(im, ri, idx, why, sizeof(why))) {
                        fate->drop = true;
                        fate->drop_rule = ri + 1;
                        snprintf(fate->drop_why, sizeof(fate->drop_why), "%s", why);
                        snprintf(fate->text, sizeof(fate->text), "dropped by lab (rule %d #%u: %s)",
                                 ri + 1, idx, why);
                        return;
                }
                d = (int64_t)(r->delay_ms * 1e6);
                if (r->jitter_ms > 0)
                        d += (int64_t)(r->jitter_ms * 1e6 *
                                       sc_impair_uniform(im->seed, ri, idx, PURPOSE_JITTER));
                if (d > 0) {
                        fate->delay_ns += d;
                        fate->delay_rule = ri + 1;
                        used += (size_t)snprintf(fate->text + used, sizeof(fate->text) - used,
                                                 "%sdelayed %.3f ms by lab (rule %d #%u)",
                                                 used ? ", " : "", (double)d / 1e6, ri + 1, idx);
                }
                if (r->dup_prob > 0 &&
                    sc_impair_uniform(im->seed, ri, idx, PURPOSE_DUP) < r->dup_prob) {
                        fate->dup = true;
                        fate->dup_rule = ri + 1;
                        used += (size_t)snprintf(fate->text + used, sizeof(fate->text) - used,
                                                 "%sduplicated by lab (rule %d #%u)",
                                                 used ? ", " : "", ri + 1, idx);
                }
                if (r->reorder_every && idx % r->reorder_every == 0) {
                        fate->reorder = true;
                        fate->reorder_rule = ri;
                        used += (size_t)snprintf(fate->text + used, sizeof(fate->text) - used,
                                                 "%sheld behind the next packet (rule %d #%u)",
                                                 used ? ", " : "", ri + 1, idx);
                }
                if (used >= sizeof(fate->text))
                        used = sizeof(fate->text) - 1;
        }
}
