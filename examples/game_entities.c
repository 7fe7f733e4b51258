/* game_entities.c - a battle between two armies whose units and missiles
 * live in rpool pools. The first program to run: `make run`.
 *
 * Both sides keep spawning units at their edge of a 70 x 60 arena (about
 * 20 a second each, up to a cap), in squads of up to 5: the first unit of
 * a squad leads it, the next ones follow in its lane. Units walk toward
 * the enemy edge; a unit with an enemy in range stops and fires homing
 * missiles at it. Missiles are acquired and released every frame once the
 * armies meet.
 *
 * Entities refer to each other by handle, never by pointer:
 *
 *   unit.target     the enemy unit it shoots at       (same pool as unit)
 *   unit.owner      its squad leader, 0 for a leader  (same pool as unit)
 *   missile.target  the unit it homes in on
 *   missile.owner   the unit that fired it, credited with the kill
 *
 * A unit holding handles of its own pool needs the handle type before the
 * struct: RPOOL_HANDLE(units) declares units_handle alone, and
 * RPOOL_DEFINE_STATIC_POOL(units, unit) makes the pool without declaring
 * it again.
 *
 * Any unit can die while others still hold its handle, and its slot may
 * hold a new unit, of either army, by the time they look. That is the case
 * rpool's versioned handles exist for: units_lookup() refuses a handle
 * whose unit was released, even when the slot was reused, so the holder
 * drops the handle instead of shooting at, or following, whoever lives
 * there now. The program checks it: every target a lookup returns is an
 * enemy, every leader a comrade.
 *
 *   usage: game_entities [--frames N] [--seed S]
 *
 * The simulation runs as fast as it can at a fixed step of 1/60 s and
 * prints one line per simulated second, then a summary. It checks, every
 * frame, that the pools agree with its own counts, and exits 1 if not.
 */
#define _POSIX_C_SOURCE 199309L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpool.h"

enum {
    FPS = 60,
    TEAMS = 2,
    MAX_PER_TEAM = 120, /* population cap: a spawn is skipped above it */
    SQUAD = 5,          /* units per squad, its leader included */
    UNIT_HP = 100,
    MISSILE_DAMAGE = 50,
    MISSILE_FUEL = 45,  /* frames of flight before it burns out */
    RELOAD = 30,        /* frames between shots, plus up to RELOAD/2 of jitter */
};

static const float ARENA_W = 70.0f, ARENA_H = 60.0f;
static const float UNIT_SPEED = 10.0f / FPS, MISSILE_SPEED = 45.0f / FPS;
static const float RANGE = 25.0f, HIT_RADIUS = 1.0f;
static const float FORMATION = 3.0f; /* a follower spawns this close to its leader's lane */

RPOOL_HANDLE(units);
typedef struct unit {
    float x, y, vx, vy;
    int hp;
    int team;
    int reload;          /* frames until it may fire */
    int kills;
    units_handle target; /* an enemy; 0 while it has none */
    units_handle owner;  /* its squad leader; 0 for a leader and once the leader died */
} unit;
RPOOL_DEFINE_STATIC_POOL(units, unit);

typedef struct missile {
    float x, y, vx, vy;
    int fuel;
    int team;            /* its shooter's */
    units_handle owner;  /* may die before impact: then nobody gets the kill */
    units_handle target; /* may die before impact: then 0, and it flies blind */
} missile;
RPOOL_DEFINE_STATIC(missiles, missile);

/* What the simulation believes, checked against the pools' own stats. */
typedef struct counts {
    long units_alive, units_spawned, units_killed, units_through, squads;
    long missiles_alive, missiles_fired, missiles_hit, missiles_burnt;
    long stale_targets;     /* target handles refused by lookup, and dropped */
    long stale_by_missiles; /* ...of which a missile held (the rest, a unit) */
    long reused_slots;      /* ...of which the slot already held a new unit */
    long orphans;           /* followers whose leader handle went stale */
    long stale_owners;      /* kills whose shooter had died meanwhile */
    long team_alive[TEAMS];
} counts;

