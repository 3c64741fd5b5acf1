/*
 * Unit tests for programs/pyfmt: the Python-style printing every port's
 * stdout depends on.  Each expected string is what CPython 3 prints for the
 * same value (repr(), str() of a tuple, time.ctime(), str(datetime)), so a
 * failure here means a port's transcript would differ from the book's.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../programs/pyfmt.h"

/* Local time matters for ctime/datetime: pin it so the tests are deterministic. */
static void utc(void)
{
        setenv("TZ", "UTC", 1);
        tzset();
}

struct sbuf {
        struct pybuf b;
        char storage[512];
};

static void sbuf_init(struct sbuf *s)
{
        pybuf_init(&s->b, s->storage, sizeof(s->storage));
}

static void expect(const struct pybuf *b, const char *want)
{
        cr_assert_not(b->truncated, "unexpected truncation, have \"%s\"", b->data);
        cr_assert_eq(b->len, strlen(want), "length %zu, want %zu for \"%s\" (have \"%s\")", b->len,
                     strlen(want), want, b->data);
        cr_assert_str_eq(b->data, want);
}

/* A table of repr() cases: input bytes, Python's repr of the str and of the bytes. */
struct repr_case {
        const char *in;
        size_t n;
        const char *str;
        const char *bytes;
};

#define RC(lit, s, by)                                                                             \
        {                                                                                          \
                lit, sizeof(lit) - 1, s, by                                                        \
        }

static const struct repr_case repr_cases[] = {
    RC("", "''", "b''"),
    RC("This is another message", "'This is another message'", "b'This is another message'"),
    RC("it's", "\"it's\"", "b\"it's\""),
    RC("say \"hi\"", "'say \"hi\"'", "b'say \"hi\"'"),
    RC("both ' and \"", "'both \\' and \"'", "b'both \\' and \"'"),
    RC("'", "\"'\"", "b\"'\""),
    RC("back\\slash", "'back\\\\slash'", "b'back\\\\slash'"),
    RC("\"'\\", "'\"\\'\\\\'", "b'\"\\'\\\\'"),
    RC("a\tb\nc\rd", "'a\\tb\\nc\\rd'", "b'a\\tb\\nc\\rd'"),
    RC("\x00", "'\\x00'", "b'\\x00'"),
    RC("nul\x00in middle", "'nul\\x00in middle'", "b'nul\\x00in middle'"),
    RC("\x01\x1b\x1f \x7f~", "'\\x01\\x1b\\x1f \\x7f~'", "b'\\x01\\x1b\\x1f \\x7f~'"),
    RC("\x80\xe9\xff", "'\\x80\\xe9\\xff'", "b'\\x80\\xe9\\xff'"),
    RC("caf\xc3\xa9", "'caf\\xc3\\xa9'", "b'caf\\xc3\\xa9'"),
};

Test(pyfmt, repr_str_table, .timeout = 10)
{
        for (size_t i = 0; i < sizeof(repr_cases) / sizeof(repr_cases[0]); i++) {
                const struct repr_case *c = &repr_cases[i];
                struct sbuf s;

                sbuf_init(&s);
                py_repr_str(&s.b, c->in, c->n);
                cr_assert_eq(s.b.len, strlen(c->str), "case %zu: str repr %s, want %s", i, s.b.data,
                             c->str);
                cr_assert_str_eq(s.b.data, c->str, "case %zu", i);
        }
}

Test(pyfmt, repr_bytes_table, .timeout = 10)
{
        for (size_t i = 0; i < sizeof(repr_cases) / sizeof(repr_cases[0]); i++) {
                const struct repr_case *c = &repr_cases[i];
                struct sbuf s;

                sbuf_init(&s);
                py_repr_bytes(&s.b, c->in, c->n);
                cr_assert_eq(s.b.len, strlen(c->bytes), "case %zu: bytes repr %s, want %s", i,
                             s.b.data, c->bytes);
                cr_assert_str_eq(s.b.data, c->bytes, "case %zu", i);
        }
}

Test(pyfmt, repr_bytes_hello, .timeout = 10)
{
        struct sbuf s;

        sbuf_init(&s);
        py_puts(&s.b, "Received ");
        py_repr_bytes(&s.b, "Hello, world", 12);
        expect(&s.b, "Received b'Hello, world'");
}

Test(pyfmt, repr_every_byte_fits_worst_case, .timeout = 10)
{
        unsigned char all[256];
        static char storage[PY_REPR_MAX(256) + 1];
        struct pybuf b;

        for (int i = 0; i < 256; i++)
                all[i] = (unsigned char)i;
        pybuf_init(&b, storage, sizeof(storage));
        py_repr_bytes(&b, all, sizeof(all));
        cr_assert_not(b.truncated);
        /* 95 printable bytes, of which \ and ' need a backslash; 3 \t\n\r; 158 \xNN. */
        cr_assert_eq(b.len, 3 + 93 + 2 * 2 + 3 * 2 + 158 * 4, "len %zu", b.len);
        cr_assert_eq(strncmp(b.data, "b'\\x00\\x01", 10), 0, "%s", b.data);
        cr_assert_eq(strcmp(b.data + b.len - 9, "\\xfe\\xff'"), 0, "%s", b.data + b.len - 9);

        /* An all-\xff input is the true worst case the macro is sized for. */
        memset(all, 0xff, sizeof(all));
        pybuf_reset(&b);
        py_repr_bytes(&b, all, sizeof(all));
        cr_assert_not(b.truncated);
        cr_assert_eq(b.len, PY_REPR_MAX(256));
}

