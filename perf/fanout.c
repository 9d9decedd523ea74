/*
 * fanout.c: one publisher to K subscribers, messages per second at each subscriber.
 *
 * Usage: fanout TRANSPORT K SIZE COUNT      (TRANSPORT: tcp or inproc)
 *   The main thread publishes COUNT messages of SIZE bytes on an XPUB (so it can wait until
 *   all K subscriptions are in, without sleeping; the distribution path is PUB's), and K SUB
 *   sockets subscribed to everything are drained by up to 4 receiver threads with zmq_poll.
 *   High-water marks are unlimited, so nothing is dropped and every subscriber gets COUNT.
 *   The clock runs from the first send to the last subscriber's last message.
 * Output (one line): fanout TRANSPORT K SIZE COUNT msgs_per_second_per_subscriber R
 *                    total_deliveries_per_second T
 * Built like the other perf programs (-lzmq, no rpath) to run on either library.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

#define MAX_THREADS 4

typedef struct {
    void **subs;
    int count;
    long messages;
    int ok;
} receiver_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *receive(void *arg)
{
    receiver_t *r = arg;
    long *got = calloc((size_t)r->count, sizeof *got);
    zmq_pollitem_t *items = calloc((size_t)r->count, sizeof *items);
    int remaining = r->count;
    char buf[65536];
    while (remaining > 0) {
        int n = 0;
        for (int k = 0; k < r->count; k++)
            if (got[k] < r->messages)
                items[n++] = (zmq_pollitem_t){r->subs[k], 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, n, 10000) <= 0) {
            fprintf(stderr, "fanout: a subscriber stalled\n");
            free(got);
            free(items);
            return NULL;
        }
        for (int k = 0; k < r->count; k++) {
            while (got[k] < r->messages && zmq_recv(r->subs[k], buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
                if (++got[k] == r->messages)
                    remaining--;
        }
    }
    r->ok = 1;
    free(got);
    free(items);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: fanout tcp|inproc K SIZE COUNT\n");
        return 2;
    }
    const char *transport = argv[1];
    int k = atoi(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    long count = atol(argv[4]);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, k + 16);
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0, one = 1;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_XPUB_VERBOSE, &one, sizeof one);
    if (zmq_bind(pub, strcmp(transport, "tcp") == 0 ? "tcp://127.0.0.1:*" : "inproc://fanout") != 0) {
        fprintf(stderr, "fanout: bind: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &len);
    void **subs = calloc((size_t)k, sizeof *subs);
    for (int i = 0; i < k; i++) {
        subs[i] = zmq_socket(ctx, ZMQ_SUB);
        zmq_setsockopt(subs[i], ZMQ_RCVHWM, &zero, sizeof zero);
        zmq_setsockopt(subs[i], ZMQ_SUBSCRIBE, "", 0);
        if (zmq_connect(subs[i], endpoint) != 0) {
            fprintf(stderr, "fanout: connect: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
    }
    int timeout = 10000;
    zmq_setsockopt(pub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    for (int i = 0; i < k; i++) {
        char sub[16];
        if (zmq_recv(pub, sub, sizeof sub, 0) < 0) {
            fprintf(stderr, "fanout: only %d of %d subscriptions arrived\n", i, k);
            return 1;
        }
    }

    int threads = k < MAX_THREADS ? k : MAX_THREADS;
    receiver_t receivers[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        int first = k * t / threads, last = k * (t + 1) / threads;
        receivers[t] = (receiver_t){subs + first, last - first, count, 0};
        pthread_create(&tids[t], NULL, receive, &receivers[t]);
    }
    char *payload = calloc(1, size ? size : 1);
    double start = now_s();
    for (long i = 0; i < count; i++) {
        if (zmq_send(pub, payload, size, 0) < 0) {
            fprintf(stderr, "fanout: send: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
    }
    int ok = 1;
    for (int t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        ok &= receivers[t].ok;
    }
    double elapsed = now_s() - start;
    if (!ok)
        return 1;
    printf("fanout %s %d %zu %ld msgs_per_second_per_subscriber %.0f total_deliveries_per_second %.0f\n",
           transport, k, size, count, count / elapsed, count * (double)k / elapsed);
    for (int i = 0; i < k; i++) {
        zmq_setsockopt(subs[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(subs[i]);
    }
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    free(subs);
    free(payload);
    return 0;
}
