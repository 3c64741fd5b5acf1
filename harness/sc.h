/*
 * sc.h - the sockcheck harness: run programs under test inside small,
 * isolated network labs, break the network on purpose, record what crossed
 * it, and judge it.
 *
 * A lab is a set of hosts (each its own network namespace, hostname and
 * /etc/hosts view) joined by segments (an L2 link per subnet).  Every segment
 * is a userspace switch run by the lab's keeper process, which is also where
 * drop/delay/duplicate/reorder faults are applied (on the wire, never in the
 * sender) and where captures are taken.  The lab lives exactly as long as
 * the sc_lab handle: freeing it, or the death of the test process, tears
 * down every namespace and process it made.
 *
 * Error convention: functions return 0 (or an index >= 0) on success and
 * -errno on failure, and leave a sentence in sc_error().  Nothing here calls
 * exit().  See harness/README.md for a walk-through.
 */
#ifndef SOCKCHECK_SC_H
#define SOCKCHECK_SC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SC_MAX_HOSTS 8
#define SC_MAX_SEGMENTS 4
#define SC_MAX_LINKS 16
#define SC_MAX_RULES 8
#define SC_MAX_CAPTURES 8
#define SC_MAX_DROP_LIST 16

/* The last error of this thread, as a sentence. */
const char *sc_error(void);

/* ---- modes ------------------------------------------------------------ */

enum sc_mode {
        SC_MODE_ROOT,     /* network namespaces made as root */
        SC_MODE_ROOTLESS, /* the same inside a user namespace */
        SC_MODE_LOOPBACK, /* no namespaces: the machine's own loopback */
};

/*
 * The mode, probed once per process: SOCKCHECK_MODE=root|rootless|loopback
 * forces one; otherwise root when euid is 0, rootless when a user namespace
 * can be made, loopback when nothing can.
 */
enum sc_mode sc_mode(void);
const char *sc_mode_name(enum sc_mode mode);
/* Why the mode was chosen (e.g. "user namespaces are disabled: EPERM"). */
const char *sc_mode_reason(void);

/* The run's seed: SOCKCHECK_SEED, or 1. Logged with every fault decision. */
uint64_t sc_seed(void);

/* Where evidence goes: SOCKCHECK_EVIDENCE, or <build>/evidence. */
const char *sc_evidence_root(void);

/* ---- labs ------------------------------------------------------------- */

struct sc_lab;

/*
 * A new, empty lab.  name becomes its evidence directory below
 * sc_evidence_root() (slashes make subdirectories).  Returns NULL on error.
 */
struct sc_lab *sc_lab_new(const char *name);

/* Adds a host; returns its index.  The hostname is also its name in labs' /etc/hosts. */
int sc_lab_host(struct sc_lab *lab, const char *hostname);

/* Adds a segment with an IPv4 subnet like "10.0.1.0/24"; returns its index. */
int sc_lab_segment(struct sc_lab *lab, const char *name, const char *cidr, int mtu);

/*
 * Attaches host to seg as address <subnet>.hostnum; the host sees it as
 * eth0, eth1, ... in attach order.  Returns the link index.
 */
int sc_lab_attach(struct sc_lab *lab, int host, int seg, int hostnum);

/* Sets one link's MTU (both ends of its veth pair). */
int sc_lab_link_mtu(struct sc_lab *lab, int link, int mtu);

/*
 * Makes host a router (IPv4 forwarding on).  Hosts on its segments get a
 * default route through it; other hosts get a default route on their first
 * link.
 */
int sc_lab_router(struct sc_lab *lab, int host);

/*
 * IPv6 is off in every namespace of a lab (no router solicitations or
 * duplicate-address probes in captures) unless a test asks for it here,
 * before sc_lab_start.
 */
int sc_lab_ipv6(struct sc_lab *lab, bool on);

/*
 * Adds "addr name" to one host's /etc/hosts view (before sc_lab_start).  It
 * replaces the default entry for that name: pointing "localhost" or the
 * host's own name at another host sends a program that hard-codes it there.
 */
