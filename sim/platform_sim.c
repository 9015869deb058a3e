/*
 * sim/platform_sim.c - core/platform.h served by the deterministic engine.
 *
 * Inside sim_run() every call below is a scheduling point of the calling
 * simulated thread and charges the cost model's price in virtual time.
 * Outside a run the calls act as one thread at a private clock: locks only
 * track ownership, eventfd waits and grace periods return at once, and a
 * created thread runs to completion inside plat_thread_create().  Faults
 * and allocation accounting apply in both modes.
 *
 * Every live plat_alloc() block is linked into the list of the simulation
 * it is charged to (sim_alloc_charge_to()), so sim_destroy() can free the
 * blocks frozen threads still held after an unclean end.  Locks and
 * eventfds whose only holders and waiters are frozen threads can be
 * destroyed (see sim/engine.c, "Unclean ends").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"
#include "sim/fault.h"
#include "sim/internal.h"
#include "sim/liveness.h"
#include "sim/tape.h"
#include "sim/tsan.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#endif

/* Happens-before between simulated threads comes only from the objects
 * simulated here (sim/tsan.h): a lock's unlock releases and its lock (or
 * handoff) acquires; an eventfd's signal releases and whoever consumes the
 * count acquires; a thread's create and end are released and acquired in
 * sim/engine.c and plat_thread_join(); a read-side section's end releases
 * into rcu_gp_end, which plat_rcu_synchronize() acquires after its wait,
 * and a grace period's start releases into rcu_gp_start, which a section's
 * start acquires; atomics are real C11 atomics.  The bookkeeping below is
 * the engine's and is not instrumented; plat_alloc()'s malloc and
 * plat_free()'s poison and free are, so a free racing a use is reported. */
#define TSAN_ACQUIRE(p) SIM_TSAN_ACQUIRE(p)
#define TSAN_RELEASE(p) SIM_TSAN_RELEASE(p)
static char rcu_gp_start, rcu_gp_end;

SIM_TSAN_ENGINE_BEGIN

/* Owner marker for locks taken outside a run. */
static struct sim_thread outside_thread = {.name = "outside a run"};
static uint64_t outside_now;

SIM_UNCOVERED
static struct sim_thread *self(void)
{
    return sim_active ? sim_active->cur : &outside_thread;
}

/* ---- memory ---- */

#define ALLOC_MAGIC 0x6b76616c6c6f6321ull
#define ALLOC_POISON 0x6b

/* 32 bytes, so the block after it keeps malloc's 16-byte alignment. */
struct alloc_hdr {
    uint64_t magic;
    uint64_t size;
    struct sim_alloc_link link;  /* self-linked when charged to no run */
};

static uint64_t alloc_live;
static uint64_t alloc_host_failed; /* malloc() itself said no */

static struct alloc_hdr *hdr_of_link(struct sim_alloc_link *l)
{
    return (struct alloc_hdr *)(void *)((char *)l -
                                        offsetof(struct alloc_hdr, link));
}

static void alloc_unlink(struct alloc_hdr *h)
{
    h->link.prev->next = h->link.next;
    h->link.next->prev = h->link.prev;
    h->link.prev = &h->link;
    h->link.next = &h->link;
}

uint64_t sim_alloc_settle(struct sim *s)
{
    struct sim_alloc_link *head = &s->allocs;
    uint64_t freed = 0;

    while (head->next != head) {
        struct alloc_hdr *h = hdr_of_link(head->next);

        alloc_unlink(h);
        if (s->nfrozen) {
            h->magic = 0;
            alloc_live--;
            free(h);
            freed++;
        }
    }
    return freed;
}

uint64_t sim_alloc_host_failures(void)
{
    return alloc_host_failed;
}

uint64_t sim_alloc_live(void)
{
    return alloc_live;
}

void *plat_alloc(size_t size)
{
    struct alloc_hdr *h;
    struct sim *owner;

    if (plat_fault(PLAT_FAULT_ALLOC)) {
        return NULL;
    }
    if (size == 0) {
        size = 1;
    }
    if (size > SIZE_MAX - sizeof(*h)) {
        return NULL;
    }
    h = malloc(sizeof(*h) + size);
    if (!h) {
        alloc_host_failed++;
        return NULL;
    }
    h->magic = ALLOC_MAGIC;
    h->size = size;
    owner = sim_alloc_charge_to();
    if (owner) {
        h->link.prev = owner->allocs.prev;
        h->link.next = &owner->allocs;
        owner->allocs.prev->next = &h->link;
        owner->allocs.prev = &h->link;
    } else {
        h->link.prev = &h->link;
        h->link.next = &h->link;
    }
    alloc_live++;
    return h + 1;
}

void *plat_zalloc(size_t size)
{
    void *p = plat_alloc(size);

    if (p) {
        memset(p, 0, size);
    }
    return p;
}

