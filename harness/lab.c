/*
 * lab.c - describing a lab (hosts, segments, links, rules, captures),
 * starting it through the keeper, and tearing it down.  The description is
 * plain data filled in before sc_lab_start; the keeper builds from a copy.
 *
 * Addresses and MACs are derived from the description alone, so the same
 * lab always has the same addresses and the same link-layer headers: that
 * is what lets reference captures compare byte for byte.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The command that reruns this lab: SOCKCHECK_RERUN, or the process's own command line. */
static void rerun_note(struct sc_lab *lab)
{
        const char *env = getenv("SOCKCHECK_RERUN");
        const char *slash;
        char cmd[1024];
        ssize_t n;

        if (env && *env) {
                sc_lab_note(lab, "command", env);
                return;
        }
        /*
         * A suite's lab is named <suite>/<test>[/...]: the test binary with
         * that filter reruns it (Criterion's worker has a command line of its own).
         */
        n = 0;
        if (getenv("SOCKCHECK_PORT") && strlen(getenv("SOCKCHECK_PORT")) < 600)
                n = snprintf(cmd, sizeof(cmd), "SOCKCHECK_PORT=%s ", getenv("SOCKCHECK_PORT"));
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "SOCKCHECK_SEED=%llu ",
                      (unsigned long long)lab->seed);
        {
                ssize_t e = readlink("/proc/self/exe", cmd + n, sizeof(cmd) - 1 - (size_t)n);

                if (e <= 0)
                        return;
                n += e;
        }
        cmd[n] = '\0';
        slash = strchr(lab->name, '/');
        if (slash) {
                const char *end = strchr(slash + 1, '/');
                int len = end ? (int)(end - lab->name) : (int)strlen(lab->name);

                snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --filter='%.*s'", len, lab->name);
        }
        sc_lab_note(lab, "command", cmd);
}

int sc_lab_note(struct sc_lab *lab, const char *key, const char *value)
{
        size_t used = strlen(lab->notes);
        int n;

        if (lab->captures_finished)
                return sc_fail(EBUSY, "lab %s: its capture.pcapng is written already", lab->name);
        n = snprintf(lab->notes + used, sizeof(lab->notes) - used, "%s: %s\n", key, value);
        if (n < 0 || (size_t)n >= sizeof(lab->notes) - used) {
                lab->notes[used] = '\0';
                return sc_fail(ENOSPC, "lab %s: notes full", lab->name);
        }
        /* A note is one line: newlines inside would start a comment of their own. */
        for (char *c = lab->notes + used; c < lab->notes + used + n - 1; c++)
                if (*c == '\n' || *c == '\r')
                        *c = ' ';
        return 0;
}

void sc_lab_note_program(struct sc_lab *lab, int host, const char *name,
                         const char *const *argv)
{
        char line[1024], key[128];
        size_t used = 0;

        for (int i = 0; argv[i] && used < sizeof(line) - 1; i++)
                used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", i ? " " : "",
                                         argv[i][0] ? argv[i] : "''");
        snprintf(key, sizeof(key), "program %s on %s", name ? name : "prog",
                 host >= 0 && host < lab->nhosts ? lab->hosts[host].name : "?");
        sc_lab_note(lab, key, line);
}

struct sc_lab *sc_lab_new(const char *name)
{
        struct sc_lab *lab = calloc(1, sizeof(*lab));

        if (!lab) {
                sc_fail(ENOMEM, "out of memory");
                return NULL;
        }
        snprintf(lab->name, sizeof(lab->name), "%s", name);
        snprintf(lab->dir, sizeof(lab->dir), "%s/%s", sc_evidence_root(), name);
        lab->mode = sc_mode();
        lab->seed = sc_seed();
        lab->ctl = lab->userns = lab->lockfd = -1;
        rerun_note(lab);
        for (int h = 0; h < SC_MAX_HOSTS; h++)
                lab->netns[h] = lab->diag[h] = -1;
        return lab;
}