int sc_lab_hosts_entry(struct sc_lab *lab, int host, const char *addr, const char *name);

/* A host's address on its first link as text ("127.0.0.1" for a host with none). */
const char *sc_lab_addr(const struct sc_lab *lab, int host);
/* Address of host on a given segment, or NULL. */
const char *sc_lab_addr_on(const struct sc_lab *lab, int host, int seg);
/* The segment's directed broadcast address ("10.0.1.255"). */
const char *sc_lab_broadcast(const struct sc_lab *lab, int seg);
const char *sc_lab_dir(const struct sc_lab *lab);
const char *sc_lab_name(const struct sc_lab *lab);

/*
 * A fault rule, applied by a segment's switch to the frames that enter it.
 * Packets are counted per rule, 1-based, among the packets the rule matches.
 * A packet is dropped when any drop criterion says so; delays of all
 * matching rules add up.  Decisions depend only on the seed and the packet's
 * index, never on timing, and are logged to <capture>.fates and faults.log.
 */
struct sc_rule {
        int segment;            /* the segment whose switch applies it */
        int from_host;          /* frames sent by this host only; -1 = both ways */
        int proto;              /* 0 = any, else IPPROTO_UDP / _TCP / _ICMP */
        int port;               /* 0 = any, else source or destination port */
        unsigned drop_first;    /* drop matching packets 1..N */
        unsigned drop_every;    /* drop packets k, 2k, 3k, ... */
        unsigned drop_list[SC_MAX_DROP_LIST]; /* explicit indices, 0-terminated */
        double drop_prob;       /* drop with this probability (seeded) */
        double delay_ms;        /* hold every matching packet this long */
        double jitter_ms;       /* plus a uniform 0..jitter (seeded) */
        double dup_prob;        /* send a second copy with this probability */
        unsigned reorder_every; /* hold packet k, 2k, ... behind the next one */
};

/*
 * A UDP relay on a host's loopback: datagrams to 127.0.0.1:listen_port go
 * on to 127.0.0.1:target_port and replies come back the same way, through
 * the lab's rules.  It is how faults reach programs in plain loopback mode
 * (a client given -p listen_port talks to a server on target_port).  A rule
 * names a relay as .segment = SC_RELAY(index); .from_host 0 means towards
 * the target, 1 back towards the client.  Before sc_lab_start.
 */
#define SC_MAX_RELAYS 4
#define SC_RELAY(i) (100 + (i))
int sc_lab_relay(struct sc_lab *lab, int host, uint16_t listen_port, uint16_t target_port);

/* Adds a rule (before or after sc_lab_start).  Returns its index. */
int sc_lab_impair(struct sc_lab *lab, const struct sc_rule *rule);
/* Removes every rule (e.g. after the set-up traffic). */
int sc_lab_impair_clear(struct sc_lab *lab);

/*
 * Records traffic to <lab dir>/<name>.pcap (nanosecond pcap, Ethernet).
 * seg >= 0: every frame that enters that segment's switch, with the lab's
 * decision for it in <name>.pcap.fates.  seg < 0: interface ifname of host
 * (e.g. "lo").  bpf may be NULL.  Must be called before sc_lab_start, so
 * the capture is running before any program is.  Returns its index.
 */
int sc_lab_capture(struct sc_lab *lab, const char *name, int seg, int host, const char *ifname,
                   const char *bpf);

struct sc_capture_stats {
        unsigned packets;      /* frames recorded */
        unsigned kernel_drops; /* frames the kernel dropped before we read them */
        unsigned lab_dropped;  /* frames the lab dropped on purpose */
        unsigned lab_delayed;  /* frames the lab delayed */
        unsigned lab_duplicated;
        unsigned not_recorded; /* frames past the capture's size cap (a flood) */
        char path[1024];       /* the pcap file */
};

