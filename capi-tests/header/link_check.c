/*
 * link_check.c: linked by run.sh through pkg-config and CMake (shared and static); prints the
 * library version and exercises a message, so a broken link or a missing symbol shows.
 */
#include <stdio.h>
#include <zmq.h>

int main (void)
{
    int major, minor, patch;
    zmq_msg_t msg;
    zmq_version (&major, &minor, &patch);
    if (zmq_msg_init_size (&msg, 100) != 0 || zmq_msg_size (&msg) != 100)
        return 1;
    zmq_msg_close (&msg);
    printf ("libzmq %d.%d.%d\n", major, minor, patch);
    return 0;
}
