/*
 * test_reconnect_stop.c: when a connecting socket gives up reconnecting (libzmq 4.3.5's draft
 * ZMQ_RECONNECT_STOP, with libzmq's tests/test_reconnect_options.cpp cases), and the monitor
 * events of failed connects.
 *   Failed tcp connect (any build): each attempt reports CONNECT_DELAYED, CLOSED, then
 *   CONNECT_RETRIED, as libzmq's tcp connecter does (checked against Debian's libzmq too);
 *   ZMQ_CONNECT_TIMEOUT ends an attempt that gets no answer (a listener whose accept queue is
 *   full) the same way; without it the attempt stays in progress. A failed ipc connect reports
 *   CLOSED then CONNECT_RETRIED (no CONNECT_DELAYED: a unix connect fails at once).
 *   _CONN_REFUSED: a refused connect ends with CLOSED and no retry.
 *   _HANDSHAKE_FAILED: a peer that never completes the ZMTP handshake (a STREAM socket, with
 *   ZMQ_HANDSHAKE_IVL running out) or that drops the connection mid-handshake gets
 *   HANDSHAKE_FAILED_NO_DETAIL, DISCONNECTED and no retry; without the flag the same peer is
 *   retried.
 *   _AFTER_DISCONNECT: once zmq_disconnect was called on the socket, an ipc connect that is
 *   refused (a socket file nobody listens on) is not retried; without the flag it is.
 * Every wait is bounded (ZMQ_RCVTIMEO on the monitor).
 */
#include "check.h"
#include "socket_helpers.h"
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <zmq.h>

/* The next v1 event within `timeout_ms` (its type), or -1. */
static int next_event (void *monitor, int timeout_ms, uint32_t *value)
{
    zmq_setsockopt (monitor, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, monitor, 0) < 0) {
        zmq_msg_close (&frame);
        return -1;
    }
    uint16_t event = 0;
    if (zmq_msg_size (&frame) == 6) {
        memcpy (&event, zmq_msg_data (&frame), 2);
        if (value)
            memcpy (value, (char *) zmq_msg_data (&frame) + 2, 4);
    }
    int more = zmq_msg_more (&frame);
    zmq_msg_close (&frame);
    if (more) {
        zmq_msg_init (&frame);
        zmq_msg_recv (&frame, monitor, 0);
        zmq_msg_close (&frame);
    }
    return event;
}

/* The events that arrive within the next `ms`, in order; returns how many (at most `max`). */
static int events_within (void *monitor, int ms, int *events, int max)
{
    int n = 0;
    void *watch = zmq_stopwatch_start ();
    for (;;) {
        long left = ms - (long) (zmq_stopwatch_intermediate (watch) / 1000);
        if (left <= 0)
            break;
        int event = next_event (monitor, (int) left, NULL);
        if (event < 0)
            break;
        if (n < max)
            events[n++] = event;
    }
    zmq_stopwatch_stop (watch);
    return n;
}

static int count_of (const int *events, int n, int event)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        count += events[i] == event;
    return count;
}

#define EXPECT_EVENT(monitor, event) CHECK_INT (next_event (monitor, 5000, NULL), event)

/* A socket of `type` with a monitor (returned in *monitor) watching all its events. */
static void *monitored (void *ctx, int type, const char *name, void **monitor)
{
    void *s = zmq_socket (ctx, type);
    CHECK (s != NULL);
    int zero = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero);
    CHECK_OK (zmq_socket_monitor (s, name, ZMQ_EVENT_ALL));
    *monitor = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_OK (zmq_connect (*monitor, name));
    return s;
}

static void close_linger0 (void *s)
{
    int zero = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (s);
}

/* A plain tcp socket bound to an ephemeral port of 127.0.0.1 (its address in *a), listening
 * with `backlog` unless that is negative; its "tcp://" endpoint in `endpoint`. */
