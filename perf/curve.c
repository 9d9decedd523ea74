/*
 * curve.c: CURVE security cost, on whichever libzmq the dynamic linker loads.
 *
 * Usage: curve thr SIZE COUNT     PUSH (CURVE client) -> PULL (CURVE server) over tcp in one
 *                                 process: messages per second and MB/s, clock from the first
 *                                 message received to the last
 *        curve handshakes COUNT   COUNT times: a DEALER (CURVE client) connects to a ROUTER
 *                                 (CURVE server), sends one message, the ROUTER receives it,
 *                                 the DEALER closes: complete handshakes per second
 * Output (one line): "curve thr SIZE COUNT msgs_per_second R mb_per_second M" or
 *                    "curve handshakes COUNT per_second R".
 * No ZAP handler: both libraries then accept any client key.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static char server_public[41], server_secret[41], client_public[41], client_secret[41];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "curve: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static void *server_socket(void *ctx, int type, char *endpoint, size_t len)
{
    void *s = zmq_socket(ctx, type);
    int one = 1, timeout = 10000;
    if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, server_secret, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        zmq_bind(s, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        die("server socket");
    return s;
}

static void *client_socket(void *ctx, int type, const char *endpoint)
{
    void *s = zmq_socket(ctx, type);
    int zero = 0;
    if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_public, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, client_public, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, client_secret, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 || zmq_connect(s, endpoint) != 0)
        die("client socket");
    return s;
}

typedef struct {
    void *ctx;
    const char *endpoint;
    size_t size;
    long count;
} sender_t;

static void *send_all(void *arg)
{
    sender_t *job = arg;
    void *push = client_socket(job->ctx, ZMQ_PUSH, job->endpoint);
    int linger = -1;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    char *payload = calloc(1, job->size ? job->size : 1);
    for (long i = 0; i < job->count; i++)
        if (zmq_send(push, payload, job->size, 0) < 0)
            die("send");
    free(payload);
    zmq_close(push);
    return NULL;
}

static void run_thr(void *ctx, size_t size, long count)
{
    char endpoint[256];
    void *pull = server_socket(ctx, ZMQ_PULL, endpoint, sizeof endpoint);
    sender_t job = {ctx, endpoint, size, count};
    pthread_t sender;
    pthread_create(&sender, NULL, send_all, &job);
    char *buf = malloc(size ? size : 1);
    double start = 0;
    for (long i = 0; i < count; i++) {
        if (zmq_recv(pull, buf, size, 0) < 0)
            die("receive");
        if (i == 0)
            start = now_s();
    }
    double elapsed = now_s() - start;
    pthread_join(sender, NULL);
    double rate = (count - 1) / elapsed;
    printf("curve thr %zu %ld msgs_per_second %.0f mb_per_second %.1f\n", size, count, rate,
           rate * (double)size / 1e6);
    free(buf);
    zmq_close(pull);
}

static void run_handshakes(void *ctx, long count)
{
    char endpoint[256];
    void *router = server_socket(ctx, ZMQ_ROUTER, endpoint, sizeof endpoint);
    char buf[256];
    double start = now_s();
    for (long i = 0; i < count; i++) {
        void *dealer = client_socket(ctx, ZMQ_DEALER, endpoint);
        if (zmq_send(dealer, "x", 1, 0) != 1)
            die("send");
        if (zmq_recv(router, buf, sizeof buf, 0) < 0 || zmq_recv(router, buf, sizeof buf, 0) != 1)
            die("receive");
        zmq_close(dealer);
    }
    printf("curve handshakes %ld per_second %.0f\n", count, count / (now_s() - start));
    zmq_close(router);
}

int main(int argc, char **argv)
{
    if (!zmq_has("curve")) {
        fprintf(stderr, "curve: this libzmq has no CURVE\n");
        return 1;
    }
    if (zmq_curve_keypair(server_public, server_secret) != 0 ||
        zmq_curve_keypair(client_public, client_secret) != 0)
        die("zmq_curve_keypair");
    void *ctx = zmq_ctx_new();
    if (argc == 4 && strcmp(argv[1], "thr") == 0)
        run_thr(ctx, (size_t)atol(argv[2]), atol(argv[3]));
    else if (argc == 3 && strcmp(argv[1], "handshakes") == 0)
        run_handshakes(ctx, atol(argv[2]));
    else {
        fprintf(stderr, "usage: curve thr SIZE COUNT | curve handshakes COUNT\n");
        return 2;
    }
    zmq_ctx_term(ctx);
    return 0;
}
