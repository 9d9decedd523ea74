/* remote_lat: timing half of the latency test.
 *
 *   remote_lat <connect-to> <message-size> <roundtrip-count>
 *
 * Connects a REQ socket to local_lat, sends one request and waits for its echo,
 * roundtrip-count times, and reports the average one-way latency:
 * elapsed / (2 * roundtrip-count). */
#include "common.h"

int main(int argc, char *argv[])
{
    if (argc != 4) {
        fprintf(stderr, "usage: remote_lat <connect-to> <message-size> <roundtrip-count>\n");
        return 2;
    }
    const char *endpoint = argv[1];
    long size = parse_count(argv[2], "message size");
    long roundtrips = parse_count(argv[3], "roundtrip count");
    if (roundtrips < 1) {
        fprintf(stderr, "roundtrip count must be at least 1\n");
        return 2;
    }

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    void *req = zmq_socket(ctx, ZMQ_REQ);
    if (!req)
        die("zmq_socket");
    if (zmq_connect(req, endpoint) != 0)
        die("zmq_connect");

    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t)size) != 0)
        die("zmq_msg_init_size");
    if (size > 0)
        memset(zmq_msg_data(&msg), 'x', (size_t)size);

    void *watch = zmq_stopwatch_start();
    for (long i = 0; i < roundtrips; i++) {
        if (zmq_msg_send(&msg, req, 0) < 0)
            die("zmq_msg_send");
        recv_sized(req, &msg, size);
    }
    unsigned long elapsed = zmq_stopwatch_stop(watch);
    zmq_msg_close(&msg);

    print_latency(size, roundtrips, elapsed);
    if (zmq_close(req) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(roundtrips);
    return 0;
}
