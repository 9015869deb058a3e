/*
 * scenarios/tool/config.c - scenario configuration (see config.h): key
 * tables, INI loading through libinih, --set overrides, typed getters and
 * the key documentation.
 *
 * Assumes Debian's libinih (55) with its default settings, which we read
 * but never change (they are process-wide):
 *  - inih does not pass line numbers to the handler, so we feed it through
 *    ini_parse_stream() with our own reader, which hands out one line per
 *    call and counts them; inih calls the handler right after reading a key
 *    line, so the reader's count is the key's line.
 *  - A line longer than the reader's buffer would be split by inih into
 *    pieces parsed as separate lines; the reader rejects it instead.
 *  - Multi-line values are on: an indented non-blank line after a key
 *    continues that key's value.  We report such a line as an error (an
 *    indented "key = value" silently becoming part of the previous value is
 *    a trap).  The reader mirrors inih's classification of a line (comment,
 *    continuation, [section] header) to know this, and to report an unknown
 *    section at its header line even when the section holds no keys.
 *  - inih keeps parsing after a syntax error and returns the line of the
 *    first one; our handler stops the parse at its first error.  The message
 *    reported is the one for the earlier line.
 *  - "; comment" after whitespace ends a value, "#" and ";" start comment
 *    lines, "name: value" is accepted like "name = value".
 *
 * Decisions where config.h leaves room:
 *  - Section names, key names and enum values are case-sensitive; booleans
 *    are not (TRUE, Off, ... are accepted).
 *  - An enum whose default is "" accepts "" (unset): faults.nth_site.
 *  - Strings may not contain control characters other than tab, so that a
 *    cfg_dump() line always reads back through cfg_set().
 *  - faults.nth defaults to 1.  Within one file, nth_site and nth come
 *    together: nth_site naming a site without nth, or nth without a
 *    nth_site, is an error at the line of the one that is set (at the later
 *    of the two when nth_site is explicitly empty).  --set overrides are
 *    not paired (they arrive one at a time): an empty nth_site turns the
 *    nth-call mode off whatever nth says.
 *  - Two --set of one key are allowed, the last wins; two loads of files
 *    may also set the same key.  Only a key set twice in ONE file is an
 *    error.
 *  - cfg_create() also returns NULL (errno EINVAL, a line on stderr) for a
 *    malformed table: duplicate key, bad name, default that does not parse.
 *  - Allocation failure while setting a value returns -ENOMEM with the
 *    message "out of memory".
 *  - [swarm] lines are checked as they load, whether or not run.swarm is
 *    on, with the messages of the key they vary; a range in a later load
 *    replaces one for the same key, within one load it is an error.  The
 *    unknown-section message does not list [swarm] (it lists the tables'
 *    sections).  A value swarm testing sets records the [swarm] line as
 *    where it came from, unless --set pinned the key.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "core/fault.h"
#include "scenarios/tool/config.h"
#include "scenarios/tool/input.h"

#define CFG_STR_MAX 255       /* longest string value, bytes */
#define CFG_MSG_MAX 512       /* longest message body */
#define CFG_QUOTE_MAX 60      /* longest user text quoted in a message */
#define CFG_SWARM_RATE_LO 0.001 /* default [swarm] fault_rate range */
#define CFG_SWARM_RATE_HI 0.2

static const char *const strategy_choices[] = {
    "time", "random", "pct", "pos", "surw", "portfolio", NULL,
};

const struct cfg_key cfg_common_keys[] = {
    { "scenario", "driver", CFG_STRING, "", 0, 0, NULL,
      "workload driver that runs this file (required); it decides which "
      "[workload] keys exist" },
    { "scenario", "description", CFG_STRING, "", 0, 0, NULL,
      "one-line summary shown by `kvmsim list`" },
    { "run", "seed", CFG_INT, "1", 0, 9223372036854775807.0, NULL,
      "seed expanded into the decision tape (schedule, faults, jitter); "
      "same seed, same run" },
    { "run", "variant", CFG_STRING, "", 0, 0, NULL,
      "mechanism variant to run (e.g. baseline or seed); empty = the "
      "scenario's default" },
    { "run", "strategy", CFG_ENUM, "time", 0, 0, strategy_choices,
      "scheduler: time = earliest virtual time first (performance), "
      "random = random walk, pct = PCT race hunting, pos = partial order "
      "sampling, surw = walk weighted by remaining steps (one profile "
      "run), portfolio = each seed picks one" },
    { "run", "pct_depth", CFG_INT, "3", 1, 16, NULL,
      "PCT depth d: d-1 priority change points, finds bugs that need d "
      "ordering constraints" },
    { "run", "pct_steps", CFG_INT, "20000", 1, 1e9, NULL,
      "PCT's estimate of the run length in scheduling steps; change points "
      "are drawn below it" },
    { "run", "step_limit", CFG_INT, "50000000", 1, 1e10, NULL,
      "scheduling steps before the run is stopped as a liveness failure "
      "(livelock, lost wakeup); the maximum bounds a run to minutes" },
    { "run", "swarm", CFG_BOOL, "false", 0, 0, NULL,
      "swarm testing (--swarm): the tape's first decisions pick fault "
      "rates and workload values within the scenario's [swarm] ranges" },
    { "run", "heal_ms", CFG_INT, "500", 0, 100000, NULL,
      "heal phase: after the faulty phase every fault stops and the "
      "system must converge within this many virtual ms (exit 6 if not); "
      "0 = no heal phase; runs only when a fault was armed; compare "
      "skips it" },
    { "vm", "cpus", CFG_INT, "4", 1, 1024, NULL,
      "simulated physical CPUs (host pCPUs that vCPU and iothread fibers "
      "run on)" },
    { "vm", "vcpus", CFG_INT, "2", 1, 1024, NULL,
      "vCPU threads of the simulated guest" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};

/* The [faults] keys, generated from core/fault.h: one probability per
 * named site, then nth_site and nth, then the terminating entry. */
struct fault_keys {
    struct cfg_key keys[PLAT_FAULT_NR + 3];
    const char *site_choices[PLAT_FAULT_NR + 1];
    int key_of_site[PLAT_FAULT_NR + 1]; /* index in keys, -1 if unnamed */
    size_t nth_site;                     /* index of nth_site in keys */
    size_t nkeys;                        /* entries before the terminator */
};

struct cfg_val {
    int64_t i;
    double d;
    bool b;
    int choice;              /* CFG_ENUM: index into choices, -1 for "" */
    char s[CFG_STR_MAX + 1]; /* CFG_STRING */
    char *where;             /* "ORIGIN:LINE" (malloc), NULL = default */
    unsigned load;           /* load or --set that set it, 0 = default */
    unsigned line;
};

struct cfg {
    const struct cfg_key **keys; /* every key: tables in order, then faults */
    struct cfg_val *vals;        /* parallel to keys */
    size_t nkeys;
    size_t fault_base;           /* index of the first [faults] key */
    size_t nth_site_idx;
    size_t nth_idx;
    unsigned loads;              /* loads and --sets so far */
    struct fault_keys fk;
    struct cfg_swarm swarm;      /* the [swarm] section */
    char *swarm_origin;          /* swarm.origin (malloc) */
    unsigned knob_load[CFG_SWARM_MAX]; /* load that declared each knob */
    unsigned faults_load, rate_load;
    uint32_t reach;              /* fault sites that may be armed */
    char reach_who[64];          /* who reaches them, for messages */
};

_Static_assert(PLAT_FAULT_NR <= 32, "cfg_fault_reach takes a 32-bit mask");

static void fault_keys_build(struct fault_keys *fk)
{
    size_t n = 0;
    size_t nsites = 0;

    memset(fk, 0, sizeof(*fk));
    for (unsigned site = 0; site < PLAT_FAULT_NR; site++) {
        const char *name = plat_fault_site_name(site);

        fk->key_of_site[site] = -1;
        if (!name) {
            continue;
        }
        fk->key_of_site[site] = (int)n;
        fk->site_choices[nsites++] = name;
        fk->keys[n++] = (struct cfg_key){
            "faults", name, CFG_DOUBLE, "0", 0, 1, NULL,
            "probability that a call at this fault site fails "
            "(core/fault.h)",
        };
    }
    fk->site_choices[nsites] = NULL;
    fk->nth_site = n;
    fk->keys[n++] = (struct cfg_key){
        "faults", "nth_site", CFG_ENUM, "", 0, 0, fk->site_choices,
        "nth-call mode: fault site whose nth call fails (SQLite style); "
        "empty = off",
    };
    fk->keys[n++] = (struct cfg_key){
        "faults", "nth", CFG_INT, "1", 1, 9223372036854775807.0, NULL,
        "nth-call mode: which call at nth_site fails, 1 = the first; raise "
        "it until the operation completes",
    };
    fk->keys[n] = (struct cfg_key){
        NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL,
    };
    fk->nkeys = n;
}

/* Every key of `tables` and then of `fk`, in order, into out (when not
 * NULL).  Returns the number of keys. */
static size_t collect_keys(const struct cfg_key *const *tables,
                           const struct fault_keys *fk,
                           const struct cfg_key **out)
{
    size_t n = 0;

    for (size_t t = 0; tables && tables[t]; t++) {
        for (const struct cfg_key *k = tables[t]; k->name; k++) {
            if (out) {
                out[n] = k;
            }
            n++;
        }
    }
    for (size_t i = 0; i < fk->nkeys; i++) {
        if (out) {
            out[n] = &fk->keys[i];
        }
        n++;
    }
    return n;
}

/* ---- messages ---- */

/* Write "ORIGIN:LINE: message" into err, truncated to errlen. */
static void report(char *err, size_t errlen, const char *origin,
                   unsigned line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!err || errlen == 0) {
        return;
    }
    n = snprintf(err, errlen, "%s:%u: ", origin ? origin : "-", line);
    if (n < 0) {
        err[0] = '\0';
        return;
    }
    if ((size_t)n >= errlen) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* A copy of user text fit for a message: at most CFG_QUOTE_MAX bytes,
 * non-printable bytes as '?', "..." when cut.  Returns buf. */
static const char *quote(char *buf, size_t len, const char *s)
{
    size_t n = 0;

    while (s[n] && n < CFG_QUOTE_MAX && n + 4 < len) {
        unsigned char ch = (unsigned char)s[n];

        buf[n] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
        n++;
    }
    if (s[n] && n + 3 < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

#define QBUF (CFG_QUOTE_MAX + 8)

static const char *type_name(enum cfg_type type)
{
    switch (type) {
    case CFG_INT:
        return "int";
    case CFG_DOUBLE:
        return "double";
    case CFG_BOOL:
        return "bool";
    case CFG_STRING:
        return "string";
    case CFG_ENUM:
        return "enum";
    }
    return "?";
}

/* "a|b|c" into buf (truncated to len). */
static void join_choices(const char *const *choices, const char *sep,
                         char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; choices && choices[i]; i++) {
        int w = snprintf(buf + n, len - n, "%s%s", i ? sep : "", choices[i]);

        if (w < 0 || (size_t)w >= len - n) {
            return;
        }
        n += (size_t)w;
    }
}

/* Bounds of an integer key as integers (the table holds doubles). */
static int64_t int_bound(double b)
{
    if (b >= 9223372036854775807.0) {
        return INT64_MAX;
    }
    if (b <= -9223372036854775808.0) {
        return INT64_MIN;
    }
    return (int64_t)b;
}

/* Shortest "%g" text that reads back as exactly d. */
static void format_double(double d, char *buf, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            return;
        }
    }
}

