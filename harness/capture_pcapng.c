/*
 * capture_pcapng.c - the lab's recording as one annotated pcapng, the file
 * a lecturer opens in Wireshark: capture.pcapng in the lab's directory.
 *
 * The switch reports every frame twice over: once as the sending host put
 * it on its link (outbound on "lan/alpha"), and once per copy it delivered
 * (inbound on "lan/beta", or on every port of the segment for a
 * broadcast).  So a dropped datagram is seen leaving and never arriving, a
 * delayed one arrives late, a broadcast shows on exactly the links it
 * reached.  The comments say what the lab did, in words and as
 * `[fate=drop rule=1]` tokens that tools/wireshark/sockcheck.lua turns
 * into filterable fields.  Every copy of one IP packet carries the same
 * epb_packetid, on every link it crossed (routed copies too: the id is a
 * hash of the IPv4 header without TTL and checksum, and the payload, plus
 * the packet's occurrence among equal ones).
 *
 * Live captures (an interface of a host, such as its "lo") become
 * interfaces of their own, "alpha/lo".  The classic .pcap files and their
 * .fates, which the wire checks compare, are written as before.
 */
#define _GNU_SOURCE
#include "capture.h"
#include "pcapng.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SNAPLEN 262144u
#define TSRESOL_NS 9

struct sc_ng_seen {
        int seg;
        uint64_t hash;
        unsigned passed, dropped;
};

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* The packet's identity: what no switch or router on the way changes. */
static uint64_t packet_hash(const uint8_t *d, uint32_t len)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        uint32_t ihl, tot;

        if (len < 34 || d[12] != 0x08 || d[13] != 0x00 || (d[14] >> 4) != 4)
                return fnv(h, d, len);
        d += 14;
        len -= 14;
        ihl = (uint32_t)(d[0] & 15) * 4;
        tot = (uint32_t)d[2] << 8 | d[3];
        if (ihl < 20 || tot < ihl || tot > len)
                return fnv(h, d, len);
        h = fnv(h, d, 8);            /* version, tos, length, id, fragment */
        h = fnv(h, d + 9, 1);        /* protocol (TTL at 8 and checksum at 10 change) */
        h = fnv(h, d + 12, tot - 12); /* addresses, options, payload */
        return h;
}

static struct sc_ng_rec *new_rec(struct sc_ng *ng)
{
        if (ng->n == ng->cap) {
                size_t ncap = ng->cap ? ng->cap * 2 : 256;
                struct sc_ng_rec *nr = realloc(ng->recs, ncap * sizeof(*nr));

                if (!nr)
                        return NULL;
                ng->recs = nr;
                ng->cap = ncap;
        }
        return &ng->recs[ng->n];
}

static bool keep(struct sc_ng *ng, struct sc_ng_rec *r, const uint8_t *data, uint32_t len)
{
        r->data = malloc(len ? len : 1);
        if (!r->data)
                return false;
        memcpy(r->data, data, len);
        r->caplen = r->len = len;
        ng->bytes += len;
        ng->n++;
        return true;
}

void sc_ng_fate_of(const struct sc_fate *f, struct sc_ng_fate *out)
{
        memset(out, 0, sizeof(*out));
        if (!f)
                return;
        out->drop = f->drop;
        out->dup = f->dup;
        out->held = f->reorder;
        out->drop_rule = f->drop_rule;
        out->delay_rule = f->delay_rule;
        out->dup_rule = f->dup_rule;
        out->held_rule = f->reorder ? f->reorder_rule + 1 : 0;
        out->delay_ns = f->delay_ns;
        snprintf(out->why, sizeof(out->why), "%s", f->drop_why);
}

