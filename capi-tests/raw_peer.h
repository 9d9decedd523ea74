/*
 * raw_peer.h: a raw tcp socket that plays a hand-written peer (test_hostile.c,
 * test_zmtp_legacy.c, test_radio_filter.c, test_large_receives.c): the port of a bound tcp
 * endpoint, connecting, greeting and reading. Every wait is bounded by 3 s.
 */
#ifndef CAPI_TESTS_RAW_PEER_H
#define CAPI_TESTS_RAW_PEER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The port of a "tcp://host:port" endpoint (ZMQ_LAST_ENDPOINT), or 0. */
static inline int endpoint_port (const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    return colon ? atoi (colon + 1) : 0;
}

/* A tcp connection to 127.0.0.1:port; the fd, or -1. */
static inline int raw_connect_loopback (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        close (fd);
        return -1;
    }
    return fd;
}

/* A ZMTP 3.0 greeting with the given mechanism name, as a client. */
static inline void raw_greeting (unsigned char out[64], const char *mechanism)
{
    memset (out, 0, 64);
    out[0] = 0xff;
    out[9] = 0x7f;
    out[10] = 3;
    out[11] = 0;
    memcpy (out + 12, mechanism, strlen (mechanism));
}

/* Reads exactly len bytes (3 s at most); 0 on success. */
static inline int raw_read_exact (int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll (&p, 1, 3000) <= 0)
            return -1;
        ssize_t n = recv (fd, buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    return 0;
}

/* Reads and discards until the other side closes the connection; 1 when it did within 3 s. */
static inline int raw_wait_closed (int fd)
{
    char buf[4096];
    struct timespec start, now;
    clock_gettime (CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        clock_gettime (CLOCK_MONOTONIC, &now);
        long long spent =
          (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent > 3000)
            return 0;
        if (poll (&p, 1, (int) (3000 - spent)) <= 0)
            continue;
        ssize_t n = recv (fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
    }
}

#endif
