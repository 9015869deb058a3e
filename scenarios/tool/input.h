/*
 * scenarios/tool/input.h - the one way kvmsim reads what a user hands it:
 * files (scenario files and tapes) and numbers (flag values and integer
 * keys).
 *
 * It also holds the small output helpers every command shares: mkdir -p,
 * shell quoting for printed commands, and a checked fclose.
 *
 * Files are read with a size cap, refused when they are directories or
 * devices, and (for text) refused when they hold a NUL byte.  Numbers are
 * parsed in full: a trailing character, an empty string, a fraction or an
 * exponent ("2.5", "1e10") is an error, and a value outside the caller's
 * range is an error before any conversion can truncate it.  Errors are
 * one message "PATH:LINE: message" (LINE 0 for the file as a whole) or
 * "FLAG: message" written into the caller's buffer; nothing here prints.
 */
#ifndef KVMSIM_SCN_INPUT_H
#define KVMSIM_SCN_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest scenario file and largest tape file kvmsim reads. */
#define SCN_SCENARIO_FILE_MAX (1u << 20)
#define SCN_TAPE_FILE_MAX (256u << 20)

/* Read the whole of `path` (a regular file or a pipe) into a new
 * NUL-terminated buffer (*out, freed by the caller; *len bytes before the
 * terminator).  `text`: refuse a NUL byte inside the file.  0, or a
 * negative errno with "PATH:LINE: message" in err: -ENOENT and friends
 * (strerror text), -EISDIR, -ENODEV for a device or socket, -EFBIG past
 * `max` bytes, -EINVAL for a NUL byte in text (LINE is its line), -ENOMEM. */
int scn_load_file(const char *path, size_t max, bool text, char **out,
                  size_t *len, char *err, size_t errlen);

/* Parse a signed 64-bit integer: optional '-', decimal digits or 0x hex,
 * nothing else.  0, -EINVAL (not an integer) or -ERANGE (does not fit). */
int scn_parse_i64(const char *s, int64_t *out);

/* Parse the value of `flag` as an integer in [min, max].  0, or -EINVAL
 * with "kvmsim: CMD: FLAG: message" in err. */
int scn_parse_flag_u64(const char *cmd, const char *flag, const char *s,
                       uint64_t min, uint64_t max, uint64_t *out, char *err,
                       size_t errlen);

/* mkdir -p: create dir and its missing parents; 0 when dir then is a
 * directory, else a negative errno (-ENOTDIR when it is something else). */
int scn_make_dirs(const char *dir);

/* Write arg to out as a POSIX shell reads it back (quoted when needed). */
void scn_put_shell_arg(FILE *out, const char *arg);

/* Flush and close f, which was written: 0, or the first error as a
 * negative errno (nothing printed). */
int scn_fclose_checked(FILE *f);

#endif
