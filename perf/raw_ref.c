/* raw_ref: the kernel's loopback limit, for reference next to the ZeroMQ numbers.
 *
 *   raw_ref thr-recv   <endpoint> <message-size> <message-count>
 *   raw_ref thr-send   <endpoint> <message-size> <message-count>
 *   raw_ref lat-server <endpoint> <message-size> <roundtrip-count>
 *   raw_ref lat-client <endpoint> <message-size> <roundtrip-count>
 *
 * endpoint is tcp://127.0.0.1:PORT or ipc:///path (a unix stream socket). No libzmq.
 *
 * Each message is framed as ZMTP 3 frames it on the wire: a 2-byte header (flags, length)
 * for bodies up to 255 bytes, a 9-byte header (flags, 64-bit length) above. Throughput:
 * the sender writes the concatenated frames in large batches and the receiver reads them
 * in reads of the same size without parsing, timing from the first byte to the last; the
 * report is local_thr's. A batch is 16 frames, but at least 256 KiB and at most 1 MiB: on
 * the test machine 64 KiB frames went from 44k to 95k msg/s between 256 KiB and 1 MiB
 * batches while 1 KiB frames fell from 8M to 5M msg/s, so each size gets its better one. Latency: the client writes one frame and reads the
 * echo, roundtrip-count times (TCP_NODELAY); the report is remote_lat's. Both sides print
 * their CPU time per message like the ZeroMQ perf programs. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MIN (256 * 1024)
#define BATCH_MAX (1024 * 1024)

static void fail(const char *what)
{
    fprintf(stderr, "error in %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void print_cpu_per_message(long count)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    double cpu = (double)u.ru_utime.tv_sec * 1e6 + (double)u.ru_utime.tv_usec
               + (double)u.ru_stime.tv_sec * 1e6 + (double)u.ru_stime.tv_usec;
    printf("cpu time per message: %.3f [us]\n", cpu / (double)count);
}

/* Fills in the address for endpoint; returns the socket family. */
static int parse_endpoint(const char *endpoint, struct sockaddr_storage *addr, socklen_t *len)
{
    memset(addr, 0, sizeof *addr);
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        char host[64];
        const char *colon = strrchr(endpoint + 6, ':');
        size_t hostlen = colon ? (size_t)(colon - (endpoint + 6)) : 0;
        if (!colon || hostlen == 0 || hostlen >= sizeof host) {
            fprintf(stderr, "bad endpoint: %s\n", endpoint);
            exit(2);
        }
        memcpy(host, endpoint + 6, hostlen);
        host[hostlen] = '\0';
        struct sockaddr_in *in = (struct sockaddr_in *)addr;
        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1) {
            fprintf(stderr, "bad address: %s\n", host);
            exit(2);
        }
        *len = sizeof *in;
        return AF_INET;
    }
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)addr;
        if (strlen(endpoint + 6) >= sizeof un->sun_path) {
            fprintf(stderr, "path too long: %s\n", endpoint + 6);
            exit(2);
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, endpoint + 6);
        *len = sizeof *un;
        return AF_UNIX;
    }
    fprintf(stderr, "unsupported endpoint: %s\n", endpoint);
    exit(2);
}

