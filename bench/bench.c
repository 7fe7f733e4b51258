/* bench.c - the workloads of the rpool benchmark suite, written once over
 * bench_sys.h and built once per system and object size (see bench.mk).
 *
 *   bench_SYS_SIZE w1 REPS N     hot pair: get, touch, put, N times
 *   bench_SYS_SIZE w1k REPS N    the same with one other object kept live
 *   bench_SYS_SIZE w1x2 REPS N   the same N pairs, two in flight at a time
 *   bench_SYS_SIZE w2 REPS N     batch: get N and keep them, put them all;
 *                                five rounds in each of REPS fresh child
 *                                processes (round 1 cold), get and put apart
 *   bench_SYS_SIZE w3 REPS N     two threads, each doing w1
 *   bench_SYS_SIZE w4 REPS N     producer gets, touches and passes N objects
 *                                through a ring to a consumer that puts them
 *   bench_SYS_SIZE w5 REPS OPS   random churn over 100k live objects
 *   bench_SYS_SIZE w6 REPS OPS   random deref of 1M live objects, and the
 *                                same reads through a plain pointer array
 *   bench_SYS_SIZE w7 THREADS    short-lived threads each keeping one object
 *   bench_SYS_SIZE w8own REPS N THREADS
 *                                own pairs: THREADS threads together get and
 *                                put N objects in rounds of 64 per thread
 *   bench_SYS_SIZE w8pc REPS N PAIRS
 *                                PAIRS producer/consumer pairs (W4 each)
 *                                moving N objects in all
 *   bench_SYS_SIZE w9 REPS N     N live objects, then N / 2: one update of
 *                                every live one through NAME_for_each, a
 *                                lookup of each handle, and a plain array
 *   bench_SYS_SIZE w10 REPS N    rpool only: pin, read a word, unpin one
 *                                object, N times, against the same read
 *                                under a pthread mutex and rwlock; on one
 *                                thread, then on two at once on that object
 *   bench_SYS_SIZE w1p REPS N    rpool only: w1 on a pool with .pins
 *   bench_SYS_SIZE mem N         peak RSS growth per live object at N live
 *   bench_SYS_SIZE w11 N         trim: N objects got and kept, all put back
 *                                by the same thread, then sys_trim (rpool:
 *                                NAME_thread_flush, NAME_trim); RSS before,
 *                                at N live, after the puts, after the trim
 *   bench_SYS_SIZE w12 CYCLES N  sawtooth: N live, then a random 1 % of
 *                                them (fixed seed, a new draw each time)
 *                                and sys_trim, then N again, CYCLES times;
 *                                RSS at each peak and after each drop
 *                                (rpool-auto: no call, its policy trims)
 *
 * Every timed figure is printed as one line
 *
 *   R <workload> <metric> <system> <size> <median> <min> <max> <unit>
 *
 * over the repetitions; a count or a size (W7, W11, W12, mem) as
 *
 *   M <workload> <metric> <system> <size> <value>
 *
 * run.sh turns those lines into RESULTS.md. The loops
 * call bench_escape(p) after touching an object so that the compiler can
 * neither drop a malloc/free pair nor keep the object in a register; it
 * costs no instruction and is in every system's loop alike.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_sys.h"

#define W2_ROUNDS 5
#define W5_LIVE 100000u
#define W6_LIVE 1000000u
#define WARM_PAIRS 100000u
#define RING_SLOTS 1024u
#define PC_MAX_PAIRS 4u
#define W8_SET 64u
#define W8_WARM_ROUNDS 16u
#define W8_MAX_THREADS 64u
#define W12_SEED 0x5eed0f12u
#define W12_MAX_CYCLES 64u

#if defined(__clang__)
#define BENCH_COMPILER "clang"
#else
#define BENCH_COMPILER "gcc"
#endif

static const char *sys_name;

static void bench_fail(const char *what)
{
    fprintf(stderr, "bench %s: %s failed (%s)\n", sys_name, what, strerror(errno));
    exit(1);
}

static inline void bench_escape(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

static double clock_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t rng_below(uint32_t m)
{
    uint64_t x = rng_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return (uint32_t)(((x * 0x2545f4914f6cdd1dull) >> 32) * (uint64_t)m >> 32);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Sorts v in place. */
static void report(const char *workload, const char *metric, double *v, size_t n,
                   const char *unit)
{
    double med;

    qsort(v, n, sizeof *v, cmp_double);
    med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("R %s %s %s %d %.3f %.3f %.3f %s\n", workload, metric, sys_name, OBJ_SIZE, med, v[0],
           v[n - 1], unit);
    fflush(stdout);
}

/* A field of /proc/self/status, in KiB. */
static long status_kib(const char *field)
{
    char line[256];
    size_t len = strlen(field);
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        bench_fail("fopen /proc/self/status");
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            kib = strtol(line + len + 1, 0, 10);
    fclose(f);
    return kib;
}

/* Zeroed memory whose pages are already faulted in, so that neither a timed
   loop nor an RSS figure pays for the caller's own arrays. (A memset would
   not do: the compiler drops a memset to zero right after calloc.) */
static void *xcalloc(size_t n, size_t size)
{
    volatile char *p = (volatile char *)calloc(n, size);
    size_t i;

    if (!p)
        bench_fail("calloc");
    for (i = 0; i < n * size; i += 4096)
        p[i] = 0;
    return (void *)p;
}

/* ---- W1 hot pair ------------------------------------------------------ */

__attribute__((noinline)) static void w1_loop(uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++) {
        ref r;
        bench_obj *p = sys_get(&r);
        if (!p)
            bench_fail("get");
        p->w[0] = i;
        bench_escape(p);
        if (sys_put(r) != 0)
            bench_fail("put");
    }
}