/* Blocks plat_free() kept back because a reader could still use them:
 * freed by sim_rcu_settle(), so the run goes on to report the broken rule
 * instead of crashing in the reader. */
static struct sim_alloc_link rcu_kept = {&rcu_kept, &rcu_kept};
static bool rcu_free_visible(const void *p);

void plat_free(void *p)
{
    struct alloc_hdr *h;

    if (!p) {
        return;
    }
    h = (struct alloc_hdr *)p - 1;
    if (h->magic != ALLOC_MAGIC) {
        sim_panic("plat_free of memory not from plat_alloc, or freed twice");
    }
    if (rcu_free_visible(p)) {
        alloc_unlink(h);
        alloc_live--;
        h->magic = 0;
        h->link.prev = rcu_kept.prev;
        h->link.next = &rcu_kept;
        rcu_kept.prev->next = &h->link;
        rcu_kept.prev = &h->link;
        return;
    }
#ifndef SIM_ASAN
    /* Poison so a use after free reads garbage even without ASan.  Under
     * ASan the access itself is reported (the block stays unaddressable
     * until it is handed out again, then holds the allocator's fill), so
     * the pass over the whole block would only cost time. */
    memset(p, ALLOC_POISON, h->size);
#endif
    alloc_unlink(h);
    h->magic = 0;
    alloc_live--;
    free(h);
}

/* ---- locks ---- */

#define LOCK_MAGIC 0x4c6f636bu

struct sim_lock {
    uint32_t magic;
    uint32_t kind;
    const char *name;
    struct sim_thread *owner;
    struct sim_thread *head, *tail;  /* FIFO of waiters */
    uint64_t contended;
    uint64_t release_t;  /* time of the last release (causality) */
};
_Static_assert(sizeof(struct sim_lock) <= sizeof(struct plat_lock),
               "sim lock state must fit struct plat_lock");

SIM_UNCOVERED
static struct sim_lock *lk(const struct plat_lock *l)
{
    struct sim_lock *x = (struct sim_lock *)(uintptr_t)l->opaque;

    if (x->magic != LOCK_MAGIC) {
        sim_panic("lock used before plat_lock_init or after destroy");
    }
    return x;
}

void plat_lock_init(struct plat_lock *l, enum plat_lock_kind kind,
                    const char *name)
{
    struct sim_lock *x = (struct sim_lock *)(uintptr_t)l->opaque;

    memset(l, 0, sizeof(*l));
    x->magic = LOCK_MAGIC;
    x->kind = kind;
    x->name = name ? name : "lock";
}

/* Held and awaited by nobody but frozen threads (see sim/engine.c). */
static bool lock_only_frozen(const struct sim_lock *x)
{
    if (x->owner && !x->owner->frozen) {
        return false;
    }
    for (const struct sim_thread *w = x->head; w; w = w->wait_next) {
        if (!w->frozen) {
            return false;
        }
    }
    return true;
}

void plat_lock_destroy(struct plat_lock *l)
{
    struct sim_lock *x = lk(l);

    if (x->owner || x->head) {
        if (!lock_only_frozen(x)) {
            sim_panic("lock '%s' destroyed while held or awaited", x->name);
        }
        /* Unwind: the frozen owner and waiters let go of it. */
        while (x->head) {
            struct sim_thread *w = x->head;

            x->head = w->wait_next;
            w->wait_next = NULL;
        }
        x->tail = NULL;
        x->owner = NULL;
    }
    x->magic = 0;
}

void plat_lock(struct plat_lock *l)
{
    struct sim_lock *x = lk(l);
    struct sim *s = sim_active;
    struct sim_thread *me = self();

    if (x->owner == me) {
        sim_panic("thread '%s' takes lock '%s' it already holds", me->name,
                  x->name);
    }
    if (!s) {
        x->owner = me;
        return;
    }
    sim_pos_next(s, x);
    sim_sched_point(s);
    if (!x->owner) {
        x->owner = me;
        /* Under `random` and `pct` the acquirer may be behind the last
         * releaser in virtual time; it cannot have taken the lock earlier
         * than it was released.  (A no-op under `time`.) */
        if (me->t < x->release_t) {
            me->t = x->release_t;
        }
        TSAN_ACQUIRE(x);
        sim_charge(s, s->cost.lock_ns);
        return;
    }
    x->contended++;
    me->wait_next = NULL;
    if (x->tail) {
        x->tail->wait_next = me;
    } else {
        x->head = me;
    }
    x->tail = me;
    if (x->kind == PLAT_LOCK_SPIN) {
        /* A spinner burns its CPU until the handoff. */
        uint64_t since = me->t;

        sim_block(s, SIM_WAIT_LOCK, x, x->name);
        if (me->t > since) {
            struct sim_cpu *c = &s->cpus[me->cpu];

            if (c->busy_until < me->t) {
                c->busy_until = me->t;
            }
        }
    } else {
        sim_block(s, SIM_WAIT_LOCK, x, x->name);
    }
    /* The unlocker handed the lock to us. */
    if (x->owner != me) {
        sim_panic("lock '%s' handoff lost", x->name);
    }
    TSAN_ACQUIRE(x);
}

