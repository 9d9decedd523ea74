/*
 * check.h: the tiny assertion framework of the C API tests.
 *
 * A test case is a plain `static void name (void)` function. CHECK* macros record a failure
 * (file:line and the expression) and let the case keep running. RUN (name) runs a case in a
 * forked child, so a crash or abort in one case is reported as that case's failure and the
 * other cases still run. Each case prints exactly one line:
 *     PASS name
 *     FAIL name: file:line: expression      (further failed checks follow, indented)
 *     SKIP name: reason                     (not counted by the runner)
 * check_finish () returns the process exit status (0 when no case failed).
 *
 * ZMQ_BASELINE=1 in the environment means "running against the reference libzmq" (Debian's
 * 4.3.4): BASELINE_SKIP (reason) ends a case early there, for checks where libzmq itself
 * crashes or is known to differ from 4.3.5 and where this library deliberately returns an error.
 */
#ifndef CAPI_TESTS_CHECK_H
#define CAPI_TESTS_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds on the monotonic clock, for bounding and timing waits. */
static inline long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Per-process state. In the child running a case, failures go to check_fd (a pipe). */
static int check_fd = -1;
static int check_case_failures = 0;
static int check_skipped = 0;
static int check_total_failed = 0;
static int check_total_passed = 0;

static inline void check_report (const char *file, int line, const char *what)
{
    char buf[1024];
    int n = snprintf (buf, sizeof buf, "%s:%d: %s\n", file, line, what);
    if (n > (int) sizeof buf - 1)
        n = (int) sizeof buf - 1;
    check_case_failures++;
    if (check_fd >= 0) {
        if (write (check_fd, buf, (size_t) n) < 0) {
            /* nothing better to do */
        }
    } else
        fputs (buf, stdout);
}