int sc_lab_host(struct sc_lab *lab, const char *hostname)
{
        struct sc_host *h;

        if (lab->started)
                return sc_fail(EBUSY, "lab %s already started", lab->name);
        if (lab->nhosts == SC_MAX_HOSTS)
                return sc_fail(ENOSPC, "lab %s: more than %d hosts", lab->name, SC_MAX_HOSTS);
        if (lab->mode == SC_MODE_LOOPBACK && lab->nhosts == 1)
                return sc_fail(EOPNOTSUPP, "plain loopback mode has one host only (%s)",
                               sc_mode_reason());
        h = &lab->hosts[lab->nhosts];
        snprintf(h->name, sizeof(h->name), "%s", hostname);
        return lab->nhosts++;
}

int sc_lab_segment(struct sc_lab *lab, const char *name, const char *cidr, int mtu)
{
        struct sc_segment *s;
        char net[INET_ADDRSTRLEN];
        const char *slash = strchr(cidr, '/');
        struct in_addr a;
        int prefix;

        if (lab->mode == SC_MODE_LOOPBACK)
                return sc_fail(EOPNOTSUPP, "segments need network namespaces (%s)",
                               sc_mode_reason());
        if (lab->nsegs == SC_MAX_SEGMENTS)
                return sc_fail(ENOSPC, "lab %s: too many segments", lab->name);
        if (!slash || (size_t)(slash - cidr) >= sizeof(net))
                return sc_fail(EINVAL, "segment %s: '%s' is not a.b.c.d/n", name, cidr);
        memcpy(net, cidr, (size_t)(slash - cidr));
        net[slash - cidr] = '\0';
        prefix = atoi(slash + 1);
        if (inet_pton(AF_INET, net, &a) != 1 || prefix < 8 || prefix > 30)
                return sc_fail(EINVAL, "segment %s: '%s' is not a.b.c.d/n (8..30)", name, cidr);
        s = &lab->segs[lab->nsegs];
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->prefix = prefix;
        s->net = a.s_addr & htonl(~0U << (32 - prefix));
        s->mtu = mtu > 0 ? mtu : 1500;
        sc_ip_str(s->net | ~htonl(~0U << (32 - prefix)), s->bcast);
        return lab->nsegs++;
}

int sc_lab_attach(struct sc_lab *lab, int host, int seg, int hostnum)
{
        struct sc_link *l;
        struct sc_host *h;

        if (host < 0 || host >= lab->nhosts || seg < 0 || seg >= lab->nsegs)
                return sc_fail(EINVAL, "lab %s: no such host %d or segment %d", lab->name, host,
                               seg);
        h = &lab->hosts[host];
        if (lab->nlinks == SC_MAX_LINKS || h->nlinks == SC_MAX_SEGMENTS)
                return sc_fail(ENOSPC, "lab %s: too many links", lab->name);
        if (hostnum < 1 || hostnum >= (1 << (32 - lab->segs[seg].prefix)) - 1)
                return sc_fail(EINVAL, "lab %s: host number %d outside %s", lab->name, hostnum,
                               lab->segs[seg].name);
        l = &lab->links[lab->nlinks];
        l->host = host;
        l->seg = seg;
        l->hostnum = hostnum;
        l->mtu = lab->segs[seg].mtu;
        l->addr = lab->segs[seg].net | htonl((uint32_t)hostnum);
        sc_ip_str(l->addr, l->addr_str);
        /* 02:5c:00:<segment>:<host number>:<link>: locally administered, stable. */
        l->mac[0] = 0x02;
        l->mac[1] = 0x5c;
        l->mac[2] = 0x00;
        l->mac[3] = (uint8_t)(seg + 1);
        l->mac[4] = (uint8_t)hostnum;
        l->mac[5] = (uint8_t)(h->nlinks + 1);
        h->link[h->nlinks++] = lab->nlinks;
        return lab->nlinks++;
}

