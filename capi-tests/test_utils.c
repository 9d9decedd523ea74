/*
 * test_utils.c: the utility functions of zmq.h.
 *   Z85 encode/decode (RFC 32 vector, bad lengths and characters -> NULL/EINVAL);
 *   zmq_curve_keypair/zmq_curve_public (working, with a known key pair, when zmq_has ("curve"),
 *   otherwise both fail with ENOTSUP); atomic counters; stopwatch; zmq_threadstart/close;
 *   timers (add/cancel/set_interval/reset/timeout/execute, invalid ids -> EINVAL, NULL or
 *   non-timers handles -> EFAULT).
 */
#include "check.h"
#include <stdint.h>
#include <zmq.h>

static const uint8_t hello_bytes[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};

static void z85_encode_vector (void)
{
    char out[11];
    memset (out, '#', sizeof out);
    CHECK (zmq_z85_encode (out, hello_bytes, 8) == out);
    CHECK_STR (out, "HelloWorld");
    /* Empty input gives an empty string. */
    out[0] = 'x';
    CHECK (zmq_z85_encode (out, hello_bytes, 0) == out);
    CHECK_STR (out, "");
}

static void z85_encode_bad_length (void)
{
    char out[32];
    CHECK_NULL_ERR (zmq_z85_encode (out, hello_bytes, 1), EINVAL);
    CHECK_NULL_ERR (zmq_z85_encode (out, hello_bytes, 3), EINVAL);
    CHECK_NULL_ERR (zmq_z85_encode (out, hello_bytes, 7), EINVAL);
}

static void z85_decode_vector (void)
{
    uint8_t out[8];
    memset (out, 0, sizeof out);
    CHECK (zmq_z85_decode (out, "HelloWorld") == out);
    CHECK (memcmp (out, hello_bytes, 8) == 0);
    /* Round trip of 32 bytes (a CURVE key's size). */
    uint8_t key[32], back[32];
    char text[41];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t) (i * 37 + 11);
    CHECK (zmq_z85_encode (text, key, 32) != NULL);
    CHECK_INT (strlen (text), 40);
    CHECK (zmq_z85_decode (back, text) == back);
    CHECK (memcmp (key, back, 32) == 0);
}

static void z85_decode_bad_input (void)
{
    uint8_t out[64];
    CHECK_NULL_ERR (zmq_z85_decode (out, ""), EINVAL);           /* shorter than 5 */
    CHECK_NULL_ERR (zmq_z85_decode (out, "Hell"), EINVAL);       /* shorter than 5 */
    CHECK_NULL_ERR (zmq_z85_decode (out, "HelloWorl"), EINVAL);  /* not a multiple of 5 */
    CHECK_NULL_ERR (zmq_z85_decode (out, "HelloWorld!"), EINVAL);
    CHECK_NULL_ERR (zmq_z85_decode (out, "Hello Worl"), EINVAL); /* space is not Z85 */
    CHECK_NULL_ERR (zmq_z85_decode (out, "Hel~oWorld"), EINVAL); /* '~' is not Z85 */
    CHECK_NULL_ERR (zmq_z85_decode (out, "Hel\"oWorld"), EINVAL);
    CHECK_NULL_ERR (zmq_z85_decode (out, "Hel\x80oWorld"), EINVAL); /* not ASCII */
    CHECK_NULL_ERR (zmq_z85_decode (out, "#####"), EINVAL);      /* above 2^32 - 1 */
}

