/* remote_thr: sending half of the throughput test.
 *
 *   remote_thr <connect-to> <message-size> <message-count>
 *
 * Connects a PUSH socket and sends message-count messages of message-size bytes as fast
 * as the socket accepts them; closing with the default (infinite) linger makes it wait
 * until everything is handed to the peer. Prints only its own CPU time per message.
 *
 * If PERF_CLOSE_DELAY_MS is set, waits that long after the last send before closing.
 * The receiver's clock has stopped by then, so results are unchanged; it works around
 * libzmq 4.3.4 losing the tail of an ipc:// stream when the sender closes at once
 * (observed with Debian's libzmq5; see BENCHMARKS.md). */
#include "common.h"

#include <time.h>

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

    const char *delay = getenv("PERF_CLOSE_DELAY_MS");
    if (delay && *delay) {
        long ms = parse_count(delay, "PERF_CLOSE_DELAY_MS");
        struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }

    if (zmq_close(push) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(count);
    return 0;
}
