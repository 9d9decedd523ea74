/* inproc_lat: latency test over inproc://, both ends in one process.
 *
 *   inproc_lat <message-size> <roundtrip-count>
 *
 * A second thread (zmq_threadstart) binds a REP socket and echoes; the main thread
 * connects a REQ socket, times roundtrip-count round trips and prints the classic
 * remote_lat report (one-way latency = elapsed / 2n) plus CPU time per round trip.
 *
 * With PERF_PIN_THREADS set (Linux), the echo thread runs on CPU 0 and the timing thread
 * on CPU 1: the in-process analogue of pinning local_lat and remote_lat with taskset.
 * Unpinned, the scheduler's placement of the two threads makes results bimodal. */
#define _GNU_SOURCE
#include "common.h"

#define ENDPOINT "inproc://inproc_lat"

struct job {
    void *ctx;
    void *rep;
    long size;
    long roundtrips;
};

static void echoer(void *arg)
{
    struct job *job = arg;
    maybe_pin(0);
    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    for (long i = 0; i < job->roundtrips; i++) {
        recv_sized(job->rep, &msg, job->size);
        if (zmq_msg_send(&msg, job->rep, 0) < 0)
            die("zmq_msg_send");
    }
    zmq_msg_close(&msg);
    if (zmq_close(job->rep) != 0)
        die("zmq_close");
}

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: inproc_lat <message-size> <roundtrip-count>\n");
        return 2;
    }
    struct job job;
    job.size = parse_count(argv[1], "message size");
    job.roundtrips = parse_count(argv[2], "roundtrip count");
    if (job.roundtrips < 1) {
        fprintf(stderr, "roundtrip count must be at least 1\n");
        return 2;
    }

    job.ctx = zmq_ctx_new();
    if (!job.ctx)
        die("zmq_ctx_new");
    /* Bind before the thread starts so the connect below always finds the endpoint. */
    job.rep = zmq_socket(job.ctx, ZMQ_REP);
    if (!job.rep)
        die("zmq_socket");
    if (zmq_bind(job.rep, ENDPOINT) != 0)
        die("zmq_bind");
    void *thread = zmq_threadstart(echoer, &job);
    maybe_pin(1);

    void *req = zmq_socket(job.ctx, ZMQ_REQ);
    if (!req)
        die("zmq_socket");
    if (zmq_connect(req, ENDPOINT) != 0)
        die("zmq_connect");

    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t)job.size) != 0)
        die("zmq_msg_init_size");
    if (job.size > 0)
        memset(zmq_msg_data(&msg), 'x', (size_t)job.size);
    void *watch = zmq_stopwatch_start();
    for (long i = 0; i < job.roundtrips; i++) {
        if (zmq_msg_send(&msg, req, 0) < 0)
            die("zmq_msg_send");
        recv_sized(req, &msg, job.size);
    }
    unsigned long elapsed = zmq_stopwatch_stop(watch);
    zmq_msg_close(&msg);

    zmq_threadclose(thread);
    print_latency(job.size, job.roundtrips, elapsed);
    if (zmq_close(req) != 0)
        die("zmq_close");
    if (zmq_ctx_term(job.ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(job.roundtrips);
    return 0;
}
