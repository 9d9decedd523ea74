/* Library bug found by pyzmq's test_retry_eintr.py::TestEINTRSysCall::test_retry_term.
 * A PUSH connected to an endpoint where nobody listens holds one unsent message; it is closed
 * with ZMQ_LINGER 250. libzmq's zmq_ctx_term then waits the 250 ms (the session keeps trying to
 * deliver); libzmq-rs returns at once and drops the message.
 *   cc linger_absent_peer.c -lzmq && ./a.out                      (Debian: took 0.250 s, exit 0)
 *   LD_LIBRARY_PATH=build/prefix/lib ./a.out                       (ours: took 0.000 s, exit 1)
 * Cause (src/io/session.rs, schedule_reconnect): a session whose socket has closed gives up
 * (finish) as soon as a connection attempt fails, instead of retrying until ZMQ_LINGER expires
 * (libzmq keeps reconnecting while it lingers; with linger -1 its zmq_ctx_term waits forever). */
#include <zmq.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
int main(void) {
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int linger = 250;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(push, "tcp://127.0.0.1:5555"); /* nothing listens there */
    zmq_send(push, "ping", 4, 0);
    usleep(100000);
    zmq_close(push);
    double start = now();
    zmq_ctx_term(ctx);
    double took = now() - start;
    printf("zmq_ctx_term took %.3f s (libzmq: the 0.250 s linger)\n", took);
    return took >= 0.2 ? 0 : 1;
}
