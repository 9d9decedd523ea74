/* local_lat: echoing half of the latency test.
 *
 *   local_lat <bind-to> <message-size> <roundtrip-count>
 *
 * Binds a REP socket and echoes roundtrip-count requests of message-size bytes back to
 * the REQ peer (remote_lat), which does the timing. Prints its CPU time per round trip. */
#include "common.h"

int main(int argc, char *argv[])
{
    if (argc != 4) {
        fprintf(stderr, "usage: local_lat <bind-to> <message-size> <roundtrip-count>\n");
        return 2;
    }
    const char *endpoint = argv[1];
    long size = parse_count(argv[2], "message size");
    long roundtrips = parse_count(argv[3], "roundtrip count");

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    void *rep = zmq_socket(ctx, ZMQ_REP);
    if (!rep)
        die("zmq_socket");
    if (zmq_bind(rep, endpoint) != 0)
        die("zmq_bind");

    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    for (long i = 0; i < roundtrips; i++) {
        recv_sized(rep, &msg, size);
        /* Sending the received message back moves it; msg is left empty and reusable. */
        if (zmq_msg_send(&msg, rep, 0) < 0)
            die("zmq_msg_send");
    }
    zmq_msg_close(&msg);

    if (zmq_close(rep) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(roundtrips);
    return 0;
}
