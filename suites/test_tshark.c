/*
 * Our decoder against Wireshark's, field by field: every golden capture
 * under captures/ and a few captures this suite synthesises (written with
 * libpcap, so neither side of the comparison wrote them) are decoded by
 * tshark and by sc_pcap_load, and every field both can name must agree:
 * lengths, addresses, ports, flags, sequence numbers, payload bytes.  A
 * disagreement means one of the two misreads the wire, and the canonical
 * forms built on our decoder cannot be trusted until it is understood.
 *
 * Skips (with a reason) when tshark is not installed.  tshark runs in a
 * child with a deadline.  A synthesised capture is a file without a name
 * (O_TMPFILE, or unlinked at once), read through /proc/self/fd by both
 * sides, so not even a crashing test can leave one behind.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "framegen.h"

#define TSHARK_DEADLINE_S 60
#define MAX_REPORTS 20 /* mismatches reported per capture; the rest are counted */

static void close_tmp(void);

TestSuite(tshark, .fini = close_tmp);

/* ---- the fields compared ---- */

enum field {
        F_NUMBER,
        F_EPOCH,
        F_LEN,
        F_CAPLEN,
        F_IP_SRC,
        F_IP_DST,
        F_IP_PROTO,
        F_IP_LEN,
        F_IP_DF,
        F_IP_MF,
        F_IP_FRAG,
        F_IP_ID,
        F_IP_TTL,
        F_UDP_SPORT,
        F_UDP_DPORT,
        F_UDP_LEN,
        F_UDP_PAYLOAD,
        F_TCP_SPORT,
        F_TCP_DPORT,
        F_TCP_SEQ,
        F_TCP_ACK,
        F_TCP_FLAGS,
        F_TCP_HLEN,
        F_TCP_LEN,
        F_TCP_WIN,
        F_TCP_PAYLOAD,
        F_ICMP_TYPE,
        F_ICMP_CODE,
        F_ARP_OP,
        F_ARP_SPA,
        F_ARP_TPA,
        NFIELDS
};

/* The tshark field for each (pairs kept together so they cannot drift apart). */
static const char *const field_names[NFIELDS] = {
    [F_NUMBER] = "frame.number",
    [F_EPOCH] = "frame.time_epoch",
    [F_LEN] = "frame.len",
    [F_CAPLEN] = "frame.cap_len",
    [F_IP_SRC] = "ip.src",
    [F_IP_DST] = "ip.dst",
    [F_IP_PROTO] = "ip.proto",
    [F_IP_LEN] = "ip.len",
    [F_IP_DF] = "ip.flags.df",
    [F_IP_MF] = "ip.flags.mf",
    [F_IP_FRAG] = "ip.frag_offset",
    [F_IP_ID] = "ip.id",
    [F_IP_TTL] = "ip.ttl",
    [F_UDP_SPORT] = "udp.srcport",
    [F_UDP_DPORT] = "udp.dstport",
    [F_UDP_LEN] = "udp.length",
    [F_UDP_PAYLOAD] = "udp.payload",
    [F_TCP_SPORT] = "tcp.srcport",
    [F_TCP_DPORT] = "tcp.dstport",
    [F_TCP_SEQ] = "tcp.seq_raw",
    [F_TCP_ACK] = "tcp.ack_raw",
    [F_TCP_FLAGS] = "tcp.flags",
    [F_TCP_HLEN] = "tcp.hdr_len",
    [F_TCP_LEN] = "tcp.len",
    [F_TCP_WIN] = "tcp.window_size_value",
    [F_TCP_PAYLOAD] = "tcp.payload",
    [F_ICMP_TYPE] = "icmp.type",
    [F_ICMP_CODE] = "icmp.code",
    [F_ARP_OP] = "arp.opcode",
    [F_ARP_SPA] = "arp.src.proto_ipv4",
    [F_ARP_TPA] = "arp.dst.proto_ipv4",
};

enum { ABSENT = 0, PRESENT = 1, SKIP = -1 };

/* Bytes as tshark prints a bytes field: lowercase hex, no separators. */
static void hex(char *out, size_t cap, const uint8_t *p, size_t n)
{
        static const char digits[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < n && 2 * i + 2 < cap; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 15];
        }
        out[2 * i] = '\0';
}

