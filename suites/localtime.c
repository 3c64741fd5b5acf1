/*
 * localtime.c - local time under a POSIX TZ rule, for the time checks (see
 * localtime.h).  The suite's own process computes the expected local time
 * by switching its TZ for the duration of one conversion and back: each
 * Criterion test runs in a process of its own, and nothing else in it
 * reads the zone meanwhile.
 */
#define _GNU_SOURCE
#include "localtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Northern and southern daylight saving: between them, one is always on. */
static const char *const zones[] = {
        "EST5EDT,M3.2.0,M11.1.0",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
};

/* Runs localtime_r (or mktime, with back != NULL) in zone tz, then restores TZ. */
static void in_zone(const char *tz, time_t t, struct tm *tm, struct tm *back, time_t *back_t)
{
        char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

        setenv("TZ", tz, 1);
        tzset();
        if (back) {
                back->tm_isdst = -1;
                *back_t = mktime(back);
        } else {
                localtime_r(&t, tm);
        }
        if (saved) {
                setenv("TZ", saved, 1);
                free(saved);
        } else {
                unsetenv("TZ");
        }
        tzset();
}

const char *sct_tz(void)
{
        static const char *chosen;

        if (!chosen) {
                time_t now = time(NULL);

                chosen = zones[0];
                for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
                        struct tm tm;

                        in_zone(zones[i], now, &tm, NULL, NULL);
                        if (tm.tm_isdst > 0) {
                                chosen = zones[i];
                                break;
                        }
                }
        }
        return chosen;
}

const char *sct_tz_env(void)
{
        static char env[64];

        snprintf(env, sizeof(env), "TZ=%s", sct_tz());
        return env;
}

double sct_wall(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * How far a program's clock may trail ours.  ctime() with no argument reads
 * time(2), which glibc answers from the kernel's coarse clock (updated once
 * a tick, up to 10 ms behind CLOCK_REALTIME at HZ=100); Python's
 * time.ctime() does the same.  The faithful port was seen stamping the
 * previous second 5 ms after our clock had turned.  50 ms covers a tick
 * with room to spare and is far from any error this check looks for
 * (hours for a zone, a second and more for a stale stamp).
 */
#define COARSE_S 0.05

void sct_wait_past_second(double t)
{
        double next = floor(t) + 1.0;

        /* Polls the clock: the condition is the time itself. */
        while (sct_wall() < next + COARSE_S + 0.005)
                sc_nap(0.01);
}

static void ctime_of(const char *tz, time_t t, char *out, size_t cap)
{
        struct tm tm;

        if (tz) {
                in_zone(tz, t, &tm, NULL, NULL);
        } else {
                gmtime_r(&t, &tm);
        }
        strftime(out, cap, "%a %b %e %H:%M:%S %Y", &tm);
}

/* The instant a local time text names in zone tz (tz NULL: UTC), or -1. */
static time_t parse_local(const char *tz, const char *text, const char *fmt)
{
        struct tm tm;
        const char *end;
        time_t t;

        memset(&tm, 0, sizeof(tm));
        end = strptime(text, fmt, &tm);
        if (!end)
                return -1;
        if (!tz)
                return timegm(&tm);
        in_zone(tz, 0, NULL, &tm, &t);
        return t;
}

/* What a wrong stamp is instead: its age against t0, or UTC. */
static void diagnose(time_t local, time_t utc, double t0, double t1, char *out, size_t cap)
{
        if (utc >= (time_t)floor(t0 - COARSE_S) && utc <= (time_t)floor(t1))
                snprintf(out, cap, "it is the time in UTC: the TZ of the environment was ignored");
        else if (local >= 0 && local < (time_t)floor(t0 - COARSE_S))
                snprintf(out, cap, "it is the local time of %.0f s before the request: read "
                         "earlier (at start-up, or per connection) and reused",
                         floor(t0 - COARSE_S) - (double)local);
        else if (local > (time_t)floor(t1))
                snprintf(out, cap, "it is %.0f s after the answer came", (double)local - floor(t1));
        else
                snprintf(out, cap, "it is no local time of that interval");
}

