/*
 * keeper.c - the lab's keeper: a single-threaded child of the test process
 * that makes the lab's namespaces (Criterion's test processes have threads,
 * and a threaded process cannot enter a new user namespace), wires hosts to
 * segments, and then runs every segment as a userspace switch.
 *
 * The switch reads each port with libpcap (inbound only, so its own
 * injections are not read back) and writes with pcap_inject.  That is where
 * faults happen: on the wire, after the sender's sendto() succeeded, which
 * is what real loss looks like (a drop in the sender's own output path
 * would make sendto() fail with EPERM instead).  It is also where segment
 * captures are taken, so a capture knows what the lab did to each frame.
 *
 * Lifetime: the keeper holds the namespaces only through file descriptors
 * (never a name in /run/netns), has PR_SET_PDEATHSIG, and exits when its
 * control socket closes; so the lab vanishes with the test however the
 * test ends.
 */
#define _GNU_SOURCE
#include "capture.h"
#include "impair.h"
#include "internal.h"
#include "timing_prio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ready_msg {
        int rc;
        int nfds;
        char error[512];
};

struct port {
        int link, seg, host;
        char ifname[16];
        pcap_t *pcap;
        int fd;
};

struct pending {
        int64_t release_ns;
        uint64_t order;
        int in_port;
        bool held; /* reorder: waits for the next frame on its segment */
        uint64_t ev, pkid;       /* for capture.pcapng: the decision and the packet */
        uint8_t copy;
        struct sc_ng_fate fate;
        uint32_t len;
        uint8_t *data;
};

/* A UDP relay (sc_lab_relay): one upstream socket per client it has seen. */
struct relay_flow {
        struct sockaddr_in client;
        int up; /* connected to 127.0.0.1:target */
};

struct relay {
        int listen_fd;
        int nflows;
        struct relay_flow flows[16];
};

struct rpending {
        int64_t release_ns;
        int fd;
        struct sockaddr_in to; /* sin_port 0: fd is connected */
        uint32_t len;
        uint8_t *data;
};

struct keeper {
        struct sc_lab *lab;
        int ctl;
        int userns, swns;
        int netns[SC_MAX_HOSTS];
        int diag[SC_MAX_HOSTS]; /* a sock_diag socket in each host's namespace */
        int nports;
        struct port ports[SC_MAX_LINKS];
        struct sc_cap caps[SC_MAX_CAPTURES];
        struct sc_ng ng; /* capture.pcapng */
        struct sc_impair im;
        struct pending *q;
        size_t nq, qcap;
        uint64_t order;
        struct relay relays[SC_MAX_RELAYS];
        struct rpending *rq;
        size_t nrq, rqcap;
        FILE *faults;
        double t0;
};

static int64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A lab host's own TCP table: a book exchange holds a handful of connections. */
#define HOST_TCP_BUCKETS "256"

static int enter(int nsfd, const char *what)
{
        if (setns(nsfd, CLONE_NEWNET) < 0)
                return sc_fail(errno, "enter %s namespace: %s", what, strerror(errno));
        return 0;
}

/* A fresh network namespace for the keeper; returns an fd that keeps it alive. */
static int new_netns(bool ipv6)
{
        int fd;

        if (unshare(CLONE_NEWNET) < 0)
                return sc_fail(errno, "unshare(CLONE_NEWNET): %s", strerror(errno));
        fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return sc_fail(errno, "open netns: %s", strerror(errno));
        /* IPv6 off unless asked for: no router solicitations or DAD in captures. */
        if (!ipv6) {
                sc_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
                sc_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        }
        return fd;
}

static int write_map(const char *path, const char *text)
{
        return sc_sysctl(path, text); /* same open-write-close */
}

static int enter_userns(void)
{
        char map[64];
        uid_t uid = getuid();
        gid_t gid = getgid();
        int rc;

        if (unshare(CLONE_NEWUSER) < 0)
                return sc_fail(errno, "unshare(CLONE_NEWUSER): %s", strerror(errno));
        rc = write_map("/proc/self/setgroups", "deny");
        if (rc < 0)
                return rc;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
        rc = write_map("/proc/self/uid_map", map);
        if (rc < 0)
                return rc;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
        return write_map("/proc/self/gid_map", map);
}

static int host_ifname(const struct sc_lab *lab, int link, char out[16])
{
        const struct sc_host *h = &lab->hosts[lab->links[link].host];

        for (int i = 0; i < h->nlinks; i++)
                if (h->link[i] == link) {
                        snprintf(out, 16, "eth%d", i);
                        return 0;
                }
        return -ENOENT;
}

/* The router that serves a segment, or -1. */
static int segment_router(const struct sc_lab *lab, int seg, uint32_t *gw)
{
        for (int l = 0; l < lab->nlinks; l++)
                if (lab->links[l].seg == seg && lab->hosts[lab->links[l].host].router) {
                        *gw = lab->links[l].addr;
                        return lab->links[l].host;
                }
        return -1;
}