static int ip_field(const struct sc_packet *p, enum field f, char *v, size_t cap)
{
        struct in_addr a;

        switch (f) {
        case F_IP_SRC:
        case F_IP_DST:
                a.s_addr = f == F_IP_SRC ? p->ip_src : p->ip_dst;
                snprintf(v, cap, "%s", inet_ntoa(a));
                return PRESENT;
        case F_IP_PROTO:
                return snprintf(v, cap, "%u", p->proto), PRESENT;
        case F_IP_LEN:
                return snprintf(v, cap, "%u", p->ip_totlen), PRESENT;
        case F_IP_DF:
                return snprintf(v, cap, "%d", p->df), PRESENT;
        case F_IP_MF:
                return snprintf(v, cap, "%d", p->mf), PRESENT;
        case F_IP_FRAG: /* tshark counts 8-byte units */
                return snprintf(v, cap, "%u", p->frag_off / 8), PRESENT;
        case F_IP_ID:
                return snprintf(v, cap, "0x%04x", p->ip_id), PRESENT;
        default:
                return snprintf(v, cap, "%u", p->ttl), PRESENT;
        }
}

/* UDP fields; of an ICMP error, tshark shows the quoted datagram's ports. */
static int udp_field(const struct sc_packet *p, enum field f, char *v, size_t cap)
{
        bool icmp_q = p->l4 == IPPROTO_ICMP && p->quote == 2 && p->q_proto == IPPROTO_UDP;

        if (icmp_q && (f == F_UDP_SPORT || f == F_UDP_DPORT)) {
                snprintf(v, cap, "%u", f == F_UDP_SPORT ? p->q_sport : p->q_dport);
                return PRESENT;
        }
        if (icmp_q)
                return SKIP; /* quoted length and data: not kept by our decoder */
        if (p->l4 != IPPROTO_UDP || p->frag_off)
                return ABSENT;
        switch (f) {
        case F_UDP_SPORT:
                return snprintf(v, cap, "%u", p->sport), PRESENT;
        case F_UDP_DPORT:
                return snprintf(v, cap, "%u", p->dport), PRESENT;
        case F_UDP_LEN:
                return snprintf(v, cap, "%u", p->udp_len), PRESENT;
        default:
                if (!p->payload_caplen)
                        return ABSENT;
                hex(v, cap, p->payload, p->payload_caplen);
                return PRESENT;
        }
}

static int tcp_field(const struct sc_packet *p, enum field f, char *v, size_t cap)
{
        if (p->l4 == IPPROTO_ICMP && p->quote == 2 && p->q_proto == IPPROTO_TCP)
                return SKIP; /* quoted segment: tshark shows what 8 bytes allow */
        if (p->l4 != IPPROTO_TCP || p->frag_off)
                return ABSENT;
        switch (f) {
        case F_TCP_SPORT:
                return snprintf(v, cap, "%u", p->sport), PRESENT;
        case F_TCP_DPORT:
                return snprintf(v, cap, "%u", p->dport), PRESENT;
        case F_TCP_SEQ:
                return snprintf(v, cap, "%u", p->seq), PRESENT;
        case F_TCP_ACK:
                return snprintf(v, cap, "%u", p->ack), PRESENT;
        case F_TCP_FLAGS:
                return snprintf(v, cap, "0x%04x", p->tcp_flags), PRESENT;
        case F_TCP_HLEN:
                return snprintf(v, cap, "%u", p->tcp_hlen), PRESENT;
        case F_TCP_LEN:
                return snprintf(v, cap, "%u", p->payload_len), PRESENT;
        case F_TCP_WIN:
                return snprintf(v, cap, "%u", p->window), PRESENT;
        default:
                if (!p->payload_caplen)
                        return ABSENT;
                hex(v, cap, p->payload, p->payload_caplen);
                return PRESENT;
        }
}

