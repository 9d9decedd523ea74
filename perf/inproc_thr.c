/* inproc_thr: throughput test over inproc://, both ends in one process.
 *
 *   inproc_thr <message-size> <message-count>
 *
 * The main thread binds a PULL socket; a second thread, started with zmq_threadstart,
 * connects a PUSH socket and sends message-count messages. The main thread times the
 * receives after the first message, like local_thr, and prints the same report plus the
 * process's CPU time per message.
 *
 * With PERF_PIN_THREADS set (Linux), the sender runs on CPU 0 and the receiver on CPU 1;
 * unpinned, the scheduler's placement of the two threads makes results bimodal. */
#define _GNU_SOURCE
#include "common.h"

#define ENDPOINT "inproc://inproc_thr"

struct job {
    void *ctx;
    long size;
    long count;
};

static void sender(void *arg)
{
    struct job *job = arg;
    maybe_pin(0);
    void *push = zmq_socket(job->ctx, ZMQ_PUSH);
    if (!push)
        die("zmq_socket");
    if (zmq_connect(push, ENDPOINT) != 0)
        die("zmq_connect");
    for (long i = 0; i < job->count; i++)
        send_sized(push, job->size);
    if (zmq_close(push) != 0)
        die("zmq_close");
}

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: inproc_thr <message-size> <message-count>\n");
        return 2;
    }
    struct job job;
    job.size = parse_count(argv[1], "message size");
    job.count = parse_count(argv[2], "message count");
    if (job.count < 1) {
        fprintf(stderr, "message count must be at least 1\n");
        return 2;
    }

    job.ctx = zmq_ctx_new();
    if (!job.ctx)
        die("zmq_ctx_new");
    void *pull = zmq_socket(job.ctx, ZMQ_PULL);
    if (!pull)
        die("zmq_socket");
    if (zmq_bind(pull, ENDPOINT) != 0)
        die("zmq_bind");

    maybe_pin(1);
    void *thread = zmq_threadstart(sender, &job);

    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    recv_sized(pull, &msg, job.size);
    void *watch = zmq_stopwatch_start();
    for (long i = 1; i < job.count; i++)
        recv_sized(pull, &msg, job.size);
    unsigned long elapsed = zmq_stopwatch_stop(watch);
    zmq_msg_close(&msg);

    zmq_threadclose(thread);
    print_throughput(job.size, job.count, elapsed);
    if (zmq_close(pull) != 0)
        die("zmq_close");
    if (zmq_ctx_term(job.ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(job.count);
    return 0;
}
