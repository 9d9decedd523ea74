/* Asks the library under test what it was built with.  Compiled and run by
 * conformance/run.sh; prints "version X.Y.Z" and then one "NAME 0|1" line per
 * capability, exactly as zmq_has() answers. */
#include <stdio.h>
#include <zmq.h>

int main (void)
{
    static const char *const names[] = {"ipc",  "pgm",  "tipc", "norm",
                                        "curve", "gssapi", "vmci", "draft",
                                        "ws",   "WS",   "wss",  "WSS"};
    int major = 0, minor = 0, patch = 0;
    zmq_version (&major, &minor, &patch);
    printf ("version %d.%d.%d\n", major, minor, patch);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        printf ("%s %d\n", names[i], zmq_has (names[i]) ? 1 : 0);
    return 0;
}