static int build_host_links(struct keeper *k, int h)
{
        struct sc_lab *lab = k->lab;
        const struct sc_host *host = &lab->hosts[h];
        int nl, rc = 0;

        rc = enter(k->netns[h], host->name);
        if (rc < 0)
                return rc;
        nl = sc_nl_open();
        if (nl < 0)
                return nl;
        rc = sc_nl_link_up(nl, "lo", 0);
        if (rc < 0)
                goto out;
        if (host->router) {
                rc = sc_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
                if (rc < 0)
                        goto out;
        }
        for (int i = 0; i < host->nlinks; i++) {
                const struct sc_link *ln = &lab->links[host->link[i]];
                const struct sc_segment *sg = &lab->segs[ln->seg];
                uint8_t peer_mac[6];
                char ifname[16], peer[16];
                uint32_t mask = sg->prefix ? htonl(~0U << (32 - sg->prefix)) : 0;

                memcpy(peer_mac, ln->mac, 6);
                peer_mac[5] = 0xfe;
                snprintf(ifname, sizeof(ifname), "eth%d", i);
                snprintf(peer, sizeof(peer), "s%dp%d", ln->seg, host->link[i]);
                rc = sc_nl_veth(nl, ifname, ln->mac, peer, peer_mac, k->swns, ln->mtu);
                if (rc < 0)
                        goto out;
                rc = sc_nl_link_up(nl, ifname, ln->mtu);
                if (rc < 0)
                        goto out;
                rc = sc_offloads_off(ifname);
                if (rc < 0)
                        goto out;
                rc = sc_nl_addr(nl, ifname, ln->addr, sg->prefix, ln->addr | ~mask);
                if (rc < 0)
                        goto out;
                /*
                 * Every neighbour on the segment is known in advance: no ARP
                 * exchange delays a first datagram (which would skew timing
                 * checks) or varies from run to run in the captures.
                 */
                for (int l = 0; l < lab->nlinks; l++) {
                        const struct sc_link *other = &lab->links[l];

                        if (other->seg != ln->seg || other->host == h)
                                continue;
                        rc = sc_nl_neigh(nl, ifname, other->addr, other->mac);
                        if (rc < 0)
                                goto out;
                }
        }
        if (!host->router && host->nlinks > 0) {
                uint32_t gw = 0;
                int chosen = 0;

                for (int i = 0; i < host->nlinks; i++)
                        if (segment_router(lab, lab->links[host->link[i]].seg, &gw) >= 0) {
                                chosen = i;
                                break;
                        }
                {
                        char ifname[16];

                        snprintf(ifname, sizeof(ifname), "eth%d", chosen);
                        rc = sc_nl_default_route(nl, ifname, gw);
                }
        }
out:
        close(nl);
        return rc;
}

static int bring_up_switch_ports(struct keeper *k)
{
        struct sc_lab *lab = k->lab;
        int nl, rc;

        rc = enter(k->swns, "switch");
        if (rc < 0)
                return rc;
        nl = sc_nl_open();
        if (nl < 0)
                return nl;
        for (int l = 0; l < lab->nlinks; l++) {
                struct port *p = &k->ports[k->nports];

                p->link = l;
                p->seg = lab->links[l].seg;
                p->host = lab->links[l].host;
                snprintf(p->ifname, sizeof(p->ifname), "s%dp%d", p->seg, l);
                rc = sc_nl_link_up(nl, p->ifname, lab->links[l].mtu);
                if (rc == 0)
                        rc = sc_offloads_off(p->ifname);
                if (rc < 0)
                        break;
                k->nports++;
        }
        close(nl);
        return rc;
}

/* Links vanish into a black hole until both veth ends say UP: wait for it. */
static int wait_links_up(struct keeper *k)
{
        struct sc_lab *lab = k->lab;
        double deadline = sc_now() + 5.0;

        for (int l = 0; l < lab->nlinks; l++) {
                char ifname[16];
                int h = lab->links[l].host, nl, rc;

                host_ifname(lab, l, ifname);
                rc = enter(k->netns[h], lab->hosts[h].name);
                if (rc < 0)
                        return rc;
                nl = sc_nl_open();
                if (nl < 0)
                        return nl;
                while ((rc = sc_nl_oper_up(nl, ifname)) == 0 && sc_now() < deadline)
                        sc_nap(0.0005);
                close(nl);
                if (rc < 0)
                        return rc;
                if (rc == 0)
                        return sc_fail(ETIMEDOUT, "%s %s not up after 5 s", lab->hosts[h].name,
                                       ifname);
        }
        return enter(k->swns, "switch");
}

static int open_port_pcaps(struct keeper *k)
{
        char errbuf[PCAP_ERRBUF_SIZE];

        for (int i = 0; i < k->nports; i++) {
                struct port *p = &k->ports[i];
                int rc;

                p->pcap = pcap_create(p->ifname, errbuf);
                if (!p->pcap)
                        return sc_fail(EIO, "switch port %s: %s", p->ifname, errbuf);
                /*
                 * No frame on a port exceeds its MTU plus the Ethernet header,
                 * and the keeper reads a port as soon as it is readable.
                 */
                rc = sc_pcap_activate(p->pcap, p->ifname, k->lab->links[p->link].mtu + 18,
                                      1 << 20);
                if (rc < 0)
                        return rc;
                if (pcap_setdirection(p->pcap, PCAP_D_IN) < 0)
                        return sc_fail(EIO, "switch port %s: %s", p->ifname, pcap_geterr(p->pcap));
                p->fd = pcap_get_selectable_fd(p->pcap);
        }
        return 0;
}

