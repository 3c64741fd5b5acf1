/*
 * figure.c - the lecture figures (figure.h) as SVG 1.1 text.  Layout is
 * plain arithmetic: a time axis of fixed pixels per second, labels moved
 * down when they would collide.  The figures read only the capture: a
 * datagram counts as sent when its frame leaves the sender's link
 * (outbound, epb_flags), as delivered when a copy with the same packet id
 * arrives on another link (inbound), as dropped when the lab's comment
 * says so.
 */
#define _GNU_SOURCE
#include "figure.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
#define C_SEND "#1f5fbf"
#define C_DROP "#d62728"
#define C_REPLY "#2ca02c"
#define C_GUIDE "#888888"
#define C_BAND "#f3e6a8"
#define C_GIVEUP "#e07b00"
#define DIR_IN 1u
#define DIR_OUT 2u

/* ---- small helpers ---- */

static void esc(FILE *f, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '&': fputs("&amp;", f); break;
                case '"': fputs("&quot;", f); break;
                default:
                        fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
                }
        }
}

static void text(FILE *f, double x, double y, const char *anchor, int size, const char *fill,
                 const char *extra, const char *s)
{
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\"%s%s>",
                x, y, anchor, size, fill, extra ? " " : "", extra ? extra : "");
        esc(f, s);
        fputs("</text>\n", f);
}

static FILE *begin(char **buf, size_t *len, int w, int h, const char *title, const char *kind)
{
        FILE *f = open_memstream(buf, len);

        if (!f)
                return NULL;
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                   "height=\"%d\" viewBox=\"0 0 %d %d\" " FONT " data-figure=\"%s\">\n",
                w, h, w, h, kind);
        fputs("<title>", f);
        esc(f, title ? title : kind);
        fputs("</title>\n", f);
        fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
        text(f, 20, 30, "start", 20, "#000", "font-weight=\"bold\"", title ? title : kind);
        return f;
}

static int end(FILE *f, char **buf)
{
        fputs("</svg>\n", f);
        if (fclose(f) != 0) {
                free(*buf);
                *buf = NULL;
                return -ENOMEM;
        }
        return 0;
}

static double rel_s(const struct sc_pcap *cap, const struct sc_packet *p, uint64_t t0)
{
        (void)cap;
        return p->ts_ns >= t0 ? (double)(p->ts_ns - t0) / 1e9 : -(double)(t0 - p->ts_ns) / 1e9;
}

const char *sc_fig_name_of(const struct sc_pcap *cap, uint32_t addr)
{
        for (size_t i = 0; i < cap->nnames; i++)
                if (cap->names[i].addr == addr)
                        return cap->names[i].name;
        return NULL;
}

static unsigned dir_of(const struct sc_packet *p)
{
        return p->epb_flags & 3;
}

/* The lab's rule number in a "[fate=drop rule=N]" comment, 0 if not dropped. */
static int drop_rule(const struct sc_packet *p)
{
        const char *t = p->comment ? strstr(p->comment, "[fate=drop rule=") : NULL;

        return t ? atoi(t + 16) : 0;
}

/* A printable, cut, quoted rendering of a payload for a label. */
static void payload_label(const struct sc_packet *p, char *out, size_t cap)
{
        size_t n = p->payload_caplen, o = 0, max = 34;

        if (!p->payload || !n) {
                out[0] = '\0';
                return;
        }
        out[o++] = '\'';
        for (size_t i = 0; i < n && i < max && o + 6 < cap; i++) {
                unsigned char c = p->payload[i];

                if (c == '\r' || c == '\n') {
                        out[o++] = '\\';
                        out[o++] = c == '\r' ? 'r' : 'n';
                } else {
                        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
                }
        }
        if (n > max && o + 4 < cap) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o++] = '\'';
        out[o] = '\0';
}

/* ---- the backoff timeline ---- */

static const double expected_send[] = {0.0, 0.1, 0.3, 0.7, 1.5};
#define NEXP 5
#define GIVE_UP 3.1
#define MAX_SENDS 32