int sc_lab_link_mtu(struct sc_lab *lab, int link, int mtu)
{
        if (link < 0 || link >= lab->nlinks || mtu < 68 || mtu > 65535)
                return sc_fail(EINVAL, "lab %s: bad link %d or MTU %d", lab->name, link, mtu);
        lab->links[link].mtu = mtu;
        return 0;
}

int sc_lab_router(struct sc_lab *lab, int host)
{
        if (host < 0 || host >= lab->nhosts)
                return sc_fail(EINVAL, "lab %s: no host %d", lab->name, host);
        lab->hosts[host].router = true;
        return 0;
}

int sc_lab_ipv6(struct sc_lab *lab, bool on)
{
        if (lab->started)
                return sc_fail(EBUSY, "lab %s already started", lab->name);
        lab->ipv6 = on;
        return 0;
}

int sc_lab_hosts_entry(struct sc_lab *lab, int host, const char *addr, const char *name)
{
        struct sc_host *h;
        size_t used;

        if (host < 0 || host >= lab->nhosts)
                return sc_fail(EINVAL, "lab %s: no host %d", lab->name, host);
        h = &lab->hosts[host];
        used = strlen(h->extra_hosts);
        if ((size_t)snprintf(h->extra_hosts + used, sizeof(h->extra_hosts) - used, "%s %s\n", addr,
                             name) >= sizeof(h->extra_hosts) - used)
                return sc_fail(ENOSPC, "lab %s: too many hosts entries", lab->name);
        return 0;
}

const char *sc_lab_addr(const struct sc_lab *lab, int host)
{
        if (host < 0 || host >= lab->nhosts || lab->hosts[host].nlinks == 0)
                return "127.0.0.1";
        return lab->links[lab->hosts[host].link[0]].addr_str;
}

const char *sc_lab_addr_on(const struct sc_lab *lab, int host, int seg)
{
        for (int l = 0; l < lab->nlinks; l++)
                if (lab->links[l].host == host && lab->links[l].seg == seg)
                        return lab->links[l].addr_str;
        return NULL;
}

const char *sc_lab_broadcast(const struct sc_lab *lab, int seg)
{
        return seg >= 0 && seg < lab->nsegs ? lab->segs[seg].bcast : NULL;
}

const char *sc_lab_dir(const struct sc_lab *lab)
{
        return lab->dir;
}

const char *sc_lab_name(const struct sc_lab *lab)
{
        return lab->name;
}

/* Does the host's extra entries (lines "addr name") name this host name? */
static bool overridden(const struct sc_host *h, const char *name)
{
        for (const char *l = h->extra_hosts; *l;) {
                const char *sp = strchr(l, ' '), *nl = strchr(l, '\n');
                size_t len;

                if (!sp || !nl)
                        break;
                len = (size_t)(nl - sp - 1);
                if (len == strlen(name) && strncmp(sp + 1, name, len) == 0)
                        return true;
                l = nl + 1;
        }
        return false;
}

int sc_lab_hosts_text(const struct sc_lab *lab, int host, char *out, size_t cap)
{
        const struct sc_host *me = &lab->hosts[host];
        size_t used;

        /*
         * A test's own entries come first and replace the default line for the
         * same name (a resolver may sort several answers, so no duplicates).
         * Then localhost, then the host's own name, so gethostname() resolves
         * to its own address, then the other hosts of the lab.
         */
        used = (size_t)snprintf(out, cap, "%s", me->extra_hosts);
        if (used < cap && !overridden(me, "localhost"))
                used += (size_t)snprintf(out + used, cap - used, "127.0.0.1\tlocalhost\n");
        for (int h = 0; h < lab->nhosts && used < cap; h++) {
                if (h != host && lab->hosts[h].nlinks == 0)
                        continue;
                if (overridden(me, lab->hosts[h].name))
                        continue;
                used += (size_t)snprintf(out + used, cap - used, "%s\t%s\n", sc_lab_addr(lab, h),
                                         lab->hosts[h].name);
        }
        return used < cap ? 0 : sc_fail(ENOSPC, "hosts view too long");
}

