/*
 * peer.c: one side of the libzmq interoperability suite (interop/run.sh).
 *
 * The program is compiled once against zmq.h and linked dynamically with -lzmq (no rpath), so
 * the same binary runs on whichever libzmq.so.5 the dynamic linker finds: libzmq-rs with
 * LD_LIBRARY_PATH=$PREFIX/lib, Debian's libzmq without it. It prints the version of the library
 * it really loaded, so the runner can check which one each side used.
 *
 * Usage: peer TYPE bind|connect ENDPOINT ROLE N [GOFILE]
 *   TYPE  PAIR REQ REP DEALER ROUTER PUSH PULL PUB SUB XPUB XSUB
 *   ROLE  echo N       receive N multipart messages and send each back unchanged (a ROUTER
 *                      keeps the routing-id frame, so the reply goes back to its sender)
 *         client N     send N test messages, receive each echo and verify it byte for byte
 *                      (a DEALER adds an empty delimiter frame, so REP and ROUTER both accept it)
 *         source N     send N test messages (PUSH)
 *         sink N       receive N test messages, verify each and that no extra message follows
 *         pair N       send N test messages and receive N from the other side at the same time
 *                      (both PAIR sockets run this role)
 *         publisher N  (PUB, XPUB) wait until the subscriber is there, then send N test
 *                      messages behind topic frames, mixed with messages on other topics (see
 *                      role_publisher): an XPUB waits for the subscriptions and the cancel, a
 *                      PUB for its monitor's HANDSHAKE_SUCCEEDED and then 300 ms for the
 *                      subscriptions to follow on the wire
 *         subscriber N (SUB, XSUB) subscribe and cancel (SUB with ZMQ_SUBSCRIBE and
 *                      ZMQ_UNSUBSCRIBE, XSUB by sending \x01 / \x00 messages), then receive
 *                      exactly the N test messages behind their topic frames
 *         monitored-client N / monitored-echo N
 *                      as client / echo, with a monitor on the socket from before it binds or
 *                      connects (reconnect interval 10 s, so one retry is scheduled at most);
 *                      after the exchange, wait for the peer to disconnect, close the socket and
 *                      print the events seen, "event NAME" per line (with the value where it
 *                      does not depend on the run), up to MONITOR_STOPPED
 *         client-restart N GOFILE
 *                      as client for N messages, print "phase1 done", wait for GOFILE to exist
 *                      (the runner kills the server meanwhile), send N more messages without
 *                      waiting, print "phase2 queued", then receive and verify their N echoes
 *
 * Test message i has 1 + i % 4 parts; part j has size SIZES[(i + j) % NSIZES] and contents that
 * are a function of (i, j, offset), so every receiver can check it without any shared state.
 *
 * stdout (line buffered, for the runner): "version X.Y.Z", "pid P", "endpoint E" (bind side,
 * the resolved ZMQ_LAST_ENDPOINT), progress markers, "ok". stderr: diagnostics.
 * Every blocking call is bounded (ZMQ_RCVTIMEO/ZMQ_SNDTIMEO 10 s, ZMQ_LINGER 5 s); any failure
 * or timeout prints "peer: FAIL ..." with errno and exits 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define TIMEOUT_MS 10000
#define LINGER_MS 5000
#define MAX_PARTS 16

static const size_t SIZES[] = {0, 1, 33, 34, 255, 256, 8191, 65536, 1048576};
#define NSIZES (sizeof SIZES / sizeof SIZES[0])

static const char *g_tag = "peer"; /* "TYPE role", prefixed to diagnostics */

static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "peer: FAIL [%s] ", g_tag);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Fail with the current zmq errno after call `what`. */
static void fail_zmq(const char *what)
{
    int e = zmq_errno();
    if (e == EAGAIN)
        fail("%s: timed out after %d ms (errno %d EAGAIN)", what, TIMEOUT_MS, e);
    fail("%s: %s (errno %d)", what, zmq_strerror(e), e);
}

