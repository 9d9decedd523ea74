/*
 * test_monitor_v2.c: the draft monitor API (libzmq 4.3.5's zmq_socket_monitor_versioned and
 * zmq_socket_monitor_pipes_stats).
 *   Argument errors: monitor socket types other than PAIR/PUB/PUSH, unknown versions and
 *   version 1 with events above 16 bits are EINVAL; pipes_stats is EINVAL without a monitor
 *   asking for ZMQ_EVENT_PIPES_STATS and EAGAIN on a socket without pipes.
 *   Version 2 format: event id (u64), value count (u64), the values (u64), local address, remote
 *   address, as libzmq gives them over tcp: the connecter's CONNECTED names its own
 *   "tcp://127.0.0.1:<port>" and the endpoint, the listener's LISTENING (endpoint, ""), its
 *   ACCEPTED (endpoint, the client's address), MONITOR_STOPPED ("", ""). A PUSH monitor sink
 *   works too.
 *   ZMQ_EVENT_PIPES_STATS: one event per pipe with [outbound, inbound] queue counts; a receiver
 *   that reads nothing has its ZMQ_RCVHWM worth of messages inbound.
 * Every wait is bounded (ZMQ_RCVTIMEO, or a deadline loop).
 */
#include "check.h"
#include <stdint.h>
#include <zmq.h>

#ifdef ZMQ_BUILD_DRAFT_API

/* One version 2 event. */
typedef struct {
    uint64_t event;
    uint64_t count;
    uint64_t values[4];
    char local[256];
    char remote[256];
} event_v2;

static int recv_frame (void *monitor, void *buf, size_t size, int *more)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = zmq_msg_recv (&msg, monitor, 0);
    if (rc < 0) {
        zmq_msg_close (&msg);
        return -1;
    }
    size_t n = zmq_msg_size (&msg) < size ? zmq_msg_size (&msg) : size;
    memcpy (buf, zmq_msg_data (&msg), n);
    *more = zmq_msg_more (&msg);
    zmq_msg_close (&msg);
    return (int) n;
}

/* Receives one event (0), or -1 on timeout or a malformed event (reported). */
static int recv_event_v2 (void *monitor, event_v2 *ev)
{
    memset (ev, 0, sizeof *ev);
    int more = 0;
    if (recv_frame (monitor, &ev->event, 8, &more) != 8 || !more)
        return -1;
    if (recv_frame (monitor, &ev->count, 8, &more) != 8 || !more) {
        CHECK (!"value count frame");
        return -1;
    }
    for (uint64_t i = 0; i < ev->count; i++) {
        uint64_t value = 0;
        if (recv_frame (monitor, &value, 8, &more) != 8 || !more) {
            CHECK (!"value frame");
            return -1;
        }
        if (i < 4)
            ev->values[i] = value;
    }
    int n = recv_frame (monitor, ev->local, sizeof ev->local - 1, &more);
    if (n < 0 || !more) {
        CHECK (!"local address frame");
        return -1;
    }
    n = recv_frame (monitor, ev->remote, sizeof ev->remote - 1, &more);
    if (n < 0 || more) {
        CHECK (!"remote address is the last frame");
        return -1;
    }
    return 0;
}

