/*
 * scenarios/tool/jsonl.h - a small, bounded JSON reader for one line of a
 * JSON Lines file (`kvmsim explore --merge` reads the records explore
 * wrote).  The line is parsed into a fixed array of tokens in document
 * order; nothing is allocated, nesting and token counts are bounded, and
 * any input (truncated, binary, hostile) ends in -EINVAL and a message,
 * never an abort.
 */
#ifndef KVMSIM_SCN_JSONL_H
#define KVMSIM_SCN_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONL_MAX_TOKENS 4096
#define JSONL_MAX_DEPTH 8
#define JSONL_MAX_LINE (256 * 1024)

enum jsonl_type {
    JSONL_OBJECT = 1,
    JSONL_ARRAY,
    JSONL_STRING,
    JSONL_NUMBER,
    JSONL_BOOL,
    JSONL_NULL,
};

struct jsonl_tok {
    enum jsonl_type type;
    uint32_t start, end;  /* bytes of the value in the line (a string's
                           * without its quotes) */
    uint32_t count;       /* object: members; array: elements */
    uint32_t next;        /* the first token after this value's subtree */
};

struct jsonl_doc {
    const char *text;
    size_t len;
    unsigned ntok;
    struct jsonl_tok tok[JSONL_MAX_TOKENS];
    char err[128];        /* why jsonl_parse() failed, with the column */
};

/* Parse text[0..len) (no NUL needed), which must hold one JSON object and
 * nothing else but blanks.  0, or -EINVAL with d->err set.  Token 0 is
 * the object. */
int jsonl_parse(struct jsonl_doc *d, const char *text, size_t len);

/* The value of member `key` of object token obj: its token index,
 * -ENOENT when absent, -EINVAL when obj is not an object or the key
 * appears twice. */
int jsonl_get(const struct jsonl_doc *d, unsigned obj, const char *key);

/* Element i of array token arr (i < count), else -ENOENT. */
int jsonl_elem(const struct jsonl_doc *d, unsigned arr, unsigned i);

/* Member i of object token obj: its key's token in *key, its value's
 * token returned; -ENOENT past the end. */
int jsonl_member(const struct jsonl_doc *d, unsigned obj, unsigned i,
                 unsigned *key);

/* A string token decoded into buf (NUL-terminated, "\u0000" refused):
 * 0, -EINVAL for another type, -E2BIG when it does not fit. */
int jsonl_str(const struct jsonl_doc *d, unsigned t, char *buf, size_t n);
/* A number token with only digits (no sign, fraction or exponent) that
 * fits: 0, else -EINVAL / -ERANGE. */
int jsonl_u64(const struct jsonl_doc *d, unsigned t, uint64_t *out);
/* Any integer in [INT32_MIN, INT32_MAX]. */
int jsonl_int(const struct jsonl_doc *d, unsigned t, int *out);
/* Any finite number. */
int jsonl_num(const struct jsonl_doc *d, unsigned t, double *out);
int jsonl_bool(const struct jsonl_doc *d, unsigned t, bool *out);

#endif
