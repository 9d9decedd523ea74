/* An ordinary libzmq program, compiled against Debian's zmq.h and linked with Debian's -lzmq;
 * bindings/c.sh runs the same binary on our library (LD_LIBRARY_PATH, LD_PRELOAD).
 * Prints `PASS name` / `FAIL name: why` per check. argv[1] is the zmq_version it must report. */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(name, cond)                                                                   \
    do {                                                                                    \
        if (cond)                                                                           \
            printf("PASS %s\n", name);                                                      \
        else {                                                                              \
            printf("FAIL %s: %s (errno %d %s)\n", name, #cond, errno, zmq_strerror(errno)); \
            failures++;                                                                     \
        }                                                                                   \
    } while (0)

static void *sock(void *ctx, int type) {
    void *s = zmq_socket(ctx, type);
    int v = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &v, sizeof v);
    v = 5000; /* every wait is bounded */
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &v, sizeof v);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &v, sizeof v);
    return s;
}

/* Binds `a` to `where` (a wildcard tcp/ipc endpoint, or inproc:// for a fresh name) and connects `b` to it. */
static int pair_up(void *a, void *b, const char *where) {
    static int n = 0;
    char ep[256], name[64];
    size_t len = sizeof ep;
    /* A fresh inproc name each time: libzmq frees a closed socket's inproc name asynchronously. */
    if (strcmp(where, "inproc://") == 0) {
        snprintf(name, sizeof name, "inproc://c-prog-%d", ++n);
        where = name;
    }
    if (zmq_bind(a, where) != 0) return -1;
    if (zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, ep, &len) != 0) return -1;
    return zmq_connect(b, ep);
}

static int recv_is(void *s, const char *want) {
    char buf[256];
    int n = zmq_recv(s, buf, sizeof buf - 1, 0);
    if (n < 0) return 0;
    buf[n] = 0;
    return strcmp(buf, want) == 0;
}