/* The tolerance sct_schedule_ok allows an interval: max(5 ms, 5 %). */
static double tolerance(double interval)
{
        return interval * 0.05 > 0.005 ? interval * 0.05 : 0.005;
}

int sc_fig_backoff_svg(const struct sc_pcap *cap, const struct sc_fig_backoff *o, char **svg)
{
        const struct sc_packet *sends[MAX_SENDS], *reply = NULL;
        size_t nsend = 0, len = 0, sendframe[MAX_SENDS], replyframe = 0;
        const int W = 980, H = 650, X0 = 70, X1 = 950;
        double tmax, pps, t[MAX_SENDS], treply = 0;
        uint64_t t0;
        FILE *f;
        char label[160];

        *svg = NULL;
        for (size_t i = 0; i < cap->count; i++) {
                const struct sc_packet *p = &cap->pkts[i];

                if (p->l3 != SC_L3_IPV4 || p->l4 != IPPROTO_UDP)
                        continue;
                if (p->ip_src == o->client && p->dport == o->port && dir_of(p) == DIR_OUT &&
                    nsend < MAX_SENDS) {
                        sendframe[nsend] = i + 1;
                        sends[nsend++] = p;
                } else if (p->ip_dst == o->client && p->sport == o->port && dir_of(p) == DIR_IN &&
                           !reply) {
                        reply = p;
                        replyframe = i + 1;
                }
        }
        if (nsend == 0)
                return -ENOENT;
        t0 = sends[0]->ts_ns;
        for (size_t i = 0; i < nsend; i++)
                t[i] = rel_s(cap, sends[i], t0);
        if (reply)
                treply = rel_s(cap, reply, t0);
        tmax = GIVE_UP + 0.4;
        if (o->gave_up_s + 0.2 > tmax)
                tmax = o->gave_up_s + 0.2;
        if (t[nsend - 1] + 0.2 > tmax)
                tmax = t[nsend - 1] + 0.2;
        pps = (X1 - X0) / tmax;
#define X(s) (X0 + (s) * pps)
        f = begin(svg, &len, W, H, o->title, "backoff");
        if (!f)
                return -ENOMEM;
        fprintf(f, "<g id=\"timeline\" data-x0=\"%d\" data-px-per-s=\"%.6f\" data-t0-ns=\"%llu\">\n",
                X0, pps, (unsigned long long)t0);
        /* Expected sends and give-up: dashed guides inside their tolerance bands. */
        for (int i = 0; i < NEXP; i++) {
                double tol = i ? tolerance(expected_send[i] - expected_send[i - 1]) : 0.005;

                fprintf(f, "<rect class=\"band\" x=\"%.2f\" y=\"70\" width=\"%.2f\" height=\"200\" "
                           "fill=\"" C_BAND "\" opacity=\"0.8\"/>\n",
                        X(expected_send[i] - tol), 2 * tol * pps);
                fprintf(f, "<line class=\"expected\" data-t=\"%.3f\" x1=\"%.2f\" y1=\"62\" "
                           "x2=\"%.2f\" y2=\"270\" stroke=\"" C_GUIDE "\" stroke-width=\"1.5\" "
                           "stroke-dasharray=\"6 4\"/>\n",
                        expected_send[i], X(expected_send[i]), X(expected_send[i]));
                snprintf(label, sizeof(label), "%g s", expected_send[i]);
                text(f, X(expected_send[i]), i % 2 ? 72 : 58, "middle", 12, C_GUIDE, NULL, label);
        }
        fprintf(f, "<rect class=\"band\" x=\"%.2f\" y=\"70\" width=\"%.2f\" height=\"200\" "
                   "fill=\"#fde0c0\" opacity=\"0.8\"/>\n",
                X(GIVE_UP - tolerance(GIVE_UP)), 2 * tolerance(GIVE_UP) * pps);
        fprintf(f, "<line class=\"expected giveup\" data-t=\"%.3f\" x1=\"%.2f\" y1=\"62\" x2=\"%.2f\" "
                   "y2=\"270\" stroke=\"" C_GIVEUP "\" stroke-width=\"1.5\" "
                   "stroke-dasharray=\"6 4\"/>\n",
                GIVE_UP, X(GIVE_UP), X(GIVE_UP));
        text(f, X(GIVE_UP), 58, "middle", 12, C_GIVEUP, NULL, "give-up 3.1 s");
        /* The axis. */
        fprintf(f, "<line x1=\"%d\" y1=\"270\" x2=\"%d\" y2=\"270\" stroke=\"#000\"/>\n", X0, X1);
        for (double s = 0; s <= tmax + 1e-9; s += 0.5) {
                fprintf(f, "<line x1=\"%.2f\" y1=\"270\" x2=\"%.2f\" y2=\"276\" stroke=\"#000\"/>\n",
                        X(s), X(s));
                snprintf(label, sizeof(label), "%g s", s);
                text(f, X(s), 291, "middle", 12, "#000", NULL, label);
        }
        text(f, X1, 310, "end", 12, "#444", NULL,
             "time since the first send, from the capture (dashed: the book's schedule, "
             "shaded: tolerance max(5 ms, 5 %))");
        /* Brackets between consecutive sends. */
        for (size_t i = 0; i + 1 < nsend; i++) {
                double y = 186 + 18 * (double)(i % 4), a = X(t[i]), b = X(t[i + 1]);
                double want = i + 1 < NEXP ? (expected_send[i + 1] - expected_send[i]) * 1000 : -1;

                fprintf(f, "<path class=\"bracket\" d=\"M%.2f %.1f v-5 M%.2f %.1f H%.2f M%.2f %.1f "
                           "v-5\" stroke=\"#333\" fill=\"none\"/>\n",
                        a, y, a, y, b, b, y);
                if (want > 0)
                        snprintf(label, sizeof(label), "+%.0f ms (expected %.0f)",
                                 (t[i + 1] - t[i]) * 1000, want);
                else
                        snprintf(label, sizeof(label), "+%.0f ms", (t[i + 1] - t[i]) * 1000);
                text(f, b + 4, y + 4, "start", 12, "#333", NULL, label);
        }
        /* Observed sends: crosses where the lab dropped them, dots where it did not. */
        for (size_t i = 0; i < nsend; i++) {
                int rule = drop_rule(sends[i]);
                double x = X(t[i]);

                if (rule) {
                        fprintf(f, "<g class=\"send drop\" data-t=\"%.9f\" data-frame=\"%zu\" "
                                   "data-x=\"%.3f\"><path d=\"M%.2f 132 l12 12 m0 -12 l-12 12\" "
                                   "stroke=\"" C_DROP "\" stroke-width=\"3\"/></g>\n",
                                t[i], sendframe[i], x, x - 6);
                        snprintf(label, sizeof(label), "rule %d", rule);
                        text(f, x, 160 + 12 * (double)(i % 2), "middle", 11, C_DROP, NULL, label);
                } else {
                        fprintf(f, "<g class=\"send\" data-t=\"%.9f\" data-frame=\"%zu\" "
                                   "data-x=\"%.3f\"><circle cx=\"%.2f\" cy=\"138\" r=\"6\" "
                                   "fill=\"" C_SEND "\"/></g>\n",
                                t[i], sendframe[i], x, x);
                }
        }
        text(f, X0, 326, "start", 12, C_SEND, NULL,
             "observed: dot = a send that went through, cross = a send the lab dropped "
             "(its rule), triangle = the reply");
        if (reply) {
                double x = X(treply);

                fprintf(f, "<g class=\"reply\" data-t=\"%.9f\" data-frame=\"%zu\" data-x=\"%.3f\">"
                           "<path d=\"M%.2f 108 l7 12 h-14 z\" fill=\"" C_REPLY "\"/></g>\n",
                        treply, replyframe, x, x);
                snprintf(label, sizeof(label), "reply got through at %.3f s", treply);
                text(f, x + 10, 104, "start", 12, C_REPLY, NULL, label);
        }
        if (o->gave_up_s >= 0) {
                double x = X(o->gave_up_s), y = 260;

                fprintf(f, "<line class=\"gaveup\" data-t=\"%.6f\" x1=\"%.2f\" y1=\"90\" x2=\"%.2f\" "
                           "y2=\"270\" stroke=\"#000\" stroke-width=\"2\"/>\n",
                        o->gave_up_s, x, x);
                fprintf(f, "<path class=\"bracket\" d=\"M%.2f %.1f v-5 M%.2f %.1f H%.2f M%.2f %.1f "
                           "v-5\" stroke=\"#333\" fill=\"none\"/>\n",
                        X(t[nsend - 1]), y, X(t[nsend - 1]), y, x, x, y);
                snprintf(label, sizeof(label), "+%.0f ms (expected 1600)",
                         (o->gave_up_s - t[nsend - 1]) * 1000);
                text(f, (X(t[nsend - 1]) + x) / 2, y - 8, "middle", 12, "#333", NULL, label);
                /* No packet marks a give-up: this is when the harness saw the client end. */
                snprintf(label, sizeof(label), "ended at %.3f s", o->gave_up_s);
                text(f, x - 4, 86, "end", 12, "#000", NULL, label);
        }
        fputs("</g>\n", f);

        /* Panel 2: the waits on a log2 axis, where doubling is a straight line. */
        {
                const double PY0 = 612, PY1 = 382, L0 = log2(0.05), L1 = log2(3.2);
                const int PX0 = 120, PX1 = 860;
                double waits[MAX_SENDS];
                size_t nw = 0;

#define WY(s) (PY0 - (log2(s) - L0) / (L1 - L0) * (PY0 - PY1))
#define WX(i) (PX0 + (PX1 - PX0) * ((double)(i) + 0.5) / NEXP)
                for (size_t i = 0; i + 1 < nsend; i++)
                        waits[nw++] = t[i + 1] - t[i];
                if (o->gave_up_s >= 0)
                        waits[nw++] = o->gave_up_s - t[nsend - 1];
                text(f, 20, 362, "start", 15, "#000", "font-weight=\"bold\"",
                     "Each wait, on a log2 axis: the book doubles it every time (dashed)");
                fprintf(f, "<g id=\"waits\" data-log2-min=\"%.6f\" data-log2-max=\"%.6f\">\n", L0,
                        L1);
                fprintf(f, "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" stroke=\"#000\"/>\n",
                        PX0, PY0, PX0, PY1);
                for (double s = 0.1; s < 3.3; s *= 2) {
                        fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#ddd\"/>\n",
                                PX0, WY(s), PX1, WY(s));
                        snprintf(label, sizeof(label), "%g s", s);
                        text(f, PX0 - 8, WY(s) + 4, "end", 12, "#000", NULL, label);
                }
                fputs("<path class=\"expected\" d=\"", f);
                for (int i = 0; i < NEXP; i++)
                        fprintf(f, "%s%.2f %.2f", i ? " L" : "M", WX(i), WY(0.1 * pow(2, i)));
                fputs("\" stroke=\"" C_GUIDE "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" "
                      "fill=\"none\"/>\n",
                      f);
                for (size_t i = 0; i < nw && i < NEXP; i++) {
                        double w = waits[i] > 0.05 ? waits[i] : 0.05;
                        bool last = i == nw - 1 && o->gave_up_s >= 0;

                        fprintf(f, "<circle class=\"wait\" data-s=\"%.6f\" cx=\"%.2f\" cy=\"%.2f\" "
                                   "r=\"6\" fill=\"%s\"/>\n",
                                waits[i], WX(i), WY(w),
                                last ? C_GIVEUP : C_SEND);
                        snprintf(label, sizeof(label), "%.0f ms%s", waits[i] * 1000,
                                 last ? " then gave up" : "");
                        text(f, WX(i) + 10, WY(w) + 4, "start", 12, "#000", NULL, label);
                        snprintf(label, sizeof(label), "wait %zu", i + 1);
                        text(f, WX(i), PY0 + 18, "middle", 12, "#000", NULL, label);
                }
                fputs("</g>\n", f);
        }
