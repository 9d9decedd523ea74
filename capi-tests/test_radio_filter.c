/*
 * test_radio_filter.c: a RADIO sends each peer only the groups that peer joined (draft API).
 *   On the wire: raw tcp peers speaking ZMTP 3.1 as DISHes see exactly the messages of their
 *   groups, and a peer that joined nothing gets no byte at all while the others are served;
 *   JOIN after connect, JOIN twice then LEAVE once (still joined, as libzmq's RADIO counts
 *   joins), LEAVE, and JOIN again are followed on one connection.
 *   With real DISH sockets over tcp, ipc and inproc: ZMQ_XPUB_NODROP's back-pressure (EAGAIN) is
 *   the witness of what each connection carries. Messages of a group nobody joined, or one a
 *   DISH left, never fill anybody's pipe; a joined DISH that does not read does fill, and then
 *   holds back only its own group's messages; a rejoin is heard.
 * Peers wait for each other by marker messages, never by sleeping; every wait is bounded (3 s
 * per read, RCVTIMEO, 3 s send loops) and every case arms alarm (30).
 */
#include "check.h"
#include "raw_peer.h"
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <zmq.h>

#ifdef ZMQ_BUILD_DRAFT_API

/* ---- the RADIO ---- */

static void *radio_open (void *ctx, const char *endpoint, int nodrop, char *bound, size_t cap)
{
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    CHECK (radio != NULL);
    int zero = 0, one = 1;
    CHECK_OK (zmq_setsockopt (radio, ZMQ_LINGER, &zero, sizeof zero));
    if (nodrop) {
        CHECK_OK (zmq_setsockopt (radio, ZMQ_XPUB_NODROP, &one, sizeof one));
        CHECK_OK (zmq_setsockopt (radio, ZMQ_SNDHWM, &one, sizeof one));
    }
    CHECK_OK (zmq_bind (radio, endpoint));
    CHECK_OK (zmq_getsockopt (radio, ZMQ_LAST_ENDPOINT, bound, &cap));
    return radio;
}

/* Sends `size` bytes (`body` repeated, or zeros past it) to `group`; zmq_msg_send's result. */
static int radio_send (void *radio, const char *group, const char *body, size_t size, int flags)
{
    zmq_msg_t msg;
    CHECK_OK (zmq_msg_init_size (&msg, size));
    memset (zmq_msg_data (&msg), 0, size);
    memcpy (zmq_msg_data (&msg), body, strlen (body) < size ? strlen (body) : size);
    CHECK_OK (zmq_msg_set_group (&msg, group));
    int rc = zmq_msg_send (&msg, radio, flags);
    if (rc < 0) {
        int en = errno;
        zmq_msg_close (&msg);
        errno = en;
    }
    return rc;
}

static void radio_say (void *radio, const char *group, const char *body)
{
    CHECK_INT (radio_send (radio, group, body, strlen (body), 0), (int) strlen (body));
}

/* ---- a raw ZMTP 3.1 DISH ---- */

static void raw_write (int fd, const void *data, size_t len)
{
    CHECK_INT (send (fd, data, len, MSG_NOSIGNAL), (long long) len);
}

/* One frame: its flags and body (NUL-terminated; at most 255 bytes); 0 on success. */
static int frame_read (int fd, unsigned char *flags, char body[256])
{
    unsigned char head[2];
    if (raw_read_exact (fd, head, 2) != 0 || (head[0] & 0x02)) /* no long frames here */
        return -1;
    *flags = head[0];
    if (raw_read_exact (fd, (unsigned char *) body, head[1]) != 0)
        return -1;
    body[head[1]] = '\0';
    return 0;
}

/* Connects to the RADIO, greets as ZMTP 3.1 NULL and exchanges READY as a DISH. */
static int dish_connect (int port)
{
    int fd = raw_connect_loopback (port);
    CHECK (fd >= 0);
    if (fd < 0)
        return -1;
    unsigned char greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1, 'N', 'U', 'L', 'L'};
    raw_write (fd, greeting, sizeof greeting);
    unsigned char theirs[64];
    CHECK_OK (raw_read_exact (fd, theirs, sizeof theirs));
    CHECK (theirs[0] == 0xff && theirs[10] == 3);
    static const unsigned char ready[] = {0x04, 26,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                          'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                          0,    0,   0,   4,   'D', 'I', 'S', 'H'};
    raw_write (fd, ready, sizeof ready);
    unsigned char flags;
    char body[256];
    CHECK_OK (frame_read (fd, &flags, body));
    CHECK (flags == 0x04 && memcmp (body, "\5READY", 6) == 0);
    return fd;
}

