/* security_peer.c: one side of a security interop case (see security.sh).
 *
 *   security_peer keypair
 *       prints "public Z85" and "secret Z85" (a fresh CURVE key pair from this libzmq).
 *   security_peer server plain ENDPOINT USER PASS OUTCOME
 *   security_peer server curve ENDPOINT SERVER_SECRET ALLOWED_CLIENT_PUBLIC OUTCOME
 *       REP socket as PLAIN or CURVE server, with its own ZAP handler (a REP socket at
 *       inproc://zeromq.zap.01 polled in the same loop) that accepts exactly USER/PASS, or
 *       exactly the client key ALLOWED_CLIENT_PUBLIC. Binds, prints "endpoint E", then, by OUTCOME:
 *         accept   echoes one request (any size) and exits 0;
 *         reject   must deny at least one ZAP request and receive no message;
 *         noreply  must receive no message within 5 s (the handshake cannot even start);
 *         pubsub   a PUB socket instead, publishing "tick" until 3 s after a subscriber passed ZAP.
 *   security_peer client plain ENDPOINT USER PASS OUTCOME
 *   security_peer client curve ENDPOINT SERVER_PUBLIC CLIENT_PUBLIC CLIENT_SECRET OUTCOME [SIZE]
 *       REQ socket as PLAIN or CURVE client; sends SIZE bytes (default 5) and, by OUTCOME:
 *         accept   the same bytes must come back;
 *         reject   no reply within 2 s, and ZMQ_EVENT_HANDSHAKE_FAILED_AUTH 400 on the monitor;
 *         noreply  no reply within 2 s;
 *         pubsub   a SUB socket instead: a "tick" must arrive within 10 s.
 *
 * Prints "version X.Y.Z" first, so the runner can check which libzmq was loaded. Exit 0 when
 * the side saw what it expected; "FAIL reason" on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <zmq.h>

static void fail(const char *what)
{
    fprintf(stderr, "FAIL %s (errno %d: %s)\n", what, zmq_errno(), zmq_strerror(zmq_errno()));
    exit(1);
}

static int recv_str(void *s, char *buf, size_t cap)
{
    int n = zmq_recv(s, buf, cap - 1, 0);
    if (n < 0)
        return n;
    if ((size_t) n >= cap)
        n = (int) cap - 1;
    buf[n] = 0;
    return n;
}

/* ZAP requests accepted so far. */
static int zap_accepted;

/* What the ZAP handler accepts. */
static const char *plain_user, *plain_pass;
static uint8_t curve_allowed[32];

/* Answers one ZAP request on `zap`: 200 when the credentials match. Returns 1 when denied. */
static int serve_zap(void *zap)
{
    char frames[8][256];
    int sizes[8];
    int count = 0, more = 1;
    while (more && count < 8) {
        sizes[count] = recv_str(zap, frames[count], sizeof frames[count]);
        if (sizes[count] < 0)
            fail("zap recv");
        count++;
        size_t size = sizeof more;
        zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &size);
    }
    /* version, request id, domain, address, routing id, mechanism, credentials... */
    int ok = count >= 7 && strcmp(frames[0], "1.0") == 0;
    if (ok && strcmp(frames[5], "PLAIN") == 0)
        ok = count == 8 && strcmp(frames[6], plain_user) == 0 && strcmp(frames[7], plain_pass) == 0;
    else if (ok && strcmp(frames[5], "CURVE") == 0)
        ok = count == 7 && sizes[6] == 32 && memcmp(frames[6], curve_allowed, 32) == 0;
    else
        ok = 0;
    zmq_send(zap, frames[0], strlen(frames[0]), ZMQ_SNDMORE);
    zmq_send(zap, frames[1], strlen(frames[1]), ZMQ_SNDMORE);
    zmq_send(zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
    zmq_send(zap, ok ? "OK" : "denied", ok ? 2 : 6, ZMQ_SNDMORE);
    zmq_send(zap, ok ? "user" : "", ok ? 4 : 0, ZMQ_SNDMORE);
    zmq_send(zap, "", 0, 0);
    zap_accepted += ok;
    return !ok;
}

/* PUB server: publishes "tick" every 100 ms, until 3 s after the ZAP handler accepted a
 * subscriber (up to 20 s). */
