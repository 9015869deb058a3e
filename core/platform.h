/*
 * core/platform.h - the only door from kvmsim's core algorithms to the world.
 *
 * core/ includes nothing but core/ headers and the C library; everything it
 * needs from outside comes through these calls.  Two implementations exist:
 *
 *   sim/   deterministic: simulated threads are fibers on one OS thread,
 *          time is virtual, every call below is a scheduling point, every
 *          fallible call is a fault site, every choice comes from the tape.
 *   host/  real pthreads, the real clock and real atomics, for
 *          ThreadSanitizer stress runs and host benchmarks.
 *
 * Conventions: errors are negative errno values; names passed to the
 * platform (locks, threads, trace points) must be string literals or
 * otherwise outlive the object, and are compared by content, never by
 * address.  Locks and eventfds are embedded by value in core objects, so
 * initialising them cannot fail.
 */
#ifndef KVMSIM_CORE_PLATFORM_H
#define KVMSIM_CORE_PLATFORM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fault.h"
#include "core/work.h"

/* ---- memory ------------------------------------------------------------ */

/* Uninitialised / zeroed allocation.  NULL on failure (fault site
 * PLAT_FAULT_ALLOC); size 0 is treated as 1. */
void *plat_alloc(size_t size);
void *plat_zalloc(size_t size);
/* NULL is accepted.  In the simulator freed memory is poisoned. */
void plat_free(void *p);

/* ---- locks ------------------------------------------------------------- */

enum plat_lock_kind {
    PLAT_LOCK_SPIN,  /* waiters keep their CPU busy while they wait */
    PLAT_LOCK_MUTEX, /* waiters sleep; their CPU is free for others */
};

/* Opaque storage; each implementation checks that its state fits. */
struct plat_lock {
    _Alignas(16) unsigned char opaque[96];
};

void plat_lock_init(struct plat_lock *l, enum plat_lock_kind kind,
                    const char *name);
/* The lock must be unlocked. */
void plat_lock_destroy(struct plat_lock *l);
void plat_lock(struct plat_lock *l);
void plat_unlock(struct plat_lock *l);
/* True when the calling thread holds l (for assertions in core code). */
bool plat_lock_held(const struct plat_lock *l);

/* Lock rules, checked as lockdep checks them.  A function whose name ends
 * in _locked, or whose comment says "caller holds X", or that updates a
 * structure whose updates X serialises, states the rule in code with
 * plat_lock_assert_held(X) at its top.  It is not a scheduling point and
 * reads no tape.  A broken rule is reported through
 * plat_lock_rule_broken(l, function), which each platform implements:
 *   host  prints the rule and aborts (ThreadSanitizer stress runs);
 *   sim   inside a run records it (lock, function, thread, virtual time,
 *         a trace instant) and lets the run go on; the scenario runner
 *         turns it into the invariant failure "lock_rule: ..." with its
 *         seed and replay command (sim_lock_violations()).  Outside a run
 *         (unit tests calling core directly) it is an engine panic, which
 *         fails the test as a crash.
 * l may be a lock of any state but destroyed. */
void plat_lock_rule_broken(const struct plat_lock *l, const char *function);
#define plat_lock_assert_held(l)                                             \
    do {                                                                     \
        const struct plat_lock *plat_assert_l_ = (l);                        \
        if (!plat_lock_held(plat_assert_l_)) {                               \
            plat_lock_rule_broken(plat_assert_l_, __func__);                 \
        }                                                                    \
    } while (0)

/* ---- threads ----------------------------------------------------------- */

struct plat_thread;

/* Start fn(arg) on a new thread named name.  On success *out is the handle
 * that plat_thread_join() consumes.  Fails with -EAGAIN (fault site
 * PLAT_FAULT_THREAD_CREATE) or -ENOMEM; then fn is never called. */
int plat_thread_create(struct plat_thread **out, const char *name,
                       void (*fn)(void *arg), void *arg);
/* Wait for the thread to finish and release its handle. */
void plat_thread_join(struct plat_thread *t);

/* An explicit exploration point: lets the scheduler run someone else. */
void plat_yield(void);

/* ---- atomics ----------------------------------------------------------- */

/* The atomics whose interleavings matter.  Each is a scheduling point in the
 * simulator; all are sequentially consistent. */
typedef struct {
    _Atomic uint64_t v;
} plat_atomic64;

typedef struct {
    void *_Atomic p;
} plat_atomic_ptr;

uint64_t plat_atomic_load(plat_atomic64 *a);
void plat_atomic_store(plat_atomic64 *a, uint64_t v);
uint64_t plat_atomic_fetch_add(plat_atomic64 *a, uint64_t v);
uint64_t plat_atomic_fetch_sub(plat_atomic64 *a, uint64_t v);
/* On failure *expected receives the current value. */
bool plat_atomic_cmpxchg(plat_atomic64 *a, uint64_t *expected,
                         uint64_t desired);