/* A copy of every live unit, taken at the start of a frame, to pick targets
   from. The handle is what a unit keeps: positions go out of date, a handle
   says so itself. */
typedef struct snapshot_entry {
    units_handle h;
    float x, y;
    int team;
} snapshot_entry;

typedef struct world {
    counts n;
    unsigned long long rng;
    snapshot_entry *snap;
    size_t nsnap, capsnap;
    units_handle *in_slot;      /* the live unit's handle per unit id, 0 if free */
    size_t nslots;
    units_handle leader[TEAMS]; /* of the squad each team is filling */
    int squad_size[TEAMS];
    int failed;
} world;

/* xorshift64*: a fixed seed gives the same battle on every machine. */
static unsigned rnd(world *w, unsigned bound)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (unsigned)((w->rng * 2685821657736338717ull) >> 33) % bound;
}

static float rndf(world *w, float lo, float hi)
{
    return lo + (hi - lo) * (float)rnd(w, 1u << 20) / (float)(1u << 20);
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#define EXPECT(w, cond)                                                                \
    do {                                                                           \
        if (!(cond) && !(w)->failed) {                                             \
            fprintf(stderr, "game_entities: invariant broken at %s:%d: %s\n",      \
                    __FILE__, __LINE__, #cond);                                    \
            (w)->failed = 1;                                                       \
        }                                                                          \
    } while (0)

/* Records which handle lives in h's slot, for the statistics below: was
   a stale target's slot reused? Ids are dense and start at 0, so a side
   table indexed by id is a plain array, grown to the highest id seen. */
static int track_slot(world *w, units_handle h)
{
    uint64_t id = units_id(h);

    if (id >= w->nslots) {
        size_t n = w->nslots ? 2 * w->nslots : 256;
        units_handle *t;
        while (n <= id)
            n *= 2;
        t = realloc(w->in_slot, n * sizeof *t);
        if (!t)
            return -ENOMEM;
        memset(t + w->nslots, 0, (n - w->nslots) * sizeof *t);
        w->in_slot = t;
        w->nslots = n;
    }
    w->in_slot[id] = h;
    return 0;
}

static void spawn(world *w, int team)
{
    units_handle h;
    unit *u, *leader;

    if (w->n.team_alive[team] >= MAX_PER_TEAM)
        return;
    u = units_acquire(&h);
    if (!u) {
        /* The pool is unbounded here, so only ENOMEM can get us here: a
           game would skip the spawn, and so do we. */
        fprintf(stderr, "spawn: %s\n", strerror(errno));
        return;
    }
    if (track_slot(w, h) != 0) {
        fprintf(stderr, "spawn: %s\n", strerror(ENOMEM));
        EXPECT(w, units_release(h) == 0);
        return;
    }
    /* A reused slot keeps its last unit's fields: set every one. */
    u->team = team;
    u->x = team == 0 ? 0.0f : ARENA_W;
    u->vx = (team == 0 ? 1.0f : -1.0f) * rndf(w, 0.5f, 1.0f) * UNIT_SPEED;
    u->hp = UNIT_HP;
    u->reload = (int)rnd(w, RELOAD);
    u->kills = 0;
    u->target.value = 0;
    /* Join the squad being filled while its leader lives. u may sit in the
       dead leader's very slot: lookup still refuses the old handle, whose
       version is behind the slot's. */
    leader = units_lookup(w->leader[team]);
    if (leader && w->squad_size[team] < SQUAD) {
        u->owner = w->leader[team];
        u->y = clampf(leader->y + rndf(w, -FORMATION, FORMATION), 0.0f, ARENA_H);
        u->vy = 0.0f;
        w->squad_size[team]++;
    } else {
        u->owner.value = 0;
        u->y = rndf(w, 0.0f, ARENA_H);
        u->vy = rndf(w, -0.5f, 0.5f) * UNIT_SPEED;
        w->leader[team] = h;
        w->squad_size[team] = 1;
        w->n.squads++;
    }
    w->n.units_alive++;
    w->n.units_spawned++;
    w->n.team_alive[team]++;
}

static void remove_unit(world *w, unit *u, units_handle h)
{
    w->in_slot[units_id(h)].value = 0;
    w->n.units_alive--;
    w->n.team_alive[u->team]--;
    /* Every caller just got u from lookup or for_each: h is live. */
    EXPECT(w, units_release(h) == 0);
}

static void take_snapshot(unit *u, units_handle h, void *arg)
{
    world *w = arg;

    if (w->nsnap == w->capsnap) {
        size_t cap = w->capsnap ? 2 * w->capsnap : 256;
        snapshot_entry *s = realloc(w->snap, cap * sizeof *s);
        if (!s) {
            w->failed = 1;
            return;
        }
        w->snap = s;
        w->capsnap = cap;
    }
    EXPECT(w, w->in_slot[units_id(h)].value == h.value); /* the handle acquire gave */
    w->snap[w->nsnap].h = h;
    w->snap[w->nsnap].x = u->x;
    w->snap[w->nsnap].y = u->y;
    w->snap[w->nsnap].team = u->team;
    w->nsnap++;
}

static int in_range(const unit *u, float x, float y)
{
    float dx = x - u->x, dy = y - u->y;

    return dx * dx + dy * dy < RANGE * RANGE;
}

static const snapshot_entry *nearest_enemy(const world *w, const unit *u)
{
    const snapshot_entry *best = NULL;
    float best_d2 = RANGE * RANGE;
    size_t i;

    for (i = 0; i < w->nsnap; i++) {
        const snapshot_entry *s = &w->snap[i];
        float dx = s->x - u->x, dy = s->y - u->y, d2 = dx * dx + dy * dy;
        if (s->team != u->team && d2 < best_d2) {
            best = s;
            best_d2 = d2;
        }
    }
    return best;
}

/* units_lookup of a handle that should name an enemy of team. Were slots
   not versioned, a handle into a slot that a comrade now holds would come
   back as that comrade. */
static unit *lookup_enemy(world *w, int team, units_handle h)
{
    unit *t = units_lookup(h);

    EXPECT(w, t == NULL || t->team != team);
    return t;
}

/* A target handle that lookup refused, and its holder drops. If a new unit
   already lives in its slot, a saved pointer would have aimed at that one
   by mistake, maybe a friend. The handle never matches the new unit's: no
   handle value is issued twice. */
static void stale_target(world *w, units_handle h)
{
    units_handle now = w->in_slot[units_id(h)];

    w->n.stale_targets++;
    if (now.value != 0) {
        EXPECT(w, now.value != h.value);
        w->n.reused_slots++;
    }
}

/* u's target if it still lives and is in range; else its leader's target,
   if u can reach it (the squad focuses fire); else the nearest enemy in
   range. NULL if there is none. */
static unit *choose_target(world *w, unit *u, const unit *leader)
{
    const snapshot_entry *s;
    unit *t;

    if (u->target.value != 0) {
        t = lookup_enemy(w, u->team, u->target);
        if (t && in_range(u, t->x, t->y))
            return t;
        if (!t)
            stale_target(w, u->target);
        u->target.value = 0; /* dead, or alive but out of reach: pick again */
    }
    if (leader && leader->target.value != 0) {
        /* A stale one is the leader's to find and drop, on its own turn. */
        t = lookup_enemy(w, u->team, leader->target);
        if (t && in_range(u, t->x, t->y)) {
            u->target = leader->target;
            return t;
        }
    }
    s = nearest_enemy(w, u);
    if (!s)
        return NULL;
    /* The snapshot is from the start of the frame: check it still lives. */
    t = lookup_enemy(w, u->team, s->h);
    if (t)
        u->target = s->h;
    return t;
}

static void fire(world *w, const unit *u, units_handle self)
{
    missiles_handle mh;
    missile *m = missiles_acquire(&mh);

    if (!m)
        return; /* out of memory: hold fire this frame */
    m->x = u->x;
    m->y = u->y;
    m->vx = m->vy = 0.0f;
    m->fuel = MISSILE_FUEL;
    m->team = u->team;
    m->owner = self;
    m->target = u->target; /* a copy: the handle is a plain value */
    w->n.missiles_alive++;
    w->n.missiles_fired++;
}

static void think(unit *u, units_handle h, void *arg)
{
    world *w = arg;
    unit *leader = NULL;

    if (u->owner.value != 0) {
        leader = units_lookup(u->owner);
        if (leader) {
            /* A reused slot could hold an enemy or another follower. */
            EXPECT(w, leader->team == u->team && leader->owner.value == 0);
        } else { /* the leader died: fight on alone */
            w->n.orphans++;
            u->owner.value = 0;
        }
    }
    if (u->reload > 0)
        u->reload--;
    if (choose_target(w, u, leader)) { /* hold the line and shoot */
        if (u->reload == 0) {
            fire(w, u, h);
            u->reload = RELOAD + (int)rnd(w, RELOAD / 2);
        }
        return;
    }
    if (leader) /* keep to the leader's lane */
        u->vy = clampf(leader->y - u->y, -UNIT_SPEED / 2, UNIT_SPEED / 2);
    u->x += u->vx;
    u->y += u->vy;
    if (u->y < 0.0f || u->y > ARENA_H)
        u->vy = -u->vy;
    if (u->x < 0.0f || u->x > ARENA_W) { /* broke through the enemy line */
        w->n.units_through++;
        remove_unit(w, u, h);
    }
}

static void release_missile(world *w, missiles_handle mh)
{
    w->n.missiles_alive--;
    EXPECT(w, missiles_release(mh) == 0);
}

static void hit(world *w, missile *m, unit *t)
{
    unit *owner;

    t->hp -= MISSILE_DAMAGE;
    if (t->hp > 0)
        return;
    w->n.units_killed++;
    remove_unit(w, t, m->target);
    /* The handle we just released must now be refused, as every copy of it
       still held by units and missiles will be. */
    EXPECT(w, units_lookup(m->target) == NULL);
    owner = units_lookup(m->owner);
    if (owner) {
        EXPECT(w, owner->team == m->team);
        owner->kills++;
    } else {
        w->n.stale_owners++;
    }
}

static void fly(missile *m, missiles_handle mh, void *arg)
{
    world *w = arg;
    unit *t = lookup_enemy(w, m->team, m->target);

    if (!t && m->target.value != 0) { /* the target died since launch */
        stale_target(w, m->target);
        w->n.stale_by_missiles++;
        m->target.value = 0;
    }
    if (t) {
        float dx = t->x - m->x, dy = t->y - m->y, d = sqrtf(dx * dx + dy * dy);
        if (d < HIT_RADIUS + MISSILE_SPEED) {
            hit(w, m, t);
            w->n.missiles_hit++;
            release_missile(w, mh);
            return;
        }
        m->vx = dx / d * MISSILE_SPEED;
        m->vy = dy / d * MISSILE_SPEED;
    }
    m->x += m->vx;
    m->y += m->vy;
    if (--m->fuel == 0) {
        w->n.missiles_burnt++;
        release_missile(w, mh);
    }
}

/* The pools count for themselves; they must agree with the simulation, and
   with their own bookkeeping identity, whenever no call is in flight. */
static void check_pools(world *w)
{
    rpool_stats us, ms;

    units_stats(&us);
    missiles_stats(&ms);
    EXPECT(w, (long)us.live == w->n.units_alive);
    EXPECT(w, (long)ms.live == w->n.missiles_alive);
    EXPECT(w, us.live + us.cached + us.global_free + us.retired == us.carved);
    EXPECT(w, ms.live + ms.cached + ms.global_free + ms.retired == ms.carved);
}

static void frame(world *w)
{
    int team;

    for (team = 0; team < TEAMS; team++)
        if (rnd(w, 3) == 0)
            spawn(w, team);
    w->nsnap = 0;
    units_for_each(take_snapshot, w);
    EXPECT(w, (long)w->nsnap == w->n.units_alive); /* for_each sees the live ones only */
    units_for_each(think, w);
    missiles_for_each(fly, w);
}

/* One line per simulated second: what changed since the last line, and
   how many slots each pool has carved so far (its high-water mark). */
static void report_second(const world *w, const counts *last, long frame_no)
{
    rpool_stats us, ms;

    units_stats(&us);
    missiles_stats(&ms);
    if (frame_no == FPS)
        printf("  s  units  +new  -gone  missiles  +new  -gone  stale  reused  orphans  "
               "slots u/m\n");
    printf("%3ld  %5zu  %4ld  %5ld  %8zu  %4ld  %5ld  %5ld  %6ld  %7ld  %5zu/%zu\n",
           frame_no / FPS, us.live, w->n.units_spawned - last->units_spawned,
           (w->n.units_killed + w->n.units_through) - (last->units_killed + last->units_through),
           ms.live, w->n.missiles_fired - last->missiles_fired,
           (w->n.missiles_hit + w->n.missiles_burnt) - (last->missiles_hit + last->missiles_burnt),
           w->n.stale_targets - last->stale_targets, w->n.reused_slots - last->reused_slots,
           w->n.orphans - last->orphans, us.carved, ms.carved);
}

static void most_kills(unit *u, units_handle h, void *arg)
{
    int *best = arg;

    (void)h;
    if (u->kills > *best)
        *best = u->kills;
}

static void drop_unit(unit *u, units_handle h, void *arg)
{
    remove_unit(arg, u, h);
}

static void drop_missile(missile *m, missiles_handle mh, void *arg)
{
    (void)m;
    release_missile(arg, mh);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    world w;
    counts last;
    long frames = 10 * FPS, f;
    unsigned long long seed = 42;
    struct timespec t0;
    rpool_stats us, ms;
    int i, best = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
            frames = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--frames N] [--seed S]\n", argv[0]);
            return 2;
        }
    }
    if (frames < 1) {
        fprintf(stderr, "--frames must be at least 1\n");
        return 2;
    }

    memset(&w, 0, sizeof w); /* every handle 0: none */
    last = w.n;
    w.rng = seed * 2654435761u | 1; /* xorshift must not start at 0 */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (f = 1; f <= frames && !w.failed; f++) {
        frame(&w);
        check_pools(&w);
        if (f % FPS == 0) {
            report_second(&w, &last, f);
            last = w.n;
        }
    }
    double secs = seconds_since(&t0);

    units_stats(&us);
    missiles_stats(&ms);
    units_for_each(most_kills, &best);
    printf("%ld frames in %.3f s: %ld units spawned in %ld squads, %ld killed, %ld broke "
           "through; %ld missiles fired, %ld hit, %ld burnt out\n",
           f - 1, secs, w.n.units_spawned, w.n.squads, w.n.units_killed, w.n.units_through,
           w.n.missiles_fired, w.n.missiles_hit, w.n.missiles_burnt);
    printf("owners: %ld kills credited through live owner handles (the best survivor has "
           "%d), %ld not because the shooter had died; %ld followers outlived their leader\n",
           w.n.units_killed - w.n.stale_owners, best, w.n.stale_owners, w.n.orphans);
    printf("pools: units %zu live in %zu slots, missiles %zu live in %zu slots; "
           "%zu blocks, %zu bytes in all\n",
           us.live, us.carved, ms.live, ms.carved, us.blocks + ms.blocks, us.bytes + ms.bytes);

    /* Tear down through the handles, as a level change would, and make sure
       nothing is left behind. */
    units_for_each(drop_unit, &w);
    missiles_for_each(drop_missile, &w);
    check_pools(&w);
    units_stats(&us);
    missiles_stats(&ms);
    EXPECT(&w, us.live == 0 && ms.live == 0);
    free(w.snap);
    free(w.in_slot);
    units_destroy();
    missiles_destroy();

    if (w.failed) {
        printf("FAILED: see the invariant above\n");
        return 1;
    }
    printf("ok: %ld stale target handles caught and dropped (%ld by units, %ld by missiles), "
           "%ld of them into slots a new unit already held; no stale handle was ever "
           "dereferenced\n",
           w.n.stale_targets, w.n.stale_targets - w.n.stale_by_missiles,
           w.n.stale_by_missiles, w.n.reused_slots);
    return 0;
}