static int open_captures(struct keeper *k)
{
        struct sc_lab *lab = k->lab;

        for (int i = 0; i < lab->ncaps; i++) {
                struct sc_cap *c = &k->caps[i];
                int rc;

                c->spec = lab->caps[i];
                if (c->spec.seg >= 0) {
                        c->active = true; /* fed by the switch */
                        k->ng.seg_on[c->spec.seg] = true;
                        continue;
                }
                if (lab->mode != SC_MODE_LOOPBACK) {
                        rc = enter(k->netns[c->spec.host], lab->hosts[c->spec.host].name);
                        if (rc < 0)
                                return rc;
                }
                rc = sc_cap_open_live(c);
                if (rc < 0)
                        return rc;
        }
        if (lab->mode != SC_MODE_LOOPBACK && k->swns >= 0)
                return enter(k->swns, "switch");
        return 0;
}

/* Enters host h's namespace to make a socket there (no-op in loopback mode). */
static int enter_host(struct keeper *k, int h)
{
        return k->lab->mode == SC_MODE_LOOPBACK ? 0 : enter(k->netns[h], k->lab->hosts[h].name);
}

static int leave_host(struct keeper *k)
{
        return k->lab->mode == SC_MODE_LOOPBACK || k->swns < 0 ? 0 : enter(k->swns, "switch");
}

static int udp_socket(uint16_t bind_port, uint16_t connect_port)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return sc_fail(errno, "relay socket: %s", strerror(errno));
        a.sin_port = htons(bind_port);
        if (bind_port && bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int e = errno;

                close(fd);
                return sc_fail(e, "relay: bind 127.0.0.1:%u: %s", bind_port, strerror(e));
        }
        a.sin_port = htons(connect_port);
        if (connect_port && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int e = errno;

                close(fd);
                return sc_fail(e, "relay: connect 127.0.0.1:%u: %s", connect_port, strerror(e));
        }
        return fd;
}

