/*
 * scenarios/tool/config.h - scenario configuration: typed keys, INI files
 * (parsed with libinih) and --set overrides, with file:line errors.
 *
 * A scenario declares its keys in tables (struct cfg_key), together with the
 * common tables every scenario has (see cfg_common_keys).  Every key has a
 * type, a default, a range and a one-line doc; `kvmsim keys` prints them and
 * docs/KEYS.md is generated from them, so the tables are the one place where
 * keys are documented.
 *
 * Sections: [scenario] (driver, description), [run] (seed, variant, strategy,
 * ...), [vm], [workload], [faults], [invariants].  The [faults] section
 * accepts every fault site name of core/fault.h as a probability in [0, 1],
 * plus `nth_site` and `nth` for the nth-call mode; a site the scenario
 * never reaches may not be armed (cfg_fault_reach()).
 *
 * [swarm] declares what swarm testing (run.swarm, `kvmsim --swarm`) may
 * vary; it changes nothing by itself (see struct cfg_swarm):
 *     faults = alloc, kvm_irqfd      fault sites a seed may turn on
 *     fault_rate = 0.001..0.2 log    range of their rates (this default)
 *     workload.requests = 1..64      a numeric key: LO..HI, optionally
 *     workload.rate = 0.5..8 log       "log" (drawn log-uniformly)
 *     workload.transport = a|b       choices, for any key but a string
 *     workload.queue_size = 64|256     (a bool or enum key has only these)
 * Each bound or choice must be a valid value of its key (same messages as
 * the key itself); LO <= HI; "log" needs LO > 0.  The varied keys are
 * those of [vm], [workload] and the driver's own sections (not [scenario],
 * [run], [faults] or [invariants]); strings cannot vary.  A key or `faults`
 * or `fault_rate` given twice is an error, like any key.  --set cannot
 * change [swarm] lines.
 *
 * Errors: every function that parses input returns 0 or -EINVAL and writes
 * one message "ORIGIN:LINE: message" into err (ORIGIN is the file name, or
 * "--set" for an override, whose LINE is the override's position, 1-based).
 * Nothing here exits or aborts on bad input.
 */
#ifndef KVMSIM_SCN_CONFIG_H
#define KVMSIM_SCN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
    CFG_INT,    /* signed 64-bit integer, decimal or 0x hex, range [min,max] */
    CFG_DOUBLE, /* finite double, range [min, max] */
    CFG_BOOL,   /* true/false/on/off/yes/no/1/0 */
    CFG_STRING, /* any text up to 255 bytes */
    CFG_ENUM,   /* one of choices */
};

struct cfg_key {
    const char *section;
    const char *name;
    enum cfg_type type;
    const char *def;              /* default, as it would be written */
    double min, max;              /* CFG_INT and CFG_DOUBLE */
    const char *const *choices;   /* CFG_ENUM: NULL-terminated */
    const char *doc;              /* one line */
};

/* Tables end with an entry whose name is NULL. */
extern const struct cfg_key cfg_common_keys[];

struct cfg;

/* `tables` is a NULL-terminated array of key tables, borrowed for the life
 * of the cfg.  Every key starts at its default.  NULL on ENOMEM. */
struct cfg *cfg_create(const struct cfg_key *const *tables);
void cfg_destroy(struct cfg *c);

/* Load INI text.  Unknown sections or keys, bad values, values out of range
 * and duplicate keys are errors.  On error the cfg may hold some of the
 * file's values; callers discard it. */
int cfg_load_text(struct cfg *c, const char *origin, const char *text,
                  char *err, size_t errlen);
/* Same for a file; an unreadable file is "PATH:0: cannot read: strerror". */
int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen);
/* Apply one "key=value" or "section.key=value" override; a bare key must be
 * unique across sections.  `index` is its 1-based position on the command
 * line, reported as the line. */
int cfg_set(struct cfg *c, const char *assignment, unsigned index,
            char *err, size_t errlen);

/* The driver named by [scenario] driver = NAME in INI text, without a full
 * load (the driver decides which key tables apply).  -EINVAL with a message
 * when the text is malformed or names no driver. */
int cfg_peek_driver(const char *origin, const char *text, char *out,
                    size_t outlen, char *err, size_t errlen);

/* Typed getters.  Asking for a key that no table declares, or with the wrong
 * type, is a programming error: the getter returns 0/false/"" and the call
 * is reported once on stderr. */