/* Our value of field f, as tshark prints it. */
static int our_field(const struct sc_packet *p, size_t index, enum field f, char *v, size_t cap)
{
        struct in_addr a;

        switch (f) {
        case F_NUMBER:
                return snprintf(v, cap, "%zu", index + 1), PRESENT;
        case F_EPOCH:
                snprintf(v, cap, "%llu.%09llu", (unsigned long long)(p->ts_ns / 1000000000u),
                         (unsigned long long)(p->ts_ns % 1000000000u));
                return PRESENT;
        case F_LEN:
                return snprintf(v, cap, "%u", p->wirelen), PRESENT;
        case F_CAPLEN:
                return snprintf(v, cap, "%u", p->caplen), PRESENT;
        case F_ICMP_TYPE:
        case F_ICMP_CODE:
                if (p->l4 != IPPROTO_ICMP || p->frag_off)
                        return ABSENT;
                snprintf(v, cap, "%u", f == F_ICMP_TYPE ? p->icmp_type : p->icmp_code);
                return PRESENT;
        case F_ARP_OP:
                if (p->l3 != SC_L3_ARP)
                        return ABSENT;
                return snprintf(v, cap, "%u", p->arp_op), PRESENT;
        case F_ARP_SPA:
        case F_ARP_TPA:
                if (p->l3 != SC_L3_ARP || !p->arp_ipv4)
                        return ABSENT;
                a.s_addr = f == F_ARP_SPA ? p->arp_spa : p->arp_tpa;
                snprintf(v, cap, "%s", inet_ntoa(a));
                return PRESENT;
        default:
                break;
        }
        if (p->l3 != SC_L3_IPV4 || !p->ip_hlen)
                return ABSENT;
        if (f <= F_IP_TTL)
                return ip_field(p, f, v, cap);
        if (f <= F_UDP_PAYLOAD)
                return udp_field(p, f, v, cap);
        return tcp_field(p, f, v, cap);
}

/* ---- running tshark ---- */

static bool tshark_installed(void)
{
        const char *path = getenv("PATH");
        char buf[4096], *dir, *save = NULL, cand[4200];

        snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
        for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                snprintf(cand, sizeof(cand), "%s/tshark", dir);
                if (access(cand, X_OK) == 0)
                        return true;
        }
        return false;
}

static void tshark_child(const char *pcap, int out, int err)
{
        const char *argv[16 + 2 * NFIELDS] = {
            "tshark",
            "-r",
            pcap,
            "-n",
            /* one frame, one row: no reassembly across fragments or segments */
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "tcp.desegment_tcp_streams:FALSE",
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=f",
        };
        size_t n = 14, i;

        for (i = 0; i < NFIELDS; i++) {
                argv[n++] = "-e";
                argv[n++] = field_names[i];
        }
        argv[n] = NULL;
        dup2(out, 1);
        dup2(err, 2);
        execvp("tshark", (char **)argv);
        _exit(127);
}