#undef X
        return end(f, svg);
}

/* ---- broadcast reach ---- */

#define MAXN 16

struct topo {
        char seg[MAXN][32];
        int nseg;
        struct {
                char name[32];
                int seg[2], nseg;
                unsigned ifs[4];
                int nifs;
                bool router, sender, reached;
        } host[MAXN];
        int nhost;
};

static int topo_seg(struct topo *t, const char *name)
{
        for (int i = 0; i < t->nseg; i++)
                if (strcmp(t->seg[i], name) == 0)
                        return i;
        if (t->nseg == MAXN)
                return -1;
        snprintf(t->seg[t->nseg], sizeof(t->seg[0]), "%s", name);
        return t->nseg++;
}

/* Segments and hosts from the interfaces' names "segment/host" and descriptions. */
static void topo_of(const struct sc_pcap *cap, struct topo *t)
{
        memset(t, 0, sizeof(*t));
        for (size_t i = 0; i < cap->nifs; i++) {
                const char *name = cap->ifs[i].name, *slash = strchr(name, '/');
                char seg[32];
                int s, h;

                if (!slash || (size_t)(slash - name) >= sizeof(seg) ||
                    strncmp(cap->ifs[i].description, "segment ", 8) != 0)
                        continue; /* a live capture, not a switch port */
                memcpy(seg, name, (size_t)(slash - name));
                seg[slash - name] = '\0';
                s = topo_seg(t, seg);
                for (h = 0; h < t->nhost; h++)
                        if (strcmp(t->host[h].name, slash + 1) == 0)
                                break;
                if (h == t->nhost) {
                        if (t->nhost == MAXN || s < 0)
                                continue;
                        snprintf(t->host[h].name, sizeof(t->host[0].name), "%s", slash + 1);
                        t->nhost++;
                }
                if (t->host[h].nseg < 2)
                        t->host[h].seg[t->host[h].nseg++] = s;
                if (t->host[h].nifs < 4)
                        t->host[h].ifs[t->host[h].nifs++] = (unsigned)i;
                if (strstr(cap->ifs[i].description, "(the router)"))
                        t->host[h].router = true;
        }
}