static void set_nodelay(int fd, int family)
{
    int one = 1;
    if (family == AF_INET && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        fail("setsockopt(TCP_NODELAY)");
}

/* Listens on endpoint and returns the first accepted connection. */
static int accept_one(const char *endpoint)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int family = parse_endpoint(endpoint, &addr, &len);
    int lfd = socket(family, SOCK_STREAM, 0);
    if (lfd < 0)
        fail("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_UNIX)
        unlink(((struct sockaddr_un *)&addr)->sun_path);
    if (bind(lfd, (struct sockaddr *)&addr, len) != 0)
        fail("bind");
    if (listen(lfd, 1) != 0)
        fail("listen");
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        fail("accept");
    close(lfd);
    if (family == AF_UNIX)
        unlink(((struct sockaddr_un *)&addr)->sun_path);
    set_nodelay(fd, family);
    return fd;
}

/* Connects to endpoint, retrying for up to 5 s while the peer is not listening yet. */
static int connect_retry(const char *endpoint)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int family = parse_endpoint(endpoint, &addr, &len);
    for (int attempt = 0; attempt < 500; attempt++) {
        int fd = socket(family, SOCK_STREAM, 0);
        if (fd < 0)
            fail("socket");
        if (connect(fd, (struct sockaddr *)&addr, len) == 0) {
            set_nodelay(fd, family);
            return fd;
        }
        close(fd);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fail("connect");
    return -1;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("write");
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void read_all(int fd, char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        if (n == 0) {
            fprintf(stderr, "peer closed early\n");
            exit(1);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("read");
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Writes one ZMTP-style frame (header + body of size bytes) into buf; returns its length. */
static size_t put_frame(char *buf, long size)
{
    size_t at = 0;
    if (size <= 255) {
        buf[at++] = 0x00;
        buf[at++] = (char)size;
    } else {
        buf[at++] = 0x02;
        for (int shift = 56; shift >= 0; shift -= 8)
            buf[at++] = (char)(((unsigned long long)size >> shift) & 0xff);
    }
    memset(buf + at, 'x', (size_t)size);
    return at + (size_t)size;
}

static size_t frame_length(long size)
{
    return (size <= 255 ? 2 : 9) + (size_t)size;
}

/* Bytes per write and per read for frames of frame_length bytes (see the top). */
static size_t batch_bytes(size_t frame_length)
{
    size_t batch = 16 * frame_length;
    return batch < BATCH_MIN ? BATCH_MIN : batch > BATCH_MAX ? BATCH_MAX : batch;
}

static void thr_send(const char *endpoint, long size, long count)
{
    size_t frame = frame_length(size);
    /* A batch holds as many whole frames as fit (at least one). */
    size_t batch_size = batch_bytes(frame);
    long per_batch = frame >= batch_size ? 1 : (long)(batch_size / frame);
    char *batch = malloc(frame * (size_t)per_batch);
    if (!batch)
        fail("malloc");
    for (long i = 0; i < per_batch; i++)
        put_frame(batch + (size_t)i * frame, size);

    int fd = connect_retry(endpoint);
    for (long sent = 0; sent < count; sent += per_batch) {
        long n = count - sent < per_batch ? count - sent : per_batch;
        write_all(fd, batch, frame * (size_t)n);
    }
    close(fd);
    free(batch);
    print_cpu_per_message(count);
}

static void thr_recv(const char *endpoint, long size, long count)
{
    unsigned long long total = (unsigned long long)frame_length(size) * (unsigned long long)count;
    size_t batch = batch_bytes(frame_length(size));
    char *buf = malloc(batch);
    if (!buf)
        fail("malloc");
    int fd = accept_one(endpoint);
    double start = 0;
    unsigned long long got = 0;
    while (got < total) {
        size_t want = total - got < batch ? (size_t)(total - got) : batch;
        ssize_t n = read(fd, buf, want);
        if (n == 0) {
            fprintf(stderr, "peer closed early\n");
            exit(1);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("read");
        }
        if (got == 0)
            start = now_us();
        got += (unsigned long long)n;
    }
    double elapsed = now_us() - start;
    close(fd);
    free(buf);
    if (elapsed < 1)
        elapsed = 1;
    double msgs = (double)count * 1e6 / elapsed;
    printf("message size: %ld [B]\n", size);
    printf("message count: %ld\n", count);
    /* long, not int: 1-byte frames exceed 2^31 msg/s here. */
    printf("mean throughput: %ld [msg/s]\n", (long)msgs);
    printf("mean throughput: %.3f [Mb/s]\n", msgs * (double)size * 8.0 / 1e6);
    print_cpu_per_message(count);
}

static void lat_server(const char *endpoint, long size, long roundtrips)
{
    size_t frame = frame_length(size);
    char *buf = malloc(frame);
    if (!buf)
        fail("malloc");
    int fd = accept_one(endpoint);
    for (long i = 0; i < roundtrips; i++) {
        read_all(fd, buf, frame);
        write_all(fd, buf, frame);
    }
    close(fd);
    free(buf);
    print_cpu_per_message(roundtrips);
}

static void lat_client(const char *endpoint, long size, long roundtrips)
{
    size_t frame = frame_length(size);
    char *buf = malloc(frame);
    if (!buf)
        fail("malloc");
    put_frame(buf, size);
    int fd = connect_retry(endpoint);
    double start = now_us();
    for (long i = 0; i < roundtrips; i++) {
        write_all(fd, buf, frame);
        read_all(fd, buf, frame);
    }
    double elapsed = now_us() - start;
    close(fd);
    free(buf);
    printf("message size: %ld [B]\n", size);
    printf("roundtrip count: %ld\n", roundtrips);
    printf("average latency: %.3f [us]\n", elapsed / (2.0 * (double)roundtrips));
    print_cpu_per_message(roundtrips);
}

int main(int argc, char *argv[])
{
    if (argc != 5) {
        fprintf(stderr, "usage: raw_ref thr-recv|thr-send|lat-server|lat-client "
                        "<endpoint> <message-size> <count>\n");
        return 2;
    }
    const char *mode = argv[1];
    const char *endpoint = argv[2];
    long size = atol(argv[3]);
    long count = atol(argv[4]);
    if (size < 0 || count < 1) {
        fprintf(stderr, "bad size or count\n");
        return 2;
    }
    if (strcmp(mode, "thr-recv") == 0)
        thr_recv(endpoint, size, count);
    else if (strcmp(mode, "thr-send") == 0)
        thr_send(endpoint, size, count);
    else if (strcmp(mode, "lat-server") == 0)
        lat_server(endpoint, size, count);
    else if (strcmp(mode, "lat-client") == 0)
        lat_client(endpoint, size, count);
    else {
        fprintf(stderr, "unknown mode: %s\n", mode);
        return 2;
    }
    return 0;
}
