/*
 * localtime.h - judging the times a program prints or sends against the
 * lab's clock, in a time zone that is not the machine's (C-common-5).
 *
 * The machine runs in UTC, so a program that stamps UTC, or that ignores
 * TZ, looks right unless the test runs it under another zone.  The zone
 * is a POSIX TZ rule (no zoneinfo file needed, inside a jail too) whose
 * daylight-saving time is in effect today, so a program that applies the
 * standard offset and forgets the rule is caught as well.  A stamp is
 * right when it is the local time of some instant between just before the
 * request and just after the answer: to the second, whatever the machine's
 * load, with 50 ms of slack below for a program that reads the kernel's
 * coarse clock (time(2), as ctime() does), which trails ours by a tick.
 */
#ifndef SOCKCHECK_LOCALTIME_H
#define SOCKCHECK_LOCALTIME_H

#include "sct.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * "TZ=<rule>" for a program's environment: US Eastern or Australian
 * Eastern time with their daylight-saving rules, whichever is on daylight
 * time now (one always is).
 */
const char *sct_tz_env(void);
/* The rule itself (sct_tz_env() without "TZ="). */
const char *sct_tz(void);

/* The lab's wall clock (CLOCK_REALTIME), seconds. */
double sct_wall(void);

/*
 * Waits until the wall clock is in a later second than t, by more than
 * that slack: a stamp read at or before t is then visibly stale.  At most
 * 1.06 s.
 */
void sct_wait_past_second(double t);

/*
 * Is stamp (24 bytes, ctime() layout) the local time in sct_tz() of a
 * second in [t0, t1]?  If not, why says what it is instead (UTC, stale by
 * N s, not a ctime) and what was expected.
 */
bool sct_ctime_between(const char *stamp, double t0, double t1, char *why, size_t cap);

/* The same for str(datetime.now()): "YYYY-MM-DD HH:MM:SS[.ffffff]", to the microsecond. */
bool sct_datetime_between(const char *text, double t0, double t1, char *why, size_t cap);

/* sct_run / sct_run_open / sct_server with TZ=sct_tz() in the program's environment. */
struct sc_proc *sct_run_tz(struct sc_lab *lab, int host, const char *name, const char *stdin_text,
                           bool open, const char *const *argv);
struct sc_proc *sct_server_tz(struct sc_lab *lab, int host, const char *name, int proto,
                              uint16_t port, const char *const *argv);

#endif