/* A monitor reader of `type` connected to `endpoint`, with a receive timeout. */
static void *monitor_reader (void *ctx, int type, const char *endpoint)
{
    void *reader = zmq_socket (ctx, type);
    int timeout = 5000;
    zmq_setsockopt (reader, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    CHECK_OK (zmq_connect (reader, endpoint));
    return reader;
}

static void argument_errors (void)
{
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_ERR (zmq_socket_monitor_versioned (s, "inproc://m", 0, 2, ZMQ_CLIENT), EINVAL);
    CHECK_ERR (zmq_socket_monitor_versioned (s, "inproc://m", 0, 2, ZMQ_DEALER), EINVAL);
    CHECK_ERR (zmq_socket_monitor_versioned (s, "inproc://m", 0, 3, ZMQ_PAIR), EINVAL);
    CHECK_ERR (zmq_socket_monitor_versioned (s, "inproc://m", ZMQ_EVENT_PIPES_STATS, 1, ZMQ_PAIR),
               EINVAL);
    CHECK_ERR (zmq_socket_monitor_versioned (s, "tcp://127.0.0.1:*", 0, 2, ZMQ_PAIR),
               EPROTONOSUPPORT);
    CHECK_ERR (zmq_socket_monitor_pipes_stats (s), EINVAL);
    CHECK_OK (zmq_socket_monitor_versioned (s, "inproc://m", ZMQ_EVENT_CONNECTED, 2, ZMQ_PAIR));
    CHECK_ERR (zmq_socket_monitor_pipes_stats (s), EINVAL);
    CHECK_OK (zmq_socket_monitor_versioned (s, "inproc://m2", ZMQ_EVENT_PIPES_STATS, 2, ZMQ_PUB));
    CHECK_ERR (zmq_socket_monitor_pipes_stats (s), EAGAIN);
    CHECK_OK (zmq_socket_monitor_versioned (s, NULL, 0, 2, ZMQ_PAIR));
    zmq_close (s);
    zmq_ctx_term (ctx);
}

/* Client and server events over tcp, through a PAIR (client) and a PUSH (server) sink. */
static void version_2_events_over_tcp (void)
{
    void *ctx = zmq_ctx_new ();
    void *server = zmq_socket (ctx, ZMQ_DEALER);
    void *client = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_OK (zmq_socket_monitor_versioned (client, "inproc://client-mon", ZMQ_EVENT_ALL_V2, 2,
                                            ZMQ_PAIR));
    CHECK_OK (zmq_socket_monitor_versioned (server, "inproc://server-mon", ZMQ_EVENT_ALL_V2, 2,
                                            ZMQ_PUSH));
    void *client_mon = monitor_reader (ctx, ZMQ_PAIR, "inproc://client-mon");
    void *server_mon = monitor_reader (ctx, ZMQ_PULL, "inproc://server-mon");

    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_OK (zmq_bind (server, "tcp://127.0.0.1:*"));
    CHECK_OK (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_OK (zmq_connect (client, endpoint));
    CHECK_INT (zmq_send (client, "x", 1, 0), 1);
    char c;
    int timeout = 5000;
    zmq_setsockopt (server, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    CHECK_INT (zmq_recv (server, &c, 1, 0), 1);

    event_v2 ev;
    CHECK_OK (recv_event_v2 (client_mon, &ev));
    if (ev.event == ZMQ_EVENT_CONNECT_DELAYED) {
        CHECK_STR (ev.local, "");
        CHECK_STR (ev.remote, endpoint);
        CHECK_OK (recv_event_v2 (client_mon, &ev));
    }
    CHECK_INT (ev.event, ZMQ_EVENT_CONNECTED);
    CHECK_INT (ev.count, 1);
    CHECK_STR (ev.remote, endpoint);
    CHECK (strncmp (ev.local, "tcp://127.0.0.1:", 16) == 0);
    CHECK (strcmp (ev.local, endpoint) != 0);
    char client_local[256];
    strcpy (client_local, ev.local);
    CHECK_OK (recv_event_v2 (client_mon, &ev));
    CHECK_INT (ev.event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK_STR (ev.local, client_local);
    CHECK_STR (ev.remote, endpoint);

    CHECK_OK (recv_event_v2 (server_mon, &ev));
    CHECK_INT (ev.event, ZMQ_EVENT_LISTENING);
    CHECK_STR (ev.local, endpoint);
    CHECK_STR (ev.remote, "");
    CHECK_OK (recv_event_v2 (server_mon, &ev));
    CHECK_INT (ev.event, ZMQ_EVENT_ACCEPTED);
    CHECK_STR (ev.local, endpoint);
    CHECK_STR (ev.remote, client_local);
    CHECK_OK (recv_event_v2 (server_mon, &ev));
    CHECK_INT (ev.event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK_STR (ev.remote, client_local);

    int zero = 0;
    zmq_setsockopt (client, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (client);
    CHECK_OK (recv_event_v2 (client_mon, &ev));
    CHECK_INT (ev.event, ZMQ_EVENT_MONITOR_STOPPED);
    CHECK_STR (ev.local, "");
    CHECK_STR (ev.remote, "");
    zmq_close (client_mon);
    zmq_close (server_mon);
    zmq_close (server);
    zmq_ctx_term (ctx);
}

/* The next PIPES_STATS event for `s` (after asking for it), or -1. */
static int pipes_stats (void *s, void *mon, event_v2 *ev)
{
    uint32_t events;
    size_t size = sizeof events;
    zmq_getsockopt (s, ZMQ_EVENTS, &events, &size); /* takes in new pipes */
    if (zmq_socket_monitor_pipes_stats (s) != 0)
        return -1;
    return recv_event_v2 (mon, ev);
}

/* A PULL that reads nothing ends up with its ZMQ_RCVHWM of messages queued inbound; its pipe is
 * named by the connection's addresses (the PULL connected: local is its own tcp address). */
static void pipes_stats_counts_queued_messages (void)
{
    void *ctx = zmq_ctx_new ();
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    int hwm = 4;
    CHECK_OK (zmq_setsockopt (pull, ZMQ_RCVHWM, &hwm, sizeof hwm));
    CHECK_OK (zmq_socket_monitor_versioned (pull, "inproc://pull-mon", ZMQ_EVENT_PIPES_STATS, 2,
                                            ZMQ_PAIR));
    void *mon = monitor_reader (ctx, ZMQ_PAIR, "inproc://pull-mon");
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_OK (zmq_bind (push, "tcp://127.0.0.1:*"));
    CHECK_OK (zmq_getsockopt (push, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_OK (zmq_connect (pull, endpoint));
    for (int i = 0; i < 20; i++)
        CHECK_INT (zmq_send (push, "m", 1, 0), 1);

    event_v2 ev;
    int found = 0;
    for (int tries = 0; tries < 250 && !found; tries++) {
        if (pipes_stats (pull, mon, &ev) == 0 && ev.values[1] == (uint64_t) hwm)
            found = 1;
        else
            usleep (20 * 1000);
    }
    CHECK (found);
    CHECK_INT (ev.event, ZMQ_EVENT_PIPES_STATS);
    CHECK_INT (ev.count, 2);
    CHECK_INT (ev.values[0], 0);
    CHECK_INT (ev.values[1], hwm);
    CHECK (strncmp (ev.local, "tcp://127.0.0.1:", 16) == 0);
    CHECK_STR (ev.remote, endpoint);
    /* One event per pipe: nothing else is waiting. */
    int zero = 0;
    zmq_setsockopt (mon, ZMQ_RCVTIMEO, &zero, sizeof zero);
    CHECK_ERR (zmq_recv (mon, NULL, 0, 0), EAGAIN);

    zmq_setsockopt (push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (mon);
    zmq_close (pull);
    zmq_close (push);
    zmq_ctx_term (ctx);
}

#endif

int main (void)
{
#ifdef ZMQ_BUILD_DRAFT_API
    RUN (argument_errors);
    RUN (version_2_events_over_tcp);
    RUN (pipes_stats_counts_queued_messages);
#else
    SKIP_CASE (draft, "draft API not built");
#endif
    return check_finish ();
}
