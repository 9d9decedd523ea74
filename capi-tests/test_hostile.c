/*
 * test_hostile.c: a ROUTER bound on tcp facing hostile peers that speak raw bytes.
 *   A well-formed raw ZMTP 3.0 peer is served (sanity check of the byte strings used below);
 *   then a bad mechanism, an unexpected handshake command, a malformed READY, a frame claiming
 *   2^63 bytes, a frame over ZMQ_MAXMSGSIZE, a truncated greeting and a storm of random bytes.
 *   Each must close only that connection (the raw peer sees EOF), raise the monitor event
 *   libzmq raises, and leave the socket serving a well-behaved DEALER; the storm must not leak
 *   file descriptors; out of fds, the accept failure is reported (ACCEPT_FAILED, EMFILE) and the
 *   pending connection is served once fds are free (without another connection arriving).
 * Every wait is bounded; every case arms alarm (20).
 */
#include "check.h"
#include "raw_peer.h"
#include "socket_helpers.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

/* ---- the server under attack ---- */

typedef struct {
    void *ctx;
    void *router;
    void *monitor; /* PAIR reading the router's monitor events */
    char endpoint[256];
    int port;
} server_t;

static int server_open (server_t *s, int maxmsgsize)
{
    alarm (20);
    memset (s, 0, sizeof *s);
    s->ctx = zmq_ctx_new ();
    CHECK (s->ctx != NULL);
    s->router = zmq_socket (s->ctx, ZMQ_ROUTER);
    CHECK (s->router != NULL);
    if (!s->router)
        return -1;
    int ms = 2000;
    CHECK_OK (zmq_setsockopt (s->router, ZMQ_RCVTIMEO, &ms, sizeof ms));
    CHECK_OK (zmq_setsockopt (s->router, ZMQ_SNDTIMEO, &ms, sizeof ms));
    if (maxmsgsize >= 0) {
        int64_t max = maxmsgsize;
        CHECK_OK (zmq_setsockopt (s->router, ZMQ_MAXMSGSIZE, &max, sizeof max));
    }
    CHECK_OK (zmq_socket_monitor (s->router, "inproc://hostile-monitor", ZMQ_EVENT_ALL));
    s->monitor = zmq_socket (s->ctx, ZMQ_PAIR);
    CHECK_OK (zmq_setsockopt (s->monitor, ZMQ_RCVTIMEO, &ms, sizeof ms));
    CHECK_OK (zmq_connect (s->monitor, "inproc://hostile-monitor"));
    bind_loopback (s->router, s->endpoint, sizeof s->endpoint);
    s->port = endpoint_port (s->endpoint);
    CHECK (s->port > 0);
    return s->port > 0 ? 0 : -1;
}

static void server_close (server_t *s)
{
    int zero = 0;
    if (s->monitor) {
        zmq_setsockopt (s->monitor, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close (s->monitor);
    }
    if (s->router) {
        zmq_setsockopt (s->router, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close (s->router);
    }
    CHECK_OK (zmq_ctx_term (s->ctx));
}

/* Waits up to 3 s for a monitor event of the given kind; returns its value, or -1 when none
 * came. Other events are skipped. */
static long long wait_event (server_t *s, int wanted)
{
    struct timespec start, now;
    clock_gettime (CLOCK_MONOTONIC, &start);
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        int rc = zmq_msg_recv (&frame, s->monitor, 0);
        if (rc < 0) {
            zmq_msg_close (&frame);
            return -1;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size (&frame) == 6) {
            memcpy (&event, zmq_msg_data (&frame), 2);
            memcpy (&value, (char *) zmq_msg_data (&frame) + 2, 4);
        }
        int more = zmq_msg_more (&frame);
        zmq_msg_close (&frame);
        if (more) { /* the endpoint frame */
            zmq_msg_init (&frame);
            zmq_msg_recv (&frame, s->monitor, 0);
            zmq_msg_close (&frame);
        }
        if (event == wanted)
            return value;
        clock_gettime (CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > 3000)
            return -1;
    }
}

/* A well-behaved DEALER connects and does one round trip through the ROUTER. */
static void check_still_serves (server_t *s)
{
    void *dealer = zmq_socket (s->ctx, ZMQ_DEALER);
    CHECK (dealer != NULL);
    int ms = 2000, zero = 0;
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &ms, sizeof ms);
    zmq_setsockopt (dealer, ZMQ_SNDTIMEO, &ms, sizeof ms);
    zmq_setsockopt (dealer, ZMQ_LINGER, &zero, sizeof zero);
    CHECK_OK (zmq_connect (dealer, s->endpoint));
    CHECK_INT (zmq_send (dealer, "ping", 4, 0), 4);
    /* libzmq takes a peer whose first byte is not 0xff for a ZMTP 1.0 peer, so noise from
     * such a peer can arrive as a message: skip those, up to the DEALER's. */
    char id[256], body[16];
    int id_len = -1;
    for (int i = 0; i < 1000; i++) {
        id_len = zmq_recv (s->router, id, sizeof id, 0);
        if (id_len < 0)
            break;
        int body_len = zmq_recv (s->router, body, sizeof body, 0);
        int more = 0;
        size_t more_size = sizeof more;
        zmq_getsockopt (s->router, ZMQ_RCVMORE, &more, &more_size);
        while (more) {
            zmq_recv (s->router, body + 4, sizeof body - 4, 0);
            zmq_getsockopt (s->router, ZMQ_RCVMORE, &more, &more_size);
        }
        if (body_len == 4 && memcmp (body, "ping", 4) == 0)
            break;
        id_len = -1;
    }
    CHECK (id_len > 0);
    if (id_len > 0) {
        CHECK_INT (zmq_send (s->router, id, (size_t) id_len, ZMQ_SNDMORE), id_len);
        CHECK_INT (zmq_send (s->router, "pong", 4, 0), 4);
        CHECK_INT (zmq_recv (dealer, body, sizeof body, 0), 4);
        CHECK (memcmp (body, "pong", 4) == 0);
    }
    zmq_close (dealer);
}

