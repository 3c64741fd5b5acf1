/*
 * stats.h - order statistics for the benchmarks' figures.
 */
#ifndef SC_STATS_H
#define SC_STATS_H

/* The nearest-rank p-quantile (0 < p <= 1) of n values; sorts v in place. */
double sc_percentile(double *v, int n, double p);

#endif