/* ---- values ---- */

/* Decimal or 0x hex, optional leading '-'.  -EINVAL for junk, -ERANGE when
 * it does not fit in int64_t. */
static int parse_int(const char *s, int64_t *out)
{
    return scn_parse_i64(s, out);
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "on", "yes", "1" };
    static const char *const no[] = { "false", "off", "no", "0" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* What a key expects, for messages: "an integer", "one of a|b". */
static void expectation(const struct cfg_key *k, char *buf, size_t len)
{
    switch (k->type) {
    case CFG_INT:
        snprintf(buf, len, "an integer");
        return;
    case CFG_DOUBLE:
        snprintf(buf, len, "a number");
        return;
    case CFG_BOOL:
        snprintf(buf, len, "a boolean (true|false|on|off|yes|no|1|0)");
        return;
    case CFG_STRING:
        snprintf(buf, len, "a string");
        return;
    case CFG_ENUM:
        snprintf(buf, len, "one of ");
        if (strlen(buf) + 1 < len) {
            join_choices(k->choices, "|", buf + strlen(buf),
                         len - strlen(buf));
        }
        return;
    }
    snprintf(buf, len, "a value");
}

/*
 * Parse `text` as a value of key k into the typed fields of *v (the other
 * fields are left alone).  On error returns -EINVAL with the message body
 * in msg, and *v is unchanged.
 */
static int parse_value(const struct cfg_key *k, const char *text,
                       struct cfg_val *v, char *msg, size_t msglen)
{
    char q[QBUF];
    char what[CFG_MSG_MAX / 2];
    char *end;
    size_t len = strlen(text);
    int64_t i;
    double d;
    bool b;
    int rc;

    if (len == 0 && k->type != CFG_STRING &&
        !(k->type == CFG_ENUM && k->def && k->def[0] == '\0')) {
        expectation(k, what, sizeof(what));
        snprintf(msg, msglen, "empty value for %s.%s; expected %s",
                 k->section, k->name, what);
        return -EINVAL;
    }
    switch (k->type) {
    case CFG_INT:
        rc = parse_int(text, &i);
        if (rc == -ERANGE) {
            snprintf(msg, msglen, "'%s' does not fit in a 64-bit integer",
                     quote(q, sizeof(q), text));
            return -EINVAL;
        }
        if (rc < 0) {
            snprintf(msg, msglen, "'%s' is not an integer",
                     quote(q, sizeof(q), text));
            return -EINVAL;
        }
        if (i < int_bound(k->min) || i > int_bound(k->max)) {
            snprintf(msg, msglen,
                     "value %s out of range [%" PRId64 ", %" PRId64
                     "] for %s.%s",
                     quote(q, sizeof(q), text), int_bound(k->min),
                     int_bound(k->max), k->section, k->name);
            return -EINVAL;
        }
        v->i = i;
        return 0;
    case CFG_DOUBLE: {
        char lo[32];
        char hi[32];

        errno = 0;
        d = strtod(text, &end);
        if (end == text || *end != '\0' || isspace((unsigned char)*text)) {
            snprintf(msg, msglen, "'%s' is not a number",
                     quote(q, sizeof(q), text));
            return -EINVAL;
        }
        if (!isfinite(d)) {
            snprintf(msg, msglen, "'%s' is not a finite number",
                     quote(q, sizeof(q), text));
            return -EINVAL;
        }
        if (d < k->min || d > k->max) {
            format_double(k->min, lo, sizeof(lo));
            format_double(k->max, hi, sizeof(hi));
            snprintf(msg, msglen, "value %s out of range [%s, %s] for %s.%s",
                     quote(q, sizeof(q), text), lo, hi, k->section, k->name);
            return -EINVAL;
        }
        v->d = d;
        return 0;
    }
    case CFG_BOOL:
        if (parse_bool(text, &b) < 0) {
            snprintf(msg, msglen,
                     "'%s' is not a boolean (true|false|on|off|yes|no|1|0)",
                     quote(q, sizeof(q), text));
            return -EINVAL;
        }
        v->b = b;
        return 0;
    case CFG_STRING:
        if (len > CFG_STR_MAX) {
            snprintf(msg, msglen,
                     "value of %s.%s is %zu bytes long; the limit is %d",
                     k->section, k->name, len, CFG_STR_MAX);
            return -EINVAL;
        }
        for (size_t n = 0; n < len; n++) {
            unsigned char ch = (unsigned char)text[n];

            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                snprintf(msg, msglen,
                         "value of %s.%s contains a control character",
                         k->section, k->name);
                return -EINVAL;
            }
        }
        memcpy(v->s, text, len + 1);
        return 0;
    case CFG_ENUM:
        if (len == 0) {
            v->choice = -1;
            return 0;
        }
        for (int n = 0; k->choices && k->choices[n]; n++) {
            if (strcmp(k->choices[n], text) == 0) {
                v->choice = n;
                return 0;
            }
        }
        expectation(k, what, sizeof(what));
        snprintf(msg, msglen, "'%s' is not %s", quote(q, sizeof(q), text),
                 what);
        return -EINVAL;
    }
    snprintf(msg, msglen, "key %s.%s has no type", k->section, k->name);
    return -EINVAL;
}

