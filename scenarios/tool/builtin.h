/*
 * scenarios/tool/builtin.h - scenario files compiled into the kvmsim binary.
 *
 * The table is generated from the .ini files in scenarios/ by
 * scenarios/embed.cmake, so
 * `kvmsim run NAME` finds a built-in scenario from any directory.
 */
#ifndef KVMSIM_SCN_BUILTIN_H
#define KVMSIM_SCN_BUILTIN_H

struct scn_builtin_file {
    const char *name; /* file name without directory and .ini */
    const char *text; /* whole file */
};

/* Ends with an entry whose name is NULL. */
extern const struct scn_builtin_file scn_builtin_files[];

#endif