void plat_unlock(struct plat_lock *l)
{
    struct sim_lock *x = lk(l);
    struct sim *s = sim_active;
    struct sim_thread *me = self();
    struct sim_thread *w;

    if (x->owner != me) {
        sim_panic("thread '%s' unlocks lock '%s' held by '%s'", me->name,
                  x->name, x->owner ? x->owner->name : "nobody");
    }
    TSAN_RELEASE(x);
    if (!s) {
        x->owner = NULL;
        return;
    }
    x->release_t = me->t;
    w = x->head;
    if (!w) {
        x->owner = NULL;
    } else {
        x->head = w->wait_next;
        if (!x->head) {
            x->tail = NULL;
        }
        w->wait_next = NULL;
        x->owner = w;
        sim_wake(s, w, me->t,
                 x->kind == PLAT_LOCK_SPIN ? s->cost.lock_handoff_ns
                                            : s->cost.lock_handoff_ns +
                                                  s->cost.wakeup_ns);
    }
    sim_pos_touch(s, x);
    sim_sched_point(s);
}

bool plat_lock_held(const struct plat_lock *l)
{
    return lk(l)->owner == self();
}

/* A lock rule broken (core/platform.h): no scheduling point, no tape byte;
 * a clean run's trace is the same with or without the checks. */
SIM_UNCOVERED
void plat_lock_rule_broken(const struct plat_lock *l, const char *function)
{
    const struct sim_lock *x = lk(l);
    struct sim *s = sim_active;
    char where[96];
    char owner[64];

    if (x->owner) {
        snprintf(owner, sizeof(owner), "'%s'", x->owner->name);
    } else {
        snprintf(owner, sizeof(owner), "nobody");
    }
    if (!s) {
        sim_panic("lock rule: %s() expects lock '%s' held; called outside a "
                  "run, the lock held by %s", function, x->name, owner);
    }
    if (s->lock_violations++ == 0) {
        snprintf(s->lock_violation, sizeof(s->lock_violation),
                 "%s() expects lock '%s' held; %s at %llu ns, the lock "
                 "held by %s", function, x->name,
                 sim_where(where, sizeof(where)),
                 (unsigned long long)s->cur->t, owner);
    }
    sim_emit(s, SIM_EV_INSTANT, "lock rule broken",
             (int64_t)s->lock_violations, 0);
}

uint32_t sim_lock_violations(struct sim *s)
{
    s->lock_violations_read = true;
    return s->lock_violations;
}

void sim_lock_violations_settle(const struct sim *s)
{
    if (s->lock_violations && !s->lock_violations_read) {
        sim_panic("lock rule: %u broken in the run and never read "
                  "(sim_lock_violations()); the first: %s",
                  s->lock_violations, s->lock_violation);
    }
}

const char *sim_lock_violation_first(const struct sim *s)
{
    return s->lock_violation;
}

/* ---- threads ---- */

struct plat_thread {
    struct sim_thread *t;     /* inside a run */
};

int plat_thread_create(struct plat_thread **out, const char *name,
                       void (*fn)(void *arg), void *arg)
{
    struct sim *s = sim_active;
    struct plat_thread *h;

    if (plat_fault(PLAT_FAULT_THREAD_CREATE)) {
        return -EAGAIN;
    }
    h = plat_alloc(sizeof(*h));
    if (!h) {
        return -ENOMEM;
    }
    if (!s) {
        /* One thread outside a run: the new thread runs to completion. */
        h->t = NULL;
        fn(arg);
        *out = h;
        return 0;
    }
    sim_charge(s, s->cost.thread_create_ns);
    h->t = sim_spawn(s, name, sim_pick_cpu(s), fn, arg);
    if (!h->t) {
        plat_free(h);
        return -ENOMEM;
    }
    /* sim_spawn() released into h->t for the new thread's start. */
    *out = h;
    return 0;
}

void plat_thread_join(struct plat_thread *h)
{
    struct sim *s = sim_active;
    struct sim_thread *t = h->t;

    if (s && t) {
        struct sim_thread *me = s->cur;

        if (t->joined || t->joiner) {
            sim_panic("thread '%s' joined twice", t->name);
        }
        sim_pos_next(s, t);
        sim_sched_point(s);
        if (t->state != SIM_T_DONE) {
            t->joiner = me;
            sim_block(s, SIM_WAIT_JOIN, t, t->name);
        } else if (me->t < t->t) {
            me->t = t->t;
        }
        t->joined = true;
        TSAN_ACQUIRE(t);  /* released by the thread's end */
    }
    plat_free(h);
}

