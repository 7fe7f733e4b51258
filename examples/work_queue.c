/* work_queue.c - jobs made on some threads and finished on others.
 *
 * Producer threads acquire job objects from a pool, fill them in, and push
 * their handles (8 bytes each) through a bounded queue. Consumer threads pop
 * a handle, look the job up, process it and release it. A job is therefore
 * acquired on one thread and released on another: the slot goes into the
 * consumer's cache, travels back to the pool in a chunk of a few hundred,
 * and is handed to a producer again. Memory stays bounded by what is in
 * flight, however many jobs go through.
 *
 *   usage: work_queue [--producers P] [--consumers C] [--jobs N] [--queue Q]
 *          (N jobs per producer)
 *
 * It checks that every job was processed exactly once, that a handle in the
 * queue is always live, that a second release is refused, and that the pool
 * is empty with nothing stranded once every thread has exited; exit 1 if not.
 */
#define _POSIX_C_SOURCE 199309L

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpool.h"

enum { PAYLOAD_WORDS = 16 };

typedef struct job {
    uint64_t seq; /* producer * jobs_per_producer + i: the exactly-once ledger index */
    uint32_t payload[PAYLOAD_WORDS];
    uint32_t checksum; /* the producer's, recomputed by the consumer */
} job;
RPOOL_DEFINE_STATIC(jobs, job);

/* A bounded FIFO of handles. Its mutex also hands the job's contents from
   producer to consumer: the pool synchronises its own bookkeeping, not the
   objects, so whoever passes a handle to another thread must publish what
   it wrote, and a lock does that. */
typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    jobs_handle *ring;
    size_t cap, head, len;
    int producers_left; /* consumers stop when it is 0 and the ring is empty */
} queue;

typedef struct shared {
    queue q;
    long jobs_per_producer, total;
    atomic_uchar *processed; /* one counter per job: must end at exactly 1 */
    atomic_long violations;
} shared;

typedef struct worker {
    shared *s;
    int index;
    pthread_t thread;
} worker;

static void violation(shared *s, const char *what, uint64_t seq)
{
    /* Report the first few only: one broken invariant tends to repeat. */
    if (atomic_fetch_add(&s->violations, 1) < 5)
        fprintf(stderr, "work_queue: %s (job %llu)\n", what, (unsigned long long)seq);
}

static uint32_t checksum(const job *j)
{
    uint32_t h = 2166136261u; /* FNV-1a over the words */
    int i;

    for (i = 0; i < PAYLOAD_WORDS; i++)
        h = (h ^ j->payload[i]) * 16777619u;
    return h;
}

