/*
 * bound.h - what a server's socket really is, and what happens when its
 * address is taken: the checks of C-common-7 (the `Listening ... at` line
 * is the socket's own address) and C-common-10 (no SO_REUSEADDR).
 */
#ifndef SOCKCHECK_BOUND_H
#define SOCKCHECK_BOUND_H

#include "sct.h"

/*
 * Waits until p's host has a UDP socket bound to addr (dotted quad; "0.0.0.0"
 * for INADDR_ANY) and returns its port, read from the kernel's socket table
 * of p's network namespace; fails the test after timeout_s.  For `-p 0`,
 * where only the kernel knows the port.  Needs a host of its own (a lab
 * namespace, never the machine's own), where the server's is the only
 * such socket.
 */
uint16_t sct_udp_port_bound_to(struct sc_proc *p, const char *addr, double timeout_s,
                               const struct sc_lab *lab);

/*
 * Asserts that p, a server started while its address is held, ends within
 * a few seconds with exit 1 and `[Errno 98] Address already in use` ending
 * its stderr (C-common-8, C-common-10).  held says by what, for the message.
 */
void sct_expect_address_in_use(struct sc_proc *p, const char *held, const struct sc_lab *lab);

/*
 * The TCP restart check (C-common-8, C-common-10): a client of srv (running
 * on host 0 of lab, at 127.0.0.1:port) sends word and gets its reply, srv
 * is stopped with SIGINT while the client is still connected, so the
 * server's side closes first; a new copy (argv) started at once must fail
 * with `[Errno 98] Address already in use`.
 */
void sct_expect_restart_refused(struct sc_lab *lab, struct sc_proc *srv, const char *const *argv,
                                const char *port, const char *word);

/*
 * The accept queue of a TCP server that is busy and not accepting: starts
 * clients on host one after another, each connecting to ip:port and then
 * holding its connection open, and returns how many connected before the
 * first that could not within wait_s (at most max).  Linux completes
 * backlog + 1 connections into a listener's queue and drops later SYNs,
 * and a dropped client cannot connect while the queue stays full, so the
 * count is exact: listen(5) gives 6, listen(1) gives 2.
 */
int sct_accept_queue_fill(struct sc_lab *lab, int host, const char *ip, uint16_t port, int max,
                          double wait_s);

#endif