/* A JOIN or LEAVE command frame, as libzmq's DISH writes it. */
static void dish_tell (int fd, const char *command, const char *group)
{
    unsigned char frame[2 + 1 + 5 + 255];
    size_t name = strlen (command), len = strlen (group);
    frame[0] = 0x04;
    frame[1] = (unsigned char) (1 + name + len);
    frame[2] = (unsigned char) name;
    memcpy (frame + 3, command, name);
    memcpy (frame + 3 + name, group, len);
    raw_write (fd, frame, 3 + name + len);
}

/* One RADIO message: the group frame (MORE) then the body frame; 0 on success. */
static int message_read (int fd, char group[256], char body[256])
{
    unsigned char flags;
    if (frame_read (fd, &flags, group) != 0 || flags != 0x01)
        return -1;
    if (frame_read (fd, &flags, body) != 0 || flags != 0x00)
        return -1;
    return 0;
}

static int readable_within (int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll (&p, 1, ms) == 1;
}

/* Has the RADIO send `group` messages every 10 ms until the peer has bytes to read (3 s). */
static int radio_reaches (void *radio, int fd, const char *group)
{
    for (int i = 0; i < 300; i++) {
        radio_say (radio, group, "sync");
        if (readable_within (fd, 10))
            return 1;
    }
    return 0;
}

/* Reads up to the message (end_group, "end"). Returns how many (watch_group, watch_body)
 * messages came before it, or -1 when the end did not come or a message of any group other
 * than these two did. */
static int count_until_end (int fd, const char *end_group, const char *watch_group, const char *watch_body)
{
    int watched = 0;
    char group[256], body[256];
    for (;;) {
        if (message_read (fd, group, body) != 0)
            return -1;
        if (strcmp (group, end_group) == 0 && strcmp (body, "end") == 0)
            return watched;
        if (strcmp (group, watch_group) == 0 && strcmp (body, watch_body) == 0)
            watched++;
        else if (strcmp (group, end_group) != 0 && strcmp (group, watch_group) != 0) {
            fprintf (stderr, "unexpected message %s/%s\n", group, body);
            return -1;
        }
    }
}

/* ---- cases ---- */

static void each_tcp_connection_carries_only_its_groups (void)
{
    alarm (30);
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *radio = radio_open (ctx, "tcp://127.0.0.1:*", 0, endpoint, sizeof endpoint);
    int port = endpoint_port (endpoint);
    /* The peer that joins nothing is in before the others (one I/O thread serves them in
     * order), so the RADIO knows it when they are heard. */
    int none = dish_connect (port);
    int a = dish_connect (port);
    int b = dish_connect (port);
    dish_tell (a, "JOIN", "A");
    dish_tell (b, "JOIN", "B");
    CHECK (radio_reaches (radio, a, "A"));
    CHECK (radio_reaches (radio, b, "B"));

    radio_say (radio, "A", "a1");
    radio_say (radio, "B", "b1");
    radio_say (radio, "Nobody", "x1");
    radio_say (radio, "A", "end");
    radio_say (radio, "B", "end");
    CHECK_INT (count_until_end (a, "A", "A", "a1"), 1);
    CHECK_INT (count_until_end (b, "B", "B", "b1"), 1);
    /* Everything was sent and the others have their last message: not one byte for it. */
    CHECK (!readable_within (none, 300));

    /* Its connection was there all along: once it joins, it is served. */
    dish_tell (none, "JOIN", "Nobody");
    CHECK (radio_reaches (radio, none, "Nobody"));
    radio_say (radio, "A", "a2");
    radio_say (radio, "Nobody", "end");
    CHECK_INT (count_until_end (none, "Nobody", "A", "a2"), 0);

    close (none);
    close (a);
    close (b);
    zmq_close (radio);
    CHECK_OK (zmq_ctx_term (ctx));
}

/* The peer tells the RADIO `command` `group` and then joins `marker`; once the RADIO reaches
 * the marker it has applied the command. Returns how many of the probe ("TV", "probe") sent
 * next arrive. */
static int probe_after (void *radio, int fd, const char *command, const char *group, const char *marker)
{
    dish_tell (fd, command, group);
    dish_tell (fd, "JOIN", marker);
    CHECK (radio_reaches (radio, fd, marker));
    radio_say (radio, "TV", "probe");
    radio_say (radio, marker, "end");
    return count_until_end (fd, marker, "TV", "probe");
}

static void join_leave_rejoin_on_one_tcp_connection (void)
{
    alarm (30);
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *radio = radio_open (ctx, "tcp://127.0.0.1:*", 0, endpoint, sizeof endpoint);
    int fd = dish_connect (endpoint_port (endpoint));

    dish_tell (fd, "JOIN", "TV");
    CHECK_INT (probe_after (radio, fd, "JOIN", "TV", "sync1"), 1); /* joined twice: one copy */
    CHECK_INT (probe_after (radio, fd, "LEAVE", "TV", "sync2"), 1); /* one join left */
    CHECK_INT (probe_after (radio, fd, "LEAVE", "TV", "sync3"), 0); /* none left */
    CHECK_INT (probe_after (radio, fd, "LEAVE", "News", "sync4"), 0); /* never joined: no-op */
    CHECK_INT (probe_after (radio, fd, "JOIN", "TV", "sync5"), 1); /* rejoined */

    close (fd);
    zmq_close (radio);
    CHECK_OK (zmq_ctx_term (ctx));
}