static int open_relays(struct keeper *k)
{
        for (int i = 0; i < k->lab->nrelays; i++) {
                const struct sc_relay_spec *r = &k->lab->relays[i];
                int rc = enter_host(k, r->host);

                if (rc < 0)
                        return rc;
                k->relays[i].listen_fd = udp_socket(r->listen_port, 0);
                if (k->relays[i].listen_fd < 0)
                        return k->relays[i].listen_fd;
                rc = leave_host(k);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int build(struct keeper *k)
{
        struct sc_lab *lab = k->lab;
        int rc;

        k->userns = k->swns = -1;
        for (int h = 0; h < SC_MAX_HOSTS; h++)
                k->netns[h] = k->diag[h] = -1;
        if (lab->mode == SC_MODE_LOOPBACK) {
                rc = open_relays(k);
                return rc < 0 ? rc : open_captures(k);
        }
        if (lab->mode == SC_MODE_ROOTLESS) {
                rc = enter_userns();
                if (rc < 0)
                        return rc;
                k->userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
                if (k->userns < 0)
                        return sc_fail(errno, "open userns: %s", strerror(errno));
        }
        /*
         * The switch's namespace first (the switch itself never speaks), made
         * even for a lab without links: the hosts are made from inside it,
         * and it gives each a TCP connection table of its own.  A namespace
         * made from the machine's shares the machine's table (262144 buckets
         * here), which every walk of it covers in full without a preemption
         * point: the half-closed check before a capture ends (1.4 ms a
         * query, against 4 us), /proc/net/tcp, the TIME_WAIT purge when a
         * namespace goes.  On this PREEMPT_NONE kernel such walks are what a
         * real-time program waits behind (see timing_prio.c).
         */
        k->swns = new_netns(false);
        if (k->swns < 0)
                return k->swns;
        rc = sc_sysctl("/proc/sys/net/ipv4/tcp_child_ehash_entries", HOST_TCP_BUCKETS);
        if (rc < 0 && rc != -ENOENT) /* before 6.1 there is only the shared table */
                return rc;
        for (int h = 0; h < lab->nhosts; h++) {
                rc = enter(k->swns, "switch");
                if (rc < 0)
                        return rc;
                k->netns[h] = new_netns(lab->ipv6);
                if (k->netns[h] < 0)
                        return k->netns[h];
                k->diag[h] = sc_diag_open(); /* answers for the namespace just made */
                if (k->diag[h] < 0)
                        return k->diag[h];
        }
        for (int h = 0; h < lab->nhosts; h++) {
                rc = build_host_links(k, h);
                if (rc < 0)
                        return rc;
        }
        if (lab->nlinks > 0) {
                rc = bring_up_switch_ports(k);
                if (rc < 0)
                        return rc;
                rc = wait_links_up(k);
                if (rc < 0)
                        return rc;
                rc = open_port_pcaps(k);
                if (rc < 0)
                        return rc;
        }
        rc = open_relays(k);
        return rc < 0 ? rc : open_captures(k);
}

static void send_ready(struct keeper *k, int rc)
{
        struct ready_msg m = {.rc = rc};
        int fds[1 + 2 * SC_MAX_HOSTS];
        char cbuf[CMSG_SPACE(sizeof(fds))];
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

        if (rc < 0) {
                snprintf(m.error, sizeof(m.error), "%s", sc_error());
        } else if (k->lab->mode != SC_MODE_LOOPBACK) {
                struct cmsghdr *c;

                fds[m.nfds++] = k->userns >= 0 ? k->userns : k->netns[0];
                for (int h = 0; h < k->lab->nhosts; h++)
                        fds[m.nfds++] = k->netns[h];
                for (int h = 0; h < k->lab->nhosts; h++)
                        fds[m.nfds++] = k->diag[h];
                memset(cbuf, 0, sizeof(cbuf));
                mh.msg_control = cbuf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)m.nfds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)m.nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)m.nfds);
        }
        while (sendmsg(k->ctl, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

/* ---- the switch ---- */

/* What capture.pcapng notes about each copy the switch delivers. */
struct copy_note {
        uint64_t ev, pkid;
        uint8_t copy;
        const struct sc_ng_fate *fate;
};

static void inject(struct keeper *k, int in_port, const uint8_t *data, uint32_t len,
                   const struct copy_note *cn)
{
        const struct port *in = &k->ports[in_port];
        int target = -1;

        /* Unicast to a known MAC goes to its port; anything else floods the segment. */
        if (!(data[0] & 1))
                for (int i = 0; i < k->nports; i++)
                        if (k->ports[i].seg == in->seg &&
                            memcmp(k->lab->links[k->ports[i].link].mac, data, 6) == 0)
                                target = i;
        for (int i = 0; i < k->nports; i++) {
                if (i == in_port || k->ports[i].seg != in->seg)
                        continue;
                if (target >= 0 && i != target)
                        continue;
                pcap_inject(k->ports[i].pcap, data, len);
                if (k->ng.seg_on[in->seg])
                        sc_ng_egress(&k->ng, k->ports[i].link, data, len, cn->ev, cn->pkid,
                                     cn->copy, cn->fate);
        }
}

static void enqueue(struct keeper *k, int in_port, const uint8_t *data, uint32_t len,
                    int64_t release, bool held, const struct copy_note *cn)
{
        struct pending *p;
        size_t at;

        if (k->nq == k->qcap) {
                size_t ncap = k->qcap ? k->qcap * 2 : 64;
                struct pending *nq = realloc(k->q, ncap * sizeof(*nq));

                if (!nq)
                        return;
                k->q = nq;
                k->qcap = ncap;
        }
        /* Sorted by release time, stable for equal times (FIFO at a fixed delay). */
        at = k->nq;
        while (at > 0 && k->q[at - 1].release_ns > release)
                at--;
        memmove(&k->q[at + 1], &k->q[at], (k->nq - at) * sizeof(*p));
        p = &k->q[at];
        p->release_ns = release;
        p->order = k->order++;
        p->in_port = in_port;
        p->held = held;
        p->ev = cn->ev;
        p->pkid = cn->pkid;
        p->copy = cn->copy;
        if (cn->fate)
                p->fate = *cn->fate;
        else
                memset(&p->fate, 0, sizeof(p->fate));
        p->len = len;
        p->data = malloc(len);
        if (!p->data) {
                memmove(&k->q[at], &k->q[at + 1], (k->nq - at) * sizeof(*p));
                return;
        }
        memcpy(p->data, data, len);
        k->nq++;
}

/* A frame went through on seg: frames held for reordering follow right after it. */
static void release_held(struct keeper *k, int seg, int64_t after)
{
        for (size_t i = 0; i < k->nq; i++) {
                struct pending p = k->q[i];

                if (!p.held || k->ports[p.in_port].seg != seg)
                        continue;
                memmove(&k->q[i], &k->q[i + 1], (k->nq - i - 1) * sizeof(p));
                k->nq--;
                enqueue(k, p.in_port, p.data, p.len, after + 1, false,
                        &(struct copy_note){p.ev, p.pkid, p.copy, &p.fate});
                free(p.data);
                i = (size_t)-1; /* the queue moved: start over */
        }
}

static void on_frame(struct keeper *k, int in_port, uint64_t ts_ns, const uint8_t *data,
                     uint32_t caplen, uint32_t len)
{
        const struct port *in = &k->ports[in_port];
        struct sc_fate fate;
        struct sc_ng_fate ngf;
        struct copy_note cn = {.fate = &ngf}, cn2;
        int64_t now = mono_ns(), release;

        if (caplen < 14 || caplen != len)
                return; /* never forward a cut frame */
        sc_impair_decide(&k->im, in->seg, in->host, data, len, &fate);
        sc_ng_fate_of(&fate, &ngf);
        cn.ev = sc_ng_ingress(&k->ng, in->link, in->seg, ts_ns, data, len, &fate, &cn.pkid);
        cn2 = cn;
        cn2.copy = 1;
        for (int i = 0; i < k->lab->ncaps; i++)
                if (k->caps[i].spec.seg == in->seg)
                        sc_cap_add(&k->caps[i], ts_ns, data, caplen, len, fate.text);
        if (fate.text[0] && k->faults)
                fprintf(k->faults, "%.6f seed=%llu segment=%s from=%s %s\n", sc_now() - k->t0,
                        (unsigned long long)k->im.seed, k->lab->segs[in->seg].name,
                        k->lab->hosts[in->host].name, fate.text);
        if (fate.drop)
                return;
        release = now + fate.delay_ns;
        if (fate.reorder) {
                /* Held at most 200 ms if nothing follows. */
                enqueue(k, in_port, data, len, release + 200000000LL, true, &cn);
                return;
        }
        if (fate.delay_ns == 0 && k->nq == 0) {
                inject(k, in_port, data, len, &cn);
                if (fate.dup)
                        inject(k, in_port, data, len, &cn2);
                return;
        }
        enqueue(k, in_port, data, len, release, false, &cn);
        if (fate.dup)
                enqueue(k, in_port, data, len, release, false, &cn2);
        release_held(k, in->seg, release);
}

struct port_ctx {
        struct keeper *k;
        int port;
};

static void port_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
        struct port_ctx *c = (struct port_ctx *)user;
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;

        on_frame(c->k, c->port, ts, bytes, h->caplen, h->len);
}

static void read_port(struct keeper *k, int i)
{
        struct port_ctx c = {k, i};

        while (pcap_dispatch(k->ports[i].pcap, -1, port_cb, (u_char *)&c) > 0)
                ;
}

static void release_due(struct keeper *k)
{
        int64_t now = mono_ns();

        while (k->nq > 0 && k->q[0].release_ns <= now) {
                struct pending p = k->q[0];

                memmove(&k->q[0], &k->q[1], (k->nq - 1) * sizeof(p));
                k->nq--;
                inject(k, p.in_port, p.data, p.len,
                       &(struct copy_note){p.ev, p.pkid, p.copy, &p.fate});
                free(p.data);
                if (!p.held)
                        release_held(k, k->ports[p.in_port].seg, now);
        }
}

/* ---- relays ---- */

static void relay_send(int fd, const struct sockaddr_in *to, const uint8_t *d, uint32_t len)
{
        if (to->sin_port)
                sendto(fd, d, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
        else
                send(fd, d, len, MSG_DONTWAIT);
}

static void relay_enqueue(struct keeper *k, int64_t release, int fd, const struct sockaddr_in *to,
                          const uint8_t *d, uint32_t len)
{
        size_t at;

        if (k->nrq == k->rqcap) {
                size_t ncap = k->rqcap ? k->rqcap * 2 : 32;
                struct rpending *n = realloc(k->rq, ncap * sizeof(*n));

                if (!n)
                        return;
                k->rq = n;
                k->rqcap = ncap;
        }
        at = k->nrq;
        while (at > 0 && k->rq[at - 1].release_ns > release)
                at--;
        memmove(&k->rq[at + 1], &k->rq[at], (k->nrq - at) * sizeof(*k->rq));
        k->rq[at] = (struct rpending){.release_ns = release, .fd = fd, .to = *to, .len = len,
                                      .data = malloc(len ? len : 1)};
        if (!k->rq[at].data) {
                memmove(&k->rq[at], &k->rq[at + 1], (k->nrq - at) * sizeof(*k->rq));
                return;
        }
        memcpy(k->rq[at].data, d, len);
        k->nrq++;
}

/* One datagram through relay ri in direction dir (0 towards the target). */
static void relay_forward(struct keeper *k, int ri, int dir, uint16_t sport, uint16_t dport, int fd,
                          const struct sockaddr_in *to, const uint8_t *d, uint32_t len)
{
        /* A header for the rule matcher: Ethernet II, IPv4, UDP with the flow's ports. */
        uint8_t frame[42] = {0};
        struct sc_fate fate;

        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[14 + 9] = IPPROTO_UDP;
        frame[34] = (uint8_t)(sport >> 8);
        frame[35] = (uint8_t)sport;
        frame[36] = (uint8_t)(dport >> 8);
        frame[37] = (uint8_t)dport;
        sc_impair_decide(&k->im, SC_RELAY(ri), dir, frame, sizeof(frame), &fate);
        if (fate.text[0] && k->faults)
                fprintf(k->faults, "%.6f seed=%llu relay=%d %s %s\n", sc_now() - k->t0,
                        (unsigned long long)k->im.seed, ri, dir ? "reply" : "request", fate.text);
        if (fate.drop)
                return;
        if (fate.delay_ns == 0 && k->nrq == 0) {
                relay_send(fd, to, d, len);
                if (fate.dup)
                        relay_send(fd, to, d, len);
                return;
        }
        relay_enqueue(k, mono_ns() + fate.delay_ns, fd, to, d, len);
        if (fate.dup)
                relay_enqueue(k, mono_ns() + fate.delay_ns, fd, to, d, len);
}

static void relay_read(struct keeper *k, int ri, int fd, int flow)
{
        struct relay *r = &k->relays[ri];
        const struct sc_relay_spec *spec = &k->lab->relays[ri];
        static uint8_t buf[65536];

        for (;;) {
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
                                     &fl);

                if (n < 0)
                        return;
                if (flow >= 0) { /* a reply, back to its client from the listening port */
                        struct relay_flow *f = &r->flows[flow];

                        relay_forward(k, ri, 1, spec->target_port, ntohs(f->client.sin_port),
                                      r->listen_fd, &f->client, buf, (uint32_t)n);
                        continue;
                }
                {
                        int i;
                        struct sockaddr_in none = {0};

                        for (i = 0; i < r->nflows; i++)
                                if (r->flows[i].client.sin_port == from.sin_port &&
                                    r->flows[i].client.sin_addr.s_addr == from.sin_addr.s_addr)
                                        break;
                        if (i == r->nflows) {
                                int up;

                                if (r->nflows == 16 || enter_host(k, spec->host) < 0)
                                        continue;
                                up = udp_socket(0, spec->target_port);
                                leave_host(k);
                                if (up < 0)
                                        continue;
                                r->flows[i] = (struct relay_flow){.client = from, .up = up};
                                r->nflows++;
                        }
                        relay_forward(k, ri, 0, ntohs(from.sin_port), spec->target_port,
                                      r->flows[i].up, &none, buf, (uint32_t)n);
                }
        }
}

static void relay_release_due(struct keeper *k)
{
        int64_t now = mono_ns();

        while (k->nrq > 0 && k->rq[0].release_ns <= now) {
                struct rpending p = k->rq[0];

                memmove(&k->rq[0], &k->rq[1], (k->nrq - 1) * sizeof(p));
                k->nrq--;
                relay_send(p.fd, &p.to, p.data, p.len);
                free(p.data);
        }
}

/* ---- control requests ---- */

static void handle_request(struct keeper *k, const uint8_t *msg, size_t len)
{
        int op = len >= sizeof(int) ? *(const int *)msg : 0;
        const uint8_t *arg = msg + sizeof(int);

        if (op == SC_OP_RULES && len >= sizeof(int) + sizeof(struct sc_keeper_rules)) {
                const struct sc_keeper_rules *r = (const void *)arg;
                int rc = 0;

                sc_impair_init(&k->im, k->lab->seed, r->rules, r->nrules);
                send(k->ctl, &rc, sizeof(rc), MSG_NOSIGNAL);
        } else if (op == SC_OP_CAPTURE_FINISH) {
                struct sc_keeper_capreply rep;

                memset(&rep, 0, sizeof(rep));
                for (int i = 0; i < k->nports; i++)
                        read_port(k, i);
                for (int i = 0; i < k->lab->ncaps && rep.rc == 0; i++) {
                        rep.rc = sc_cap_finish(&k->caps[i], k->lab->dir, &rep.stats[i]);
                        if (rep.rc < 0)
                                snprintf(rep.error, sizeof(rep.error), "%s", sc_error());
                }
                if (rep.rc == 0 && k->lab->ncaps > 0) {
                        /* The notes (SHB comments) come with the request, NUL-terminated. */
                        char notes[SC_LAB_NOTES_MAX];
                        size_t nl = len > sizeof(int) ? len - sizeof(int) : 0;

                        if (nl >= sizeof(notes))
                                nl = sizeof(notes) - 1;
                        memcpy(notes, arg, nl);
                        notes[nl] = '\0';
                        rep.rc = sc_ng_write(&k->ng, k->lab, k->caps, notes);
                        if (rep.rc < 0)
                                snprintf(rep.error, sizeof(rep.error), "%s", sc_error());
                        memset(k->ng.seg_on, 0, sizeof(k->ng.seg_on));
                        sc_ng_free(&k->ng);
                }
                for (int i = 0; i < k->nports; i++) {
                        struct pcap_stat ps;

                        if (pcap_stats(k->ports[i].pcap, &ps) == 0)
                                for (int c = 0; c < k->lab->ncaps; c++)
                                        if (k->caps[c].spec.seg == k->ports[i].seg)
                                                rep.stats[c].kernel_drops +=
                                                        ps.ps_drop + ps.ps_ifdrop;
                }
                if (k->faults)
                        fflush(k->faults);
                send(k->ctl, &rep, sizeof(rep), MSG_NOSIGNAL);
        } else {
                int rc = 0;

                send(k->ctl, &rc, sizeof(rc), MSG_NOSIGNAL);
        }
}

static void run(struct keeper *k)
{
        struct pollfd pfd[1 + SC_MAX_LINKS + SC_MAX_CAPTURES + SC_MAX_RELAYS * 17];
        int capidx[SC_MAX_CAPTURES];
        struct {
                int relay, flow;
        } rsrc[SC_MAX_RELAYS * 17];
        static uint8_t msg[SC_KEEPER_MSG_MAX];

        for (;;) {
                int n = 0, ncap = 0, nrel = 0, relay_base;
                struct timespec ts, *tp = NULL;
                int64_t next = -1;

                pfd[n++] = (struct pollfd){.fd = k->ctl, .events = POLLIN};
                for (int i = 0; i < k->nports; i++)
                        pfd[n++] = (struct pollfd){.fd = k->ports[i].fd, .events = POLLIN};
                for (int i = 0; i < k->lab->ncaps; i++)
                        if (k->caps[i].live && k->caps[i].active) {
                                capidx[ncap++] = i;
                                pfd[n++] = (struct pollfd){
                                        .fd = pcap_get_selectable_fd(k->caps[i].live),
                                        .events = POLLIN};
                        }
                relay_base = n;
                for (int r = 0; r < k->lab->nrelays; r++) {
                        rsrc[nrel].relay = r;
                        rsrc[nrel++].flow = -1;
                        pfd[n++] = (struct pollfd){.fd = k->relays[r].listen_fd, .events = POLLIN};
                        for (int f = 0; f < k->relays[r].nflows; f++) {
                                rsrc[nrel].relay = r;
                                rsrc[nrel++].flow = f;
                                pfd[n++] = (struct pollfd){.fd = k->relays[r].flows[f].up,
                                                           .events = POLLIN};
                        }
                }
                if (k->nq > 0)
                        next = k->q[0].release_ns;
                if (k->nrq > 0 && (next < 0 || k->rq[0].release_ns < next))
                        next = k->rq[0].release_ns;
                if (next >= 0) {
                        int64_t wait = next - mono_ns();

                        if (wait < 0)
                                wait = 0;
                        ts.tv_sec = wait / 1000000000LL;
                        ts.tv_nsec = wait % 1000000000LL;
                        tp = &ts;
                }
                if (ppoll(pfd, (nfds_t)n, tp, NULL) < 0 && errno != EINTR)
                        return;
                if (pfd[0].revents & (POLLHUP | POLLERR))
                        return;
                if (pfd[0].revents & POLLIN) {
                        ssize_t r = recv(k->ctl, msg, sizeof(msg), 0);

                        if (r <= 0)
                                return;
                        handle_request(k, msg, (size_t)r);
                }
                for (int i = 0; i < k->nports; i++)
                        if (pfd[1 + i].revents)
                                read_port(k, i);
                for (int j = 0; j < ncap; j++)
                        if (pfd[1 + k->nports + j].revents)
                                sc_cap_drain(&k->caps[capidx[j]]);
                for (int j = 0; j < nrel; j++)
                        if (pfd[relay_base + j].revents & POLLIN)
                                relay_read(k, rsrc[j].relay, pfd[relay_base + j].fd, rsrc[j].flow);
                release_due(k);
                relay_release_due(k);
        }
}

static void keeper_main(struct sc_lab *lab, int ctl, pid_t parent)
{
        struct keeper k;
        char path[900];
        int rc;

        memset(&k, 0, sizeof(k));
        k.lab = lab;
        k.ctl = ctl;
        k.t0 = sc_now();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(0);
        prctl(PR_SET_TIMERSLACK, 1UL);
        signal(SIGPIPE, SIG_IGN);
        /* Keep nothing of the test process's but the control socket. */
        if (ctl != 3) {
                dup2(ctl, 3);
                k.ctl = 3;
        }
        close_range(4, ~0U, 0);
        rc = build(&k);
        if (rc == 0) {
                snprintf(path, sizeof(path), "%s/faults.log", lab->dir);
                if (lab->nrules > 0 || lab->nlinks > 0 || lab->nrelays > 0)
                        k.faults = fopen(path, "we");
                if (k.faults) {
                        setvbuf(k.faults, NULL, _IOLBF, 0);
                        fprintf(k.faults, "# lab %s seed=%llu\n", lab->name,
                                (unsigned long long)lab->seed);
                }
                sc_impair_init(&k.im, lab->seed, lab->rules, lab->nrules);
        }
        send_ready(&k, rc);
        if (rc < 0)
                _exit(1);
        sc_timing_priority_switch(); /* timing tests: see timing_prio.h */
        run(&k);
        if (k.faults)
                fclose(k.faults);
        _exit(0);
}

static void reap_exiting(bool block);

int sc_keeper_start(struct sc_lab *lab)
{
        int sv[2], rc;
        pid_t parent = getpid();
        struct ready_msg m;
        int fds[1 + 2 * SC_MAX_HOSTS];
        char cbuf[CMSG_SPACE(sizeof(fds))];
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof(cbuf)};
        struct pollfd pfd;
        ssize_t n;

        reap_exiting(false); /* the labs this process stopped before */
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return sc_fail(errno, "socketpair: %s", strerror(errno));
        lab->keeper = fork();
        if (lab->keeper < 0) {
                rc = sc_fail(errno, "fork: %s", strerror(errno));
                close(sv[0]);
                close(sv[1]);
                return rc;
        }
        if (lab->keeper == 0) {
                close(sv[0]);
                keeper_main(lab, sv[1], parent);
        }
        close(sv[1]);
        lab->ctl = sv[0];
        pfd = (struct pollfd){.fd = lab->ctl, .events = POLLIN};
        if (poll(&pfd, 1, 15000) <= 0) {
                sc_keeper_stop(lab);
                return sc_fail(ETIMEDOUT, "lab %s: keeper did not report within 15 s", lab->name);
        }
        n = recvmsg(lab->ctl, &mh, MSG_CMSG_CLOEXEC);
        if (n < (ssize_t)sizeof(m)) {
                sc_keeper_stop(lab);
                return sc_fail(EIO, "lab %s: keeper died while building", lab->name);
        }
        if (m.rc < 0) {
                sc_keeper_stop(lab);
                return sc_fail(-m.rc, "lab %s: %s", lab->name, m.error);
        }
        if (m.nfds > 0) {
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

                if (!c || c->cmsg_type != SCM_RIGHTS) {
                        sc_keeper_stop(lab);
                        return sc_fail(EIO, "lab %s: keeper sent no namespaces", lab->name);
                }
                memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)m.nfds);
                if (lab->mode == SC_MODE_ROOTLESS)
                        lab->userns = fds[0];
                else
                        close(fds[0]);
                for (int h = 0; h < lab->nhosts; h++) {
                        lab->netns[h] = fds[1 + h];
                        lab->diag[h] = fds[1 + lab->nhosts + h];
                }
        }
        return 0;
}

