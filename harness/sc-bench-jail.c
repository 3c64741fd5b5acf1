/*
 * sc-bench-jail.c - what the jail costs a program start (scripts/bench jail).
 *
 * Starts /bin/true N times in a one-host namespace lab, alternately jailed
 * and as one of our own (unjailed) programs, and prints for each the median
 * and p90 of the start (sc_spawn until the program has exec'd) and of the
 * whole run (until its end is known and, jailed, its cgroups are gone),
 * then the jail's added cost: the difference of the medians.  Figures, not
 * pass/fail.
 */
#include "sc.h"
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 50;
        const char *prog[] = {"/bin/true", NULL};
        double *start[2], *run[2], med_start[2], med_run[2];
        struct sc_lab *lab;

        if (rounds < 5 || rounds > 10000) {
                fprintf(stderr, "usage: sc-bench-jail [ROUNDS 5..10000]\n");
                return 2;
        }
        lab = sc_lab_new("bench-jail");
        if (!lab || sc_lab_host(lab, "h1") < 0 || (sc_mode() != SC_MODE_LOOPBACK &&
                                                    (sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500) < 0 ||
                                                     sc_lab_attach(lab, 0, 0, 1) < 0)) ||
            sc_lab_start(lab) < 0) {
                fprintf(stderr, "sc-bench-jail: %s\n", sc_error());
                return 1;
        }
        for (int k = 0; k < 2; k++) {
                start[k] = calloc((size_t)rounds, sizeof(double));
                run[k] = calloc((size_t)rounds, sizeof(double));
        }
        for (int i = 0; i < 2 * rounds; i++) {
                int jailed = i % 2; /* alternate, so load changes hit both alike */
                struct sc_proc_opts o = {.host = 0, .argv = prog, .name = "true", .timeout_s = 10,
                                         .trusted = !jailed};
                struct sc_proc *p;
                double t0 = sc_now(), t1;

                if (sc_spawn(lab, &o, &p) < 0) {
                        fprintf(stderr, "sc-bench-jail: %s\n", sc_error());
                        return 1;
                }
                t1 = sc_now();
                sc_proc_wait(p, 10);
                start[jailed][i / 2] = (t1 - t0) * 1e3;
                run[jailed][i / 2] = (sc_now() - t0) * 1e3;
                sc_proc_free(p);
        }
        printf("program start, %d rounds each, mode %s (median / p90, ms):\n", rounds,
               sc_mode_name(sc_mode()));
        for (int k = 0; k < 2; k++) {
                double s90 = sc_percentile(start[k], rounds, 0.9);
                double r90 = sc_percentile(run[k], rounds, 0.9);

                med_start[k] = sc_percentile(start[k], rounds, 0.5);
                med_run[k] = sc_percentile(run[k], rounds, 0.5);
                printf("  %-9s start to exec %6.2f / %6.2f   whole run of /bin/true %6.2f / %6.2f\n",
                       k ? "jailed" : "unjailed", med_start[k], s90, med_run[k], r90);
        }
        printf("  the jail adds %.2f ms to a start (median) and %.2f ms to a whole run\n",
               med_start[1] - med_start[0], med_run[1] - med_run[0]);
        sc_lab_free(lab);
        return 0;
}