/* Reads the child's output until EOF or the deadline; -ETIMEDOUT kills it. */
static int read_with_deadline(int fd, pid_t pid, char **out)
{
        struct timespec now, end;
        size_t len = 0, cap = 65536;
        char *buf = malloc(cap);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        cr_assert(buf, "out of memory");
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += TSHARK_DEADLINE_S;
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                long ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;

                if (ms <= 0 || poll(&pfd, 1, (int)ms) == 0) {
                        kill(pid, SIGKILL);
                        free(buf);
                        return -ETIMEDOUT;
                }
                if (len + 4096 > cap) {
                        cap *= 2;
                        buf = realloc(buf, cap);
                        cr_assert(buf, "out of memory");
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *out = buf;
        return 0;
}

/* tshark's rows for pcap, or a failed assertion naming what went wrong. */
static char *run_tshark(const char *pcap)
{
        FILE *errf = tmpfile(); /* anonymous: nothing left behind */
        char *out = NULL, msg[512] = "";
        int fds[2], status = 0, ret;
        pid_t pid;

        cr_assert(errf && pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
        pid = fork();
        cr_assert(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0)
                tshark_child(pcap, fds[1], fileno(errf));
        close(fds[1]);
        ret = read_with_deadline(fds[0], pid, &out);
        close(fds[0]);
        waitpid(pid, &status, 0);
        rewind(errf);
        msg[fread(msg, 1, sizeof(msg) - 1, errf)] = '\0';
        fclose(errf);
        cr_assert_eq(ret, 0, "tshark -r %s: no answer within %d s", pcap, TSHARK_DEADLINE_S);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "tshark -r %s failed (status 0x%x): %s", pcap, status, msg);
        return out;
}

/* ---- comparing ---- */

/* Splits a row into NFIELDS tab-separated fields in place; false if the count is wrong. */
static bool split_row(char *row, char *fields[NFIELDS])
{
        size_t i = 0;
        char *p = row;

        for (;;) {
                if (i == NFIELDS)
                        return false;
                fields[i++] = p;
                p = strchr(p, '\t');
                if (!p)
                        break;
                *p++ = '\0';
        }
        return i == NFIELDS;
}

/* Compares one capture; returns the number of disagreements (each reported up to a limit). */
static size_t compare_capture(const char *path)
{
        struct sc_pcap *cap = NULL;
        char err[256], *rows, *row, *save = NULL, *tf[NFIELDS];
        static char ours[2 * SC_PCAP_MAX_CAPLEN + 16];
        size_t i = 0, f, bad = 0;
        int st;

        cr_assert_eq(sc_pcap_load(path, &cap, err, sizeof(err)), 0, "%s", err);
        cr_expect_str_eq(cap->problem, "", "%s: %s", path, cap->problem);
        rows = run_tshark(path);
        for (row = strtok_r(rows, "\n", &save); row; row = strtok_r(NULL, "\n", &save), i++) {
                cr_assert(i < cap->count, "%s: tshark shows more than our %zu frames", path,
                          cap->count);
                cr_assert(split_row(row, tf), "%s frame %zu: tshark row has the wrong field count",
                          path, i + 1);
                for (f = 0; f < NFIELDS; f++) {
                        st = our_field(&cap->pkts[i], i, (enum field)f, ours, sizeof(ours));
                        if (st == SKIP)
                                continue;
                        if (st == ABSENT)
                                ours[0] = '\0';
                        if (strcmp(ours, tf[f]) == 0)
                                continue;
                        if (bad++ < MAX_REPORTS)
                                cr_expect_fail("%s frame %zu %s: tshark '%.80s', sc_decode '%.80s'",
                                               path, i + 1, field_names[f], tf[f], ours);
                }
        }
        cr_expect_eq(i, cap->count, "%s: tshark shows %zu frames, we read %zu", path, i,
                     cap->count);
        if (bad > MAX_REPORTS)
                cr_expect_fail("%s: %zu more disagreements not shown", path, bad - MAX_REPORTS);
        bad += i != cap->count;
        free(rows);
        sc_pcap_free(cap);
        return bad;
}

/* ---- reference captures ---- */

static char **found;
static size_t nfound;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        size_t len = strlen(path);

        (void)st;
        (void)ftw;
        if (type == FTW_F && len > 5 && strcmp(path + len - 5, ".pcap") == 0) {
                found = realloc(found, (nfound + 1) * sizeof(*found));
                cr_assert(found, "out of memory");
                found[nfound++] = strdup(path);
        }
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(tshark, reference_captures, .timeout = 120)
{
        size_t i, bad = 0;

        if (!tshark_installed())
                cr_skip_test("tshark not installed");
        nftw(SOCKCHECK_SOURCE_DIR "/captures", collect, 16, FTW_PHYS);
        if (!nfound)
                cr_skip_test("no reference captures yet (no *.pcap under %s/captures)",
                             SOCKCHECK_SOURCE_DIR);
        qsort(found, nfound, sizeof(*found), by_name);
        for (i = 0; i < nfound; i++) {
                bad += compare_capture(found[i]);
                free(found[i]);
        }
        free(found);
        cr_assert_eq(bad, 0, "%zu disagreements with tshark in %zu reference captures", bad,
                     nfound);
}

/* ---- synthesised captures ---- */

static int tmp_fd = -1;
static char tmp_path[64]; /* /proc/self/fd/N: the same file in tshark, which inherits N */

static void close_tmp(void)
{
        if (tmp_fd >= 0)
                close(tmp_fd);
        tmp_fd = -1;
}

/* A temporary file that has no name to leave behind. */
static int nameless_file(void)
{
        char path[] = "/tmp/sc-tshark-XXXXXX";
        int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);

        if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
                return fd;
        fd = mkstemp(path);
        if (fd >= 0)
                unlink(path);
        return fd;
}

#define A 0x0a000001u /* 10.0.0.1 */
#define B 0x0a000002u /* 10.0.0.2 */

/* IPv4 fields for len bytes after the header: ttl 64, an id that varies frame to frame. */
static struct sc_fg_ip ip(const struct sc_fg *f, uint32_t src, uint32_t dst, uint16_t frag,
                          size_t len)
{
        return (struct sc_fg_ip){.src = src,
                                 .dst = dst,
                                 .id = (uint16_t)(0x1000 + f->len + len),
                                 .frag = frag,
                                 .ttl = 64};
}

