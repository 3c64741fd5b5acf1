/*
 * sc-info.c - prints what the harness would decide here, for reports:
 *   mode=<namespaces (root)|namespaces (rootless)|plain loopback>
 *   reason=<why>
 *   seed=<N>
 *   evidence=<dir>
 *   jail=<one line per limit or part of the jail, with its mechanism here>
 * It exits 2, saying why, when SOCKCHECK_LIMITS does not parse (so a run
 * with a mistyped --limit stops before any test).
 */
#include "sc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
        enum sc_mode m = sc_mode();
        const char *spec = getenv("SOCKCHECK_LIMITS");
        struct sc_limits lim;
        char jail[4096], *save = NULL;

        if (spec && *spec && sc_limits_parse(spec, &lim) < 0) {
                fprintf(stderr, "--limit: %s\n", sc_error());
                return 2;
        }
        printf("mode=%s\nreason=%s\nseed=%llu\nevidence=%s\n", sc_mode_name(m), sc_mode_reason(),
               (unsigned long long)sc_seed(), sc_evidence_root());
        if (sc_jail_describe(jail, sizeof(jail)) == 0)
                for (char *l = strtok_r(jail, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        printf("jail=%s\n", l);
        return 0;
}
