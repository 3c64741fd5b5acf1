/*
 * nl.c - just enough rtnetlink to build a lab: veth pairs whose peer lands in
 * another namespace, links up with an MTU, addresses with their broadcast,
 * default routes, operstate; plus ethtool offloads and sysctls.  Each call
 * acts on the namespace the calling thread is in (the keeper switches).
 * Netlink by hand costs about 2 ms per namespace; `ip` commands cost ~18.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* RFC 2863 operational status "up", as linux/if.h numbers it (that header clashes with net/if.h). */
#define SC_IF_OPER_UP 6

struct nlbuf {
        union {
                struct nlmsghdr h;
                char raw[2048];
        };
};

static void *nl_tail(struct nlmsghdr *h)
{
        return (char *)h + NLMSG_ALIGN(h->nlmsg_len);
}

static struct rtattr *nla_put(struct nlmsghdr *h, int type, const void *data, size_t len)
{
        struct rtattr *rta = nl_tail(h);

        rta->rta_type = (unsigned short)type;
        rta->rta_len = (unsigned short)RTA_LENGTH(len);
        if (len)
                memcpy(RTA_DATA(rta), data, len);
        h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len);
        return rta;
}

static struct rtattr *nla_nest(struct nlmsghdr *h, int type)
{
        return nla_put(h, type, NULL, 0);
}

static void nla_nest_end(struct nlmsghdr *h, struct rtattr *nest)
{
        nest->rta_len = (unsigned short)((char *)nl_tail(h) - (char *)nest);
}

int sc_nl_open(void)
{
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

        if (fd < 0)
                return sc_fail(errno, "netlink socket: %s", strerror(errno));
        return fd;
}

