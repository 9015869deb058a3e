/*
 * scenarios/tool/input.c - bounded file reading and strict number parsing
 * for everything a user hands kvmsim, and the output helpers the commands
 * share (see input.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenarios/tool/input.h"

static int fail(char *err, size_t errlen, int rc, const char *path,
                unsigned line, const char *msg)
{
    size_t n = strlen(path);
    /* A path too long for the message keeps its end (the file's name)
     * and the reason. */
    size_t keep = errlen > 160 ? errlen - 160 : errlen / 2;

    if (n > keep) {
        snprintf(err, errlen, "...%s:%u: cannot read: %s", path + n - keep,
                 line, msg);
    } else {
        snprintf(err, errlen, "%s:%u: cannot read: %s", path, line, msg);
    }
    return rc;
}

static const char *file_kind(mode_t m)
{
    if (S_ISCHR(m)) {
        return "a character device";
    }
    if (S_ISBLK(m)) {
        return "a block device";
    }
    if (S_ISSOCK(m)) {
        return "a socket";
    }
    return "not a regular file";
}

int scn_load_file(const char *path, size_t max, bool text, char **out,
                  size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int fd, rc = 0;

    *out = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        return fail(err, errlen, rc, path, 0, strerror(-rc));
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return fail(err, errlen, rc, path, 0, strerror(-rc));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(err, errlen, -EISDIR, path, 0, "is a directory");
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        char msg[96];

        close(fd);
        snprintf(msg, sizeof(msg), "%s, not a file", file_kind(st.st_mode));
        return fail(err, errlen, -ENODEV, path, 0, msg);
    }
    for (;;) {
        ssize_t got;

        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16384;
            char *nb;

            if (cap > max) {
                char msg[96];

                snprintf(msg, sizeof(msg), "larger than %zu bytes", max);
                rc = fail(err, errlen, -EFBIG, path, 0, msg);
                break;
            }
            if (ncap > max + 1) {
                ncap = max + 1;
            }
            nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = fail(err, errlen, -ENOMEM, path, 0, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            rc = -errno;
            fail(err, errlen, rc, path, 0, strerror(-rc));
            break;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
        if (n > max) {
            char msg[96];

            snprintf(msg, sizeof(msg), "larger than %zu bytes", max);
            rc = fail(err, errlen, -EFBIG, path, 0, msg);
            break;
        }
    }
    close(fd);
    if (rc == 0 && !buf) {
        buf = malloc(1);
        if (!buf) {
            rc = fail(err, errlen, -ENOMEM, path, 0, "out of memory");
        }
    }
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    if (text && strlen(buf) != n) {
        unsigned line = 1;

        for (const char *p = buf; *p; p++) {
            line += *p == '\n';
        }
        snprintf(err, errlen, "%s:%u: NUL byte in the file", path, line);
        free(buf);
        return -EINVAL;
    }
    *out = buf;
    *len = n;
    return 0;
}

int scn_parse_i64(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = false, overflow = false;
    unsigned base = 10;
    uint64_t mag = 0, lim;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0') {
        return -EINVAL;
    }
    for (; *p; p++) {
        unsigned d;

        if (*p >= '0' && *p <= '9') {
            d = (unsigned)(*p - '0');
        } else if (base == 16 && *p >= 'a' && *p <= 'f') {
            d = (unsigned)(*p - 'a' + 10);
        } else if (base == 16 && *p >= 'A' && *p <= 'F') {
            d = (unsigned)(*p - 'A' + 10);
        } else {
            return -EINVAL;
        }
        if (mag > (UINT64_MAX - d) / base) {
            overflow = true;
        } else {
            mag = mag * base + d;
        }
    }
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (overflow || mag > lim) {
        return -ERANGE;
    }
    if (neg) {
        *out = mag == lim ? INT64_MIN : -(int64_t)mag;
    } else {
        *out = (int64_t)mag;
    }
    return 0;
}

int scn_parse_flag_u64(const char *cmd, const char *flag, const char *s,
                       uint64_t min, uint64_t max, uint64_t *out, char *err,
                       size_t errlen)
{
    int64_t v;
    int rc = scn_parse_i64(s, &v);

    if (rc == -EINVAL) {
        snprintf(err, errlen, "kvmsim: %s: %s: '%.64s%s' is not an integer",
                 cmd, flag, s, strlen(s) > 64 ? "..." : "");
        return -EINVAL;
    }
    if (rc == -ERANGE || v < 0 || (uint64_t)v < min || (uint64_t)v > max) {
        snprintf(err, errlen, "kvmsim: %s: %s: %.64s%s is out of range "
                 "[%" PRIu64 ", %" PRIu64 "]", cmd, flag, s,
                 strlen(s) > 64 ? "..." : "", min, max);
        return -EINVAL;
    }
    *out = (uint64_t)v;
    return 0;
}

int scn_make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    struct stat st;

    if (n == 0) {
        return -ENOENT;
    }
    if (n >= sizeof(path)) {
        return -ENAMETOOLONG;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char saved = path[i];

            path[i] = '\0';
            if (mkdir(path, 0777) < 0 && errno != EEXIST) {
                return -errno;
            }
            path[i] = saved;
        }
    }
    if (stat(path, &st) < 0) {
        return -errno;
    }
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

void scn_put_shell_arg(FILE *out, const char *arg)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789._-=/:,+@%";

    if (arg[0] && strspn(arg, safe) == strlen(arg)) {
        fputs(arg, out);
        return;
    }
    fputc('\'', out);
    for (; *arg; arg++) {
        if (*arg == '\'') {
            fputs("'\\''", out);
        } else {
            fputc(*arg, out);
        }
    }
    fputc('\'', out);
}

int scn_fclose_checked(FILE *f)
{
    int err = 0;

    errno = 0;
    if (fflush(f) != 0 || ferror(f)) {
        err = errno ? -errno : -EIO;
    }
    if (fclose(f) != 0 && !err) {
        err = errno ? -errno : -EIO;
    }
    return err;
}