static int push_rules(struct sc_lab *lab)
{
        struct sc_keeper_rules r;
        int rc = 0, reply = 0;

        if (!lab->started || lab->ctl < 0)
                return 0;
        memset(&r, 0, sizeof(r));
        r.nrules = lab->nrules;
        memcpy(r.rules, lab->rules, sizeof(r.rules));
        rc = sc_keeper_request(lab, SC_OP_RULES, &r, sizeof(r), &reply, sizeof(reply));
        return rc < 0 ? rc : reply;
}

int sc_lab_relay(struct sc_lab *lab, int host, uint16_t listen_port, uint16_t target_port)
{
        if (lab->started)
                return sc_fail(EBUSY, "lab %s: relays start with the lab", lab->name);
        if (lab->nrelays == SC_MAX_RELAYS)
                return sc_fail(ENOSPC, "lab %s: more than %d relays", lab->name, SC_MAX_RELAYS);
        if (host < 0 || host >= lab->nhosts || !listen_port || !target_port ||
            listen_port == target_port)
                return sc_fail(EINVAL, "lab %s: bad relay (host %d, ports %u -> %u)", lab->name,
                               host, listen_port, target_port);
        lab->relays[lab->nrelays] =
                (struct sc_relay_spec){.host = host, .listen_port = listen_port,
                                       .target_port = target_port};
        return lab->nrelays++;
}

int sc_lab_impair(struct sc_lab *lab, const struct sc_rule *rule)
{
        bool relay = rule->segment >= SC_RELAY(0) && rule->segment < SC_RELAY(lab->nrelays);

        if (lab->nrules == SC_MAX_RULES)
                return sc_fail(ENOSPC, "lab %s: more than %d rules", lab->name, SC_MAX_RULES);
        if (lab->mode == SC_MODE_LOOPBACK && !relay)
                return sc_fail(EOPNOTSUPP, "faults on the wire need namespaces; here only a "
                               "relay can carry them (%s)", sc_mode_reason());
        if (!relay && (rule->segment < 0 || rule->segment >= lab->nsegs))
                return sc_fail(EINVAL, "lab %s: rule names no segment or relay", lab->name);
        lab->rules[lab->nrules++] = *rule;
        if (lab->started) {
                int rc = push_rules(lab);

                if (rc < 0)
                        return rc;
        }
        return lab->nrules - 1;
}

int sc_lab_impair_clear(struct sc_lab *lab)
{
        lab->nrules = 0;
        return push_rules(lab);
}

int sc_lab_capture(struct sc_lab *lab, const char *name, int seg, int host, const char *ifname,
                   const char *bpf)
{
        struct sc_capture_spec *c;

        if (lab->started)
                return sc_fail(EBUSY, "lab %s: captures start with the lab", lab->name);
        if (lab->ncaps == SC_MAX_CAPTURES)
                return sc_fail(ENOSPC, "lab %s: too many captures", lab->name);
        if (seg >= lab->nsegs || (seg < 0 && (host < 0 || host >= lab->nhosts || !ifname)))
                return sc_fail(EINVAL, "lab %s: capture %s names no segment or interface",
                               lab->name, name);
        if (lab->mode == SC_MODE_LOOPBACK && geteuid() != 0)
                return sc_fail(EPERM, "capturing on the machine's loopback needs root (%s)",
                               sc_mode_reason());
        c = &lab->caps[lab->ncaps];
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->seg = seg;
        c->host = host;
        snprintf(c->ifname, sizeof(c->ifname), "%s", ifname ? ifname : "");
        snprintf(c->bpf, sizeof(c->bpf), "%s", bpf ? bpf : "");
        return lab->ncaps++;
}

/*
 * Waits, at most timeout_s, until no TCP connection of the lab is half
 * closed: a capture that ends between the last client's FIN and the
 * server's leaves the server's out (a Python server under load was seen
 * closing after the test had finished the capture).  Namespace modes only:
 * on the machine's own loopback the connections are not the lab's alone.
 */