void plat_yield(void)
{
    if (sim_active) {
        sim_sched_point(sim_active);
    }
}

/* ---- atomics: each a scheduling point before the access ---- */

static void atomic_point(const void *word)
{
    if (sim_active) {
        sim_pos_next(sim_active, word);
        sim_charge(sim_active, sim_active->cost.atomic_ns);
    }
}

uint64_t plat_atomic_load(plat_atomic64 *a)
{
    atomic_point(a);
    return atomic_load(&a->v);
}

void plat_atomic_store(plat_atomic64 *a, uint64_t v)
{
    atomic_point(a);
    atomic_store(&a->v, v);
}

uint64_t plat_atomic_fetch_add(plat_atomic64 *a, uint64_t v)
{
    atomic_point(a);
    return atomic_fetch_add(&a->v, v);
}

uint64_t plat_atomic_fetch_sub(plat_atomic64 *a, uint64_t v)
{
    atomic_point(a);
    return atomic_fetch_sub(&a->v, v);
}

bool plat_atomic_cmpxchg(plat_atomic64 *a, uint64_t *expected,
                         uint64_t desired)
{
    atomic_point(a);
    return atomic_compare_exchange_strong(&a->v, expected, desired);
}

void *plat_atomic_load_ptr(plat_atomic_ptr *a)
{
    struct sim_thread *me;
    void *p;

    atomic_point(a);
    p = atomic_load(&a->p);
    me = self();
    if (me->rcu_nest > 0) {
        /* Kept for plat_free()'s check: a reader may use what it loaded
         * until its section ends. */
        me->rcu_seen[me->rcu_nseen++ % SIM_RCU_SEEN] = p;
    }
    return p;
}

void plat_atomic_store_ptr(plat_atomic_ptr *a, void *p)
{
    atomic_point(a);
    TSAN_RELEASE(a);
    atomic_store(&a->p, p);
}

/* ---- read-side grace periods ---- */

/* snap[0] is the number of threads when the grace period began (threads
 * created later cannot be in a section it must outlive); snap[1 + i], per
 * thread id, is the read-side section the waiter must outlive: gen + 1 for
 * "thread i was in section gen", 0 for nothing. */
static bool rcu_sections_done(const struct sim *s, const uint64_t *snap)
{
    for (uint32_t i = 0; i < snap[0] && i < s->nthreads; i++) {
        const struct sim_thread *t = s->threads[i];

        if (snap[1 + i] && t->state != SIM_T_DONE && t->rcu_nest > 0 &&
            t->rcu_gen + 1 == snap[1 + i]) {
            return false;
        }
    }
    return true;
}

void sim_rcu_recheck(struct sim *s)
{
    for (uint32_t i = 0; i < s->nthreads; i++) {
        struct sim_thread *w = s->threads[i];

        if (w->state == SIM_T_BLOCKED && w->wait == SIM_WAIT_RCU &&
            rcu_sections_done(s, w->wait_obj)) {
            sim_wake(s, w, s->cur->t, 0);
        }
    }
}

void plat_rcu_read_lock(void)
{
    struct sim_thread *me = self();

    if (me->rcu_nest++ == 0) {
        TSAN_ACQUIRE(&rcu_gp_start);
        me->rcu_nseen = 0;
    }
    if (sim_active) {
        sim_sched_point(sim_active);
    }
}

void plat_rcu_read_unlock(void)
{
    struct sim_thread *me = self();

    if (me->rcu_nest == 0) {
        sim_panic("thread '%s' leaves a read-side section it is not in",
                  me->name);
    }
    if (--me->rcu_nest == 0) {
        TSAN_RELEASE(&rcu_gp_end);
        me->rcu_gen++;
        me->rcu_nseen = 0;
        if (sim_active) {
            sim_rcu_recheck(sim_active);
        }
    }
    if (sim_active) {
        sim_sched_point(sim_active);
    }
}

/* Grace periods waited for, in and outside simulated runs (cost checks). */
static uint64_t sim_rcu_syncs;

uint64_t sim_rcu_synchronize_calls(void)
{
    return sim_rcu_syncs;
}

/* The read-side sections a grace period starting now must outlive (see
 * rcu_sections_done()); *any tells whether there is one.  me is left
 * out. */
static uint64_t *rcu_readers_snap(struct sim *s, const struct sim_thread *me,
                                  bool *any)
{
    uint64_t *snap = calloc(1 + (size_t)s->nthreads, sizeof(*snap));

    if (!snap) {
        sim_panic("out of memory for a grace period");
    }
    *any = false;
    snap[0] = s->nthreads;
    for (uint32_t i = 0; i < s->nthreads; i++) {
        struct sim_thread *t = s->threads[i];

        if (t != me && t->state != SIM_T_DONE && t->rcu_nest > 0) {
            snap[1 + i] = t->rcu_gen + 1;
            *any = true;
        }
    }
    return snap;
}