/* The same n pairs, two at a time: get a, get b, touch both, put a, put b.
   Not a workload of the issue but a diagnosis: when a pair's steps form one
   chain of dependent loads and stores, a second independent chain runs in
   the gaps and the time per pair drops; when a pair is bound by the work
   itself, it does not. */
__attribute__((noinline)) static void w1x2_loop(uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i += 2) {
        ref a, b;
        bench_obj *p = sys_get(&a);
        bench_obj *q = sys_get(&b);
        if (!p || !q)
            bench_fail("get");
        p->w[0] = i;
        q->w[0] = i + 1;
        bench_escape(p);
        bench_escape(q);
        if (sys_put(a) != 0 || sys_put(b) != 0)
            bench_fail("put");
    }
}

enum w1_variant { W1_PLAIN, W1_KEEP1, W1_X2 };

/* W1_KEEP1: hold one other object live throughout, as almost any real
   program does; some allocators (mimalloc) take a slower path when a pair
   empties their page, which that object prevents. */
static void w1(int reps, uint64_t n, enum w1_variant variant)
{
    static const char *const metric[] = { "pair", "pair-keep1", "pair-x2" };
    void (*loop)(uint64_t) = variant == W1_X2 ? w1x2_loop : w1_loop;
    double *v = (double *)xcalloc((size_t)reps, sizeof *v);
    ref kept;
    int k;

    memset(&kept, 0, sizeof kept);
    if (variant == W1_KEEP1 && !sys_get(&kept))
        bench_fail("get");
    loop(WARM_PAIRS);
    for (k = 0; k < reps; k++) {
        double t0 = now_ns();
        loop(n);
        v[k] = (now_ns() - t0) / (double)n;
    }
    report("W1", metric[variant], v, (size_t)reps, "ns/pair");
    if (variant == W1_KEEP1 && sys_put(kept) != 0)
        bench_fail("put");
    free(v);
}

/* ---- W2 batch ------------------------------------------------------- */

/* Runs in a fresh child process, so round 1 meets an allocator that has
   never handed out an object. Writes 2 * W2_ROUNDS ns/op figures to fd. */
static void w2_child(uint64_t n, int fd)
{
    ref *refs = (ref *)xcalloc(n, sizeof *refs);
    double t[2 * W2_ROUNDS];
    uint64_t i;
    int round;

    for (round = 0; round < W2_ROUNDS; round++) {
        double t0 = now_ns(), t1;
        for (i = 0; i < n; i++) {
            bench_obj *p = sys_get(&refs[i]);
            if (!p)
                bench_fail("get");
            p->w[0] = i;
            bench_escape(p);
        }
        t1 = now_ns();
        for (i = 0; i < n; i++)
            if (sys_put(refs[i]) != 0)
                bench_fail("put");
        t[2 * round] = (t1 - t0) / (double)n;
        t[2 * round + 1] = (now_ns() - t1) / (double)n;
    }
    if (write(fd, t, sizeof t) != (ssize_t)sizeof t)
        bench_fail("write");
}

