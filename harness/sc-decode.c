/*
 * sc-decode - prints a capture (pcap or pcapng) as the harness sees it: the readable
 * timeline (default, with the lab's fates when FILE.pcap.fates exists) or
 * the canonical form the conformance suites compare (--canon).  It is how a
 * person looks at the evidence a failed test left, and how the golden texts
 * in captures/ are made.
 *
 * Exit status: 0 printed, 1 the file is not a capture we read or is damaged
 * (what could be read is still printed), 2 usage error.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIXED 64

static void usage(FILE *out)
{
        fprintf(out,
                "usage: sc-decode [--canon] [--fixed-ports PORT,...] [--fates FILE] FILE\n"
                "  FILE             a pcap or pcapng capture (the lab's capture.pcapng\n"
                "                   shows each frame's link, direction and fate)\n"
                "  --canon          print the canonical form instead of the timeline\n"
                "  --fixed-ports    ports kept numeric in --canon, besides the book's\n"
                "                   1060, 21567, 9999 and 12345\n"
                "  --fates FILE     the lab's fates (default: FILE.pcap.fates if present)\n");
}

/* Appends "1060,21567" to ports; 0 or -EINVAL. */
static int parse_ports(const char *arg, uint16_t *ports, size_t *n)
{
        const char *p = arg;
        unsigned long v;
        char *end;

        while (*p) {
                errno = 0;
                v = strtoul(p, &end, 10);
                if (end == p || errno || v == 0 || v > 65535 || (*end && *end != ','))
                        return -EINVAL;
                if (*n == MAX_FIXED)
                        return -EINVAL;
                ports[(*n)++] = (uint16_t)v;
                p = *end ? end + 1 : end;
        }
        return 0;
}

static int print_canon(const struct sc_pcap *cap, const uint16_t *ports, size_t nports)
{
        char *text = NULL;
        int ret;

        ret = sc_canon_text(cap, ports, nports, &text);
        if (ret < 0)
                return ret;
        if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
                ret = -EIO;
        free(text);
        return ret;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"canon", no_argument, NULL, 'c'},
            {"fixed-ports", required_argument, NULL, 'p'},
            {"fates", required_argument, NULL, 'f'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        uint16_t ports[MAX_FIXED] = SC_BOOK_PORTS;
        size_t nports = SC_BOOK_NPORTS;
        const char *fates = NULL;
        char *auto_fates = NULL;
        struct sc_pcap *cap = NULL;
        char err[256];
        bool canon = false;
        int c, ret;

        while ((c = getopt_long(argc, argv, "cp:f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        canon = true;
                        break;
                case 'p':
                        if (parse_ports(optarg, ports, &nports) < 0) {
                                fprintf(stderr, "sc-decode: bad port list '%s'\n", optarg);
                                usage(stderr);
                                return 2;
                        }
                        break;
                case 'f':
                        fates = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        if (fates && access(fates, R_OK) != 0) {
                fprintf(stderr, "sc-decode: %s: %s\n", fates, strerror(errno));
                return 1;
        }
        ret = sc_pcap_load(argv[optind], &cap, err, sizeof(err));
        if (ret < 0) {
                fprintf(stderr, "sc-decode: %s\n", err);
                return 1;
        }
        if (!fates && asprintf(&auto_fates, "%s.fates", argv[optind]) >= 0)
                fates = auto_fates;
        ret = canon ? print_canon(cap, ports, nports) : sc_timeline_write(stdout, cap, fates);
        if (ret < 0)
                fprintf(stderr, "sc-decode: %s: %s\n", argv[optind], strerror(-ret));
        else if (cap->problem[0])
                fprintf(stderr, "sc-decode: %s: %s\n", argv[optind], cap->problem);
        ret = ret < 0 || cap->problem[0] ? 1 : 0;
        sc_pcap_free(cap);
        free(auto_fates);
        return ret;
}