static void wait_tcp_settled(const struct sc_lab *lab, double timeout_s)
{
        double deadline = sc_now() + timeout_s;

        if (lab->mode == SC_MODE_LOOPBACK)
                return;
        for (int h = 0; h < lab->nhosts; h++)
                while (lab->diag[h] >= 0 && sc_diag_tcp_closing(lab->diag[h]) > 0 &&
                       sc_now() < deadline)
                        sc_nap(0.002);
}

int sc_lab_capture_finish(struct sc_lab *lab, struct sc_capture_stats *stats)
{
        struct sc_keeper_capreply rep;
        int rc;

        if (!lab->started)
                return sc_fail(EINVAL, "lab %s was not started", lab->name);
        if (lab->ncaps == 0 || lab->captures_finished) {
                if (stats)
                        memcpy(stats, lab->cap_stats, sizeof(lab->cap_stats));
                return 0;
        }
        wait_tcp_settled(lab, 1.0);
        memset(&rep, 0, sizeof(rep));
        rc = sc_keeper_request(lab, SC_OP_CAPTURE_FINISH, lab->notes, strlen(lab->notes) + 1,
                               &rep, sizeof(rep));
        if (rc < 0)
                return rc;
        lab->captures_finished = true;
        memcpy(lab->cap_stats, rep.stats, sizeof(rep.stats));
        if (stats)
                memcpy(stats, rep.stats, sizeof(rep.stats));
        if (rep.rc < 0)
                return sc_fail(-rep.rc, "lab %s: %s", lab->name, rep.error);
        return 0;
}

/*
 * In plain loopback mode the programs' fixed ports are the machine's: labs
 * there take turns, through a lock on the evidence root.
 */
static int loopback_lock(struct sc_lab *lab)
{
        int rc;

        lab->lockfd = open(sc_evidence_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lab->lockfd < 0)
                return sc_fail(errno, "open %s: %s", sc_evidence_root(), strerror(errno));
        while ((rc = flock(lab->lockfd, LOCK_EX)) < 0 && errno == EINTR)
                ;
        if (rc < 0)
                return sc_fail(errno, "lock %s: %s", sc_evidence_root(), strerror(errno));
        return 0;
}

int sc_lab_start(struct sc_lab *lab)
{
        int rc;

        if (lab->started)
                return sc_fail(EBUSY, "lab %s already started", lab->name);
        if (lab->nhosts == 0)
                return sc_fail(EINVAL, "lab %s has no host", lab->name);
        rc = sc_mkdirs(lab->dir);
        if (rc < 0)
                return rc;
        if (lab->mode == SC_MODE_LOOPBACK) {
                rc = loopback_lock(lab);
                if (rc < 0)
                        return rc;
        }
        rc = sc_keeper_start(lab);
        if (rc < 0)
                return rc;
        lab->started = true;
        return 0;
}

void sc_lab_free(struct sc_lab *lab)
{
        if (!lab)
                return;
        sc_lab_stop_procs(lab);
        if (lab->started && !lab->captures_finished && lab->ncaps > 0)
                sc_lab_capture_finish(lab, NULL);
        sc_keeper_stop(lab);
        if (lab->userns >= 0)
                close(lab->userns);
        for (int h = 0; h < SC_MAX_HOSTS; h++) {
                if (lab->netns[h] >= 0)
                        close(lab->netns[h]);
                if (lab->diag[h] >= 0)
                        close(lab->diag[h]);
        }
        if (lab->lockfd >= 0)
                close(lab->lockfd);
        free(lab);
}

struct sc_lab *sc_lab_loopback(const char *name, const char *hostname)
{
        struct sc_lab *lab = sc_lab_new(name);

        if (!lab)
                return NULL;
        if (sc_lab_host(lab, hostname) < 0 || sc_lab_start(lab) < 0) {
                char keep[1024];

                snprintf(keep, sizeof(keep), "%s", sc_error());
                sc_lab_free(lab);
                sc_fail(EIO, "%s", keep);
                return NULL;
        }
        return lab;
}