static void w2(int reps, uint64_t n)
{
    size_t nwarm = (size_t)reps * (W2_ROUNDS - 1);
    double *acq_cold = (double *)xcalloc((size_t)reps, sizeof(double));
    double *rel_cold = (double *)xcalloc((size_t)reps, sizeof(double));
    double *acq_warm = (double *)xcalloc(nwarm, sizeof(double));
    double *rel_warm = (double *)xcalloc(nwarm, sizeof(double));
    int k, round;

    for (k = 0; k < reps; k++) {
        double t[2 * W2_ROUNDS];
        int fds[2], status;
        pid_t pid;

        if (pipe(fds) != 0)
            bench_fail("pipe");
        fflush(stdout);
        pid = fork();
        if (pid < 0)
            bench_fail("fork");
        if (pid == 0) {
            close(fds[0]);
            w2_child(n, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        if (read(fds[0], t, sizeof t) != (ssize_t)sizeof t)
            bench_fail("read from the W2 child");
        close(fds[0]);
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
            bench_fail("W2 child");
        acq_cold[k] = t[0];
        rel_cold[k] = t[1];
        for (round = 1; round < W2_ROUNDS; round++) {
            acq_warm[(size_t)k * (W2_ROUNDS - 1) + (size_t)round - 1] = t[2 * round];
            rel_warm[(size_t)k * (W2_ROUNDS - 1) + (size_t)round - 1] = t[2 * round + 1];
        }
    }
    report("W2", "acquire-cold", acq_cold, (size_t)reps, "ns/op");
    report("W2", "acquire-warm", acq_warm, nwarm, "ns/op");
    report("W2", "release-cold", rel_cold, (size_t)reps, "ns/op");
    report("W2", "release-warm", rel_warm, nwarm, "ns/op");
    free(acq_cold);
    free(rel_cold);
    free(acq_warm);
    free(rel_warm);
}

/* ---- threads: waiting, CPU time, the start line ---------------------- */

#if SYS_THREADS >= 1

static inline void bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause");
#endif
}

/* Spinning threads share two cores with each other and with the system,
   so a waiter yields after a short spin instead of burning its slice. */
static void bench_wait_step(unsigned *spins)
{
    if (++*spins < 64) {
        bench_pause();
    } else {
        *spins = 0;
        sched_yield();
    }
}

/* CPU time of every thread of the process, the exited ones included. */
static double cpu_ns(void)
{
    return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static unsigned ready; /* threads at the start line */
static unsigned go;    /* set once all are there */

static void start_line_wait(void)
{
    unsigned spins = 0;

    __atomic_add_fetch(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        bench_wait_step(&spins);
}

/* Waits for `threads` threads to reach the start line, then lets them go.
   Returns the start time. */
static double start_line_open(unsigned threads)
{
    unsigned spins = 0;
    double t0;

    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < threads)
        bench_wait_step(&spins);
    t0 = now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    return t0;
}

static void start_line_reset(void)
{
    __atomic_store_n(&ready, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&go, 0, __ATOMIC_RELAXED);
}

static void spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    int r = pthread_create(t, 0, fn, arg);

    if (r) {
        errno = r;
        bench_fail("pthread_create");
    }
}

/* ---- W3 two threads of W1 ------------------------------------------- */

static void *w3_thread(void *arg)
{
    uint64_t n = *(const uint64_t *)arg;

    w1_loop(WARM_PAIRS);
    start_line_wait();
    w1_loop(n);
    return 0;
}

static void w3(int reps, uint64_t n)
{
    double *v = (double *)xcalloc((size_t)reps, sizeof *v);
    int k;

    for (k = 0; k < reps; k++) {
        pthread_t t[2];
        double t0;

        start_line_reset();
        spawn(&t[0], w3_thread, &n);
        spawn(&t[1], w3_thread, &n);
        t0 = start_line_open(2);
        pthread_join(t[0], 0);
        pthread_join(t[1], 0);
        v[k] = (now_ns() - t0) / (double)n;
    }
    report("W3", "pair-per-thread", v, (size_t)reps, "ns/pair");
    free(v);
}

/* ---- W8 own pairs: threads that each get and put their own ------------ */

/* Rounds of: get W8_SET objects, touching each, then put them all back. */
__attribute__((noinline)) static void own_rounds(ref *set, uint64_t rounds)
{
    uint64_t r;
    unsigned k;

    for (r = 0; r < rounds; r++) {
        for (k = 0; k < W8_SET; k++) {
            bench_obj *p = sys_get(&set[k]);
            if (!p)
                bench_fail("get");
            p->w[0] = r;
            bench_escape(p);
        }
        for (k = 0; k < W8_SET; k++)
            if (sys_put(set[k]) != 0)
                bench_fail("put");
    }
}

static void *own_thread(void *arg)
{
    uint64_t rounds = *(const uint64_t *)arg;
    ref set[W8_SET];

    own_rounds(set, W8_WARM_ROUNDS);
    start_line_wait();
    own_rounds(set, rounds);
    return 0;
}

/* n pairs in all, split evenly over the threads; each rep starts new
   threads. Millions of pairs per wall-second and per CPU-second. */
static void w8own(int reps, uint64_t n, unsigned threads)
{
    double *wall = (double *)xcalloc((size_t)reps, sizeof *wall);
    double *cpu = (double *)xcalloc((size_t)reps, sizeof *cpu);
    uint64_t rounds = n / W8_SET / threads;
    double pairs = (double)(rounds * W8_SET * threads);
    char metric[32];
    int k;

    for (k = 0; k < reps; k++) {
        pthread_t t[W8_MAX_THREADS];
        double t0, c0;
        unsigned i;

        start_line_reset();
        for (i = 0; i < threads; i++)
            spawn(&t[i], own_thread, &rounds);
        t0 = start_line_open(threads);
        c0 = cpu_ns();
        for (i = 0; i < threads; i++)
            pthread_join(t[i], 0);
        cpu[k] = pairs / (cpu_ns() - c0) * 1e3;
        wall[k] = pairs / (now_ns() - t0) * 1e3;
    }
    snprintf(metric, sizeof metric, "own-%u-wall", threads);
    report("W8", metric, wall, (size_t)reps, "Mpairs/s");
    snprintf(metric, sizeof metric, "own-%u-cpu", threads);
    report("W8", metric, cpu, (size_t)reps, "Mpairs/cpu-s");
    free(wall);
    free(cpu);
}

#endif

/* ---- W4 and W8: producers -> rings -> consumers ---------------------- */

#if SYS_THREADS == 2

/* Single producer, single consumer. Each side caches the other's index and
   reads it again only when the ring looks full (or empty). */
typedef struct pc_ring {
    _Alignas(64) uint64_t head; /* next slot the consumer reads */
    _Alignas(64) uint64_t tail; /* next slot the producer writes */
    _Alignas(64) ref slot[RING_SLOTS];
    uint64_t n; /* objects to move, set before the threads start */
} pc_ring;

static pc_ring rings[PC_MAX_PAIRS];

static void *pc_producer(void *arg)
{
    pc_ring *ring = (pc_ring *)arg;
    uint64_t n = ring->n, i, tail = 0, head = 0;

    start_line_wait();
    for (i = 0; i < n; i++) {
        unsigned spins = 0;
        ref r;
        bench_obj *p = sys_get(&r);
        if (!p)
            bench_fail("get");
        p->w[0] = i;
        bench_escape(p);
        while (tail - head == RING_SLOTS) {
            head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
            if (tail - head == RING_SLOTS)
                bench_wait_step(&spins);
        }
        ring->slot[tail % RING_SLOTS] = r;
        __atomic_store_n(&ring->tail, ++tail, __ATOMIC_RELEASE);
    }
    return 0;
}

static void *pc_consumer(void *arg)
{
    pc_ring *ring = (pc_ring *)arg;
    uint64_t n = ring->n, i, head = 0, tail = 0;

    start_line_wait();
    for (i = 0; i < n; i++) {
        unsigned spins = 0;
        while (head == tail) {
            tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
            if (head == tail)
                bench_wait_step(&spins);
        }
        if (sys_put(ring->slot[head % RING_SLOTS]) != 0)
            bench_fail("put");
        __atomic_store_n(&ring->head, ++head, __ATOMIC_RELEASE);
    }
    return 0;
}

/* `pairs` producer/consumer pairs at once, each moving n objects through
   its own ring. Returns the wall time in ns; *cpu: the process's CPU time
   over the same span, waiting included. */
static double pc_once(unsigned pairs, uint64_t n, double *cpu)
{
    pthread_t t[2 * PC_MAX_PAIRS];
    double t0, c0;
    unsigned i;

    start_line_reset();
    for (i = 0; i < pairs; i++) {
        __atomic_store_n(&rings[i].head, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&rings[i].tail, 0, __ATOMIC_RELAXED);
        rings[i].n = n;
        spawn(&t[2 * i], pc_producer, &rings[i]);
        spawn(&t[2 * i + 1], pc_consumer, &rings[i]);
    }
    t0 = start_line_open(2 * pairs);
    c0 = cpu_ns();
    for (i = 0; i < 2 * pairs; i++)
        pthread_join(t[i], 0);
    *cpu = cpu_ns() - c0;
    return now_ns() - t0;
}

/* W4: one pair, ns per object. */
static void w4(int reps, uint64_t n)
{
    double *v = (double *)xcalloc((size_t)reps, sizeof *v);
    double cpu;
    int k;

    pc_once(1, n / 10 + 1, &cpu);
    for (k = 0; k < reps; k++)
        v[k] = pc_once(1, n, &cpu) / (double)n;
    report("W4", "object", v, (size_t)reps, "ns/object");
    free(v);
}

/* W8: n objects in all, split evenly over the pairs; millions of objects
   per wall-second and per CPU-second. */
static void w8pc(int reps, uint64_t n, unsigned pairs)
{
    double *wall = (double *)xcalloc((size_t)reps, sizeof *wall);
    double *cpu = (double *)xcalloc((size_t)reps, sizeof *cpu);
    uint64_t each = n / pairs;
    double objects = (double)(each * pairs);
    char metric[32];
    int k;

    pc_once(pairs, each / 10 + 1, &cpu[0]);
    for (k = 0; k < reps; k++) {
        double c, w = pc_once(pairs, each, &c);
        wall[k] = objects / w * 1e3;
        cpu[k] = objects / c * 1e3;
    }
    snprintf(metric, sizeof metric, "pc-%u-wall", pairs);
    report("W8", metric, wall, (size_t)reps, "Mobjects/s");
    snprintf(metric, sizeof metric, "pc-%u-cpu", pairs);
    report("W8", metric, cpu, (size_t)reps, "Mobjects/cpu-s");
    free(wall);
    free(cpu);
}

#endif

/* ---- W5 random churn ------------------------------------------------- */

/* 2 * W5_LIVE slots, half of them live: each op picks a slot at random and
   puts its object if it is live, else gets one into it, so gets and puts
   come in random order and the live count hovers around W5_LIVE. */
__attribute__((noinline)) static void w5_loop(ref *refs, unsigned char *live, uint64_t ops)
{
    uint64_t k;

    for (k = 0; k < ops; k++) {
        uint32_t i = rng_below(2 * W5_LIVE);
        if (live[i]) {
            if (sys_put(refs[i]) != 0)
                bench_fail("put");
            live[i] = 0;
        } else {
            bench_obj *p = sys_get(&refs[i]);
            if (!p)
                bench_fail("get");
            p->w[0] = k;
            bench_escape(p);
            live[i] = 1;
        }
    }
}

static void w5(int reps, uint64_t ops)
{
    double *v = (double *)xcalloc((size_t)reps, sizeof *v);
    ref *refs = (ref *)xcalloc(2 * W5_LIVE, sizeof *refs);
    unsigned char *live = (unsigned char *)xcalloc(2 * W5_LIVE, 1);
    uint32_t i;
    int k;

    for (i = 0; i < W5_LIVE; i++) {
        bench_obj *p = sys_get(&refs[i]);
        if (!p)
            bench_fail("get");
        p->w[0] = i;
        live[i] = 1;
    }
    w5_loop(refs, live, ops / 10 + 1);
    for (k = 0; k < reps; k++) {
        double t0 = now_ns();
        w5_loop(refs, live, ops);
        v[k] = (now_ns() - t0) / (double)ops;
    }
    report("W5", "op", v, (size_t)reps, "ns/op");
    free(v);
}

/* ---- W6 random lookup ------------------------------------------------ */

#if SYS_CHECKED
/* What a user holding handles writes: look the handle up, check it
   (rpool: NAME_lookup; vcheck: its own). */
__attribute__((noinline)) static uint64_t w6_lookup(const ref *refs, uint64_t ops)
{
    uint64_t k, sum = 0;

    for (k = 0; k < ops; k++) {
        bench_obj *p = sys_deref(refs[rng_below(W6_LIVE)]);
        if (!p)
            bench_fail("lookup");
        sum += p->w[0];
    }
    return sum;
}
#endif

/* The floor: an unchecked read through an array of pointers. */
__attribute__((noinline)) static uint64_t w6_pointer(bench_obj *const *ptrs, uint64_t ops)
{
    uint64_t k, sum = 0;

    for (k = 0; k < ops; k++)
        sum += ptrs[rng_below(W6_LIVE)]->w[0];
    return sum;
}

static void w6(int reps, uint64_t ops)
{
    double *vl = (double *)xcalloc((size_t)reps, sizeof *vl);
    double *vp = (double *)xcalloc((size_t)reps, sizeof *vp);
    ref *refs = (ref *)xcalloc(W6_LIVE, sizeof *refs);
    bench_obj **ptrs = (bench_obj **)xcalloc(W6_LIVE, sizeof *ptrs);
    uint64_t sum = 0;
    uint32_t i;
    int k;

    for (i = 0; i < W6_LIVE; i++) {
        bench_obj *p = sys_get(&refs[i]);
        if (!p)
            bench_fail("get");
        p->w[0] = i;
        ptrs[i] = p;
    }
    for (k = 0; k < reps; k++) {
        double t0 = now_ns();
#if SYS_CHECKED
        sum += w6_lookup(refs, ops);
        vl[k] = (now_ns() - t0) / (double)ops;
        t0 = now_ns();
#endif
        sum += w6_pointer(ptrs, ops);
        vp[k] = (now_ns() - t0) / (double)ops;
    }
    bench_escape(&sum);
#if SYS_CHECKED
    report("W6", "lookup", vl, (size_t)reps, "ns/lookup");
#endif
    report("W6", "pointer", vp, (size_t)reps, "ns/lookup");
    free(vl);
    free(vp);
}

/* ---- W7 thread churn ------------------------------------------------- */

#if SYS_THREADS == 2

static void *w7_thread(void *arg)
{
    ref *r = (ref *)arg;
    bench_obj *p = sys_get(r);

    if (!p)
        bench_fail("get");
    p->w[0] = 1;
    bench_escape(p);
    return 0;
}

/* One thread at a time, each keeping its object. Timed as a whole process
   by hyperfine; prints what is held afterwards. */
static void w7(uint64_t threads)
{
    ref *refs = (ref *)xcalloc(threads, sizeof *refs);
    long rss0 = status_kib("VmRSS"), rss1;
    uint64_t t;

    for (t = 0; t < threads; t++) {
        pthread_t th;
        spawn(&th, w7_thread, &refs[t]);
        pthread_join(th, 0);
    }
    rss1 = status_kib("VmRSS");
    printf("M W7 rss-growth-kib %s %d %ld\n", sys_name, OBJ_SIZE, rss1 - rss0);
#if defined(BENCH_RPOOL)
    {
        rpool_stats st;
        objs_stats(&st);
        if (st.live != threads)
            bench_fail("W7 live count");
        printf("M W7 blocks %s %d %zu\n", sys_name, OBJ_SIZE, st.blocks);
        printf("M W7 bytes %s %d %zu\n", sys_name, OBJ_SIZE, st.bytes);
    }
#endif
}

#endif

/* ---- W9 iteration ---------------------------------------------------- */

#if SYS_CHECKED

/* The update every W9 loop makes to a live object: position += velocity.
   bench_escape after it (no instruction) keeps the compiler from
   vectorising any of the loops or merging passes: one object at a time,
   updated in memory, in every loop alike. */
static inline void w9_move(bench_obj *p)
{
    p->w[0] += p->w[1];
    bench_escape(p);
}

#if defined(BENCH_RPOOL)
static void w9_visit(bench_obj *obj, objs_handle h, void *arg)
{
    (void)h;
    (void)arg;
    w9_move(obj);
}

__attribute__((noinline)) static void w9_for_each(void)
{
    objs_for_each(w9_visit, 0);
}
#endif

__attribute__((noinline)) static void w9_lookup(const ref *live, uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++) {
        bench_obj *p = sys_deref(live[i]);
        if (!p)
            bench_fail("lookup");
        w9_move(p);
    }
}

