/* echo_client.c - drives examples/echo_server.c for the test suite.
 *
 *   echo_client PORT echo CONNS ABRUPT ROUNDS FRESH
 *       Opens CONNS connections at once; each sends ROUNDS messages of
 *       varying size and checks every echoed byte. Halfway through, ABRUPT
 *       of them send a large message and vanish without reading the echo:
 *       half reset the connection (SO_LINGER 0), half close with the echo
 *       unread. The rest must finish every round; then FRESH new clients
 *       must be served too.
 *
 *   echo_client PORT idle CONNS IDLE_MS
 *       Opens CONNS connections, gets one echo on each, then goes quiet.
 *       Odd ones hang up themselves at about IDLE_MS, racing the server's
 *       reaper; even ones must be closed by the server, not before
 *       IDLE_MS/2. One more connection keeps talking throughout and must
 *       not be closed; then a new client must be served.
 *
 *   echo_client PORT churn CONNS IDLE_MS
 *       Opens CONNS short connections in waves of 64; each says hello and
 *       hangs up at a random moment between IDLE_MS/2 and 3*IDLE_MS/2, so
 *       that many hang-ups meet the server's reaper closing the same
 *       connection. Each waits for the echo or the server's EOF first, so
 *       the server has accepted every one; the server's own exit status
 *       says whether every socket was closed exactly once.
 *
 * Exit 0 and one summary line on success; a reason on stderr and exit 1
 * otherwise. Every wait is bounded by a deadline.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_MSG = 6000, ABRUPT_BYTES = 256 * 1024, DEADLINE_MS = 20000 };

typedef struct client {
    int fd;
    int index;
    int round;
    int abrupt;     /* vanishes halfway */
    size_t len, sent, got;
    int done;
} client;

static int port;
static long long t_start;
static long long bytes_echoed;

static long long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void fail(const char *what, int index)
{
    fprintf(stderr, "echo_client: %s (connection %d, %s)\n", what, index,
            errno ? strerror(errno) : "no errno");
    exit(1);
}

static void past_deadline(const char *phase)
{
    if (now_ms() - t_start > DEADLINE_MS) {
        fprintf(stderr, "echo_client: deadline passed during %s\n", phase);
        exit(1);
    }
}

/* Byte k of message `round` on connection `index`: differs between
   connections and rounds, so a reply routed to the wrong client shows. */
static unsigned char byte_at(int index, int round, size_t k)
{
    uint32_t x = (uint32_t)index * 2654435761u ^ (uint32_t)round * 40503u ^ (uint32_t)k;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    return (unsigned char)(x >> 24);
}

static size_t msg_len(int index, int round)
{
    return 1 + ((size_t)index * 7919u + (size_t)round * 104729u) % MAX_MSG;
}

static int connect_one(int index)
{
    struct sockaddr_in addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        fail("socket", index);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        fail("connect", index);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
        fail("fcntl", index);
    return fd;
}

static void start_round(client *c)
{
    c->len = msg_len(c->index, c->round);
    c->sent = c->got = 0;
}

