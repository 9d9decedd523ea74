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
    printf ("zmq_socket before the socket runtime lands: %s\n",
            zmq_socket (ctx, ZMQ_PAIR) ? "created" : zmq_strerror (zmq_errno ()));
    return zmq_ctx_term (ctx);
}