/* The floor: the same update over a plain array of objects, at the same
   indices as the live objects of the pool. */
__attribute__((noinline)) static void w9_array(bench_obj *array, uint64_t n, uint64_t step)
{
    uint64_t i;

    for (i = 0; i < n; i += step)
        w9_move(&array[i]);
}

static bench_obj *w9_object(ref r)
{
    bench_obj *p = sys_deref(r);

    if (!p)
        bench_fail("lookup");
    return p;
}

static double w9_time(double t0, uint64_t nlive)
{
    return (now_ns() - t0) / (double)nlive;
}

/* Reports a W9 figure: METRIC-PERCENT-COMPILER, in ns per live object. */
static void w9_report(const char *metric, const char *percent, double *v, int reps)
{
    char name[48];

    snprintf(name, sizeof name, "%s-%s-%s", metric, percent, BENCH_COMPILER);
    report("W9", name, v, (size_t)reps, "ns/object");
}

/* n objects got in order, every one live, then every second one put back
   (step 2). Each repetition times one pass of each loop over the live
   objects; afterwards every live object must have moved once per pass. */
static void w9(int reps, uint64_t n)
{
    ref *refs = (ref *)xcalloc(n, sizeof *refs);
    ref *live = (ref *)xcalloc(n, sizeof *live);
    bench_obj *array = (bench_obj *)xcalloc(n, sizeof *array);
    double *vf = (double *)xcalloc((size_t)reps, sizeof *vf);
    double *vl = (double *)xcalloc((size_t)reps, sizeof *vl);
    double *va = (double *)xcalloc((size_t)reps, sizeof *va);
    uint64_t i, step, nlive = 0;

    for (i = 0; i < n; i++) {
        bench_obj *p = sys_get(&refs[i]);
        if (!p)
            bench_fail("get");
        p->w[1] = 1;
        array[i].w[1] = 1;
    }
    for (step = 1; step <= 2; step++) {
        const char *percent = step == 1 ? "100" : "50";
        uint64_t passes = 1;
        int k;

        nlive = 0;
        for (i = 0; i < n; i++) {
            if (i % step == 0)
                live[nlive++] = refs[i];
            else if (sys_put(refs[i]) != 0)
                bench_fail("put");
        }
        for (i = 0; i < nlive; i++)
            w9_object(live[i])->w[0] = 0;
#if defined(BENCH_RPOOL)
        w9_for_each();
        passes++;
#endif
        w9_lookup(live, nlive);
        w9_array(array, n, step);
        for (k = 0; k < reps; k++) {
            double t0 = now_ns();
#if defined(BENCH_RPOOL)
            w9_for_each();
            vf[k] = w9_time(t0, nlive);
            passes++;
            t0 = now_ns();
#endif
            w9_lookup(live, nlive);
            vl[k] = w9_time(t0, nlive);
            passes++;
            t0 = now_ns();
            w9_array(array, n, step);
            va[k] = w9_time(t0, nlive);
        }
        for (i = 0; i < nlive; i++)
            if (w9_object(live[i])->w[0] != passes)
                bench_fail("W9: a live object not moved once per pass");
#if defined(BENCH_RPOOL)
        w9_report("for_each", percent, vf, reps);
#endif
        w9_report("lookup", percent, vl, reps);
        w9_report("array", percent, va, reps);
    }
    free(refs);
    free(live);
    free(array);
    free(vf);
    free(vl);
    free(va);
}

