/*
 * internal.h - what the harness's own files share and suites do not see:
 * the error setter, the lab's in-memory layout, the keeper's control
 * protocol, and the netlink helpers.
 */
#ifndef SOCKCHECK_INTERNAL_H
#define SOCKCHECK_INTERNAL_H

#include "sc.h"

#include <netinet/in.h>
#include <stdio.h>

/* Records a message for sc_error() and returns -err (err is a positive errno). */
int sc_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats an IPv4 address (network order) into a static-per-call buffer. */
void sc_ip_str(uint32_t addr, char out[INET_ADDRSTRLEN]);

/* ---- the lab as kept in memory ---- */

struct sc_host {
        char name[32];
        int nlinks;
        int link[SC_MAX_SEGMENTS]; /* link indices in attach order: eth0, eth1, ... */
        bool router;
        char extra_hosts[512];     /* sc_lab_hosts_entry lines */
};

struct sc_segment {
        char name[32];
        uint32_t net;   /* network order */
        int prefix;
        int mtu;
        char bcast[INET_ADDRSTRLEN];
};

struct sc_link {
        int host, seg, hostnum, mtu;
        uint32_t addr; /* network order */
        char addr_str[INET_ADDRSTRLEN];
        uint8_t mac[6];
};

struct sc_capture_spec {
        char name[64];
        int seg, host;
        char ifname[16];
        char bpf[256];
};

struct sc_relay_spec {
        int host;
        uint16_t listen_port, target_port;
};

struct sc_lab {
        char name[256];
        char dir[768];
        enum sc_mode mode;
        int nhosts, nsegs, nlinks, nrules, ncaps;
        struct sc_host hosts[SC_MAX_HOSTS];
        struct sc_segment segs[SC_MAX_SEGMENTS];
        struct sc_link links[SC_MAX_LINKS];
        struct sc_rule rules[SC_MAX_RULES];
        struct sc_capture_spec caps[SC_MAX_CAPTURES];
        int nrelays;
        struct sc_relay_spec relays[SC_MAX_RELAYS];
        uint64_t seed;
        bool started, captures_finished;
        bool ipv6;
        struct sc_capture_stats cap_stats[SC_MAX_CAPTURES]; /* once finished */
        char notes[4096];           /* "key: value" lines for capture.pcapng (sc_lab_note) */
        /* after start */
        pid_t keeper;
        int ctl;                    /* SOCK_SEQPACKET to the keeper, -1 if none */
        int userns;                 /* -1 in root and loopback modes */
        int netns[SC_MAX_HOSTS];    /* -1 in loopback mode */
        int diag[SC_MAX_HOSTS];     /* sock_diag in each host's namespace (sockdiag.c) */
        struct sc_proc *procs;      /* still-linked processes */
        int lockfd;                 /* loopback mode: serialises labs on the machine */
};

/* sockdiag.c: a NETLINK_SOCK_DIAG socket for the current network namespace,
 * and whether it holds a TCP listener (UDP: any socket) on port: 1, 0, or <0. */
int sc_diag_open(void);
int sc_diag_bound(int fd, int proto, uint16_t port);
/* How many TCP connections of that namespace are closing: a FIN sent, the other not seen. */
int sc_diag_tcp_closing(int fd);

/* The keeper: a single-threaded child that builds the lab and runs its switch. */
int sc_keeper_start(struct sc_lab *lab);
int sc_keeper_request(struct sc_lab *lab, int op, const void *arg, size_t arglen, void *reply,
                      size_t replylen);
void sc_keeper_stop(struct sc_lab *lab);

enum sc_keeper_op {
        SC_OP_RULES = 1,   /* arg: nrules + rules; reply: int rc */
        SC_OP_CAPTURE_FINISH, /* arg: the lab's notes; reply: struct sc_keeper_capreply */
        SC_OP_PING,
};

struct sc_keeper_rules {
        int nrules;
        struct sc_rule rules[SC_MAX_RULES];
};

/* The notes a lab keeps for its capture.pcapng (sc_lab_note), and the largest request. */
#define SC_LAB_NOTES_MAX 4096
#define SC_KEEPER_MSG_MAX (sizeof(int) + sizeof(struct sc_keeper_rules) + SC_LAB_NOTES_MAX)

struct sc_keeper_capreply {
        int rc;
        char error[256];
        struct sc_capture_stats stats[SC_MAX_CAPTURES];
};

/* Unlinks p from the lab's list (on sc_proc_free). */
void sc_lab_forget_proc(struct sc_lab *lab, struct sc_proc *p);
void sc_lab_stop_procs(struct sc_lab *lab);
/* Notes "program: <name> on <host>: <argv>" for capture.pcapng (sc_spawn). */
void sc_lab_note_program(struct sc_lab *lab, int host, const char *name,
                         const char *const *argv);
/* The /etc/hosts text for one host. */
int sc_lab_hosts_text(const struct sc_lab *lab, int host, char *out, size_t cap);

/* ---- netlink (nl.c): all act on the calling thread's network namespace ---- */

int sc_nl_open(void);
int sc_nl_veth(int nl, const char *name, const uint8_t mac[6], const char *peer,
               const uint8_t peer_mac[6], int peer_netns, int mtu);
int sc_nl_link_up(int nl, const char *ifname, int mtu);
int sc_nl_addr(int nl, const char *ifname, uint32_t addr, int prefix, uint32_t bcast);
int sc_nl_default_route(int nl, const char *ifname, uint32_t gateway);
/* A permanent ARP entry: addr is at mac on ifname. */
int sc_nl_neigh(int nl, const char *ifname, uint32_t addr, const uint8_t mac[6]);
/* 1 when the link's operstate is UP, 0 when not yet, -errno on error. */
int sc_nl_oper_up(int nl, const char *ifname);
/* Turns off checksum offload, TSO, GSO, GRO, SG (a userspace switch needs real checksums). */
int sc_offloads_off(const char *ifname);
/* Writes a /proc/sys value in the current namespace. */
int sc_sysctl(const char *path, const char *value);

#endif