/* Sends one request and waits for its ack (or the one reply, into reply). */
static int nl_talk(int nl, struct nlmsghdr *h, struct nlbuf *reply)
{
        static unsigned seq;
        struct nlbuf local;
        struct nlbuf *r = reply ? reply : &local;

        h->nlmsg_seq = ++seq;
        h->nlmsg_flags |= NLM_F_REQUEST | (reply ? 0 : NLM_F_ACK);
        if (send(nl, h, h->nlmsg_len, 0) < 0)
                return -errno;
        for (;;) {
                ssize_t n = recv(nl, r->raw, sizeof(r->raw), 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                for (struct nlmsghdr *m = &r->h; NLMSG_OK(m, (size_t)n); m = NLMSG_NEXT(m, n)) {
                        if (m->nlmsg_seq != h->nlmsg_seq)
                                continue;
                        if (m->nlmsg_type == NLMSG_ERROR) {
                                struct nlmsgerr *e = NLMSG_DATA(m);

                                return e->error;
                        }
                        if (reply) {
                                if (m != &r->h)
                                        memmove(r->raw, m, m->nlmsg_len);
                                return 0;
                        }
                }
        }
}

static void nl_init(struct nlbuf *b, int type, int flags, size_t hdrlen)
{
        memset(b, 0, sizeof(*b));
        b->h.nlmsg_type = (unsigned short)type;
        b->h.nlmsg_flags = (unsigned short)flags;
        b->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
}

int sc_nl_veth(int nl, const char *name, const uint8_t mac[6], const char *peer,
               const uint8_t peer_mac[6], int peer_netns, int mtu)
{
        struct nlbuf b;
        struct rtattr *linkinfo, *data, *peerinfo;
        struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
        uint32_t m = (uint32_t)mtu;
        int rc;

        nl_init(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
        nla_put(&b.h, IFLA_IFNAME, name, strlen(name) + 1);
        nla_put(&b.h, IFLA_ADDRESS, mac, 6);
        nla_put(&b.h, IFLA_MTU, &m, sizeof(m));
        linkinfo = nla_nest(&b.h, IFLA_LINKINFO);
        nla_put(&b.h, IFLA_INFO_KIND, "veth", 4);
        data = nla_nest(&b.h, IFLA_INFO_DATA);
        peerinfo = nla_nest(&b.h, VETH_INFO_PEER);
        /* The peer's attributes follow its own ifinfomsg header. */
        memcpy(nl_tail(&b.h), &peer_ifi, sizeof(peer_ifi));
        b.h.nlmsg_len += NLMSG_ALIGN(sizeof(peer_ifi));
        nla_put(&b.h, IFLA_IFNAME, peer, strlen(peer) + 1);
        nla_put(&b.h, IFLA_ADDRESS, peer_mac, 6);
        nla_put(&b.h, IFLA_MTU, &m, sizeof(m));
        if (peer_netns >= 0) {
                uint32_t fd = (uint32_t)peer_netns;

                nla_put(&b.h, IFLA_NET_NS_FD, &fd, sizeof(fd));
        }
        nla_nest_end(&b.h, peerinfo);
        nla_nest_end(&b.h, data);
        nla_nest_end(&b.h, linkinfo);
        rc = nl_talk(nl, &b.h, NULL);
        if (rc < 0)
                return sc_fail(-rc, "create veth %s/%s: %s", name, peer, strerror(-rc));
        return 0;
}

static int ifindex(const char *ifname)
{
        unsigned idx = if_nametoindex(ifname);

        if (!idx)
                return sc_fail(errno ? errno : ENODEV, "no interface %s", ifname);
        return (int)idx;
}

int sc_nl_link_up(int nl, const char *ifname, int mtu)
{
        struct nlbuf b;
        struct ifinfomsg *ifi;
        int idx = ifindex(ifname), rc;

        if (idx < 0)
                return idx;
        nl_init(&b, RTM_NEWLINK, 0, sizeof(*ifi));
        ifi = NLMSG_DATA(&b.h);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        if (mtu > 0) {
                uint32_t m = (uint32_t)mtu;

                nla_put(&b.h, IFLA_MTU, &m, sizeof(m));
        }
        rc = nl_talk(nl, &b.h, NULL);
        if (rc < 0)
                return sc_fail(-rc, "set %s up (mtu %d): %s", ifname, mtu, strerror(-rc));
        return 0;
}

int sc_nl_addr(int nl, const char *ifname, uint32_t addr, int prefix, uint32_t bcast)
{
        struct nlbuf b;
        struct ifaddrmsg *ifa;
        int idx = ifindex(ifname), rc;

        if (idx < 0)
                return idx;
        nl_init(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
        ifa = NLMSG_DATA(&b.h);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (unsigned char)prefix;
        ifa->ifa_index = (unsigned)idx;
        nla_put(&b.h, IFA_LOCAL, &addr, 4);
        nla_put(&b.h, IFA_ADDRESS, &addr, 4);
        /* Without IFA_BROADCAST the kernel adds no broadcast route for the subnet. */
        nla_put(&b.h, IFA_BROADCAST, &bcast, 4);
        rc = nl_talk(nl, &b.h, NULL);
        if (rc < 0)
                return sc_fail(-rc, "address on %s: %s", ifname, strerror(-rc));
        return 0;
}

int sc_nl_default_route(int nl, const char *ifname, uint32_t gateway)
{
        struct nlbuf b;
        struct rtmsg *rtm;
        int idx = ifindex(ifname), rc;
        uint32_t oif;

        if (idx < 0)
                return idx;
        oif = (uint32_t)idx;
        nl_init(&b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));
        rtm = NLMSG_DATA(&b.h);
        rtm->rtm_family = AF_INET;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_type = RTN_UNICAST;
        rtm->rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        nla_put(&b.h, RTA_OIF, &oif, sizeof(oif));
        if (gateway)
                nla_put(&b.h, RTA_GATEWAY, &gateway, 4);
        rc = nl_talk(nl, &b.h, NULL);
        if (rc < 0)
                return sc_fail(-rc, "default route on %s: %s", ifname, strerror(-rc));
        return 0;
}

int sc_nl_neigh(int nl, const char *ifname, uint32_t addr, const uint8_t mac[6])
{
        struct nlbuf b;
        struct ndmsg *nd;
        int idx = ifindex(ifname), rc;

        if (idx < 0)
                return idx;
        nl_init(&b, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*nd));
        nd = NLMSG_DATA(&b.h);
        nd->ndm_family = AF_INET;
        nd->ndm_ifindex = idx;
        nd->ndm_state = NUD_PERMANENT;
        nla_put(&b.h, NDA_DST, &addr, 4);
        nla_put(&b.h, NDA_LLADDR, mac, 6);
        rc = nl_talk(nl, &b.h, NULL);
        if (rc < 0)
                return sc_fail(-rc, "neighbour entry on %s: %s", ifname, strerror(-rc));
        return 0;
}

int sc_nl_oper_up(int nl, const char *ifname)
{
        struct nlbuf b, r;
        struct ifinfomsg *ifi;
        int idx = ifindex(ifname), rc, len;

        if (idx < 0)
                return idx;
        nl_init(&b, RTM_GETLINK, 0, sizeof(*ifi));
        ifi = NLMSG_DATA(&b.h);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        rc = nl_talk(nl, &b.h, &r);
        if (rc < 0)
                return sc_fail(-rc, "query %s: %s", ifname, strerror(-rc));
        ifi = NLMSG_DATA(&r.h);
        len = (int)IFLA_PAYLOAD(&r.h);
        for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type == IFLA_OPERSTATE)
                        return *(uint8_t *)RTA_DATA(a) == SC_IF_OPER_UP;
        return 0;
}

int sc_offloads_off(const char *ifname)
{
        /* TX checksum offload leaves partial checksums that a userspace switch would forward as garbage. */
        static const unsigned cmds[] = {ETHTOOL_STXCSUM, ETHTOOL_SSG, ETHTOOL_STSO, ETHTOOL_SGSO,
                                        ETHTOOL_SGRO};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return sc_fail(errno, "socket: %s", strerror(errno));
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                struct ethtool_value v = {.cmd = cmds[i], .data = 0};
                struct ifreq ifr;

                memset(&ifr, 0, sizeof(ifr));
                strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
                ifr.ifr_data = (void *)&v;
                if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP) {
                        int e = errno;

                        close(fd);
                        return sc_fail(e, "ethtool %s cmd %#x: %s", ifname, cmds[i], strerror(e));
                }
        }
        close(fd);
        return 0;
}

int sc_sysctl(const char *path, const char *value)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return sc_fail(errno, "open %s: %s", path, strerror(errno));
        n = write(fd, value, strlen(value));
        close(fd);
        if (n < 0)
                return sc_fail(errno, "write %s: %s", path, strerror(errno));
        return 0;
}