/*
 * Stops every capture, drains what the kernel still holds, writes the files
 * and fills stats[i] for capture i (array of SC_MAX_CAPTURES, may be NULL).
 * Calling it again only fills stats again.
 */
int sc_lab_capture_finish(struct sc_lab *lab, struct sc_capture_stats *stats);

/*
 * A lab with captures also writes <lab dir>/capture.pcapng (harness/README.md,
 * "pcapng and figures"): every captured link as an interface ("lan/alpha"),
 * the hosts' names, each frame's fate as a comment.  Its section header
 * names the scenario (the lab's name), the seed, the command that reruns it
 * (SOCKCHECK_RERUN, else the test process's command line) and every program
 * spawned; sc_lab_note adds a "key: value" line of its own (before
 * sc_lab_capture_finish).
 */
int sc_lab_note(struct sc_lab *lab, const char *key, const char *value);

/* Builds the lab (namespaces, links, switch).  Waits until all links are up. */
int sc_lab_start(struct sc_lab *lab);

/* Stops every process the lab still runs, tears everything down, frees. */
void sc_lab_free(struct sc_lab *lab);

/* A one-host lab on loopback, started: the simplest lab.  NULL on error. */
struct sc_lab *sc_lab_loopback(const char *name, const char *hostname);

/* ---- processes -------------------------------------------------------- */

struct sc_proc;

struct sc_proc_opts {
        int host;                   /* lab host index */
        const char *const *argv;    /* argv[0] is the executable's path */
        const char *const *env;     /* extra "K=V" entries, NULL-terminated; may be NULL */
        const void *stdin_data;     /* bytes to feed on stdin, may be NULL */
        size_t stdin_len;
        bool stdin_open;            /* keep stdin open for sc_proc_write */
        const char *name;           /* evidence stem: <lab dir>/<name>.stdout, .stderr */
        double timeout_s;           /* killed after this long (0 = 30 s) */
        /*
         * > 0: runs SCHED_FIFO at this priority, set before exec and before
         * the jail drops privileges (timing tests; see timing_prio.c).
         * 0: SOCKCHECK_PROG_RTPRIO if set, else the caller's policy.
         */
        int rt_priority;
        /*
         * Our own programs and peers only.  Everything else - every program
         * of a port under test - runs in the jail (jail.c): its own uid, a
         * fresh root with the port read-only at /port, no capabilities,
         * seccomp, the limits of sc_limits(), output capped.
         */
        bool trusted;
};

/*
 * sc_spawn's error when the jail cannot be built here (no namespaces, a
 * mount refused): a harness error, never the port's fault.  Suites report
 * it as a skip whose reason starts with "harness error:".
 */
#define SC_EHARNESS ENOTRECOVERABLE

/*
 * Starts a program inside a lab host, in its own PID namespace (its whole
 * tree dies with it) or, in loopback mode, its own process group.  stdout
 * and stderr go to files in the lab's evidence directory.
 */
int sc_spawn(struct sc_lab *lab, const struct sc_proc_opts *opts, struct sc_proc **out);

int sc_proc_write(struct sc_proc *p, const void *data, size_t len);
int sc_proc_close_stdin(struct sc_proc *p);

/* Waits until stdout contains needle. -ETIMEDOUT, or -ESRCH if it ended first. */
int sc_proc_wait_output(struct sc_proc *p, const char *needle, double timeout_s);
/* Waits until stdout holds at least n bytes. */
int sc_proc_wait_bytes(struct sc_proc *p, size_t n, double timeout_s);

/*
 * Waits until a socket is bound in p's host: for TCP a listening socket on
 * port, for UDP any socket on port.  Polls the kernel's socket table, so it
 * works whatever the program prints and however it buffers.
 */
int sc_proc_wait_bound(struct sc_proc *p, int proto, uint16_t port, double timeout_s);

/* Waits for the program to end by itself.  -ETIMEDOUT if it is still running. */
int sc_proc_wait(struct sc_proc *p, double timeout_s);