#endif

/* ---- W10 pinned reads, and W1 on a pins pool -------------------------- */

#if defined(BENCH_RPOOL)

RPOOL_DEFINE_STATIC_EX(pobjs, bench_obj, .pins = 1);

enum w10_guard { W10_PIN, W10_MUTEX, W10_RWLOCK, W10_GUARDS };

static pthread_mutex_t w10_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t w10_rwlock = PTHREAD_RWLOCK_INITIALIZER;

/* n reads of a word of one object, each under its own guard: a pin of the
   object's handle, the mutex, or the rwlock's read side. */
__attribute__((noinline)) static uint64_t w10_pin_loop(pobjs_handle h, uint64_t n)
{
    uint64_t i, sum = 0;

    for (i = 0; i < n; i++) {
        bench_obj *p = pobjs_pin(h);
        if (!p)
            bench_fail("pin");
        sum += p->w[0];
        bench_escape(p);
        if (pobjs_unpin(h) != 0)
            bench_fail("unpin");
    }
    return sum;
}

__attribute__((noinline)) static uint64_t w10_mutex_loop(const bench_obj *p, uint64_t n)
{
    uint64_t i, sum = 0;

    for (i = 0; i < n; i++) {
        pthread_mutex_lock(&w10_mutex);
        sum += p->w[0];
        bench_escape((void *)p);
        pthread_mutex_unlock(&w10_mutex);
    }
    return sum;
}

