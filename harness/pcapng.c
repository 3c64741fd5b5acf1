/*
 * pcapng.c - builds pcapng files in memory (see pcapng.h).  Every block is
 * "type, total length, body, options, total length again", its length a
 * multiple of 4; options are "code, length, value padded to 4" ending with
 * opt_endofopt.  Nothing here knows about labs: capture_pcapng.c decides
 * what the blocks say.
 */
#define _GNU_SOURCE
#include "pcapng.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_NRB 0x00000004u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_IPV4ADDR 4
#define IF_TSRESOL 9
#define EPB_FLAGS 2
#define EPB_PACKETID 5
#define NRB_IPV4 1

void sc_png_init(struct sc_png *w)
{
        memset(w, 0, sizeof(*w));
}

void sc_png_free(struct sc_png *w)
{
        free(w->buf);
        sc_png_init(w);
}

static bool reserve(struct sc_png *w, size_t more)
{
        size_t ncap;
        uint8_t *nb;

        if (w->oom)
                return false;
        if (w->len + more <= w->cap)
                return true;
        ncap = w->cap ? w->cap : 4096;
        while (ncap < w->len + more)
                ncap *= 2;
        nb = realloc(w->buf, ncap);
        if (!nb) {
                w->oom = true;
                return false;
        }
        w->buf = nb;
        w->cap = ncap;
        return true;
}

static void put(struct sc_png *w, const void *p, size_t n)
{
        if (!reserve(w, n))
                return;
        memcpy(w->buf + w->len, p, n);
        w->len += n;
}

static void put16(struct sc_png *w, uint16_t v)
{
        uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

        put(w, b, 2);
}

static void put32(struct sc_png *w, uint32_t v)
{
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        put(w, b, 4);
}

static void pad4(struct sc_png *w)
{
        static const uint8_t zero[4];

        put(w, zero, (4 - (w->len & 3)) & 3);
}

/* Starts a block; returns where it starts, for end_block. */
static size_t begin_block(struct sc_png *w, uint32_t type)
{
        size_t at = w->len;

        put32(w, type);
        put32(w, 0); /* total length, filled in by end_block */
        return at;
}

static void end_block(struct sc_png *w, size_t at)
{
        uint32_t total;

        pad4(w);
        if (w->oom)
                return;
        total = (uint32_t)(w->len - at + 4);
        put32(w, total);
        if (w->oom)
                return;
        w->buf[at + 4] = (uint8_t)total;
        w->buf[at + 5] = (uint8_t)(total >> 8);
        w->buf[at + 6] = (uint8_t)(total >> 16);
        w->buf[at + 7] = (uint8_t)(total >> 24);
}

static void option(struct sc_png *w, uint16_t code, const void *v, size_t n)
{
        if (n > 0xfffc)
                n = 0xfffc; /* an option's length is 16 bits */
        put16(w, code);
        put16(w, (uint16_t)n);
        put(w, v, n);
        pad4(w);
}

static void option_str(struct sc_png *w, uint16_t code, const char *s)
{
        if (s && *s)
                option(w, code, s, strlen(s));
}

static void end_options(struct sc_png *w)
{
        put16(w, OPT_END);
        put16(w, 0);
}

void sc_png_shb(struct sc_png *w, const char *const *comments, size_t ncomments,
                const char *userappl)
{
        size_t at = begin_block(w, BT_SHB);

        put32(w, BYTE_ORDER_MAGIC);
        put16(w, 1); /* version 1.0 */
        put16(w, 0);
        put32(w, 0xffffffffu); /* section length: not given */
        put32(w, 0xffffffffu);
        for (size_t i = 0; i < ncomments; i++)
                option_str(w, OPT_COMMENT, comments[i]);
        option_str(w, SHB_USERAPPL, userappl);
        end_options(w);
        end_block(w, at);
        w->nifs = 0;
}

unsigned sc_png_idb(struct sc_png *w, uint16_t linktype, uint32_t snaplen, const char *name,
                    const char *description, uint8_t tsresol, uint32_t addr, int prefix)
{
        size_t at = begin_block(w, BT_IDB);

        put16(w, linktype);
        put16(w, 0); /* reserved */
        put32(w, snaplen);
        option_str(w, IF_NAME, name);
        option_str(w, IF_DESCRIPTION, description);
        if (prefix > 0 && prefix <= 32) {
                uint32_t mask = htonl(prefix == 32 ? ~0u : ~(~0u >> prefix));
                uint8_t v[8];

                memcpy(v, &addr, 4);
                memcpy(v + 4, &mask, 4);
                option(w, IF_IPV4ADDR, v, sizeof(v));
        }
        if (tsresol)
                option(w, IF_TSRESOL, &tsresol, 1);
        end_options(w);
        end_block(w, at);
        return w->nifs++;
}

void sc_png_nrb(struct sc_png *w, const uint32_t *addrs, const char *const *names, size_t n)
{
        size_t at = begin_block(w, BT_NRB);

        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(names[i]) + 1;

                if (len > 0xfff0)
                        continue;
                put16(w, NRB_IPV4);
                put16(w, (uint16_t)(4 + len));
                put(w, &addrs[i], 4); /* network order, as on the wire */
                put(w, names[i], len);
                pad4(w);
        }
        put16(w, 0); /* nrb_record_end */
        put16(w, 0);
        end_block(w, at);
}

void sc_png_epb(struct sc_png *w, const struct sc_png_packet *p)
{
        size_t at = begin_block(w, BT_EPB);

        put32(w, p->ifid);
        put32(w, (uint32_t)(p->ts >> 32));
        put32(w, (uint32_t)p->ts);
        put32(w, p->caplen);
        put32(w, p->len);
        put(w, p->data, p->caplen);
        pad4(w);
        option_str(w, OPT_COMMENT, p->comment);
        if (p->flags)
                option(w, EPB_FLAGS, (uint8_t[4]){(uint8_t)p->flags, (uint8_t)(p->flags >> 8),
                                                 (uint8_t)(p->flags >> 16),
                                                 (uint8_t)(p->flags >> 24)},
                       4);
        if (p->has_packet_id) {
                uint8_t v[8];

                for (int i = 0; i < 8; i++)
                        v[i] = (uint8_t)(p->packet_id >> (8 * i));
                option(w, EPB_PACKETID, v, 8);
        }
        end_options(w);
        end_block(w, at);
}

int sc_png_save(const struct sc_png *w, const char *path)
{
        size_t off = 0;
        int fd, ret = 0;

        if (w->oom)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        while (off < w->len) {
                ssize_t n = write(fd, w->buf + off, w->len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        ret = -errno;
                        break;
                }
                off += (size_t)n;
        }
        if (close(fd) < 0 && ret == 0)
                ret = -errno;
        return ret;
}
