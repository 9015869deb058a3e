/*
 * scenarios/tool/json_out.h - the two JSON value writers the CLI's outputs
 * share (--metrics, compare --report): a string with JSON escapes, and a
 * number that is null when it is not finite.
 */
#ifndef KVMSIM_SCN_JSON_OUT_H
#define KVMSIM_SCN_JSON_OUT_H

#include <stdio.h>

/* "s" with quotes, backslashes and control characters escaped; NULL is
 * written as null. */
void scn_json_str(FILE *f, const char *s);
/* v with full precision; NaN and infinities as null. */
void scn_json_num(FILE *f, double v);

#endif