__attribute__((noinline)) static uint64_t w10_rwlock_loop(const bench_obj *p, uint64_t n)
{
    uint64_t i, sum = 0;

    for (i = 0; i < n; i++) {
        pthread_rwlock_rdlock(&w10_rwlock);
        sum += p->w[0];
        bench_escape((void *)p);
        pthread_rwlock_unlock(&w10_rwlock);
    }
    return sum;
}

typedef struct w10_job {
    enum w10_guard guard;
    pobjs_handle h;
    const bench_obj *p;
    uint64_t n;
} w10_job;

static uint64_t w10_run(const w10_job *j, uint64_t n)
{
    switch (j->guard) {
    case W10_PIN:
        return w10_pin_loop(j->h, n);
    case W10_MUTEX:
        return w10_mutex_loop(j->p, n);
    default:
        return w10_rwlock_loop(j->p, n);
    }
}

static void *w10_thread(void *arg)
{
    const w10_job *j = (const w10_job *)arg;
    uint64_t sum = w10_run(j, WARM_PAIRS);

    start_line_wait();
    sum += w10_run(j, j->n);
    bench_escape(&sum);
    return 0;
}

/* Metrics GUARD-1 (one thread: ns per read) and GUARD-2 (two threads
   reading the same object at once: wall time / reads per thread, as W3). */
static void w10(int reps, uint64_t n)
{
    static const char *const name[W10_GUARDS] = { "pin", "mutex", "rwlock" };
    double *v1 = (double *)xcalloc((size_t)reps, sizeof *v1);
    double *v2 = (double *)xcalloc((size_t)reps, sizeof *v2);
    w10_job job;
    int g, k;

    memset(&job, 0, sizeof job);
    job.p = pobjs_acquire(&job.h);
    if (!job.p)
        bench_fail("get");
    job.n = n;
    for (g = 0; g < W10_GUARDS; g++) {
        char metric[32];
        uint64_t sum;

        job.guard = (enum w10_guard)g;
        sum = w10_run(&job, WARM_PAIRS);
        for (k = 0; k < reps; k++) {
            double t0 = now_ns();
            sum += w10_run(&job, n);
            v1[k] = (now_ns() - t0) / (double)n;
        }
        bench_escape(&sum);
        for (k = 0; k < reps; k++) {
            pthread_t t[2];
            double t0;

            start_line_reset();
            spawn(&t[0], w10_thread, &job);
            spawn(&t[1], w10_thread, &job);
            t0 = start_line_open(2);
            pthread_join(t[0], 0);
            pthread_join(t[1], 0);
            v2[k] = (now_ns() - t0) / (double)n;
        }
        snprintf(metric, sizeof metric, "%s-1", name[g]);
        report("W10", metric, v1, (size_t)reps, "ns/read");
        snprintf(metric, sizeof metric, "%s-2", name[g]);
        report("W10", metric, v2, (size_t)reps, "ns/read");
    }
    if (pobjs_release(job.h) != 0)
        bench_fail("put");
    free(v1);
    free(v2);
}

/* W1's loop on the pins pool: what .pins costs acquire and release. */
__attribute__((noinline)) static void w1p_loop(uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++) {
        pobjs_handle h;
        bench_obj *p = pobjs_acquire(&h);
        if (!p)
            bench_fail("get");
        p->w[0] = i;
        bench_escape(p);
        if (pobjs_release(h) != 0)
            bench_fail("put");
    }
}