int64_t cfg_int(const struct cfg *c, const char *section, const char *name);
double cfg_double(const struct cfg *c, const char *section, const char *name);
bool cfg_bool(const struct cfg *c, const char *section, const char *name);
const char *cfg_str(const struct cfg *c, const char *section,
                    const char *name);

/* "ORIGIN:LINE" where the key got its value, or "default".  For semantic
 * errors found after loading: fprintf(stderr, "%s: ...", cfg_where(...)). */
const char *cfg_where(const struct cfg *c, const char *section,
                      const char *name);

/* Every fault site, as a mask of bits 1u << enum plat_fault_site. */
#define CFG_FAULTS_ALL 0xffffffffu

/* The fault sites (bits 1u << site) the scenario's paths can reach, from
 * its driver (struct scn_driver's fault_sites); `who` names the driver in
 * messages.  Until called, every site is accepted.  Afterwards arming a
 * site outside `sites` -- a probability above 0, faults.nth_site naming
 * it, or [swarm] faults listing it -- is an error "ORIGIN:LINE: ..." like
 * a bad value: the fault would never be injected.  Setting such a site to
 * 0 (as cfg_dump() lines do) stays accepted.  Call before loading. */
void cfg_fault_reach(struct cfg *c, uint32_t sites, const char *who);

/* Fault settings from [faults]: per-site probability (0 when unset) and the
 * nth-call setting (site -1 when unset). */
double cfg_fault_prob(const struct cfg *c, unsigned site);
void cfg_fault_nth(const struct cfg *c, int *site, uint64_t *n);

#define CFG_SWARM_MAX 32      /* ranges in one [swarm] section */
#define CFG_SWARM_CHOICES 16  /* choices listed for one key */
#define CFG_SWARM_CHOICE_LEN 48 /* longest choice, with its NUL */
#define CFG_SWARM_SITES 32    /* fault sites listed in faults = */

/* One [swarm] range: the key it varies and the values it may take. */
struct cfg_swarm_knob {
    const char *section;      /* the key (names borrowed from its table) */
    const char *name;
    enum cfg_type type;
    int64_t ilo, ihi;         /* CFG_INT: inclusive range */
    double dlo, dhi;          /* CFG_DOUBLE: inclusive range */
    bool log;                 /* INT, DOUBLE: drawn log-uniformly */
    unsigned nchoices;        /* > 0: a|b|c, the values as the key's
                               * canonical text (then no range) */
    char choices[CFG_SWARM_CHOICES][CFG_SWARM_CHOICE_LEN];
    unsigned line;            /* its line in the scenario file */
};

/* The [swarm] section of the loaded text (empty when it has none). */
struct cfg_swarm {
    const char *origin;       /* file that declared it, or NULL */
    unsigned nsites;          /* faults = ..., in the order listed */
    unsigned site[CFG_SWARM_SITES];
    unsigned faults_line;     /* 0: no faults line */
    double rate_lo, rate_hi;  /* fault_rate, default 0.001..0.2 log */
    bool rate_log;
    unsigned rate_line;       /* 0: the default */
    unsigned nknobs;          /* ranges, in the order declared */
    struct cfg_swarm_knob knob[CFG_SWARM_MAX];
};

const struct cfg_swarm *cfg_swarm(const struct cfg *c);

/* Give section.name the value `text` chosen by swarm testing from the
 * range at `line` of the [swarm] section, which cfg_where() then reports.
 * 0; 1 when an override (--set) pinned the key, which keeps its value;
 * -EINVAL (message "ORIGIN:LINE: ..." in err) for a value the key
 * refuses, -ENOMEM. */
int cfg_swarm_apply(struct cfg *c, const char *section, const char *name,
                    const char *text, unsigned line, char *err,
                    size_t errlen);

/* Every key and value as "section.key=value" lines, in table order (used in
 * saved tapes and metrics so a run can be reproduced). */
void cfg_dump(const struct cfg *c, FILE *out);

/* Documentation of the keys: plain text, or a Markdown table per section.
 * The [faults] section follows the tables' keys with the sites in
 * `faults` (CFG_FAULTS_ALL: every site; 0: no [faults] section). */
void cfg_print_keys(FILE *out, const struct cfg_key *const *tables,
                    bool markdown, uint32_t faults);
/* One line naming the fault sites in `sites` (a driver's reach). */
void cfg_print_fault_sites(FILE *out, uint32_t sites, bool markdown);

#endif