/* ---- the raw peer ---- */

static int raw_connect (int port)
{
    int fd = raw_connect_loopback (port);
    CHECK (fd >= 0);
    return fd;
}

static void raw_send (int fd, const void *data, size_t len)
{
    /* The server may already have closed: a failed write is then expected, not a bug. */
    if (send (fd, data, len, MSG_NOSIGNAL) != (ssize_t) len) {
    }
}

/* READY with Socket-Type DEALER, as a command frame. */
static const unsigned char ready_dealer[] = {
  0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e', 't',
  '-',  'T', 'y', 'p', 'e', 0,   0,   0,   6,  'D', 'E', 'A', 'L', 'E', 'R'};

/* Connects, sends a NULL greeting and READY, and swallows the server's greeting and READY. */
static int raw_handshake (server_t *s)
{
    int fd = raw_connect (s->port);
    unsigned char g[64], theirs[64];
    raw_greeting (g, "NULL");
    raw_send (fd, g, sizeof g);
    CHECK_OK (raw_read_exact (fd, theirs, sizeof theirs));
    CHECK_INT (theirs[0], 0xff);
    raw_send (fd, ready_dealer, sizeof ready_dealer);
    unsigned char head[2];
    CHECK_OK (raw_read_exact (fd, head, 2));
    CHECK_INT (head[0], 0x04);
    unsigned char body[255];
    CHECK_OK (raw_read_exact (fd, body, head[1]));
    CHECK (memcmp (body, "\5READY", 6) == 0);
    CHECK (wait_event (s, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) >= 0);
    return fd;
}

/* ---- cases ---- */

static void raw_peer_is_served (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    int fd = raw_handshake (&s);
    const unsigned char frame[] = {0x00, 5, 'h', 'e', 'l', 'l', 'o'};
    raw_send (fd, frame, sizeof frame);
    char id[256], body[16];
    CHECK (zmq_recv (s.router, id, sizeof id, 0) > 0);
    CHECK_INT (zmq_recv (s.router, body, sizeof body, 0), 5);
    CHECK (memcmp (body, "hello", 5) == 0);
    close (fd);
    server_close (&s);
}