static void udp(struct sc_fg *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
                const void *data, size_t n)
{
        struct sc_fg_ip h = ip(f, src, dst, 0x4000, 8 + n);

        sc_fg_udp(f, &h, sp, dp, data, n);
}

static void tcp(struct sc_fg *f, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t fl,
                uint32_t seq, uint32_t ack, const char *data)
{
        size_t n = strlen(data), olen = fl & 0x02 ? sizeof(sc_fg_syn_opts) : 0;
        struct sc_fg_ip h = ip(f, src, dst, 0x4000, 20 + olen + n);
        struct sc_fg_tcp t = {.sport = sp,
                              .dport = dp,
                              .seq = seq,
                              .ack = ack,
                              .flags = fl,
                              .window = 502,
                              .opts = sc_fg_syn_opts,
                              .optlen = olen};

        sc_fg_tcp(f, &h, &t, data, n);
}

enum kind { K_IP, K_ARP };

/* Builds frame i of the test set (bare IP, or an ARP body) over f's buffer; false past the end. */
static bool test_frame(size_t i, struct sc_fg *f, enum kind *kind)
{
        static char big[65000];
        uint8_t room[64];
        struct sc_fg q;
        struct sc_fg_ip h;

        *kind = K_IP;
        sc_fg_init(f, f->buf, f->cap);
        memset(big, '#', sizeof(big));
        switch (i) {
        case 0:
                udp(f, A, 46056, B, 1060, "This is another message", 23);
                return true;
        case 1:
                udp(f, B, 1060, A, 46056, "Your data was 23 bytes long", 27);
                return true;
        case 2: /* a port with a dissector of its own: the payload still shows */
                udp(f, A, 40000, B, 53, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
                return true;
        case 3:
                udp(f, A, 40001, B, 1060, big, sizeof(big));
                return true;
        case 4:
                sc_fg_init(&q, room, sizeof(room));
                udp(&q, A, 46056, B, 21567, "hello", 5);
                cr_assert(!q.overflow, "quoted datagram over %zu bytes", q.cap);
                h = ip(f, B, A, 0, 8 + q.len);
                sc_fg_icmp(f, &h, 3, 3, q.buf, q.len);
                return true;
        case 5:
                tcp(f, A, 54176, B, 9999, 0x02, 0xfffffff0u, 0, "");
                return true;
        case 6:
                tcp(f, B, 9999, A, 54176, 0x12, 77, 0xfffffff1u, "");
                return true;
        case 7:
                tcp(f, B, 9999, A, 54176, 0x18, 78, 0xfffffff1u, "Sat Nov 21 17:47:41 2026\r\n");
                return true;
        case 8:
                tcp(f, B, 9999, A, 54176, 0x11, 104, 0xfffffff1u, "");
                return true;
        case 9:
                tcp(f, A, 54176, B, 9999, 0x14, 0xfffffff1u, 105, "");
                return true;
        case 10: /* IPv4 options: Router Alert */
                h = ip(f, A, B, 0, 8 + 2);
                h.opts = "\x94\x04\x00\x00", h.optlen = 4;
                sc_fg_ipv4(f, &h, 17, 8 + 2);
                sc_fg_put(f, "\x9c\x40\x04\x24\x00\x0a\x00\x00hi", 10);
                return true;
        case 11: /* first fragment, then the last, of a 48-byte UDP datagram */
                h = ip(f, A, B, 0x2000, 32);
                sc_fg_ipv4(f, &h, 17, 32);
                sc_fg_put(f, "\x9c\x41\x04\x24\x00\x30\x00\x00", 8);
                sc_fg_put(f, "AAAAAAAAAAAAAAAAAAAAAAAA", 24);
                return true;
        case 12:
                h = ip(f, A, B, 4, 16);
                sc_fg_ipv4(f, &h, 17, 16);
                sc_fg_put(f, "BBBBBBBBBBBBBBBB", 16);
                return true;
        case 13:
                *kind = K_ARP;
                sc_fg_put32(f, 0x00010800);
                sc_fg_put32(f, 0x06040001);
                sc_fg_put(f, "\x02\0\0\0\0\x01\x0a\0\0\x01\0\0\0\0\0\0\x0a\0\0\x02", 20);
                return true;
        default:
                return false;
        }
}

struct variant {
        const char *name;
        int dlt;
        bool nsec;
        uint32_t snaplen;
};

static void link_header(struct sc_fg *f, int dlt, enum kind kind)
{
        uint16_t type = kind == K_ARP ? 0x0806 : 0x0800;

        if (dlt == DLT_EN10MB) {
                sc_fg_ether(f, "\xff\xff\xff\xff\xff\xff", "\x02\0\0\0\0\x01", type);
        } else if (dlt == DLT_LINUX_SLL) {
                sc_fg_put(f, "\0\x04\0\x01\0\x06\x02\0\0\0\0\x01\0\0", 14);
                sc_fg_put16(f, type);
        }
}

/* Writes the test set with libpcap into a temporary file; returns how many frames. */
static size_t write_capture(const struct variant *v)
{
        static uint8_t body_room[70000], frame_room[70000];
        struct sc_fg body, fr;
        struct pcap_pkthdr h;
        pcap_dumper_t *d;
        FILE *fp = NULL;
        pcap_t *p;
        enum kind kind;
        size_t i, n = 0;
        int fd;

        tmp_fd = nameless_file();
        cr_assert(tmp_fd >= 0, "temporary file in /tmp: %s", strerror(errno));
        snprintf(tmp_path, sizeof(tmp_path), "/proc/self/fd/%d", tmp_fd);
        fd = dup(tmp_fd); /* the dumper closes its own copy */
        cr_assert(fd >= 0 && (fp = fdopen(fd, "w")), "fdopen: %s", strerror(errno));
        p = pcap_open_dead_with_tstamp_precision(v->dlt, (int)v->snaplen,
                                                 v->nsec ? PCAP_TSTAMP_PRECISION_NANO
                                                         : PCAP_TSTAMP_PRECISION_MICRO);
        cr_assert(p, "pcap_open_dead");
        d = pcap_dump_fopen(p, fp);
        cr_assert(d, "pcap_dump_fopen: %s", pcap_geterr(p));
        sc_fg_init(&body, body_room, sizeof(body_room));
        for (i = 0; test_frame(i, &body, &kind); i++) {
                if (kind == K_ARP && v->dlt == DLT_RAW)
                        continue;
                sc_fg_init(&fr, frame_room, sizeof(frame_room));
                link_header(&fr, v->dlt, kind);
                sc_fg_put(&fr, body.buf, body.len);
                cr_assert(!body.overflow && !fr.overflow, "frame %zu too big (over %zu bytes)", i,
                          body.cap);
                h.ts.tv_sec = 1700000000 + (time_t)i;
                h.ts.tv_usec = v->nsec ? 123456789 : 123456; /* ns in a nanosecond file */
                h.len = (uint32_t)fr.len;
                h.caplen = fr.len < v->snaplen ? (uint32_t)fr.len : v->snaplen;
                pcap_dump((u_char *)d, &h, fr.buf);
                n++;
        }
        pcap_dump_close(d);
        pcap_close(p);
        return n;
}

static void synthesised(const struct variant *v)
{
        size_t n, bad;

        if (!tshark_installed())
                cr_skip_test("tshark not installed");
        n = write_capture(v);
        bad = compare_capture(tmp_path);
        close_tmp();
        cr_assert_eq(bad, 0, "%s: %zu disagreements with tshark over %zu frames", v->name, bad, n);
}

Test(tshark, synth_ethernet_usec, .timeout = 60)
{
        synthesised(&(struct variant){"Ethernet, microseconds", DLT_EN10MB, false, 262144});
}

Test(tshark, synth_ethernet_nsec, .timeout = 60)
{
        synthesised(&(struct variant){"Ethernet, nanoseconds", DLT_EN10MB, true, 262144});
}

Test(tshark, synth_ethernet_snaplen_96, .timeout = 60)
{
        synthesised(&(struct variant){"Ethernet, snaplen 96", DLT_EN10MB, false, 96});
}

Test(tshark, synth_linux_cooked, .timeout = 60)
{
        synthesised(&(struct variant){"Linux cooked", DLT_LINUX_SLL, true, 262144});
}

Test(tshark, synth_raw_ip, .timeout = 60)
{
        synthesised(&(struct variant){"raw IP", DLT_RAW, false, 262144});
}