uint64_t sc_ng_ingress(struct sc_ng *ng, int link, int seg, uint64_t ts_ns, const uint8_t *data,
                       uint32_t len, const struct sc_fate *fate, uint64_t *pkid)
{
        uint64_t h = packet_hash(data, len), ev = ng->next_ev++, occ;
        struct sc_ng_seen *s = NULL;
        struct sc_ng_rec *r;

        /* A flood: the recording is full, and the bookkeeping below would grow without end. */
        if (ng->bytes > (uint64_t)SC_CAP_MAX_BYTES) {
                *pkid = h;
                return ev;
        }

        for (size_t i = 0; i < ng->nseen; i++)
                if (ng->seen[i].seg == seg && ng->seen[i].hash == h)
                        s = &ng->seen[i];
        if (!s) {
                if (ng->nseen == ng->seencap) {
                        size_t ncap = ng->seencap ? ng->seencap * 2 : 64;
                        struct sc_ng_seen *ns = realloc(ng->seen, ncap * sizeof(*ns));

                        if (!ns) {
                                *pkid = h;
                                return ev;
                        }
                        ng->seen = ns;
                        ng->seencap = ncap;
                }
                s = &ng->seen[ng->nseen++];
                *s = (struct sc_ng_seen){.seg = seg, .hash = h};
        }
        /*
         * Dropped copies count apart, so the n-th packet that got through
         * has the same id here and on the next segment, where the dropped
         * ones never arrived.
         */
        occ = fate && fate->drop ? (1ULL << 63) | s->dropped++ : s->passed++;
        *pkid = fnv(h, (const uint8_t *)&occ, sizeof(occ));
        if (!ng->seg_on[seg] || !(r = new_rec(ng)))
                return ev;
        memset(r, 0, sizeof(*r));
        r->ts_ns = ts_ns;
        r->link = link;
        r->outbound = true;
        r->ev = ev;
        r->pkid = *pkid;
        sc_ng_fate_of(fate, &r->fate);
        keep(ng, r, data, len);
        return ev;
}

void sc_ng_egress(struct sc_ng *ng, int link, const uint8_t *data, uint32_t len, uint64_t ev,
                  uint64_t pkid, uint8_t copy, const struct sc_ng_fate *fate)
{
        struct timespec ts;
        struct sc_ng_rec *r = ng->bytes > (uint64_t)SC_CAP_MAX_BYTES ? NULL : new_rec(ng);

        if (!r)
                return;
        memset(r, 0, sizeof(*r));
        clock_gettime(CLOCK_REALTIME, &ts);
        r->ts_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        r->link = link;
        r->ev = ev;
        r->pkid = pkid;
        r->copy = copy;
        if (fate)
                r->fate = *fate;
        keep(ng, r, data, len);
}

void sc_ng_free(struct sc_ng *ng)
{
        for (size_t i = 0; i < ng->n; i++)
                free(ng->recs[i].data);
        free(ng->recs);
        free(ng->seen);
        ng->recs = NULL;
        ng->seen = NULL;
        ng->n = ng->cap = ng->nseen = ng->seencap = 0;
}

/* ---- writing ---- */

/* A record to write: where it sits and which interface it goes to. */
struct item {
        const struct sc_ng_rec *r;
        struct sc_ng_rec live; /* a live capture's frame, converted */
        unsigned ifid;
        size_t order;
};