static void bad_mechanism_closes (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    int fd = raw_connect (s.port);
    unsigned char g[64];
    raw_greeting (g, "BOGUS");
    raw_send (fd, g, sizeof g);
    CHECK (raw_wait_closed (fd));
    CHECK_INT (wait_event (&s, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
               ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    close (fd);
    check_still_serves (&s);
    server_close (&s);
}

static void unexpected_command_closes (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    int fd = raw_connect (s.port);
    unsigned char g[64];
    raw_greeting (g, "NULL");
    raw_send (fd, g, sizeof g);
    const unsigned char hello[] = {0x04, 6, 5, 'H', 'E', 'L', 'L', 'O'};
    raw_send (fd, hello, sizeof hello);
    CHECK (raw_wait_closed (fd));
    CHECK_INT (wait_event (&s, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
               ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    close (fd);
    check_still_serves (&s);
    server_close (&s);
}

static void malformed_ready_closes (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    int fd = raw_connect (s.port);
    unsigned char g[64];
    raw_greeting (g, "NULL");
    raw_send (fd, g, sizeof g);
    /* A property whose value length runs past the end of the command. */
    const unsigned char ready[] = {0x04, 18,  5,   'R', 'E', 'A', 'D', 'Y', 4, 'N',
                                   'a',  'm', 'e', 0,   0,   0,   99,  'x', 'y', 'z'};
    raw_send (fd, ready, sizeof ready);
    CHECK (raw_wait_closed (fd));
    /* libzmq reports no handshake failure here, only the disconnection. */
    CHECK (wait_event (&s, ZMQ_EVENT_DISCONNECTED) >= 0);
    close (fd);
    check_still_serves (&s);
    server_close (&s);
}

static void frame_of_2_pow_63_bytes_closes (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    int fd = raw_handshake (&s);
    const unsigned char frame[] = {0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'};
    raw_send (fd, frame, sizeof frame);
    CHECK (raw_wait_closed (fd));
    CHECK (wait_event (&s, ZMQ_EVENT_DISCONNECTED) >= 0);
    close (fd);
    check_still_serves (&s);
    server_close (&s);
}

static void frame_over_maxmsgsize_closes (void)
{
    server_t s;
    if (server_open (&s, 64) != 0)
        return;
    int fd = raw_handshake (&s);
    unsigned char frame[2 + 65];
    frame[0] = 0x00;
    frame[1] = 65;
    memset (frame + 2, 'x', 65);
    raw_send (fd, frame, sizeof frame);
    CHECK (raw_wait_closed (fd));
    CHECK (wait_event (&s, ZMQ_EVENT_DISCONNECTED) >= 0);
    close (fd);
    check_still_serves (&s);
    server_close (&s);
}

static void truncated_greeting_then_eof (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    int fd = raw_connect (s.port);
    const unsigned char part[] = {0xff, 0, 0, 0, 0};
    raw_send (fd, part, sizeof part);
    shutdown (fd, SHUT_WR);
    CHECK (raw_wait_closed (fd));
    close (fd);
    check_still_serves (&s);
    server_close (&s);
}

static int count_fds (void)
{
    int n = 0;
    DIR *d = opendir ("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir (d))
        n++;
    closedir (d);
    return n;
}

/* The number of open fds once it stops moving (a closed client's fd goes asynchronously). */
static int settled_fd_count (void)
{
    int before = count_fds ();
    for (int tries = 0; tries < 20; tries++) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep (&pause, NULL);
        int now = count_fds ();
        if (now == before)
            break;
        before = now;
    }
    return before;
}

static void random_bytes_storm_leaves_no_trace (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    check_still_serves (&s); /* lets the I/O threads and their fds come up first */
    int before = settled_fd_count ();
    uint32_t seed = 12345;
    for (int i = 0; i < 200; i++) {
        int fd = raw_connect (s.port);
        unsigned char junk[300];
        size_t len = 1 + (size_t) (i % 299);
        for (size_t j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            junk[j] = (unsigned char) (seed >> 16);
        }
        if (i % 2 == 0) {
            /* Half of them look like a ZMTP 3 greeting at first, then turn to noise. */
            junk[0] = 0xff;
            if (len > 9)
                junk[9] = 0x7f;
        }
        raw_send (fd, junk, len);
        close (fd);
    }
    check_still_serves (&s);
    /* Every connection the storm opened is closed on the server side too. */
    int after = count_fds ();
    for (int tries = 0; after > before && tries < 50; tries++) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep (&pause, NULL);
        after = count_fds ();
    }
    CHECK_INT (after, before);
    server_close (&s);
}

/* Out of file descriptors: the accept fails, ACCEPT_FAILED reports EMFILE, and once fds are free
 * again the waiting connection and a new one are both served. */
static void fd_exhaustion_reports_accept_failed (void)
{
    server_t s;
    if (server_open (&s, -1) != 0)
        return;
    check_still_serves (&s); /* the I/O threads and their fds exist before the limit */
    settled_fd_count (); /* no fd of the check's client is freed under the limit */
    int waiting = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (waiting >= 0);
    struct rlimit saved, low;
    CHECK_OK (getrlimit (RLIMIT_NOFILE, &saved));
    low = saved;
    low.rlim_cur = 256;
    CHECK_OK (setrlimit (RLIMIT_NOFILE, &low));
    static int fillers[256];
    int filled = 0;
    while (filled < 256) {
        int fd = dup (0);
        if (fd < 0)
            break;
        fillers[filled++] = fd;
    }
    CHECK_INT (errno, EMFILE);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) s.port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK_OK (connect (waiting, (struct sockaddr *) &addr, sizeof addr));
    CHECK_INT (wait_event (&s, ZMQ_EVENT_ACCEPT_FAILED), EMFILE);
    while (filled > 0)
        close (fillers[--filled]);
    CHECK_OK (setrlimit (RLIMIT_NOFILE, &saved));
    /* libzmq retries the accept in a loop and drops the connections it takes while fds are
     * still short (every run here): only libzmq-rs is held to serving them. */
    if (!check_is_baseline ()) {
        /* The waiting connection is served without another connection's readiness. */
        unsigned char g[64], theirs[64];
        raw_greeting (g, "NULL");
        raw_send (waiting, g, sizeof g);
        CHECK_OK (raw_read_exact (waiting, theirs, sizeof theirs));
        CHECK_INT (theirs[0], 0xff);
        check_still_serves (&s);
    }
    close (waiting);
    server_close (&s);
}

int main (void)
{
    RUN (raw_peer_is_served);
    RUN (bad_mechanism_closes);
    RUN (unexpected_command_closes);
    RUN (malformed_ready_closes);
    RUN (frame_of_2_pow_63_bytes_closes);
    RUN (frame_over_maxmsgsize_closes);
    RUN (truncated_greeting_then_eof);
    RUN (random_bytes_storm_leaves_no_trace);
    RUN (fd_exhaustion_reports_accept_failed);
    return check_finish ();
}