bool sct_ctime_between(const char *stamp, double t0, double t1, char *why, size_t cap)
{
        const char *tz = sct_tz();
        char first[32], last[32], diag[160];
        time_t s0 = (time_t)floor(t0 - COARSE_S), s1 = (time_t)floor(t1);

        for (time_t s = s0; s <= s1; s++) {
                char want[32];

                ctime_of(tz, s, want, sizeof(want));
                if (strlen(stamp) == 24 && memcmp(stamp, want, 24) == 0)
                        return true;
        }
        ctime_of(tz, s0, first, sizeof(first));
        ctime_of(tz, s1, last, sizeof(last));
        diagnose(parse_local(tz, stamp, "%a %b %e %H:%M:%S %Y"),
                 parse_local(NULL, stamp, "%a %b %e %H:%M:%S %Y"), t0, t1, diag, sizeof(diag));
        snprintf(why, cap, "the stamp \"%s\" is not the current local time in TZ=%s: between the "
                 "request and the answer it was \"%s\"%s%s%s; %s", sct_show(stamp, strlen(stamp)),
                 tz, first, s1 > s0 ? " .. \"" : "", s1 > s0 ? last : "", s1 > s0 ? "\"" : "", diag);
        return false;
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" of t in tz, the fraction truncated as datetime.now() does. */
static void datetime_of(const char *tz, double t, char *out, size_t cap)
{
        time_t s = (time_t)floor(t);
        long us = (long)((t - floor(t)) * 1e6);
        struct tm tm;
        char base[32];

        in_zone(tz, s, &tm, NULL, NULL);
        strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(out, cap, "%s.%06ld", base, us);
}

bool sct_datetime_between(const char *text, double t0, double t1, char *why, size_t cap)
{
        const char *tz = sct_tz();
        char lo[40], hi[40], got[40], diag[160];
        size_t n = strlen(text);

        /* Without a fraction the microseconds were zero: compare as ".000000". */
        snprintf(got, sizeof(got), n == 19 ? "%s.000000" : "%s", text);
        datetime_of(tz, t0 - COARSE_S, lo, sizeof(lo));
        datetime_of(tz, t1, hi, sizeof(hi));
        /* Same layout, fixed width: text order is time order (a DST fold aside). */
        if ((n == 19 || n == 26) && strcmp(got, lo) >= 0 && strcmp(got, hi) <= 0)
                return true;
        diagnose(parse_local(tz, text, "%Y-%m-%d %H:%M:%S"), parse_local(NULL, text, "%Y-%m-%d %H:%M:%S"),
                 t0, t1, diag, sizeof(diag));
        snprintf(why, cap, "the time \"%s\" is not the current local time in TZ=%s: it was between "
                 "\"%s\" and \"%s\"; %s", sct_show(text, n), tz, lo, hi, diag);
        return false;
}

struct sc_proc *sct_run_tz(struct sc_lab *lab, int host, const char *name, const char *stdin_text,
                           bool open, const char *const *argv)
{
        const char *env[] = {sct_tz_env(), NULL};

        return sct_run_env(lab, host, name, stdin_text, open, argv, env);
}

struct sc_proc *sct_server_tz(struct sc_lab *lab, int host, const char *name, int proto,
                              uint16_t port, const char *const *argv)
{
        struct sc_proc *p = sct_run_tz(lab, host, name, NULL, false, argv);
        int rc = sc_proc_wait_bound(p, proto, port, 5.0);

        /* As sct_server: plain loopback mode shares the machine's ports (TIME_WAIT, others). */
        if (rc != 0 && sc_mode() == SC_MODE_LOOPBACK && strstr(sc_proc_stderr(p, NULL), "in use"))
                cr_skip_test("port %u is in use on the machine's loopback (plain loopback mode "
                             "shares it with earlier tests), and the book's programs set no "
                             "SO_REUSEADDR",
                             port);
        cr_assert(rc == 0, "%s (%s, %s) never bound %s port %u: %s; stderr: %s; %s", name, argv[0],
                  sct_tz_env(), proto == IPPROTO_TCP ? "TCP" : "UDP", port, sc_error(),
                  sct_stderr_tail(p), sct_evidence(lab));
        return p;
}
