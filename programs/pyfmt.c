/*
 * pyfmt: Python's str()/repr() for the values the book programs print (see
 * pyfmt.h).  The rules are CPython's: unicode_repr()/bytes_repr() for the
 * quoting, float_repr_style 'short' for floats, time.ctime()'s own
 * "%s %s%3d %.2d:%.2d:%.2d %d" and datetime.__str__.  No locale is consulted:
 * Python prints English names and a '.' whatever LC_ALL says.
 */
#include "pyfmt.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pybuf_init(struct pybuf *b, char *storage, size_t cap)
{
        b->data = storage;
        b->cap = cap;
        pybuf_reset(b);
}

void pybuf_reset(struct pybuf *b)
{
        b->len = 0;
        b->truncated = false;
        if (b->cap > 0)
                b->data[0] = '\0';
}

/* Room for n more bytes plus the NUL?  If not, the buffer is truncated for good. */
static bool room(struct pybuf *b, size_t n)
{
        if (b->truncated)
                return false;
        if (b->cap == 0 || n > b->cap - 1 - b->len) {
                b->truncated = true;
                return false;
        }
        return true;
}

void py_put(struct pybuf *b, const void *bytes, size_t n)
{
        if (!room(b, n))
                return;
        if (n > 0)
                memcpy(b->data + b->len, bytes, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void py_puts(struct pybuf *b, const char *s)
{
        py_put(b, s, strlen(s));
}

void py_printf(struct pybuf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (b->truncated || b->cap == 0)
                return;
        va_start(ap, fmt);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n > b->cap - 1 - b->len) {
                /* Keep the buffer as it was: a partial number is worse than none. */
                b->data[b->len] = '\0';
                b->truncated = true;
                return;
        }
        b->len += (size_t)n;
}

static void repr(struct pybuf *b, const unsigned char *p, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        bool squote = memchr(p, '\'', n) != NULL;
        bool dquote = memchr(p, '"', n) != NULL;
        char quote = squote && !dquote ? '"' : '\'';
        char esc[4];
        size_t i;

        py_put(b, &quote, 1);
        for (i = 0; i < n; i++) {
                unsigned char c = p[i];

                if (c == quote || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        py_put(b, esc, 2);
                } else if (c == '\t' || c == '\n' || c == '\r') {
                        esc[0] = '\\';
                        esc[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
                        py_put(b, esc, 2);
                } else if (c < 0x20 || c >= 0x7f) {
                        esc[0] = '\\';
                        esc[1] = 'x';
                        esc[2] = hex[c >> 4];
                        esc[3] = hex[c & 0xf];
                        py_put(b, esc, 4);
                } else {
                        py_put(b, &c, 1);
                }
        }
        py_put(b, &quote, 1);
}

void py_repr_str(struct pybuf *b, const void *text, size_t n)
{
        repr(b, text, n);
}

void py_repr_bytes(struct pybuf *b, const void *bytes, size_t n)
{
        py_put(b, "b", 1);
        repr(b, bytes, n);
}

void py_addr(struct pybuf *b, const struct sockaddr_in *sin)
{
        char host[INET_ADDRSTRLEN];

        /* An AF_INET address always converts; the fallback only keeps -Wextra honest. */
        if (!inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)))
                strcpy(host, "?");
        py_put(b, "(", 1);
        py_repr_str(b, host, strlen(host));
        py_printf(b, ", %u)", (unsigned)ntohs(sin->sin_port));
}

void py_float(struct pybuf *b, double x)
{
        char e[40], digits[20], *s;
        int prec, exp10, decpt, nd = 0;

        if (isnan(x)) {
                py_puts(b, "nan");
                return;
        }
        if (isinf(x)) {
                py_puts(b, x < 0 ? "-inf" : "inf");
                return;
        }
        if (x == 0) {
                py_puts(b, signbit(x) ? "-0.0" : "0.0");
                return;
        }
        /* Shortest round-trip digits, as repr() has done since Python 3.1. */
        for (prec = 0; prec < 17; prec++) {
                snprintf(e, sizeof(e), "%.*e", prec, x);
                if (strtod(e, NULL) == x)
                        break;
        }
        s = e;
        if (*s == '-') {
                py_put(b, "-", 1);
                s++;
        }
        for (; *s && *s != 'e'; s++)
                if (*s >= '0' && *s <= '9')
                        digits[nd++] = *s;
        exp10 = atoi(s + 1);
        while (nd > 1 && digits[nd - 1] == '0')
                nd--;
        decpt = exp10 + 1;

        if (decpt <= -4 || decpt > 16) {
                py_put(b, digits, 1);
                if (nd > 1) {
                        py_put(b, ".", 1);
                        py_put(b, digits + 1, (size_t)nd - 1);
                }
                py_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        } else if (decpt <= 0) {
                py_put(b, "0.", 2);
                for (; decpt < 0; decpt++)
                        py_put(b, "0", 1);
                py_put(b, digits, (size_t)nd);
        } else if (decpt >= nd) {
                py_put(b, digits, (size_t)nd);
                for (; decpt > nd; decpt--)
                        py_put(b, "0", 1);
                py_put(b, ".0", 2);
        } else {
                py_put(b, digits, (size_t)decpt);
                py_put(b, ".", 1);
                py_put(b, digits + decpt, (size_t)(nd - decpt));
        }
}

void py_ctime(struct pybuf *b, time_t t)
{
        static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        struct tm tm;

        if (!localtime_r(&t, &tm)) {
                b->truncated = true;
                return;
        }
        py_printf(b, "%s %s%3d %.2d:%.2d:%.2d %d", wday[tm.tm_wday], mon[tm.tm_mon], tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, 1900 + tm.tm_year);
}

void py_datetime(struct pybuf *b, time_t sec, long usec)
{
        struct tm tm;

        if (!localtime_r(&sec, &tm)) {
                b->truncated = true;
                return;
        }
        py_printf(b, "%04d-%02d-%02d %02d:%02d:%02d", 1900 + tm.tm_year, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (usec != 0)
                py_printf(b, ".%06ld", usec);
}