int sc_keeper_request(struct sc_lab *lab, int op, const void *arg, size_t arglen, void *reply,
                      size_t replylen)
{
        uint8_t msg[SC_KEEPER_MSG_MAX];
        struct pollfd pfd = {.fd = lab->ctl, .events = POLLIN};
        ssize_t n;

        if (lab->ctl < 0)
                return sc_fail(ENOTCONN, "lab %s is not running", lab->name);
        if (arglen > sizeof(msg) - sizeof(int))
                return sc_fail(EINVAL, "request too large");
        memcpy(msg, &op, sizeof(int));
        if (arglen)
                memcpy(msg + sizeof(int), arg, arglen);
        if (send(lab->ctl, msg, sizeof(int) + arglen, MSG_NOSIGNAL) < 0)
                return sc_fail(errno, "lab %s: keeper gone: %s", lab->name, strerror(errno));
        if (poll(&pfd, 1, 10000) <= 0)
                return sc_fail(ETIMEDOUT, "lab %s: keeper did not answer", lab->name);
        n = recv(lab->ctl, reply, replylen, 0);
        if (n <= 0)
                return sc_fail(EIO, "lab %s: keeper died", lab->name);
        return 0;
}

/*
 * Keepers that were told to go and have not been reaped yet.  A keeper's
 * exit is the lab's tear-down: each switch port's packet ring costs two
 * synchronize_net() calls to release (about 24 ms a port; 58 ms for a lab
 * of two hosts, 200 ms for eight, scripts/bench), and none of it is the
 * test's business once the captures are written.  So in namespace modes a
 * stopped keeper is reaped later: at the next lab's start, or when the test
 * process exits (atexit, at most 3 s, then SIGKILL).  It cannot outlive the
 * test process either way (PR_SET_PDEATHSIG).  Plain loopback mode still
 * waits: its keeper holds relay sockets on the machine's own ports, which
 * the next lab binds again.
 */