/* Ends it: SIGINT, then SIGTERM, then SIGKILL, 1 s apart.  Output is kept. */
int sc_proc_stop(struct sc_proc *p);

/* Sends one signal to the program's process group. */
int sc_proc_signal(struct sc_proc *p, int sig);

/* What it wrote so far (the whole file, NUL-terminated; valid until the next call). */
const char *sc_proc_stdout(struct sc_proc *p, size_t *len);
const char *sc_proc_stderr(struct sc_proc *p, size_t *len);
/* Paths of the evidence files. */
const char *sc_proc_stdout_path(const struct sc_proc *p);

bool sc_proc_running(struct sc_proc *p);
/* The end as a wait(2) status; -1 while running. */
int sc_proc_status(struct sc_proc *p);
/* Exit code if it exited, -1 otherwise (signal, timeout, running). */
int sc_proc_exit_code(struct sc_proc *p);
bool sc_proc_timed_out(struct sc_proc *p);
/*
 * How it ended, in words: "running", "exited 1", "killed by SIGSEGV",
 * "timed out after 5.0 s", and for a jailed program what it ran into:
 * "killed: memory limit (256 MiB) reached", "killed: process limit (64)
 * reached", "stopped: more than 1 MiB on stdout", "killed: CPU limit (10 s)",
 * "ignored SIGINT and SIGTERM: killed", "stopped itself (SIGSTOP); ...",
 * "could not run: its interpreter /usr/bin/python9 is not installed ...".
 */
const char *sc_proc_end(struct sc_proc *p);
/*
 * The last stop signal sc_proc_stop sent it: SIGINT, SIGTERM, SIGKILL (the
 * hard kill), or 0 when it had ended before a stop was asked for.
 */
int sc_proc_stop_signal(const struct sc_proc *p);
/* Did the harness fail to start it (never the program's fault)? */
bool sc_proc_harness_error(struct sc_proc *p);
/* The program's pid as the harness sees it (the supervisor's pid). */
pid_t sc_proc_pid(const struct sc_proc *p);

/* Stops it if still running and frees.  The lab frees leftovers too. */
void sc_proc_free(struct sc_proc *p);

/* ---- limits of a jailed program ------------------------------------- */

/* Per program run; defaults a faithful port never notices (see limits.c). */
struct sc_limits {
        double cpu_s;         /* CPU seconds, all its processes together (10) */
        uint64_t mem_bytes;   /* memory, all its processes together (256 MiB) */
        unsigned nproc;       /* processes and threads (64) */
        uint64_t fsize_bytes; /* the largest file it may write (16 MiB) */
        unsigned nofile;      /* open files (256) */
        uint64_t out_bytes;   /* stdout and stderr, each (1 MiB): then it is stopped */
};

/* The limits in force: the defaults, with SOCKCHECK_LIMITS ("mem=512M,cpu=20") applied. */
const struct sc_limits *sc_limits(void);
/* Applies a "key=value,..." spec to lim; keys cpu, mem, procs, fsize, files, out. */
int sc_limits_parse(const char *spec, struct sc_limits *lim);
/*
 * Lines for a report: each limit, the mechanism that enforces it in this
 * mode, and what is weaker here than as root ("memory: RLIMIT_AS, no cgroup").
 */
int sc_jail_describe(char *out, size_t cap);

/* ---- small helpers ---------------------------------------------------- */

/* mkdir -p; 0 or -errno. */
int sc_mkdirs(const char *path);
/* Writes a whole buffer to a path (creating or truncating it); 0 or -errno. */
int sc_write_file(const char *path, const char *data, size_t len);
/* Reads a whole file into a malloc'd NUL-terminated buffer; 0 or -errno. */
int sc_read_file(const char *path, char **out, size_t *len);

/* Monotonic seconds. */
double sc_now(void);
/* Sleeps s seconds: only between two polls of a condition, never as a readiness wait. */
void sc_nap(double s);

#endif
