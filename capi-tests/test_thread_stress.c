/*
 * test_thread_stress.c: thread-safe sockets under contention. Eight threads share one CLIENT
 * socket and eight share one SERVER socket; the clients send 1,000,000 distinct messages
 * (STRESS_MESSAGES overrides the count), the servers echo each one back to its routing id.
 * Every message must reach a server exactly once and its echo a client exactly once: nothing
 * lost, nothing duplicated, over inproc and over tcp.
 *
 * No thread ever blocks for long, so no wait can deadlock: clients send with ZMQ_DONTWAIT and
 * drain echoes between sends, servers echo with a blocking send that the draining clients always
 * unblock. Every receive is bounded by ZMQ_RCVTIMEO and every loop by a deadline
 * (STRESS_SECONDS, default 120), after which the counts say what went missing.
 *
 * `make tsan` runs this same program against a ThreadSanitizer build of the library.
 */
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <zmq.h>

#ifdef ZMQ_BUILD_DRAFT_API

#define THREADS 8

struct stress {
    void *client;
    void *server;
    long total;     /* messages in all */
    long per_thread; /* messages each client thread sends */
    double deadline;
    unsigned char *seen_by_server; /* per message id: how many times a server got it */
    unsigned char *seen_by_client; /* per message id: how many times its echo came back */
    long server_received;          /* atomics, through __atomic builtins */
    long client_received;
    long bad_messages;
};

static long env_long (const char *name, long fallback)
{
    const char *text = getenv (name);
    return text && *text ? strtol (text, NULL, 10) : fallback;
}

static double now_seconds (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static long load (long *counter)
{
    return __atomic_load_n (counter, __ATOMIC_ACQUIRE);
}

/* Counts one arrival of the message in `msg` in `seen`; false for a message no client sent. */
static int record (struct stress *s, zmq_msg_t *msg, unsigned char *seen, long *received)
{
    uint64_t id;
    if (zmq_msg_size (msg) != sizeof id) {
        __atomic_add_fetch (&s->bad_messages, 1, __ATOMIC_RELAXED);
        return 0;
    }
    memcpy (&id, zmq_msg_data (msg), sizeof id);
    if (id >= (uint64_t) s->total) {
        __atomic_add_fetch (&s->bad_messages, 1, __ATOMIC_RELAXED);
        return 0;
    }
    __atomic_add_fetch (&seen[id], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch (received, 1, __ATOMIC_RELEASE);
    return 1;
}

struct client_thread {
    struct stress *s;
    long first_id;
};

static void drain_echo (struct stress *s, int flags)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, s->client, flags) >= 0)
        record (s, &msg, s->seen_by_client, &s->client_received);
    zmq_msg_close (&msg);
}

static void *client_main (void *arg)
{
    struct client_thread *t = arg;
    struct stress *s = t->s;
    long sent = 0;
    while (now_seconds () < s->deadline) {
        if (sent < s->per_thread) {
            uint64_t id = (uint64_t) (t->first_id + sent);
            if (zmq_send (s->client, &id, sizeof id, ZMQ_DONTWAIT) == (int) sizeof id) {
                sent++;
                drain_echo (s, ZMQ_DONTWAIT);
                continue;
            }
        } else if (load (&s->client_received) >= s->total)
            break;
        drain_echo (s, 0); /* waits at most ZMQ_RCVTIMEO */
    }
    return NULL;
}

static void *server_main (void *arg)
{
    struct stress *s = arg;
    while (load (&s->server_received) < s->total && now_seconds () < s->deadline) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, s->server, 0) >= 0
            && record (s, &msg, s->seen_by_server, &s->server_received)) {
            /* The message keeps its routing id: sending it back answers that client. */
            while (zmq_msg_send (&msg, s->server, 0) < 0 && now_seconds () < s->deadline)
                CHECK (zmq_errno () == EAGAIN);
        }
        zmq_msg_close (&msg);
    }
    return NULL;
}

static long count_not_once (const unsigned char *seen, long total)
{
    long wrong = 0;
    for (long i = 0; i < total; i++)
        wrong += seen[i] != 1;
    return wrong;
}

static void stress (const char *bind_endpoint)
{
    struct stress s;
    memset (&s, 0, sizeof s);
    s.per_thread = env_long ("STRESS_MESSAGES", 1000000) / THREADS;
    s.total = s.per_thread * THREADS;
    s.deadline = now_seconds () + (double) env_long ("STRESS_SECONDS", 120);
    s.seen_by_server = calloc ((size_t) s.total, 1);
    s.seen_by_client = calloc ((size_t) s.total, 1);
    CHECK (s.seen_by_server && s.seen_by_client);

    void *ctx = zmq_ctx_new ();
    s.server = zmq_socket (ctx, ZMQ_SERVER);
    s.client = zmq_socket (ctx, ZMQ_CLIENT);
    int timeout = 20;
    CHECK_OK (zmq_setsockopt (s.server, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_setsockopt (s.client, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_setsockopt (s.server, ZMQ_SNDTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_bind (s.server, bind_endpoint));
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_OK (zmq_getsockopt (s.server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_OK (zmq_connect (s.client, endpoint));

    pthread_t servers[THREADS], clients[THREADS];
    struct client_thread client_args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        client_args[i].s = &s;
        client_args[i].first_id = i * s.per_thread;
        CHECK_INT (pthread_create (&servers[i], NULL, server_main, &s), 0);
        CHECK_INT (pthread_create (&clients[i], NULL, client_main, &client_args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join (clients[i], NULL);
        pthread_join (servers[i], NULL);
    }

    CHECK_INT (load (&s.server_received), s.total);
    CHECK_INT (load (&s.client_received), s.total);
    CHECK_INT (count_not_once (s.seen_by_server, s.total), 0);
    CHECK_INT (count_not_once (s.seen_by_client, s.total), 0);
    CHECK_INT (load (&s.bad_messages), 0);

    int linger = 0;
    zmq_setsockopt (s.client, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (s.server, ZMQ_LINGER, &linger, sizeof linger);
    CHECK_OK (zmq_close (s.client));
    CHECK_OK (zmq_close (s.server));
    CHECK_OK (zmq_ctx_term (ctx));
    free (s.seen_by_server);
    free (s.seen_by_client);
}

static void eight_threads_per_socket_inproc (void)
{
    stress ("inproc://stress");
}

static void eight_threads_per_socket_tcp (void)
{
    stress ("tcp://127.0.0.1:*");
}

int main (void)
{
    RUN (eight_threads_per_socket_inproc);
    RUN (eight_threads_per_socket_tcp);
    return check_finish ();
}

#else
int main (void)
{
    printf ("SKIP thread_stress: the library has no draft API (CLIENT/SERVER)\n");
    return 0;
}
#endif