#define CHECK(expr)                                                                    \
    do {                                                                               \
        if (!(expr))                                                                   \
            check_report (__FILE__, __LINE__, "CHECK (" #expr ")");                   \
    } while (0)

/* Integer equality, showing both values. */
#define CHECK_INT(actual, expected)                                                    \
    do {                                                                               \
        long long check_a_ = (long long) (actual), check_e_ = (long long) (expected);  \
        if (check_a_ != check_e_) {                                                    \
            char check_m_[512];                                                        \
            snprintf (check_m_, sizeof check_m_, "%s == %s: got %lld, expected %lld", \
                      #actual, #expected, check_a_, check_e_);                         \
            check_report (__FILE__, __LINE__, check_m_);                               \
        }                                                                              \
    } while (0)

/* String equality (NULL compares unequal to any string). */
#define CHECK_STR(actual, expected)                                                    \
    do {                                                                               \
        const char *check_a_ = (actual), *check_e_ = (expected);                       \
        if (!check_a_ || !check_e_ || strcmp (check_a_, check_e_) != 0) {              \
            char check_m_[768];                                                        \
            snprintf (check_m_, sizeof check_m_, "%s == \"%s\": got %s%s%s", #actual,  \
                      check_e_ ? check_e_ : "(null)", check_a_ ? "\"" : "",           \
                      check_a_ ? check_a_ : "NULL", check_a_ ? "\"" : "");            \
            check_report (__FILE__, __LINE__, check_m_);                               \
        }                                                                              \
    } while (0)

/* `call` must fail with -1 and set errno to `err`. */
#define CHECK_ERR(call, err)                                                           \
    do {                                                                               \
        errno = 0;                                                                     \
        long long check_rc_ = (long long) (call);                                      \
        int check_en_ = errno;                                                         \
        if (check_rc_ != -1 || check_en_ != (err)) {                                   \
            char check_m_[512];                                                        \
            snprintf (check_m_, sizeof check_m_,                                       \
                      "%s fails with %s: got rc %lld, errno %d (%s)", #call, #err,     \
                      check_rc_, check_en_, strerror (check_en_));                    \
            check_report (__FILE__, __LINE__, check_m_);                               \
        }                                                                              \
    } while (0)

/* `call` must return NULL and set errno to `err`. */
#define CHECK_NULL_ERR(call, err)                                                      \
    do {                                                                               \
        errno = 0;                                                                     \
        const void *check_p_ = (const void *) (call);                                  \
        int check_en_ = errno;                                                         \
        if (check_p_ != NULL || check_en_ != (err)) {                                  \
            char check_m_[512];                                                        \
            snprintf (check_m_, sizeof check_m_,                                       \
                      "%s fails with %s: got %s, errno %d (%s)", #call, #err,          \
                      check_p_ ? "non-NULL" : "NULL", check_en_, strerror (check_en_)); \
            check_report (__FILE__, __LINE__, check_m_);                               \
        }                                                                              \
    } while (0)

/* `call` must return 0 (printing errno otherwise). */
#define CHECK_OK(call)                                                                 \
    do {                                                                               \
        errno = 0;                                                                     \
        long long check_rc_ = (long long) (call);                                      \
        int check_en_ = errno;                                                         \
        if (check_rc_ != 0) {                                                          \
            char check_m_[512];                                                        \
            snprintf (check_m_, sizeof check_m_, "%s == 0: got %lld, errno %d (%s)",   \
                      #call, check_rc_, check_en_, strerror (check_en_));             \
            check_report (__FILE__, __LINE__, check_m_);                               \
        }                                                                              \
    } while (0)

static inline int check_is_baseline (void)
{
    const char *b = getenv ("ZMQ_BASELINE");
    return b && *b && strcmp (b, "0") != 0;
}

/* Inside a case: stop it here and report SKIP when running against the reference libzmq. */
#define BASELINE_SKIP(reason)                                                          \
    do {                                                                               \
        if (check_is_baseline ()) {                                                    \
            check_skip (reason);                                                       \
            return;                                                                    \
        }                                                                              \
    } while (0)

/* Marks the running case as skipped (the child tells the parent with exit status 77). */
static inline void check_skip (const char *reason)
{
    check_skipped = 1;
    if (check_fd >= 0) {
        if (write (check_fd, reason, strlen (reason)) < 0) {
        }
    }
}

static inline void check_run (const char *name, void (*fn) (void))
{
    int fds[2];
    if (pipe (fds) != 0) {
        printf ("FAIL %s: pipe: %s\n", name, strerror (errno));
        check_total_failed++;
        return;
    }
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid < 0) {
        printf ("FAIL %s: fork: %s\n", name, strerror (errno));
        check_total_failed++;
        return;
    }
    if (pid == 0) {
        close (fds[0]);
        check_fd = fds[1];
        check_case_failures = 0;
        fn ();
        fflush (stdout);
        _exit (check_skipped ? 77 : (check_case_failures ? 1 : 0));
    }
    close (fds[1]);
    /* Collect everything the child reported. */
    size_t cap = 4096, len = 0;
    char *out = (char *) malloc (cap);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            out = (char *) realloc (out, cap);
        }
        ssize_t n = read (fds[0], out + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    out[len] = '\0';
    close (fds[0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED (status) && WEXITSTATUS (status) == 77) {
        printf ("SKIP %s: %s\n", name, out);
    } else if (WIFEXITED (status) && WEXITSTATUS (status) == 0 && len == 0) {
        printf ("PASS %s\n", name);
        check_total_passed++;
    } else {
        char *nl = strchr (out, '\n');
        if (nl)
            *nl = '\0';
        if (len > 0)
            printf ("FAIL %s: %s\n", name, out);
        else if (WIFSIGNALED (status))
            printf ("FAIL %s: killed by signal %d (%s)\n", name, WTERMSIG (status),
                    strsignal (WTERMSIG (status)));
        else
            printf ("FAIL %s: exit status %d\n", name, WEXITSTATUS (status));
        /* The remaining failed checks, one per line, indented. */
        for (char *line = nl ? nl + 1 : NULL; line && *line;) {
            char *next = strchr (line, '\n');
            if (next)
                *next = '\0';
            printf ("    %s\n", line);
            line = next ? next + 1 : NULL;
        }
        if (len > 0 && WIFSIGNALED (status))
            printf ("    (then killed by signal %d: %s)\n", WTERMSIG (status),
                    strsignal (WTERMSIG (status)));
        check_total_failed++;
    }
    free (out);
    fflush (stdout);
}

#define RUN(name) check_run (#name, name)

/* For cases compiled out (e.g. draft API not exported by the library under test). */
#define SKIP_CASE(name, reason) printf ("SKIP %s: %s\n", #name, reason)

static inline int check_finish (void)
{
    fflush (stdout);
    return check_total_failed ? 1 : 0;
}

#endif
