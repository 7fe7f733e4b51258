/* echo_server.c - an epoll TCP echo server whose connections live in a pool.
 *
 *   usage: echo_server PORT [IDLE_MS]
 *
 * Listens on 127.0.0.1:PORT (0 = any free port; the line it prints says
 * which) and echoes what every client sends. A connection idle for IDLE_MS
 * (default 30000) is closed by a second thread. SIGINT or SIGTERM stops it:
 * it closes what is left, prints its counters and the pool's, and exits 0
 * if every socket it accepted was closed exactly once.
 *
 * What it shows:
 *
 *   - epoll carries the connection's 64-bit handle (epoll_data.u64), never
 *     a pointer. An event for a connection that was closed meanwhile, maybe
 *     with its slot already serving a new client, fails conns_lookup() and
 *     is dropped: a pointer would have sent it to the wrong client.
 *   - Two threads may close the same connection at the same moment: the
 *     event loop (the peer hung up) and the idle reaper. Both call
 *     conns_release() on the handle; exactly one gets 0 and closes the
 *     socket, the other gets -ESTALE and backs off. No lock is needed.
 */
#define _GNU_SOURCE /* accept4, epoll_pwait */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpool.h"

enum {
    MAX_CONNS = 4096, /* the pool's max_items: beyond it, new clients are turned away */
    BUF_BYTES = 4096,
    MAX_EVENTS = 128,
    ACCEPTS_PER_WAKEUP = 64, /* so a flood of connects cannot starve the clients */
};

typedef struct conn {
    /* Written by the event loop, read by the reaper thread too. */
    _Atomic uint64_t self;       /* this connection's handle, stored last: see accept_all */
    atomic_int fd;
    _Atomic int64_t last_active; /* ms, CLOCK_MONOTONIC */
    /* The event loop's alone. */
    int want_out;                /* epoll watches EPOLLOUT, not EPOLLIN */
    size_t pending, sent;        /* echo bytes in buf, and how many went out */
    char buf[BUF_BYTES];
} conn;
RPOOL_DEFINE_STATIC_EX(conns, conn, .max_items = MAX_CONNS)

/* epoll_data for the listening socket: 0 is never a connection's handle. */
#define LISTENER 0

static struct {
    /* event loop only */
    long accepted, refused, closed_by_loop, loop_lost, stale_events, closed_at_exit;
    /* both threads */
    atomic_long reaped, reaper_lost, fds_closed, close_errors;
} counters;

static volatile sig_atomic_t stop_signal;
static atomic_int reaper_stop;
static int64_t idle_ms = 30000;

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_signal(int signo)
{
    stop_signal = signo;
}

/* Closes the connection that h names, if this caller wins it; called by
 * both threads. Returns 1 if it won (and closed the socket), 0 if the other
 * thread had released h first.
 *
 * The fd is read before the release, because afterwards the winner must not
 * look at the slot (the event loop may already have given it to a new
 * client) and the loser must not either. If the release succeeds, the slot
 * still had h's version at that instant, and versions only grow, so it held
 * this connection all along and the fd we read is this connection's. If the
 * release fails, the fd we read may belong to someone else: we drop it. So
 * each socket is closed once, by whoever won its handle. */
static int close_conn(conns_handle h, conn *c)
{
    int fd = atomic_load_explicit(&c->fd, memory_order_relaxed);

    if (conns_release(h) != 0)
        return 0;
    if (close(fd) == 0)
        atomic_fetch_add(&counters.fds_closed, 1);
    else
        atomic_fetch_add(&counters.close_errors, 1);
    return 1;
}

/* The event loop's own close: the peer hung up, or the socket failed. */
static void hang_up(conns_handle h, conn *c)
{
    if (close_conn(h, c))
        counters.closed_by_loop++;
    else
        counters.loop_lost++; /* the reaper got there first and closed it */
}