#define SC_MAX_EXITING 64
static pid_t exiting[SC_MAX_EXITING];
static int nexiting;

/* Waits up to timeout_s for keeper pid to end, then kills it: it is reaped either way. */
static void reap_keeper(pid_t pid, double timeout_s)
{
        double deadline = sc_now() + timeout_s;
        int status;

        while (waitpid(pid, &status, WNOHANG) == 0) {
                if (sc_now() > deadline) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        return;
                }
                sc_nap(0.001);
        }
}

/* Reaps the stopped keepers that have ended (block: all of them, 3 s each at most). */
static void reap_exiting(bool block)
{
        for (int i = 0; i < nexiting;) {
                int status;

                if (block)
                        reap_keeper(exiting[i], 3.0);
                else if (waitpid(exiting[i], &status, WNOHANG) == 0) {
                        i++;
                        continue;
                }
                exiting[i] = exiting[--nexiting];
        }
}

static void reap_exiting_at_exit(void)
{
        reap_exiting(true);
}

void sc_keeper_stop(struct sc_lab *lab)
{
        static bool registered;

        if (lab->ctl >= 0)
                close(lab->ctl);
        lab->ctl = -1;
        if (lab->keeper <= 0)
                return;
        if (!registered)
                registered = atexit(reap_exiting_at_exit) == 0;
        if (lab->mode != SC_MODE_LOOPBACK && registered) {
                if (nexiting == SC_MAX_EXITING)
                        reap_exiting(true);
                exiting[nexiting++] = lab->keeper;
        } else {
                reap_keeper(lab->keeper, 3.0);
        }
        lab->keeper = 0;
}
