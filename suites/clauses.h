/*
 * clauses.h - which sentences of programs/CONTRACT.md a test checks.
 *
 * Every conformance test names its sentences in its Criterion description:
 *
 *   Test(udp_local_book, port_option, SCT_CONTRACT("C-udp_local-2 C-udp_local-5"), ...)
 *
 * Criterion prints the description when the test starts, so the output of a
 * failed test says which sentences a port broke; scripts/clauses builds
 * programs/CLAUSES.md (sentence -> tests) from the same descriptions, read
 * out of the compiled suites (clauses.c), and fails when a sentence has no
 * test.  SCT_CLAUSE_MSG prefixes a failure message with the one sentence an
 * assertion checks, for tests that check several.
 */
#ifndef SOCKCHECK_CLAUSES_H
#define SOCKCHECK_CLAUSES_H

/* Space-separated clause ids, e.g. "C-udp_remote-4 C-common-5". */
#define SCT_CONTRACT(ids) .description = "contract: " ids

/* "C-x-n broken: " in front of a failure message (a string literal). */
#define SCT_BROKEN(id) id " broken (programs/CONTRACT.md): "

#endif
