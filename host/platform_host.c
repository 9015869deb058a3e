/*
 * host/platform_host.c - core/platform.h on real pthreads and the real clock.
 *
 * Used by the ThreadSanitizer stress tests and the host benchmarks, so the
 * same core objects run under true parallelism.  Nothing here is
 * deterministic and nothing here is used by simulated runs.  Faults never
 * fire, modelled work costs nothing, and trace points are dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/platform.h"

void *plat_alloc(size_t size)
{
    return malloc(size ? size : 1);
}

void *plat_zalloc(size_t size)
{
    return calloc(1, size ? size : 1);
}

void plat_free(void *p)
{
    free(p);
}

/* ---- locks ---- */

struct host_lock {
    enum plat_lock_kind kind;
    const char *name;
    _Atomic(pthread_t) owner;
    _Atomic int held;
    union {
        pthread_mutex_t mutex;
        pthread_spinlock_t spin;
    } u;
};
_Static_assert(sizeof(struct host_lock) <= sizeof(struct plat_lock),
               "host lock state must fit struct plat_lock");

static struct host_lock *host_lock(const struct plat_lock *l)
{
    return (struct host_lock *)(uintptr_t)l->opaque;
}

void plat_lock_init(struct plat_lock *l, enum plat_lock_kind kind,
                    const char *name)
{
    struct host_lock *h = host_lock(l);

    memset(l, 0, sizeof(*l));
    h->kind = kind;
    h->name = name ? name : "lock";
    if (kind == PLAT_LOCK_SPIN) {
        pthread_spin_init(&h->u.spin, PTHREAD_PROCESS_PRIVATE);
    } else {
        pthread_mutex_init(&h->u.mutex, NULL);
    }
}

void plat_lock_destroy(struct plat_lock *l)
{
    struct host_lock *h = host_lock(l);

    if (h->kind == PLAT_LOCK_SPIN) {
        pthread_spin_destroy(&h->u.spin);
    } else {
        pthread_mutex_destroy(&h->u.mutex);
    }
}

void plat_lock(struct plat_lock *l)
{
    struct host_lock *h = host_lock(l);

    if (h->kind == PLAT_LOCK_SPIN) {
        pthread_spin_lock(&h->u.spin);
    } else {
        pthread_mutex_lock(&h->u.mutex);
    }
    h->owner = pthread_self();
    h->held = 1;
}

void plat_unlock(struct plat_lock *l)
{
    struct host_lock *h = host_lock(l);

    h->held = 0;
    if (h->kind == PLAT_LOCK_SPIN) {
        pthread_spin_unlock(&h->u.spin);
    } else {
        pthread_mutex_unlock(&h->u.mutex);
    }
}

bool plat_lock_held(const struct plat_lock *l)
{
    struct host_lock *h = host_lock(l);

    return h->held && pthread_equal(h->owner, pthread_self());
}

/* A lock rule broken (core/platform.h): this build runs stress tests, so
 * the first broken rule ends the process with the rule it broke. */
void plat_lock_rule_broken(const struct plat_lock *l, const char *function)
{
    fprintf(stderr, "kvmsim: lock rule: %s() expects lock '%s' held by the "
            "calling thread\n", function, host_lock(l)->name);
    abort();
}

/* ---- threads ---- */

struct plat_thread {
    pthread_t tid;
    void (*fn)(void *);
    void *arg;
};

static void *host_thread_main(void *p)
{
    struct plat_thread *t = p;

    t->fn(t->arg);
    return NULL;
}

int plat_thread_create(struct plat_thread **out, const char *name,
                       void (*fn)(void *arg), void *arg)
{
    struct plat_thread *t = malloc(sizeof(*t));
    int rc;

    (void)name;
    if (!t) {
        return -ENOMEM;
    }
    t->fn = fn;
    t->arg = arg;
    rc = pthread_create(&t->tid, NULL, host_thread_main, t);
    if (rc != 0) {
        free(t);
        return -rc;
    }
    *out = t;
    return 0;
}

void plat_thread_join(struct plat_thread *t)
{
    pthread_join(t->tid, NULL);
    free(t);
}

void plat_yield(void)
{
    sched_yield();
}

/* ---- atomics ---- */

uint64_t plat_atomic_load(plat_atomic64 *a)
{
    return atomic_load(&a->v);
}

