/*
 * timing_prio.c - real-time priority for the programs of timing tests.
 *
 * The timing tests (suites/serial.txt) judge when a program's datagrams
 * leave, from capture timestamps the kernel takes at the send.  A correct
 * program is then only as punctual as the scheduler lets it be: measured on
 * this 2-core machine, a 50 ms timer under two CPU hogs and a conform run
 * woke more than 5 ms late 16 times in 80 at nice 0 (up to 25 ms) and still
 * 11 times at nice -20, but never more than 0.93 ms late under SCHED_FIFO
 * (the kernel here is PREEMPT_NONE at HZ=250: a fair-class wake-up may wait
 * for the running task's slice or the next tick; a real-time one preempts
 * at once).  So scripts/conform asks, through SOCKCHECK_PROG_RTPRIO, for
 * the timed programs to run SCHED_FIFO, and leaves the rest of the harness
 * at normal priority: real-time work that keeps a core busy has the
 * kernel's fair server (6.12 and later) run the starved normal tasks for
 * 50 ms ahead of every real-time task, the timed program included (seen as
 * one 0.1 s wait of 119.5 ms while the runners were real-time too).  No
 * tolerance is widened; the late wake-ups are taken away.
 */
#define _GNU_SOURCE
#include "timing_prio.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>

int sc_timing_priority(int rt_priority)
{
        struct sched_param sp = {0};
        /* 1 s of CPU without sleeping: no correct book program comes near it. */
        struct rlimit rt = {.rlim_cur = 1000000, .rlim_max = 2000000};

        if (rt_priority <= 0) {
                const char *s = getenv("SOCKCHECK_PROG_RTPRIO");

                rt_priority = s ? atoi(s) : 0;
        }
        if (rt_priority <= 0)
                return 0;
        if (rt_priority > 99)
                rt_priority = 99;
        sp.sched_priority = rt_priority;
        if (setrlimit(RLIMIT_RTTIME, &rt) < 0 || sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
                return -errno;
        return 0;
}

int sc_timing_priority_switch(void)
{
        const char *s = getenv("SOCKCHECK_PROG_RTPRIO");
        int prog = s ? atoi(s) : 0;

        return prog > 0 ? sc_timing_priority(prog < 99 ? prog + 1 : 99) : 0;
}