static int by_time(const void *a, const void *b)
{
        const struct item *x = a, *y = b;
        const struct sc_ng_rec *rx = x->r ? x->r : &x->live, *ry = y->r ? y->r : &y->live;

        if (rx->ts_ns != ry->ts_ns)
                return rx->ts_ns < ry->ts_ns ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

static const struct sc_ng_rec *rec_of(const struct item *it)
{
        return it->r ? it->r : &it->live;
}

/* "100", "150.5", "0.25": milliseconds as a person writes them. */
static void ms_text(char *out, size_t cap, int64_t ns)
{
        snprintf(out, cap, "%.3f", (double)ns / 1e6);
        for (char *e = out + strlen(out) - 1; e > out && (*e == '0' || *e == '.'); e--) {
                bool dot = *e == '.';

                *e = '\0';
                if (dot)
                        break;
        }
}

static void add(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(char *out, size_t cap, const char *fmt, ...)
{
        size_t used = strlen(out);
        va_list ap;

        if (used >= cap - 1)
                return;
        if (used)
                used += (size_t)snprintf(out + used, cap - used, "; ");
        if (used >= cap - 1)
                return;
        va_start(ap, fmt);
        vsnprintf(out + used, cap - used, fmt, ap);
        va_end(ap);
}

/* Frame number (1-based) of the item matching ev, link, direction and copy; 0 if none. */
static size_t find_frame(const struct item *items, size_t n, uint64_t ev, int link, bool outbound,
                         uint8_t copy)
{
        for (size_t i = 0; i < n; i++) {
                const struct sc_ng_rec *r = rec_of(&items[i]);

                if (items[i].r && r->ev == ev && (link < 0 || r->link == link) &&
                    r->outbound == outbound && r->copy == copy)
                        return i + 1;
        }
        return 0;
}

static void comment_for(const struct item *items, size_t n, size_t i, char *out, size_t cap)
{
        const struct sc_ng_rec *r = rec_of(&items[i]);
        const struct sc_ng_fate *f = &r->fate;
        char ms[32];
        size_t sent;

        out[0] = '\0';
        if (!items[i].r)
                return;
        if (r->outbound) {
                if (f->drop)
                        add(out, cap, "dropped by rule %d (drop %s) [fate=drop rule=%d]",
                            f->drop_rule, f->why, f->drop_rule);
                if (f->delay_ns > 0) {
                        ms_text(ms, sizeof(ms), f->delay_ns);
                        add(out, cap, "delayed %s ms by rule %d [fate=delay rule=%d]", ms,
                            f->delay_rule, f->delay_rule);
                }
                if (f->dup)
                        add(out, cap, "duplicated by rule %d [fate=duplicate rule=%d]",
                            f->dup_rule, f->dup_rule);
                if (f->held)
                        add(out, cap,
                            "held behind the next packet by rule %d [fate=reorder rule=%d]",
                            f->held_rule, f->held_rule);
                return;
        }
        sent = find_frame(items, n, r->ev, -1, true, 0);
        if (r->copy) {
                size_t first = find_frame(items, n, r->ev, r->link, false, 0);

                if (first)
                        add(out, cap, "duplicate of frame %zu", first);
        }
        if (f->delay_ns > 0) {
                ms_text(ms, sizeof(ms), f->delay_ns);
                if (sent)
                        add(out, cap, "delayed %s ms by rule %d (sent as frame %zu)", ms,
                            f->delay_rule, sent);
                else
                        add(out, cap, "delayed %s ms by rule %d", ms, f->delay_rule);
        }
        if (f->held)
                add(out, cap, "reordered by rule %d (sent as frame %zu)", f->held_rule, sent);
}

static uint32_t reception(const uint8_t *d, uint32_t len)
{
        static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

        if (len < 6)
                return 0;
        if (memcmp(d, bcast, 6) == 0)
                return SC_PNG_BROADCAST;
        return d[0] & 1 ? SC_PNG_MULTICAST : SC_PNG_UNICAST;
}

/* The section header's comments: the lab, the seed, then the caller's notes. */
static void header(struct sc_png *w, const struct sc_lab *lab, const char *notes)
{
        const char *lines[64];
        char scenario[300], seed[64], mode[64], *copy = strdup(notes ? notes : ""), *save = NULL;
        size_t n = 0;

        snprintf(scenario, sizeof(scenario), "scenario: %s", lab->name);
        snprintf(seed, sizeof(seed), "seed: %llu", (unsigned long long)lab->seed);
        snprintf(mode, sizeof(mode), "mode: %s", sc_mode_name(lab->mode));
        lines[n++] = scenario;
        lines[n++] = seed;
        lines[n++] = mode;
        for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l && n < 64;
             l = strtok_r(NULL, "\n", &save))
                lines[n++] = l;
        sc_png_shb(w, lines, n, "sockcheck");
        free(copy);
}

int sc_ng_write(struct sc_ng *ng, const struct sc_lab *lab, const struct sc_cap *caps,
                const char *notes)
{
        unsigned ifid_of_link[SC_MAX_LINKS], ifid_of_live[SC_MAX_CAPTURES];
        uint32_t addrs[SC_MAX_LINKS + SC_MAX_HOSTS];
        const char *names[SC_MAX_LINKS + SC_MAX_HOSTS];
        struct item *items = NULL;
        size_t nitems = 0, total = ng->n, naddr = 0;
        struct sc_png w;
        char path[900];
        int ret;

        sc_png_init(&w);
        header(&w, lab, notes);
        /* Interfaces: each captured segment's ports, in capture order, then live captures. */
        for (int c = 0; c < lab->ncaps; c++) {
                const struct sc_capture_spec *s = &lab->caps[c];

                if (s->seg < 0) {
                        char name[96], desc[200];

                        snprintf(name, sizeof(name), "%s/%s", lab->hosts[s->host].name, s->ifname);
                        snprintf(desc, sizeof(desc), "interface %s of host %s, captured live%s%s",
                                 s->ifname, lab->hosts[s->host].name, s->bpf[0] ? ", filter " : "",
                                 s->bpf);
                        ifid_of_live[c] = sc_png_idb(&w, 1, SNAPLEN, name, desc, TSRESOL_NS, 0, 0);
                        total += caps[c].n;
                        continue;
                }
                for (int l = 0; l < lab->nlinks; l++) {
                        const struct sc_link *k = &lab->links[l];
                        const struct sc_segment *sg = &lab->segs[k->seg];
                        const struct sc_host *h = &lab->hosts[k->host];
                        char name[96], desc[200], net[INET_ADDRSTRLEN];
                        bool dup = false;

                        if (k->seg != s->seg)
                                continue;
                        for (int e = 0; e < c; e++)
                                dup |= lab->caps[e].seg == s->seg;
                        if (dup)
                                continue; /* two captures of one segment: one set of ports */
                        sc_ip_str(sg->net, net);
                        snprintf(name, sizeof(name), "%s/%s", sg->name, h->name);
                        snprintf(desc, sizeof(desc), "segment %s %s/%d, port to %s %s%s",
                                 sg->name, net, sg->prefix, h->name, k->addr_str,
                                 h->router ? " (the router)" : "");
                        ifid_of_link[l] = sc_png_idb(&w, 1, SNAPLEN, name, desc, TSRESOL_NS,
                                                     k->addr, sg->prefix);
                }
        }
        /* Every host by its addresses, right after the interfaces. */
        for (int l = 0; l < lab->nlinks; l++) {
                addrs[naddr] = lab->links[l].addr;
                names[naddr++] = lab->hosts[lab->links[l].host].name;
        }
        for (int h = 0; h < lab->nhosts; h++)
                if (lab->hosts[h].nlinks == 0 && naddr < SC_MAX_LINKS + SC_MAX_HOSTS) {
                        addrs[naddr] = htonl(INADDR_LOOPBACK);
                        names[naddr++] = lab->hosts[h].name;
                        break; /* loopback is one host's name only */
                }
        sc_png_nrb(&w, addrs, names, naddr);
        items = calloc(total ? total : 1, sizeof(*items));
        if (!items) {
                sc_png_free(&w);
                return sc_fail(ENOMEM, "out of memory writing capture.pcapng");
        }
        for (size_t i = 0; i < ng->n; i++) {
                items[nitems].r = &ng->recs[i];
                items[nitems].ifid = ifid_of_link[ng->recs[i].link];
                items[nitems].order = nitems;
                nitems++;
        }
        for (int c = 0; c < lab->ncaps; c++) {
                if (lab->caps[c].seg >= 0)
                        continue;
                for (size_t i = 0; i < caps[c].n; i++) {
                        const struct sc_cap_rec *cr = &caps[c].recs[i];
                        struct sc_ng_rec *lr = &items[nitems].live;

                        lr->ts_ns = cr->ts_ns;
                        lr->link = -1;
                        lr->live = c;
                        lr->caplen = cr->caplen;
                        lr->len = cr->len;
                        lr->data = cr->data;
                        lr->pkid = packet_hash(cr->data, cr->caplen);
                        items[nitems].ifid = ifid_of_live[c];
                        items[nitems].order = nitems;
                        nitems++;
                }
        }
        qsort(items, nitems, sizeof(*items), by_time);
        for (size_t i = 0; i < nitems; i++) {
                const struct sc_ng_rec *r = rec_of(&items[i]);
                char comment[400];
                struct sc_png_packet p = {
                    .ifid = items[i].ifid, .ts = r->ts_ns, .caplen = r->caplen, .len = r->len,
                    .data = r->data, .has_packet_id = true, .packet_id = r->pkid};

                comment_for(items, nitems, i, comment, sizeof(comment));
                p.comment = comment[0] ? comment : NULL;
                if (items[i].r)
                        p.flags = (r->outbound ? SC_PNG_OUTBOUND : SC_PNG_INBOUND) |
                                  reception(r->data, r->caplen);
                sc_png_epb(&w, &p);
        }
        free(items);
        snprintf(path, sizeof(path), "%s/capture.pcapng", lab->dir);
        ret = sc_png_save(&w, path);
        sc_png_free(&w);
        if (ret < 0)
                return sc_fail(-ret, "write %s: %s", path, strerror(-ret));
        return 0;
}