void plat_atomic_store(plat_atomic64 *a, uint64_t v)
{
    atomic_store(&a->v, v);
}

uint64_t plat_atomic_fetch_add(plat_atomic64 *a, uint64_t v)
{
    return atomic_fetch_add(&a->v, v);
}

uint64_t plat_atomic_fetch_sub(plat_atomic64 *a, uint64_t v)
{
    return atomic_fetch_sub(&a->v, v);
}

bool plat_atomic_cmpxchg(plat_atomic64 *a, uint64_t *expected,
                         uint64_t desired)
{
    return atomic_compare_exchange_strong(&a->v, expected, desired);
}

void *plat_atomic_load_ptr(plat_atomic_ptr *a)
{
    return atomic_load(&a->p);
}

void plat_atomic_store_ptr(plat_atomic_ptr *a, void *p)
{
    atomic_store(&a->p, p);
}

/* ---- RCU: a reader-preferring rwlock gives exact grace periods ---- */

static pthread_rwlock_t host_rcu = PTHREAD_RWLOCK_INITIALIZER;
static _Thread_local unsigned host_rcu_depth;

void plat_rcu_read_lock(void)
{
    if (host_rcu_depth++ == 0) {
        pthread_rwlock_rdlock(&host_rcu);
    }
}

void plat_rcu_read_unlock(void)
{
    if (--host_rcu_depth == 0) {
        pthread_rwlock_unlock(&host_rcu);
    }
}

void plat_rcu_synchronize(void)
{
    pthread_rwlock_wrlock(&host_rcu);
    pthread_rwlock_unlock(&host_rcu);
}

/* Deferred callbacks: one helper thread, started by the first
 * plat_call_rcu(), takes the whole queue, waits one grace period (every
 * section that had begun when the last of them was queued has ended) and
 * runs them in queue order. */
struct host_rcu_cb {
    struct host_rcu_cb *next;
    plat_rcu_fn fn;
};
_Static_assert(sizeof(struct host_rcu_cb) <= sizeof(struct plat_rcu_head),
               "host callback state must fit struct plat_rcu_head");

static pthread_mutex_t host_cb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t host_cb_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t host_cb_done_cv = PTHREAD_COND_INITIALIZER;
static struct host_rcu_cb *host_cb_head, *host_cb_tail;
static uint64_t host_cb_queued, host_cb_done;
static pthread_once_t host_cb_once = PTHREAD_ONCE_INIT;

static void *host_cb_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct host_rcu_cb *list;
        uint64_t n = 0;

        pthread_mutex_lock(&host_cb_mu);
        while (!host_cb_head) {
            pthread_cond_wait(&host_cb_work, &host_cb_mu);
        }
        list = host_cb_head;
        host_cb_head = NULL;
        host_cb_tail = NULL;
        pthread_mutex_unlock(&host_cb_mu);
        plat_rcu_synchronize();
        while (list) {
            struct host_rcu_cb *cb = list;

            list = cb->next;
            cb->fn((struct plat_rcu_head *)(void *)cb);
            n++;
        }
        pthread_mutex_lock(&host_cb_mu);
        host_cb_done += n;
        pthread_cond_broadcast(&host_cb_done_cv);
        pthread_mutex_unlock(&host_cb_mu);
    }
    return NULL;
}

static void host_cb_start(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, host_cb_main, NULL) != 0) {
        fprintf(stderr, "kvmsim: host: cannot start the callback thread\n");
        abort();
    }
    pthread_detach(t);
}

void plat_call_rcu(struct plat_rcu_head *head, plat_rcu_fn fn)
{
    struct host_rcu_cb *cb = (struct host_rcu_cb *)(void *)head->opaque;

    pthread_once(&host_cb_once, host_cb_start);
    cb->next = NULL;
    cb->fn = fn;
    pthread_mutex_lock(&host_cb_mu);
    if (host_cb_tail) {
        host_cb_tail->next = cb;
    } else {
        host_cb_head = cb;
    }
    host_cb_tail = cb;
    host_cb_queued++;
    pthread_cond_signal(&host_cb_work);
    pthread_mutex_unlock(&host_cb_mu);
}

void plat_rcu_barrier(void)
{
    uint64_t target;

    pthread_mutex_lock(&host_cb_mu);
    target = host_cb_queued;
    while (host_cb_done < target) {
        pthread_cond_wait(&host_cb_done_cv, &host_cb_mu);
    }
    pthread_mutex_unlock(&host_cb_mu);
}