Test(pyfmt, truncation_keeps_whole_escapes, .timeout = 10)
{
        char storage[7];
        struct pybuf b;

        pybuf_init(&b, storage, sizeof(storage));
        py_repr_str(&b, "ab\x01", 3); /* 'ab\x01' needs 8 bytes, 6 fit */
        cr_assert(b.truncated);
        cr_assert_str_eq(b.data, "'ab");
        cr_assert_eq(b.len, 3);
        py_puts(&b, "x"); /* dropped: the prefix must stay a prefix */
        cr_assert_str_eq(b.data, "'ab");
        pybuf_reset(&b);
        cr_assert_not(b.truncated);
        py_puts(&b, "123456");
        expect(&b, "123456");
}

Test(pyfmt, raw_put_keeps_nul_bytes, .timeout = 10)
{
        struct sbuf s;

        sbuf_init(&s);
        py_put(&s.b, "[x] ", 4);
        py_put(&s.b, "a\0b", 3);
        cr_assert_eq(s.b.len, 7);
        cr_assert_eq(memcmp(s.b.data, "[x] a\0b", 8), 0);
}

struct addr_case {
        const char *ip;
        unsigned port;
        const char *want;
};

Test(pyfmt, addr_tuple, .timeout = 10)
{
        static const struct addr_case cases[] = {
            {"127.0.0.1", 1060, "('127.0.0.1', 1060)"},
            {"0.0.0.0", 0, "('0.0.0.0', 0)"},
            {"10.0.0.2", 55583, "('10.0.0.2', 55583)"},
            {"255.255.255.255", 65535, "('255.255.255.255', 65535)"},
            {"192.168.1.129", 21567, "('192.168.1.129', 21567)"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t)cases[i].port)};
                struct sbuf s;

                cr_assert_eq(inet_pton(AF_INET, cases[i].ip, &sin.sin_addr), 1);
                sbuf_init(&s);
                py_addr(&s.b, &sin);
                expect(&s.b, cases[i].want);
                cr_assert(s.b.len <= PY_ADDR_MAX);
        }
}

Test(pyfmt, float_repr, .timeout = 10)
{
        static const struct {
                double x;
                const char *want;
        } cases[] = {
            {0.1, "0.1"},
            {0.2, "0.2"},
            {0.4, "0.4"},
            {0.8, "0.8"},
            {1.6, "1.6"},
            {3.2, "3.2"},
            {2.0, "2.0"},
            {0.0, "0.0"},
            {-0.0, "-0.0"},
            {0.1 + 0.2, "0.30000000000000004"},
            {1e16, "1e+16"},
            {1e15, "1000000000000000.0"},
            {0.0001, "0.0001"},
            {0.00001, "1e-05"},
            {-2.5, "-2.5"},
            {1.5e300, "1.5e+300"},
            {123456.789, "123456.789"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sbuf s;

                sbuf_init(&s);
                py_float(&s.b, cases[i].x);
                cr_assert_str_eq(s.b.data, cases[i].want, "case %zu", i);
        }
}

Test(pyfmt, float_doubling_schedule, .timeout = 10)
{
        /* udp_remote's client doubles 0.1 and prints each delay. */
        static const char *const want[] = {"0.1", "0.2", "0.4", "0.8", "1.6", "3.2"};
        double d = 0.1;

        for (size_t i = 0; i < 6; i++, d *= 2) {
                struct sbuf s;

                sbuf_init(&s);
                py_float(&s.b, d);
                cr_assert_str_eq(s.b.data, want[i], "step %zu", i);
        }
}

Test(pyfmt, ctime_pads_single_digit_day, .timeout = 10)
{
        struct sbuf s;

        utc();
        sbuf_init(&s);
        py_ctime(&s.b, 1793520303); /* 2026-11-01 08:05:03 UTC */
        expect(&s.b, "Sun Nov  1 08:05:03 2026");
        cr_assert_eq(s.b.len, PY_CTIME_LEN);
}

Test(pyfmt, ctime_two_digit_day, .timeout = 10)
{
        struct sbuf s;

        utc();
        sbuf_init(&s);
        py_ctime(&s.b, 1795283261); /* 2026-11-21 17:47:41 UTC */
        expect(&s.b, "Sat Nov 21 17:47:41 2026");
        sbuf_init(&s);
        py_ctime(&s.b, 0);
        expect(&s.b, "Thu Jan  1 00:00:00 1970");
}

Test(pyfmt, ctime_follows_tz, .timeout = 10)
{
        struct sbuf s;

        setenv("TZ", "EST5", 1);
        tzset();
        sbuf_init(&s);
        py_ctime(&s.b, 1795283261);
        expect(&s.b, "Sat Nov 21 12:47:41 2026");
        utc();
}

Test(pyfmt, datetime_with_fraction, .timeout = 10)
{
        struct sbuf s;

        utc();
        sbuf_init(&s);
        py_datetime(&s.b, 1795283123, 130394); /* 2026-11-21 17:45:23 UTC */
        expect(&s.b, "2026-11-21 17:45:23.130394");
        sbuf_init(&s);
        py_datetime(&s.b, 1795283123, 7);
        expect(&s.b, "2026-11-21 17:45:23.000007");
}

Test(pyfmt, datetime_zero_usec_drops_fraction, .timeout = 10)
{
        struct sbuf s;

        utc();
        sbuf_init(&s);
        py_puts(&s.b, "The time is ");
        py_datetime(&s.b, 1793520303, 0);
        expect(&s.b, "The time is 2026-11-01 08:05:03");
        cr_assert_eq(s.b.len, 31); /* the book's 31-byte datagram */
}

Test(pyfmt, printf_appends, .timeout = 10)
{
        struct sbuf s;

        sbuf_init(&s);
        py_printf(&s.b, "Your data was %zu bytes long", (size_t)65507);
        expect(&s.b, "Your data was 65507 bytes long");
}
