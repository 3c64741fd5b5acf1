/*
 * sc-info.c - prints what the harness would decide here, for reports:
 *   mode=<namespaces (root)|namespaces (rootless)|plain loopback>
 *   reason=<why>
 *   seed=<N>
 *   evidence=<dir>
 */
#include "sc.h"

#include <stdio.h>

int main(void)
{
        enum sc_mode m = sc_mode();

        printf("mode=%s\nreason=%s\nseed=%llu\nevidence=%s\n", sc_mode_name(m), sc_mode_reason(),
               (unsigned long long)sc_seed(), sc_evidence_root());
        return 0;
}
