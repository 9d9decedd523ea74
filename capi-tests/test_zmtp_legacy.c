/*
 * test_zmtp_legacy.c: our sockets facing old peers, played on raw loopback tcp sockets:
 *   - an unversioned ZMTP 1.0 peer (libzmq 2.x: no greeting, its identity frame first),
 *   - a versioned ZMTP 1.0 peer (signature, revision 0, socket type, then ZMTP 1.0 frames),
 *   - a ZMTP 2.0 peer (signature, revision 1, socket type, then ZMTP 2.0 frames),
 * as RFC 13, RFC 15 and RFC 23 ("Backwards Interoperability") describe them. For each, against
 * PAIR, DEALER, ROUTER, REQ, REP, PUB and SUB: the exact greeting and identity frame our socket
 * answers with, multipart messages both ways, frames on both sides of the short/long length
 * boundary, subscriptions (a PUB subscribes an unversioned peer to everything by itself), and
 * refusal when a security mechanism or a ZAP domain is configured. One case has our socket dial
 * the old peer instead of accepting it.
 * Every wait is bounded; every case arms alarm (30).
 */
#include "check.h"
#include "raw_peer.h"
#include "socket_helpers.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

enum kind { UNVERSIONED, V1_0, V2_0 };
static const char *const kind_names[] = {"unversioned ZMTP 1.0", "ZMTP 1.0", "ZMTP 2.0"};

#define BIG 300     /* a frame that needs the long length form in both framings */
#define EDGE 254    /* ZMTP 1.0: length 255 (body + flags) is the first long one */
#define TIMEOUT_MS 3000

/* ---- raw byte helpers ---- */

static void put_u64 (unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char) (v & 0xff);
}