/* Virtual time threads spent in plat_rcu_synchronize() inside runs. */
static uint64_t sim_rcu_sync_ns;

uint64_t sim_rcu_sync_wait_ns(void)
{
    return sim_rcu_sync_ns;
}

void plat_rcu_synchronize(void)
{
    struct sim *s = sim_active;
    struct sim_thread *me = self();
    uint64_t *snap;
    uint64_t start;
    bool any = false;

    sim_rcu_syncs++;

    if (me->rcu_nest) {
        sim_panic("thread '%s' waits for a grace period inside a read-side "
                  "section", me->name);
    }
    TSAN_RELEASE(&rcu_gp_start);
    if (!s) {
        return;
    }
    start = me->t;
    snap = rcu_readers_snap(s, me, &any);
    /* Owned by the thread until the wait is over, so a thread frozen in
     * the wait does not leak it (sim_destroy() frees it). */
    me->rcu_snap = snap;
    sim_charge(s, s->cost.rcu_sync_ns);
    if (any && !rcu_sections_done(s, snap)) {
        sim_block(s, SIM_WAIT_RCU, snap, "grace period");
    }
    me->rcu_snap = NULL;
    free(snap);
    sim_rcu_sync_ns += me->t - start;
    TSAN_ACQUIRE(&rcu_gp_end);
}

/* ---- deferred grace periods (plat_call_rcu) and their checks ---- */

/* Callbacks wait in one FIFO.  Inside a run a daemon thread, "rcu
 * callbacks", spawned by the first plat_call_rcu() of the run on the
 * least-loaded CPU, takes them in order: each waits until rcu_sync_ns has
 * passed since it was queued (the grace period's own latency; the thread
 * sleeps, it does not keep a CPU busy) and until every section in its
 * reader snapshot has ended, then runs.  Outside a run there are no other
 * threads: plat_rcu_barrier() runs what is queued.  Callbacks still
 * queued when a world has been torn down are lost: sim_rcu_pending()
 * says how many (the scenario runner reports them) and sim_destroy()
 * drops them.
 *
 * The checker (no core predicate involved): plat_atomic_load_ptr() inside
 * a section records the pointer it returned on the reader; plat_free() of
 * a block that another thread, still inside the section where it loaded
 * it, may use is a broken rule, recorded with both threads and kept
 * unfreed until sim_destroy() so the reader reads valid memory and the
 * run reports it (sim_rcu_violations()). */
#define RCU_CB_MAGIC 0x52637542u

struct sim_rcu_cb {
    uint32_t magic;
    struct sim_rcu_cb *next;
    plat_rcu_fn fn;
    uint64_t *snap;     /* sections to outlive (calloc), NULL: none */
    uint64_t queued_ns; /* virtual time of plat_call_rcu() */
};
_Static_assert(sizeof(struct sim_rcu_cb) <= sizeof(struct plat_rcu_head),
               "sim callback state must fit struct plat_rcu_head");

static struct sim_rcu_cb *rcu_cb_head, *rcu_cb_tail;
static uint64_t rcu_cb_queued, rcu_cb_run;
static struct sim *rcu_cb_sim;          /* the run rcu_cb_thread is in */
static struct sim_thread *rcu_cb_thread;
static uint32_t rcu_violations;
static char rcu_violation[320];

uint64_t sim_rcu_pending(void)
{
    return rcu_cb_queued - rcu_cb_run;
}

uint32_t sim_rcu_violations(char *first, size_t len)
{
    uint32_t n = rcu_violations;

    if (first && len) {
        snprintf(first, len, "%s", rcu_violation);
    }
    rcu_violations = 0;
    rcu_violation[0] = '\0';
    return n;
}

static bool rcu_free_visible(const void *p)
{
    struct sim *s = sim_active;
    struct sim_thread *me;

    if (!s) {
        return false; /* no thread runs: frozen readers never resume */
    }
    me = s->cur;
    for (uint32_t i = 0; i < s->nthreads; i++) {
        const struct sim_thread *t = s->threads[i];
        uint32_t n = t->rcu_nseen < SIM_RCU_SEEN ? t->rcu_nseen
                                                 : SIM_RCU_SEEN;

        if (t == me || t->state == SIM_T_DONE || t->frozen ||
            t->rcu_nest == 0) {
            continue;
        }
        for (uint32_t k = 0; k < n; k++) {
            if (t->rcu_seen[k] == p) {
                char where[160];

                if (rcu_violations++ == 0) {
                    snprintf(rcu_violation, sizeof(rcu_violation),
                             "plat_free() of a block that thread '%s' "
                             "loaded in its read-side section, still "
                             "open: %s at %" PRIu64 " ns", t->name,
                             sim_where(where, sizeof(where)), me->t);
                }
                sim_emit(s, SIM_EV_INSTANT, "rcu: free while visible",
                         (int64_t)t->id, 0);
                return true;
            }
        }
    }
    return false;
}

