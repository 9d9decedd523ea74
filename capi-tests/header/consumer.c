/*
 * consumer.c: a C program that includes zmq.h, compiled by run.sh with -Wall -Wextra -Werror
 * (as C99 and as the compiler's default C, with and without ZMQ_BUILD_DRAFT_API). Compile-time
 * checks: zmq_msg_t is 64 bytes and at least pointer-aligned; zmq_pollitem_t has libzmq's
 * x86-64/LP64 layout (void *socket; int fd; short events; short revents: 16 bytes).
 */
#include <stddef.h>
#include <zmq.h>

/* C99 has no _Static_assert: a negative array size fails the compilation instead. */
#define STATIC_CHECK(name, cond) typedef char static_check_##name[(cond) ? 1 : -1]

struct msg_align { char c; zmq_msg_t m; };
struct ptr_align { char c; void *p; };

STATIC_CHECK (msg_size, sizeof (zmq_msg_t) == 64);
STATIC_CHECK (msg_align, offsetof (struct msg_align, m) >= offsetof (struct ptr_align, p));
STATIC_CHECK (pollitem_size, sizeof (zmq_pollitem_t) == 2 * sizeof (void *));
STATIC_CHECK (pollitem_socket, offsetof (zmq_pollitem_t, socket) == 0);
STATIC_CHECK (pollitem_fd, offsetof (zmq_pollitem_t, fd) == sizeof (void *));
STATIC_CHECK (pollitem_events, offsetof (zmq_pollitem_t, events) == sizeof (void *) + sizeof (int));
STATIC_CHECK (pollitem_revents,
              offsetof (zmq_pollitem_t, revents) == sizeof (void *) + sizeof (int) + sizeof (short));

int consumer_main (void);
int consumer_main (void)
{
    int major, minor, patch;
    zmq_msg_t msg;
    zmq_pollitem_t item = {NULL, 0, ZMQ_POLLIN, 0};
    zmq_version (&major, &minor, &patch);
    if (zmq_msg_init (&msg) != 0)
        return 1;
    zmq_msg_close (&msg);
    (void) item;
    return major == ZMQ_VERSION_MAJOR ? 0 : 1;
}
