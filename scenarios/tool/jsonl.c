/*
 * scenarios/tool/jsonl.c - the bounded JSON reader of jsonl.h: a recursive
 * descent over one line (depth at most JSONL_MAX_DEPTH), producing tokens
 * in document order, each knowing where its subtree ends, so lookups skip
 * whole values.  Strings are checked when parsed (legal escapes, no raw
 * control characters) and decoded only when asked for.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/tool/jsonl.h"

struct jsonl_parser {
    struct jsonl_doc *d;
    size_t pos;
};

static int fail(struct jsonl_parser *p, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->d->err[0]) {
        return -EINVAL;
    }
    n = snprintf(p->d->err, sizeof(p->d->err), "column %zu: ", p->pos + 1);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(p->d->err)) {
        vsnprintf(p->d->err + n, sizeof(p->d->err) - (size_t)n, fmt, ap);
    }
    va_end(ap);
    return -EINVAL;
}

static void skip_blanks(struct jsonl_parser *p)
{
    while (p->pos < p->d->len &&
           (p->d->text[p->pos] == ' ' || p->d->text[p->pos] == '\t' ||
            p->d->text[p->pos] == '\r' || p->d->text[p->pos] == '\n')) {
        p->pos++;
    }
}

static int peek(const struct jsonl_parser *p)
{
    return p->pos < p->d->len ? (unsigned char)p->d->text[p->pos] : -1;
}

static int new_tok(struct jsonl_parser *p, enum jsonl_type type)
{
    struct jsonl_tok *t;

    if (p->d->ntok == JSONL_MAX_TOKENS) {
        return fail(p, "more than %d values", JSONL_MAX_TOKENS);
    }
    t = &p->d->tok[p->d->ntok];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->start = (uint32_t)p->pos;
    return (int)p->d->ntok++;
}

static int hex4(const char *s, size_t avail, unsigned *out)
{
    unsigned v = 0;

    if (avail < 4) {
        return -EINVAL;
    }
    for (int i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return -EINVAL;
        }
    }
    *out = v;
    return 0;
}

static int parse_string(struct jsonl_parser *p)
{
    const char *s = p->d->text;
    int t;

    p->pos++; /* the opening quote */
    t = new_tok(p, JSONL_STRING);
    if (t < 0) {
        return t;
    }
    while (p->pos < p->d->len) {
        unsigned char c = (unsigned char)s[p->pos];
        unsigned u;

        if (c == '"') {
            p->d->tok[t].end = (uint32_t)p->pos++;
            return t;
        }
        if (c < 0x20) {
            return fail(p, "control character in a string");
        }
        if (c != '\\') {
            p->pos++;
            continue;
        }
        if (p->pos + 1 >= p->d->len) {
            break;
        }
        c = (unsigned char)s[p->pos + 1];
        if (c == 'u') {
            if (hex4(s + p->pos + 2, p->d->len - p->pos - 2, &u) < 0) {
                return fail(p, "bad \\u escape");
            }
            p->pos += 6;
        } else if (strchr("\"\\/bfnrt", c) && c != '\0') {
            p->pos += 2;
        } else {
            return fail(p, "bad escape '\\%c'", c >= 0x20 && c < 0x7f
                        ? c : '?');
        }
    }
    return fail(p, "unterminated string");
}

static int parse_number(struct jsonl_parser *p)
{
    const char *s = p->d->text;
    size_t len = p->d->len;
    int t = new_tok(p, JSONL_NUMBER);
    size_t digits;

    if (t < 0) {
        return t;
    }
    if (p->pos < len && s[p->pos] == '-') {
        p->pos++;
    }
    for (digits = 0; p->pos < len && s[p->pos] >= '0' && s[p->pos] <= '9';
         digits++) {
        p->pos++;
    }
    if (digits == 0 || (digits > 1 && s[p->pos - digits] == '0')) {
        return fail(p, "bad number");
    }
    if (p->pos < len && s[p->pos] == '.') {
        p->pos++;
        for (digits = 0; p->pos < len && s[p->pos] >= '0' &&
             s[p->pos] <= '9'; digits++) {
            p->pos++;
        }
        if (digits == 0) {
            return fail(p, "bad number");
        }
    }
    if (p->pos < len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < len && (s[p->pos] == '+' || s[p->pos] == '-')) {
            p->pos++;
        }
        for (digits = 0; p->pos < len && s[p->pos] >= '0' &&
             s[p->pos] <= '9'; digits++) {
            p->pos++;
        }
        if (digits == 0) {
            return fail(p, "bad number");
        }
    }
    p->d->tok[t].end = (uint32_t)p->pos;
    return t;
}

static int parse_word(struct jsonl_parser *p, const char *word,
                      enum jsonl_type type)
{
    size_t n = strlen(word);
    int t;

    if (p->d->len - p->pos < n || memcmp(p->d->text + p->pos, word, n)) {
        return fail(p, "unexpected character");
    }
    t = new_tok(p, type);
    if (t < 0) {
        return t;
    }
    p->pos += n;
    p->d->tok[t].end = (uint32_t)p->pos;
    return t;
}