static void patterns(void *ctx, const char *where, const char *tag) {
    char name[128];
    { /* REQ/REP round trip */
        void *rep = sock(ctx, ZMQ_REP), *req = sock(ctx, ZMQ_REQ);
        snprintf(name, sizeof name, "req-rep %s", tag);
        CHECK(name, pair_up(rep, req, where) == 0 && zmq_send(req, "hello", 5, 0) == 5 &&
                        recv_is(rep, "hello") && zmq_send(rep, "world", 5, 0) == 5 && recv_is(req, "world"));
        zmq_close(rep);
        zmq_close(req);
    }
    { /* PUSH/PULL, multipart */
        void *pull = sock(ctx, ZMQ_PULL), *push = sock(ctx, ZMQ_PUSH);
        int more = 0;
        size_t ml = sizeof more;
        snprintf(name, sizeof name, "push-pull multipart %s", tag);
        CHECK(name, pair_up(pull, push, where) == 0 && zmq_send(push, "a", 1, ZMQ_SNDMORE) == 1 &&
                        zmq_send(push, "bc", 2, 0) == 2 && recv_is(pull, "a") &&
                        zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &ml) == 0 && more == 1 &&
                        recv_is(pull, "bc") && zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &ml) == 0 && more == 0);
        zmq_close(pull);
        zmq_close(push);
    }
    { /* PUB/SUB with a prefix filter: resend until the subscription has arrived */
        void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
        int ok = pair_up(pub, sub, where) == 0 && zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "news", 4) == 0;
        int got = 0;
        for (int i = 0; ok && i < 200 && !got; i++) {
            zmq_send(pub, "sport x", 7, 0);
            zmq_send(pub, "news y", 6, 0);
            zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&item, 1, 20) == 1) got = recv_is(sub, "news y");
        }
        snprintf(name, sizeof name, "pub-sub filter %s", tag);
        CHECK(name, ok && got);
        zmq_close(pub);
        zmq_close(sub);
    }
    { /* DEALER/ROUTER: the router sees the identity frame and routes the reply back */
        void *router = sock(ctx, ZMQ_ROUTER), *dealer = sock(ctx, ZMQ_DEALER);
        zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "D1", 2);
        int ok = pair_up(router, dealer, where) == 0 && zmq_send(dealer, "q", 1, 0) == 1 &&
                 recv_is(router, "D1") && recv_is(router, "q") &&
                 zmq_send(router, "D1", 2, ZMQ_SNDMORE) == 2 && zmq_send(router, "r", 1, 0) == 1 && recv_is(dealer, "r");
        snprintf(name, sizeof name, "dealer-router %s", tag);
        CHECK(name, ok);
        zmq_close(router);
        zmq_close(dealer);
    }
    { /* PAIR with zmq_msg_t and zmq_poll */
        void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
        zmq_msg_t m;
        zmq_msg_init_size(&m, 3);
        memcpy(zmq_msg_data(&m), "xyz", 3);
        int ok = pair_up(a, b, where) == 0 && zmq_msg_send(&m, b, 0) == 3;
        zmq_pollitem_t item = {a, 0, ZMQ_POLLIN, 0};
        ok = ok && zmq_poll(&item, 1, 5000) == 1 && (item.revents & ZMQ_POLLIN);
        zmq_msg_t r;
        zmq_msg_init(&r);
        ok = ok && zmq_msg_recv(&r, a, 0) == 3 && memcmp(zmq_msg_data(&r), "xyz", 3) == 0;
        zmq_msg_close(&r);
        snprintf(name, sizeof name, "pair msg+poll %s", tag);
        CHECK(name, ok);
        zmq_close(a);
        zmq_close(b);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int major, minor, patch;
    char have[32];
    zmq_version(&major, &minor, &patch);
    snprintf(have, sizeof have, "%d.%d.%d", major, minor, patch);
    printf("zmq_version %s\n", have);
    CHECK("zmq_version is the expected library", argc > 1 && strcmp(have, argv[1]) == 0);

    void *ctx = zmq_ctx_new();
    CHECK("ctx_new", ctx != NULL);
    CHECK("ctx_set/get io threads", zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2) == 0 && zmq_ctx_get(ctx, ZMQ_IO_THREADS) == 2);
    patterns(ctx, "tcp://127.0.0.1:*", "tcp");
    patterns(ctx, "inproc://", "inproc");
    patterns(ctx, "ipc://*", "ipc");

    void *s = sock(ctx, ZMQ_PULL);
    char buf[4];
    errno = 0;
    CHECK("recv DONTWAIT on empty: EAGAIN", zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT) == -1 && errno == EAGAIN);
    errno = 0;
    CHECK("send on PULL: ENOTSUP", zmq_send(s, "x", 1, 0) == -1 && errno == ENOTSUP);
    errno = 0;
    CHECK("bad endpoint: EINVAL", zmq_bind(s, "tcp://") == -1 && errno == EINVAL);
    errno = 0;
    CHECK("unknown protocol: EPROTONOSUPPORT", zmq_bind(s, "bogus://x") == -1 && errno == EPROTONOSUPPORT);
    errno = 0;
    CHECK("unknown option: EINVAL", zmq_setsockopt(s, 9999, buf, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK("bad socket type: EINVAL", zmq_socket(ctx, 999) == NULL && errno == EINVAL);
    int hwm = 123;
    size_t hl = sizeof hwm;
    CHECK("option round trip (SNDHWM)", zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) == 0 && (hwm = 0, 1) &&
                                            zmq_getsockopt(s, ZMQ_SNDHWM, &hwm, &hl) == 0 && hwm == 123);
    CHECK("close", zmq_close(s) == 0);
    CHECK("ctx_term", zmq_ctx_term(ctx) == 0);
    CHECK("strerror(EFSM)", strcmp(zmq_strerror(EFSM), "Operation cannot be accomplished in current state") == 0);
    return failures != 0;
}
