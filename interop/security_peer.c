/* security_peer.c: one side of a security interop case (see security.sh).
 *
 *   security_peer server plain ENDPOINT USER PASS accept|reject
 *       REP socket, PLAIN server, with its own ZAP handler (a REP socket at
 *       inproc://zeromq.zap.01 polled in the same loop) that accepts exactly USER/PASS.
 *       Binds, prints "endpoint E", then: accept: echoes one request and exits 0;
 *       reject: must deny at least one ZAP request and receive no message within 3 s.
 *   security_peer client plain ENDPOINT USER PASS accept|reject
 *       REQ socket, PLAIN client. accept: the echo must come back; reject: no reply within
 *       2 s and the monitor must report ZMQ_EVENT_HANDSHAKE_FAILED_AUTH with 400.
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

static int recv_str(void *s, char *buf, size_t cap, int flags)
{
    int n = zmq_recv(s, buf, cap - 1, flags);
    if (n < 0)
        return n;
    if ((size_t) n >= cap)
        n = (int) cap - 1;
    buf[n] = 0;
    return n;
}

/* Answers one ZAP request on `zap`: 200 when the PLAIN credentials match. Returns 1 when the
 * request was denied, 0 when accepted. */
static int serve_zap(void *zap, const char *user, const char *pass)
{
    char frames[8][256];
    int count = 0, more = 1;
    while (more && count < 8) {
        if (recv_str(zap, frames[count], sizeof frames[count], 0) < 0)
            fail("zap recv");
        count++;
        size_t size = sizeof more;
        zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &size);
    }
    /* version, request id, domain, address, routing id, mechanism, username, password */
    int ok = count == 8 && strcmp(frames[0], "1.0") == 0 && strcmp(frames[5], "PLAIN") == 0
             && strcmp(frames[6], user) == 0 && strcmp(frames[7], pass) == 0;
    zmq_send(zap, frames[0], strlen(frames[0]), ZMQ_SNDMORE);
    zmq_send(zap, frames[1], strlen(frames[1]), ZMQ_SNDMORE);
    zmq_send(zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
    zmq_send(zap, ok ? "OK" : "denied", ok ? 2 : 6, ZMQ_SNDMORE);
    zmq_send(zap, ok ? user : "", ok ? strlen(user) : 0, ZMQ_SNDMORE);
    zmq_send(zap, "", 0, 0);
    return !ok;
}

static int server(void *ctx, const char *endpoint, const char *user, const char *pass, int accept)
{
    void *zap = zmq_socket(ctx, ZMQ_REP);
    if (!zap || zmq_bind(zap, "inproc://zeromq.zap.01") != 0)
        fail("zap bind");
    void *s = zmq_socket(ctx, ZMQ_REP);
    int one = 1, linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(zap, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_setsockopt(s, ZMQ_PLAIN_SERVER, &one, sizeof one) != 0)
        fail("ZMQ_PLAIN_SERVER");
    if (zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "interop", 7) != 0)
        fail("ZMQ_ZAP_DOMAIN");
    if (zmq_bind(s, endpoint) != 0)
        fail("bind");
    char ep[256];
    size_t size = sizeof ep;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &size);
    printf("endpoint %s\n", ep);
    fflush(stdout);

    int denied = 0;
    /* 100 ms steps: up to 20 s waiting for the client, then 3 s after a denial. */
    int steps = 200, after_denial = -1;
    while (steps-- > 0 && after_denial != 0) {
        zmq_pollitem_t items[] = {{zap, 0, ZMQ_POLLIN, 0}, {s, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, 100) < 0)
            fail("poll");
        if (after_denial > 0)
            after_denial--;
        if (items[0].revents & ZMQ_POLLIN) {
            if (serve_zap(zap, user, pass)) {
                denied++;
                if (after_denial < 0)
                    after_denial = 30;
            }
        }
        if (items[1].revents & ZMQ_POLLIN) {
            char buf[256];
            if (recv_str(s, buf, sizeof buf, 0) < 0)
                fail("recv");
            if (!accept)
                fail("a message got through a rejected handshake");
            if (zmq_send(s, buf, strlen(buf), 0) < 0)
                fail("send");
            /* Let the reply go out before closing. */
            zmq_pollitem_t none[] = {{zap, 0, ZMQ_POLLIN, 0}};
            zmq_poll(none, 1, 300);
            zmq_close(s);
            zmq_close(zap);
            return 0;
        }
    }
    zmq_close(s);
    zmq_close(zap);
    if (accept)
        fail("no request arrived");
    if (!denied)
        fail("the ZAP handler was never asked");
    return 0;
}

static int client(void *ctx, const char *endpoint, const char *user, const char *pass, int accept)
{
    void *s = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0, timeout = accept ? 10000 : 2000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_setsockopt(s, ZMQ_PLAIN_USERNAME, user, strlen(user)) != 0
        || zmq_setsockopt(s, ZMQ_PLAIN_PASSWORD, pass, strlen(pass)) != 0)
        fail("PLAIN credentials");
    if (zmq_socket_monitor(s, "inproc://client-monitor", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        fail("monitor");
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(mon, "inproc://client-monitor") != 0)
        fail("monitor connect");
    if (zmq_connect(s, endpoint) != 0)
        fail("connect");
    if (zmq_send(s, "hello", 5, 0) != 5)
        fail("send");
    char buf[256];
    int n = recv_str(s, buf, sizeof buf, 0);
    if (accept) {
        if (n != 5 || strcmp(buf, "hello") != 0)
            fail("no echo through an accepted PLAIN handshake");
    } else {
        if (n >= 0)
            fail("a reply came through a rejected handshake");
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
    zmq_close(mon);
    zmq_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 7 || strcmp(argv[2], "plain") != 0) {
        fprintf(stderr, "usage: %s server|client plain ENDPOINT USER PASS accept|reject\n", argv[0]);
        return 2;
    }
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("version %d.%d.%d\n", major, minor, patch);
    fflush(stdout);
    void *ctx = zmq_ctx_new();
    int accept = strcmp(argv[6], "accept") == 0;
    int rc = strcmp(argv[1], "server") == 0 ? server(ctx, argv[3], argv[4], argv[5], accept)
                                            : client(ctx, argv[3], argv[4], argv[5], accept);
    zmq_ctx_term(ctx);
    return rc;
}
