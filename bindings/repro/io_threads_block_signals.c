/* Library bug: libzmq blocks every signal in the threads it starts (I/O threads, reaper), so
 * process-directed signals reach only application threads. libzmq-rs's I/O threads leave their
 * mask open: a program that creates its context, then blocks SIGUSR1 and collects it through a
 * signalfd is killed by it instead (default action runs on the I/O thread).
 *   cc io_threads_block_signals.c -lzmq && ./a.out              (Debian: signalfd readable: 1)
 *   LD_LIBRARY_PATH=build/prefix/lib ./a.out                     (ours: killed by SIGUSR1) */
#include <zmq.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>
int main(void) {
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PULL);
    zmq_bind(s, "tcp://127.0.0.1:*"); /* starts an I/O thread */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, 0);
    if (fork() == 0) { usleep(100000); kill(getppid(), SIGUSR1); _exit(0); }
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, 2000);
    printf("signalfd readable: %d\n", rc);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc == 1 ? 0 : 1;
}
