/*
 * test_large_sends.c: blocking sends of large messages over tcp and ipc, which libzmq-rs paces
 * (a send that leaves more than a few MiB not yet taken by the connection's I/O thread waits
 * briefly for it to take some), must keep libzmq's behaviour:
 *   - a peer that reads nothing does not slow the sender down per message: with no SNDHWM,
 *     4,000 sends of 16 KiB (64 MiB) into a connection whose peer stopped reading all return
 *     at once, as with libzmq (a sender waiting for such a peer at every send would take
 *     seconds);
 *   - every message arrives, whole and in order, when sender and receiver share one thread
 *     (the receiving I/O thread takes them up to its ZMQ_RCVHWM while the sender sends).
 * Every wait is bounded (ZMQ_SNDTIMEO / ZMQ_RCVTIMEO, the whole-run limit below).
 */
#include "check.h"
#include "socket_helpers.h"
#include <stdint.h>
#include <zmq.h>

/* A PUSH connected to a bound PULL over `transport` ("tcp" or "ipc"). */
static void push_pull (void *ctx, const char *transport, void **push, void **pull, int rcvhwm)
{
    *pull = zmq_socket (ctx, ZMQ_PULL);
    *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK (*pull && *push);
    set_int_option (*pull, ZMQ_RCVHWM, rcvhwm);
    set_int_option (*pull, ZMQ_RCVTIMEO, 5000);
    set_int_option (*push, ZMQ_SNDTIMEO, 5000);
    set_int_option (*pull, ZMQ_LINGER, 0);
    set_int_option (*push, ZMQ_LINGER, 0);
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_OK (zmq_bind (*pull, strcmp (transport, "tcp") == 0 ? "tcp://127.0.0.1:*" : "ipc://*"));
    CHECK_OK (zmq_getsockopt (*pull, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_OK (zmq_connect (*push, endpoint));
}

static void close_push_pull (void *ctx, void *push, void *pull)
{
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Sends `count` messages of `size` bytes, the first 4 bytes of each its number; how many went. */
static int send_numbered (void *push, int count, size_t size)
{
    for (int i = 0; i < count; i++) {
        zmq_msg_t msg;
        CHECK_OK (zmq_msg_init_size (&msg, size));
        memset (zmq_msg_data (&msg), (int) (i & 0xff), size);
        memcpy (zmq_msg_data (&msg), &i, sizeof i);
        if (zmq_msg_send (&msg, push, 0) != (int) size) {
            zmq_msg_close (&msg);
            return i;
        }
    }
    return count;
}

static void sends_to_a_peer_reading_nothing_go_at_once (const char *transport)
{
    void *ctx = zmq_ctx_new ();
    void *push, *pull;
    push_pull (ctx, transport, &push, &pull, 1);
    set_int_option (push, ZMQ_SNDHWM, 0);
    /* One message through, so the connection is up before the clock starts. */
    CHECK_INT (send_numbered (push, 1, 16), 1);
    zmq_msg_t first;
    zmq_msg_init (&first);
    CHECK_INT (zmq_msg_recv (&first, pull, 0), 16);
    zmq_msg_close (&first);

    long long start = now_ms ();
    CHECK_INT (send_numbered (push, 4000, 16 * 1024), 4000);
    long long elapsed = now_ms () - start;
    if (elapsed >= 2000)
        CHECK (!"4,000 sends of 16 KiB to a peer reading nothing took 2 s or more");
    close_push_pull (ctx, push, pull);
}

static void tcp_sends_to_a_peer_reading_nothing_go_at_once (void)
{
    sends_to_a_peer_reading_nothing_go_at_once ("tcp");
}

static void ipc_sends_to_a_peer_reading_nothing_go_at_once (void)
{
    sends_to_a_peer_reading_nothing_go_at_once ("ipc");
}

static void large_messages_arrive_whole_and_in_order (const char *transport)
{
    const int count = 600;
    const size_t size = 64 * 1024;
    void *ctx = zmq_ctx_new ();
    void *push, *pull;
    push_pull (ctx, transport, &push, &pull, 1000);
    CHECK_INT (send_numbered (push, count, size), count);
    for (int i = 0; i < count; i++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, pull, 0) != (int) size) {
            CHECK (!"a message did not arrive whole");
            zmq_msg_close (&msg);
            break;
        }
        const unsigned char *data = (const unsigned char *) zmq_msg_data (&msg);
        int number;
        memcpy (&number, data, sizeof number);
        CHECK_INT (number, i);
        CHECK_INT (data[size - 1], i & 0xff);
        zmq_msg_close (&msg);
        if (number != i)
            break;
    }
    close_push_pull (ctx, push, pull);
}

static void tcp_large_messages_arrive_whole_and_in_order (void)
{
    large_messages_arrive_whole_and_in_order ("tcp");
}

static void ipc_large_messages_arrive_whole_and_in_order (void)
{
    large_messages_arrive_whole_and_in_order ("ipc");
}

int main (void)
{
    RUN (tcp_sends_to_a_peer_reading_nothing_go_at_once);
    RUN (ipc_sends_to_a_peer_reading_nothing_go_at_once);
    RUN (tcp_large_messages_arrive_whole_and_in_order);
    RUN (ipc_large_messages_arrive_whole_and_in_order);
    return check_finish ();
}
