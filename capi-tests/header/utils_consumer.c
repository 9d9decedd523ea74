/*
 * utils_consumer.c: includes the deprecated zmq_utils.h after zmq.h. run.sh compiles it with
 * -Wall -Wextra (no -Werror) and accepts only the header's own deprecation warning.
 */
#include <zmq.h>
#include <zmq_utils.h>

int utils_consumer_main (void);
int utils_consumer_main (void)
{
    void *watch = zmq_stopwatch_start ();
    return (int) (zmq_stopwatch_stop (watch) > 1000000000UL);
}