/* Pop the head callback and run it (it may free the object holding it). */
static void rcu_cb_run_head(void)
{
    struct sim_rcu_cb *cb = rcu_cb_head;
    plat_rcu_fn fn = cb->fn;

    /* The queuer's writes (the object, the reader snapshot allocated
     * for it) happen before the callback thread frees and runs. */
    TSAN_ACQUIRE(cb);
    rcu_cb_head = cb->next;
    if (!rcu_cb_head) {
        rcu_cb_tail = NULL;
    }
    free(cb->snap);
    cb->snap = NULL;
    cb->magic = 0;
    rcu_cb_run++;
    TSAN_ACQUIRE(&rcu_gp_end);
    fn((struct plat_rcu_head *)(void *)cb);
}

static void rcu_cb_wake_barriers(struct sim *s)
{
    for (uint32_t i = 0; i < s->nthreads; i++) {
        struct sim_thread *w = s->threads[i];

        if (w->state == SIM_T_BLOCKED && w->wait == SIM_WAIT_RCU_CB &&
            w->wait_obj == &rcu_cb_run) {
            sim_wake(s, w, s->cur->t, s->cost.wakeup_ns);
        }
    }
}

static void rcu_cb_main(void *arg)
{
    struct sim *s = sim_active;

    (void)arg;
    for (;;) {
        struct sim_rcu_cb *cb = rcu_cb_head;
        struct sim_thread *me = s->cur;

        if (!cb) {
            sim_block(s, SIM_WAIT_RCU_CB, &rcu_cb_head, "rcu callbacks");
            continue;
        }
        if (me->t < cb->queued_ns + s->cost.rcu_sync_ns) {
            sim_sleep_ns(cb->queued_ns + s->cost.rcu_sync_ns - me->t);
            continue;
        }
        if (cb->snap && !rcu_sections_done(s, cb->snap)) {
            sim_block(s, SIM_WAIT_RCU, cb->snap, "grace period");
            continue;
        }
        plat_trace_begin("rcu callback");
        rcu_cb_run_head();
        plat_trace_end();
        rcu_cb_wake_barriers(s);
        sim_sched_point(s);
    }
}

/* Make sure the run's callback thread exists and is awake. */
static void rcu_cb_kick(struct sim *s)
{
    if (rcu_cb_sim != s || !rcu_cb_thread) {
        rcu_cb_thread = sim_spawn(s, "rcu callbacks", sim_pick_cpu(s),
                                  rcu_cb_main, NULL);
        if (!rcu_cb_thread) {
            sim_panic("out of memory for the rcu callback thread");
        }
        sim_thread_set_daemon(rcu_cb_thread, true);
        rcu_cb_sim = s;
        return;
    }
    if (rcu_cb_thread->state == SIM_T_BLOCKED &&
        rcu_cb_thread->wait == SIM_WAIT_RCU_CB) {
        sim_wake(s, rcu_cb_thread, s->cur->t, 0);
    }
}

void plat_call_rcu(struct plat_rcu_head *head, plat_rcu_fn fn)
{
    struct sim *s = sim_active;
    struct sim_rcu_cb *cb = (struct sim_rcu_cb *)(void *)head->opaque;
    struct sim_thread *me = self();

    memset(cb, 0, sizeof(*cb));
    cb->magic = RCU_CB_MAGIC;
    cb->fn = fn;
    TSAN_RELEASE(&rcu_gp_start);
    if (s) {
        bool any;

        cb->queued_ns = me->t;
        cb->snap = rcu_readers_snap(s, me, &any);
        if (!any) {
            free(cb->snap);
            cb->snap = NULL;
        }
    }
    TSAN_RELEASE(cb);
    if (rcu_cb_tail) {
        rcu_cb_tail->next = cb;
    } else {
        rcu_cb_head = cb;
    }
    rcu_cb_tail = cb;
    rcu_cb_queued++;
    if (s) {
        rcu_cb_kick(s);
        sim_sched_point(s);
    }
}

void plat_rcu_barrier(void)
{
    struct sim *s = sim_active;
    struct sim_thread *me = self();
    uint64_t target = rcu_cb_queued;

    if (rcu_cb_run >= target) {
        return;
    }
    if (me->rcu_nest) {
        sim_panic("thread '%s' waits for callbacks inside a read-side "
                  "section", me->name);
    }
    if (!s) {
        while (rcu_cb_run < target) {
            rcu_cb_run_head();
        }
        return;
    }
    if (me == rcu_cb_thread) {
        sim_panic("plat_rcu_barrier() from an rcu callback");
    }
    rcu_cb_kick(s);
    while (rcu_cb_run < target) {
        sim_block(s, SIM_WAIT_RCU_CB, &rcu_cb_run, "rcu barrier");
    }
}