static int loopback_tcp_socket (int backlog, struct sockaddr_in *a, char *endpoint, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    memset (a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (bind (fd, (struct sockaddr *) a, sizeof *a) == 0);
    if (backlog >= 0)
        CHECK (listen (fd, backlog) == 0);
    socklen_t len = sizeof *a;
    getsockname (fd, (struct sockaddr *) a, &len);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", ntohs (a->sin_port));
    return fd;
}

static void failed_tcp_connects_report_closed_then_retried (void)
{
    void *ctx = zmq_ctx_new ();
    void *mon;
    void *s = monitored (ctx, ZMQ_DEALER, "inproc://mon-refused", &mon);
    set_int_option (s, ZMQ_RECONNECT_IVL, 50);
    /* Bound, never listening: the port stays taken and connects to it are refused. */
    struct sockaddr_in a;
    char endpoint[64];
    int fd = loopback_tcp_socket (-1, &a, endpoint, sizeof endpoint);
    CHECK_OK (zmq_connect (s, endpoint));
    for (int attempt = 0; attempt < 3; attempt++) {
        EXPECT_EVENT (mon, ZMQ_EVENT_CONNECT_DELAYED);
        EXPECT_EVENT (mon, ZMQ_EVENT_CLOSED);
        EXPECT_EVENT (mon, ZMQ_EVENT_CONNECT_RETRIED);
    }
    close_linger0 (s);
    close_linger0 (mon);
    close (fd);
    zmq_ctx_term (ctx);
}

/* An ipc connect fails at once (no such file; an abstract name nobody binds): each attempt
 * reports CLOSED (the socket made for it, libzmq's value is that fd) then CONNECT_RETRIED. */
static void failed_ipc_connects_report_closed_then_retried (void)
{
    char missing[64];
    snprintf (missing, sizeof missing, "ipc:///tmp/zmq-recon-missing-%d", (int) getpid ());
    char abstract[64];
    snprintf (abstract, sizeof abstract, "ipc://@zmq-recon-missing-%d", (int) getpid ());
    const char *endpoints[] = {missing, abstract};
    for (int e = 0; e < 2; e++) {
        void *ctx = zmq_ctx_new ();
        void *mon;
        void *s = monitored (ctx, ZMQ_DEALER, "inproc://mon-ipc-refused", &mon);
        set_int_option (s, ZMQ_RECONNECT_IVL, 50);
        CHECK_OK (zmq_connect (s, endpoints[e]));
        for (int attempt = 0; attempt < 3; attempt++) {
            uint32_t fd = 0;
            CHECK_INT (next_event (mon, 5000, &fd), ZMQ_EVENT_CLOSED);
            CHECK (fd > 2 && fd < 65536);
            EXPECT_EVENT (mon, ZMQ_EVENT_CONNECT_RETRIED);
        }
        close_linger0 (s);
        close_linger0 (mon);
        zmq_ctx_term (ctx);
    }
}

/* A tcp listener whose accept queue is full (never accepted), so further SYNs go unanswered
 * and a connect to it stays in progress; the fds in fds[0..2], the endpoint in `endpoint`. */
static void unanswering_listener (int fds[3], char *endpoint, size_t size)
{
    struct sockaddr_in a;
    fds[0] = loopback_tcp_socket (0, &a, endpoint, size);
    for (int i = 1; i < 3; i++) {   /* fill the queue */
        fds[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect (fds[i], (struct sockaddr *) &a, sizeof a);
    }
    usleep (50 * 1000);
}

/* The events of a DEALER dialling an unanswering listener for 600 ms. */
static int events_dialling_unanswering_listener (int connect_timeout, int *events, int max)
{
    int fds[3];
    char endpoint[64];
    unanswering_listener (fds, endpoint, sizeof endpoint);
    void *ctx = zmq_ctx_new ();
    void *mon;
    void *s = monitored (ctx, ZMQ_DEALER, "inproc://mon-connect-timeout", &mon);
    set_int_option (s, ZMQ_RECONNECT_IVL, 50);
    set_int_option (s, ZMQ_CONNECT_TIMEOUT, connect_timeout);
    CHECK_OK (zmq_connect (s, endpoint));
    int n = events_within (mon, 600, events, max);
    close_linger0 (s);
    close_linger0 (mon);
    zmq_ctx_term (ctx);
    for (int i = 0; i < 3; i++)
        close (fds[i]);
    return n;
}

static void connect_timeout_reports_closed_then_retried (void)
{
    int events[64];
    int n = events_dialling_unanswering_listener (100, events, 64);
    CHECK (n >= 3);
    if (n >= 3) {
        CHECK_INT (events[0], ZMQ_EVENT_CONNECT_DELAYED);
        CHECK_INT (events[1], ZMQ_EVENT_CLOSED);
        CHECK_INT (events[2], ZMQ_EVENT_CONNECT_RETRIED);
    }
    CHECK_INT (count_of (events, n, ZMQ_EVENT_CONNECTED), 0);
}

static void without_connect_timeout_the_connect_stays_in_progress (void)
{
    int events[64];
    int n = events_dialling_unanswering_listener (0, events, 64);
    CHECK_INT (n, 1);
    CHECK_INT (events[0], ZMQ_EVENT_CONNECT_DELAYED);
}

#ifdef ZMQ_BUILD_DRAFT_API

/* Ends the case as skipped when ZMQ_RECONNECT_STOP could not be set (`failed`): allowed only
 * against a reference libzmq built without the draft API. */
#define SKIP_IF_NO_RECONNECT_STOP(failed)                                              \
    do {                                                                               \
        if (failed) {                                                                  \
            CHECK (check_is_baseline ());                                              \
            check_skip ("ZMQ_RECONNECT_STOP not supported (no draft API)");            \
            return;                                                                    \
        }                                                                              \
    } while (0)

/* Sets ZMQ_RECONNECT_STOP, or ends the case as skipped where the library has no draft API. */
#define SET_RECONNECT_STOP(s, flags)                                                   \
    do {                                                                               \
        int flags_ = (flags);                                                          \
        SKIP_IF_NO_RECONNECT_STOP (                                                    \
          zmq_setsockopt (s, ZMQ_RECONNECT_STOP, &flags_, sizeof flags_) != 0);        \
    } while (0)

/* libzmq's reconnect_stop_on_refused: the peer goes away, the next connect is refused. */
static void conn_refused_stops_with_closed (void)
{
    void *ctx = zmq_ctx_new ();
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    char endpoint[256];
    bind_loopback (pub, endpoint, sizeof endpoint);
    void *mon;
    void *sub = monitored (ctx, ZMQ_SUB, "inproc://mon-stop-refused", &mon);
    set_int_option (sub, ZMQ_RECONNECT_IVL, 20);
    SET_RECONNECT_STOP (sub, ZMQ_RECONNECT_STOP_CONN_REFUSED);
    CHECK_OK (zmq_connect (sub, endpoint));
    EXPECT_EVENT (mon, ZMQ_EVENT_CONNECT_DELAYED);
    EXPECT_EVENT (mon, ZMQ_EVENT_CONNECTED);
    EXPECT_EVENT (mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    close_linger0 (pub);
    EXPECT_EVENT (mon, ZMQ_EVENT_DISCONNECTED);
    EXPECT_EVENT (mon, ZMQ_EVENT_CONNECT_RETRIED);
    EXPECT_EVENT (mon, ZMQ_EVENT_CONNECT_DELAYED);
    EXPECT_EVENT (mon, ZMQ_EVENT_CLOSED);
    /* CLOSED is the last event: no retry (the interval is 20 ms). */
    CHECK_INT (next_event (mon, 500, NULL), -1);
    close_linger0 (sub);
    close_linger0 (mon);
    zmq_ctx_term (ctx);
}

/* A STREAM socket accepts the connection but never speaks ZMTP: ZMQ_HANDSHAKE_IVL runs out. */
static int handshake_timeout_events (int stop_flags, int *events, int max)
{
    void *ctx = zmq_ctx_new ();
    void *dummy = zmq_socket (ctx, ZMQ_STREAM);
    char endpoint[256];
    bind_loopback (dummy, endpoint, sizeof endpoint);
    void *mon;
    void *sub = monitored (ctx, ZMQ_SUB, "inproc://mon-stop-handshake", &mon);
    set_int_option (sub, ZMQ_HANDSHAKE_IVL, 200);
    set_int_option (sub, ZMQ_RECONNECT_IVL, 20);
    int flags = stop_flags;
    int n = -1;
    if (zmq_setsockopt (sub, ZMQ_RECONNECT_STOP, &flags, sizeof flags) == 0) {
        CHECK_OK (zmq_connect (sub, endpoint));
        n = events_within (mon, 800, events, max);
    }
    close_linger0 (sub);
    close_linger0 (dummy);
    close_linger0 (mon);
    zmq_ctx_term (ctx);
    return n;
}

static void handshake_failed_stops_after_handshake_timeout (void)
{
    int events[32];
    int n = handshake_timeout_events (ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED, events, 32);
    SKIP_IF_NO_RECONNECT_STOP (n < 0);
    CHECK_INT (n, 4);
    if (n >= 4) {
        CHECK_INT (events[0], ZMQ_EVENT_CONNECT_DELAYED);
        CHECK_INT (events[1], ZMQ_EVENT_CONNECTED);
        CHECK_INT (events[2], ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
        CHECK_INT (events[3], ZMQ_EVENT_DISCONNECTED);
    }
}

static void handshake_timeout_is_retried_without_the_flag (void)
{
    int events[64];
    int n = handshake_timeout_events (0, events, 64);
    SKIP_IF_NO_RECONNECT_STOP (n < 0);
    CHECK (count_of (events, n, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) >= 1);
    CHECK (count_of (events, n, ZMQ_EVENT_CONNECT_RETRIED) >= 1);
    CHECK (count_of (events, n, ZMQ_EVENT_CONNECTED) >= 2);
}

/* A plain tcp listener that accepts each connection and closes it at once. */
static void handshake_failed_stops_when_peer_drops_mid_handshake (void)
{
    struct sockaddr_in a;
    char endpoint[64];
    int listener = loopback_tcp_socket (16, &a, endpoint, sizeof endpoint);

    void *ctx = zmq_ctx_new ();
    void *mon;
    void *sub = monitored (ctx, ZMQ_SUB, "inproc://mon-stop-dropped", &mon);
    set_int_option (sub, ZMQ_RECONNECT_IVL, 20);
    SET_RECONNECT_STOP (sub, ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED);
    CHECK_OK (zmq_connect (sub, endpoint));
    int accepted = 0;
    for (int i = 0; i < 50; i++) {   /* accept everything for up to 500 ms */
        struct pollfd p = {listener, POLLIN, 0};
        if (poll (&p, 1, 10) == 1) {
            int c = accept (listener, NULL, NULL);
            if (c >= 0) {
                close (c);
                accepted++;
            }
        }
    }
    CHECK_INT (accepted, 1);
    int events[32];
    int n = events_within (mon, 200, events, 32);
    CHECK (n >= 4);
    if (n >= 4) {
        CHECK_INT (events[0], ZMQ_EVENT_CONNECT_DELAYED);
        CHECK_INT (events[1], ZMQ_EVENT_CONNECTED);
        CHECK_INT (events[2], ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
        CHECK_INT (events[3], ZMQ_EVENT_DISCONNECTED);
    }
    CHECK_INT (count_of (events, n, ZMQ_EVENT_CONNECT_RETRIED), 0);
    close_linger0 (sub);
    close_linger0 (mon);
    zmq_ctx_term (ctx);
    close (listener);
}

/* CONNECT_RETRIED events of a socket dialling an ipc file nobody listens on, in the 300 ms
 * after zmq_disconnect of another endpoint. */
static int ipc_retries_after_disconnect (int stop_flags)
{
    char path[108];
    snprintf (path, sizeof path, "/tmp/zmq-recon-stop-%d", (int) getpid ());
    unlink (path);
    int deaf = socket (AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un u;
    memset (&u, 0, sizeof u);
    u.sun_family = AF_UNIX;
    strcpy (u.sun_path, path);
    CHECK (bind (deaf, (struct sockaddr *) &u, sizeof u) == 0);   /* bound, never listening */

    void *ctx = zmq_ctx_new ();
    void *other = zmq_socket (ctx, ZMQ_ROUTER);
    char other_ep[256];
    bind_loopback (other, other_ep, sizeof other_ep);
    void *mon;
    void *s = monitored (ctx, ZMQ_DEALER, "inproc://mon-after-disconnect", &mon);
    set_int_option (s, ZMQ_RECONNECT_IVL, 20);
    int flags = stop_flags;
    if (zmq_setsockopt (s, ZMQ_RECONNECT_STOP, &flags, sizeof flags) != 0) {
        close_linger0 (s);
        close_linger0 (mon);
        close_linger0 (other);
        zmq_ctx_term (ctx);
        close (deaf);
        unlink (path);
        return -1;
    }
    char ipc_ep[160];
    snprintf (ipc_ep, sizeof ipc_ep, "ipc://%s", path);
    CHECK_OK (zmq_connect (s, other_ep));
    CHECK_OK (zmq_connect (s, ipc_ep));
    int events[256];
    int before = events_within (mon, 200, events, 256);
    CHECK (count_of (events, before, ZMQ_EVENT_CONNECT_RETRIED) >= 2);   /* retrying */
    CHECK_OK (zmq_disconnect (s, other_ep));
    events_within (mon, 100, events, 256);   /* the retry already scheduled may still run */
    int n = events_within (mon, 300, events, 256);
    int retries = count_of (events, n, ZMQ_EVENT_CONNECT_RETRIED);
    close_linger0 (s);
    close_linger0 (mon);
    close_linger0 (other);
    zmq_ctx_term (ctx);
    close (deaf);
    unlink (path);
    return retries;
}

static void after_disconnect_stops_refused_ipc_reconnects (void)
{
    int retries = ipc_retries_after_disconnect (ZMQ_RECONNECT_STOP_AFTER_DISCONNECT);
    SKIP_IF_NO_RECONNECT_STOP (retries < 0);
    CHECK_INT (retries, 0);
}

static void ipc_reconnects_go_on_after_disconnect_without_the_flag (void)
{
    int retries = ipc_retries_after_disconnect (0);
    SKIP_IF_NO_RECONNECT_STOP (retries < 0);
    CHECK (retries >= 2);
}

#endif

int main (void)
{
    RUN (failed_tcp_connects_report_closed_then_retried);
    RUN (failed_ipc_connects_report_closed_then_retried);
    RUN (connect_timeout_reports_closed_then_retried);
    RUN (without_connect_timeout_the_connect_stays_in_progress);
#ifdef ZMQ_BUILD_DRAFT_API
    RUN (conn_refused_stops_with_closed);
    RUN (handshake_failed_stops_after_handshake_timeout);
    RUN (handshake_timeout_is_retried_without_the_flag);
    RUN (handshake_failed_stops_when_peer_drops_mid_handshake);
    RUN (after_disconnect_stops_refused_ipc_reconnects);
    RUN (ipc_reconnects_go_on_after_disconnect_without_the_flag);
#endif
    return check_finish ();
}