/* ---- eventfds ---- */

struct host_eventfd {
    _Atomic uint64_t count;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};
_Static_assert(sizeof(struct host_eventfd) <= sizeof(struct plat_eventfd),
               "host eventfd state must fit struct plat_eventfd");

static struct host_eventfd *host_efd(struct plat_eventfd *e)
{
    return (struct host_eventfd *)(uintptr_t)e->opaque;
}

void plat_eventfd_init(struct plat_eventfd *e, const char *name)
{
    struct host_eventfd *h = host_efd(e);

    (void)name;
    memset(e, 0, sizeof(*e));
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

void plat_eventfd_destroy(struct plat_eventfd *e)
{
    struct host_eventfd *h = host_efd(e);

    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

void plat_eventfd_signal(struct plat_eventfd *e)
{
    struct host_eventfd *h = host_efd(e);

    pthread_mutex_lock(&h->mu);
    atomic_fetch_add(&h->count, 1);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

bool plat_eventfd_test_and_clear(struct plat_eventfd *e)
{
    return atomic_exchange(&host_efd(e)->count, 0) != 0;
}

void plat_eventfd_wait(struct plat_eventfd *e)
{
    struct host_eventfd *h = host_efd(e);

    pthread_mutex_lock(&h->mu);
    while (atomic_load(&h->count) == 0) {
        pthread_cond_wait(&h->cv, &h->mu);
    }
    pthread_mutex_unlock(&h->mu);
}

/* ---- CPU, time, trace, faults ---- */

unsigned plat_cpu_id(void)
{
    int cpu = sched_getcpu();

    return cpu < 0 ? 0 : (unsigned)cpu;
}

uint64_t plat_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void plat_spend_ns(uint64_t ns)
{
    (void)ns;
}

void plat_work(enum plat_work_kind kind, uint64_t units)
{
    (void)kind;
    (void)units;
}

void plat_line_init(struct plat_line *l)
{
    memset(l, 0, sizeof(*l));
}

void plat_line_touch(struct plat_line *l, enum plat_line_access access)
{
    (void)l;
    (void)access;
}

void plat_trace_begin(const char *name)
{
    (void)name;
}

void plat_trace_end(void)
{
}

void plat_trace_instant(const char *name, int64_t arg)
{
    (void)name;
    (void)arg;
}

void plat_trace_counter(const char *name, int64_t value)
{
    (void)name;
    (void)value;
}

/* The host backend runs core objects, not a kernel: the VMM-side kernel
 * interfaces are not available there. */
int plat_kvm_set_gsi_routing(struct plat_kvm *kvm,
                             const struct plat_msi_route *routes, unsigned n)
{
    (void)kvm;
    (void)routes;
    (void)n;
    return -ENOSYS;
}

int plat_kvm_irqfd(struct plat_kvm *kvm, struct plat_eventfd *efd,
                   uint32_t gsi, bool assign)
{
    (void)kvm;
    (void)efd;
    (void)gsi;
    (void)assign;
    return -ENOSYS;
}

int plat_kvm_ioeventfd(struct plat_kvm *kvm, const struct plat_ioeventfd *io,
                       bool assign)
{
    (void)kvm;
    (void)io;
    (void)assign;
    return -ENOSYS;
}

bool plat_kvm_ioeventfd_any_length(struct plat_kvm *kvm)
{
    (void)kvm;
    return false;
}

int plat_kvm_signal_msi(struct plat_kvm *kvm, uint64_t address,
                        uint32_t data, uint32_t devid)
{
    (void)kvm;
    (void)address;
    (void)data;
    (void)devid;
    return -ENOSYS;
}

int plat_vfio_set_irqs(struct plat_vfio_dev *dev,
                       enum plat_vfio_irq_index index, unsigned start,
                       unsigned count, struct plat_eventfd *const *efds)
{
    (void)dev;
    (void)index;
    (void)start;
    (void)count;
    (void)efds;
    return -ENOSYS;
}

/* plat_vfio_set_state() and plat_vfio_reset() act on the fake devices of
 * host/vfio_host.c. */

bool plat_fault(enum plat_fault_site site)
{
    (void)site;
    return false;
}