void sim_rcu_settle(struct sim *s)
{
    while (rcu_cb_head) {
        struct sim_rcu_cb *cb = rcu_cb_head;

        TSAN_ACQUIRE(cb);
        rcu_cb_head = cb->next;
        free(cb->snap);
        cb->snap = NULL;
        cb->magic = 0;
    }
    rcu_cb_tail = NULL;
    rcu_cb_run = rcu_cb_queued;
    if (rcu_cb_sim == s) {
        rcu_cb_sim = NULL;
        rcu_cb_thread = NULL;
    }
    while (rcu_kept.next != &rcu_kept) {
        struct sim_alloc_link *l = rcu_kept.next;

        l->prev->next = l->next;
        l->next->prev = l->prev;
        free(hdr_of_link(l));
    }
    rcu_violations = 0;
    rcu_violation[0] = '\0';
}

/* ---- eventfds ---- */

#define EFD_MAGIC 0x45666421u

struct sim_eventfd {
    uint32_t magic;
    const char *name;
    uint64_t count;
    uint64_t signal_t;             /* time of the last signal (causality) */
    struct sim_thread *waiters[8]; /* blocked in plat_eventfd_wait */
    uint32_t nwaiters;
    sim_eventfd_hook hook;         /* a kernel wakeup callback (irqfd) */
    void *hook_arg;
    struct sim_live_ref live;      /* sim/liveness.h record */
};
_Static_assert(sizeof(struct sim_eventfd) <= sizeof(struct plat_eventfd),
               "sim eventfd state must fit struct plat_eventfd");

SIM_UNCOVERED
static struct sim_eventfd *efd(struct plat_eventfd *e)
{
    struct sim_eventfd *x = (struct sim_eventfd *)(uintptr_t)e->opaque;

    if (x->magic != EFD_MAGIC) {
        sim_panic("eventfd used before plat_eventfd_init or after destroy");
    }
    return x;
}

void plat_eventfd_init(struct plat_eventfd *e, const char *name)
{
    struct sim_eventfd *x = (struct sim_eventfd *)(uintptr_t)e->opaque;

    memset(e, 0, sizeof(*e));
    x->magic = EFD_MAGIC;
    x->name = name ? name : "eventfd";
}

void sim_eventfd_set_hook(struct plat_eventfd *e, sim_eventfd_hook hook,
                          void *arg)
{
    struct sim_eventfd *x = efd(e);

    x->hook = hook;
    x->hook_arg = arg;
    sim_live_hook(&x->live, x->name, hook != NULL);
}

void sim_eventfd_set_bound(struct plat_eventfd *e, uint64_t bound_ns)
{
    struct sim_eventfd *x = efd(e);

    sim_live_declare(&x->live, x->name, bound_ns);
}

void sim_eventfd_set_consumer(struct plat_eventfd *e, const char *text)
{
    struct sim_eventfd *x = efd(e);

    sim_live_consumer(&x->live, x->name, text);
}

bool sim_eventfd_consume(struct plat_eventfd *e)
{
    struct sim_eventfd *x = efd(e);
    bool was = x->count != 0;

    x->count = 0;
    if (was) {
        if (x->live.run) {
            sim_live_consumed(&x->live);
        }
        TSAN_ACQUIRE(x);
    }
    return was;
}

void plat_eventfd_destroy(struct plat_eventfd *e)
{
    struct sim_eventfd *x = efd(e);

    if (x->hook) {
        sim_panic("eventfd '%s' destroyed while the kernel holds it "
                  "(an irqfd is still assigned)", x->name);
    }
    for (uint32_t i = 0; i < x->nwaiters; i++) {
        if (!x->waiters[i]->frozen) {
            sim_panic("eventfd '%s' destroyed with waiters", x->name);
        }
    }
    /* Only frozen threads wait: release them. */
    x->nwaiters = 0;
    sim_live_free(&x->live);
    x->magic = 0;
}

void plat_eventfd_signal(struct plat_eventfd *e)
{
    struct sim_eventfd *x = efd(e);
    struct sim *s = sim_active;

    if (s) {
        sim_pos_next(s, x);
        sim_sched_point(s);
    }
    x->count++;
    x->signal_t = self()->t;
    if (x->live.run) {
        sim_live_signal(&x->live);
    }
    TSAN_RELEASE(x);
    if (x->hook) {
        /* Runs in the signaller's context, like a wait-queue callback. */
        x->hook(x->hook_arg, e);
    }
    if (s) {
        for (uint32_t i = 0; i < x->nwaiters; i++) {
            sim_wake(s, x->waiters[i], s->cur->t, s->cost.wakeup_ns);
        }
        x->nwaiters = 0;
    }
}

