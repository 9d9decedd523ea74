/*
 * raw_peer.h: reading from a raw tcp socket that plays a hand-written peer (test_hostile.c,
 * test_zmtp_legacy.c). Every wait is bounded by 3 s.
 */
#ifndef CAPI_TESTS_RAW_PEER_H
#define CAPI_TESTS_RAW_PEER_H

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

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
