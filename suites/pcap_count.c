/*
 * pcap_count - how many frames libpcap reads from a capture file (pcap or
 * pcapng), and the first error if it stops early.  The lecture checks use
 * it to prove that our pcapng is readable by libpcap, an independent
 * reader, frame for frame.  Exit 0 read to the end, 1 otherwise.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
        char err[PCAP_ERRBUF_SIZE];
        struct pcap_pkthdr *h;
        const u_char *d;
        unsigned long n = 0;
        pcap_t *p;
        int rc;

        if (argc != 2) {
                fprintf(stderr, "usage: pcap_count FILE\n");
                return 2;
        }
        p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
        if (!p) {
                fprintf(stderr, "pcap_count: %s\n", err);
                return 1;
        }
        while ((rc = pcap_next_ex(p, &h, &d)) == 1)
                n++;
        printf("%lu\n", n);
        if (rc == PCAP_ERROR)
                fprintf(stderr, "pcap_count: after %lu frames: %s\n", n, pcap_geterr(p));
        pcap_close(p);
        return rc == PCAP_ERROR_BREAK ? 0 : 1;
}
