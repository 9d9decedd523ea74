/*
 * socket_helpers.h: shared helpers of the socket C API tests: naming and opening sockets, setting
 * an int option, binding to a loopback port (test_sockopts.c, test_sockets.c, test_hostile.c,
 * test_zmtp_legacy.c, test_reconnect_stop.c, test_hiccup_msg.c, test_large_sends.c,
 * test_large_receives.c).
 */
#ifndef CAPI_TESTS_SOCKET_HELPERS_H
#define CAPI_TESTS_SOCKET_HELPERS_H

#include "check.h"
#include <zmq.h>

static inline const char *type_name (int type)
{
    static const char *names[] = {"PAIR",   "PUB",    "SUB",  "REQ",  "REP",  "DEALER",
                                  "ROUTER", "PULL",   "PUSH", "XPUB", "XSUB", "STREAM"};
    return type >= 0 && type < 12 ? names[type] : "?";
}

/* The socket types libzmq-rs may not implement yet: zmq_socket may fail with ENOTSUP. */
static inline int type_is_optional (int type)
{
    return type == ZMQ_PUB || type == ZMQ_SUB || type == ZMQ_XPUB || type == ZMQ_XSUB ||
           type == ZMQ_STREAM;
}

/* zmq_socket, or NULL: after marking the case skipped when an optional type fails with
 * ENOTSUP, after reporting a failure otherwise. The caller ends the case on NULL. */
static inline void *open_socket_at (const char *file, int line, void *ctx, int type)
{
    errno = 0;
    void *s = zmq_socket (ctx, type);
    if (s)
        return s;
    int en = errno;
    char m[256];
    snprintf (m, sizeof m, "zmq_socket (ZMQ_%s) returned NULL, errno %d (%s)", type_name (type),
              en, strerror (en));
    if (en == ENOTSUP && type_is_optional (type))
        check_skip (m);
    else
        check_report (file, line, m);
    return NULL;
}
#define open_socket(ctx, type) open_socket_at (__FILE__, __LINE__, ctx, type)

/* Sets an int option, recording a failure if zmq_setsockopt fails. */
static inline void set_int_option (void *s, int option, int value)
{
    CHECK_OK (zmq_setsockopt (s, option, &value, sizeof value));
}

/* Binds `s` to an ephemeral tcp port of 127.0.0.1; the endpoint in `endpoint`. */
static inline void bind_loopback (void *s, char *endpoint, size_t size)
{
    CHECK_OK (zmq_bind (s, "tcp://127.0.0.1:*"));
    CHECK_OK (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &size));
}

/* Closes the non-NULL sockets of a NULL-terminated list (for early exits). */
static inline void close_all (void *a, void *b, void *c, void *d)
{
    void *list[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        if (list[i])
            zmq_close (list[i]);
}

#endif