static void push(queue *q, jobs_handle h)
{
    pthread_mutex_lock(&q->lock);
    while (q->len == q->cap)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->ring[(q->head + q->len++) % q->cap] = h;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* The next handle, or one with value 0 once the producers are done and the
   queue is drained: 0 is never a valid handle, so it makes a fine sentinel. */
static jobs_handle pop(queue *q)
{
    jobs_handle h = { 0 };

    pthread_mutex_lock(&q->lock);
    while (q->len == 0 && q->producers_left > 0)
        pthread_cond_wait(&q->not_empty, &q->lock);
    if (q->len > 0) {
        h = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return h;
}

static void *producer(void *arg)
{
    worker *w = arg;
    shared *s = w->s;
    long i;
    int k;

    for (i = 0; i < s->jobs_per_producer; i++) {
        jobs_handle h;
        job *j = jobs_acquire(&h);
        if (!j) {
            /* Unbounded pool: only ENOMEM. Nothing sensible to do but stop. */
            violation(s, strerror(errno), 0);
            break;
        }
        j->seq = (uint64_t)w->index * (uint64_t)s->jobs_per_producer + (uint64_t)i;
        for (k = 0; k < PAYLOAD_WORDS; k++)
            j->payload[k] = (uint32_t)(j->seq * 2654435761u) ^ (uint32_t)k;
        j->checksum = checksum(j);
        push(&s->q, h);
    }
    pthread_mutex_lock(&s->q.lock);
    if (--s->q.producers_left == 0)
        pthread_cond_broadcast(&s->q.not_empty);
    pthread_mutex_unlock(&s->q.lock);
    return NULL;
}

static void *consumer(void *arg)
{
    worker *w = arg;
    shared *s = w->s;
    jobs_handle h;

    while ((h = pop(&s->q)).value != 0) {
        job *j = jobs_lookup(h);
        if (!j) { /* nobody releases a queued job: this would be a pool bug */
            violation(s, "a queued handle was not live", 0);
            continue;
        }
        if (checksum(j) != j->checksum)
            violation(s, "job contents did not arrive intact", j->seq);
        if (j->seq >= (uint64_t)s->total)
            violation(s, "job number out of range", j->seq);
        else if (atomic_fetch_add(&s->processed[j->seq], 1) != 0)
            violation(s, "job processed twice", j->seq);
        if (jobs_release(h) != 0)
            violation(s, "release of a live job failed", 0);
        /* From here the slot may already carry a producer's next job: the
           old handle must be refused, never release that job by mistake. */
        if (jobs_release(h) != -ESTALE)
            violation(s, "second release of a job was not refused", 0);
    }
    return NULL;
}

static long arg_long(const char *flag, const char *value)
{
    char *end;
    long v = strtol(value, &end, 10);

    if (*end != '\0' || v < 1) {
        fprintf(stderr, "%s: want a positive number, got '%s'\n", flag, value);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long producers = 4, consumers = 4, per = 250000, qcap = 1024, total, i, missing = 0;
    worker *ws;
    shared s;
    struct timespec t0, t1;
    rpool_stats st;
    double secs;
    int a, ok;

    for (a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--producers") == 0)
            producers = arg_long(argv[a], argv[a + 1]);
        else if (strcmp(argv[a], "--consumers") == 0)
            consumers = arg_long(argv[a], argv[a + 1]);
        else if (strcmp(argv[a], "--jobs") == 0)
            per = arg_long(argv[a], argv[a + 1]);
        else if (strcmp(argv[a], "--queue") == 0)
            qcap = arg_long(argv[a], argv[a + 1]);
        else
            break;
    }
    if (a != argc) {
        fprintf(stderr, "usage: %s [--producers P] [--consumers C] [--jobs N] [--queue Q]\n",
                argv[0]);
        return 2;
    }
    total = producers * per;

    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.q.lock, NULL);
    pthread_cond_init(&s.q.not_empty, NULL);
    pthread_cond_init(&s.q.not_full, NULL);
    s.q.cap = (size_t)qcap;
    s.q.producers_left = (int)producers;
    s.q.ring = calloc((size_t)qcap, sizeof *s.q.ring);
    s.jobs_per_producer = per;
    s.total = total;
    s.processed = calloc((size_t)total, sizeof *s.processed);
    ws = calloc((size_t)(producers + consumers), sizeof *ws);
    if (!s.q.ring || !s.processed || !ws) {
        fprintf(stderr, "work_queue: out of memory\n");
        return 1;
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < producers + consumers; i++) {
        ws[i].s = &s;
        ws[i].index = (int)(i < producers ? i : i - producers);
        if (pthread_create(&ws[i].thread, NULL, i < producers ? producer : consumer, &ws[i])) {
            fprintf(stderr, "work_queue: cannot start thread %ld\n", i);
            return 1;
        }
    }
    for (i = 0; i < producers + consumers; i++)
        pthread_join(ws[i].thread, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    for (i = 0; i < total; i++)
        missing += atomic_load(&s.processed[i]) == 0;
    jobs_stats(&st);

    printf("%ld producers, %ld consumers, queue of %ld: %ld jobs in %.3f s, %.2f M jobs/s\n",
           producers, consumers, qcap, total, secs, (double)total / secs / 1e6);
    printf("pool: %zu slots carved for %ld jobs (%.0f uses each), %zu blocks, %zu bytes; "
           "live %zu, cached %zu, global_free %zu, threads %zu\n",
           st.carved, total, st.carved ? (double)total / (double)st.carved : 0.0, st.blocks,
           st.bytes, st.live, st.cached, st.global_free, st.threads);

    /* Every worker has exited, so their caches must all be back in the pool. */
    ok = missing == 0 && atomic_load(&s.violations) == 0 && st.live == 0 && st.cached == 0 &&
         st.threads == 0 && st.global_free + st.retired == st.carved;
    if (missing)
        fprintf(stderr, "work_queue: %ld jobs were never processed\n", missing);
    if (ok)
        printf("ok: every job processed exactly once, every slot back in the pool\n");
    else
        printf("FAILED: %ld violations, %ld jobs missing, pool live %zu cached %zu threads %zu\n",
               atomic_load(&s.violations), missing, st.live, st.cached, st.threads);

    jobs_destroy();
    free(ws);
    free(s.processed);
    free(s.q.ring);
    pthread_cond_destroy(&s.q.not_full);
    pthread_cond_destroy(&s.q.not_empty);
    pthread_mutex_destroy(&s.q.lock);
    return ok ? 0 : 1;
}
