/* Same library bug as linger_absent_peer.c, seen as message loss: a PUSH closed with
 * ZMQ_LINGER 3000 while its peer is not there yet still delivers its message under libzmq when
 * the peer binds 300 ms later (the session keeps reconnecting while it lingers); libzmq-rs's
 * session gives up on the first failed connection attempt after the close and the message is lost.
 *   cc linger_late_peer.c -lzmq -lpthread && ./a.out   (Debian: got rc=4, exit 0)
 *   LD_LIBRARY_PATH=build/prefix/lib ./a.out            (ours: got rc=-1, exit 1) */
#include <zmq.h>
#include <stdio.h>
#include <pthread.h>
#include <unistd.h>
static void *term_it(void *ctx) { zmq_ctx_term(ctx); return NULL; }
int main(void) {
    void *c1 = zmq_ctx_new(), *c2 = zmq_ctx_new();
    void *push = zmq_socket(c1, ZMQ_PUSH);
    int linger = 3000, ivl = 50;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(push, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_connect(push, "tcp://127.0.0.1:5591");
    zmq_send(push, "late", 4, 0);
    zmq_close(push);
    pthread_t t; pthread_create(&t, NULL, term_it, c1);   /* lingers in the background */
    usleep(300000);
    void *pull = zmq_socket(c2, ZMQ_PULL);
    int to = 2000; zmq_setsockopt(pull, ZMQ_RCVTIMEO, &to, sizeof to);
    zmq_bind(pull, "tcp://127.0.0.1:5591");
    char b[8]; int rc = zmq_recv(pull, b, sizeof b, 0);
    printf("peer bound 300 ms after close got rc=%d\n", rc);
    pthread_join(t, NULL); zmq_close(pull); zmq_ctx_term(c2);
    return rc == 4 ? 0 : 1;
}
