/*
 * test_sockets.c: sockets exchanging messages over inproc.
 *   PAIR multipart both ways (ZMQ_RCVMORE on every frame); PUSH/PULL round robin and fair
 *   queueing; DEALER/ROUTER with a routing id; REQ/REP round trip and EFSM; zmq_recv
 *   truncation; zmq_send_const; zmq_msg_send/zmq_msg_recv; zmq_sendiov/zmq_recviov; EAGAIN
 *   (ZMQ_DONTWAIT, ZMQ_RCVTIMEO, ZMQ_SNDTIMEO); high-water marks; connect before bind;
 *   endpoint errors (EADDRINUSE, ENOENT, EPROTONOSUPPORT, EINVAL); linger on close;
 *   ZMQ_FD/ZMQ_EVENTS edge-triggered semantics; zmq_poll over sockets and a pipe; ETERM from
 *   zmq_ctx_term and zmq_ctx_shutdown; zmq_close (NULL).
 * Every blocking call is bounded (ZMQ_RCVTIMEO/ZMQ_SNDTIMEO of 1 s, poll timeouts), and every
 * case arms alarm (10): a case that hangs anyway is killed by SIGALRM and reported as failed.
 */
#include "check.h"
#include "socket_helpers.h"
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>
#include <zmq.h>

/* ---- helpers ---- */

/* Each case starts here: a new context, and a deadline for the whole case. */
static void *new_ctx (void)
{
    alarm (10);
    void *ctx = zmq_ctx_new ();
    CHECK (ctx != NULL);
    return ctx;
}

/* Blocking sends and receives give up after one second. */
static void bound_waits (void *s)
{
    int ms = 1000;
    CHECK_OK (zmq_setsockopt (s, ZMQ_RCVTIMEO, &ms, sizeof ms));
    CHECK_OK (zmq_setsockopt (s, ZMQ_SNDTIMEO, &ms, sizeof ms));
}

static int get_int_opt (void *s, int opt)
{
    int v = -12345;
    size_t sz = sizeof v;
    CHECK_OK (zmq_getsockopt (s, opt, &v, &sz));
    return v;
}

#define SEND_STR(s, str, flags)                                                        \
    CHECK_INT (zmq_send (s, str, strlen (str), flags), (int) strlen (str))

/* Receives one frame: it must be `expected`, and ZMQ_RCVMORE must then be `more`. */
static void recv_expect (const char *file, int line, void *s, const char *expected, int more)
{
    char buf[256], m[512];
    errno = 0;
    int n = zmq_recv (s, buf, sizeof buf - 1, 0);
    if (n < 0) {
        int en = errno;
        snprintf (m, sizeof m, "zmq_recv expecting \"%s\": rc %d, errno %d (%s)", expected, n, en,
                  strerror (en));
        check_report (file, line, m);
        return;
    }
    buf[n < (int) sizeof buf - 1 ? n : (int) sizeof buf - 1] = '\0';
    if ((size_t) n != strlen (expected) || memcmp (buf, expected, strlen (expected)) != 0) {
        snprintf (m, sizeof m, "zmq_recv: got \"%s\" (%d bytes), expected \"%s\"", buf, n, expected);
        check_report (file, line, m);
    }
    int rcvmore = -1;
    size_t sz = sizeof rcvmore;
    if (zmq_getsockopt (s, ZMQ_RCVMORE, &rcvmore, &sz) != 0 || rcvmore != more) {
        snprintf (m, sizeof m, "ZMQ_RCVMORE after \"%s\": got %d, expected %d", expected, rcvmore,
                  more);
        check_report (file, line, m);
    }
}
#define RECV_EXPECT(s, expected, more) recv_expect (__FILE__, __LINE__, s, expected, more)

/* A bound and a connected socket, both with bounded waits; NULL on failure (case ended). */
static int make_pair (void *ctx, int bind_type, int connect_type, const char *ep, void **bound,
                      void **connected)
{
    *bound = open_socket (ctx, bind_type);
    *connected = *bound ? open_socket (ctx, connect_type) : NULL;
    if (!*bound || !*connected) {
        close_all (*bound, *connected, NULL, NULL);
        return -1;
    }
    bound_waits (*bound);
    bound_waits (*connected);
    CHECK_OK (zmq_bind (*bound, ep));
    CHECK_OK (zmq_connect (*connected, ep));
    return 0;
}

/* Is the file descriptor readable within `ms` milliseconds? */
static int fd_readable (int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll (&p, 1, ms);
    return rc == 1 && (p.revents & POLLIN);
}

/* ---- message patterns ---- */