static int parse_value(struct jsonl_parser *p, unsigned depth);

/* An object or an array, the opening bracket at p->pos. */
static int parse_container(struct jsonl_parser *p, unsigned depth)
{
    bool object = peek(p) == '{';
    int close = object ? '}' : ']';
    int t = new_tok(p, object ? JSONL_OBJECT : JSONL_ARRAY);

    if (t < 0) {
        return t;
    }
    if (depth >= JSONL_MAX_DEPTH) {
        return fail(p, "nested deeper than %d", JSONL_MAX_DEPTH);
    }
    p->pos++;
    skip_blanks(p);
    if (peek(p) == close) {
        p->pos++;
        p->d->tok[t].end = (uint32_t)p->pos;
        p->d->tok[t].next = p->d->ntok;
        return t;
    }
    for (;;) {
        int rc;

        skip_blanks(p);
        if (object) {
            if (peek(p) != '"') {
                return fail(p, "expected a member name");
            }
            rc = parse_string(p);
            if (rc < 0) {
                return rc;
            }
            p->d->tok[rc].next = (uint32_t)rc + 1;
            skip_blanks(p);
            if (peek(p) != ':') {
                return fail(p, "expected ':'");
            }
            p->pos++;
        }
        rc = parse_value(p, depth + 1);
        if (rc < 0) {
            return rc;
        }
        p->d->tok[t].count++;
        skip_blanks(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) != close) {
            return fail(p, "expected ',' or '%c'", close);
        }
        p->pos++;
        p->d->tok[t].end = (uint32_t)p->pos;
        p->d->tok[t].next = p->d->ntok;
        return t;
    }
}

static int parse_value(struct jsonl_parser *p, unsigned depth)
{
    int c, t;

    skip_blanks(p);
    c = peek(p);
    if (c == '{' || c == '[') {
        return parse_container(p, depth);
    }
    if (c == '"') {
        t = parse_string(p);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        t = parse_number(p);
    } else if (c == 't') {
        t = parse_word(p, "true", JSONL_BOOL);
    } else if (c == 'f') {
        t = parse_word(p, "false", JSONL_BOOL);
    } else if (c == 'n') {
        t = parse_word(p, "null", JSONL_NULL);
    } else if (c < 0) {
        return fail(p, "unexpected end of line");
    } else {
        return fail(p, "unexpected character");
    }
    if (t >= 0) {
        p->d->tok[t].next = (uint32_t)t + 1;
    }
    return t;
}

int jsonl_parse(struct jsonl_doc *d, const char *text, size_t len)
{
    struct jsonl_parser p = {d, 0};
    int rc;

    d->text = text;
    d->len = len;
    d->ntok = 0;
    d->err[0] = '\0';
    if (len > JSONL_MAX_LINE) {
        snprintf(d->err, sizeof(d->err), "line longer than %d bytes",
                 JSONL_MAX_LINE);
        return -EINVAL;
    }
    skip_blanks(&p);
    if (peek(&p) != '{') {
        return fail(&p, "expected a JSON object");
    }
    rc = parse_value(&p, 0);
    if (rc < 0) {
        return rc;
    }
    skip_blanks(&p);
    if (p.pos != len) {
        return fail(&p, "text after the object");
    }
    return 0;
}

static bool str_equals(const struct jsonl_doc *d, unsigned t, const char *s)
{
    const struct jsonl_tok *k = &d->tok[t];
    size_t n = strlen(s);

    /* Member names are compared raw: ours never need escapes. */
    return k->type == JSONL_STRING && k->end - k->start == n &&
           memcmp(d->text + k->start, s, n) == 0;
}

int jsonl_member(const struct jsonl_doc *d, unsigned obj, unsigned i,
                 unsigned *key)
{
    unsigned t;

    if (obj >= d->ntok || d->tok[obj].type != JSONL_OBJECT ||
        i >= d->tok[obj].count) {
        return -ENOENT;
    }
    t = obj + 1;
    for (unsigned k = 0; k < i; k++) {
        t = d->tok[t + 1].next;
    }
    *key = t;
    return (int)t + 1;
}

int jsonl_get(const struct jsonl_doc *d, unsigned obj, const char *key)
{
    int found = -ENOENT;
    unsigned t;

    if (obj >= d->ntok || d->tok[obj].type != JSONL_OBJECT) {
        return -EINVAL;
    }
    t = obj + 1;
    for (unsigned i = 0; i < d->tok[obj].count; i++) {
        if (str_equals(d, t, key)) {
            if (found >= 0) {
                return -EINVAL;
            }
            found = (int)t + 1;
        }
        t = d->tok[t + 1].next;
    }
    return found;
}

int jsonl_elem(const struct jsonl_doc *d, unsigned arr, unsigned i)
{
    unsigned t;

    if (arr >= d->ntok || d->tok[arr].type != JSONL_ARRAY ||
        i >= d->tok[arr].count) {
        return -ENOENT;
    }
    t = arr + 1;
    for (unsigned k = 0; k < i; k++) {
        t = d->tok[t].next;
    }
    return (int)t;
}