bool plat_eventfd_test_and_clear(struct plat_eventfd *e)
{
    struct sim_eventfd *x = efd(e);
    bool was;

    if (sim_active) {
        sim_pos_next(sim_active, x);
        sim_sched_point(sim_active);
    }
    was = x->count != 0;
    x->count = 0;
    if (was) {
        struct sim_thread *me = self();

        if (x->live.run) {
            sim_live_consumed(&x->live);
        }
        if (me->t < x->signal_t) {
            me->t = x->signal_t;
        }
        TSAN_ACQUIRE(x);
    }
    return was;
}

void plat_eventfd_wait(struct plat_eventfd *e)
{
    struct sim_eventfd *x = efd(e);
    struct sim *s = sim_active;

    if (!s) {
        return;
    }
    sim_pos_next(s, x);
    sim_sched_point(s);
    sim_live_waiter(&x->live, x->name);
    while (x->count == 0) {
        if (x->nwaiters == sizeof(x->waiters) / sizeof(x->waiters[0])) {
            sim_panic("eventfd '%s': too many waiters", x->name);
        }
        x->waiters[x->nwaiters++] = s->cur;
        sim_block(s, SIM_WAIT_EVENTFD, x, x->name);
    }
    if (s->cur->t < x->signal_t) {
        s->cur->t = x->signal_t;
    }
    if (x->live.run) {
        sim_live_consumed(&x->live);
    }
    TSAN_ACQUIRE(x);
}

/* ---- CPU and time ---- */

unsigned plat_cpu_id(void)
{
    return sim_active ? sim_active->cur->cpu : 0;
}

uint64_t plat_now_ns(void)
{
    return sim_active ? sim_active->cur->t : outside_now;
}

void plat_spend_ns(uint64_t ns)
{
    if (sim_active) {
        sim_charge(sim_active, ns);
    } else {
        outside_now += ns;
    }
}

void plat_work(enum plat_work_kind kind, uint64_t units)
{
    struct sim *s = sim_active;

    if (!s) {
        return;
    }
    if ((unsigned)kind >= PLAT_WORK_NR) {
        sim_panic("unknown work kind %u", (unsigned)kind);
    }
    sim_charge(s, s->cost.work_ns[kind] * units);
}

void sim_sleep_ns(uint64_t ns)
{
    struct sim *s = sim_active;

    if (!s) {
        outside_now += ns;
        return;
    }
    s->cur->t += ns;
    if (s->opt.strategy == SIM_STRATEGY_PCT) {
        /* PCT ignores time, so a thread polling with sleeps would starve
         * everyone below it.  Sleeping means "let the others run first":
         * the sleeper drops below every priority, change points included. */
        s->cur->prio = 0;
    }
    sim_pos_sleep(s);
    sim_sched_point(s);
}

uint64_t sim_jitter(uint64_t lo, uint64_t hi)
{
    uint64_t v;

    if (!sim_active || hi <= lo) {
        return lo;
    }
    v = lo + sim_tape_below(sim_active->tape, hi - lo + 1);
    sim_label_jitter(lo, hi, v);
    return v;
}

/* ---- trace ---- */

SIM_UNCOVERED
void plat_trace_begin(const char *name)
{
    struct sim_thread *me;

    if (!sim_active) {
        return;
    }
    me = sim_active->cur;
    if (me->nspans < SIM_SPAN_DEPTH) {
        me->span_name[me->nspans] = name;
        me->span_start[me->nspans] = me->t;
    }
    me->nspans++;
}

SIM_UNCOVERED
void plat_trace_end(void)
{
    struct sim_thread *me;

    if (!sim_active) {
        return;
    }
    me = sim_active->cur;
    if (me->nspans == 0) {
        sim_panic("plat_trace_end without plat_trace_begin on '%s'",
                  me->name);
    }
    me->nspans--;
    if (me->nspans < SIM_SPAN_DEPTH) {
        sim_emit(sim_active, SIM_EV_SPAN, me->span_name[me->nspans], 0,
                 me->t - me->span_start[me->nspans]);
        me->span_done = me->span_name[me->nspans];
        me->span_done_depth = me->nspans;
    }
}

void plat_trace_instant(const char *name, int64_t arg)
{
    if (sim_active) {
        sim_emit(sim_active, SIM_EV_INSTANT, name, arg, 0);
    }
}

void plat_trace_counter(const char *name, int64_t value)
{
    if (sim_active) {
        sim_emit(sim_active, SIM_EV_COUNTER, name, value, 0);
    }
}

SIM_UNCOVERED
bool plat_fault(enum plat_fault_site site)
{
    bool fail = sim_fault_decide(site);

    if (fail && sim_active) {
        sim_emit(sim_active, SIM_EV_FAULT, plat_fault_site_name(site),
                 (int64_t)site, 0);
    }
    return fail;
}

/* ---- cost model access ---- */

void sim_set_cost_model(struct sim *s, const struct cost_model *m)
{
    s->cost = *m;
}

const struct cost_model *sim_cost_model(const struct sim *s)
{
    return &s->cost;
}

SIM_TSAN_ENGINE_END