static void pair_multipart_both_ways (void)
{
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://pair-multipart", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    SEND_STR (a, "one", ZMQ_SNDMORE);
    SEND_STR (a, "", ZMQ_SNDMORE);
    SEND_STR (a, "three", 0);
    RECV_EXPECT (b, "one", 1);
    RECV_EXPECT (b, "", 1);
    RECV_EXPECT (b, "three", 0);
    SEND_STR (b, "back", ZMQ_SNDMORE);
    SEND_STR (b, "again", 0);
    SEND_STR (b, "single", 0);
    RECV_EXPECT (a, "back", 1);
    RECV_EXPECT (a, "again", 0);
    RECV_EXPECT (a, "single", 0);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* A second PAIR connecting to a bound PAIR that already has its peer is not attached: whatever
 * it manages to queue is never delivered (whether its send succeeds depends on timing). */
static void pair_single_peer (void)
{
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://pair-single", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    void *c = open_socket (ctx, ZMQ_PAIR);
    if (c) {
        CHECK_OK (zmq_connect (c, "inproc://pair-single"));
        int rc = zmq_send (c, "intruder", 8, ZMQ_DONTWAIT);
        CHECK (rc == 8 || (rc == -1 && errno == EAGAIN));
        SEND_STR (b, "legit", 0);
        RECV_EXPECT (a, "legit", 0);
        char buf[16];
        CHECK_ERR (zmq_recv (a, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
        CHECK_OK (zmq_close (c));
    }
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* A PUSH deals messages to its PULL peers in turn. */
static void push_round_robin_two_pullers (void)
{
    void *ctx = new_ctx (), *push, *pull1;
    if (make_pair (ctx, ZMQ_PUSH, ZMQ_PULL, "inproc://push-rr", &push, &pull1) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    void *pull2 = open_socket (ctx, ZMQ_PULL);
    if (pull2) {
        bound_waits (pull2);
        CHECK_OK (zmq_connect (pull2, "inproc://push-rr"));
        SEND_STR (push, "m0", 0);
        SEND_STR (push, "m1", 0);
        SEND_STR (push, "m2", 0);
        SEND_STR (push, "m3", 0);
        /* The first connected peer gets the first message. */
        RECV_EXPECT (pull1, "m0", 0);
        RECV_EXPECT (pull1, "m2", 0);
        RECV_EXPECT (pull2, "m1", 0);
        RECV_EXPECT (pull2, "m3", 0);
        char buf[16];
        CHECK_ERR (zmq_recv (pull1, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
        CHECK_ERR (zmq_recv (pull2, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
        CHECK_OK (zmq_close (pull2));
    }
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull1));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* A PULL takes messages from its PUSH peers in turn, even when one has queued more. */
static void pull_fair_queues_two_pushers (void)
{
    void *ctx = new_ctx (), *pull, *push1;
    if (make_pair (ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://pull-fq", &pull, &push1) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    void *push2 = open_socket (ctx, ZMQ_PUSH);
    if (push2) {
        bound_waits (push2);
        CHECK_OK (zmq_connect (push2, "inproc://pull-fq"));
        SEND_STR (push1, "a0", 0);
        SEND_STR (push1, "a1", 0);
        SEND_STR (push1, "a2", 0);
        SEND_STR (push2, "b0", 0);
        SEND_STR (push2, "b1", 0);
        SEND_STR (push2, "b2", 0);
        RECV_EXPECT (pull, "a0", 0);
        RECV_EXPECT (pull, "b0", 0);
        RECV_EXPECT (pull, "a1", 0);
        RECV_EXPECT (pull, "b1", 0);
        RECV_EXPECT (pull, "a2", 0);
        RECV_EXPECT (pull, "b2", 0);
        CHECK_OK (zmq_close (push2));
    }
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_close (push1));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Multipart messages are never interleaved by fair queueing. */
static void pull_keeps_multipart_whole (void)
{
    void *ctx = new_ctx (), *pull, *push1;
    if (make_pair (ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://pull-mp", &pull, &push1) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    void *push2 = open_socket (ctx, ZMQ_PUSH);
    if (push2) {
        bound_waits (push2);
        CHECK_OK (zmq_connect (push2, "inproc://pull-mp"));
        SEND_STR (push1, "a-head", ZMQ_SNDMORE);
        SEND_STR (push2, "b-head", ZMQ_SNDMORE);
        SEND_STR (push2, "b-tail", 0);
        SEND_STR (push1, "a-tail", 0);
        RECV_EXPECT (pull, "a-head", 1);
        RECV_EXPECT (pull, "a-tail", 0);
        RECV_EXPECT (pull, "b-head", 1);
        RECV_EXPECT (pull, "b-tail", 0);
        CHECK_OK (zmq_close (push2));
    }
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_close (push1));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void dealer_router_routing_id (void)
{
    void *ctx = new_ctx ();
    void *router = open_socket (ctx, ZMQ_ROUTER);
    void *dealer = router ? open_socket (ctx, ZMQ_DEALER) : NULL;
    if (!router || !dealer) {
        close_all (router, dealer, NULL, NULL);
        zmq_ctx_term (ctx);
        return;
    }
    bound_waits (router);
    bound_waits (dealer);
    CHECK_OK (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "dealer-7", 8));
    CHECK_OK (zmq_bind (router, "inproc://dealer-router"));
    CHECK_OK (zmq_connect (dealer, "inproc://dealer-router"));
    SEND_STR (dealer, "hello", ZMQ_SNDMORE);
    SEND_STR (dealer, "there", 0);
    /* The router prepends the peer's routing id. */
    RECV_EXPECT (router, "dealer-7", 1);
    RECV_EXPECT (router, "hello", 1);
    RECV_EXPECT (router, "there", 0);
    /* And routes a reply by its first frame, which the dealer does not see. */
    SEND_STR (router, "dealer-7", ZMQ_SNDMORE);
    SEND_STR (router, "world", 0);
    RECV_EXPECT (dealer, "world", 0);
    /* An unknown routing id is dropped silently (ZMQ_ROUTER_MANDATORY is off). */
    SEND_STR (router, "nobody", ZMQ_SNDMORE);
    SEND_STR (router, "lost", 0);
    char buf[16];
    CHECK_ERR (zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_OK (zmq_close (dealer));
    CHECK_OK (zmq_close (router));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* With ZMQ_ROUTER_MANDATORY, an unknown routing id is EHOSTUNREACH. */
static void router_mandatory_ehostunreach (void)
{
    void *ctx = new_ctx ();
    void *router = open_socket (ctx, ZMQ_ROUTER);
    if (!router) {
        zmq_ctx_term (ctx);
        return;
    }
    set_int_option (router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_ERR (zmq_send (router, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    CHECK_OK (zmq_close (router));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void req_rep_round_trip (void)
{
    void *ctx = new_ctx (), *rep, *req;
    if (make_pair (ctx, ZMQ_REP, ZMQ_REQ, "inproc://req-rep", &rep, &req) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    for (int i = 0; i < 3; i++) {
        SEND_STR (req, "ping", 0);
        RECV_EXPECT (rep, "ping", 0);
        SEND_STR (rep, "pong", 0);
        RECV_EXPECT (req, "pong", 0);
    }
    /* Multipart requests and replies keep their frames. */
    SEND_STR (req, "q1", ZMQ_SNDMORE);
    SEND_STR (req, "q2", 0);
    RECV_EXPECT (rep, "q1", 1);
    RECV_EXPECT (rep, "q2", 0);
    SEND_STR (rep, "r1", ZMQ_SNDMORE);
    SEND_STR (rep, "r2", 0);
    RECV_EXPECT (req, "r1", 1);
    RECV_EXPECT (req, "r2", 0);
    CHECK_OK (zmq_close (req));
    CHECK_OK (zmq_close (rep));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void req_send_twice_efsm (void)
{
    void *ctx = new_ctx (), *rep, *req;
    if (make_pair (ctx, ZMQ_REP, ZMQ_REQ, "inproc://req-efsm", &rep, &req) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    SEND_STR (req, "first", 0);
    CHECK_ERR (zmq_send (req, "second", 6, 0), EFSM);
    CHECK_ERR (zmq_send (req, "second", 6, ZMQ_DONTWAIT), EFSM);
    /* The first request is still delivered and answered; then REQ may send again. */
    RECV_EXPECT (rep, "first", 0);
    SEND_STR (rep, "answer", 0);
    RECV_EXPECT (req, "answer", 0);
    SEND_STR (req, "third", 0);
    RECV_EXPECT (rep, "third", 0);
    CHECK_OK (zmq_close (req));
    CHECK_OK (zmq_close (rep));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void req_recv_before_send_efsm (void)
{
    void *ctx = new_ctx (), *rep, *req;
    if (make_pair (ctx, ZMQ_REP, ZMQ_REQ, "inproc://req-recv-efsm", &rep, &req) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    char buf[16];
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, 0), EFSM);
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    /* After the whole reply has been received, receiving again is also out of turn. */
    SEND_STR (req, "ask", 0);
    RECV_EXPECT (rep, "ask", 0);
    SEND_STR (rep, "told", 0);
    RECV_EXPECT (req, "told", 0);
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    CHECK_OK (zmq_close (req));
    CHECK_OK (zmq_close (rep));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void rep_send_before_recv_efsm (void)
{
    void *ctx = new_ctx (), *rep, *req;
    if (make_pair (ctx, ZMQ_REP, ZMQ_REQ, "inproc://rep-efsm", &rep, &req) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_ERR (zmq_send (rep, "early", 5, 0), EFSM);
    SEND_STR (req, "ask", 0);
    RECV_EXPECT (rep, "ask", 0);
    /* Having received a request, REP must reply before receiving again. */
    char buf[16];
    CHECK_ERR (zmq_recv (rep, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    SEND_STR (rep, "reply", 0);
    CHECK_ERR (zmq_send (rep, "reply", 5, 0), EFSM);
    RECV_EXPECT (req, "reply", 0);
    CHECK_OK (zmq_close (req));
    CHECK_OK (zmq_close (rep));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ---- send and receive calls ---- */

/* zmq_recv returns the full message size but copies at most len bytes. */
static void recv_truncates (void)
{
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://truncate", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    SEND_STR (a, "0123456789", 0);
    char buf[8];
    memset (buf, '#', sizeof buf);
    CHECK_INT (zmq_recv (b, buf, 4, 0), 10);
    CHECK (memcmp (buf, "0123", 4) == 0);
    CHECK_INT (buf[4], '#');
    /* Zero-length buffer: nothing copied, size still reported. */
    SEND_STR (a, "abc", 0);
    CHECK_INT (zmq_recv (b, buf, 0, 0), 3);
    CHECK_INT (buf[0], '0');
    /* Truncation of the first frame does not lose the next one. */
    SEND_STR (a, "long-first-frame", ZMQ_SNDMORE);
    SEND_STR (a, "second", 0);
    CHECK_INT (zmq_recv (b, buf, 2, 0), 16);
    CHECK_INT (get_int_opt (b, ZMQ_RCVMORE), 1);
    RECV_EXPECT (b, "second", 0);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void send_const (void)
{
    static const char text[] = "constant data";
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://send-const", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_INT (zmq_send_const (a, text, 8, ZMQ_SNDMORE), 8);
    CHECK_INT (zmq_send_const (a, text + 9, 4, 0), 4);
    RECV_EXPECT (b, "constant", 1);
    RECV_EXPECT (b, "data", 0);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void msg_send_and_recv (void)
{
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://msg-send", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    zmq_msg_t msg;
    CHECK_OK (zmq_msg_init_size (&msg, 5));
    memcpy (zmq_msg_data (&msg), "hello", 5);
    CHECK_INT (zmq_msg_send (&msg, a, ZMQ_SNDMORE), 5);
    /* The message was handed over: what is left is an empty message. */
    CHECK_INT (zmq_msg_size (&msg), 0);
    CHECK_OK (zmq_msg_close (&msg));
    CHECK_OK (zmq_msg_init_size (&msg, 40));
    memset (zmq_msg_data (&msg), 'L', 40);
    CHECK_INT (zmq_msg_send (&msg, a, 0), 40);
    CHECK_INT (zmq_msg_size (&msg), 0);
    CHECK_OK (zmq_msg_close (&msg));

    zmq_msg_t in;
    CHECK_OK (zmq_msg_init (&in));
    CHECK_INT (zmq_msg_recv (&in, b, 0), 5);
    CHECK_INT (zmq_msg_size (&in), 5);
    CHECK (memcmp (zmq_msg_data (&in), "hello", 5) == 0);
    CHECK_INT (zmq_msg_more (&in), 1);
    CHECK_INT (zmq_msg_get (&in, ZMQ_MORE), 1);
    /* Receiving into a message that holds data replaces it. */
    CHECK_INT (zmq_msg_recv (&in, b, 0), 40);
    CHECK_INT (zmq_msg_size (&in), 40);
    CHECK_INT (((char *) zmq_msg_data (&in))[39], 'L');
    CHECK_INT (zmq_msg_more (&in), 0);
    /* Nothing left. */
    CHECK_ERR (zmq_msg_recv (&in, b, ZMQ_DONTWAIT), EAGAIN);
    CHECK_OK (zmq_msg_close (&in));
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* zmq_sendiov sends each buffer as a frame, with the caller's flags on all but the last
 * (so ZMQ_SNDMORE is what makes them one multipart message); it returns the last frame's size.
 * zmq_recviov receives up to *count frames of one message into malloc'd buffers, sets *count
 * and returns the number of frames. */
static void sendiov_recviov_multipart (void)
{
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://iov", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    struct iovec out[3] = {{(void *) "ab", 2}, {(void *) "cde", 3}, {(void *) "fghi", 4}};
    CHECK_INT (zmq_sendiov (a, out, 3, ZMQ_SNDMORE), 4);
    struct iovec in[8];
    memset (in, 0, sizeof in);
    size_t count = 8;
    CHECK_INT (zmq_recviov (b, in, &count, 0), 3);
    CHECK_INT (count, 3);
    CHECK_INT (in[0].iov_len, 2);
    CHECK_INT (in[1].iov_len, 3);
    CHECK_INT (in[2].iov_len, 4);
    if (count == 3 && in[0].iov_base && in[1].iov_base && in[2].iov_base) {
        CHECK (memcmp (in[0].iov_base, "ab", 2) == 0);
        CHECK (memcmp (in[1].iov_base, "cde", 3) == 0);
        CHECK (memcmp (in[2].iov_base, "fghi", 4) == 0);
    }
    for (size_t i = 0; i < count && i < 8; i++)
        free (in[i].iov_base);
    CHECK_INT (get_int_opt (b, ZMQ_RCVMORE), 0);

    /* Fewer slots than frames: the rest of the message stays queued. */
    CHECK_INT (zmq_sendiov (a, out, 3, ZMQ_SNDMORE), 4);
    memset (in, 0, sizeof in);
    count = 2;
    CHECK_INT (zmq_recviov (b, in, &count, 0), 2);
    CHECK_INT (count, 2);
    for (size_t i = 0; i < count && i < 8; i++)
        free (in[i].iov_base);
    CHECK_INT (get_int_opt (b, ZMQ_RCVMORE), 1);
    RECV_EXPECT (b, "fghi", 0);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Without ZMQ_SNDMORE, zmq_sendiov sends every buffer as a message of its own. */
static void sendiov_without_sndmore_sends_separate_messages (void)
{
    void *ctx = new_ctx (), *a, *b;
    if (make_pair (ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://iov-separate", &a, &b) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    struct iovec out[2] = {{(void *) "xy", 2}, {(void *) "", 0}};
    CHECK_INT (zmq_sendiov (a, out, 2, 0), 0);
    RECV_EXPECT (b, "xy", 0);
    RECV_EXPECT (b, "", 0);
    /* Invalid arguments. */
    CHECK_ERR (zmq_sendiov (a, out, 0, 0), EINVAL);
    CHECK_ERR (zmq_sendiov (a, NULL, 1, 0), EINVAL);
    size_t count = 0;
    struct iovec in[1];
    CHECK_ERR (zmq_recviov (b, in, &count, 0), EINVAL);
    CHECK_ERR (zmq_recviov (b, NULL, &count, 0), EINVAL);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ---- EAGAIN and timeouts ---- */

static void dontwait_eagain_when_empty (void)
{
    void *ctx = new_ctx ();
    void *pull = open_socket (ctx, ZMQ_PULL);
    void *push = pull ? open_socket (ctx, ZMQ_PUSH) : NULL;
    if (!pull || !push) {
        close_all (pull, push, NULL, NULL);
        zmq_ctx_term (ctx);
        return;
    }
    char buf[16];
    zmq_msg_t msg;
    /* No peer at all. */
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR (zmq_send (push, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    /* A zmq_msg_send that fails leaves the message as it was, body and all. */
    CHECK_OK (zmq_msg_init_size (&msg, 100));
    memset (zmq_msg_data (&msg), 'k', 100);
    CHECK_ERR (zmq_msg_send (&msg, push, ZMQ_DONTWAIT), EAGAIN);
    CHECK_INT (zmq_msg_size (&msg), 100);
    CHECK_INT (((char *) zmq_msg_data (&msg))[99], 'k');
    CHECK_OK (zmq_msg_close (&msg));
    /* Connected, but nothing sent yet. */
    CHECK_OK (zmq_bind (pull, "inproc://dontwait"));
    CHECK_OK (zmq_connect (push, "inproc://dontwait"));
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_OK (zmq_msg_init (&msg));
    CHECK_ERR (zmq_msg_recv (&msg, pull, ZMQ_DONTWAIT), EAGAIN);
    CHECK_OK (zmq_msg_close (&msg));
    /* ZMQ_RCVTIMEO 0 behaves like ZMQ_DONTWAIT. */
    set_int_option (pull, ZMQ_RCVTIMEO, 0);
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, 0), EAGAIN);
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void rcvtimeo_waits_then_eagain (void)
{
    void *ctx = new_ctx ();
    void *pull = open_socket (ctx, ZMQ_PULL);
    if (!pull) {
        zmq_ctx_term (ctx);
        return;
    }
    set_int_option (pull, ZMQ_RCVTIMEO, 100);
    CHECK_OK (zmq_bind (pull, "inproc://rcvtimeo"));
    char buf[16];
    long long start = now_ms ();
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, 0), EAGAIN);
    long long elapsed = now_ms () - start;
    CHECK (elapsed >= 80);
    CHECK (elapsed < 1000);
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void sndtimeo_waits_then_eagain (void)
{
    void *ctx = new_ctx ();
    void *push = open_socket (ctx, ZMQ_PUSH);
    if (!push) {
        zmq_ctx_term (ctx);
        return;
    }
    set_int_option (push, ZMQ_SNDTIMEO, 100);
    set_int_option (push, ZMQ_LINGER, 0);
    long long start = now_ms ();
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);
    long long elapsed = now_ms () - start;
    CHECK (elapsed >= 80);
    CHECK (elapsed < 1000);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Over inproc the pipe holds the sender's SNDHWM plus the receiver's RCVHWM. */
static void hwm_one_queues_two (void)
{
    void *ctx = new_ctx ();
    void *pull = open_socket (ctx, ZMQ_PULL);
    void *push = pull ? open_socket (ctx, ZMQ_PUSH) : NULL;
    if (!pull || !push) {
        close_all (pull, push, NULL, NULL);
        zmq_ctx_term (ctx);
        return;
    }
    bound_waits (pull);
    bound_waits (push);
    set_int_option (push, ZMQ_SNDHWM, 1);
    set_int_option (pull, ZMQ_RCVHWM, 1);
    CHECK_OK (zmq_bind (pull, "inproc://hwm"));
    CHECK_OK (zmq_connect (push, "inproc://hwm"));
    SEND_STR (push, "m1", ZMQ_DONTWAIT);
    SEND_STR (push, "m2", ZMQ_DONTWAIT);
    CHECK_ERR (zmq_send (push, "m3", 2, ZMQ_DONTWAIT), EAGAIN);
    CHECK_INT (get_int_opt (push, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);
    RECV_EXPECT (pull, "m1", 0);
    /* Room again: a (bounded) blocking send gets through. */
    SEND_STR (push, "m3", 0);
    RECV_EXPECT (pull, "m2", 0);
    RECV_EXPECT (pull, "m3", 0);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ---- endpoints ---- */

static void connect_before_bind (void)
{
    void *ctx = new_ctx ();
    void *push = open_socket (ctx, ZMQ_PUSH);
    void *pull = push ? open_socket (ctx, ZMQ_PULL) : NULL;
    if (!push || !pull) {
        close_all (pull, push, NULL, NULL);
        zmq_ctx_term (ctx);
        return;
    }
    bound_waits (push);
    bound_waits (pull);
    CHECK_OK (zmq_connect (push, "inproc://connect-first"));
    /* The connection is pending, yet messages can be queued. */
    CHECK_INT (get_int_opt (push, ZMQ_EVENTS), ZMQ_POLLOUT);
    SEND_STR (push, "early-1", ZMQ_DONTWAIT);
    SEND_STR (push, "early-2", ZMQ_DONTWAIT);
    CHECK_OK (zmq_bind (pull, "inproc://connect-first"));
    RECV_EXPECT (pull, "early-1", 0);
    RECV_EXPECT (pull, "early-2", 0);
    SEND_STR (push, "late", 0);
    RECV_EXPECT (pull, "late", 0);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void bind_twice_eaddrinuse (void)
{
    void *ctx = new_ctx ();
    void *a = open_socket (ctx, ZMQ_PAIR);
    void *b = a ? open_socket (ctx, ZMQ_PAIR) : NULL;
    if (!a || !b) {
        close_all (a, b, NULL, NULL);
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_OK (zmq_bind (a, "inproc://taken"));
    CHECK_ERR (zmq_bind (b, "inproc://taken"), EADDRINUSE);
    CHECK_ERR (zmq_bind (a, "inproc://taken"), EADDRINUSE);
    /* After unbind the name is free again. */
    CHECK_OK (zmq_unbind (a, "inproc://taken"));
    CHECK_OK (zmq_bind (b, "inproc://taken"));
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_close (b));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Closing the socket releases its inproc names too (in libzmq once the socket is reaped, so
 * the new bind is retried for up to a second). */
static void close_releases_inproc_name (void)
{
    void *ctx = new_ctx ();
    void *a = open_socket (ctx, ZMQ_PAIR);
    if (!a) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_OK (zmq_bind (a, "inproc://released"));
    CHECK_OK (zmq_close (a));
    void *b = open_socket (ctx, ZMQ_PAIR);
    if (b) {
        int rc = -1;
        long long deadline = now_ms () + 1000;
        do {
            errno = 0;
            rc = zmq_bind (b, "inproc://released");
            if (rc != 0) {
                struct timespec ts = {0, 10 * 1000000L};
                nanosleep (&ts, NULL);
            }
        } while (rc != 0 && errno == EADDRINUSE && now_ms () < deadline);
        CHECK_INT (rc, 0);
        CHECK_OK (zmq_close (b));
    }
    CHECK_OK (zmq_ctx_term (ctx));
}

static void unbind_disconnect_unknown_enoent (void)
{
    void *ctx = new_ctx ();
    void *a = open_socket (ctx, ZMQ_PAIR);
    if (!a) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_ERR (zmq_unbind (a, "inproc://never-bound"), ENOENT);
    CHECK_ERR (zmq_disconnect (a, "inproc://never-connected"), ENOENT);
    /* Unbinding twice: the second time the name is unknown. */
    CHECK_OK (zmq_bind (a, "inproc://bound-here"));
    CHECK_OK (zmq_unbind (a, "inproc://bound-here"));
    CHECK_ERR (zmq_unbind (a, "inproc://bound-here"), ENOENT);
    /* A name bound by another socket is unknown to this one. */
    void *b = open_socket (ctx, ZMQ_PAIR);
    if (b) {
        CHECK_OK (zmq_bind (b, "inproc://bound-by-b"));
        CHECK_ERR (zmq_unbind (a, "inproc://bound-by-b"), ENOENT);
        CHECK_OK (zmq_close (b));
    }
    /* Disconnecting twice: the second time the connection is unknown. */
    CHECK_OK (zmq_connect (a, "inproc://connected-here"));
    CHECK_OK (zmq_disconnect (a, "inproc://connected-here"));
    CHECK_ERR (zmq_disconnect (a, "inproc://connected-here"), ENOENT);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* For inproc, zmq_disconnect and zmq_unbind are the same operation in libzmq: disconnecting a
 * name the socket has bound unbinds it. */
static void disconnect_of_bound_inproc_name_unbinds (void)
{
    void *ctx = new_ctx ();
    void *a = open_socket (ctx, ZMQ_PAIR);
    if (!a) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_OK (zmq_bind (a, "inproc://bound-then-disconnected"));
    CHECK_OK (zmq_disconnect (a, "inproc://bound-then-disconnected"));
    CHECK_ERR (zmq_unbind (a, "inproc://bound-then-disconnected"), ENOENT);
    void *b = open_socket (ctx, ZMQ_PAIR);
    if (b) {
        CHECK_OK (zmq_bind (b, "inproc://bound-then-disconnected"));
        CHECK_OK (zmq_close (b));
    }
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void unknown_transport_eprotonosupport (void)
{
    void *ctx = new_ctx ();
    void *a = open_socket (ctx, ZMQ_PAIR);
    if (!a) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_ERR (zmq_bind (a, "foo://bar"), EPROTONOSUPPORT);
    CHECK_ERR (zmq_connect (a, "foo://bar"), EPROTONOSUPPORT);
    CHECK_ERR (zmq_unbind (a, "foo://bar"), EPROTONOSUPPORT);
    /* Transport names are case-sensitive. */
    CHECK_ERR (zmq_bind (a, "INPROC://upper"), EPROTONOSUPPORT);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void malformed_endpoint_einval (void)
{
    void *ctx = new_ctx ();
    void *a = open_socket (ctx, ZMQ_PAIR);
    if (!a) {
        zmq_ctx_term (ctx);
        return;
    }
    const char *bad[] = {"", "inproc", "no-scheme-here", "://name", "inproc:/one-slash",
                         "inproc://"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char m[160];
        errno = 0;
        int rc = zmq_bind (a, bad[i]);
        int en = errno;
        if (rc != -1 || en != EINVAL) {
            snprintf (m, sizeof m, "zmq_bind (\"%s\") fails with EINVAL: got rc %d, errno %d (%s)",
                      bad[i], rc, en, strerror (en));
            check_report (__FILE__, __LINE__, m);
        }
        errno = 0;
        rc = zmq_connect (a, bad[i]);
        en = errno;
        if (rc != -1 || en != EINVAL) {
            snprintf (m, sizeof m,
                      "zmq_connect (\"%s\") fails with EINVAL: got rc %d, errno %d (%s)", bad[i],
                      rc, en, strerror (en));
            check_report (__FILE__, __LINE__, m);
        }
    }
    CHECK_ERR (zmq_unbind (a, "garbage"), EINVAL);
    CHECK_OK (zmq_close (a));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Messages sent just before zmq_close (default linger: infinite) still arrive. */
static void linger_delivers_after_close (void)
{
    void *ctx = new_ctx ();
    void *pull = open_socket (ctx, ZMQ_PULL);
    void *push = pull ? open_socket (ctx, ZMQ_PUSH) : NULL;
    if (!pull || !push) {
        close_all (pull, push, NULL, NULL);
        zmq_ctx_term (ctx);
        return;
    }
    bound_waits (pull);
    CHECK_OK (zmq_bind (pull, "inproc://linger"));
    CHECK_OK (zmq_connect (push, "inproc://linger"));
    SEND_STR (push, "one", 0);
    SEND_STR (push, "two", ZMQ_SNDMORE);
    SEND_STR (push, "three", 0);
    CHECK_OK (zmq_close (push));
    RECV_EXPECT (pull, "one", 0);
    RECV_EXPECT (pull, "two", 1);
    RECV_EXPECT (pull, "three", 0);
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* Connected before the bind and closed before it too: the queued message is still delivered
 * once the name is bound. */
static void linger_delivers_to_late_bind (void)
{
    void *ctx = new_ctx ();
    void *push = open_socket (ctx, ZMQ_PUSH);
    if (!push) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_OK (zmq_connect (push, "inproc://late-bind"));
    SEND_STR (push, "kept", ZMQ_DONTWAIT);
    CHECK_OK (zmq_close (push));
    void *pull = open_socket (ctx, ZMQ_PULL);
    if (pull) {
        bound_waits (pull);
        CHECK_OK (zmq_bind (pull, "inproc://late-bind"));
        RECV_EXPECT (pull, "kept", 0);
        CHECK_OK (zmq_close (pull));
    }
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ---- ZMQ_FD, ZMQ_EVENTS, zmq_poll ---- */

static void events_fresh_push_pull (void)
{
    void *ctx = new_ctx (), *pull, *push;
    if (make_pair (ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://events", &pull, &push) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_INT (get_int_opt (push, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), 0);
    SEND_STR (push, "m", 0);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), ZMQ_POLLIN);
    CHECK_INT (get_int_opt (push, ZMQ_EVENTS), ZMQ_POLLOUT);
    RECV_EXPECT (pull, "m", 0);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), 0);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ZMQ_FD signals "something happened, read ZMQ_EVENTS", edge-triggered: reading ZMQ_EVENTS
 * consumes the signal, and more messages on a pipe that is already readable raise none. */
static void fd_edge_triggered (void)
{
    void *ctx = new_ctx (), *pull, *push;
    if (make_pair (ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://fd-edge", &pull, &push) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    int fd = -1;
    size_t sz = sizeof fd;
    CHECK_OK (zmq_getsockopt (pull, ZMQ_FD, &fd, &sz));
    if (fd < 0) {
        zmq_close (push);
        zmq_close (pull);
        zmq_ctx_term (ctx);
        return;
    }
    /* Settle: process whatever the connection left pending. */
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), 0);
    CHECK_INT (fd_readable (fd, 0), 0);

    SEND_STR (push, "m1", 0);
    CHECK_INT (fd_readable (fd, 1000), 1);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), ZMQ_POLLIN);
    CHECK_INT (fd_readable (fd, 0), 0);

    /* A second message on the readable pipe: no new signal, but ZMQ_EVENTS still says POLLIN. */
    SEND_STR (push, "m2", 0);
    CHECK_INT (fd_readable (fd, 100), 0);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), ZMQ_POLLIN);

    RECV_EXPECT (pull, "m1", 0);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), ZMQ_POLLIN);
    RECV_EXPECT (pull, "m2", 0);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), 0);
    CHECK_INT (fd_readable (fd, 0), 0);

    /* Drained: the next message is a new event. */
    SEND_STR (push, "m3", 0);
    CHECK_INT (fd_readable (fd, 1000), 1);
    CHECK_INT (get_int_opt (pull, ZMQ_EVENTS), ZMQ_POLLIN);
    RECV_EXPECT (pull, "m3", 0);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void poll_sockets_and_pipe (void)
{
    void *ctx = new_ctx (), *pull, *push;
    if (make_pair (ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://poll", &pull, &push) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    int fds[2];
    CHECK_OK (pipe (fds));
    zmq_pollitem_t items[3] = {{pull, 0, ZMQ_POLLIN, 0},
                               {NULL, fds[0], ZMQ_POLLIN, 0},
                               {push, 0, ZMQ_POLLOUT, 0}};
    /* Only the PUSH is ready; timeout 0 returns at once. */
    long long start = now_ms ();
    CHECK_INT (zmq_poll (items, 3, 0), 1);
    CHECK (now_ms () - start < 50);
    CHECK_INT (items[0].revents, 0);
    CHECK_INT (items[1].revents, 0);
    CHECK_INT (items[2].revents, ZMQ_POLLOUT);

    /* Nothing to read: a 100 ms poll over the readers waits, then returns 0. */
    start = now_ms ();
    CHECK_INT (zmq_poll (items, 2, 100), 0);
    long long elapsed = now_ms () - start;
    CHECK (elapsed >= 80);
    CHECK (elapsed < 1000);
    CHECK_INT (items[0].revents, 0);
    CHECK_INT (items[1].revents, 0);

    /* The pipe becomes readable. */
    CHECK_INT (write (fds[1], "x", 1), 1);
    CHECK_INT (zmq_poll (items, 2, 1000), 1);
    CHECK_INT (items[0].revents, 0);
    CHECK_INT (items[1].revents, ZMQ_POLLIN);

    /* And the socket too. */
    SEND_STR (push, "msg", 0);
    CHECK_INT (zmq_poll (items, 2, 1000), 2);
    CHECK_INT (items[0].revents, ZMQ_POLLIN);
    CHECK_INT (items[1].revents, ZMQ_POLLIN);

    char c;
    CHECK_INT (read (fds[0], &c, 1), 1);
    RECV_EXPECT (pull, "msg", 0);
    CHECK_INT (zmq_poll (items, 2, 0), 0);
    close (fds[0]);
    close (fds[1]);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* zmq_poll wakes up when a message arrives from another thread during the wait. */
struct delayed_send {
    void *push;
    int delay_ms;
};

static void *delayed_sender (void *arg)
{
    struct delayed_send *d = (struct delayed_send *) arg;
    struct timespec ts = {0, (long) d->delay_ms * 1000000L};
    nanosleep (&ts, NULL);
    zmq_send (d->push, "late", 4, 0);
    return NULL;
}

static void poll_wakes_on_message (void)
{
    void *ctx = new_ctx (), *pull, *push;
    if (make_pair (ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://poll-wake", &pull, &push) != 0) {
        zmq_ctx_term (ctx);
        return;
    }
    struct delayed_send d = {push, 100};
    pthread_t t;
    CHECK_OK (pthread_create (&t, NULL, delayed_sender, &d));
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    long long start = now_ms ();
    CHECK_INT (zmq_poll (&item, 1, 2000), 1);
    long long elapsed = now_ms () - start;
    CHECK_INT (item.revents, ZMQ_POLLIN);
    CHECK (elapsed >= 50);
    CHECK (elapsed < 1500);
    pthread_join (t, NULL);
    RECV_EXPECT (pull, "late", 0);
    CHECK_OK (zmq_close (push));
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ---- context termination ---- */

struct blocked_recv {
    void *ctx;
    int ready_fd;     /* written once the socket exists */
    int rc;
    int err;
    int close_rc;
};

static void *blocked_receiver (void *arg)
{
    struct blocked_recv *b = (struct blocked_recv *) arg;
    void *s = zmq_socket (b->ctx, ZMQ_PULL);
    if (!s) {
        b->rc = -2;
        b->err = errno;
        if (write (b->ready_fd, "x", 1) < 0) {
        }
        return NULL;
    }
    zmq_bind (s, "inproc://blocked");
    if (write (b->ready_fd, "x", 1) < 0) {
    }
    char buf[16];
    errno = 0;
    b->rc = zmq_recv (s, buf, sizeof buf, 0); /* no timeout: only zmq_ctx_term ends it */
    b->err = errno;
    b->close_rc = zmq_close (s);
    return NULL;
}

/* zmq_ctx_term makes a blocked zmq_recv fail with ETERM, and returns once that socket is
 * closed. */
static void ctx_term_unblocks_recv_eterm (void)
{
    void *ctx = new_ctx ();
    int fds[2];
    CHECK_OK (pipe (fds));
    struct blocked_recv b = {ctx, fds[1], 0, 0, -1};
    pthread_t t;
    CHECK_OK (pthread_create (&t, NULL, blocked_receiver, &b));
    char c;
    CHECK_INT (read (fds[0], &c, 1), 1);
    /* Let the thread enter zmq_recv. */
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep (&ts, NULL);
    CHECK_OK (zmq_ctx_term (ctx));
    pthread_join (t, NULL);
    CHECK_INT (b.rc, -1);
    CHECK_INT (b.err, ETERM);
    CHECK_INT (b.close_rc, 0);
    close (fds[0]);
    close (fds[1]);
}

static void ctx_shutdown_then_socket_eterm (void)
{
    void *ctx = new_ctx ();
    CHECK_OK (zmq_ctx_shutdown (ctx));
    CHECK_NULL_ERR (zmq_socket (ctx, ZMQ_PAIR), ETERM);
    CHECK_NULL_ERR (zmq_socket (ctx, ZMQ_PUSH), ETERM);
    CHECK_OK (zmq_ctx_term (ctx));
}

/* A socket of a shut-down context fails every operation with ETERM, except zmq_close. */
static void socket_in_shutdown_ctx_eterm (void)
{
    void *ctx = new_ctx ();
    void *s = open_socket (ctx, ZMQ_PAIR);
    if (!s) {
        zmq_ctx_term (ctx);
        return;
    }
    CHECK_OK (zmq_ctx_shutdown (ctx));
    char buf[16];
    CHECK_ERR (zmq_send (s, "x", 1, 0), ETERM);
    CHECK_ERR (zmq_send (s, "x", 1, ZMQ_DONTWAIT), ETERM);
    CHECK_ERR (zmq_recv (s, buf, sizeof buf, 0), ETERM);
    CHECK_ERR (zmq_bind (s, "inproc://after-shutdown"), ETERM);
    CHECK_ERR (zmq_connect (s, "inproc://after-shutdown"), ETERM);
    int v = 0;
    size_t sz = sizeof v;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_TYPE, &v, &sz), ETERM);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v), ETERM);
    CHECK_OK (zmq_close (s));
    CHECK_OK (zmq_ctx_term (ctx));
}

static void close_null_enotsock (void)
{
    CHECK_ERR (zmq_close (NULL), ENOTSOCK);
    char buf[4];
    CHECK_ERR (zmq_send (NULL, "x", 1, 0), ENOTSOCK);
    CHECK_ERR (zmq_recv (NULL, buf, sizeof buf, 0), ENOTSOCK);
    CHECK_ERR (zmq_bind (NULL, "inproc://x"), ENOTSOCK);
    CHECK_ERR (zmq_connect (NULL, "inproc://x"), ENOTSOCK);
}

int main (void)
{
    RUN (pair_multipart_both_ways);
    RUN (pair_single_peer);
    RUN (push_round_robin_two_pullers);
    RUN (pull_fair_queues_two_pushers);
    RUN (pull_keeps_multipart_whole);
    RUN (dealer_router_routing_id);
    RUN (router_mandatory_ehostunreach);
    RUN (req_rep_round_trip);
    RUN (req_send_twice_efsm);
    RUN (req_recv_before_send_efsm);
    RUN (rep_send_before_recv_efsm);
    RUN (recv_truncates);
    RUN (send_const);
    RUN (msg_send_and_recv);
    RUN (sendiov_recviov_multipart);
    RUN (sendiov_without_sndmore_sends_separate_messages);
    RUN (dontwait_eagain_when_empty);
    RUN (rcvtimeo_waits_then_eagain);
    RUN (sndtimeo_waits_then_eagain);
    RUN (hwm_one_queues_two);
    RUN (connect_before_bind);
    RUN (bind_twice_eaddrinuse);
    RUN (close_releases_inproc_name);
    RUN (unbind_disconnect_unknown_enoent);
    RUN (disconnect_of_bound_inproc_name_unbinds);
    RUN (unknown_transport_eprotonosupport);
    RUN (malformed_endpoint_einval);
    RUN (linger_delivers_after_close);
    RUN (linger_delivers_to_late_bind);
    RUN (events_fresh_push_pull);
    RUN (fd_edge_triggered);
    RUN (poll_sockets_and_pipe);
    RUN (poll_wakes_on_message);
    RUN (ctx_term_unblocks_recv_eterm);
    RUN (ctx_shutdown_then_socket_eterm);
    RUN (socket_in_shutdown_ctx_eterm);
    RUN (close_null_enotsock);
    return check_finish ();
}