/* Sends a large message and disappears without reading its echo. */
static void vanish(client *c)
{
    static unsigned char junk[ABRUPT_BYTES];
    ssize_t n = send(c->fd, junk, sizeof junk, MSG_NOSIGNAL);

    if (n <= 0 && errno != EAGAIN)
        fail("send before vanishing", c->index);
    if (c->index % 2) {
        struct linger lg = { 1, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    c->fd = -1;
    c->done = 1;
}

static void on_writable(client *c)
{
    unsigned char out[MAX_MSG];
    size_t k;
    ssize_t n;

    for (k = c->sent; k < c->len; k++)
        out[k - c->sent] = byte_at(c->index, c->round, k);
    n = send(c->fd, out, c->len - c->sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN)
        fail("send", c->index);
    if (n > 0)
        c->sent += (size_t)n;
}

/* Reads and checks what came back; 1 once the whole message has. */
static int on_readable(client *c)
{
    unsigned char in[MAX_MSG];
    ssize_t n = recv(c->fd, in, sizeof in, 0);
    size_t k;

    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n == 0)
        errno = 0;
    if (n <= 0)
        fail("server closed a connection that was still echoing", c->index);
    if (c->got + (size_t)n > c->sent)
        fail("more bytes came back than were sent", c->index);
    for (k = 0; k < (size_t)n; k++)
        if (in[k] != byte_at(c->index, c->round, c->got + k))
            fail("echo differs from what was sent", c->index);
    c->got += (size_t)n;
    bytes_echoed += n;
    return c->got == c->len;
}

static void next_round(client *c, int rounds)
{
    if (++c->round < rounds) {
        start_round(c);
        return;
    }
    close(c->fd);
    c->fd = -1;
    c->done = 1;
}

/* Runs every client in cs until each has finished its rounds or vanished. */
static void run_clients(client *cs, int n, int rounds, const char *phase)
{
    struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
    int i, left = n;

    if (!pfd)
        fail("out of memory", -1);
    while (left > 0) {
        past_deadline(phase);
        for (i = 0; i < n; i++) {
            client *c = &cs[i];
            if (!c->done && c->abrupt && c->round == rounds / 2)
                vanish(c);
            pfd[i].fd = c->done ? -1 : c->fd;
            pfd[i].events = (short)(POLLIN | (c->sent < c->len ? POLLOUT : 0));
            pfd[i].revents = 0;
        }
        if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
            fail("poll", -1);
        for (i = 0, left = 0; i < n; i++) {
            client *c = &cs[i];
            if (!c->done && (pfd[i].revents & POLLOUT))
                on_writable(c);
            if (!c->done && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && on_readable(c))
                next_round(c, rounds);
            left += !c->done;
        }
    }
    free(pfd);
}

static client *open_clients(int n, int first_index, int abrupt)
{
    client *cs = calloc((size_t)n, sizeof *cs);
    int i, step = abrupt ? n / abrupt : 0;

    if (!cs)
        fail("out of memory", -1);
    for (i = 0; i < n; i++) {
        cs[i].index = first_index + i;
        cs[i].fd = connect_one(cs[i].index);
        cs[i].abrupt = step && i % step == 0 && i / step < abrupt;
        start_round(&cs[i]);
    }
    return cs;
}

static int echo_mode(int conns, int abrupt, int rounds, int fresh)
{
    client *cs, *later;

    if (abrupt > conns || rounds < 2) {
        fprintf(stderr, "echo_client: want ABRUPT <= CONNS and ROUNDS >= 2\n");
        return 2;
    }
    cs = open_clients(conns, 0, abrupt);
    run_clients(cs, conns, rounds, "the concurrent phase");
    later = open_clients(fresh, conns, 0);
    run_clients(later, fresh, rounds, "the phase after the disconnects");
    printf("echo_client: %d concurrent connections, %d vanished mid-stream, %d echoed %d "
           "rounds; then %d new clients served; %lld bytes echoed and checked\n",
           conns, abrupt, conns - abrupt, rounds, fresh, bytes_echoed);
    free(cs);
    free(later);
    return 0;
}

/* One message and its echo. */
static void round_trip(client *c)
{
    c->round++;
    start_round(c);
    while (c->got < c->len) {
        struct pollfd p = { c->fd, (short)(POLLIN | (c->sent < c->len ? POLLOUT : 0)), 0 };
        past_deadline("a round trip");
        if (poll(&p, 1, 200) < 0 && errno != EINTR)
            fail("poll", c->index);
        if (p.revents & POLLOUT)
            on_writable(c);
        if (p.revents & (POLLIN | POLLHUP | POLLERR))
            on_readable(c);
    }
}

static int idle_mode(int conns, int idle)
{
    client *cs = calloc((size_t)conns, sizeof *cs), chatty, fresh;
    long long *quiet_since = calloc((size_t)conns, sizeof *quiet_since);
    long long next_chat, limit;
    int i, left, closed_by_server = 0, hung_up = 0, chats = 0;

    if (!cs || !quiet_since)
        fail("out of memory", -1);
    memset(&chatty, 0, sizeof chatty);
    chatty.index = conns;
    chatty.fd = connect_one(chatty.index);
    round_trip(&chatty);
    for (i = 0; i < conns; i++) {
        cs[i].index = i;
        cs[i].fd = connect_one(i);
        round_trip(&cs[i]);
        quiet_since[i] = now_ms();
    }

    /* The server closes the even ones after `idle` ms; the odd ones hang
       up themselves, spread around that moment to race the reaper. */
    next_chat = now_ms() + idle / 4;
    limit = now_ms() + 4LL * idle + 3000;
    for (left = conns; left > 0;) {
        long long now = now_ms();
        if (now > limit) {
            fprintf(stderr, "echo_client: %d idle connections still open after %d ms\n", left,
                    4 * idle + 3000);
            return 1;
        }
        past_deadline("the idle phase");
        if (now >= next_chat) {
            round_trip(&chatty);
            chats++;
            next_chat = now_ms() + idle / 4;
        }
        for (i = 0, left = 0; i < conns; i++) {
            client *c = &cs[i];
            char b;
            ssize_t n;
            if (c->done)
                continue;
            if (i % 2 && now - quiet_since[i] >= idle - idle / 10 + (i / 2) % (idle / 5 + 1)) {
                close(c->fd);
                c->done = 1;
                hung_up++;
                continue;
            }
            n = recv(c->fd, &b, 1, 0);
            if (n > 0)
                fail("an idle connection received data", i);
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                if (now_ms() - quiet_since[i] < idle / 2)
                    fail("the server closed a connection long before its idle time", i);
                close(c->fd);
                c->done = 1;
                closed_by_server++;
                continue;
            }
            left++;
        }
        if (left > 0) {
            struct timespec nap = { 0, 2000000 };
            nanosleep(&nap, NULL);
        }
    }
    if (closed_by_server < conns / 2) {
        fprintf(stderr, "echo_client: only %d of %d quiet connections were closed by the "
                "server\n", closed_by_server, conns / 2);
        return 1;
    }
    round_trip(&chatty); /* still open: it never went quiet */
    memset(&fresh, 0, sizeof fresh);
    fresh.index = conns + 1;
    fresh.fd = connect_one(fresh.index);
    round_trip(&fresh);
    close(fresh.fd);
    close(chatty.fd);
    printf("echo_client: %d quiet connections: %d closed by the server, %d hung up "
           "themselves; a talking one survived %d exchanges; a new client was served\n",
           conns, closed_by_server, hung_up, chats + 1);
    free(cs);
    free(quiet_since);
    return 0;
}