/* ---- real DISH sockets: NODROP back-pressure shows what each pipe carries ---- */

#define BIG 262144
#define TRIES 400

static void *dish_open (void *ctx, const char *endpoint, const char *group)
{
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    CHECK (dish != NULL);
    int zero = 0, one = 1, timeout = 100;
    CHECK_OK (zmq_setsockopt (dish, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_OK (zmq_setsockopt (dish, ZMQ_RCVHWM, &one, sizeof one));
    CHECK_OK (zmq_setsockopt (dish, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_join (dish, group));
    CHECK_OK (zmq_connect (dish, endpoint));
    return dish;
}

/* Small `group` messages until the DISH receives one of that group (3 s), then everything still
 * on the way is read (RCVTIMEO), so its pipes are empty again. */
static int dish_hears (void *radio, void *dish, const char *group)
{
    int heard = 0;
    char body[16];
    for (int i = 0; i < 30 && !heard; i++) {
        radio_send (radio, group, "sync", 4, ZMQ_DONTWAIT);
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        heard = zmq_msg_recv (&msg, dish, 0) >= 0 && strcmp (zmq_msg_group (&msg), group) == 0;
        zmq_msg_close (&msg);
    }
    while (zmq_recv (dish, body, sizeof body, 0) >= 0) {
    }
    return heard;
}

/* How many of TRIES large `group` messages NODROP lets through before the first EAGAIN. */
static int sent_before_pushback (void *radio, const char *group)
{
    for (int i = 0; i < TRIES; i++) {
        if (radio_send (radio, group, "big", BIG, ZMQ_DONTWAIT) < 0) {
            CHECK_INT (errno, EAGAIN);
            return i;
        }
    }
    return TRIES;
}

static void nodrop_dishes (const char *transport)
{
    alarm (30);
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    void *radio = radio_open (ctx, transport, 1, endpoint, sizeof endpoint);
    void *dish_a = dish_open (ctx, endpoint, "A");
    void *dish_b = dish_open (ctx, endpoint, "B");
    CHECK (dish_hears (radio, dish_a, "A"));
    CHECK (dish_hears (radio, dish_b, "B"));

    /* Nobody joined: the messages go nowhere, so nothing fills. */
    CHECK_INT (sent_before_pushback (radio, "Nobody"), TRIES);
    /* A joined and does not read: its connection fills and NODROP pushes back... */
    int to_a = sent_before_pushback (radio, "A");
    CHECK (to_a >= 1 && to_a < TRIES);
    /* ...for A's messages only. */
    CHECK_INT (sent_before_pushback (radio, "Nobody"), TRIES);
    CHECK_INT (radio_send (radio, "B", "b", 1, ZMQ_DONTWAIT), 1);
    CHECK (dish_hears (radio, dish_b, "B"));

    /* B leaves (and joins a marker group, so we know when the RADIO heard): B's messages no
     * longer go to it. Then it rejoins and hears them again. */
    CHECK_OK (zmq_leave (dish_b, "B"));
    CHECK_OK (zmq_join (dish_b, "marker"));
    CHECK (dish_hears (radio, dish_b, "marker"));
    CHECK_INT (sent_before_pushback (radio, "B"), TRIES);
    CHECK_OK (zmq_join (dish_b, "B"));
    CHECK (dish_hears (radio, dish_b, "B"));

    zmq_close (dish_a);
    zmq_close (dish_b);
    zmq_close (radio);
    CHECK_OK (zmq_ctx_term (ctx));
}

static void nodrop_radio_over_tcp_is_held_back_only_by_joined_dishes (void)
{
    nodrop_dishes ("tcp://127.0.0.1:*");
}

static void nodrop_radio_over_ipc_is_held_back_only_by_joined_dishes (void)
{
    nodrop_dishes ("ipc://*");
}

static void nodrop_radio_over_inproc_is_held_back_only_by_joined_dishes (void)
{
    nodrop_dishes ("inproc://radio-filter");
}

#endif

int main (void)
{
#ifdef ZMQ_BUILD_DRAFT_API
    RUN (each_tcp_connection_carries_only_its_groups);
    RUN (join_leave_rejoin_on_one_tcp_connection);
    RUN (nodrop_radio_over_tcp_is_held_back_only_by_joined_dishes);
    RUN (nodrop_radio_over_ipc_is_held_back_only_by_joined_dishes);
    RUN (nodrop_radio_over_inproc_is_held_back_only_by_joined_dishes);
#else
    SKIP_CASE (radio_filter, "draft API not built");
#endif
    return check_finish ();
}
