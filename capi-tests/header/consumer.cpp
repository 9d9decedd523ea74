/*
 * consumer.cpp: a C++ program that includes zmq.h (extern "C" linkage, no C-only constructs),
 * compiled by run.sh with -Wall -Wextra -Werror as C++11 and as the compiler's default C++.
 */
#include <zmq.h>

static_assert (sizeof (zmq_msg_t) == 64, "zmq_msg_t is 64 bytes");
static_assert (alignof (zmq_msg_t) >= alignof (void *), "zmq_msg_t is pointer-aligned");
static_assert (sizeof (zmq_pollitem_t) == 2 * sizeof (void *), "zmq_pollitem_t size");

int consumer_main ();
int consumer_main ()
{
    int major = 0, minor = 0, patch = 0;
    zmq_version (&major, &minor, &patch);
    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        return 1;
    zmq_msg_close (&msg);
    void *ctx = zmq_ctx_new ();
    zmq_ctx_term (ctx);
    return major == ZMQ_VERSION_MAJOR ? 0 : 1;
}