static int churn_mode(int conns, int idle)
{
    enum { WAVE = 64 };
    int fds[WAVE];
    long long close_at[WAVE];
    uint32_t rng = 2463534242u;
    int opened = 0, i, open_now;

    while (opened < conns) {
        int wave = conns - opened < WAVE ? conns - opened : WAVE;
        long long t0 = now_ms();
        for (i = 0; i < wave; i++) {
            fds[i] = connect_one(opened + i);
            if (send(fds[i], "hello", 5, MSG_NOSIGNAL) < 0 && errno != EAGAIN &&
                errno != ECONNRESET && errno != EPIPE)
                fail("send", opened + i);
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            close_at[i] = t0 + idle / 2 + (long long)(rng % (uint32_t)(idle + 1));
        }
        for (open_now = wave; open_now > 0;) {
            struct timespec nap = { 0, 500000 };
            past_deadline("the churn phase");
            nanosleep(&nap, NULL);
            for (i = 0, open_now = 0; i < wave; i++) {
                if (fds[i] >= 0 && now_ms() >= close_at[i]) {
                    /* The echo (or the reaper's EOF) proves the server
                       accepted it, so the server's count must include it. */
                    struct pollfd p = { fds[i], POLLIN, 0 };
                    if (poll(&p, 1, 5000) != 1)
                        fail("the server never answered", opened + i);
                    if (i % 2) {
                        struct linger lg = { 1, 0 };
                        setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                    }
                    close(fds[i]);
                    fds[i] = -1;
                }
                open_now += fds[i] >= 0;
            }
        }
        opened += wave;
    }
    printf("echo_client: %d connections opened and dropped around the idle time\n", conns);
    return 0;
}

int main(int argc, char **argv)
{
    t_start = now_ms();
    if (argc == 7 && strcmp(argv[2], "echo") == 0) {
        port = atoi(argv[1]);
        return echo_mode(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
    }
    if (argc == 5 && strcmp(argv[2], "idle") == 0 && atoi(argv[4]) >= 10) {
        port = atoi(argv[1]);
        return idle_mode(atoi(argv[3]), atoi(argv[4]));
    }
    if (argc == 5 && strcmp(argv[2], "churn") == 0 && atoi(argv[4]) >= 2) {
        port = atoi(argv[1]);
        return churn_mode(atoi(argv[3]), atoi(argv[4]));
    }
    fprintf(stderr, "usage: %s PORT echo CONNS ABRUPT ROUNDS FRESH\n"
                    "       %s PORT idle CONNS IDLE_MS (IDLE_MS >= 10)\n"
                    "       %s PORT churn CONNS IDLE_MS (IDLE_MS >= 2)\n",
            argv[0], argv[0], argv[0]);
    return 2;
}