static void watch(int ep, int fd, conns_handle h, conn *c, int want_out)
{
    struct epoll_event ev;

    if (c->want_out == want_out)
        return;
    c->want_out = want_out;
    ev.events = want_out ? EPOLLOUT : EPOLLIN;
    ev.data.u64 = h.value;
    /* It fails with EBADF if the reaper has just closed fd; the next read or
       write fails the same way and hang_up() learns it lost. */
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Sends what is left of the echo; watches for writability if the socket
   is full, so that a client that stops reading stops being read. */
static void flush(int ep, conns_handle h, conn *c, int fd)
{
    while (c->sent < c->pending) {
        ssize_t n = send(fd, c->buf + c->sent, c->pending - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(ep, fd, h, c, 1);
            return;
        }
        if (n < 0) {
            hang_up(h, c);
            return;
        }
        c->sent += (size_t)n;
    }
    c->pending = c->sent = 0;
    watch(ep, fd, h, c, 0);
}

static void on_event(int ep, conns_handle h, uint32_t events)
{
    conn *c = conns_lookup(h);
    ssize_t n;
    int fd;

    if (!c) {
        /* Closed since epoll_wait filled the batch, by the reaper or by an
           earlier event of this batch. The slot may already be serving a
           new client: that client's events carry its own handle. */
        counters.stale_events++;
        return;
    }
    /* Only this thread opens sockets, and it is busy here until the event
       is handled, so if the reaper closes fd meanwhile its number cannot
       be handed to another socket yet: our calls on it fail with EBADF. */
    fd = atomic_load_explicit(&c->fd, memory_order_relaxed);
    if (events & EPOLLERR) {
        hang_up(h, c);
        return;
    }
    if (c->pending) {
        flush(ep, h, c, fd);
        return;
    }
    n = recv(fd, c->buf, sizeof c->buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        hang_up(h, c);
        return;
    }
    atomic_store_explicit(&c->last_active, now_ms(), memory_order_relaxed);
    c->pending = (size_t)n;
    c->sent = 0;
    flush(ep, h, c, fd);
}

static void accept_all(int ep, int lfd)
{
    int i;

    for (i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        struct epoll_event ev;
        conns_handle h;
        conn *c;
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                perror("echo_server: accept");
            return;
        }
        c = conns_acquire(&h);
        if (!c) { /* ENOSPC: MAX_CONNS clients already */
            counters.refused++;
            close(fd);
            continue;
        }
        counters.accepted++;
        /* Echoes are small and answered at once: do not hold them back
           waiting for the peer's ACK (Nagle's algorithm). */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
        /* A reused slot holds its last client's state: reset all of it. */
        c->want_out = 0;
        c->pending = c->sent = 0;
        atomic_store_explicit(&c->fd, fd, memory_order_relaxed);
        atomic_store_explicit(&c->last_active, now_ms(), memory_order_relaxed);
        /* The reaper finds connections by scanning the pool, so it can meet
           this slot as soon as acquire returns, before fd is set. It acts
           only once it reads self == its handle; this release store makes
           the fd stored above visible to it by then. */
        atomic_store_explicit(&c->self, h.value, memory_order_release);
        ev.events = EPOLLIN;
        ev.data.u64 = h.value;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            perror("echo_server: epoll_ctl");
            hang_up(h, c);
        }
    }
}

static void reap_if_idle(conn *c, conns_handle h, void *arg)
{
    int64_t now = *(const int64_t *)arg;

    if (atomic_load_explicit(&c->self, memory_order_acquire) != h.value)
        return; /* acquired but not set up yet */
    if (now - atomic_load_explicit(&c->last_active, memory_order_relaxed) < idle_ms)
        return;
    if (close_conn(h, c))
        atomic_fetch_add(&counters.reaped, 1);
    else
        atomic_fetch_add(&counters.reaper_lost, 1); /* the client hung up meanwhile */
}

/* The second thread: every so often, close the connections that have been
   quiet for idle_ms. It holds nothing but handles it gets from the pool. */
static void *reaper(void *arg)
{
    int64_t period = idle_ms / 4 < 1 ? 1 : idle_ms / 4 > 100 ? 100 : idle_ms / 4;
    struct timespec nap = { 0, (long)period * 1000000 };

    (void)arg;
    while (!atomic_load(&reaper_stop)) {
        int64_t now;
        nanosleep(&nap, NULL);
        now = now_ms();
        conns_for_each(reap_if_idle, &now);
    }
    return NULL;
}