/* ---- test messages ---------------------------------------------------------------------- */

static int parts_of(int i) { return 1 + i % 4; }
static size_t size_of(int i, int j) { return SIZES[(size_t)(i + j) % NSIZES]; }
static unsigned char byte_of(int i, int j, size_t k)
{
    return (unsigned char)((uint32_t)i * 131u + (uint32_t)j * 31u + (uint32_t)k * 7u +
                           (uint32_t)(k >> 8) * 3u + (uint32_t)(k >> 16));
}

/* Send message i; a DEALER first sends an empty delimiter frame. */
static void send_test_message(void *s, int i, int delimiter)
{
    char what[96];
    if (delimiter && zmq_send(s, "", 0, ZMQ_SNDMORE) != 0) {
        snprintf(what, sizeof what, "send delimiter of message %d", i);
        fail_zmq(what);
    }
    int nparts = parts_of(i);
    for (int j = 0; j < nparts; j++) {
        size_t size = size_of(i, j);
        zmq_msg_t m;
        if (zmq_msg_init_size(&m, size) != 0)
            fail_zmq("zmq_msg_init_size");
        unsigned char *p = zmq_msg_data(&m);
        for (size_t k = 0; k < size; k++)
            p[k] = byte_of(i, j, k);
        if (zmq_msg_send(&m, s, j + 1 < nparts ? ZMQ_SNDMORE : 0) < 0) {
            snprintf(what, sizeof what, "send message %d part %d (%zu bytes)", i, j, size);
            fail_zmq(what);
        }
    }
}

/* A received multipart message. */
typedef struct {
    int n;
    zmq_msg_t part[MAX_PARTS];
} multipart_t;

static void recv_multipart(void *s, multipart_t *mp, const char *what)
{
    char buf[128];
    mp->n = 0;
    for (;;) {
        if (mp->n == MAX_PARTS)
            fail("%s: more than %d parts", what, MAX_PARTS);
        zmq_msg_t *m = &mp->part[mp->n];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, s, 0) < 0) {
            snprintf(buf, sizeof buf, "%s (part %d)", what, mp->n);
            fail_zmq(buf);
        }
        mp->n++;
        if (!zmq_msg_more(m))
            return;
    }
}

static void close_multipart(multipart_t *mp)
{
    for (int j = 0; j < mp->n; j++)
        zmq_msg_close(&mp->part[j]);
    mp->n = 0;
}

/* Check that mp is test message i (after an empty delimiter if `delimiter`). */
static void verify_test_message(multipart_t *mp, int i, int delimiter)
{
    int first = 0;
    if (delimiter) {
        if (mp->n < 1 || zmq_msg_size(&mp->part[0]) != 0)
            fail("message %d: expected an empty delimiter frame first", i);
        first = 1;
    }
    int nparts = parts_of(i);
    if (mp->n - first != nparts)
        fail("message %d: %d parts received, %d expected", i, mp->n - first, nparts);
    for (int j = 0; j < nparts; j++) {
        zmq_msg_t *m = &mp->part[first + j];
        size_t size = size_of(i, j);
        if (zmq_msg_size(m) != size)
            fail("message %d part %d: %zu bytes received, %zu expected", i, j, zmq_msg_size(m),
                 size);
        const unsigned char *p = zmq_msg_data(m);
        for (size_t k = 0; k < size; k++)
            if (p[k] != byte_of(i, j, k))
                fail("message %d part %d: byte %zu is 0x%02x, expected 0x%02x", i, j, k, p[k],
                     byte_of(i, j, k));
    }
}

static void recv_and_verify(void *s, int i, int delimiter, const char *kind)
{
    char what[64];
    multipart_t mp;
    snprintf(what, sizeof what, "receive %s %d", kind, i);
    recv_multipart(s, &mp, what);
    verify_test_message(&mp, i, delimiter);
    close_multipart(&mp);
}

/* ---- roles ------------------------------------------------------------------------------ */