static int host_of_if(const struct topo *t, unsigned ifindex)
{
        for (int h = 0; h < t->nhost; h++)
                for (int k = 0; k < t->host[h].nifs; k++)
                        if (t->host[h].ifs[k] == ifindex)
                                return h;
        return -1;
}

static bool is_broadcast(const struct sc_packet *p)
{
        static const uint8_t ff[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

        return p->caplen >= 6 && memcmp(p->frame, ff, 6) == 0 && p->l3 == SC_L3_IPV4 &&
               p->l4 == IPPROTO_UDP;
}

int sc_fig_reach_svg(const struct sc_pcap *cap, const struct sc_fig_reach *o, char **svg)
{
        const struct sc_packet *b = NULL;
        size_t bframe = 0, len = 0;
        int sender = -1, nreached = 0, nother = 0;
        const int W = 980, H = 420, BUS_Y = 170;
        struct topo t;
        char label[512], reached[256] = "", missed[256] = "";
        struct in_addr a;
        FILE *f;
        double segx[MAXN][2];

        *svg = NULL;
        topo_of(cap, &t);
        for (size_t i = 0; i < cap->count && !b; i++)
                if (is_broadcast(&cap->pkts[i]) && dir_of(&cap->pkts[i]) == DIR_OUT) {
                        b = &cap->pkts[i];
                        bframe = i + 1;
                }
        if (!b || t.nseg == 0)
                return -ENOENT;
        sender = host_of_if(&t, b->ifindex);
        if (sender >= 0)
                t.host[sender].sender = true;
        for (size_t i = 0; i < cap->count; i++) {
                const struct sc_packet *p = &cap->pkts[i];
                int h;

                if (dir_of(p) != DIR_IN || !p->has_packet_id || p->packet_id != b->packet_id)
                        continue;
                h = host_of_if(&t, p->ifindex);
                if (h >= 0)
                        t.host[h].reached = true;
        }
        for (int h = 0; h < t.nhost; h++) {
                char *dst = t.host[h].reached ? reached : missed;
                size_t used = strlen(dst);

                if (h == sender)
                        continue;
                nother++;
                nreached += t.host[h].reached;
                snprintf(dst + used, 256 - used, "%s%s", used ? ", " : "", t.host[h].name);
        }
        f = begin(svg, &len, W, H, o->title, "reach");
        if (!f)
                return -ENOMEM;
        /* Segments side by side, a router between two of them. */
        for (int s = 0; s < t.nseg; s++) {
                double w = (W - 80.0) / t.nseg;

                segx[s][0] = 40 + s * w + (s ? 50 : 0);
                segx[s][1] = 40 + (s + 1) * w - (s + 1 < t.nseg ? 50 : 0);
                fprintf(f, "<line class=\"segment\" data-segment=\"%s\" x1=\"%.1f\" y1=\"%d\" "
                           "x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" stroke-width=\"6\"/>\n",
                        t.seg[s], segx[s][0], BUS_Y, segx[s][1], BUS_Y);
                snprintf(label, sizeof(label), "segment %s", t.seg[s]);
                text(f, (segx[s][0] + segx[s][1]) / 2, BUS_Y - 70, "middle", 14, "#333",
                     "font-weight=\"bold\"", label);
        }
        for (int s = 0; s < t.nseg; s++) {
                int n = 0, k = 0;

                for (int h = 0; h < t.nhost; h++)
                        n += !t.host[h].router && t.host[h].seg[0] == s;
                for (int h = 0; h < t.nhost; h++) {
                        const char *fill;
                        double x, y = BUS_Y + 90;

                        if (t.host[h].router || t.host[h].seg[0] != s)
                                continue;
                        x = segx[s][0] + (segx[s][1] - segx[s][0]) * (k + 0.5) / n;
                        k++;
                        fill = t.host[h].sender ? C_SEND : t.host[h].reached ? C_REPLY : "#c8c8c8";
                        fprintf(f, "<g class=\"host\" data-host=\"%s\" data-reached=\"%d\" "
                                   "data-sender=\"%d\">\n",
                                t.host[h].name, t.host[h].reached, t.host[h].sender);
                        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
                                   "stroke=\"#333\" stroke-width=\"2\"/>\n",
                                x, BUS_Y, x, y - 22);
                        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"90\" height=\"44\" rx=\"8\" "
                                   "fill=\"%s\" stroke=\"#333\"/>\n",
                                x - 45, y - 22, fill);
                        text(f, x, y + 5, "middle", 15, t.host[h].reached || t.host[h].sender ? "#fff" : "#333",
                             "font-weight=\"bold\"", t.host[h].name);
                        text(f, x, y + 40, "middle", 12, "#333", NULL,
                             t.host[h].sender ? "sent it" : t.host[h].reached ? "frame arrived"
                                                                                : "never saw it");
                        fputs("</g>\n", f);
                }
        }
        for (int h = 0; h < t.nhost; h++) {
                double x;
                const char *fill;

                if (!t.host[h].router)
                        continue;
                x = t.host[h].nseg == 2 ? (segx[t.host[h].seg[0]][1] + segx[t.host[h].seg[1]][0]) / 2
                                         : segx[t.host[h].seg[0]][1];
                fill = t.host[h].sender ? C_SEND : t.host[h].reached ? C_REPLY : "#c8c8c8";
                fprintf(f, "<g class=\"host router\" data-host=\"%s\" data-reached=\"%d\" "
                           "data-sender=\"%d\">\n",
                        t.host[h].name, t.host[h].reached, t.host[h].sender);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" "
                           "stroke-width=\"2\"/>\n",
                        x - 60, BUS_Y, x + 60, BUS_Y);
                fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"90\" height=\"44\" fill=\"%s\" "
                           "stroke=\"#333\"/>\n",
                        x - 45, BUS_Y - 22, fill);
                text(f, x, BUS_Y + 5, "middle", 15, t.host[h].reached ? "#fff" : "#333",
                     "font-weight=\"bold\"", t.host[h].name);
                text(f, x, BUS_Y + 40, "middle", 12, "#333", NULL,
                     t.host[h].reached ? "arrived, not forwarded" : "never saw it");
                fputs("</g>\n", f);
        }
        a.s_addr = b->ip_dst;
        snprintf(label, sizeof(label), "Frame %zu, UDP to %s:%u: arrived on the links of %d of %d "
                 "other hosts", bframe, inet_ntoa(a), b->dport, nreached, nother);
        text(f, 20, H - 52, "start", 14, "#000", "class=\"caption\"", label);
        snprintf(label, sizeof(label), "reached: %s; not reached: %s (coloured from the capture)",
                 reached[0] ? reached : "none", missed[0] ? missed : "none");
        text(f, 20, H - 30, "start", 14, "#000", NULL, label);
        return end(f, svg);
}

