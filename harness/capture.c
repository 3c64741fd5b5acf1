/*
 * capture.c - live libpcap captures and segment recordings, written as
 * pcap files a person can open in Wireshark.  Immediate mode and nanosecond
 * timestamps so that timing checks read the kernel's own times; kernel
 * drops are counted so a test can insist there were none.
 */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sc_pcap_activate(pcap_t *p, const char *ifname, int snaplen, int buffer_bytes)
{
        int rc;

        pcap_set_snaplen(p, snaplen);
        pcap_set_immediate_mode(p, 1);
        /* The kernel allocates the ring up front: about 4 ms per MiB. */
        pcap_set_buffer_size(p, buffer_bytes);
        pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
        rc = pcap_activate(p);
        if (rc < 0)
                return sc_fail(rc == PCAP_ERROR_PERM_DENIED ? EPERM : EIO,
                               "capture on %s: %s (needs CAP_NET_RAW)", ifname, pcap_geterr(p));
        if (pcap_setnonblock(p, 1, NULL) < 0)
                return sc_fail(EIO, "capture on %s: %s", ifname, pcap_geterr(p));
        return 0;
}

int sc_cap_open_live(struct sc_cap *c)
{
        char errbuf[PCAP_ERRBUF_SIZE];
        struct bpf_program prog;
        int rc;

        c->live = pcap_create(c->spec.ifname, errbuf);
        if (!c->live)
                return sc_fail(EIO, "capture on %s: %s", c->spec.ifname, errbuf);
        /*
         * The ring's slots are as large as the snap length: 256 KiB slots
         * left a 2 MiB ring room for 8 frames, and a busy machine lost the
         * ninth.  The largest frame is loopback's (65536 + the Ethernet
         * header), so slots of 64 KiB in 4 MiB hold about 60.
         */
        rc = sc_pcap_activate(c->live, c->spec.ifname, 65536 + 64, 4 << 20);
        if (rc < 0)
                return rc;
        if (c->spec.bpf[0]) {
                if (pcap_compile(c->live, &prog, c->spec.bpf, 1, PCAP_NETMASK_UNKNOWN) < 0)
                        return sc_fail(EINVAL, "filter '%s': %s", c->spec.bpf,
                                       pcap_geterr(c->live));
                rc = pcap_setfilter(c->live, &prog);
                pcap_freecode(&prog);
                if (rc < 0)
                        return sc_fail(EINVAL, "filter '%s': %s", c->spec.bpf,
                                       pcap_geterr(c->live));
        }
        c->active = true;
        return 0;
}

void sc_cap_add(struct sc_cap *c, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                uint32_t len, const char *fate)
{
        struct sc_cap_rec *r;

        if (!c->active)
                return;
        if (c->bytes + caplen > SC_CAP_MAX_BYTES) {
                c->not_recorded++;
                return;
        }
        if (c->n == c->cap) {
                size_t ncap = c->cap ? c->cap * 2 : 256;
                struct sc_cap_rec *nr = realloc(c->recs, ncap * sizeof(*nr));

                if (!nr)
                        return;
                c->recs = nr;
                c->cap = ncap;
        }
        r = &c->recs[c->n];
        r->data = malloc(caplen ? caplen : 1);
        if (!r->data)
                return;
        memcpy(r->data, data, caplen);
        c->bytes += caplen;
        r->ts_ns = ts_ns;
        r->caplen = caplen;
        r->len = len;
        r->fate = fate && *fate ? strdup(fate) : NULL;
        c->n++;
        if (fate && strstr(fate, "dropped"))
                c->dropped++;
        if (fate && strstr(fate, "delayed"))
                c->delayed++;
        if (fate && strstr(fate, "duplicated"))
                c->duplicated++;
}

static void live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
        struct sc_cap *c = (struct sc_cap *)user;
        /* With nanosecond precision, tv_usec holds nanoseconds. */
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;

        sc_cap_add(c, ts, bytes, h->caplen, h->len, NULL);
}

void sc_cap_drain(struct sc_cap *c)
{
        if (!c->live || !c->active)
                return;
        while (pcap_dispatch(c->live, -1, live_cb, (u_char *)c) > 0)
                ;
}

int sc_cap_finish(struct sc_cap *c, const char *dir, struct sc_capture_stats *st)
{
        char path[900], fpath[920];
        pcap_t *dead;
        pcap_dumper_t *d;
        FILE *fates = NULL;
        struct pcap_stat ps;

        memset(st, 0, sizeof(*st));
        sc_cap_drain(c);
        if (c->live && pcap_stats(c->live, &ps) == 0)
                st->kernel_drops = ps.ps_drop + ps.ps_ifdrop;
        c->active = false;
        snprintf(path, sizeof(path), "%s/%s.pcap", dir, c->spec.name);
        snprintf(fpath, sizeof(fpath), "%s.fates", path);
        snprintf(st->path, sizeof(st->path), "%s", path);
        dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
        if (!dead)
                return sc_fail(ENOMEM, "pcap_open_dead failed");
        d = pcap_dump_open(dead, path);
        if (!d) {
                int rc = sc_fail(EIO, "write %s: %s", path, pcap_geterr(dead));

                pcap_close(dead);
                return rc;
        }
        for (size_t i = 0; i < c->n; i++) {
                struct sc_cap_rec *r = &c->recs[i];
                struct pcap_pkthdr h = {.caplen = r->caplen, .len = r->len};

                h.ts.tv_sec = (time_t)(r->ts_ns / 1000000000ULL);
                h.ts.tv_usec = (suseconds_t)(r->ts_ns % 1000000000ULL);
                pcap_dump((u_char *)d, &h, r->data);
                if (r->fate) {
                        if (!fates)
                                fates = fopen(fpath, "we");
                        if (fates)
                                fprintf(fates, "%zu %s\n", i + 1, r->fate);
                }
        }
        pcap_dump_close(d);
        pcap_close(dead);
        if (fates)
                fclose(fates);
        else
                remove(fpath); /* a stale sidecar from an earlier run would lie */
        if (c->not_recorded) {
                /* Said beside the capture, where a person looking at it will see it. */
                char cpath[940], line[200];
                int n = snprintf(line, sizeof(line),
                                 "capture capped at %u MiB: %u later frames were not recorded\n",
                                 SC_CAP_MAX_BYTES >> 20, c->not_recorded);

                snprintf(cpath, sizeof(cpath), "%s.capped", path);
                sc_write_file(cpath, line, (size_t)n);
        }
        st->packets = (unsigned)c->n;
        st->not_recorded = c->not_recorded;
        st->lab_dropped = c->dropped;
        st->lab_delayed = c->delayed;
        st->lab_duplicated = c->duplicated;
        return 0;
}

void sc_cap_free(struct sc_cap *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->recs[i].data);
                free(c->recs[i].fate);
        }
        free(c->recs);
        c->recs = NULL;
        c->n = c->cap = 0;
        if (c->live)
                pcap_close(c->live);
        c->live = NULL;
}