static uint64_t get_u64 (const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static int raw_send (int fd, const void *data, size_t len)
{
    return send (fd, data, len, MSG_NOSIGNAL) == (ssize_t) len ? 0 : -1;
}

/* ---- the old peer ---- */

typedef struct {
    int fd;
    enum kind kind;
} peer_t;

/* Appends one frame in the peer's framing to buf; returns its length. */
static size_t put_frame (unsigned char *buf, enum kind kind, int more, const void *data,
                         size_t size)
{
    size_t n;
    if (kind == V2_0) {
        /* flags (MORE 1, LONG 2), then 1 or 8 bytes of size */
        buf[0] = (unsigned char) ((more ? 1 : 0) | (size > 255 ? 2 : 0));
        if (size > 255) {
            put_u64 (buf + 1, size);
            n = 9;
        } else {
            buf[1] = (unsigned char) size;
            n = 2;
        }
    } else {
        /* length of flags + body (1 byte, or 0xFF and 8 bytes), then flags (MORE 1) */
        uint64_t len = size + 1;
        if (len < 255) {
            buf[0] = (unsigned char) len;
            n = 1;
        } else {
            buf[0] = 0xff;
            put_u64 (buf + 1, len);
            n = 9;
        }
        buf[n++] = (unsigned char) (more ? 1 : 0);
    }
    memcpy (buf + n, data, size);
    return n + size;
}

static int peer_send_frame (peer_t *p, int more, const void *data, size_t size)
{
    unsigned char *buf = (unsigned char *) malloc (size + 10);
    size_t n = put_frame (buf, p->kind, more, data, size);
    int rc = raw_send (p->fd, buf, n);
    free (buf);
    return rc;
}

/* Reads one frame in the peer's framing into a malloc'd *data (caller frees). Checks that the
 * sender chose the short or long length form as libzmq does. 0 on success. */
static int peer_recv_frame (peer_t *p, unsigned char **data, size_t *size, int *more)
{
    unsigned char head[10];
    uint64_t len;
    int flags;
    *data = NULL;
    if (p->kind == V2_0) {
        if (raw_read_exact (p->fd, head, 1))
            return -1;
        flags = head[0];
        if (flags & 2) {
            if (raw_read_exact (p->fd, head + 1, 8))
                return -1;
            len = get_u64 (head + 1);
            CHECK (len > 255);
        } else {
            if (raw_read_exact (p->fd, head + 1, 1))
                return -1;
            len = head[1];
        }
        CHECK_INT (flags & ~1, len > 255 ? 2 : 0); /* no command bit, LONG only when needed */
    } else {
        if (raw_read_exact (p->fd, head, 1))
            return -1;
        if (head[0] == 0xff) {
            if (raw_read_exact (p->fd, head + 1, 8))
                return -1;
            len = get_u64 (head + 1);
            CHECK (len >= 255);
        } else
            len = head[0];
        CHECK (len >= 1);
        if (len < 1 || raw_read_exact (p->fd, head, 1))
            return -1;
        flags = head[0];
        CHECK_INT (flags & ~1, 0);
        len -= 1;
    }
    if (len > (1 << 20))
        return -1;
    *data = (unsigned char *) malloc (len ? len : 1);
    if (len && raw_read_exact (p->fd, *data, len)) {
        free (*data);
        *data = NULL;
        return -1;
    }
    *size = len;
    *more = flags & 1;
    return 0;
}

/* Receives one frame and checks its body and MORE flag. */
static void peer_expect_frame (peer_t *p, int more, const void *body, size_t size)
{
    unsigned char *data;
    size_t got;
    int got_more;
    if (peer_recv_frame (p, &data, &got, &got_more) != 0) {
        check_report (__FILE__, __LINE__, "the old peer did not receive a whole frame");
        return;
    }
    CHECK_INT (got, size);
    CHECK (got == size && memcmp (data, body, size) == 0);
    CHECK_INT (got_more, more);
    free (data);
}

/* What an old peer sends first: its greeting if it has one, then its identity frame. */
static int peer_send_hello (peer_t *p, int peer_type, const char *identity)
{
    size_t id_len = strlen (identity);
    if (p->kind != UNVERSIONED) {
        unsigned char greeting[12];
        greeting[0] = 0xff;
        put_u64 (greeting + 1, id_len + 1);
        greeting[9] = 0x7f;
        greeting[10] = p->kind == V1_0 ? 0 : 1; /* revision */
        greeting[11] = (unsigned char) peer_type;
        if (raw_send (p->fd, greeting, sizeof greeting))
            return -1;
    }
    return peer_send_frame (p, 0, identity, id_len);
}

/* Checks what our socket says to an old peer: the signature (an identity frame header to an
 * unversioned peer), then our major version and socket type, then our identity frame. */
static void peer_expect_hello (peer_t *p, int our_type, const char *our_identity)
{
    size_t id_len = strlen (our_identity);
    unsigned char sig[12];
    if (raw_read_exact (p->fd, sig, 10) != 0) {
        check_report (__FILE__, __LINE__, "no signature from our socket");
        return;
    }
    CHECK_INT (sig[0], 0xff);
    CHECK_INT (get_u64 (sig + 1), id_len + 1);
    CHECK_INT (sig[9], 0x7f);
    if (p->kind == UNVERSIONED) {
        /* The signature was the header of our identity frame: its body follows. */
        unsigned char body[256];
        CHECK (id_len < sizeof body);
        CHECK_OK (raw_read_exact (p->fd, body, id_len));
        CHECK (memcmp (body, our_identity, id_len) == 0);
        return;
    }
    CHECK_OK (raw_read_exact (p->fd, sig + 10, 2));
    CHECK_INT (sig[10], 3);
    CHECK_INT (sig[11], our_type);
    peer_expect_frame (p, 0, our_identity, id_len);
}

/* After a peer kind's round: names the kind if that round failed. */
static int failures_seen = 0;
static void tag_failures (int kind)
{
    if (check_case_failures > failures_seen) {
        char m[128];
        snprintf (m, sizeof m, "(the failures above are with the %s peer)", kind_names[kind]);
        check_report (__FILE__, __LINE__, m);
    }
    failures_seen = check_case_failures;
}

/* ---- our side ---- */

typedef struct {
    void *ctx;
    void *socket;
    int port;
} ours_t;

static int ours_open (ours_t *o, int type, const char *routing_id)
{
    alarm (30);
    memset (o, 0, sizeof *o);
    o->ctx = zmq_ctx_new ();
    CHECK (o->ctx != NULL);
    o->socket = open_socket (o->ctx, type);
    if (!o->socket)
        return -1;
    int ms = TIMEOUT_MS, zero = 0;
    CHECK_OK (zmq_setsockopt (o->socket, ZMQ_RCVTIMEO, &ms, sizeof ms));
    CHECK_OK (zmq_setsockopt (o->socket, ZMQ_SNDTIMEO, &ms, sizeof ms));
    CHECK_OK (zmq_setsockopt (o->socket, ZMQ_LINGER, &zero, sizeof zero));
    if (routing_id)
        CHECK_OK (zmq_setsockopt (o->socket, ZMQ_ROUTING_ID, routing_id, strlen (routing_id)));
    return 0;
}

static int ours_bind (ours_t *o)
{
    char endpoint[256];
    bind_loopback (o->socket, endpoint, sizeof endpoint);
    o->port = endpoint_port (endpoint);
    CHECK (o->port > 0);
    return o->port > 0 ? 0 : -1;
}

static void ours_close (ours_t *o)
{
    if (o->socket)
        zmq_close (o->socket);
    if (o->ctx)
        zmq_ctx_term (o->ctx);
}

static int peer_connect (peer_t *p, enum kind kind, int port)
{
    p->kind = kind;
    p->fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (p->fd >= 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int rc = connect (p->fd, (struct sockaddr *) &addr, sizeof addr);
    CHECK_OK (rc);
    return rc;
}

/* Our socket of `type` bound, and an old peer of `kind` connected to it; -1 (all closed) when
 * that failed. */
static int accept_peer (ours_t *o, peer_t *p, int type, const char *routing_id, enum kind kind)
{
    if (ours_open (o, type, routing_id) == 0 && ours_bind (o) == 0 &&
        peer_connect (p, kind, o->port) == 0)
        return 0;
    ours_close (o);
    return -1;
}

/* Receives one frame on our socket and checks its body and MORE flag. */
static void ours_expect_frame (void *socket, int more, const void *body, size_t size)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = zmq_msg_recv (&msg, socket, 0);
    CHECK_INT (rc, (int) size);
    if (rc == (int) size)
        CHECK (memcmp (zmq_msg_data (&msg), body, size) == 0);
    CHECK_INT (zmq_msg_more (&msg), more);
    zmq_msg_close (&msg);
}

static void ours_send (void *socket, const void *body, size_t size, int flags)
{
    CHECK_INT (zmq_send (socket, body, size, flags), (int) size);
}

static unsigned char big[BIG], edge[EDGE];

static void fill_bodies (void)
{
    for (int i = 0; i < BIG; i++)
        big[i] = (unsigned char) (i * 7 + 1);
    for (int i = 0; i < EDGE; i++)
        edge[i] = (unsigned char) (i * 3 + 2);
}

/* ---- cases: our socket accepts the old peer ---- */

/* PAIR and DEALER: identity exchange, then three-part messages both ways, with a frame on each
 * side of ZMTP 1.0's length boundary and one over 255 bytes. */
static void symmetric (int type)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (accept_peer (&o, &p, type, "us", (enum kind) k))
            return;
        CHECK_OK (peer_send_hello (&p, type == ZMQ_PAIR ? ZMQ_PAIR : ZMQ_DEALER, "them"));
        peer_expect_hello (&p, type, "us");
        /* peer -> us */
        CHECK_OK (peer_send_frame (&p, 1, "hello", 5));
        CHECK_OK (peer_send_frame (&p, 1, edge, EDGE - 1));
        CHECK_OK (peer_send_frame (&p, 1, edge, EDGE));
        CHECK_OK (peer_send_frame (&p, 0, big, BIG));
        ours_expect_frame (o.socket, 1, "hello", 5);
        ours_expect_frame (o.socket, 1, edge, EDGE - 1);
        ours_expect_frame (o.socket, 1, edge, EDGE);
        ours_expect_frame (o.socket, 0, big, BIG);
        /* us -> peer */
        ours_send (o.socket, "world", 5, ZMQ_SNDMORE);
        ours_send (o.socket, edge, EDGE - 1, ZMQ_SNDMORE);
        ours_send (o.socket, edge, EDGE, ZMQ_SNDMORE);
        ours_send (o.socket, big, BIG, 0);
        ours_send (o.socket, "", 0, 0);
        peer_expect_frame (&p, 1, "world", 5);
        peer_expect_frame (&p, 1, edge, EDGE - 1);
        peer_expect_frame (&p, 1, edge, EDGE);
        peer_expect_frame (&p, 0, big, BIG);
        peer_expect_frame (&p, 0, "", 0);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

static void pair_serves_old_peers (void)
{
    symmetric (ZMQ_PAIR);
}

static void dealer_serves_old_peers (void)
{
    symmetric (ZMQ_DEALER);
}

/* ROUTER: the old peer's identity frame becomes its routing id. */
static void router_takes_the_identity_frame (void)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (accept_peer (&o, &p, ZMQ_ROUTER, NULL, (enum kind) k))
            return;
        CHECK_OK (peer_send_hello (&p, ZMQ_DEALER, "old-peer"));
        peer_expect_hello (&p, ZMQ_ROUTER, "");
        CHECK_OK (peer_send_frame (&p, 1, "hello", 5));
        CHECK_OK (peer_send_frame (&p, 0, big, BIG));
        ours_expect_frame (o.socket, 1, "old-peer", 8);
        ours_expect_frame (o.socket, 1, "hello", 5);
        ours_expect_frame (o.socket, 0, big, BIG);
        ours_send (o.socket, "old-peer", 8, ZMQ_SNDMORE);
        ours_send (o.socket, "reply", 5, ZMQ_SNDMORE);
        ours_send (o.socket, big, BIG, 0);
        peer_expect_frame (&p, 1, "reply", 5);
        peer_expect_frame (&p, 0, big, BIG);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

/* REP: the old peer plays REQ (empty delimiter first). */
static void rep_answers_old_req (void)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (accept_peer (&o, &p, ZMQ_REP, NULL, (enum kind) k))
            return;
        CHECK_OK (peer_send_hello (&p, ZMQ_REQ, ""));
        peer_expect_hello (&p, ZMQ_REP, "");
        CHECK_OK (peer_send_frame (&p, 1, "", 0));
        CHECK_OK (peer_send_frame (&p, 1, "question", 8));
        CHECK_OK (peer_send_frame (&p, 0, big, BIG));
        ours_expect_frame (o.socket, 1, "question", 8);
        ours_expect_frame (o.socket, 0, big, BIG);
        ours_send (o.socket, "answer", 6, ZMQ_SNDMORE);
        ours_send (o.socket, big, BIG, 0);
        peer_expect_frame (&p, 1, "", 0);
        peer_expect_frame (&p, 1, "answer", 6);
        peer_expect_frame (&p, 0, big, BIG);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

/* REQ: the old peer plays REP. */
static void req_asks_old_rep (void)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (accept_peer (&o, &p, ZMQ_REQ, "req-id", (enum kind) k))
            return;
        CHECK_OK (peer_send_hello (&p, ZMQ_REP, ""));
        peer_expect_hello (&p, ZMQ_REQ, "req-id");
        ours_send (o.socket, "question", 8, ZMQ_SNDMORE);
        ours_send (o.socket, big, BIG, 0);
        peer_expect_frame (&p, 1, "", 0);
        peer_expect_frame (&p, 1, "question", 8);
        peer_expect_frame (&p, 0, big, BIG);
        CHECK_OK (peer_send_frame (&p, 1, "", 0));
        CHECK_OK (peer_send_frame (&p, 1, "answer", 6));
        CHECK_OK (peer_send_frame (&p, 0, big, BIG));
        ours_expect_frame (o.socket, 1, "answer", 6);
        ours_expect_frame (o.socket, 0, big, BIG);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

/* PUB: a versioned old peer sends its subscription as a message; an unversioned one sends
 * none, and the PUB subscribes it to everything on its behalf. */
static void pub_serves_old_subscribers (void)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (accept_peer (&o, &p, ZMQ_PUB, NULL, (enum kind) k))
            return;
        CHECK_OK (peer_send_hello (&p, ZMQ_SUB, ""));
        peer_expect_hello (&p, ZMQ_PUB, "");
        if (k != UNVERSIONED)
            CHECK_OK (peer_send_frame (&p, 0, "\x01", 1));
        /* Publish until the subscription is in effect (at most 3 s). */
        int arrived = 0;
        for (int tries = 0; tries < 60 && !arrived; tries++) {
            ours_send (o.socket, "topic", 5, ZMQ_SNDMORE);
            ours_send (o.socket, big, BIG, 0);
            struct pollfd pfd = {p.fd, POLLIN, 0};
            arrived = poll (&pfd, 1, 50) > 0;
        }
        CHECK (arrived);
        if (arrived) {
            peer_expect_frame (&p, 1, "topic", 5);
            peer_expect_frame (&p, 0, big, BIG);
        }
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

/* SUB: the subscription goes to the old peer as a message (0x01 + topic), then its messages
 * arrive. */
static void sub_subscribes_old_publishers (void)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (ours_open (&o, ZMQ_SUB, NULL) || ours_bind (&o)) {
            ours_close (&o);
            return;
        }
        CHECK_OK (zmq_setsockopt (o.socket, ZMQ_SUBSCRIBE, "top", 3));
        if (peer_connect (&p, (enum kind) k, o.port)) {
            ours_close (&o);
            return;
        }
        CHECK_OK (peer_send_hello (&p, ZMQ_PUB, ""));
        peer_expect_hello (&p, ZMQ_SUB, "");
        /* libzmq's socket attaches the new connection, and sends it the subscriptions, only
         * when the application calls into it: ask for ZMQ_EVENTS while waiting. */
        int arrived = 0;
        for (int tries = 0; tries < 60 && !arrived; tries++) {
            int events;
            size_t len = sizeof events;
            CHECK_OK (zmq_getsockopt (o.socket, ZMQ_EVENTS, &events, &len));
            struct pollfd pfd = {p.fd, POLLIN, 0};
            arrived = poll (&pfd, 1, 50) > 0;
        }
        CHECK (arrived);
        peer_expect_frame (&p, 0, "\x01top", 4);
        CHECK_OK (peer_send_frame (&p, 1, "other", 5));
        CHECK_OK (peer_send_frame (&p, 0, "dropped", 7));
        CHECK_OK (peer_send_frame (&p, 1, "topic", 5));
        CHECK_OK (peer_send_frame (&p, 0, big, BIG));
        ours_expect_frame (o.socket, 1, "topic", 5);
        ours_expect_frame (o.socket, 0, big, BIG);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

/* Old peers cannot authenticate: with a mechanism or a ZAP domain they are dropped. */
static void refused_under_security (int plain)
{
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        peer_t p;
        if (ours_open (&o, ZMQ_DEALER, NULL)) {
            ours_close (&o);
            return;
        }
        if (plain) {
            int one = 1;
            CHECK_OK (zmq_setsockopt (o.socket, ZMQ_PLAIN_SERVER, &one, sizeof one));
        } else
            CHECK_OK (zmq_setsockopt (o.socket, ZMQ_ZAP_DOMAIN, "global", 6));
        if (ours_bind (&o) || peer_connect (&p, (enum kind) k, o.port)) {
            ours_close (&o);
            return;
        }
        CHECK_OK (peer_send_hello (&p, ZMQ_DEALER, "x"));
        /* Nothing reaches the socket, and the connection is closed. */
        CHECK_OK (peer_send_frame (&p, 0, "hello", 5));
        CHECK (raw_wait_closed (p.fd));
        char buf[16];
        int dontwait_rc = zmq_recv (o.socket, buf, sizeof buf, ZMQ_DONTWAIT);
        CHECK_INT (dontwait_rc, -1);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

static void plain_server_refuses_old_peers (void)
{
    refused_under_security (1);
}

static void zap_domain_refuses_old_peers (void)
{
    refused_under_security (0);
}

/* ---- case: our socket dials the old peer ---- */

static void dealer_dials_old_peers (void)
{
    fill_bodies ();
    for (int k = UNVERSIONED; k <= V2_0; k++) {
        ours_t o;
        if (ours_open (&o, ZMQ_DEALER, "dialer")) {
            ours_close (&o);
            return;
        }
        int lfd = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr;
        memset (&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t alen = sizeof addr;
        CHECK_OK (bind (lfd, (struct sockaddr *) &addr, sizeof addr));
        CHECK_OK (listen (lfd, 1));
        CHECK_OK (getsockname (lfd, (struct sockaddr *) &addr, &alen));
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));
        CHECK_OK (zmq_connect (o.socket, endpoint));
        struct pollfd pfd = {lfd, POLLIN, 0};
        CHECK (poll (&pfd, 1, TIMEOUT_MS) == 1);
        peer_t p = {accept (lfd, NULL, NULL), (enum kind) k};
        CHECK (p.fd >= 0);
        close (lfd);
        if (p.fd < 0) {
            ours_close (&o);
            return;
        }
        CHECK_OK (peer_send_hello (&p, ZMQ_ROUTER, ""));
        peer_expect_hello (&p, ZMQ_DEALER, "dialer");
        ours_send (o.socket, "ping", 4, ZMQ_SNDMORE);
        ours_send (o.socket, big, BIG, 0);
        peer_expect_frame (&p, 1, "ping", 4);
        peer_expect_frame (&p, 0, big, BIG);
        CHECK_OK (peer_send_frame (&p, 1, "pong", 4));
        CHECK_OK (peer_send_frame (&p, 0, big, BIG));
        ours_expect_frame (o.socket, 1, "pong", 4);
        ours_expect_frame (o.socket, 0, big, BIG);
        close (p.fd);
        ours_close (&o);
        tag_failures (k);
    }
}

int main (void)
{
    RUN (pair_serves_old_peers);
    RUN (dealer_serves_old_peers);
    RUN (router_takes_the_identity_frame);
    RUN (rep_answers_old_req);
    RUN (req_asks_old_rep);
    RUN (pub_serves_old_subscribers);
    RUN (sub_subscribes_old_publishers);
    RUN (plain_server_refuses_old_peers);
    RUN (zap_domain_refuses_old_peers);
    RUN (dealer_dials_old_peers);
    return check_finish ();
}
