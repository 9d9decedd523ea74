/* remote_thr: sending half of the throughput test.
 *
 *   remote_thr <connect-to> <message-size> <message-count>
 *
 * Connects a PUSH socket and sends message-count messages of message-size bytes as fast
 * as the socket accepts them; closing with the default (infinite) linger makes it wait
 * until everything is handed to the peer. Prints only its own CPU time per message. */
#include "common.h"

int main(int argc, char *argv[])
{
    if (argc != 4) {
        fprintf(stderr, "usage: remote_thr <connect-to> <message-size> <message-count>\n");
        return 2;
    }
    const char *endpoint = argv[1];
    long size = parse_count(argv[2], "message size");
    long count = parse_count(argv[3], "message count");

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    if (!push)
        die("zmq_socket");
    if (zmq_connect(push, endpoint) != 0)
        die("zmq_connect");

    for (long i = 0; i < count; i++)
        send_sized(push, size);

    if (zmq_close(push) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(count);
    return 0;
}
