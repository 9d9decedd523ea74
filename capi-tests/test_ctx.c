/*
 * test_ctx.c: contexts without sockets.
 *   zmq_ctx_new/_term/_shutdown/_destroy and the legacy zmq_init/zmq_term; zmq_ctx_set and
 *   zmq_ctx_get for every context option: defaults, valid round trips, rejected values
 *   (EINVAL), get-only and set-only options; EFAULT for NULL and non-context pointers;
 *   zmq_ctx_set_ext/_get_ext (draft) with ZMQ_THREAD_NAME_PREFIX as a string.
 */
#include "check.h"
#include <limits.h>
#include <zmq.h>

/* ZMQ_ZERO_COPY_RECV is a draft name, but even a stable libzmq build implements it. */
#ifndef ZMQ_ZERO_COPY_RECV
#define ZMQ_ZERO_COPY_RECV 10
#endif

/* Readable memory that does not hold a context: libzmq checks a tag and reports EFAULT. */
static long long not_a_context[512];

static void new_term (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx != NULL);
    CHECK_OK (zmq_ctx_term (ctx));
    ctx = zmq_ctx_new ();
    CHECK (ctx != NULL);
    CHECK_OK (zmq_ctx_destroy (ctx));
    /* Shutdown first (idempotent), then terminate. */
    ctx = zmq_ctx_new ();
    CHECK (ctx != NULL);
    CHECK_OK (zmq_ctx_shutdown (ctx));
    CHECK_OK (zmq_ctx_shutdown (ctx));
    CHECK_OK (zmq_ctx_term (ctx));
    /* Several contexts at once are independent. */
    void *a = zmq_ctx_new (), *b = zmq_ctx_new ();
    CHECK (a != NULL && b != NULL && a != b);
    CHECK_OK (zmq_ctx_set (a, ZMQ_IO_THREADS, 3));
    CHECK_INT (zmq_ctx_get (b, ZMQ_IO_THREADS), ZMQ_IO_THREADS_DFLT);
    CHECK_OK (zmq_ctx_term (a));
    CHECK_OK (zmq_ctx_term (b));
}

static void legacy_init_term (void)
{
    void *ctx = zmq_init (1);
    CHECK (ctx != NULL);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_OK (zmq_term (ctx));
    ctx = zmq_init (0);
    CHECK (ctx != NULL);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 0);
    CHECK_OK (zmq_term (ctx));
    ctx = zmq_init (4);
    CHECK (ctx != NULL);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 4);
    CHECK_OK (zmq_term (ctx));
    CHECK_NULL_ERR (zmq_init (-1), EINVAL);
}

static void null_and_bad_context_efault (void)
{
    void *bad = not_a_context;
    CHECK_ERR (zmq_ctx_term (NULL), EFAULT);
    CHECK_ERR (zmq_ctx_destroy (NULL), EFAULT);
    CHECK_ERR (zmq_term (NULL), EFAULT);
    CHECK_ERR (zmq_ctx_shutdown (NULL), EFAULT);
    CHECK_ERR (zmq_ctx_set (NULL, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR (zmq_ctx_get (NULL, ZMQ_IO_THREADS), EFAULT);
    CHECK_ERR (zmq_ctx_term (bad), EFAULT);
    CHECK_ERR (zmq_ctx_shutdown (bad), EFAULT);
    CHECK_ERR (zmq_ctx_set (bad, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR (zmq_ctx_get (bad, ZMQ_IO_THREADS), EFAULT);
#ifdef ZMQ_BUILD_DRAFT_API
    int v = 1;
    size_t len = sizeof v;
    CHECK_ERR (zmq_ctx_set_ext (NULL, ZMQ_IO_THREADS, &v, sizeof v), EFAULT);
    CHECK_ERR (zmq_ctx_get_ext (NULL, ZMQ_IO_THREADS, &v, &len), EFAULT);
    CHECK_ERR (zmq_ctx_set_ext (bad, ZMQ_IO_THREADS, &v, sizeof v), EFAULT);
    CHECK_ERR (zmq_ctx_get_ext (bad, ZMQ_IO_THREADS, &v, &len), EFAULT);
#endif
}

static void defaults (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), ZMQ_IO_THREADS_DFLT);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), ZMQ_MAX_SOCKETS_DFLT);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), sizeof (zmq_msg_t));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), ZMQ_THREAD_SCHED_POLICY_DFLT);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), -1);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 0); /* empty prefix reads as 0 */
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 1);
    CHECK_OK (zmq_ctx_term (ctx));
}

