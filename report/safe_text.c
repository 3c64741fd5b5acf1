/*
 * safe_text.c - what a port printed, made safe to show anywhere.
 *
 * Failure messages quote a port's output, and a port may print anything:
 * invalid UTF-8 (\xff\xfe), NULs, terminal escapes that would recolour or
 * clear an instructor's terminal, bytes XML 1.0 cannot carry even as a
 * character reference.  Safe text keeps every printable character (valid
 * UTF-8 included) and newlines, and writes every other byte as the four
 * characters \xNN, so nothing is dropped and nothing is interpreted: ESC,
 * the other C0 controls, DEL, the C1 controls U+0080..U+009F, and every byte
 * that is not part of a well-formed UTF-8 sequence (overlong forms,
 * surrogates and code points past U+10FFFF included).
 */
#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left, uint32_t *cp)
{
        size_t n;
        uint32_t c, min;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        } else if ((s[0] & 0xe0) == 0xc0) {
                n = 2, c = s[0] & 0x1f, min = 0x80;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3, c = s[0] & 0x0f, min = 0x800;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4, c = s[0] & 0x07, min = 0x10000;
        } else {
                return 0;
        }
        if (n > left)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return n;
}

char *sr_safe(const char *bytes, size_t len)
{
        const unsigned char *s = (const unsigned char *)bytes;
        char *out = malloc(len * 4 + 1), *o = out;
        static const char hex[] = "0123456789abcdef";

        if (!out)
                abort();
        for (size_t i = 0; i < len;) {
                uint32_t cp = 0;
                size_t n = utf8_len(s + i, len - i, &cp);
                bool shown = n > 0 && (cp == '\n' || (cp >= 0x20 && cp != 0x7f &&
                                                      !(cp >= 0x80 && cp <= 0x9f)));

                if (!shown) {
                        *o++ = '\\', *o++ = 'x';
                        *o++ = hex[s[i] >> 4], *o++ = hex[s[i] & 15];
                        i++;
                        continue;
                }
                memcpy(o, s + i, n);
                o += n, i += n;
        }
        *o = '\0';
        return out;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

size_t sr_unescape(char *s)
{
        char *o = s;

        for (char *p = s; *p; p++) {
                if (*p != '\\' || !p[1]) {
                        *o++ = *p;
                        continue;
                }
                p++;
                if (*p == 'n') {
                        *o++ = '\n';
                } else if (*p == 't') {
                        *o++ = '\t';
                } else if (*p == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                        *o++ = (char)(hexval(p[1]) << 4 | hexval(p[2]));
                        p += 2;
                } else {
                        *o++ = *p; /* \\ and anything unknown: the character itself */
                }
        }
        *o = '\0';
        return (size_t)(o - s);
}

char *sr_one_line(const char *text)
{
        size_t len = strlen(text);
        char *out = malloc(len * 3 + 1), *o = out;
        const char *p = text;

        if (!out)
                abort();
        while (*p) {
                const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
                const char *a = p, *b = end;

                while (a < b && (*a == ' ' || *a == '\t'))
                        a++;
                while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                        b--;
                if (b > a) {
                        if (o > out)
                                memcpy(o, " | ", 3), o += 3;
                        memcpy(o, a, (size_t)(b - a));
                        o += b - a;
                }
                p = nl ? nl + 1 : end;
        }
        *o = '\0';
        return out;
}
