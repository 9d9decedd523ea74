/*
 * proxy_load.c: the pieces of the interop proxy load case (interop/run.sh): a ROUTER/DEALER
 * zmq_proxy, echoing workers behind it and pipelining clients in front of it, each run on
 * whichever libzmq.so.5 the dynamic linker finds (built like peer.c: -lzmq, no rpath).
 *
 * Usage: proxy_load proxy                 bind tcp://127.0.0.1:* twice, print
 *                                         "front E" and "back E", run zmq_proxy
 *        proxy_load worker BACK           DEALER connected to BACK, echo every message
 *                                         (envelope included) until killed
 *        proxy_load client FRONT ID N     DEALER connected to FRONT: send N requests
 *                                         "ID:seq" with up to WINDOW in flight, check every
 *                                         reply comes back exactly once, print "ok N"
 * All print "version X.Y.Z" first. A client gives up after 10 s without progress.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Requests in flight per client. The ROUTER in the proxy drops a reply when its pipe to the
 * client looks full, and the writer of a pipe learns what its reader took only every
 * HWM / 2 messages (libzmq's low-water mark, which we share): a window of a full HWM (1,000)
 * loses about 500 replies per client, with Debian's libzmq as with ours. */
#define WINDOW 300

static void die(const char *what)
{
    fprintf(stderr, "proxy_load: FAIL %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static void bind_any(void *s, const char *label)
{
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zmq_bind(s, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        die("bind");
    printf("%s %s\n", label, endpoint);
}

static void run_proxy(void *ctx)
{
    void *front = zmq_socket(ctx, ZMQ_ROUTER), *back = zmq_socket(ctx, ZMQ_DEALER);
    if (!front || !back)
        die("zmq_socket");
    bind_any(front, "front");
    bind_any(back, "back");
    zmq_proxy(front, back, NULL); /* returns only when the context ends */
    die("zmq_proxy returned");
}

static void run_worker(void *ctx, const char *back)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    if (!s || zmq_connect(s, back) != 0)
        die("worker connect");
    printf("ready\n");
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, s, 0) < 0)
            die("worker recv");
        int more = zmq_msg_more(&part);
        if (zmq_msg_send(&part, s, more ? ZMQ_SNDMORE : 0) < 0)
            die("worker send");
    }
}

static void run_client(void *ctx, const char *front, const char *id, long n)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int timeout = 10000, zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 || zmq_connect(s, front) != 0)
        die("client connect");
    unsigned char *seen = calloc((size_t) n, 1);
    long sent = 0, received = 0;
    size_t idlen = strlen(id);
    while (received < n) {
        while (sent < n && sent - received < WINDOW) {
            char buf[64];
            int len = snprintf(buf, sizeof buf, "%s:%ld", id, sent);
            if (zmq_send(s, buf, (size_t) len, 0) != len)
                die("client send");
            sent++;
        }
        char buf[64];
        int len = zmq_recv(s, buf, sizeof buf - 1, 0);
        if (len < 0) {
            fprintf(stderr, "proxy_load: FAIL client %s: no reply for 10 s (%ld of %ld back)\n",
                    id, received, n);
            exit(1);
        }
        buf[len] = '\0';
        long seq = -1;
        if ((size_t) len > idlen + 1 && memcmp(buf, id, idlen) == 0 && buf[idlen] == ':')
            seq = strtol(buf + idlen + 1, NULL, 10);
        if (seq < 0 || seq >= sent || seen[seq]) {
            fprintf(stderr, "proxy_load: FAIL client %s: unexpected or repeated reply '%s'\n", id,
                    buf);
            exit(1);
        }
        seen[seq] = 1;
        received++;
    }
    printf("ok %ld\n", received);
    free(seen);
    zmq_close(s);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("version %d.%d.%d\n", major, minor, patch);
    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    if (argc == 2 && strcmp(argv[1], "proxy") == 0)
        run_proxy(ctx);
    else if (argc == 3 && strcmp(argv[1], "worker") == 0)
        run_worker(ctx, argv[2]);
    else if (argc == 5 && strcmp(argv[1], "client") == 0)
        run_client(ctx, argv[2], argv[3], atol(argv[4]));
    else {
        fprintf(stderr, "usage: proxy_load proxy | worker BACK | client FRONT ID N\n");
        return 2;
    }
    zmq_ctx_term(ctx);
    return 0;
}