static void w1p(int reps, uint64_t n)
{
    double *v = (double *)xcalloc((size_t)reps, sizeof *v);
    int k;

    w1p_loop(WARM_PAIRS);
    for (k = 0; k < reps; k++) {
        double t0 = now_ns();
        w1p_loop(n);
        v[k] = (now_ns() - t0) / (double)n;
    }
    report("W1", "pair-pins", v, (size_t)reps, "ns/pair");
    free(v);
}

#endif

/* ---- memory per live object ------------------------------------------ */

static void mem(uint64_t n)
{
    ref *refs = (ref *)xcalloc(n, sizeof *refs);
    long rss0 = status_kib("VmRSS"), hwm;
    uint64_t i;

    for (i = 0; i < n; i++) {
        bench_obj *p = sys_get(&refs[i]);
        if (!p)
            bench_fail("get");
        p->w[0] = i;
        bench_escape(p);
    }
    hwm = status_kib("VmHWM");
    printf("M MEM rss-bytes-per-object %s %d %.2f\n", sys_name, OBJ_SIZE,
           (double)(hwm - rss0) * 1024.0 / (double)n);
#if defined(BENCH_RPOOL)
    {
        rpool_stats st;
        objs_stats(&st);
        printf("M MEM pool-bytes-per-object %s %d %.2f\n", sys_name, OBJ_SIZE,
               (double)st.bytes / (double)n);
    }
#endif
}

/* ---- W11 trim after a burst, W12 sawtooth ---------------------------- */

#if SYS_TRIMS

/* Pages of the caller's own, mapped and faulted in apart from the system
   under test: W11 and W12 measure what a trim gives back, and an array
   from the allocator would share its heap and its release call. */
static void *xmap(size_t bytes)
{
    volatile char *p = (volatile char *)mmap(0, bytes, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t i;

    if ((void *)p == MAP_FAILED)
        bench_fail("mmap");
    for (i = 0; i < bytes; i += 4096)
        p[i] = 0;
    return (void *)p;
}

/* The process's resident set in KiB: Rss of /proc/self/smaps_rollup, which
   walks the page tables (statm's counters may lag by a few pages per
   thread). Read without stdio, so that sampling allocates nothing. */
static long rss_kib(void)
{
    char buf[4096];
    const char *line;
    ssize_t len = 0, r;
    int fd = open("/proc/self/smaps_rollup", O_RDONLY);

    if (fd < 0)
        bench_fail("open /proc/self/smaps_rollup");
    while (len < (ssize_t)sizeof buf - 1 &&
           (r = read(fd, buf + len, sizeof buf - 1 - (size_t)len)) > 0)
        len += r;
    close(fd);
    buf[len] = 0;
    line = strstr(buf, "\nRss:");
    if (!line)
        bench_fail("Rss in /proc/self/smaps_rollup");
    return strtol(line + 5, 0, 10);
}

static void put_all(ref *refs, uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++)
        if (sys_put(refs[i]) != 0)
            bench_fail("put");
}

static void get_one(ref *r, uint64_t i)
{
    bench_obj *p = sys_get(r);

    if (!p)
        bench_fail("get");
    p->w[0] = i;
    bench_escape(p);
}

static void get_all(ref *refs, uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++)
        get_one(&refs[i], i);
}

static size_t trim(void)
{
    size_t given = sys_trim();

    if (given == SIZE_MAX)
        bench_fail("the release call");
    return given;
}

static void print_bytes_per(const char *workload, const char *metric, long kib, uint64_t n)
{
    printf("M %s %s %s %d %.2f\n", workload, metric, sys_name, OBJ_SIZE,
           (double)kib * 1024.0 / (double)n);
}

/* RSS growth over the sample taken before the burst (the handle array
   already faulted in), in bytes per object of the burst: at n live, after
   every put, after the release call. */
static void w11(uint64_t n)
{
    ref *refs = (ref *)xmap(n * sizeof *refs);
    long before, live, released, trimmed;
    size_t given;

    before = rss_kib();
    get_all(refs, n);
    live = rss_kib();
    put_all(refs, n);
    released = rss_kib();
    given = trim();
    trimmed = rss_kib();
    print_bytes_per("W11", "live-bytes-per-object", live - before, n);
    print_bytes_per("W11", "released-bytes-per-slot", released - before, n);
    print_bytes_per("W11", "trimmed-bytes-per-slot", trimmed - before, n);
#if defined(BENCH_RPOOL)
    {
        rpool_stats st;
        objs_stats(&st);
        if (st.live != 0)
            bench_fail("W11 live count");
        printf("M W11 trim-returned-bytes %s %d %zu\n", sys_name, OBJ_SIZE, given);
        printf("M W11 pool-bytes-per-slot %s %d %.2f\n", sys_name, OBJ_SIZE,
               (double)st.bytes / (double)n);
    }
#else
    (void)given;
#endif
    munmap(refs, n * sizeof *refs);
}

/* Live count 0 -> n -> n / 100 -> n ... The survivors of each drop are a
   new random draw over all n (a partial shuffle of perm, fixed seed), so
   they are spread over the whole heap and no trim can give back whole
   ranges; each refill gets objects into the references put back. RSS
   growth over the sample before the first get, in KiB: at each peak
   (peak-C), after the puts of each drop (held-C), after the release call
   (drop-C); printed at the end, so that stdout's buffer is not counted. */