void *plat_atomic_load_ptr(plat_atomic_ptr *a);
void plat_atomic_store_ptr(plat_atomic_ptr *a, void *p);

/* ---- read-side grace periods (RCU) ------------------------------------- */

/* Readers may nest.  Pointers published with plat_atomic_store_ptr() and
 * read inside a read-side section stay valid until plat_rcu_synchronize()
 * returns in the updater. */
void plat_rcu_read_lock(void);
void plat_rcu_read_unlock(void);
/* Waits until every read-side section that had begun when it was called
 * has ended.  Must not be called inside a read-side section. */
void plat_rcu_synchronize(void);

/* Deferred grace periods (call_rcu).  The head is embedded by value in the
 * object it frees; initialising it is plat_call_rcu()'s job.  fn(head)
 * runs after every read-side section that had begun when plat_call_rcu()
 * was called has ended.  plat_call_rcu() never blocks and never fails; it
 * may be called inside a read-side section or with core locks held.
 * Callbacks run one at a time, in the order they were queued, on a thread
 * of the platform (sim: a simulated kernel thread "rcu callbacks"; host: a
 * helper pthread), outside any read-side section and with no core lock
 * held; fn may free the object holding head.  head must not be queued
 * again before its callback has run. */
struct plat_rcu_head {
    _Alignas(16) unsigned char opaque[64];
};
typedef void (*plat_rcu_fn)(struct plat_rcu_head *head);
void plat_call_rcu(struct plat_rcu_head *head, plat_rcu_fn fn);
/* Waits until every callback queued before the call has run; returns at
 * once when none is pending.  Must not be called inside a read-side
 * section or from a callback.  A callback still queued when its simulation
 * ends and is torn down is reported as lost (sim/sim.h). */
void plat_rcu_barrier(void);

/* ---- eventfds ---------------------------------------------------------- */

struct plat_eventfd {
    _Alignas(16) unsigned char opaque[160];
};

void plat_eventfd_init(struct plat_eventfd *e, const char *name);
void plat_eventfd_destroy(struct plat_eventfd *e);
/* Adds one to the counter and wakes waiters. */
void plat_eventfd_signal(struct plat_eventfd *e);
/* Reads and zeroes the counter; true when it was non-zero. */
bool plat_eventfd_test_and_clear(struct plat_eventfd *e);
/* Blocks until the counter is non-zero; does not clear it. */
void plat_eventfd_wait(struct plat_eventfd *e);

/* ---- CPU and time ------------------------------------------------------ */

/* The (simulated) physical CPU the caller runs on. */
unsigned plat_cpu_id(void);
/* Nanoseconds on the platform clock (virtual in the simulator). */
uint64_t plat_now_ns(void);
/* Spend ns of CPU time on the caller's CPU (no-op on the host). */
void plat_spend_ns(uint64_t ns);
/* Perform `units` of modelled work of one kind; the simulator charges the
 * cost model's price for it, the host does nothing (real work costs real
 * time there). */
void plat_work(enum plat_work_kind kind, uint64_t units);

/* ---- cache lines --------------------------------------------------------
 *
 * A line of shared core state whose movement between CPUs costs time: a
 * lock word, a list head or node, a refcount.  Core code embeds one per
 * line it wants priced and touches it where it reads or writes that line.
 * The simulator prices a touch by a MESI-like rule (sim/coherence.c): a
 * read or an atomic read-modify-write of a line last written on another
 * CPU, or an atomic of a line another CPU holds, stalls for one transfer
 * (cost model line_transfer_ns); a plain store takes the line without
 * stalling (the store buffer hides it; the next reader elsewhere pays).
 * A touch is not a scheduling point and reads no tape.  The host backend
 * does nothing (real lines cost real time there).  A zeroed line is valid
 * (held by no CPU); plat_line_init() also gives it the next id of its
 * simulation (an identity in creation order, never an address; nothing
 * is priced by it). */
struct plat_line {
    _Alignas(8) unsigned char opaque[16];
};

enum plat_line_access {
    PLAT_LINE_READ,  /* a load */
    PLAT_LINE_STORE, /* a plain store (list links, fields) */
    PLAT_LINE_RMW,   /* an atomic: lock acquire, refcount */
};

void plat_line_init(struct plat_line *l);
void plat_line_touch(struct plat_line *l, enum plat_line_access access);

/* ---- the kernel as the VMM sees it ------------------------------------- */

/* Opaque handles the platform gives the VMM-side core objects: a VM in the
 * (simulated) kernel and an assigned VFIO device. */
struct plat_kvm;
struct plat_vfio_dev;

/* One MSI route of KVM_SET_GSI_ROUTING. */
struct plat_msi_route {
    uint32_t gsi;
    uint32_t data;
    uint64_t address;
    uint32_t devid;
};