/* ---- sequence diagram ---- */

#define MAXEV 256

struct ev {
        const struct sc_packet *p;
        size_t frame;
        int from, to;     /* lanes */
        double ts, ta;    /* sent, arrived (ta < 0: never) */
        int rule;
};

static int lane_of(const char *names[], int *n, const char *name)
{
        for (int i = 0; i < *n; i++)
                if (strcmp(names[i], name) == 0)
                        return i;
        if (*n == 8)
                return -1;
        names[*n] = name;
        return (*n)++;
}

static void tcp_label(const struct sc_packet *p, char *out, size_t cap)
{
        static const struct {
                uint8_t bit;
                const char *name;
        } fl[] = {{0x02, "SYN"}, {0x01, "FIN"}, {0x04, "RST"}, {0x08, "PSH"}, {0x10, "ACK"}};
        size_t o = 0;
        char pl[64];

        out[0] = '\0';
        for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
                if (p->tcp_flags & fl[i].bit)
                        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " " : "", fl[i].name);
        payload_label(p, pl, sizeof(pl));
        if (pl[0] && o < cap)
                snprintf(out + o, cap - o, " %s (%u bytes)", pl, p->payload_len);
}

int sc_fig_sequence_svg(const struct sc_pcap *cap, const struct sc_fig_sequence *o, char **svg)
{
        static struct ev ev[MAXEV];
        const char *lanes[8];
        int nlanes = 0, nev = 0;
        const int W = 980, TOP = 110, SPAN = 560;
        double t0 = -1, tend = 0, scale, last_label = 0, last_time = -100;
        size_t len = 0;
        FILE *f;
        char label[200];

        *svg = NULL;
        for (size_t i = 0; i < cap->count && nev < MAXEV; i++) {
                const struct sc_packet *p = &cap->pkts[i];
                const char *src, *dst;
                struct ev *e;

                if (p->l3 != SC_L3_IPV4 || (p->l4 != IPPROTO_TCP && p->l4 != IPPROTO_UDP) ||
                    dir_of(p) != DIR_OUT)
                        continue;
                src = sc_fig_name_of(cap, p->ip_src);
                dst = sc_fig_name_of(cap, p->ip_dst);
                if (!src || !dst)
                        continue;
                e = &ev[nev];
                e->p = p;
                e->frame = i + 1;
                e->from = lane_of(lanes, &nlanes, src);
                e->to = lane_of(lanes, &nlanes, dst);
                if (e->from < 0 || e->to < 0)
                        continue;
                if (t0 < 0)
                        t0 = (double)p->ts_ns / 1e9;
                e->ts = (double)p->ts_ns / 1e9 - t0;
                e->ta = -1;
                e->rule = drop_rule(p);
                for (size_t j = i + 1; j < cap->count && p->has_packet_id; j++) {
                        const struct sc_packet *q = &cap->pkts[j];

                        if (dir_of(q) == DIR_IN && q->has_packet_id && q->packet_id == p->packet_id &&
                            q->ip_dst == p->ip_dst) {
                                e->ta = (double)q->ts_ns / 1e9 - t0;
                                break;
                        }
                }
                if (e->ts > tend)
                        tend = e->ts;
                if (e->ta > tend)
                        tend = e->ta;
                nev++;
        }
        if (nev == 0)
                return -ENOENT;
        scale = tend > 0 ? SPAN / tend : 1;
        f = begin(svg, &len, W, TOP + SPAN + 90, o->title, "sequence");
        if (!f)
                return -ENOMEM;
        fprintf(f, "<g id=\"sequence\" data-top=\"%d\" data-px-per-s=\"%.6f\">\n", TOP, scale);
#define LX(l) (200 + (W - 420.0) * (nlanes > 1 ? (double)(l) / (nlanes - 1) : 0.5))
#define TY(s) (TOP + (s) * scale)
        for (int l = 0; l < nlanes; l++) {
                fprintf(f, "<line class=\"lane\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                           "stroke=\"#999\" stroke-width=\"2\"/>\n",
                        LX(l), TOP - 10, LX(l), TOP + SPAN + 10);
                fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"110\" height=\"34\" rx=\"6\" "
                           "fill=\"#eef\" stroke=\"#333\"/>\n",
                        LX(l) - 55, TOP - 50);
                text(f, LX(l), TOP - 27, "middle", 15, "#000", "font-weight=\"bold\"", lanes[l]);
        }
        for (int i = 0; i < nev; i++) {
                struct ev *e = &ev[i];
                const struct sc_packet *p = e->p;
                double x1 = LX(e->from), x2 = LX(e->to), y1 = TY(e->ts);
                double y2 = e->ta >= 0 ? TY(e->ta) : y1 + 12, ly;
                const char *col = "#333";
                bool right = x2 > x1;

                if (p->l4 == IPPROTO_TCP) {
                        tcp_label(p, label, sizeof(label));
                        if (p->tcp_flags & 0x02)
                                col = "#1a7f37";
                        else if (p->tcp_flags & 0x05)
                                col = "#8e24aa";
                        else if (!p->payload_len)
                                col = "#999";
                } else {
                        char pl[64];

                        payload_label(p, pl, sizeof(pl));
                        snprintf(label, sizeof(label), "UDP %s (%u bytes)", pl, p->payload_len);
                        col = C_SEND;
                }
                if (e->ta < 0) {
                        x2 = (x1 + x2) / 2;
                        col = C_DROP;
                }
                fprintf(f, "<g class=\"packet%s\" data-frame=\"%zu\" data-t=\"%.9f\" "
                           "data-arrived=\"%.9f\">\n",
                        e->ta < 0 ? " lost" : "", e->frame, e->ts, e->ta);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"%s\" "
                           "stroke-width=\"2\"/>\n",
                        x1, y1, x2, y2, col);
                if (e->ta >= 0)
                        fprintf(f, "<path d=\"M%.1f %.2f l%d -4 v8 z\" fill=\"%s\"/>\n", x2, y2,
                                right ? -9 : 9, col);
                else
                        fprintf(f, "<path d=\"M%.1f %.2f l10 10 m0 -10 l-10 10\" stroke=\"" C_DROP
                                   "\" stroke-width=\"3\"/>\n",
                                x2 - 5, y2 - 5);
                /* Labels keep time order; one that would overlap the last moves down. */
                ly = (y1 + y2) / 2 - 4;
                if (ly < last_label + 15)
                        ly = last_label + 15;
                last_label = ly;
                if (e->rule) {
                        size_t used = strlen(label);

                        snprintf(label + used, sizeof(label) - used, ", dropped by rule %d", e->rule);
                }
                /* A white halo keeps a label readable where an arrow crosses it. */
                text(f, (LX(0) + LX(nlanes - 1)) / 2, ly, "middle", 12, col,
                     "stroke=\"white\" stroke-width=\"4\" paint-order=\"stroke\"", label);
                if (y1 - last_time >= 12) { /* times closer than a line: the first says it */
                        snprintf(label, sizeof(label), tend < 0.01 ? "%.3f ms" : "%.1f ms",
                                 e->ts * 1000);
                        text(f, LX(0) - 70, y1 + 4, "end", 11, "#666", NULL, label);
                        last_time = y1;
                }
                fputs("</g>\n", f);
        }
        fputs("</g>\n", f);
        text(f, 20, TOP + SPAN + 50, "start", 12, "#444", NULL,
             "Time runs down, to scale (left: ms since the first packet).  An arrow leaves when "
             "the frame left the sender's link");
        text(f, 20, TOP + SPAN + 66, "start", 12, "#444", NULL,
             "and lands when the switch delivered it; SYN green, FIN purple, pure ACKs grey, "
             "red: lost on the way.");
#undef LX
#undef TY
        return end(f, svg);
}
