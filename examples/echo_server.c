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
 *     a pointer. An event for a connection that was ended meanwhile, maybe
 *     with its slot already serving a new client, fails conns_pin() and is
 *     dropped: a pointer would have sent it to the wrong client.
 *   - Both threads work on a connection only while they hold a pin on it
 *     (the pool has .pins = 1): the event loop for one event, the idle
 *     reaper for one look at it. While pinned, its slot cannot be handed
 *     to a new client, even if the other thread ends the connection, so
 *     every field read under the pin is this connection's, before and
 *     after its release. lookup() would give no such promise: the reaper
 *     could read another client's state in a slot reused under it.
 *   - Two threads may end the same connection at the same moment: the
 *     event loop (the peer hung up) and the idle reaper. Both call
 *     conns_release() on the handle; exactly one gets 0 and disposes of the
 *     socket, the other gets -ESTALE and backs off. No lock is needed for
 *     that decision. The slot is recycled when the last pin is gone.
 *   - Only the event loop calls close(). The reaper shuts down a socket it
 *     wins and hands it to the loop, which closes it between two batches
 *     of events, so a descriptor number is never freed while the loop may
 *     still be using it. Pins keep slots from being reused, not descriptor
 *     numbers: those belong to the kernel.
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
RPOOL_DEFINE_STATIC_EX(conns, conn, .max_items = MAX_CONNS, .pins = 1);

/* epoll_data for the listening socket: 0 is never a connection's handle. */
#define LISTENER 0

static struct {
    /* the event loop's */
    long accepted, refused, closed_by_loop, loop_lost, stale_events, closed_at_exit;
    long fds_closed, close_errors;
    /* the reaper's, read once it has been joined */
    long reaped, reaper_lost;
} counters;

/* Sockets the reaper has won, shut down and left for the loop to close. */
static struct {
    pthread_mutex_t lock;
    size_t n;
    int fds[MAX_CONNS];
} doomed = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 } };

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

static void close_fd(int fd)
{
    if (close(fd) == 0)
        counters.fds_closed++;
    else
        counters.close_errors++;
}

/* The event loop's own end of a connection: the peer hung up, or the
   socket failed. Of the loop and the reaper, the one whose release returns
   0 ends the connection. The caller holds a pin, so c is still this
   connection after the release, and its fd is still this connection's
   socket: only the winner closes it, and the winner is us. */
static void hang_up(conns_handle h, conn *c)
{
    if (conns_release(h) == 0) {
        close_fd(atomic_load_explicit(&c->fd, memory_order_relaxed));
        counters.closed_by_loop++;
    } else {
        counters.loop_lost++; /* the reaper was first: the socket is its */
    }
}

/* The loop closes what the reaper won, between two batches of events, when
   it is certainly not inside a call on any of those sockets. */
static void close_doomed(void)
{
    size_t i;

    pthread_mutex_lock(&doomed.lock);
    for (i = 0; i < doomed.n; i++)
        close_fd(doomed.fds[i]);
    doomed.n = 0;
    pthread_mutex_unlock(&doomed.lock);
}

static void watch(int ep, int fd, conns_handle h, conn *c, int want_out)
{
    struct epoll_event ev;

    if (c->want_out == want_out)
        return;
    c->want_out = want_out;
    ev.events = want_out ? EPOLLOUT : EPOLLIN;
    ev.data.u64 = h.value;
    /* Cannot fail: only this thread closes sockets, so fd is still open and
       registered, even if the reaper has just shut it down. */
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

/* One event of the connection c, pinned by the caller. */
static void serve(int ep, conns_handle h, conn *c, uint32_t events)
{
    int fd = atomic_load_explicit(&c->fd, memory_order_relaxed);
    ssize_t n;

    /* The reaper may end the connection from here on; it then shuts the
       socket down but leaves it open, so the calls below fail or see EOF,
       and hang_up() learns it lost. */
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

static void on_event(int ep, conns_handle h, uint32_t events)
{
    conn *c = conns_pin(h);

    if (!c) {
        /* The reaper ended this connection: after epoll_wait filled the
           batch, or before, and its shut-down socket is readable until we
           close it after this batch. The slot may already serve a new
           client, whose events carry its own handle. */
        counters.stale_events++;
        return;
    }
    serve(ep, h, c, events);
    conns_unpin(h);
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
        ev.events = EPOLLIN;
        ev.data.u64 = h.value;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            /* Not set up (self is not h): the reaper leaves it alone, so
               the socket is ours to close. */
            perror("echo_server: epoll_ctl");
            close_fd(fd);
            counters.closed_by_loop++;
            conns_release(h);
            continue;
        }
        /* The reaper finds connections by scanning the pool, so it can meet
           this slot as soon as acquire returns, before fd is set. It acts
           only once it reads self == its handle; this release store makes
           everything above visible to it by then. */
        atomic_store_explicit(&c->self, h.value, memory_order_release);
    }
}