/* Append code point u as UTF-8; false when it does not fit. */
static bool put_utf8(char *buf, size_t n, size_t *o, unsigned u)
{
    char b[4];
    size_t k;

    if (u < 0x80) {
        b[0] = (char)u;
        k = 1;
    } else if (u < 0x800) {
        b[0] = (char)(0xc0 | (u >> 6));
        b[1] = (char)(0x80 | (u & 0x3f));
        k = 2;
    } else if (u < 0x10000) {
        b[0] = (char)(0xe0 | (u >> 12));
        b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[2] = (char)(0x80 | (u & 0x3f));
        k = 3;
    } else {
        b[0] = (char)(0xf0 | (u >> 18));
        b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[3] = (char)(0x80 | (u & 0x3f));
        k = 4;
    }
    if (*o + k >= n) {
        return false;
    }
    memcpy(buf + *o, b, k);
    *o += k;
    return true;
}

int jsonl_str(const struct jsonl_doc *d, unsigned t, char *buf, size_t n)
{
    const char *s;
    size_t i, end, o = 0;

    if (t >= d->ntok || d->tok[t].type != JSONL_STRING || n == 0) {
        return -EINVAL;
    }
    s = d->text;
    end = d->tok[t].end;
    for (i = d->tok[t].start; i < end;) {
        unsigned u = (unsigned char)s[i];

        if (u == '\\') {
            /* jsonl_parse() checked every escape is whole and legal. */
            char e = s[i + 1];
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

            if (e != 'u') {
                u = (unsigned char)to[strchr(from, e) - from];
                i += 2;
            } else {
                hex4(s + i + 2, 4, &u);
                i += 6;
                if (u >= 0xd800 && u < 0xdc00) {
                    unsigned lo;

                    if (end - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
                        hex4(s + i + 2, 4, &lo) < 0 || lo < 0xdc00 ||
                        lo >= 0xe000) {
                        return -EINVAL;
                    }
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                } else if (u >= 0xdc00 && u < 0xe000) {
                    return -EINVAL;
                }
                if (u == 0) {
                    return -EINVAL;
                }
            }
            if (!put_utf8(buf, n, &o, u)) {
                return -E2BIG;
            }
            continue;
        }
        if (o + 1 >= n) {
            return -E2BIG;
        }
        buf[o++] = (char)u;
        i++;
    }
    buf[o] = '\0';
    return 0;
}

/* Digits only, no sign; 0, -EINVAL or -ERANGE. */
static int digits_u64(const char *s, uint32_t start, uint32_t end,
                      uint64_t *out)
{
    uint64_t v = 0;

    if (start >= end) {
        return -EINVAL;
    }
    for (uint32_t i = start; i < end; i++) {
        char c = s[i];

        if (c < '0' || c > '9') {
            return -EINVAL;
        }
        if (v > (UINT64_MAX - (uint64_t)(c - '0')) / 10) {
            return -ERANGE;
        }
        v = v * 10 + (uint64_t)(c - '0');
    }
    *out = v;
    return 0;
}

int jsonl_u64(const struct jsonl_doc *d, unsigned t, uint64_t *out)
{
    if (t >= d->ntok || d->tok[t].type != JSONL_NUMBER) {
        return -EINVAL;
    }
    return digits_u64(d->text, d->tok[t].start, d->tok[t].end, out);
}

int jsonl_int(const struct jsonl_doc *d, unsigned t, int *out)
{
    bool neg;
    uint64_t v;
    int rc;

    if (t >= d->ntok || d->tok[t].type != JSONL_NUMBER) {
        return -EINVAL;
    }
    neg = d->text[d->tok[t].start] == '-';
    rc = digits_u64(d->text, d->tok[t].start + (neg ? 1 : 0), d->tok[t].end,
                    &v);
    if (rc < 0) {
        return rc;
    }
    if (v > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX)) {
        return -ERANGE;
    }
    *out = neg ? (int)(-(int64_t)v) : (int)v;
    return 0;
}

int jsonl_num(const struct jsonl_doc *d, unsigned t, double *out)
{
    char buf[64];
    size_t n;
    double v;

    if (t >= d->ntok || d->tok[t].type != JSONL_NUMBER) {
        return -EINVAL;
    }
    n = d->tok[t].end - d->tok[t].start;
    if (n >= sizeof(buf)) {
        return -ERANGE;
    }
    memcpy(buf, d->text + d->tok[t].start, n);
    buf[n] = '\0';
    v = strtod(buf, NULL);
    if (!isfinite(v)) {
        return -ERANGE;
    }
    *out = v;
    return 0;
}

int jsonl_bool(const struct jsonl_doc *d, unsigned t, bool *out)
{
    if (t >= d->ntok || d->tok[t].type != JSONL_BOOL) {
        return -EINVAL;
    }
    *out = d->text[d->tok[t].start] == 't';
    return 0;
}
