/*
 * timing_prio.h - the scheduling priority of a program whose timing is
 * judged (see timing_prio.c).
 */
#ifndef SOCKCHECK_TIMING_PRIO_H
#define SOCKCHECK_TIMING_PRIO_H

/*
 * Called in a program's child process just before exec (and before a jail
 * drops privileges).  rt_priority > 0: SCHED_FIFO at that priority;
 * 0: SOCKCHECK_PROG_RTPRIO from the environment if set; else nothing (the
 * policy is inherited).  With SCHED_FIFO it also sets RLIMIT_RTTIME, so a
 * program that spins without ever sleeping gets SIGXCPU after 1 s of CPU
 * instead of holding a core.  Safe after fork; best effort (a process
 * without CAP_SYS_NICE keeps its policy); returns 0 or -errno.
 */
int sc_timing_priority(int rt_priority);

/*
 * The lab's switch in a timing test: one above the programs' priority
 * (SOCKCHECK_PROG_RTPRIO), nothing when that is unset.  The switch forwards
 * the timed programs' datagrams and holds the delayed ones, so it is part of
 * what is timed: at normal priority, under two CPU hogs and a conform run, a
 * datagram once took 91.7 ms to cross it and the 0.1 s wait it answered was
 * over before the answer came.  Called by the keeper once its lab is built.
 */
int sc_timing_priority_switch(void);

#endif
