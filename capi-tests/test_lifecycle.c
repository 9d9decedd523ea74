/*
 * test_lifecycle.c: how the library lives with the application's process (found by pyzmq's and
 * our own binding tests, each proven against Debian's libzmq first):
 *   - zmq_ctx_term waiting for an open socket returns EINTR when a signal arrives, and the same
 *     context can be terminated again once the socket is closed;
 *   - the threads the library starts block every signal, so a process-directed signal that the
 *     application blocked and collects through a signalfd reaches it instead of killing it;
 *   - a socket closed with ZMQ_LINGER and an undelivered message keeps its connecter trying for
 *     the linger period: zmq_ctx_term waits that long, not less, and a peer that binds within
 *     it still gets the message.
 * Every case arms alarm (10) or a bounded wait.
 */
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <zmq.h>

static double now_s (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void on_signal (int sig)
{
    (void) sig;
}

static void *g_socket;

static void *close_after_a_second (void *arg)
{
    (void) arg;
    sleep (1);
    zmq_close (g_socket);
    return NULL;
}

static void ctx_term_eintr_then_again (void)
{
    alarm (10);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART */
    sigaction (SIGUSR2, &sa, NULL);
    void *ctx = zmq_ctx_new ();
    g_socket = zmq_socket (ctx, ZMQ_PULL);
    /* Only this thread may take the signal. */
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGUSR2);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    pthread_t closer;
    pthread_create (&closer, NULL, close_after_a_second, NULL);
    pthread_sigmask (SIG_UNBLOCK, &set, NULL);
    struct itimerval it = {{0, 0}, {0, 100000}};
    struct sigaction prof;
    memset (&prof, 0, sizeof prof);
    prof.sa_handler = on_signal;
    sigaction (SIGALRM, &prof, NULL); /* the 0.1 s timer below, not the case's alarm */
    alarm (0);
    setitimer (ITIMER_REAL, &it, NULL);
    double start = now_s ();
    errno = 0;
    int rc = zmq_ctx_term (ctx);
    int err = errno;
    CHECK_INT (rc, -1);
    CHECK_INT (err, EINTR);
    CHECK (now_s () - start < 0.9);
    pthread_join (closer, NULL);
    if (rc == -1)
        CHECK_OK (zmq_ctx_term (ctx));
}

static void library_threads_block_signals (void)
{
    alarm (10);
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, ZMQ_PULL);
    CHECK_OK (zmq_bind (s, "tcp://127.0.0.1:*")); /* starts an I/O thread */
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGUSR1);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    int fd = signalfd (-1, &set, 0);
    CHECK (fd >= 0);
    /* The I/O thread blocks its signals when it starts running: give it the time to. */
    usleep (100000);
    kill (getpid (), SIGUSR1); /* process-directed: any thread not blocking it may take it */
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_INT (poll (&p, 1, 2000), 1);
    close (fd);
    zmq_close (s);
    CHECK_OK (zmq_ctx_term (ctx));
}

/* A tcp endpoint nobody listens on (yet): bind a socket, learn its port, close it. */
static void free_tcp_endpoint (void *ctx, char *endpoint, size_t size)
{
    void *probe = zmq_socket (ctx, ZMQ_PULL);
    CHECK_OK (zmq_bind (probe, "tcp://127.0.0.1:*"));
    CHECK_OK (zmq_getsockopt (probe, ZMQ_LAST_ENDPOINT, endpoint, &size));
    CHECK_OK (zmq_close (probe));
}

static void linger_keeps_connecter_trying (void)
{
    alarm (10);
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    free_tcp_endpoint (ctx, endpoint, sizeof endpoint);

    void *push = zmq_socket (ctx, ZMQ_PUSH);
    int linger = 300;
    CHECK_OK (zmq_setsockopt (push, ZMQ_LINGER, &linger, sizeof linger));
    CHECK_OK (zmq_connect (push, endpoint));
    CHECK_INT (zmq_send (push, "ping", 4, 0), 4);
    usleep (100000);
    CHECK_OK (zmq_close (push));
    double start = now_s ();
    CHECK_OK (zmq_ctx_term (ctx));
    double took = now_s () - start;
    CHECK (took >= 0.25);
    CHECK (took < 2.0);
}

static void linger_delivers_to_a_late_peer (void)
{
    alarm (10);
    void *ctx = zmq_ctx_new ();
    char endpoint[256];
    free_tcp_endpoint (ctx, endpoint, sizeof endpoint);

    void *push = zmq_socket (ctx, ZMQ_PUSH);
    int linger = 2000, reconnect = 50;
    CHECK_OK (zmq_setsockopt (push, ZMQ_LINGER, &linger, sizeof linger));
    CHECK_OK (zmq_setsockopt (push, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect));
    CHECK_OK (zmq_connect (push, endpoint));
    CHECK_INT (zmq_send (push, "late", 4, 0), 4);
    usleep (100000);
    CHECK_OK (zmq_close (push));
    usleep (300000);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    int timeout = 3000;
    CHECK_OK (zmq_setsockopt (pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_OK (zmq_bind (pull, endpoint));
    char buf[16];
    CHECK_INT (zmq_recv (pull, buf, sizeof buf, 0), 4);
    CHECK_OK (zmq_close (pull));
    CHECK_OK (zmq_ctx_term (ctx));
}

int main (void)
{
    RUN (ctx_term_eintr_then_again);
    RUN (library_threads_block_signals);
    RUN (linger_keeps_connecter_trying);
    RUN (linger_delivers_to_a_late_peer);
    return check_finish ();
}
