/* proxy_thr: throughput through zmq_proxy, in one process.
 *
 *   proxy_thr <message-size> <message-count>
 *
 * WORKERS threads each PUSH their share of message-count messages to the proxy's PULL
 * frontend; zmq_proxy_steerable forwards them out of its PUSH backend to a PULL sink in
 * the main thread, which times the receives after the first message and prints the
 * local_thr report. All links are inproc://, so the proxy's forwarding is what is measured.
 * A TERMINATE on the control socket stops the proxy afterwards.
 *
 * If the library's proxy answers ENOTSUP, prints "proxy: n/a (ENOTSUP)" and exits 3. */
#include "common.h"

#include <unistd.h>

#define WORKERS 2
#define FRONTEND "inproc://proxy_thr_front"
#define BACKEND "inproc://proxy_thr_back"
#define CONTROL "inproc://proxy_thr_control"

struct worker_job {
    void *ctx;
    long size;
    long count;
};

struct proxy_job {
    void *frontend;
    void *backend;
    void *control;
};

static void worker(void *arg)
{
    struct worker_job *job = arg;
    void *push = zmq_socket(job->ctx, ZMQ_PUSH);
    if (!push)
        die("zmq_socket");
    if (zmq_connect(push, FRONTEND) != 0)
        die("zmq_connect");
    for (long i = 0; i < job->count; i++)
        send_sized(push, job->size);
    if (zmq_close(push) != 0)
        die("zmq_close");
}

static void proxy(void *arg)
{
    struct proxy_job *job = arg;
    int rc = zmq_proxy_steerable(job->frontend, job->backend, NULL, job->control);
    if (rc != 0 && zmq_errno() == ENOTSUP) {
        printf("proxy: n/a (ENOTSUP)\n");
        fflush(stdout);
        _exit(3);
    }
    zmq_close(job->frontend);
    zmq_close(job->backend);
    zmq_close(job->control);
}

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: proxy_thr <message-size> <message-count>\n");
        return 2;
    }
    long size = parse_count(argv[1], "message size");
    long count = parse_count(argv[2], "message count");
    if (count < WORKERS) {
        fprintf(stderr, "message count must be at least %d\n", WORKERS);
        return 2;
    }

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");

    struct proxy_job pj;
    pj.frontend = zmq_socket(ctx, ZMQ_PULL);
    pj.backend = zmq_socket(ctx, ZMQ_PUSH);
    pj.control = zmq_socket(ctx, ZMQ_PAIR);
    if (!pj.frontend || !pj.backend || !pj.control)
        die("zmq_socket");
    if (zmq_bind(pj.frontend, FRONTEND) != 0 || zmq_bind(pj.backend, BACKEND) != 0
        || zmq_bind(pj.control, CONTROL) != 0)
        die("zmq_bind");

    void *sink = zmq_socket(ctx, ZMQ_PULL);
    void *control = zmq_socket(ctx, ZMQ_PAIR);
    if (!sink || !control)
        die("zmq_socket");
    if (zmq_connect(sink, BACKEND) != 0 || zmq_connect(control, CONTROL) != 0)
        die("zmq_connect");

    void *proxy_thread = zmq_threadstart(proxy, &pj);

    /* The workers' shares add up to exactly count. */
    struct worker_job jobs[WORKERS];
    void *threads[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        jobs[w].ctx = ctx;
        jobs[w].size = size;
        jobs[w].count = count / WORKERS + (w < count % WORKERS ? 1 : 0);
        threads[w] = zmq_threadstart(worker, &jobs[w]);
    }

    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    recv_sized(sink, &msg, size);
    void *watch = zmq_stopwatch_start();
    for (long i = 1; i < count; i++)
        recv_sized(sink, &msg, size);
    unsigned long elapsed = zmq_stopwatch_stop(watch);
    zmq_msg_close(&msg);

    for (int w = 0; w < WORKERS; w++)
        zmq_threadclose(threads[w]);
    if (zmq_send(control, "TERMINATE", 9, 0) != 9)
        die("zmq_send");
    zmq_threadclose(proxy_thread);

    print_throughput(size, count, elapsed);
    zmq_close(sink);
    zmq_close(control);
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    print_cpu_per_message(count);
    return 0;
}