/* The value of key i as it would be written (for cfg_dump and docs). */
static void format_value(const struct cfg_key *k, const struct cfg_val *v,
                         char *buf, size_t len)
{
    switch (k->type) {
    case CFG_INT:
        snprintf(buf, len, "%" PRId64, v->i);
        return;
    case CFG_DOUBLE:
        format_double(v->d, buf, len);
        return;
    case CFG_BOOL:
        snprintf(buf, len, "%s", v->b ? "true" : "false");
        return;
    case CFG_STRING:
        snprintf(buf, len, "%s", v->s);
        return;
    case CFG_ENUM:
        snprintf(buf, len, "%s", v->choice < 0 ? "" : k->choices[v->choice]);
        return;
    }
    buf[0] = '\0';
}

/* ---- the cfg object ---- */

static long find_key(const struct cfg *c, const char *section,
                     const char *name)
{
    for (size_t i = 0; i < c->nkeys; i++) {
        if (strcmp(c->keys[i]->section, section) == 0 &&
            strcmp(c->keys[i]->name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static bool section_known(const struct cfg *c, const char *section)
{
    for (size_t i = 0; i < c->nkeys; i++) {
        if (strcmp(c->keys[i]->section, section) == 0) {
            return true;
        }
    }
    return false;
}

/* Message for an unknown section, listing the known ones in table order. */
static void unknown_section_msg(const struct cfg *c, const char *section,
                                char *msg, size_t msglen)
{
    char q[QBUF];
    int n = snprintf(msg, msglen, "unknown section '%s' (sections:",
                     quote(q, sizeof(q), section));

    for (size_t i = 0; i < c->nkeys && n >= 0 && (size_t)n < msglen; i++) {
        const char *s = c->keys[i]->section;
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++) {
            seen = strcmp(c->keys[j]->section, s) == 0;
        }
        if (!seen) {
            n += snprintf(msg + n, msglen - (size_t)n, " %s", s);
        }
    }
    if (n >= 0 && (size_t)n < msglen) {
        snprintf(msg + n, msglen - (size_t)n, ")");
    }
}

/* A section or key name: printable, no separators, short enough that
 * inih (which cuts names at 49 bytes) passes it whole. */
static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 40) {
        return false;
    }
    for (; *s; s++) {
        if (*s == '.' || *s == '=' || *s == ';' || *s == '#' ||
            !isgraph((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

/* Check one declared key; message body into msg on error. */
static int check_key(const struct cfg_key *k, struct cfg_val *v, char *msg,
                     size_t msglen)
{
    if (!name_ok(k->section) || !name_ok(k->name)) {
        snprintf(msg, msglen, "bad section or key name");
        return -EINVAL;
    }
    if ((k->type == CFG_INT || k->type == CFG_DOUBLE) &&
        !(k->min <= k->max)) {
        snprintf(msg, msglen, "bad range");
        return -EINVAL;
    }
    if (k->type == CFG_ENUM && (!k->choices || !k->choices[0])) {
        snprintf(msg, msglen, "enum without choices");
        return -EINVAL;
    }
    if (k->type < CFG_INT || k->type > CFG_ENUM) {
        snprintf(msg, msglen, "bad type");
        return -EINVAL;
    }
    return parse_value(k, k->def ? k->def : "", v, msg, msglen);
}

struct cfg *cfg_create(const struct cfg_key *const *tables)
{
    struct cfg *c = calloc(1, sizeof(*c));
    char msg[CFG_MSG_MAX];

    if (!c) {
        return NULL;
    }
    fault_keys_build(&c->fk);
    c->nkeys = collect_keys(tables, &c->fk, NULL);
    c->keys = calloc(c->nkeys, sizeof(*c->keys));
    c->vals = calloc(c->nkeys, sizeof(*c->vals));
    if (!c->keys || !c->vals) {
        cfg_destroy(c);
        errno = ENOMEM;
        return NULL;
    }
    collect_keys(tables, &c->fk, c->keys);
    c->swarm.rate_lo = CFG_SWARM_RATE_LO;
    c->swarm.rate_hi = CFG_SWARM_RATE_HI;
    c->swarm.rate_log = true;
    c->reach = CFG_FAULTS_ALL;
    c->fault_base = c->nkeys - c->fk.nkeys;
    c->nth_site_idx = c->fault_base + c->fk.nth_site;
    c->nth_idx = c->nth_site_idx + 1;
    for (size_t i = 0; i < c->nkeys; i++) {
        const struct cfg_key *k = c->keys[i];
        int rc = check_key(k, &c->vals[i], msg, sizeof(msg));

        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (strcmp(c->keys[j]->section, k->section) == 0 &&
                strcmp(c->keys[j]->name, k->name) == 0) {
                snprintf(msg, sizeof(msg), "declared twice");
                rc = -EINVAL;
            }
        }
        if (rc < 0) {
            fprintf(stderr, "kvmsim: config key table: %s.%s: %s\n",
                    k->section ? k->section : "(null)",
                    k->name ? k->name : "(null)", msg);
            cfg_destroy(c);
            errno = EINVAL;
            return NULL;
        }
    }
    return c;
}

void cfg_destroy(struct cfg *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; c->vals && i < c->nkeys; i++) {
        free(c->vals[i].where);
    }
    free(c->vals);
    free(c->keys);
    free(c->swarm_origin);
    free(c);
}

void cfg_fault_reach(struct cfg *c, uint32_t sites, const char *who)
{
    c->reach = sites;
    snprintf(c->reach_who, sizeof(c->reach_who), "%s", who ? who : "");
}

/* The named fault sites in `sites`, ", "-separated ("none" when empty). */
static void site_list(uint32_t sites, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned s = 0; s < PLAT_FAULT_NR && n < len; s++) {
        if ((sites & (1u << s)) && plat_fault_site_name(s)) {
            int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
                             plat_fault_site_name(s));

            n += w > 0 ? (size_t)w : 0;
        }
    }
    if (n == 0) {
        snprintf(buf, len, "none");
    }
}

/* 0 when arming fault site `site` (as `what`) is accepted; -EINVAL with
 * the message body in msg when the scenario's paths never reach it, so a
 * fault there would never be injected. */
static int check_reach(const struct cfg *c, unsigned site, const char *what,
                       char *msg, size_t msglen)
{
    char list[CFG_MSG_MAX / 2];

    if (site >= PLAT_FAULT_NR || (c->reach & (1u << site))) {
        return 0;
    }
    site_list(c->reach, list, sizeof(list));
    snprintf(msg, msglen, "%s: driver %s never reaches fault site %s, so "
             "no fault would be injected (its fault sites: %s)", what,
             c->reach_who[0] ? c->reach_who : "(unnamed)",
             plat_fault_site_name(site), list);
    return -EINVAL;
}

/* The fault site whose probability is key idx, or -1 for any other key. */
static int site_of_key(const struct cfg *c, size_t idx)
{
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        if (c->fk.key_of_site[s] >= 0 &&
            c->fault_base + (size_t)c->fk.key_of_site[s] == idx) {
            return (int)s;
        }
    }
    return -1;
}

/* 0 when value nv of key idx arms no fault the scenario never reaches: a
 * probability above 0, or nth_site naming such a site (0 and an empty
 * nth_site arm nothing and stay accepted, so a dump of every key replays
 * anywhere). */
static int check_arming(const struct cfg *c, size_t idx,
                        const struct cfg_val *nv, char *msg, size_t msglen)
{
    char what[96];
    int site;

    if (idx == c->nth_site_idx && nv->choice >= 0) {
        site = plat_fault_site_lookup(c->fk.site_choices[nv->choice]);
        snprintf(what, sizeof(what), "faults.nth_site = %s",
                 c->fk.site_choices[nv->choice]);
        return site < 0 ? 0 : check_reach(c, (unsigned)site, what, msg,
                                          msglen);
    }
    site = site_of_key(c, idx);
    if (site < 0 || !(nv->d > 0)) {
        return 0;
    }
    snprintf(what, sizeof(what), "faults.%s = %g",
             plat_fault_site_name((unsigned)site), nv->d);
    return check_reach(c, (unsigned)site, what, msg, msglen);
}

/*
 * Set key idx from text, recording where.  On error returns -EINVAL (or
 * -ENOMEM) with the message body in msg; the key is then unchanged.
 */
static int apply(struct cfg *c, size_t idx, const char *text,
                 const char *origin, unsigned line, unsigned load, char *msg,
                 size_t msglen)
{
    struct cfg_val *v = &c->vals[idx];
    struct cfg_val nv = *v;
    size_t wlen = strlen(origin) + 16;
    char *where;

    if (parse_value(c->keys[idx], text, &nv, msg, msglen) < 0 ||
        check_arming(c, idx, &nv, msg, msglen) < 0) {
        return -EINVAL;
    }
    where = malloc(wlen);
    if (!where) {
        snprintf(msg, msglen, "out of memory");
        return -ENOMEM;
    }
    snprintf(where, wlen, "%s:%u", origin, line);
    free(v->where);
    nv.where = where;
    nv.load = load;
    nv.line = line;
    *v = nv;
    return 0;
}

/* ---- INI loading ---- */

struct load {
    struct cfg *c;        /* NULL when only peeking at the driver */
    const char *origin;
    const char *text;     /* whole input */
    const char *pos;      /* next line to hand to inih */
    unsigned line;        /* lines handed to inih so far */
    bool in_key;          /* inih's prev_name is set: indented lines after
                           * it are continuations */
    bool cont;            /* the current line is a continuation */
    unsigned key_line;    /* line of the last key line */
    unsigned load;        /* id of this load (duplicate detection) */
    bool failed;          /* an error is in err; stop */
    unsigned err_line;
    int err_code;
    char *err;
    size_t errlen;
    char driver[CFG_STR_MAX + 1]; /* peek: [scenario] driver */
    unsigned driver_line;         /* peek: its line, 0 = none */
};

static void load_fail(struct load *ld, int code, const char *msg)
{
    ld->failed = true;
    ld->err_code = code;
    ld->err_line = ld->line;
    report(ld->err, ld->errlen, ld->origin, ld->line, "%s", msg);
}

/* Start of the text of a line after a UTF-8 BOM (inih skips it). */
static const char *skip_bom(const char *s, unsigned line)
{
    if (line == 1 && (unsigned char)s[0] == 0xEF &&
        (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) {
        return s + 3;
    }
    return s;
}

/*
 * Look at a line before inih does, the way inih will (ini.c: comment,
 * continuation, "[section]").  Notes continuations for the handler and
 * checks section names at their header line.  Returns false after
 * recording an error.
 */
static bool classify_line(struct load *ld, const char *line)
{
    const char *start = skip_bom(line, ld->line);
    const char *s = start;
    const char *e;
    bool was_space = false;

    ld->cont = false;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    if (*s == '\0' || *s == ';' || *s == '#') {
        return true;
    }
    if (ld->in_key && s > line) {
        ld->cont = true;
        return true;
    }
    if (*s != '[') {
        return true;
    }
    /* inih ends a header at ']' or at an inline ";" comment. */
    for (e = s + 1; *e && *e != ']' && !(was_space && *e == ';'); e++) {
        was_space = isspace((unsigned char)*e);
    }
    if (*e != ']') {
        return true; /* inih reports the line */
    }
    ld->in_key = false;
    if (ld->c) {
        char name[CFG_STR_MAX + 1];
        char msg[CFG_MSG_MAX];
        size_t n = (size_t)(e - s - 1);

        if (n > CFG_STR_MAX) {
            n = CFG_STR_MAX;
        }
        memcpy(name, s + 1, n);
        name[n] = '\0';
        if (!section_known(ld->c, name) && strcmp(name, "swarm") != 0) {
            unknown_section_msg(ld->c, name, msg, sizeof(msg));
            load_fail(ld, -EINVAL, msg);
            return false;
        }
    }
    return true;
}

/* ini_reader: hand inih the next line, without its "\n" or "\r\n". */
static char *read_line(char *str, int num, void *stream)
{
    struct load *ld = stream;
    const char *start = ld->pos;
    const char *nl;
    size_t len;
    size_t body;
    char msg[CFG_MSG_MAX];

    if (ld->failed || *start == '\0') {
        return NULL;
    }
    nl = strchr(start, '\n');
    len = nl ? (size_t)(nl - start) : strlen(start);
    ld->pos = nl ? nl + 1 : start + len;
    ld->line++;
    body = len;
    if (body > 0 && start[body - 1] == '\r') {
        body--;
    }
    /* ini.h: the buffer must be 3 more than the longest line. */
    if (num < 4 || body > (size_t)num - 3) {
        snprintf(msg, sizeof(msg),
                 "line is %zu bytes long; the limit is %d bytes", body,
                 num < 4 ? 0 : num - 3);
        load_fail(ld, -EINVAL, msg);
        return NULL;
    }
    memcpy(str, start, body);
    str[body] = '\0';
    if (!classify_line(ld, str)) {
        return NULL;
    }
    return str;
}

static int on_driver(struct load *ld, const char *section, const char *name,
                     const char *value)
{
    char msg[CFG_MSG_MAX];

    if (strcmp(section, "scenario") != 0 || strcmp(name, "driver") != 0) {
        return 1;
    }
    if (ld->driver_line) {
        snprintf(msg, sizeof(msg), "key 'driver' set twice (first at line %u)",
                 ld->driver_line);
        load_fail(ld, -EINVAL, msg);
        return 0;
    }
    if (value[0] == '\0') {
        load_fail(ld, -EINVAL, "[scenario] driver is empty");
        return 0;
    }
    snprintf(ld->driver, sizeof(ld->driver), "%s", value);
    ld->driver_line = ld->line;
    return 1;
}

/* ---- [swarm] ---- */

/* Sections whose keys swarm testing does not vary. */
static bool swarm_section_refused(const char *section)
{
    static const char *const no[] = {
        "scenario", "run", "faults", "invariants", "swarm",
    };

    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (strcmp(section, no[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* s without surrounding white space (s is changed in place). */
static char *trim_in_place(char *s)
{
    char *e = s + strlen(s);

    while (isspace((unsigned char)*s)) {
        s++;
    }
    while (e > s && isspace((unsigned char)e[-1])) {
        e--;
    }
    *e = '\0';
    return s;
}

/* "LO..HI" or "LO..HI log" for a numeric key k, into kb. */
static int swarm_range(const struct cfg_key *k, const char *value,
                       struct cfg_swarm_knob *kb, char *msg, size_t msglen)
{
    char buf[CFG_STR_MAX + 1];
    char what[CFG_MSG_MAX / 2];
    char q[QBUF];
    struct cfg_val lo = {0}, hi = {0};
    size_t len = strlen(value);
    char *sep, *end;
    bool empty;

    if (len > CFG_STR_MAX) {
        snprintf(msg, msglen, "range of %s.%s is %zu bytes long; the limit "
                 "is %d", k->section, k->name, len, CFG_STR_MAX);
        return -EINVAL;
    }
    memcpy(buf, value, len + 1);
    end = buf + len;
    kb->log = len >= 4 && strcmp(end - 3, "log") == 0 &&
              isspace((unsigned char)end[-4]);
    if (kb->log) {
        end[-3] = '\0';
    }
    sep = strstr(buf, "..");
    if (!sep) {
        expectation(k, what, sizeof(what));
        snprintf(msg, msglen, "'%s' is not a range LO..HI of %s.%s (%s)",
                 quote(q, sizeof(q), value), k->section, k->name, what);
        return -EINVAL;
    }
    *sep = '\0';
    if (parse_value(k, trim_in_place(buf), &lo, msg, msglen) < 0 ||
        parse_value(k, trim_in_place(sep + 2), &hi, msg, msglen) < 0) {
        return -EINVAL;
    }
    empty = k->type == CFG_INT ? lo.i > hi.i : lo.d > hi.d;
    if (empty) {
        snprintf(msg, msglen, "empty range '%s' for %s.%s (LO > HI)",
                 quote(q, sizeof(q), value), k->section, k->name);
        return -EINVAL;
    }
    if (kb->log && (k->type == CFG_INT ? lo.i < 1 : !(lo.d > 0))) {
        snprintf(msg, msglen, "log range '%s' for %s.%s needs LO %s",
                 quote(q, sizeof(q), value), k->section, k->name,
                 k->type == CFG_INT ? ">= 1" : "> 0");
        return -EINVAL;
    }
    kb->ilo = lo.i;
    kb->ihi = hi.i;
    kb->dlo = lo.d;
    kb->dhi = hi.d;
    return 0;
}

/* "a|b|c" for key k (not a string), into kb. */
static int swarm_choices(const struct cfg_key *k, const char *value,
                         struct cfg_swarm_knob *kb, char *msg, size_t msglen)
{
    char buf[CFG_STR_MAX + 1];
    char q[QBUF];
    size_t len = strlen(value);
    char *p = buf;

    if (len > CFG_STR_MAX) {
        snprintf(msg, msglen, "choices of %s.%s are %zu bytes long; the "
                 "limit is %d", k->section, k->name, len, CFG_STR_MAX);
        return -EINVAL;
    }
    memcpy(buf, value, len + 1);
    kb->nchoices = 0;
    for (;;) {
        char *bar = strchr(p, '|');
        struct cfg_val v = {0};
        char name[CFG_STR_MAX + 64];

        if (bar) {
            *bar = '\0';
        }
        p = trim_in_place(p);
        if (parse_value(k, p, &v, msg, msglen) < 0) {
            return -EINVAL;
        }
        format_value(k, &v, name, sizeof(name));
        if (strlen(name) >= CFG_SWARM_CHOICE_LEN) {
            snprintf(msg, msglen, "choice '%s' of %s.%s is longer than %d "
                     "bytes", quote(q, sizeof(q), name), k->section,
                     k->name, CFG_SWARM_CHOICE_LEN - 1);
            return -EINVAL;
        }
        for (unsigned i = 0; i < kb->nchoices; i++) {
            if (strcmp(kb->choices[i], name) == 0) {
                snprintf(msg, msglen, "'%s' is listed twice for %s.%s",
                         quote(q, sizeof(q), p), k->section, k->name);
                return -EINVAL;
            }
        }
        if (kb->nchoices == CFG_SWARM_CHOICES) {
            snprintf(msg, msglen, "more than %d choices for %s.%s",
                     CFG_SWARM_CHOICES, k->section, k->name);
            return -EINVAL;
        }
        memcpy(kb->choices[kb->nchoices++], name, strlen(name) + 1);
        if (!bar) {
            return 0;
        }
        p = bar + 1;
    }
}

/* "faults = site, site, ..." into sw. */
static int swarm_sites(const struct cfg *c, const char *value,
                       struct cfg_swarm *sw, char *msg, size_t msglen)
{
    char buf[CFG_STR_MAX + 1];
    char q[QBUF];
    char sites[CFG_MSG_MAX / 2];
    size_t len = strlen(value);
    char *p = buf;

    sw->nsites = 0;
    if (len > CFG_STR_MAX) {
        snprintf(msg, msglen, "faults is %zu bytes long; the limit is %d",
                 len, CFG_STR_MAX);
        return -EINVAL;
    }
    memcpy(buf, value, len + 1);
    if (!*trim_in_place(buf)) {
        return 0;
    }
    for (;;) {
        char *comma = strchr(p, ',');
        int site;

        if (comma) {
            *comma = '\0';
        }
        p = trim_in_place(p);
        site = plat_fault_site_lookup(p);
        if (site < 0 || site >= PLAT_FAULT_NR) {
            join_choices(c->fk.site_choices, "|", sites, sizeof(sites));
            snprintf(msg, msglen, "%s '%s' in faults (one of %s)",
                     *p ? "unknown fault site" : "empty fault site name",
                     quote(q, sizeof(q), p), sites);
            return -EINVAL;
        }
        if (check_reach(c, (unsigned)site, "[swarm] faults", msg,
                        msglen) < 0) {
            return -EINVAL;
        }
        for (unsigned i = 0; i < sw->nsites; i++) {
            if (sw->site[i] == (unsigned)site) {
                snprintf(msg, msglen, "fault site '%s' is listed twice in "
                         "faults", p);
                return -EINVAL;
            }
        }
        if (sw->nsites == CFG_SWARM_SITES) {
            snprintf(msg, msglen, "more than %d sites in faults",
                     CFG_SWARM_SITES);
            return -EINVAL;
        }
        sw->site[sw->nsites++] = (unsigned)site;
        if (!comma) {
            return 0;
        }
        p = comma + 1;
    }
}

/* A key line of [swarm]; message body into msg on error. */
static int swarm_key(struct load *ld, const char *name, const char *value,
                     char *msg, size_t msglen)
{
    static const struct cfg_key rate_key = {
        "swarm", "fault_rate", CFG_DOUBLE, "0", 0, 1, NULL, "",
    };
    struct cfg *c = ld->c;
    struct cfg_swarm *sw = &c->swarm;
    struct cfg_swarm_knob kb;
    char key[CFG_STR_MAX + 1];
    char q[QBUF];
    char *dot;
    long idx;
    unsigned slot;
    int rc;

    if (!c->swarm_origin || strcmp(c->swarm_origin, ld->origin) != 0) {
        char *o = strdup(ld->origin);

        if (!o) {
            snprintf(msg, msglen, "out of memory");
            return -ENOMEM;
        }
        free(c->swarm_origin);
        c->swarm_origin = o;
        sw->origin = o;
    }
    memset(&kb, 0, sizeof(kb));
    if (strcmp(name, "faults") == 0 || strcmp(name, "fault_rate") == 0) {
        bool sites = name[5] == 's';
        unsigned first = sites ? sw->faults_line : sw->rate_line;
        struct cfg_swarm tmp = *sw;

        if ((sites ? c->faults_load : c->rate_load) == ld->load) {
            snprintf(msg, msglen, "key '%s' set twice (first at line %u)",
                     name, first);
            return -EINVAL;
        }
        if (sites) {
            rc = swarm_sites(c, value, &tmp, msg, msglen);
        } else {
            rc = swarm_range(&rate_key, value, &kb, msg, msglen);
        }
        if (rc < 0) {
            return rc;
        }
        if (sites) {
            memcpy(sw->site, tmp.site, sizeof(sw->site));
            sw->nsites = tmp.nsites;
            sw->faults_line = ld->line;
            c->faults_load = ld->load;
        } else {
            sw->rate_lo = kb.dlo;
            sw->rate_hi = kb.dhi;
            sw->rate_log = kb.log;
            sw->rate_line = ld->line;
            c->rate_load = ld->load;
        }
        return 0;
    }
    snprintf(key, sizeof(key), "%s", name);
    dot = strchr(key, '.');
    if (!dot) {
        snprintf(msg, msglen, "unknown key '%s' in section [swarm] "
                 "(faults, fault_rate or SECTION.KEY = LO..HI)",
                 quote(q, sizeof(q), name));
        return -EINVAL;
    }
    *dot = '\0';
    if (swarm_section_refused(key)) {
        snprintf(msg, msglen, "[swarm] does not vary keys of [%s]%s",
                 quote(q, sizeof(q), key), strcmp(key, "faults") == 0
                 ? " (fault sites go in faults = and their rates in "
                   "fault_rate =)" : "");
        return -EINVAL;
    }
    idx = section_known(c, key) ? find_key(c, key, dot + 1) : -1;
    if (idx < 0) {
        snprintf(msg, msglen, "unknown key '%s' in section [swarm] (no "
                 "such key in this scenario)", quote(q, sizeof(q), name));
        return -EINVAL;
    }
    kb.section = c->keys[idx]->section;
    kb.name = c->keys[idx]->name;
    kb.type = c->keys[idx]->type;
    kb.line = ld->line;
    for (slot = 0; slot < sw->nknobs; slot++) {
        if (strcmp(sw->knob[slot].section, kb.section) == 0 &&
            strcmp(sw->knob[slot].name, kb.name) == 0) {
            break;
        }
    }
    if (slot < sw->nknobs && c->knob_load[slot] == ld->load) {
        snprintf(msg, msglen, "key '%s' set twice (first at line %u)",
                 quote(q, sizeof(q), name), sw->knob[slot].line);
        return -EINVAL;
    }
    if (slot == CFG_SWARM_MAX) {
        snprintf(msg, msglen, "more than %d ranges in [swarm]",
                 CFG_SWARM_MAX);
        return -EINVAL;
    }
    if (kb.type == CFG_STRING) {
        snprintf(msg, msglen, "%s.%s is a string; [swarm] varies integers, "
                 "numbers, booleans and enums", kb.section, kb.name);
        rc = -EINVAL;
    } else if (kb.type == CFG_BOOL || kb.type == CFG_ENUM ||
               (strchr(value, '|') && !strstr(value, ".."))) {
        rc = swarm_choices(c->keys[idx], value, &kb, msg, msglen);
    } else {
        rc = swarm_range(c->keys[idx], value, &kb, msg, msglen);
    }
    if (rc < 0) {
        return rc;
    }
    sw->knob[slot] = kb;
    c->knob_load[slot] = ld->load;
    if (slot == sw->nknobs) {
        sw->nknobs++;
    }
    return 0;
}

/* ini_handler: one key line (or a continuation line). */
static int on_key(void *user, const char *section, const char *name,
                  const char *value)
{
    struct load *ld = user;
    struct cfg *c = ld->c;
    char msg[CFG_MSG_MAX];
    char q[QBUF];
    char q2[QBUF];
    long idx;
    int rc;

    if (ld->failed) {
        return 0;
    }
    if (ld->cont) {
        snprintf(msg, sizeof(msg),
                 "indented line continues the value of '%s' from line %u; "
                 "multi-line values are not supported",
                 quote(q, sizeof(q), name), ld->key_line);
        load_fail(ld, -EINVAL, msg);
        return 0;
    }
    ld->in_key = name[0] != '\0';
    ld->key_line = ld->line;
    if (section[0] == '\0') {
        load_fail(ld, -EINVAL, "text before any section");
        return 0;
    }
    if (!c) {
        return on_driver(ld, section, name, value);
    }
    if (strcmp(section, "swarm") == 0) {
        rc = swarm_key(ld, name, value, msg, sizeof(msg));
        if (rc < 0) {
            load_fail(ld, rc, msg);
            return 0;
        }
        return 1;
    }
    if (!section_known(c, section)) {
        unknown_section_msg(c, section, msg, sizeof(msg));
        load_fail(ld, -EINVAL, msg);
        return 0;
    }
    idx = find_key(c, section, name);
    if (idx < 0) {
        snprintf(msg, sizeof(msg), "unknown key '%s' in section [%s]",
                 quote(q, sizeof(q), name), quote(q2, sizeof(q2), section));
        load_fail(ld, -EINVAL, msg);
        return 0;
    }
    if (c->vals[idx].load == ld->load) {
        snprintf(msg, sizeof(msg), "key '%s' set twice (first at line %u)",
                 name, c->vals[idx].line);
        load_fail(ld, -EINVAL, msg);
        return 0;
    }
    rc = apply(c, (size_t)idx, value, ld->origin, ld->line, ld->load, msg,
               sizeof(msg));
    if (rc < 0) {
        load_fail(ld, rc, msg);
        return 0;
    }
    return 1;
}

/* Report inih's syntax error at `line` of the text. */
static void syntax_error(struct load *ld, unsigned line)
{
    const char *s = ld->text;
    char buf[CFG_QUOTE_MAX + 2]; /* one more than quote() keeps */
    char q[QBUF];
    size_t n = 0;

    for (unsigned l = 1; l < line && *s; l++) {
        const char *nl = strchr(s, '\n');

        s = nl ? nl + 1 : s + strlen(s);
    }
    s = skip_bom(s, line);
    while (*s && *s != '\n' && isspace((unsigned char)*s)) {
        s++;
    }
    while (s[n] && s[n] != '\n' && s[n] != '\r' && n < sizeof(buf) - 1) {
        buf[n] = s[n];
        n++;
    }
    while (n > 0 && isspace((unsigned char)buf[n - 1])) {
        n--;
    }
    buf[n] = '\0';
    ld->failed = true;
    ld->err_code = -EINVAL;
    ld->err_line = line;
    if (buf[0] == '[') {
        report(ld->err, ld->errlen, ld->origin, line,
               "section header '%s' has no closing ']'",
               quote(q, sizeof(q), buf));
    } else {
        report(ld->err, ld->errlen, ld->origin, line,
               "'%s' is not key=value or [section]",
               quote(q, sizeof(q), buf));
    }
}

/* Run inih over ld->text; returns 0 or the error code, message in err. */
static int run_parse(struct load *ld)
{
    int r = ini_parse_stream(read_line, ld, on_key, ld);

    if (r > 0 && (!ld->failed || (unsigned)r < ld->err_line)) {
        syntax_error(ld, (unsigned)r);
    } else if (r < 0 && !ld->failed) {
        ld->failed = true;
        ld->err_code = -ENOMEM;
        report(ld->err, ld->errlen, ld->origin, ld->line, "out of memory");
    }
    return ld->failed ? ld->err_code : 0;
}

/* nth_site and nth set in this load must come together (see the top). */
static int check_nth(struct cfg *c, const struct load *ld)
{
    const struct cfg_val *site = &c->vals[c->nth_site_idx];
    const struct cfg_val *nth = &c->vals[c->nth_idx];
    bool site_set = site->load == ld->load;
    bool nth_set = nth->load == ld->load;

    if (nth_set && site->choice < 0) {
        unsigned line = nth->line;

        if (site_set && site->line > line) {
            line = site->line;
        }
        report(ld->err, ld->errlen, ld->origin, line,
               "faults.nth = %" PRId64 " needs faults.nth_site (the fault "
               "site whose nth call fails)", nth->i);
        return -EINVAL;
    }
    if (site_set && site->choice >= 0 && !nth_set) {
        report(ld->err, ld->errlen, ld->origin, site->line,
               "faults.nth_site = %s needs faults.nth (which call fails, "
               "1 = the first)", c->fk.site_choices[site->choice]);
        return -EINVAL;
    }
    return 0;
}

static void load_init(struct load *ld, struct cfg *c, const char *origin,
                      const char *text, char *err, size_t errlen)
{
    memset(ld, 0, sizeof(*ld));
    ld->c = c;
    ld->origin = origin ? origin : "-";
    ld->text = text ? text : "";
    ld->pos = ld->text;
    ld->err = err;
    ld->errlen = errlen;
    if (err && errlen > 0) {
        err[0] = '\0';
    }
}

int cfg_load_text(struct cfg *c, const char *origin, const char *text,
                  char *err, size_t errlen)
{
    struct load ld;
    int rc;

    load_init(&ld, c, origin, text, err, errlen);
    ld.load = ++c->loads;
    rc = run_parse(&ld);
    if (rc < 0) {
        return rc;
    }
    return check_nth(c, &ld);
}

int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    rc = scn_load_file(path, SCN_SCENARIO_FILE_MAX, true, &buf, &len, err,
                       errlen);
    if (rc < 0) {
        return rc == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    rc = cfg_load_text(c, path, buf, err, errlen);
    free(buf);
    return rc;
}

/* [start, end) without surrounding white space, as a new string. */
static char *dup_trimmed(const char *start, const char *end)
{
    char *s;

    while (start < end && isspace((unsigned char)*start)) {
        start++;
    }
    while (end > start && isspace((unsigned char)end[-1])) {
        end--;
    }
    s = malloc((size_t)(end - start) + 1);
    if (s) {
        memcpy(s, start, (size_t)(end - start));
        s[end - start] = '\0';
    }
    return s;
}

/* Index of the key named by "section.key" or a unique bare "key"; -1 with
 * the message in msg. */
static long resolve_key(const struct cfg *c, char *lhs, char *msg,
                        size_t msglen)
{
    char q[QBUF];
    char q2[QBUF];
    char *dot = strchr(lhs, '.');
    long found = -1;
    size_t count = 0;
    int n;

    if (dot) {
        long idx;

        *dot = '\0';
        if (strcmp(lhs, "swarm") == 0) {
            snprintf(msg, msglen, "[swarm] ranges come from the scenario "
                     "file; an override cannot change them");
            return -1;
        }
        if (!section_known(c, lhs)) {
            unknown_section_msg(c, lhs, msg, msglen);
            return -1;
        }
        idx = find_key(c, lhs, dot + 1);
        if (idx < 0) {
            snprintf(msg, msglen, "unknown key '%s' in section [%s]",
                     quote(q, sizeof(q), dot + 1), quote(q2, sizeof(q2), lhs));
        }
        return idx;
    }
    for (size_t i = 0; i < c->nkeys; i++) {
        if (strcmp(c->keys[i]->name, lhs) == 0) {
            found = (long)i;
            count++;
        }
    }
    if (count == 1) {
        return found;
    }
    if (count == 0) {
        snprintf(msg, msglen, "unknown key '%s'", quote(q, sizeof(q), lhs));
        return -1;
    }
    n = snprintf(msg, msglen, "key '%s' is ambiguous, write one of:", lhs);
    for (size_t i = 0; i < c->nkeys && n >= 0 && (size_t)n < msglen; i++) {
        if (strcmp(c->keys[i]->name, lhs) == 0) {
            n += snprintf(msg + n, msglen - (size_t)n, " %s.%s",
                          c->keys[i]->section, lhs);
        }
    }
    return -1;
}

int cfg_set(struct cfg *c, const char *assignment, unsigned index,
            char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    char msg[CFG_MSG_MAX];
    char q[QBUF];
    char *lhs;
    char *value;
    long idx;
    int rc;

    if (err && errlen > 0) {
        err[0] = '\0';
    }
    if (!eq) {
        report(err, errlen, "--set", index,
               "'%s' is not key=value or section.key=value",
               quote(q, sizeof(q), assignment));
        return -EINVAL;
    }
    lhs = dup_trimmed(assignment, eq);
    value = dup_trimmed(eq + 1, eq + 1 + strlen(eq + 1));
    if (!lhs || !value) {
        report(err, errlen, "--set", index, "out of memory");
        free(lhs);
        free(value);
        return -ENOMEM;
    }
    rc = -EINVAL;
    idx = resolve_key(c, lhs, msg, sizeof(msg));
    if (idx >= 0) {
        rc = apply(c, (size_t)idx, value, "--set", index, ++c->loads, msg,
                   sizeof(msg));
    }
    if (rc < 0) {
        report(err, errlen, "--set", index, "%s", msg);
    }
    free(lhs);
    free(value);
    return rc < 0 ? rc : 0;
}

int cfg_peek_driver(const char *origin, const char *text, char *out,
                    size_t outlen, char *err, size_t errlen)
{
    struct load ld;
    int rc;

    if (out && outlen > 0) {
        out[0] = '\0';
    }
    load_init(&ld, NULL, origin, text, err, errlen);
    rc = run_parse(&ld);
    if (rc < 0) {
        return rc;
    }
    if (ld.driver_line == 0) {
        report(err, errlen, ld.origin, 0, "no [scenario] driver = NAME");
        return -EINVAL;
    }
    if (!out || strlen(ld.driver) >= outlen) {
        char q[QBUF];

        report(err, errlen, ld.origin, ld.driver_line,
               "driver name '%s' is longer than %zu bytes",
               quote(q, sizeof(q), ld.driver), outlen ? outlen - 1 : 0);
        return -EINVAL;
    }
    memcpy(out, ld.driver, strlen(ld.driver) + 1);
    return 0;
}

/* ---- getters ---- */

const struct cfg_swarm *cfg_swarm(const struct cfg *c)
{
    return &c->swarm;
}

int cfg_swarm_apply(struct cfg *c, const char *section, const char *name,
                    const char *text, unsigned line, char *err,
                    size_t errlen)
{
    const char *origin = c->swarm.origin ? c->swarm.origin : "[swarm]";
    long idx = find_key(c, section, name);
    const char *where;
    char msg[CFG_MSG_MAX];
    int rc;

    if (idx < 0) {
        report(err, errlen, origin, line, "unknown key %s.%s", section,
               name);
        return -EINVAL;
    }
    where = c->vals[idx].where;
    if (where && strncmp(where, "--set:", 6) == 0) {
        return 1;
    }
    rc = apply(c, (size_t)idx, text, origin, line, ++c->loads, msg,
               sizeof(msg));
    if (rc < 0) {
        report(err, errlen, origin, line, "%s", msg);
    }
    return rc;
}

/* The value of a declared key of type t (or t2); NULL and a line on stderr
 * for a programming error. */
static const struct cfg_val *lookup(const struct cfg *c, const char *fn,
                                    const char *section, const char *name,
                                    enum cfg_type t, enum cfg_type t2)
{
    long idx = find_key(c, section, name);

    if (idx < 0) {
        fprintf(stderr, "kvmsim: %s(%s.%s): no table declares this key\n",
                fn, section, name);
        return NULL;
    }
    if (c->keys[idx]->type != t && c->keys[idx]->type != t2) {
        fprintf(stderr, "kvmsim: %s(%s.%s): the key has type %s\n", fn,
                section, name, type_name(c->keys[idx]->type));
        return NULL;
    }
    return &c->vals[idx];
}

int64_t cfg_int(const struct cfg *c, const char *section, const char *name)
{
    const struct cfg_val *v = lookup(c, "cfg_int", section, name, CFG_INT,
                                     CFG_INT);

    return v ? v->i : 0;
}

double cfg_double(const struct cfg *c, const char *section, const char *name)
{
    const struct cfg_val *v = lookup(c, "cfg_double", section, name,
                                     CFG_DOUBLE, CFG_DOUBLE);

    return v ? v->d : 0;
}

bool cfg_bool(const struct cfg *c, const char *section, const char *name)
{
    const struct cfg_val *v = lookup(c, "cfg_bool", section, name, CFG_BOOL,
                                     CFG_BOOL);

    return v ? v->b : false;
}

const char *cfg_str(const struct cfg *c, const char *section,
                    const char *name)
{
    const struct cfg_val *v = lookup(c, "cfg_str", section, name, CFG_STRING,
                                     CFG_ENUM);
    long idx;

    if (!v) {
        return "";
    }
    idx = v - c->vals;
    if (c->keys[idx]->type == CFG_ENUM) {
        return v->choice < 0 ? "" : c->keys[idx]->choices[v->choice];
    }
    return v->s;
}

const char *cfg_where(const struct cfg *c, const char *section,
                      const char *name)
{
    long idx = find_key(c, section, name);

    if (idx < 0) {
        fprintf(stderr, "kvmsim: cfg_where(%s.%s): no table declares this "
                "key\n", section, name);
        return "default";
    }
    return c->vals[idx].where ? c->vals[idx].where : "default";
}

double cfg_fault_prob(const struct cfg *c, unsigned site)
{
    if (site >= PLAT_FAULT_NR || c->fk.key_of_site[site] < 0) {
        return 0;
    }
    return c->vals[c->fault_base + (size_t)c->fk.key_of_site[site]].d;
}

void cfg_fault_nth(const struct cfg *c, int *site, uint64_t *n)
{
    const struct cfg_val *s = &c->vals[c->nth_site_idx];

    *site = -1;
    *n = (uint64_t)c->vals[c->nth_idx].i;
    if (s->choice >= 0) {
        *site = plat_fault_site_lookup(c->fk.site_choices[s->choice]);
    }
}

/* ---- output ---- */

void cfg_dump(const struct cfg *c, FILE *out)
{
    char buf[CFG_STR_MAX + 64];

    for (size_t i = 0; i < c->nkeys; i++) {
        format_value(c->keys[i], &c->vals[i], buf, sizeof(buf));
        fprintf(out, "%s.%s=%s\n", c->keys[i]->section, c->keys[i]->name,
                buf);
    }
}

/* Range or choices of k for the docs ("" when it has none). */
static void key_range(const struct cfg_key *k, bool markdown, char *buf,
                      size_t len)
{
    char lo[32];
    char hi[32];

    buf[0] = '\0';
    if (k->type == CFG_INT) {
        snprintf(buf, len, "[%" PRId64 ", %" PRId64 "]", int_bound(k->min),
                 int_bound(k->max));
    } else if (k->type == CFG_DOUBLE) {
        format_double(k->min, lo, sizeof(lo));
        format_double(k->max, hi, sizeof(hi));
        snprintf(buf, len, "[%s, %s]", lo, hi);
    } else if (k->type == CFG_ENUM) {
        if (markdown) {
            size_t n = (size_t)snprintf(buf, len, "`");

            join_choices(k->choices, "`, `", buf + n, len - n - 1);
            n = strlen(buf);
            snprintf(buf + n, len - n, "`");
        } else {
            join_choices(k->choices, "|", buf, len);
        }
    }
}

/* Text for a Markdown table cell: '|' escaped. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') {
            fputc('\\', out);
        }
        fputc(*s, out);
    }
}

static void print_key(FILE *out, const struct cfg_key *k, bool markdown)
{
    char range[CFG_MSG_MAX];
    const char *def = k->def ? k->def : "";

    key_range(k, markdown, range, sizeof(range));
    if (markdown) {
        fprintf(out, "| `%s` | %s | ", k->name, type_name(k->type));
        if (def[0]) {
            fprintf(out, "`%s`", def);
        } else {
            fprintf(out, "(empty)");
        }
        fprintf(out, " | ");
        md_cell(out, range);
        fprintf(out, " | ");
        md_cell(out, k->doc ? k->doc : "");
        fprintf(out, " |\n");
        return;
    }
    fprintf(out, "  %-14s %s", k->name, type_name(k->type));
    if (k->type == CFG_ENUM) {
        fprintf(out, ", one of %s", range);
    } else if (range[0]) {
        fprintf(out, " in %s", range);
    }
    fprintf(out, ", default %s\n", def[0] ? def : "\"\"");
    fprintf(out, "  %-14s %s\n", "", k->doc ? k->doc : "");
}

/* Keep only the [faults] keys of the sites in `sites` (and nth_site,
 * whose choices shrink to them, and nth); none at all when sites is 0. */
static void fault_keys_restrict(struct fault_keys *fk, uint32_t sites)
{
    size_t n = 0, nc = 0, end = fk->nkeys;

    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        fk->key_of_site[s] = -1;
    }
    if (sites == 0) {
        fk->keys[0] = fk->keys[end];
        fk->nkeys = 0;
        return;
    }
    for (size_t i = 0; i < fk->nth_site; i++) {
        int s = plat_fault_site_lookup(fk->keys[i].name);

        if (s >= 0 && s < PLAT_FAULT_NR && (sites & (1u << s))) {
            fk->key_of_site[s] = (int)n;
            fk->keys[n++] = fk->keys[i];
            fk->site_choices[nc++] = fk->keys[i].name;
        }
    }
    fk->site_choices[nc] = NULL;
    fk->keys[n] = fk->keys[fk->nth_site];
    fk->keys[n + 1] = fk->keys[fk->nth_site + 1];
    fk->nth_site = n;
    n += 2;
    fk->keys[n] = fk->keys[end];
    fk->nkeys = n;
}

void cfg_print_keys(FILE *out, const struct cfg_key *const *tables,
                    bool markdown, uint32_t faults)
{
    struct fault_keys fk;
    const struct cfg_key **keys;
    size_t n;

    fault_keys_build(&fk);
    if (faults != CFG_FAULTS_ALL) {
        fault_keys_restrict(&fk, faults);
    }
    n = collect_keys(tables, &fk, NULL);
    if (n == 0) {
        return;
    }
    keys = calloc(n, sizeof(*keys));
    if (!keys) {
        fprintf(stderr, "kvmsim: cfg_print_keys: out of memory\n");
        return;
    }
    collect_keys(tables, &fk, keys);
    /* Sections in order of first appearance, keys in table order. */
    for (size_t i = 0; i < n; i++) {
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++) {
            seen = strcmp(keys[j]->section, keys[i]->section) == 0;
        }
        if (seen) {
            continue;
        }
        if (markdown) {
            fprintf(out, "%s### [%s]\n\n", i ? "\n" : "", keys[i]->section);
            fprintf(out, "| Key | Type | Default | Range / choices "
                    "| Description |\n");
            fprintf(out, "|---|---|---|---|---|\n");
        } else {
            fprintf(out, "%s[%s]\n", i ? "\n" : "", keys[i]->section);
        }
        for (size_t j = i; j < n; j++) {
            if (strcmp(keys[j]->section, keys[i]->section) == 0) {
                print_key(out, keys[j], markdown);
            }
        }
    }
    free(keys);
}

void cfg_print_fault_sites(FILE *out, uint32_t sites, bool markdown)
{
    const char *sep = "";

    fputs(markdown ? "Fault sites it reaches (arming any other [faults] "
          "site is an error):" : "[faults] sites it reaches:", out);
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        if ((sites & (1u << s)) && plat_fault_site_name(s)) {
            fprintf(out, markdown ? "%s `%s`" : "%s %s", sep,
                    plat_fault_site_name(s));
            sep = ",";
        }
    }
    fputs(*sep ? "\n" : " none\n", out);
}
