/* A small program that uses libzmq's C API as any existing program would, built against the
 * installed zmq.h and run on libzmq-rs. It shows what works today; it grows as sockets land. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static void on_timer (int timer_id, void *arg)
{
    (void) timer_id;
    ++*(int *) arg;
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("libzmq API %d.%d.%d (libzmq-rs)\n", major, minor, patch);

    void *ctx = zmq_ctx_new ();
    zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2);
    printf ("context: %d I/O threads, up to %d sockets\n", zmq_ctx_get (ctx, ZMQ_IO_THREADS),
            zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS));

    zmq_msg_t big, copy;
    zmq_msg_init_size (&big, 1 << 20);
    memset (zmq_msg_data (&big), 'z', zmq_msg_size (&big));
    zmq_msg_init (&copy);
    zmq_msg_copy (&copy, &big);
    printf ("message: %zu bytes, copy shares the body: %s\n", zmq_msg_size (&copy),
            zmq_msg_data (&copy) == zmq_msg_data (&big) ? "yes" : "no");
    zmq_msg_close (&copy);
    zmq_msg_close (&big);

    const unsigned char key[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    printf ("z85: %s\n", zmq_z85_encode (text, key, sizeof key));

    int fired = 0;
    void *timers = zmq_timers_new ();
    zmq_timers_add (timers, 10, on_timer, &fired);
    while (fired < 3) {
        zmq_sleep (0);
        long wait_ms = zmq_timers_timeout (timers);
        if (wait_ms > 0) {
            void *watch = zmq_stopwatch_start ();
            while (zmq_stopwatch_intermediate (watch) < (unsigned long) wait_ms * 1000)
                ;
            zmq_stopwatch_stop (watch);
        }
        zmq_timers_execute (timers);
    }
    zmq_timers_destroy (&timers);
    printf ("timers: fired %d times\n", fired);

    printf ("zmq_has(\"draft\") = %d, zmq_has(\"ipc\") = %d\n", zmq_has ("draft"), zmq_has ("ipc"));

    /* REQ/REP over tcp on an ephemeral loopback port. */
    void *rep = zmq_socket (ctx, ZMQ_REP);
    void *req = zmq_socket (ctx, ZMQ_REQ);
    int timeout = 5000;
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    char endpoint[256];
    size_t endpoint_size = sizeof endpoint;
    if (zmq_bind (rep, "tcp://127.0.0.1:*") != 0
        || zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_size) != 0
        || zmq_connect (req, endpoint) != 0) {
        printf ("tcp setup failed: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    char buffer[32] = {0};
    zmq_send (req, "ping", 4, 0);
    if (zmq_recv (rep, buffer, sizeof buffer - 1, 0) != 4) {
        printf ("request lost: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_send (rep, "pong", 4, 0);
    memset (buffer, 0, sizeof buffer);
    if (zmq_recv (req, buffer, sizeof buffer - 1, 0) != 4) {
        printf ("reply lost: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    printf ("REQ/REP over %s: sent ping, got %s\n", endpoint, buffer);

    /* PUB/SUB over inproc with a topic filter. */
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    zmq_bind (pub, "inproc://demo");
    zmq_connect (sub, "inproc://demo");
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "weather", 7);
    zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_send (pub, "sports 1-0", 10, 0);
    zmq_send (pub, "weather sunny", 13, 0);
    memset (buffer, 0, sizeof buffer);
    zmq_recv (sub, buffer, sizeof buffer - 1, 0);
    printf ("PUB/SUB over inproc, subscribed to \"weather\": got \"%s\"\n", buffer);

    void *sockets[] = {rep, req, pub, sub};
    for (int i = 0; i < 4; i++)
        zmq_close (sockets[i]);
    return zmq_ctx_term (ctx);
}
