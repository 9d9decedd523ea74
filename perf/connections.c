/*
 * connections.c: memory per idle connection and accept rate of a ROUTER.
 *
 * Usage: connections N
 *   The process binds a ROUTER on tcp://127.0.0.1:* and forks a client that opens N raw tcp
 *   connections to it, each sending a ZMTP 3.0 greeting and a DEALER READY and then staying
 *   idle. The ROUTER side counts HANDSHAKE_SUCCEEDED monitor events until all N are in, and
 *   reads its own resident memory (/proc/self/statm) before and after. The client is raw
 *   sockets, so what is measured is the library under test alone, whichever one the dynamic
 *   linker loads (built like the other perf programs: -lzmq, no rpath).
 * Output (one line): connections N rss_before_kib B rss_after_kib A bytes_per_connection P
 *                    accepts_per_second R
 * Exits non-zero if the N handshakes do not complete within 60 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static long resident_kib(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void raise_fd_limit(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)n ? rl.rlim_max : (rlim_t)n;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The client: n idle ZMTP peers; exits when its stdin (a pipe from the parent) closes. */
static void run_client(int port, int n, int done_fd)
{
    static const unsigned char ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11, 'S',
                                          'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                          0,    0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    unsigned char greeting[64];
    memset(greeting, 0, sizeof greeting);
    greeting[0] = 0xff;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    memcpy(greeting + 12, "NULL", 4);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
            fprintf(stderr, "connections: client connect %d: %s\n", i, strerror(errno));
            _exit(1);
        }
        if (send(fd, greeting, sizeof greeting, 0) != (ssize_t)sizeof greeting ||
            send(fd, ready, sizeof ready, 0) != (ssize_t)sizeof ready) {
            fprintf(stderr, "connections: client send %d: %s\n", i, strerror(errno));
            _exit(1);
        }
    }
    char c;
    while (read(done_fd, &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: connections N\n");
        return 2;
    }
    int n = atoi(argv[1]);
    raise_fd_limit(n + 256);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *monitor = zmq_socket(ctx, ZMQ_PAIR);
    int timeout = 60000;
    zmq_setsockopt(monitor, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_socket_monitor(router, "inproc://connections-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0 ||
        zmq_connect(monitor, "inproc://connections-monitor") != 0 ||
        zmq_bind(router, "tcp://127.0.0.1:*") != 0) {
        fprintf(stderr, "connections: set-up: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &len);
    int port = atoi(strrchr(endpoint, ':') + 1);

    long before = resident_kib();
    int done[2];
    if (pipe(done) != 0)
        return 1;
    double start = now_s();
    pid_t client = fork();
    if (client == 0) {
        close(done[1]);
        run_client(port, n, done[0]);
    }
    close(done[0]);
    int handshakes = 0;
    while (handshakes < n) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, monitor, 0) < 0) {
            fprintf(stderr, "connections: only %d of %d handshakes within 60 s\n", handshakes, n);
            kill(client, SIGKILL);
            return 1;
        }
        if (!zmq_msg_more(&frame))
            continue; /* the endpoint frame */
        zmq_msg_close(&frame);
        handshakes++;
    }
    double elapsed = now_s() - start;
    long after = resident_kib();
    printf("connections %d rss_before_kib %ld rss_after_kib %ld bytes_per_connection %ld "
           "accepts_per_second %.0f\n",
           n, before, after, (after - before) * 1024 / n, n / elapsed);
    close(done[1]);
    waitpid(client, NULL, 0);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(monitor);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return 0;
}