static void int_options_round_trip (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 0));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 0);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 8));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 8);

    CHECK_OK (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 1));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 2048));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 2048);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535); /* unaffected */

    /* ZMQ_IPV6 and ZMQ_BLOCKY are booleans: any positive value reads back as 1. */
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_IPV6, 1));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 1);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_IPV6, 7));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 1);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_IPV6, 0));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_BLOCKY, 0));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 0);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_BLOCKY, 3));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_ZERO_COPY_RECV, 0));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 0);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_ZERO_COPY_RECV, 2));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 1);

    CHECK_OK (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, 0));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), 0);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, 4096));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), 4096);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, INT_MAX));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);

    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, 0));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), 0);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, 2));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), 2);

    /* An int thread name prefix reads back as that int. */
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, 1234));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 1234);
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ZMQ_THREAD_PRIORITY and ZMQ_SOCKET_LIMIT are the same number (3): zmq_ctx_set (3) sets the
 * thread priority and zmq_ctx_get (3) reads the socket limit. ZMQ_MSG_T_SIZE is get-only, the
 * affinity options are set-only. */
static void priority_and_socket_limit_share_3 (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_INT (ZMQ_THREAD_PRIORITY, ZMQ_SOCKET_LIMIT);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 10));
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 0));
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_SOCKET_LIMIT, 100)); /* a thread priority of 100 */
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_SOCKET_LIMIT, -1), EINVAL);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_PRIORITY), 65535); /* the socket limit */
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_OK (zmq_ctx_term (ctx));
}

static void get_only_and_set_only (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MSG_T_SIZE, 64), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MSG_T_SIZE, 128), EINVAL);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_ERR (zmq_ctx_get (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE), EINVAL);
    CHECK_OK (zmq_ctx_term (ctx));
}

static void thread_affinity (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0));
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 1));
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 1)); /* a set: no error twice */
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 1));
    /* Removing a CPU that is not in the set fails. */
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 5), EINVAL);
    CHECK_OK (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0));
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, -1), EINVAL);
    CHECK_OK (zmq_ctx_term (ctx));
}

static void invalid_values_einval (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_IO_THREADS, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 0), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_IPV6, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_BLOCKY, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_ZERO_COPY_RECV, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, -1), EINVAL);
    /* Unknown options, for set and get. */
    CHECK_ERR (zmq_ctx_set (ctx, 9999, 1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, -1, 1), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, 9999), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, -1), EINVAL);
    /* Socket options are not context options. */
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_SNDHWM, 10), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, ZMQ_LINGER), EINVAL);
    /* Failed calls changed nothing. */
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), -1);
    CHECK_OK (zmq_ctx_term (ctx));
}

#ifdef ZMQ_BUILD_DRAFT_API
static void set_get_ext (void)
{
    void *ctx = zmq_ctx_new ();
    /* A string prefix of up to 16 bytes (any length other than sizeof (int)). */
    const char prefix[] = "MyPrefix9012345"; /* 16 bytes with the NUL */
    CHECK_OK (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, prefix, sizeof prefix));
    char buf[32];
    memset (buf, 'X', sizeof buf);
    size_t len = sizeof buf;
    CHECK_OK (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, buf, &len));
    CHECK_STR (buf, prefix);
    /* Too long (17 bytes) or empty: rejected. */
    CHECK_ERR (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "12345678901234567", 17), EINVAL);
    CHECK_ERR (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "", 0), EINVAL);
    /* A buffer shorter than the prefix: EINVAL. */
    len = 4 + 1;
    CHECK_ERR (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, buf, &len), EINVAL);
    /* A numeric string prefix also reads back through zmq_ctx_get as a number. */
    CHECK_OK (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "77", 3));
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 77);

    /* Int options through the _ext calls, and wrong lengths. */
    int v = 3;
    CHECK_OK (zmq_ctx_set_ext (ctx, ZMQ_IO_THREADS, &v, sizeof v));
    v = 0;
    len = sizeof v;
    CHECK_OK (zmq_ctx_get_ext (ctx, ZMQ_IO_THREADS, &v, &len));
    CHECK_INT (v, 3);
    long long big = 5;
    CHECK_ERR (zmq_ctx_set_ext (ctx, ZMQ_IO_THREADS, &big, sizeof big), EINVAL);
    len = sizeof big;
    CHECK_ERR (zmq_ctx_get_ext (ctx, ZMQ_IO_THREADS, &big, &len), EINVAL);
    CHECK_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 3);
    CHECK_OK (zmq_ctx_term (ctx));
}
#endif

int main (void)
{
    RUN (new_term);
    RUN (legacy_init_term);
    RUN (null_and_bad_context_efault);
    RUN (defaults);
    RUN (int_options_round_trip);
    RUN (priority_and_socket_limit_share_3);
    RUN (get_only_and_set_only);
    RUN (thread_affinity);
    RUN (invalid_values_einval);
#ifdef ZMQ_BUILD_DRAFT_API
    RUN (set_get_ext);
#else
    SKIP_CASE (set_get_ext, "draft API not built");
#endif
    return check_finish ();
}
