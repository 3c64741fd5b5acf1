/*
 * pyfmt: the few pieces of Python's str()/repr() that the book programs print,
 * so the C ports write the same bytes as the originals: a socket address
 * tuple, repr() of text and of bytes, float repr(), time.ctime() and
 * str(datetime.now()).  Everything appends to a byte buffer the caller owns,
 * with explicit lengths, because the data printed may hold NUL bytes.
 */
#ifndef SOCKCHECK_PYFMT_H
#define SOCKCHECK_PYFMT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * A byte string under construction in storage the caller owns.  data stays
 * NUL-terminated for convenience, but len is the truth: the content may hold
 * NUL bytes.  Once something does not fit, truncated is set, data keeps the
 * prefix that fitted (never half an escape sequence) and later appends are
 * dropped, so a truncated line is never silently "fixed up" by a shorter
 * append.
 */
struct pybuf {
        char *data;
        size_t cap; /* size of data, the terminating NUL included */
        size_t len; /* bytes used, the terminating NUL not counted */
        bool truncated;
};

/* Worst case size of repr() of n bytes: b, two quotes, \xNN for every byte. */
#define PY_REPR_MAX(n) (3 + 4 * (size_t)(n))
/* time.ctime() is always 24 characters for years 1000 to 9999. */
#define PY_CTIME_LEN 24
/* ('255.255.255.255', 65535) */
#define PY_ADDR_MAX 26

void pybuf_init(struct pybuf *b, char *storage, size_t cap);
/* Empties the buffer (and clears truncated) for reuse. */
void pybuf_reset(struct pybuf *b);

/* Appends n raw bytes. */
void py_put(struct pybuf *b, const void *bytes, size_t n);
/* Appends a C string without its NUL. */
void py_puts(struct pybuf *b, const char *s);
/* Appends printf-formatted text. */
void py_printf(struct pybuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * repr() of a str: quoted with ' (or " when the text holds ' and no "),
 * \\ \t \n \r escaped, other bytes below 0x20 and 0x7f as \xNN.  Bytes from
 * 0x80 up are also written as \xNN: the Python originals only ever decode
 * ASCII and would die on them, the ports print them and carry on.
 */
void py_repr_str(struct pybuf *b, const void *text, size_t n);
/* repr() of bytes: the same with a b prefix, b'Hello, world'. */
void py_repr_bytes(struct pybuf *b, const void *bytes, size_t n);

/* str() of an (host, port) tuple: ('127.0.0.1', 1060). */
void py_addr(struct pybuf *b, const struct sockaddr_in *sin);

/* repr() of a float: the shortest text that reads back the same, 0.1, 2.0. */
void py_float(struct pybuf *b, double x);

/*
 * time.ctime(t) in local time: Sat Nov  1 08:05:03 2026 (English names, day
 * padded with a space, whatever the locale).  A time localtime() cannot
 * represent appends nothing and sets truncated.
 */
void py_ctime(struct pybuf *b, time_t t);

/*
 * str() of a local datetime: 2026-11-21 17:45:23.130394, the fraction left
 * out when usec is 0.  usec is 0 to 999999, as datetime.now() floors it.
 */
void py_datetime(struct pybuf *b, time_t sec, long usec);

#endif
