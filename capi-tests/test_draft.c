/*
 * test_draft.c: the draft socket-level API, when the library exports it.
 *   zmq_poller_*: libzmq's argument errors (EFAULT for bad pollers, ENOTSOCK, EBADF, EINVAL,
 *   EAGAIN on timeout, EFAULT for an endless wait on nothing), sockets and plain fds reported with
 *   their user data, zmq_poller_fd only with thread-safe sockets (and readable when one is).
 *   Thread-safe CLIENT/SERVER: no ZMQ_FD, ZMQ_THREAD_SAFE is 1, single-part only, routing ids,
 *   and a receive blocked in one thread does not stop another thread sending on the same socket.
 *   RADIO/DISH over tcp: only joined groups arrive, with their group. SCATTER/GATHER single-part.
 *   zmq_ppoll: a pending signal the mask unblocks interrupts the wait (EINTR).
 * Every wait is bounded (timeouts or ZMQ_RCVTIMEO).
 */
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <zmq.h>

#ifdef ZMQ_BUILD_DRAFT_API

static void poller_argument_errors (void)
{
    zmq_poller_event_t event;
    void *null_poller = NULL;
    CHECK_ERR (zmq_poller_destroy (NULL), EFAULT);
    CHECK_ERR (zmq_poller_destroy (&null_poller), EFAULT);
    CHECK_ERR (zmq_poller_size (&null_poller), EFAULT);
    CHECK_ERR (zmq_poller_wait (NULL, &event, 0), EFAULT);

    void *poller = zmq_poller_new ();
    CHECK (poller != NULL);
    CHECK_INT (zmq_poller_size (poller), 0);
    CHECK_ERR (zmq_poller_wait (poller, &event, 0), EAGAIN);
    CHECK_ERR (zmq_poller_wait (poller, &event, -1), EFAULT);
    CHECK_ERR (zmq_poller_wait (poller, NULL, 0), EFAULT);
    CHECK_ERR (zmq_poller_wait_all (poller, &event, -1, 0), EINVAL);
    CHECK_ERR (zmq_poller_add (poller, NULL, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ERR (zmq_poller_add_fd (poller, -1, NULL, ZMQ_POLLIN), EBADF);

    void *ctx = zmq_ctx_new ();
    void *pair = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_OK (zmq_poller_add (poller, pair, NULL, ZMQ_POLLIN));
    CHECK_ERR (zmq_poller_add (poller, pair, NULL, ZMQ_POLLIN), EINVAL);
    CHECK_ERR (zmq_poller_modify (poller, pair, 0x7fff), EINVAL);
    int fd;
    CHECK_ERR (zmq_poller_fd (poller, &fd), EINVAL); /* no thread-safe socket */
    CHECK_INT (zmq_poller_size (poller), 1);
    CHECK_OK (zmq_poller_remove (poller, pair));
    CHECK_ERR (zmq_poller_remove (poller, pair), EINVAL);
    CHECK_OK (zmq_poller_destroy (&poller));
    CHECK (poller == NULL);
    zmq_close (pair);
    zmq_ctx_term (ctx);
}

static void poller_reports_sockets_and_fds (void)
{
    void *ctx = zmq_ctx_new ();
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_OK (zmq_bind (pull, "inproc://poller"));
    CHECK_OK (zmq_connect (push, "inproc://poller"));
    int pipe_fds[2];
    CHECK_OK (pipe (pipe_fds));

    void *poller = zmq_poller_new ();
    int tag_socket = 1, tag_fd = 2;
    CHECK_OK (zmq_poller_add (poller, pull, &tag_socket, ZMQ_POLLIN));
    CHECK_OK (zmq_poller_add_fd (poller, pipe_fds[0], &tag_fd, ZMQ_POLLIN));
    zmq_poller_event_t events[4];
    CHECK_ERR (zmq_poller_wait_all (poller, events, 4, 0), EAGAIN);
    CHECK_ERR (zmq_poller_wait_all (poller, events, 4, 50), EAGAIN);

    CHECK_INT (zmq_send (push, "x", 1, 0), 1);
    CHECK_INT (zmq_poller_wait_all (poller, events, 4, 2000), 1);
    CHECK (events[0].socket == pull);
    CHECK (events[0].user_data == &tag_socket);
    CHECK_INT (events[0].events, ZMQ_POLLIN);

    CHECK_INT (write (pipe_fds[1], "y", 1), 1);
    CHECK_INT (zmq_poller_wait_all (poller, events, 4, 2000), 2);
    CHECK (events[1].socket == NULL);
    CHECK_INT (events[1].fd, pipe_fds[0]);
    CHECK (events[1].user_data == &tag_fd);
    /* n_events caps what is reported. */
    CHECK_INT (zmq_poller_wait_all (poller, events, 1, 0), 1);

    char buf[4];
    CHECK_INT (zmq_recv (pull, buf, sizeof buf, 0), 1);
    CHECK_INT (zmq_poller_wait_all (poller, events, 4, 0), 1);
    CHECK (events[0].socket == NULL);
    CHECK_OK (zmq_poller_modify_fd (poller, pipe_fds[0], 0));
    CHECK_ERR (zmq_poller_wait_all (poller, events, 4, 0), EAGAIN);

    CHECK_OK (zmq_poller_destroy (&poller));
    close (pipe_fds[0]);
    close (pipe_fds[1]);
    zmq_close (push);
    zmq_close (pull);
    zmq_ctx_term (ctx);
}

/* A connected SERVER/CLIENT pair over tcp with 5 s receive timeouts. */
static void client_server (void *ctx, void **server, void **client)
{
    int timeout = 5000;
    char endpoint[256];
    size_t len = sizeof endpoint;
    *server = zmq_socket (ctx, ZMQ_SERVER);
    *client = zmq_socket (ctx, ZMQ_CLIENT);
    CHECK (*server != NULL && *client != NULL);
    CHECK_OK (zmq_setsockopt (*server, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_setsockopt (*client, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_bind (*server, "tcp://127.0.0.1:*"));
    CHECK_OK (zmq_getsockopt (*server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_OK (zmq_connect (*client, endpoint));
}

static void thread_safe_sockets_say_so (void)
{
    void *ctx = zmq_ctx_new ();
    void *server, *client;
    client_server (ctx, &server, &client);
    int value = 0, fd;
    size_t size = sizeof value;
    CHECK_OK (zmq_getsockopt (client, ZMQ_THREAD_SAFE, &value, &size));
    CHECK_INT (value, 1);
    size = sizeof fd;
    CHECK_ERR (zmq_getsockopt (server, ZMQ_FD, &fd, &size), EINVAL);
    CHECK_ERR (zmq_send (client, "x", 1, ZMQ_SNDMORE), EINVAL);

    CHECK_INT (zmq_send (client, "hi", 2, 0), 2);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_INT (zmq_msg_recv (&msg, server, 0), 2);
    uint32_t routing_id = zmq_msg_routing_id (&msg);
    CHECK (routing_id != 0);
    zmq_msg_close (&msg);

    zmq_msg_init_size (&msg, 3);
    memcpy (zmq_msg_data (&msg), "ack", 3);
    CHECK_ERR (zmq_msg_send (&msg, server, 0), EHOSTUNREACH); /* no routing id */
    CHECK_OK (zmq_msg_set_routing_id (&msg, routing_id));
    CHECK_INT (zmq_msg_send (&msg, server, 0), 3);
    zmq_msg_init (&msg);
    CHECK_INT (zmq_msg_recv (&msg, client, 0), 3);
    CHECK_INT (zmq_msg_routing_id (&msg), 0);
    zmq_msg_close (&msg);

    zmq_close (client);
    zmq_close (server);
    zmq_ctx_term (ctx);
}

static void *receive_one (void *client)
{
    char buf[16];
    return (void *) (intptr_t) zmq_recv (client, buf, sizeof buf, 0);
}

/* One thread blocks receiving on the CLIENT; meanwhile this thread sends on it. With a socket
 * lock held across the blocking wait this would deadlock (and time out). */
static void blocked_receive_does_not_block_send (void)
{
    void *ctx = zmq_ctx_new ();
    void *server, *client;
    client_server (ctx, &server, &client);
    pthread_t receiver;
    CHECK_OK (pthread_create (&receiver, NULL, receive_one, client));
    usleep (50 * 1000);
    CHECK_INT (zmq_send (client, "ping", 4, 0), 4);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_INT (zmq_msg_recv (&msg, server, 0), 4);
    CHECK_INT (zmq_msg_send (&msg, server, 0), 4); /* routing id kept: back to the client */
    void *received = NULL;
    pthread_join (receiver, &received);
    CHECK_INT ((intptr_t) received, 4);
    zmq_close (client);
    zmq_close (server);
    zmq_ctx_term (ctx);
}

/* Two threads block receiving on one CLIENT; two replies wake both (neither waits out its
 * timeout: the 5 s ZMQ_RCVTIMEO would show in the elapsed time). */
static void two_blocked_receivers_are_both_woken (void)
{
    void *ctx = zmq_ctx_new ();
    void *server, *client;
    client_server (ctx, &server, &client);
    CHECK_INT (zmq_send (client, "hello", 5, 0), 5);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_INT (zmq_msg_recv (&msg, server, 0), 5);
    uint32_t routing_id = zmq_msg_routing_id (&msg);
    zmq_msg_close (&msg);

    void *watch = zmq_stopwatch_start ();
    pthread_t a, b;
    CHECK_OK (pthread_create (&a, NULL, receive_one, client));
    CHECK_OK (pthread_create (&b, NULL, receive_one, client));
    usleep (100 * 1000);
    for (int i = 0; i < 2; i++) {
        zmq_msg_init_size (&msg, 4);
        memcpy (zmq_msg_data (&msg), "back", 4);
        CHECK_OK (zmq_msg_set_routing_id (&msg, routing_id));
        CHECK_INT (zmq_msg_send (&msg, server, 0), 4);
        usleep (10 * 1000);
    }
    void *ra = NULL, *rb = NULL;
    pthread_join (a, &ra);
    pthread_join (b, &rb);
    unsigned long elapsed_us = zmq_stopwatch_stop (watch);
    CHECK_INT ((intptr_t) ra, 4);
    CHECK_INT ((intptr_t) rb, 4);
    CHECK (elapsed_us < 2000000);
    zmq_close (client);
    zmq_close (server);
    zmq_ctx_term (ctx);
}

static void *send_many (void *client)
{
    for (int i = 0; i < 3000; i++)
        if (zmq_send (client, i == 2999 ? "1" : "0", 1, 0) != 1)
            return (void *) 1;
    return NULL;
}

static void two_threads_send_on_one_client (void)
{
    void *ctx = zmq_ctx_new ();
    void *server, *client;
    client_server (ctx, &server, &client);
    pthread_t a, b;
    CHECK_OK (pthread_create (&a, NULL, send_many, client));
    CHECK_OK (pthread_create (&b, NULL, send_many, client));
    int done = 0, received = 0;
    char c;
    while (done < 2 && zmq_recv (server, &c, 1, 0) == 1) {
        received++;
        done += c == '1';
    }
    void *ra, *rb;
    pthread_join (a, &ra);
    pthread_join (b, &rb);
    CHECK (ra == NULL && rb == NULL);
    CHECK_INT (received, 6000);
    zmq_close (client);
    zmq_close (server);
    zmq_ctx_term (ctx);
}

static void poller_watches_thread_safe_sockets (void)
{
    void *ctx = zmq_ctx_new ();
    void *server, *client;
    client_server (ctx, &server, &client);
    void *poller = zmq_poller_new ();
    CHECK_OK (zmq_poller_add (poller, server, NULL, ZMQ_POLLIN));
    int fd = -1;
    CHECK_OK (zmq_poller_fd (poller, &fd));
    zmq_poller_event_t event;
    CHECK_ERR (zmq_poller_wait (poller, &event, 0), EAGAIN);
    CHECK_INT (zmq_send (client, "x", 1, 0), 1);
    struct pollfd entry = {fd, POLLIN, 0};
    CHECK_INT (poll (&entry, 1, 2000), 1);
    CHECK_OK (zmq_poller_wait (poller, &event, 2000));
    CHECK (event.socket == server);
    CHECK_INT (event.fd, -1);
    CHECK_INT (event.events, ZMQ_POLLIN);
    CHECK_OK (zmq_poller_modify (poller, server, ZMQ_POLLOUT));
    CHECK_OK (zmq_poller_wait (poller, &event, 0));
    CHECK_INT (event.events, ZMQ_POLLOUT);
    CHECK_OK (zmq_poller_destroy (&poller));
    zmq_close (client);
    zmq_close (server);
    zmq_ctx_term (ctx);
}

static void radio_dish_over_tcp_filters_groups (void)
{
    void *ctx = zmq_ctx_new ();
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    int timeout = 5000;
    CHECK_OK (zmq_setsockopt (dish, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_OK (zmq_bind (radio, "tcp://127.0.0.1:*"));
    CHECK_OK (zmq_getsockopt (radio, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_ERR (zmq_leave (dish, "Movies"), EINVAL);
    CHECK_OK (zmq_join (dish, "Movies"));
    CHECK_ERR (zmq_join (dish, "Movies"), EINVAL);
    CHECK_ERR (zmq_join (radio, "Movies"), ENOTSUP);
    CHECK_OK (zmq_connect (dish, endpoint));
    usleep (200 * 1000);

    const char *groups[] = {"TV", "Movies"};
    for (int i = 0; i < 2; i++) {
        zmq_msg_t msg;
        zmq_msg_init_size (&msg, 5);
        memcpy (zmq_msg_data (&msg), "hello", 5);
        CHECK_OK (zmq_msg_set_group (&msg, groups[i]));
        CHECK_INT (zmq_msg_send (&msg, radio, 0), 5);
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_INT (zmq_msg_recv (&msg, dish, 0), 5);
    CHECK_STR (zmq_msg_group (&msg), "Movies");
    zmq_msg_close (&msg);
    CHECK_ERR (zmq_recv (dish, NULL, 0, ZMQ_DONTWAIT), EAGAIN);
    zmq_close (dish);
    zmq_close (radio);
    zmq_ctx_term (ctx);
}

static void scatter_gather_single_part (void)
{
    void *ctx = zmq_ctx_new ();
    void *scatter = zmq_socket (ctx, ZMQ_SCATTER);
    void *gather = zmq_socket (ctx, ZMQ_GATHER);
    CHECK_OK (zmq_bind (scatter, "inproc://scatter"));
    CHECK_OK (zmq_connect (gather, "inproc://scatter"));
    CHECK_ERR (zmq_send (scatter, "1", 1, ZMQ_SNDMORE), EINVAL);
    CHECK_INT (zmq_send (scatter, "2", 1, 0), 1);
    char c = 0;
    CHECK_INT (zmq_recv (gather, &c, 1, ZMQ_DONTWAIT), 1);
    CHECK_INT (c, '2');
    zmq_close (gather);
    zmq_close (scatter);
    zmq_ctx_term (ctx);
}

static void on_signal (int sig)
{
    (void) sig;
}

/* A blocked signal that is pending interrupts zmq_ppoll when its mask allows it: EINTR at once,
 * instead of waiting out the timeout. Without a mask it is zmq_poll. */
static void ppoll_takes_the_signal_mask (void)
{
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_OK (zmq_bind (pull, "inproc://ppoll"));
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    CHECK_INT (zmq_ppoll (&item, 1, 0, NULL), 0);

    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction (SIGUSR1, &action, NULL);
    sigset_t blocked, empty;
    sigemptyset (&blocked);
    sigaddset (&blocked, SIGUSR1);
    sigemptyset (&empty);
    sigprocmask (SIG_BLOCK, &blocked, NULL);
    raise (SIGUSR1); /* pending while blocked */
    CHECK_INT (zmq_poll (&item, 1, 10), 0);
    CHECK_ERR (zmq_ppoll (&item, 1, 5000, &empty), EINTR);
    zmq_close (pull);
    zmq_ctx_term (ctx);
}

#endif

int main (void)
{
#ifdef ZMQ_BUILD_DRAFT_API
    RUN (poller_argument_errors);
    RUN (poller_reports_sockets_and_fds);
    RUN (thread_safe_sockets_say_so);
    RUN (blocked_receive_does_not_block_send);
    RUN (two_threads_send_on_one_client);
    RUN (two_blocked_receivers_are_both_woken);
    RUN (poller_watches_thread_safe_sockets);
    RUN (radio_dish_over_tcp_filters_groups);
    RUN (scatter_gather_single_part);
    RUN (ppoll_takes_the_signal_mask);
#else
    SKIP_CASE (draft, "draft API not built");
#endif
    return check_finish ();
}