static void close_at_exit(conn *c, conns_handle h, void *arg)
{
    (void)arg;
    if (close_conn(h, c))
        counters.closed_at_exit++;
}

static int listen_on(int port)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    printf("echo_server: listening on 127.0.0.1:%d, closing connections idle for %lld ms\n",
           ntohs(addr.sin_port), (long long)idle_ms);
    fflush(stdout);
    return fd;
}

/* Room for MAX_CONNS sockets, so the pool's limit turns clients away
   before the fd limit makes accept fail. */
static void raise_fd_limit(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < MAX_CONNS + 64) {
        r.rlim_cur = r.rlim_max < MAX_CONNS + 64 ? r.rlim_max : MAX_CONNS + 64;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int main(int argc, char **argv)
{
    struct epoll_event events[MAX_EVENTS], ev;
    struct sigaction sa;
    sigset_t stop_set, run_mask;
    pthread_t reaper_thread;
    rpool_stats st;
    long accepted_total;
    int port, lfd, ep, i, n, ok;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [IDLE_MS]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    if (argc == 3)
        idle_ms = atoll(argv[2]);
    if (port < 0 || port > 65535 || idle_ms < 1) {
        fprintf(stderr, "echo_server: bad port or idle time\n");
        return 2;
    }
    raise_fd_limit();

    /* SIGINT and SIGTERM stay blocked except inside epoll_pwait, so they
       interrupt the wait (EINTR) and never a half-done step, and the reaper
       thread, which inherits the mask, never takes them. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, &run_mask);

    lfd = listen_on(port);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (lfd < 0 || ep < 0) {
        perror("echo_server");
        return 1;
    }
    ev.events = EPOLLIN;
    ev.data.u64 = LISTENER;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0 ||
        pthread_create(&reaper_thread, NULL, reaper, NULL) != 0) {
        perror("echo_server");
        return 1;
    }

    while (!stop_signal) {
        n = epoll_pwait(ep, events, MAX_EVENTS, -1, &run_mask);
        if (n < 0 && errno != EINTR) {
            perror("echo_server: epoll_pwait");
            break;
        }
        for (i = 0; i < n; i++) {
            if (events[i].data.u64 == LISTENER) {
                accept_all(ep, lfd);
            } else {
                conns_handle h = { events[i].data.u64 };
                on_event(ep, h, events[i].events);
            }
        }
    }

    atomic_store(&reaper_stop, 1);
    pthread_join(reaper_thread, NULL);
    conns_for_each(close_at_exit, NULL);
    close(lfd);
    close(ep);
    conns_stats(&st);

    accepted_total = counters.accepted;
    printf("echo_server: %s, shutting down\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    printf("connections: %ld accepted, %ld turned away (pool full); closed: %ld by the event "
           "loop, %ld by the idle reaper, %ld at exit\n",
           accepted_total, counters.refused, counters.closed_by_loop,
           atomic_load(&counters.reaped), counters.closed_at_exit);
    printf("release races lost: %ld by the event loop, %ld by the reaper; "
           "stale events ignored: %ld\n",
           counters.loop_lost, atomic_load(&counters.reaper_lost), counters.stale_events);
    printf("pool: live %zu, cached %zu, global_free %zu, carved %zu, retired %zu, blocks %zu, "
           "bytes %zu, threads %zu\n",
           st.live, st.cached, st.global_free, st.carved, st.retired, st.blocks, st.bytes,
           st.threads);

    ok = st.live == 0 && atomic_load(&counters.close_errors) == 0 &&
         atomic_load(&counters.fds_closed) == accepted_total &&
         counters.closed_by_loop + atomic_load(&counters.reaped) + counters.closed_at_exit ==
             accepted_total;
    if (ok)
        printf("ok: %ld sockets, each closed exactly once\n", accepted_total);
    else
        printf("FAILED: %ld sockets closed for %ld accepted, %ld close errors, %zu still live\n",
               atomic_load(&counters.fds_closed), accepted_total,
               atomic_load(&counters.close_errors), st.live);
    conns_destroy();
    return ok ? 0 : 1;
}