static void w12(unsigned cycles, uint64_t n)
{
    ref *refs = (ref *)xmap(n * sizeof *refs);
    uint32_t *perm = (uint32_t *)xmap(n * sizeof *perm);
    unsigned char *kept = (unsigned char *)xmap(n);
    long before, rss[W12_MAX_CYCLES][3];
    static const char *const what[3] = { "peak", "held", "drop" };
    uint64_t i, nkeep = n / 100;
    unsigned c, k;

    for (i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    rng_state = W12_SEED;
    before = rss_kib();
    for (c = 0; c < cycles; c++) {
        for (i = 0; i < n; i++)
            if (!kept[i])
                get_one(&refs[i], i);
        for (i = 0; i < nkeep; i++)
            kept[perm[i]] = 0;
        rss[c][0] = rss_kib() - before;
        for (i = 0; i < nkeep; i++) {
            uint64_t j = i + rng_below((uint32_t)(n - i));
            uint32_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
            kept[perm[i]] = 1;
        }
        for (i = 0; i < n; i++)
            if (!kept[i] && sys_put(refs[i]) != 0)
                bench_fail("put");
        rss[c][1] = rss_kib() - before;
        trim();
        rss[c][2] = rss_kib() - before;
    }
    for (i = 0; i < n; i++)
        if (kept[i] && sys_put(refs[i]) != 0)
            bench_fail("put");
    for (c = 0; c < cycles; c++)
        for (k = 0; k < 3; k++)
            printf("M W12 %s-%u-kib %s %d %ld\n", what[k], c + 1, sys_name, OBJ_SIZE, rss[c][k]);
    munmap(refs, n * sizeof *refs);
    munmap(perm, n * sizeof *perm);
    munmap(kept, n);
}

#endif

/* ---- main -------------------------------------------------------------- */

/* For the malloc builds: which library the process's malloc comes from,
   so that a link that did not take effect cannot pass for an allocator. */
static const char *name_of_malloc(void)
{
    void *(*fn)(size_t) = malloc;
    void *addr;
    Dl_info info;

    memcpy(&addr, &fn, sizeof addr);
    if (!dladdr(addr, &info) || !info.dli_fname)
        return "unknown";
    if (strstr(info.dli_fname, "jemalloc"))
        return "jemalloc";
    if (strstr(info.dli_fname, "mimalloc"))
        return "mimalloc";
    if (strstr(info.dli_fname, "tcmalloc"))
        return "tcmalloc";
    if (strstr(info.dli_fname, "libc.so"))
        return "glibc";
    return "unknown";
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s w1|w1k|w1x2|w2|w3|w4|w5|w6|w9|w10|w1p REPS N  |  w8own REPS N THREADS  |\n"
            "       w8pc REPS N PAIRS  |  w7 THREADS  |  mem N  |  w11 N  |  w12 CYCLES N\n"
            "(w3, w4, w7, w8own, w8pc, w9, w10, w1p, w11, w12: only where the system takes part)\n",
            prog);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *mode;
    int reps = 1;
    uint64_t n = 0;
    unsigned long threads = 1;

    sys_name = SYS_NAME ? SYS_NAME : name_of_malloc();
    if (argc == 4 || argc == 5) {
        reps = atoi(argv[2]);
        n = strtoull(argv[3], 0, 10);
        if (argc == 5)
            threads = strtoul(argv[4], 0, 10);
    } else if (argc == 3) {
        n = strtoull(argv[2], 0, 10);
    } else {
        usage(argv[0]);
    }
    mode = argv[1];
    if (reps < 1 || n < 1 || threads < 1)
        usage(argv[0]);
    if (argc == 4 && strcmp(mode, "w1") == 0)
        w1(reps, n, W1_PLAIN);
    else if (argc == 4 && strcmp(mode, "w1k") == 0)
        w1(reps, n, W1_KEEP1);
    else if (argc == 4 && strcmp(mode, "w1x2") == 0)
        w1(reps, n, W1_X2);
    else if (argc == 4 && strcmp(mode, "w2") == 0)
        w2(reps, n);
#if SYS_THREADS >= 1
    else if (argc == 4 && strcmp(mode, "w3") == 0)
        w3(reps, n);
    else if (argc == 5 && strcmp(mode, "w8own") == 0 && threads <= W8_MAX_THREADS &&
             n >= threads * W8_SET)
        w8own(reps, n, (unsigned)threads);
#endif
#if SYS_THREADS == 2
    else if (argc == 4 && strcmp(mode, "w4") == 0)
        w4(reps, n);
    else if (argc == 5 && strcmp(mode, "w8pc") == 0 && threads <= PC_MAX_PAIRS && n >= threads)
        w8pc(reps, n, (unsigned)threads);
    else if (argc == 3 && strcmp(mode, "w7") == 0)
        w7(n);
#endif
    else if (argc == 4 && strcmp(mode, "w5") == 0)
        w5(reps, n);
    else if (argc == 4 && strcmp(mode, "w6") == 0)
        w6(reps, n);
#if SYS_CHECKED
    else if (argc == 4 && strcmp(mode, "w9") == 0)
        w9(reps, n);
#endif
#if defined(BENCH_RPOOL)
    else if (argc == 4 && strcmp(mode, "w10") == 0)
        w10(reps, n);
    else if (argc == 4 && strcmp(mode, "w1p") == 0)
        w1p(reps, n);
#endif
    else if (argc == 3 && strcmp(mode, "mem") == 0)
        mem(n);
#if SYS_TRIMS
    else if (argc == 3 && strcmp(mode, "w11") == 0)
        w11(n);
    else if (argc == 4 && strcmp(mode, "w12") == 0 && reps <= (int)W12_MAX_CYCLES &&
             n >= 100 && n <= UINT32_MAX)
        w12((unsigned)reps, n);
#endif
    else
        usage(argv[0]);
    return 0;
}
