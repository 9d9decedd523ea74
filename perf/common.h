/* common.h: helpers shared by the perf programs (timing, CPU accounting, error exits).
 *
 * Header-only so every perf program stays a single `cc file.c -lzmq` compile.
 * Wall time comes from zmq_stopwatch_* (the library under test) and CPU time from
 * getrusage(RUSAGE_SELF), which covers every thread of the process, I/O threads included. */
#ifndef PERF_COMMON_H
#define PERF_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <zmq.h>

#ifdef _GNU_SOURCE
#include <sched.h>

/* Pins the calling thread to one CPU if PERF_PIN_THREADS is set (Linux; programs that use it
 * define _GNU_SOURCE first). */
static inline void maybe_pin(int cpu)
{
    if (!getenv("PERF_PIN_THREADS"))
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        perror("sched_setaffinity");
}
#endif

/* Prints what failed with the library's error text and exits non-zero. */
static inline void die(const char *what)
{
    fprintf(stderr, "error in %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

/* Parses a positive count or size argument; exits with a usage error otherwise. */
static inline long parse_count(const char *text, const char *name)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value < 0) {
        fprintf(stderr, "bad %s: %s\n", name, text);
        exit(2);
    }
    return value;
}

/* User + system CPU seconds consumed so far by the whole process. */
static inline double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6
         + (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

/* The extra output line of these programs: process CPU time divided by the message count. */
static inline void print_cpu_per_message(long count)
{
    printf("cpu time per message: %.3f [us]\n", cpu_seconds() * 1e6 / (double)count);
}

/* Receive-side throughput report, in the classic local_thr format. */
static inline void print_throughput(long size, long count, unsigned long elapsed_us)
{
    if (elapsed_us == 0)
        elapsed_us = 1;
    double msgs_per_s = (double)count * 1e6 / (double)elapsed_us;
    double megabits = msgs_per_s * (double)size * 8.0 / 1e6;
    printf("message size: %ld [B]\n", size);
    printf("message count: %ld\n", count);
    printf("mean throughput: %ld [msg/s]\n", (long)msgs_per_s);
    printf("mean throughput: %.3f [Mb/s]\n", megabits);
}

/* Round-trip latency report, in the classic remote_lat format (one-way = elapsed / 2n). */
static inline void print_latency(long size, long roundtrips, unsigned long elapsed_us)
{
    double latency = (double)elapsed_us / (2.0 * (double)roundtrips);
    printf("message size: %ld [B]\n", size);
    printf("roundtrip count: %ld\n", roundtrips);
    printf("average latency: %.3f [us]\n", latency);
}

/* Receives one message of exactly `size` bytes into `msg` (already initialised). */
static inline void recv_sized(void *socket, zmq_msg_t *msg, long size)
{
    if (zmq_msg_recv(msg, socket, 0) < 0)
        die("zmq_msg_recv");
    if ((long)zmq_msg_size(msg) != size) {
        fprintf(stderr, "message of wrong size: %zu, expected %ld\n", zmq_msg_size(msg), size);
        exit(1);
    }
}

/* Sends one message of `size` bytes (contents irrelevant). */
static inline void send_sized(void *socket, long size)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t)size) != 0)
        die("zmq_msg_init_size");
    if (size > 0)
        memset(zmq_msg_data(&msg), 'x', (size_t)size);
    if (zmq_msg_send(&msg, socket, 0) < 0)
        die("zmq_msg_send");
}

#endif