static void role_echo(void *s, int n)
{
    for (int i = 0; i < n; i++) {
        char what[64];
        multipart_t mp;
        snprintf(what, sizeof what, "receive request %d", i);
        recv_multipart(s, &mp, what);
        for (int j = 0; j < mp.n; j++)
            if (zmq_msg_send(&mp.part[j], s, j + 1 < mp.n ? ZMQ_SNDMORE : 0) < 0) {
                snprintf(what, sizeof what, "send reply %d part %d", i, j);
                fail_zmq(what);
            }
        close_multipart(&mp); /* sent parts are already empty; closing them is harmless */
    }
}

/* Requests [from, from + n): REQ goes in lock step, the others keep a window of 8 in flight. */
static void client_range(void *s, int type, int from, int n)
{
    int delimiter = type == ZMQ_DEALER;
    int window = type == ZMQ_REQ ? 1 : 8;
    for (int i = from; i < from + n; i += window) {
        int end = i + window < from + n ? i + window : from + n;
        for (int k = i; k < end; k++)
            send_test_message(s, k, delimiter);
        for (int k = i; k < end; k++)
            recv_and_verify(s, k, delimiter, "reply");
    }
}

static void role_source(void *s, int n)
{
    for (int i = 0; i < n; i++)
        send_test_message(s, i, 0);
}

static void role_sink(void *s, int n)
{
    for (int i = 0; i < n; i++)
        recv_and_verify(s, i, 0, "message");
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, 300);
    if (rc < 0)
        fail_zmq("zmq_poll for extra messages");
    if (rc > 0)
        fail("an extra message arrived after the %d expected", n);
}

/* The next monitor event (10 s at most); its value in *value. */
static int next_monitor_event(void *monitor, uint32_t *value)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, monitor, 0) < 0)
        fail_zmq("waiting for a monitor event");
    uint16_t event = 0;
    if (zmq_msg_size(&frame) == 6) {
        memcpy(&event, zmq_msg_data(&frame), sizeof event);
        memcpy(value, (char *)zmq_msg_data(&frame) + 2, sizeof *value);
    }
    int more = zmq_msg_more(&frame);
    zmq_msg_close(&frame);
    if (more) { /* the endpoint frame */
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, monitor, 0) < 0)
            fail_zmq("monitor endpoint frame");
        zmq_msg_close(&frame);
    }
    return event;
}

/* Reads monitor events from `monitor` until one of type `event` (10 s at most). */
static void wait_monitor_event(void *monitor, int event)
{
    uint32_t value;
    while (next_monitor_event(monitor, &value) != event) {
    }
}

