/*
 * test_hiccup_msg.c: libzmq 4.3.5's draft ZMQ_HICCUP_MSG (with libzmq's test_hiccup_msg.cpp case).
 *   A connecting CLIENT, DEALER or PEER receives its hiccup message when a connection whose
 *   handshake was done is lost (here: the peer closes); the connection is then re-established
 *   as usual (the new peer gets the hello message again).
 *   No hiccup for a connection that never finished its handshake, and none for socket types
 *   that do not take one (PAIR).
 * Every wait is bounded (ZMQ_RCVTIMEO).
 */
#include "check.h"
#include "socket_helpers.h"
#include <time.h>
#include <zmq.h>

#if defined(ZMQ_BUILD_DRAFT_API) && defined(ZMQ_HICCUP_MSG)

static void *socket_with_timeout (void *ctx, int type, int timeout_ms)
{
    void *s = zmq_socket (ctx, type);
    CHECK (s != NULL);
    int zero = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    return s;
}

/* Receives a message within the socket's timeout and compares it with `expected`. */
static void expect_string (void *s, const char *expected)
{
    char buf[64] = {0};
    int n = zmq_recv (s, buf, sizeof buf - 1, 0);
    CHECK_INT (n, (int) strlen (expected));
    if (n >= 0)
        CHECK_STR (buf, expected);
}

/* Sets the draft options, or ends the case as skipped where the library lacks them. */
#define SET_OR_SKIP(s, option, text)                                                   \
    do {                                                                               \
        if (zmq_setsockopt (s, option, text, strlen (text)) != 0) {                    \
            CHECK (check_is_baseline ());                                              \
            check_skip ("option not supported (libzmq before 4.3.5)");                 \
            return;                                                                    \
        }                                                                              \
    } while (0)

/* libzmq's case: CLIENT with HELLO and HICCUP, the SERVER goes away. */
static void client_gets_hiccup_when_server_closes (void)
{
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *server = socket_with_timeout (ctx, ZMQ_SERVER, 5000);
    bind_loopback (server, endpoint, sizeof endpoint);
    void *client = socket_with_timeout (ctx, ZMQ_CLIENT, 5000);
    SET_OR_SKIP (client, ZMQ_HELLO_MSG, "HELLO");
    SET_OR_SKIP (client, ZMQ_HICCUP_MSG, "HICCUP");
    CHECK_OK (zmq_connect (client, endpoint));
    expect_string (server, "HELLO");
    zmq_close (server);
    expect_string (client, "HICCUP");
    zmq_close (client);
    zmq_ctx_term (ctx);
}

/* A DEALER gets one hiccup per lost connection and reconnects to the next peer. */
static void dealer_gets_hiccup_and_reconnects (void)
{
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *router = socket_with_timeout (ctx, ZMQ_ROUTER, 5000);
    bind_loopback (router, endpoint, sizeof endpoint);
    void *dealer = socket_with_timeout (ctx, ZMQ_DEALER, 5000);
    int ivl = 20;
    zmq_setsockopt (dealer, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    SET_OR_SKIP (dealer, ZMQ_HELLO_MSG, "HELLO");
    SET_OR_SKIP (dealer, ZMQ_HICCUP_MSG, "HICCUP");
    CHECK_OK (zmq_connect (dealer, endpoint));
    char id[256];
    CHECK (zmq_recv (router, id, sizeof id, 0) > 0);
    expect_string (router, "HELLO");
    zmq_close (router);
    expect_string (dealer, "HICCUP");

    /* The same endpoint again: the dealer comes back and says hello anew. The old listener
     * closes asynchronously (in libzmq too), so the port may still be taken for a moment. */
    router = socket_with_timeout (ctx, ZMQ_ROUTER, 5000);
    int rc = -1;
    for (int tries = 0; tries < 100 && rc != 0; tries++) {
        rc = zmq_bind (router, endpoint);
        if (rc != 0 && zmq_errno () == EADDRINUSE) {
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep (&pause, NULL);
        } else
            break;
    }
    CHECK_OK (rc);
    CHECK (zmq_recv (router, id, sizeof id, 0) > 0);
    expect_string (router, "HELLO");
    zmq_close (router);
    expect_string (dealer, "HICCUP");
    /* Exactly one per lost connection. */
    int short_wait = 300;
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &short_wait, sizeof short_wait);
    char buf[16];
    CHECK_ERR (zmq_recv (dealer, buf, sizeof buf, 0), EAGAIN);
    zmq_close (dealer);
    zmq_ctx_term (ctx);
}

/* The peer (a STREAM socket) accepts but never speaks ZMTP; the handshake times out. */
static void no_hiccup_without_a_finished_handshake (void)
{
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *stream = socket_with_timeout (ctx, ZMQ_STREAM, 5000);
    bind_loopback (stream, endpoint, sizeof endpoint);
    void *dealer = socket_with_timeout (ctx, ZMQ_DEALER, 600);
    int ivl = 100;
    zmq_setsockopt (dealer, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl);
    SET_OR_SKIP (dealer, ZMQ_HICCUP_MSG, "HICCUP");
    CHECK_OK (zmq_connect (dealer, endpoint));
    char buf[16];
    CHECK_ERR (zmq_recv (dealer, buf, sizeof buf, 0), EAGAIN);
    zmq_close (dealer);
    zmq_close (stream);
    zmq_ctx_term (ctx);
}

static void pair_takes_no_hiccup (void)
{
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *bound = socket_with_timeout (ctx, ZMQ_PAIR, 5000);
    bind_loopback (bound, endpoint, sizeof endpoint);
    void *pair = socket_with_timeout (ctx, ZMQ_PAIR, 500);
    SET_OR_SKIP (pair, ZMQ_HICCUP_MSG, "HICCUP");
    CHECK_OK (zmq_connect (pair, endpoint));
    CHECK_INT (zmq_send (pair, "ping", 4, 0), 4);
    expect_string (bound, "ping");   /* the connection is up */
    zmq_close (bound);
    char buf[16];
    CHECK_ERR (zmq_recv (pair, buf, sizeof buf, 0), EAGAIN);
    zmq_close (pair);
    zmq_ctx_term (ctx);
}

#endif

int main (void)
{
#if defined(ZMQ_BUILD_DRAFT_API) && defined(ZMQ_HICCUP_MSG)
    RUN (client_gets_hiccup_when_server_closes);
    RUN (dealer_gets_hiccup_and_reconnects);
    RUN (no_hiccup_without_a_finished_handshake);
    RUN (pair_takes_no_hiccup);
#else
    SKIP_CASE (hiccup, "no ZMQ_HICCUP_MSG in this zmq.h (draft API of libzmq 4.3.5)");
#endif
    return check_finish ();
}
