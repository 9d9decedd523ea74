/* conn_rss: resident memory per tcp connection, both ends in one process.
 *
 *   conn_rss <connection-count> <messages-per-connection>
 *
 * A ROUTER binds tcp://127.0.0.1:*; connection-count DEALERs connect to it. The first
 * connection warms up the context (I/O thread, buffers); VmRSS is read after it and again
 * after all the others are up and each DEALER has sent messages-per-connection one-byte
 * messages that the ROUTER received (0: idle connections). The difference divided by the
 * other connections is printed; it covers both ends of each connection (DEALER socket and
 * session, ROUTER session and pipe). The ROUTER's ZMQ_BACKLOG takes all connections at once. */
#include "common.h"

#include <unistd.h>

static long rss_kb(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!status)
        return -1;
    while (fgets(line, sizeof line, status))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    fclose(status);
    return kb;
}

/* Receives `count` messages (routing id + body each) within 10 s. */
static void drain(void *router, long count)
{
    int timeout = 10000;
    if (zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0)
        die("zmq_setsockopt");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (long i = 0; i < 2 * count; i++)
        if (zmq_msg_recv(&msg, router, 0) < 0)
            die("zmq_msg_recv");
    zmq_msg_close(&msg);
}

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: conn_rss <connection-count> <messages-per-connection>\n");
        return 2;
    }
    long count = parse_count(argv[1], "connection count");
    long messages = parse_count(argv[2], "messages per connection");
    if (count < 2) {
        fprintf(stderr, "connection count must be at least 2\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    if (zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)count + 16) != 0)
        die("zmq_ctx_set");
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    /* All connections arrive in a burst: with the default backlog (100) the kernel's accept
     * queue overflows, dropped SYNs are retried after 1, 2, 4, 8 s, and some connections are
     * not up within the 10 s drain (on libzmq as on libzmq-rs). A backlog for all of them
     * (capped by net.core.somaxconn) measures memory, not SYN back-off. */
    int backlog = (int)count + 16;
    if (!router || zmq_setsockopt(router, ZMQ_BACKLOG, &backlog, sizeof backlog) != 0)
        die("zmq_setsockopt ZMQ_BACKLOG");
    if (zmq_bind(router, "tcp://127.0.0.1:*") != 0)
        die("zmq_bind");
    char endpoint[256];
    size_t size = sizeof endpoint;
    if (zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0)
        die("zmq_getsockopt");

    void **dealers = calloc((size_t)count, sizeof *dealers);
    long before = 0;
    for (long i = 0; i < count; i++) {
        dealers[i] = zmq_socket(ctx, ZMQ_DEALER);
        if (!dealers[i] || zmq_connect(dealers[i], endpoint) != 0)
            die("zmq_connect");
        if (i == 0) {
            /* The warm-up connection carries traffic too, so that every lazily created
             * buffer of the context exists before the first reading. */
            if (zmq_send(dealers[0], "x", 1, 0) != 1)
                die("zmq_send");
            drain(router, 1);
            before = rss_kb();
        }
    }
    for (long m = 0; m < messages; m++)
        for (long i = 1; i < count; i++)
            if (zmq_send(dealers[i], "x", 1, 0) != 1)
                die("zmq_send");
    drain(router, messages * (count - 1));
    /* Idle connections: give the handshakes time to finish. */
    sleep(1);
    long after = rss_kb();
    printf("connections: %ld\n", count);
    printf("messages per connection: %ld\n", messages);
    printf("rss per connection: %.1f [kB]\n", (double)(after - before) / (double)(count - 1));

    for (long i = 0; i < count; i++)
        zmq_close(dealers[i]);
    free(dealers);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return 0;
}