/* KVM_SET_GSI_ROUTING: replace the VM's whole routing table.  -EINVAL for
 * more than 4096 routes or a GSI twice; -ENOMEM (fault site
 * PLAT_FAULT_KVM_SET_GSI_ROUTING).  On failure the old table stays. */
int plat_kvm_set_gsi_routing(struct plat_kvm *kvm,
                             const struct plat_msi_route *routes,
                             unsigned n);
/* KVM_IRQFD: bind (assign) or unbind an eventfd to a GSI.  Assign fails
 * with -EBUSY when the eventfd is already bound, -ENOMEM (fault site
 * PLAT_FAULT_KVM_IRQFD); deassign with -ENOENT when not bound.  An irqfd
 * whose GSI has no route drops the interrupts it receives. */
int plat_kvm_irqfd(struct plat_kvm *kvm, struct plat_eventfd *efd,
                   uint32_t gsi, bool assign);
/* KVM_IOEVENTFD: a guest write to addr (of len bytes, and with value data
 * when datamatch) signals efd instead of exiting to userspace.  len 0
 * (MMIO only, no datamatch) matches any access length where the kernel
 * offers it (plat_kvm_ioeventfd_any_length).  Errors as KVM: -EINVAL,
 * -EEXIST, -ENOSPC, -ENOENT (deassign), -ENOMEM (fault site
 * PLAT_FAULT_KVM_IOEVENTFD on assign). */
struct plat_ioeventfd {
    uint64_t addr;
    uint32_t len;
    bool pio;
    bool datamatch;
    uint64_t data;
    struct plat_eventfd *efd;
};
int plat_kvm_ioeventfd(struct plat_kvm *kvm, const struct plat_ioeventfd *io,
                       bool assign);
/* KVM_CAP_IOEVENTFD_ANY_LENGTH. */
bool plat_kvm_ioeventfd_any_length(struct plat_kvm *kvm);

/* KVM_SIGNAL_MSI: inject one MSI from userspace. */
int plat_kvm_signal_msi(struct plat_kvm *kvm, uint64_t address,
                        uint32_t data, uint32_t devid);

enum plat_vfio_irq_index {
    PLAT_VFIO_IRQ_MSI = 1,
    PLAT_VFIO_IRQ_MSIX = 2,
};

/* VFIO_DEVICE_SET_IRQS with ACTION_TRIGGER: vectors start..start+count-1
 * signal efds[i] (NULL: that vector triggers nothing).  count == 0 disables
 * the index.  Enabling MSI with more vectors than the host can give
 * returns the number it can give (> 0) and changes nothing; -EINVAL for a
 * range beyond the device's vectors; -EIO (fault site
 * PLAT_FAULT_VFIO_SET_IRQS). */
int plat_vfio_set_irqs(struct plat_vfio_dev *dev,
                       enum plat_vfio_irq_index index, unsigned start,
                       unsigned count, struct plat_eventfd *const *efds);

/* VFIO migration device states, numbered as the kernel's uAPI numbers
 * them. */
enum plat_vfio_mig_state {
    PLAT_VFIO_STATE_ERROR = 0,
    PLAT_VFIO_STATE_STOP = 1,
    PLAT_VFIO_STATE_RUNNING = 2,
    PLAT_VFIO_STATE_STOP_COPY = 3,
    PLAT_VFIO_STATE_RESUMING = 4,
    PLAT_VFIO_STATE_RUNNING_P2P = 5,
    PLAT_VFIO_STATE_PRE_COPY = 6,
    PLAT_VFIO_STATE_PRE_COPY_P2P = 7,
};

/* VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: move the device to `state`; the
 * kernel steps along legal arcs, each taking the device's time.  0, or
 * -EINVAL (no legal path, ERROR requested), -EIO (fault site
 * PLAT_FAULT_VFIO_SET_STATE; the device is then in ERROR or in the last
 * state reached, which *reached reports either way). */
int plat_vfio_set_state(struct plat_vfio_dev *dev,
                        enum plat_vfio_mig_state state,
                        enum plat_vfio_mig_state *reached);
/* VFIO_DEVICE_RESET: back to RUNNING from any state.  -EIO (fault site
 * PLAT_FAULT_VFIO_RESET) leaves the state unchanged. */
int plat_vfio_reset(struct plat_vfio_dev *dev);

/* ---- trace and faults -------------------------------------------------- */

/* A named span on the calling thread; spans nest. */
void plat_trace_begin(const char *name);
void plat_trace_end(void);
/* A point event with one integer argument. */
void plat_trace_instant(const char *name, int64_t arg);
/* A counter track value. */
void plat_trace_counter(const char *name, int64_t value);

/* True when this call of a fallible operation at `site` must fail.  Core code
 * calls it once per fallible operation and turns true into its error. */
bool plat_fault(enum plat_fault_site site);

#endif