static int run_publisher(void *zap, void *s, const char *endpoint)
{
    if (zmq_bind(s, endpoint) != 0)
        fail("bind");
    char ep[256];
    size_t size = sizeof ep;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &size);
    printf("endpoint %s\n", ep);
    fflush(stdout);
    int steps = 200, after_accept = -1;
    while (steps-- > 0 && after_accept != 0) {
        zmq_pollitem_t items[] = {{zap, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 1, 100) < 0)
            fail("poll");
        if (items[0].revents & ZMQ_POLLIN)
            serve_zap(zap);
        if (zap_accepted && after_accept < 0)
            after_accept = 30;
        if (after_accept > 0)
            after_accept--;
        zmq_send(s, "tick", 4, 0);
    }
    zmq_close(s);
    zmq_close(zap);
    if (!zap_accepted)
        fail("no subscriber was accepted");
    return 0;
}

/* SUB client: the first "tick" must arrive within 10 s. */
static int run_subscriber(void *s, const char *endpoint)
{
    int linger = 0, timeout = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(s, endpoint) != 0)
        fail("connect");
    char buf[16];
    if (recv_str(s, buf, sizeof buf) != 4 || strcmp(buf, "tick") != 0)
        fail("no tick through an accepted CURVE PUB/SUB handshake");
    zmq_close(s);
    return 0;
}

static int run_server(void *ctx, void *zap, void *s, const char *endpoint, const char *outcome)
{
    int accept = strcmp(outcome, "accept") == 0, noreply = strcmp(outcome, "noreply") == 0;
    if (zmq_bind(s, endpoint) != 0)
        fail("bind");
    char ep[256];
    size_t size = sizeof ep;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &size);
    printf("endpoint %s\n", ep);
    fflush(stdout);
    (void) ctx;

    int denied = 0;
    /* 100 ms steps: up to 20 s waiting for the client (5 s for noreply), then 3 s after a
     * denial. */
    int steps = noreply ? 50 : 200, after_denial = -1;
    while (steps-- > 0 && after_denial != 0) {
        zmq_pollitem_t items[] = {{zap, 0, ZMQ_POLLIN, 0}, {s, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, 100) < 0)
            fail("poll");
        if (after_denial > 0)
            after_denial--;
        if ((items[0].revents & ZMQ_POLLIN) && serve_zap(zap)) {
            denied++;
            if (after_denial < 0)
                after_denial = 30;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, s, 0) < 0)
                fail("recv");
            if (!accept)
                fail("a message got through a handshake that should have failed");
            if (zmq_msg_send(&msg, s, 0) < 0)
                fail("send");
            /* Let the reply go out before closing. */
            zmq_pollitem_t none[] = {{zap, 0, ZMQ_POLLIN, 0}};
            zmq_poll(none, 1, 500);
            zmq_close(s);
            zmq_close(zap);
            return 0;
        }
    }
    zmq_close(s);
    zmq_close(zap);
    if (accept)
        fail("no request arrived");
    if (!noreply && !denied)
        fail("the ZAP handler was never asked");
    return 0;
}

static int client(void *ctx, void *s, const char *endpoint, const char *outcome, size_t n)
{
    int accept = strcmp(outcome, "accept") == 0, reject = strcmp(outcome, "reject") == 0;
    int linger = 0, timeout = accept ? 10000 : 2000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_socket_monitor(s, "inproc://client-monitor", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        fail("monitor");
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(mon, "inproc://client-monitor") != 0)
        fail("monitor connect");
    if (zmq_connect(s, endpoint) != 0)
        fail("connect");
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char) (i * 7 + 1);
    if (zmq_send(s, data, n, 0) != (int) n)
        fail("send");
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    int got = zmq_msg_recv(&reply, s, 0);
    if (accept) {
        if (got != (int) n || memcmp(zmq_msg_data(&reply), data, n) != 0)
            fail("no echo through an accepted handshake");
    } else if (got >= 0) {
        fail("a reply came through a handshake that should have failed");
    } else if (reject) {
        /* The server's ERROR "400" must show up as an AUTH failure. */
        zmq_setsockopt(mon, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_msg_t event;
        zmq_msg_init(&event);
        if (zmq_msg_recv(&event, mon, 0) < 0)
            fail("no HANDSHAKE_FAILED_AUTH event");
        uint16_t id;
        uint32_t value;
        memcpy(&id, zmq_msg_data(&event), 2);
        memcpy(&value, (char *) zmq_msg_data(&event) + 2, 4);
        zmq_msg_close(&event);
        if (id != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || value != 400) {
            fprintf(stderr, "FAIL event %u value %u, expected AUTH 400\n", id, value);
            exit(1);
        }
    }
    zmq_msg_close(&reply);
    free(data);
    zmq_close(mon);
    zmq_close(s);
    return 0;
}