static void curve_keys (void)
{
    char pub[41], sec[41], pub2[41];
    if (zmq_has ("curve")) {
        CHECK_OK (zmq_curve_keypair (pub, sec));
        CHECK_INT (strlen (pub), 40);
        CHECK_INT (strlen (sec), 40);
        uint8_t raw[32];
        CHECK (zmq_z85_decode (raw, pub) != NULL);
        CHECK (zmq_z85_decode (raw, sec) != NULL);
        CHECK_OK (zmq_curve_public (pub2, sec));
        CHECK_STR (pub2, pub);
        /* A known pair. */
        CHECK_OK (zmq_curve_public (pub2, "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"));
        CHECK_STR (pub2, "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
        /* A secret key that is not Z85 text. */
        CHECK_ERR (zmq_curve_public (pub2, "not a key"), EINVAL);
    } else {
        CHECK_ERR (zmq_curve_keypair (pub, sec), ENOTSUP);
        CHECK_ERR (zmq_curve_public (pub2, "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"), ENOTSUP);
    }
}

/* zmq_atomic_counter_inc returns the value before the increment; _dec returns 1 while the
 * value after the decrement is non-zero and 0 when it reaches zero. */
static void atomic_counter (void)
{
    void *c = zmq_atomic_counter_new ();
    CHECK (c != NULL);
    CHECK_INT (zmq_atomic_counter_value (c), 0);
    CHECK_INT (zmq_atomic_counter_inc (c), 0);
    CHECK_INT (zmq_atomic_counter_inc (c), 1);
    CHECK_INT (zmq_atomic_counter_inc (c), 2);
    CHECK_INT (zmq_atomic_counter_value (c), 3);
    CHECK_INT (zmq_atomic_counter_dec (c), 1);
    CHECK_INT (zmq_atomic_counter_dec (c), 1);
    CHECK_INT (zmq_atomic_counter_dec (c), 0);
    CHECK_INT (zmq_atomic_counter_value (c), 0);
    CHECK_INT (zmq_atomic_counter_dec (c), 1); /* -1 is non-zero */
    CHECK_INT (zmq_atomic_counter_value (c), -1);
    zmq_atomic_counter_set (c, 5);
    CHECK_INT (zmq_atomic_counter_value (c), 5);
    CHECK_INT (zmq_atomic_counter_inc (c), 5);
    CHECK_INT (zmq_atomic_counter_value (c), 6);
    zmq_atomic_counter_destroy (&c);
    CHECK (c == NULL);
}

static void stopwatch (void)
{
    void *w = zmq_stopwatch_start ();
    CHECK (w != NULL);
    unsigned long t1 = zmq_stopwatch_intermediate (w);
    unsigned long t2 = zmq_stopwatch_intermediate (w);
    CHECK (t2 >= t1);
    usleep (20000);
    unsigned long t3 = zmq_stopwatch_intermediate (w);
    CHECK (t3 >= 15000);
    CHECK (t3 < 5000000);
    unsigned long t4 = zmq_stopwatch_stop (w);
    CHECK (t4 >= t3);
}

static volatile int thread_ran;
static void *thread_arg;
static void thread_body (void *arg)
{
    thread_arg = arg;
    usleep (10000);
    thread_ran = 1;
}

static void thread_start_close (void)
{
    int token = 0;
    thread_ran = 0;
    void *t = zmq_threadstart (thread_body, &token);
    CHECK (t != NULL);
    zmq_threadclose (t); /* joins */
    CHECK_INT (thread_ran, 1);
    CHECK (thread_arg == &token);
}

static int timer_calls;
static int timer_last_id;
static void *timer_last_arg;
static void on_timer (int id, void *arg)
{
    timer_calls++;
    timer_last_id = id;
    timer_last_arg = arg;
}

static void timers_basic (void)
{
    void *timers = zmq_timers_new ();
    CHECK (timers != NULL);
    CHECK_INT (zmq_timers_timeout (timers), -1); /* no timers */
    CHECK_OK (zmq_timers_execute (timers));

    int arg = 0;
    int id = zmq_timers_add (timers, 30, on_timer, &arg);
    CHECK (id > 0);
    long t = zmq_timers_timeout (timers);
    CHECK (t >= 0 && t <= 30);
    /* Not due yet: nothing runs. */
    timer_calls = 0;
    CHECK_OK (zmq_timers_execute (timers));
    CHECK_INT (timer_calls, 0);
    usleep (45000);
    CHECK_INT (zmq_timers_timeout (timers), 0); /* overdue reads as 0 */
    CHECK_OK (zmq_timers_execute (timers));
    CHECK_INT (timer_calls, 1);
    CHECK_INT (timer_last_id, id);
    CHECK (timer_last_arg == &arg);
    /* It repeats: rescheduled one interval later. */
    t = zmq_timers_timeout (timers);
    CHECK (t > 0 && t <= 30);

    /* Interval changes and resets apply from now. */
    CHECK_OK (zmq_timers_set_interval (timers, id, 1000));
    t = zmq_timers_timeout (timers);
    CHECK (t > 900 && t <= 1000);
    CHECK_OK (zmq_timers_reset (timers, id));
    t = zmq_timers_timeout (timers);
    CHECK (t > 900 && t <= 1000);

    /* A second timer gets a different id; the earliest decides the timeout. */
    int id2 = zmq_timers_add (timers, 10, on_timer, NULL);
    CHECK (id2 > 0 && id2 != id);
    t = zmq_timers_timeout (timers);
    CHECK (t >= 0 && t <= 10);
    CHECK_OK (zmq_timers_cancel (timers, id2));
    t = zmq_timers_timeout (timers);
    CHECK (t > 900);
    CHECK_OK (zmq_timers_cancel (timers, id));
    CHECK_INT (zmq_timers_timeout (timers), -1);
    timer_calls = 0;
    CHECK_OK (zmq_timers_execute (timers));
    CHECK_INT (timer_calls, 0);

    CHECK_OK (zmq_timers_destroy (&timers));
    CHECK (timers == NULL);
}

static void timers_cancelled_not_run (void)
{
    void *timers = zmq_timers_new ();
    int id = zmq_timers_add (timers, 5, on_timer, NULL);
    CHECK (id > 0);
    CHECK_OK (zmq_timers_cancel (timers, id));
    usleep (15000);
    timer_calls = 0;
    CHECK_OK (zmq_timers_execute (timers));
    CHECK_INT (timer_calls, 0);
    CHECK_OK (zmq_timers_destroy (&timers));
}

static void timers_invalid_ids (void)
{
    void *timers = zmq_timers_new ();
    CHECK_ERR (zmq_timers_cancel (timers, 1), EINVAL);
    CHECK_ERR (zmq_timers_set_interval (timers, 1, 10), EINVAL);
    CHECK_ERR (zmq_timers_reset (timers, 1), EINVAL);
    int id = zmq_timers_add (timers, 100, on_timer, NULL);
    CHECK (id > 0);
    CHECK_ERR (zmq_timers_cancel (timers, id + 1), EINVAL);
    CHECK_ERR (zmq_timers_cancel (timers, -1), EINVAL);
    CHECK_ERR (zmq_timers_set_interval (timers, id + 1, 10), EINVAL);
    CHECK_ERR (zmq_timers_reset (timers, 0), EINVAL);
    CHECK_OK (zmq_timers_cancel (timers, id));
    CHECK_ERR (zmq_timers_cancel (timers, id), EINVAL); /* cancelled twice */
    /* Once zmq_timers_timeout or _execute has dropped it, the id is unknown everywhere. */
    CHECK_INT (zmq_timers_timeout (timers), -1);
    CHECK_ERR (zmq_timers_cancel (timers, id), EINVAL);
    CHECK_ERR (zmq_timers_set_interval (timers, id, 10), EINVAL);
    CHECK_ERR (zmq_timers_reset (timers, id), EINVAL);
    /* A timer needs a handler. */
    CHECK_ERR (zmq_timers_add (timers, 10, NULL, NULL), EFAULT);
    CHECK_OK (zmq_timers_destroy (&timers));
}

static long long not_timers[64];

static void timers_bad_handle_efault (void)
{
    void *bad = not_timers;
    CHECK_ERR (zmq_timers_add (NULL, 10, on_timer, NULL), EFAULT);
    CHECK_ERR (zmq_timers_cancel (NULL, 1), EFAULT);
    CHECK_ERR (zmq_timers_set_interval (NULL, 1, 10), EFAULT);
    CHECK_ERR (zmq_timers_reset (NULL, 1), EFAULT);
    CHECK_ERR (zmq_timers_timeout (NULL), EFAULT);
    CHECK_ERR (zmq_timers_execute (NULL), EFAULT);
    void *none = NULL;
    CHECK_ERR (zmq_timers_destroy (&none), EFAULT);
    CHECK_ERR (zmq_timers_add (bad, 10, on_timer, NULL), EFAULT);
    CHECK_ERR (zmq_timers_cancel (bad, 1), EFAULT);
    CHECK_ERR (zmq_timers_timeout (bad), EFAULT);
    CHECK_ERR (zmq_timers_execute (bad), EFAULT);
    CHECK_ERR (zmq_timers_destroy (&bad), EFAULT);
    CHECK (bad == (void *) not_timers); /* left alone */
}

int main (void)
{
    RUN (z85_encode_vector);
    RUN (z85_encode_bad_length);
    RUN (z85_decode_vector);
    RUN (z85_decode_bad_input);
    RUN (curve_keys);
    RUN (atomic_counter);
    RUN (stopwatch);
    RUN (thread_start_close);
    RUN (timers_basic);
    RUN (timers_cancelled_not_run);
    RUN (timers_invalid_ids);
    RUN (timers_bad_handle_efault);
    return check_finish ();
}
