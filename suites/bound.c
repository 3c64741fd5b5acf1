/*
 * bound.c - a server's bound socket read from the kernel, and the refusal
 * of a taken address (see bound.h).
 */
#define _GNU_SOURCE
#include "bound.h"

#include "clauses.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The port of the first UDP socket bound to want in pid's namespace, or 0. */
static uint16_t udp_port_of(pid_t pid, in_addr_t want)
{
        char path[64], *text, *save = NULL;
        uint16_t port = 0;

        snprintf(path, sizeof(path), "/proc/%d/net/udp", (int)pid);
        if (sc_read_file(path, &text, NULL) < 0)
                return 0;
        for (char *l = strtok_r(text, "\n", &save); l && !port; l = strtok_r(NULL, "\n", &save)) {
                unsigned addr, lport;

                /* The table prints the address's bytes as one host-order word. */
                if (sscanf(l, " %*u: %8X:%4X", &addr, &lport) == 2 && (in_addr_t)addr == want)
                        port = (uint16_t)lport;
        }
        free(text);
        return port;
}

/*
 * Has pid left our network namespace for its lab host's?  Just after the
 * spawn it may still be in ours, and our table is not the host's (it was
 * seen holding another test's 127.0.0.1 socket).
 */
static bool in_other_netns(pid_t pid)
{
        char path[64], theirs[64] = "", ours[64] = "";

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        if (readlink(path, theirs, sizeof(theirs) - 1) < 0 ||
            readlink("/proc/self/ns/net", ours, sizeof(ours) - 1) < 0)
                return false;
        return strcmp(theirs, ours) != 0;
}

uint16_t sct_udp_port_bound_to(struct sc_proc *p, const char *addr, double timeout_s,
                               const struct sc_lab *lab)
{
        double end = sc_now() + timeout_s;
        in_addr_t want = inet_addr(addr);
        uint16_t port = 0;

        while (!in_other_netns(sc_proc_pid(p)) || (port = udp_port_of(sc_proc_pid(p), want)) == 0) {
                cr_assert(sc_proc_running(p), "the server %s before binding a UDP socket to %s; "
                          "stderr ends: %s; %s", sc_proc_end(p), addr,
                          sct_stderr_tail(p), sct_evidence(lab));
                cr_assert(sc_now() < end, "the server bound no UDP socket to %s within %.1f s; %s",
                          addr, timeout_s, sct_evidence(lab));
                sc_nap(0.003);
        }
        return port;
}

void sct_expect_address_in_use(struct sc_proc *p, const char *held, const struct sc_lab *lab)
{
        /* The book's server fails in bind(), at once; one that took the port runs on. */
        int rc = sc_proc_wait(p, 4.0);
        const char *last = sct_stderr_tail(p);

        cr_assert(rc == 0, SCT_BROKEN("C-common-10") "a second server started while %s and was "
                  "still running after 4 s: it bound the address anyway, so it sets SO_REUSEADDR "
                  "(or SO_REUSEPORT); the book's server fails with [Errno 98] Address already in "
                  "use; %s", held, sct_evidence(lab));
        cr_assert(sc_proc_exit_code(p) == 1 && strstr(last, "[Errno 98] Address already in use"),
                  SCT_BROKEN("C-common-10") "a second server started while %s should exit 1 with "
                  "stderr ending \"[Errno 98] Address already in use\"; it %s, stderr ends: \"%s\"; %s",
                  held, sc_proc_end(p), last, sct_evidence(lab));
}

int sct_accept_queue_fill(struct sc_lab *lab, int host, const char *ip, uint16_t port, int max,
                          double wait_s)
{
        char port_s[8];
        int n = 0;

        snprintf(port_s, sizeof(port_s), "%u", port);
        for (int i = 0; i < max; i++) {
                /* Sends nothing and waits for an end that never comes: the connection stays. */
                const char *argv[] = {sct_peer(), "tcp-client", ip, port_s, "--wait", "15000",
                                      "--expect-eof", NULL};
                char name[32];
                struct sc_proc *c;

                snprintf(name, sizeof(name), "queued-%d", i + 1);
                c = sct_run(lab, host, name, NULL, argv);
                if (!sct_peer_wait(c, "connected", 1, wait_s))
                        break;
                n++;
        }
        return n;
}

void sct_expect_restart_refused(struct sc_lab *lab, struct sc_proc *srv, const char *const *argv,
                                const char *port, const char *word)
{
        const char *peer_argv[] = {sct_peer(), "tcp-client", "127.0.0.1", port,
                                   "--expect-eof", word, NULL};
        struct sc_proc *peer = sct_run(lab, 0, "client", NULL, peer_argv);
        char held[160];

        cr_assert(sct_peer_wait(peer, "reply", 1, 5), "the client got no reply to \"%s\"; %s",
                  word, sct_evidence(lab));
        sct_stop(srv, lab);
        sc_proc_wait(peer, 5);
        cr_assert(sc_proc_exit_code(peer) == 0,
                  "expected the client to exit 0 within 5.0 s, got: %s; stderr ends: %s; %s",
                  sc_proc_end(peer), sct_stderr_tail(peer), sct_evidence(lab));
        snprintf(held, sizeof(held),
                 "a connection of the stopped server was still closing on port %s (the "
                 "server's side closed first)",
                 port);
        sct_expect_address_in_use(sct_run(lab, 0, "restart", NULL, argv), held, lab);
}
