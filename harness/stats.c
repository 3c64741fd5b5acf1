/*
 * stats.c - order statistics for the benchmarks' figures (sc-bench,
 * sc-bench-jail, sc-bench-ports): one definition of a median and a p99.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

double sc_percentile(double *v, int n, double p)
{
        int i = (int)ceil(p * n) - 1;

        if (n <= 0)
                return 0;
        qsort(v, (size_t)n, sizeof(*v), by_value);
        return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}
