/* local_thr: receiving half of the throughput test.
 *
 *   local_thr <bind-to> <message-size> <message-count>
 *
 * Binds a PULL socket, waits for the first message, then times the remaining
 * message-count - 1 receives and reports the mean throughput over the whole count,
 * as libzmq's perf/local_thr does. Pair it with remote_thr on the same endpoint. */
#include "common.h"

int main(int argc, char *argv[])
{
    if (argc != 4) {
        fprintf(stderr, "usage: local_thr <bind-to> <message-size> <message-count>\n");
        return 2;
    }
    const char *endpoint = argv[1];
    long size = parse_count(argv[2], "message size");
    long count = parse_count(argv[3], "message count");
    if (count < 1) {
        fprintf(stderr, "message count must be at least 1\n");
        return 2;
    }

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    if (!pull)
        die("zmq_socket");
    if (zmq_bind(pull, endpoint) != 0)
        die("zmq_bind");

    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    recv_sized(pull, &msg, size);

    void *watch = zmq_stopwatch_start();
    for (long i = 1; i < count; i++)
        recv_sized(pull, &msg, size);
    unsigned long elapsed = zmq_stopwatch_stop(watch);

    zmq_msg_close(&msg);
    print_throughput(size, count, elapsed);
    if (zmq_close(pull) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(count);
    return 0;
}