static void set_key(void *s, int option, const char *z85)
{
    if (strlen(z85) != 40 || zmq_setsockopt(s, option, z85, 40) != 0)
        fail("CURVE key option");
}

static void usage(const char *me)
{
    fprintf(stderr,
            "usage: %s keypair\n"
            "       %s server plain ENDPOINT USER PASS accept|reject|noreply\n"
            "       %s server curve ENDPOINT SERVER_SECRET ALLOWED_CLIENT_PUBLIC accept|reject|noreply\n"
            "       %s client plain ENDPOINT USER PASS accept|reject|noreply\n"
            "       %s client curve ENDPOINT SERVER_PUBLIC CLIENT_PUBLIC CLIENT_SECRET "
            "accept|reject|noreply [SIZE]\n",
            me, me, me, me, me);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage(argv[0]);
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("version %d.%d.%d\n", major, minor, patch);
    fflush(stdout);
    if (strcmp(argv[1], "keypair") == 0) {
        char pub[41], sec[41];
        if (zmq_curve_keypair(pub, sec) != 0)
            fail("zmq_curve_keypair");
        printf("public %s\nsecret %s\n", pub, sec);
        return 0;
    }
    if (argc < 7)
        usage(argv[0]);
    int is_server = strcmp(argv[1], "server") == 0, curve = strcmp(argv[2], "curve") == 0;
    const char *endpoint = argv[3];
    void *ctx = zmq_ctx_new();
    int rc;
    if (is_server) {
        int one = 1;
        int pubsub = strcmp(argv[6], "pubsub") == 0;
        void *zap = zmq_socket(ctx, ZMQ_REP);
        void *s = zmq_socket(ctx, pubsub ? ZMQ_PUB : ZMQ_REP);
        int linger = 0;
        zmq_setsockopt(zap, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_bind(zap, "inproc://zeromq.zap.01") != 0)
            fail("zap bind");
        if (zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "interop", 7) != 0)
            fail("ZMQ_ZAP_DOMAIN");
        if (curve) {
            if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0)
                fail("ZMQ_CURVE_SERVER");
            set_key(s, ZMQ_CURVE_SECRETKEY, argv[4]);
            if (strlen(argv[5]) != 40 || !zmq_z85_decode(curve_allowed, argv[5]))
                fail("allowed client key");
        } else {
            plain_user = argv[4];
            plain_pass = argv[5];
            if (zmq_setsockopt(s, ZMQ_PLAIN_SERVER, &one, sizeof one) != 0)
                fail("ZMQ_PLAIN_SERVER");
        }
        rc = pubsub ? run_publisher(zap, s, endpoint) : run_server(ctx, zap, s, endpoint, argv[6]);
    } else {
        const char *outcome = curve && argc > 7 ? argv[7] : argv[6];
        int pubsub = strcmp(outcome, "pubsub") == 0;
        void *s = zmq_socket(ctx, pubsub ? ZMQ_SUB : ZMQ_REQ);
        size_t n = 5;
        if (curve) {
            if (argc < 8)
                usage(argv[0]);
            set_key(s, ZMQ_CURVE_SERVERKEY, argv[4]);
            set_key(s, ZMQ_CURVE_PUBLICKEY, argv[5]);
            set_key(s, ZMQ_CURVE_SECRETKEY, argv[6]);
            if (argc > 8)
                n = (size_t) strtoul(argv[8], NULL, 10);
        } else if (zmq_setsockopt(s, ZMQ_PLAIN_USERNAME, argv[4], strlen(argv[4])) != 0
                   || zmq_setsockopt(s, ZMQ_PLAIN_PASSWORD, argv[5], strlen(argv[5])) != 0) {
            fail("PLAIN credentials");
        }
        rc = pubsub ? run_subscriber(s, endpoint) : client(ctx, s, endpoint, outcome, n);
    }
    zmq_ctx_term(ctx);
    return rc;
}
