/*
 * core/vmstate.h - VM change-state handlers: what runs, and in which
 * order, when a VM starts or stops.
 *
 * Each handler has a priority and up to two callbacks, `prepare` and
 * `main`.  Handlers are kept sorted by priority; handlers of equal
 * priority keep the order they were added in.  A change-state pass
 * (vmstate_notify) runs every prepare callback, in order, before any main
 * callback; starting walks the handlers by ascending priority, stopping by
 * descending priority.
 *
 * A device's depth in the device tree maps to its priority band
 * (vmstate_prio()): deeper devices get larger priorities, so parents start
 * first and stop last.  Each depth owns three priorities, so a handler can
 * sit just below (adjust -1) or just above (adjust +1) every ordinary
 * handler of its depth without crossing into a neighbouring depth.
 *
 * Assumes one thread registers, removes and notifies (QEMU's main loop);
 * callbacks must not add or remove handlers.  Handler storage belongs to
 * the caller (embedded entries), so adding cannot fail.
 */
#ifndef KVMSIM_CORE_VMSTATE_H
#define KVMSIM_CORE_VMSTATE_H

#include <stdbool.h>
#include <stdint.h>

/* The run states a change-state pass reports (a subset of QEMU's). */
enum vmstate_run_state {
    VMSTATE_RS_RUNNING = 0,        /* the VM starts or runs */
    VMSTATE_RS_PAUSED = 1,         /* stopped by the user */
    VMSTATE_RS_FINISH_MIGRATE = 2, /* stopped for migration switchover */
    VMSTATE_RS_INMIGRATE = 3,      /* destination waiting for the state */
    VMSTATE_RS_POSTMIGRATE = 4,    /* source after a completed migration */
    VMSTATE_RS_SHUTDOWN = 5,       /* stopped for good */
    VMSTATE_RS_NR
};

/* A callback: 0 or a negative errno, which the pass reports. */
typedef int (*vmstate_cb)(void *opaque, bool running,
                          enum vmstate_run_state state);

struct vmstate_entry {
    const char *name;    /* for traces and checkers; outlives the entry */
    vmstate_cb prepare;  /* may be NULL */
    vmstate_cb main;     /* may be NULL */
    void *opaque;
    int prio;
    unsigned depth;      /* device-tree depth it was added for */
    uint64_t seq;        /* order of addition (ties in prio) */
    struct vmstate_entry *prev, *next;
    bool linked;
};

/* What a pass reports to an observer, in order. */
enum vmstate_event {
    VMSTATE_EV_PASS_BEGIN = 0,  /* e is NULL */
    VMSTATE_EV_PREPARE = 1,     /* e's prepare callback is about to run */
    VMSTATE_EV_MAIN = 2,        /* e's main callback is about to run */
    VMSTATE_EV_PASS_END = 3,    /* e is NULL; every callback returned */
};

typedef void (*vmstate_observer)(void *arg, enum vmstate_event ev,
                                 const struct vmstate_entry *e,
                                 bool running);

struct vmstate_list {
    struct vmstate_entry *head, *tail;
    uint64_t next_seq;
    unsigned count;
    uint64_t passes;
    bool in_pass;
    vmstate_observer observer;
    void *observer_arg;
};

#define VMSTATE_PRIO_PER_DEPTH 3
#define VMSTATE_DEPTH_MAX 1000

void vmstate_list_init(struct vmstate_list *l);
/* Optional observer (a trace point); NULL removes it.  It runs on the
 * notifying thread. */
void vmstate_set_observer(struct vmstate_list *l, vmstate_observer fn,
                          void *arg);

/* The priority of a handler at device-tree `depth` (clamped to
 * VMSTATE_DEPTH_MAX) with `adjust` in [-1, 1] (clamped). */
int vmstate_prio(unsigned depth, int adjust);

/* Link e with the given callbacks at priority prio, after every handler
 * of equal priority.  Cannot fail; e must not be linked already (then
 * nothing happens). */
void vmstate_add(struct vmstate_list *l, struct vmstate_entry *e,
                 const char *name, vmstate_cb main, vmstate_cb prepare,
                 void *opaque, int prio);
/* The same at a device's depth: priority vmstate_prio(depth, adjust). */
void vmstate_add_dev(struct vmstate_list *l, struct vmstate_entry *e,
                     const char *name, vmstate_cb main, vmstate_cb prepare,
                     void *opaque, unsigned depth, int adjust);
/* The general form: recorded at `depth`, ordered by `prio`. */
void vmstate_add_dev_prio(struct vmstate_list *l, struct vmstate_entry *e,
                          const char *name, vmstate_cb main,
                          vmstate_cb prepare, void *opaque, unsigned depth,
                          int prio);
/* Unlink e; an unlinked e is ignored. */
void vmstate_del(struct vmstate_list *l, struct vmstate_entry *e);

/* One change-state pass.  Every callback runs, even after one failed, so
 * paired handlers stay paired; returns 0 or the first error.  -EBUSY,
 * without running anything, when called from inside a pass. */
int vmstate_notify(struct vmstate_list *l, bool running,
                   enum vmstate_run_state state);

/* Stable name of a run state ("?" when out of range). */
const char *vmstate_run_state_name(enum vmstate_run_state s);

#endif