/* The reaper's end of a connection, which the caller has pinned. If it
 * wins the release, it shuts the socket down and lists it for the loop to
 * close. The pin keeps c this connection's after the release, so the fd
 * read then is still its socket, and no other thread disposes of it.
 *
 * Why not close() here: the loop may be inside recv() on this socket,
 * having pinned the handle just before our release. Closing would free
 * the number for the next accept() while that call may still use it.
 * shutdown() ends the conversation instead (the client sees EOF, the
 * loop's calls fail or see EOF) and keeps the number taken until the
 * loop closes it, between two batches of events.
 *
 * Why under the lock: the loop takes it before closing listed sockets, so
 * it never finds a connection ended (its events stale) without its socket
 * listed. Otherwise, with this thread descheduled between the release and
 * the listing, the loop would spin on a readable socket it cannot close.
 * There is room for every connection the pool can hold and the loop
 * empties the list after every batch, so waiting for room is rare. */
static int reap(conns_handle h, conn *c)
{
    struct timespec nap = { 0, 1000000 };
    int won;

    pthread_mutex_lock(&doomed.lock);
    while (doomed.n == MAX_CONNS) {
        pthread_mutex_unlock(&doomed.lock);
        nanosleep(&nap, NULL);
        pthread_mutex_lock(&doomed.lock);
    }
    won = conns_release(h) == 0;
    if (won) {
        int fd = atomic_load_explicit(&c->fd, memory_order_relaxed);
        shutdown(fd, SHUT_RDWR);
        doomed.fds[doomed.n++] = fd;
    }
    pthread_mutex_unlock(&doomed.lock);
    return won;
}

/* for_each's pointer is a snapshot, like lookup's: the loop may end this
   connection and give its slot to a new client while we look. So the
   reaper pins the handle first, and reads only under the pin. */
static void reap_if_idle(conn *snapshot, conns_handle h, void *arg)
{
    int64_t now = *(const int64_t *)arg;
    conn *c = conns_pin(h);

    (void)snapshot;
    if (!c)
        return; /* ended since for_each saw it */
    /* The loop sets a new connection up after acquiring it, and stores
       self last: until then the fields may still be the last client's. */
    if (atomic_load_explicit(&c->self, memory_order_acquire) == h.value &&
        now - atomic_load_explicit(&c->last_active, memory_order_relaxed) >= idle_ms) {
        if (reap(h, c))
            counters.reaped++;
        else
            counters.reaper_lost++; /* the loop was first: the client hung up meanwhile */
    }
    conns_unpin(h);
}

/* The second thread: every so often, end the connections that have been
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

/* Runs once the reaper has stopped: nothing else touches the pool, so the
   fd is read before the release, with no pin. */
static void close_at_exit(conn *c, conns_handle h, void *arg)
{
    int fd = atomic_load_explicit(&c->fd, memory_order_relaxed);

    (void)arg;
    if (conns_release(h) == 0) {
        close_fd(fd);
        counters.closed_at_exit++;
    }
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
        close_doomed();
    }

    atomic_store(&reaper_stop, 1);
    pthread_join(reaper_thread, NULL);
    close_doomed();
    conns_for_each(close_at_exit, NULL);
    close(lfd);
    close(ep);
    conns_stats(&st);

    printf("echo_server: %s, shutting down\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    printf("connections: %ld accepted, %ld turned away (pool full); closed: %ld by the event "
           "loop, %ld by the idle reaper, %ld at exit\n",
           counters.accepted, counters.refused, counters.closed_by_loop, counters.reaped,
           counters.closed_at_exit);
    printf("release races lost: %ld by the event loop, %ld by the reaper; "
           "stale events ignored: %ld\n",
           counters.loop_lost, counters.reaper_lost, counters.stale_events);
    printf("pool: live %zu, cached %zu, global_free %zu, carved %zu, retired %zu, pending %zu, "
           "blocks %zu, bytes %zu, threads %zu\n",
           st.live, st.cached, st.global_free, st.carved, st.retired, st.pending, st.blocks,
           st.bytes, st.threads);

    /* Every accepted socket was ended once, by one of three paths, and
       closed once: a second close() of a number would fail or show here.
       Every pin was undone: nothing is pending. */
    ok = st.live == 0 && st.pending == 0 && counters.close_errors == 0 &&
         counters.fds_closed == counters.accepted &&
         counters.closed_by_loop + counters.reaped + counters.closed_at_exit == counters.accepted;
    if (ok)
        printf("ok: %ld sockets, each closed exactly once\n", counters.accepted);
    else
        printf("FAILED: %ld sockets closed for %ld accepted, %ld close errors, %zu still live, "
               "%zu pending\n",
               counters.fds_closed, counters.accepted, counters.close_errors, st.live,
               st.pending);
    conns_destroy();
    return ok ? 0 : 1;
}