static const char *event_name(int event)
{
    static const struct {
        int event;
        const char *name;
    } names[] = {{ZMQ_EVENT_CONNECTED, "CONNECTED"},
                 {ZMQ_EVENT_CONNECT_DELAYED, "CONNECT_DELAYED"},
                 {ZMQ_EVENT_CONNECT_RETRIED, "CONNECT_RETRIED"},
                 {ZMQ_EVENT_LISTENING, "LISTENING"},
                 {ZMQ_EVENT_BIND_FAILED, "BIND_FAILED"},
                 {ZMQ_EVENT_ACCEPTED, "ACCEPTED"},
                 {ZMQ_EVENT_ACCEPT_FAILED, "ACCEPT_FAILED"},
                 {ZMQ_EVENT_CLOSED, "CLOSED"},
                 {ZMQ_EVENT_CLOSE_FAILED, "CLOSE_FAILED"},
                 {ZMQ_EVENT_DISCONNECTED, "DISCONNECTED"},
                 {ZMQ_EVENT_MONITOR_STOPPED, "MONITOR_STOPPED"},
                 {ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, "HANDSHAKE_FAILED_NO_DETAIL"},
                 {ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "HANDSHAKE_SUCCEEDED"},
                 {ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, "HANDSHAKE_FAILED_PROTOCOL"},
                 {ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, "HANDSHAKE_FAILED_AUTH"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (names[k].event == event)
            return names[k].name;
    return "UNKNOWN";
}

/* Prints one event; values that are file descriptors or random are left out (a reconnect
 * waits the interval plus a random jitter below it: CONNECT_RETRIED shows which side of 10 s
 * it lands). */
static void print_event(int event, uint32_t value)
{
    if (event == ZMQ_EVENT_CONNECT_RETRIED)
        printf("event %s %s\n", event_name(event), value >= 10000 && value < 20000 ? "10-20s" : "other");
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        printf("event %s %u\n", event_name(event), value);
    else
        printf("event %s\n", event_name(event));
}

static void role_monitored(void *s, int type, void *monitor, int n, int client)
{
    if (client)
        client_range(s, type, 0, n);
    else
        role_echo(s, n);
    /* The peer leaves after the exchange; then one more quiet moment for late events. */
    uint32_t value;
    int event;
    do {
        event = next_monitor_event(monitor, &value);
        print_event(event, value);
    } while (event != ZMQ_EVENT_DISCONNECTED);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    if (zmq_close(s) != 0)
        fail_zmq("zmq_close");
    do {
        event = next_monitor_event(monitor, &value);
        print_event(event, value);
    } while (event != ZMQ_EVENT_MONITOR_STOPPED);
}

/* Pub-sub cases use topics: the subscriber subscribes to "A", "B" and "C", then cancels "C";
 * the publisher sends test message i behind a topic frame "A" or "B" (alternating), each after
 * a message on the cancelled topic "C" and one on the never subscribed "Z". The subscriber must
 * get exactly the test messages: publisher-side filtering over the wire of either library. */
static const char *topic_of(int i) { return i % 2 ? "B" : "A"; }

static void role_publisher(void *s, int type, void *monitor, int n)
{
    if (type == ZMQ_XPUB) {
        /* An XPUB passes on each first subscription and last cancel: \1A \1B \1C \0C on a
         * live connection; a subscriber that was bound before we connected replays only what
         * it holds then (\1A \1B). So: collect until A and B are in and nothing more came for
         * 300 ms, then C must be out. */
        int active[3] = {0, 0, 0}; /* A, B, C */
        for (;;) {
            zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
            int settled = active[0] && active[1];
            int rc = zmq_poll(&item, 1, settled ? 300 : TIMEOUT_MS);
            if (rc < 0)
                fail_zmq("zmq_poll for subscriptions");
            if (rc == 0 && settled)
                break;
            if (rc == 0)
                fail("subscriptions to A and B did not arrive within %d ms", TIMEOUT_MS);
            char sub[16];
            int size = zmq_recv(s, sub, sizeof sub, 0);
            if (size < 0)
                fail_zmq("receive a subscription");
            if (size != 2 || (sub[0] != 0 && sub[0] != 1) || sub[1] < 'A' || sub[1] > 'C')
                fail("unexpected subscription message of %d bytes (0x%02x)", size,
                     size > 0 ? (unsigned char)sub[0] : 0);
            active[sub[1] - 'A'] = sub[0];
        }
        if (active[2])
            fail("the subscription to C was not cancelled");
    } else {
        wait_monitor_event(monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++) {
        if (zmq_send(s, "C-cancelled", 11, 0) != 11 || zmq_send(s, "Z-unwanted", 10, 0) != 10)
            fail_zmq("send a message nobody subscribed to");
        if (zmq_send(s, topic_of(i), 1, ZMQ_SNDMORE) != 1)
            fail_zmq("send a topic frame");
        send_test_message(s, i, 0);
    }
}

static void role_subscriber(void *s, int type, int n)
{
    static const char *changes[] = {"\1A", "\1B", "\1C", "\0C"};
    for (int k = 0; k < 4; k++) {
        int rc = type == ZMQ_XSUB
                   ? (zmq_send(s, changes[k], 2, 0) == 2 ? 0 : -1)
                   : zmq_setsockopt(s, changes[k][0] ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE,
                                    changes[k] + 1, 1);
        if (rc != 0)
            fail_zmq("subscribe or cancel");
    }
    for (int i = 0; i < n; i++) {
        char what[64];
        multipart_t mp;
        snprintf(what, sizeof what, "receive message %d", i);
        recv_multipart(s, &mp, what);
        if (mp.n < 2 || zmq_msg_size(&mp.part[0]) != 1 ||
            memcmp(zmq_msg_data(&mp.part[0]), topic_of(i), 1) != 0)
            fail("message %d: expected topic frame %s first (%d parts, first of %zu bytes)", i,
                 topic_of(i), mp.n, mp.n ? zmq_msg_size(&mp.part[0]) : 0);
        zmq_msg_close(&mp.part[0]);
        memmove(&mp.part[0], &mp.part[1], (size_t)(mp.n - 1) * sizeof mp.part[0]);
        mp.n--;
        verify_test_message(&mp, i, 0);
        close_multipart(&mp);
    }
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, 300);
    if (rc < 0)
        fail_zmq("zmq_poll for extra messages");
    if (rc > 0)
        fail("an extra message arrived after the %d expected", n);
}

/* Both PAIR sides send n messages and receive n, interleaved, driven by zmq_poll. */
static void role_pair(void *s, int n)
{
    int sent = 0, received = 0;
    while (sent < n || received < n) {
        zmq_pollitem_t item = {s, 0, (short)(ZMQ_POLLIN | (sent < n ? ZMQ_POLLOUT : 0)), 0};
        int rc = zmq_poll(&item, 1, TIMEOUT_MS);
        if (rc < 0)
            fail_zmq("zmq_poll");
        if (rc == 0)
            fail("no progress for %d ms (sent %d/%d, received %d/%d)", TIMEOUT_MS, sent, n,
                 received, n);
        if (item.revents & ZMQ_POLLIN)
            recv_and_verify(s, received++, 0, "message");
        if ((item.revents & ZMQ_POLLOUT) && sent < n)
            send_test_message(s, sent++, 0);
    }
}

static void role_client_restart(void *s, int type, int n, const char *gofile)
{
    client_range(s, type, 0, n);
    printf("phase1 done\n");
    struct stat st;
    int waited_ms = 0;
    while (stat(gofile, &st) != 0) {
        if (waited_ms >= 2 * TIMEOUT_MS)
            fail("%s did not appear within %d ms", gofile, 2 * TIMEOUT_MS);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        waited_ms += 50;
    }
    /* The server is down now: these are queued on our side until it is back. */
    int delimiter = type == ZMQ_DEALER;
    for (int i = n; i < 2 * n; i++)
        send_test_message(s, i, delimiter);
    printf("phase2 queued\n");
    for (int i = n; i < 2 * n; i++)
        recv_and_verify(s, i, delimiter, "reply after restart");
}

/* ---- main ------------------------------------------------------------------------------- */

static int socket_type(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {{"PAIR", ZMQ_PAIR},     {"REQ", ZMQ_REQ},   {"REP", ZMQ_REP},
                 {"DEALER", ZMQ_DEALER}, {"ROUTER", ZMQ_ROUTER}, {"PUSH", ZMQ_PUSH},
                 {"PULL", ZMQ_PULL},     {"PUB", ZMQ_PUB},   {"SUB", ZMQ_SUB},
                 {"XPUB", ZMQ_XPUB},     {"XSUB", ZMQ_XSUB}};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        if (strcmp(types[k].name, name) == 0)
            return types[k].type;
    fail("unknown socket type %s", name);
    return -1;
}

static void set_int(void *s, int option, int value, const char *name)
{
    if (zmq_setsockopt(s, option, &value, sizeof value) != 0)
        fail_zmq(name);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 6) {
        fprintf(stderr, "usage: %s TYPE bind|connect ENDPOINT echo|client|source|sink|pair|"
                        "client-restart N [GOFILE]\n", argv[0]);
        return 2;
    }
    const char *type_name = argv[1], *mode = argv[2], *endpoint = argv[3], *role = argv[4];
    int n = atoi(argv[5]);
    static char tag[64];
    snprintf(tag, sizeof tag, "%s %s", type_name, role);
    g_tag = tag;

    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("version %d.%d.%d\n", major, minor, patch);
    printf("pid %ld\n", (long)getpid());

    int type = socket_type(type_name);
    void *ctx = zmq_ctx_new();
    if (!ctx)
        fail_zmq("zmq_ctx_new");
    void *s = zmq_socket(ctx, type);
    if (!s)
        fail_zmq("zmq_socket");
    set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS, "setsockopt ZMQ_RCVTIMEO");
    set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS, "setsockopt ZMQ_SNDTIMEO");
    set_int(s, ZMQ_LINGER, LINGER_MS, "setsockopt ZMQ_LINGER");

    /* A PUB learns that a subscriber is there only from its monitor; it must watch from
     * before the connection exists. */
    void *monitor = NULL;
    int monitored = strncmp(role, "monitored-", 10) == 0;
    if (monitored)
        set_int(s, ZMQ_RECONNECT_IVL, 10000, "setsockopt ZMQ_RECONNECT_IVL");
    if ((strcmp(role, "publisher") == 0 && type == ZMQ_PUB) || monitored) {
        if (zmq_socket_monitor(s, "inproc://peer-monitor",
                               monitored ? ZMQ_EVENT_ALL : ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
            fail_zmq("zmq_socket_monitor");
        monitor = zmq_socket(ctx, ZMQ_PAIR);
        if (!monitor)
            fail_zmq("zmq_socket (monitor)");
        set_int(monitor, ZMQ_RCVTIMEO, TIMEOUT_MS, "setsockopt ZMQ_RCVTIMEO (monitor)");
        set_int(monitor, ZMQ_LINGER, 0, "setsockopt ZMQ_LINGER (monitor)");
        if (zmq_connect(monitor, "inproc://peer-monitor") != 0)
            fail_zmq("zmq_connect (monitor)");
    }

    if (strcmp(mode, "bind") == 0) {
        if (zmq_bind(s, endpoint) != 0)
            fail_zmq("zmq_bind");
        char last[256];
        size_t len = sizeof last;
        if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, last, &len) != 0)
            fail_zmq("getsockopt ZMQ_LAST_ENDPOINT");
        printf("endpoint %s\n", last);
    } else if (strcmp(mode, "connect") == 0) {
        if (zmq_connect(s, endpoint) != 0)
            fail_zmq("zmq_connect");
    } else {
        fail("mode must be bind or connect, not %s", mode);
    }

    if (strcmp(role, "echo") == 0)
        role_echo(s, n);
    else if (strcmp(role, "client") == 0)
        client_range(s, type, 0, n);
    else if (strcmp(role, "source") == 0)
        role_source(s, n);
    else if (strcmp(role, "sink") == 0)
        role_sink(s, n);
    else if (strcmp(role, "pair") == 0)
        role_pair(s, n);
    else if (strcmp(role, "publisher") == 0)
        role_publisher(s, type, monitor, n);
    else if (strcmp(role, "subscriber") == 0)
        role_subscriber(s, type, n);
    else if (strcmp(role, "monitored-client") == 0)
        role_monitored(s, type, monitor, n, 1);
    else if (strcmp(role, "monitored-echo") == 0)
        role_monitored(s, type, monitor, n, 0);
    else if (strcmp(role, "client-restart") == 0 && argc >= 7)
        role_client_restart(s, type, n, argv[6]);
    else
        fail("unknown role %s (or missing argument)", role);

    if (monitor && zmq_close(monitor) != 0)
        fail_zmq("zmq_close (monitor)");
    if (!monitored && zmq_close(s) != 0) /* a monitored role closed it itself */
        fail_zmq("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        fail_zmq("zmq_ctx_term");
    printf("ok\n");
    return 0;
}
