/*
 * core/vmstate.c - VM change-state handlers (see vmstate.h): a doubly
 * linked list sorted by priority, stable for equal priorities, walked
 * forwards to start and backwards to stop.
 *
 * Assumes a single notifying thread and no changes to the list while a
 * pass walks it.
 */
#include <errno.h>
#include <stddef.h>

#include "core/platform.h"
#include "core/testcase.h"
#include "core/vmstate.h"

void vmstate_list_init(struct vmstate_list *l)
{
    l->head = NULL;
    l->tail = NULL;
    l->next_seq = 0;
    l->count = 0;
    l->passes = 0;
    l->in_pass = false;
    l->observer = NULL;
    l->observer_arg = NULL;
}

void vmstate_set_observer(struct vmstate_list *l, vmstate_observer fn,
                          void *arg)
{
    l->observer = fn;
    l->observer_arg = arg;
}

int vmstate_prio(unsigned depth, int adjust)
{
    if (depth > VMSTATE_DEPTH_MAX) {
        depth = VMSTATE_DEPTH_MAX;
    }
    if (adjust < -1) {
        adjust = -1;
    } else if (adjust > 1) {
        adjust = 1;
    }
    /* Band of depth d: 3d, 3d+1 (ordinary), 3d+2. */
    return (int)depth * VMSTATE_PRIO_PER_DEPTH + 1 + adjust;
}

static void link_sorted(struct vmstate_list *l, struct vmstate_entry *e)
{
    struct vmstate_entry *at = l->head;

    /* The first entry ordered after e; equal priorities stay in the order
     * they were added, so e goes after all of them. */
    while (at && at->prio <= e->prio) {
        at = at->next;
    }
    e->next = at;
    e->prev = at ? at->prev : l->tail;
    if (e->prev) {
        e->prev->next = e;
    } else {
        l->head = e;
    }
    if (at) {
        at->prev = e;
    } else {
        l->tail = e;
    }
    e->linked = true;
    l->count++;
}

void vmstate_add_dev_prio(struct vmstate_list *l, struct vmstate_entry *e,
                          const char *name, vmstate_cb main,
                          vmstate_cb prepare, void *opaque, unsigned depth,
                          int prio)
{
    if (e->linked) {
        return;
    }
    e->name = name ? name : "handler";
    e->main = main;
    e->prepare = prepare;
    e->opaque = opaque;
    e->prio = prio;
    e->depth = depth;
    e->seq = l->next_seq++;
    link_sorted(l, e);
}

void vmstate_add(struct vmstate_list *l, struct vmstate_entry *e,
                 const char *name, vmstate_cb main, vmstate_cb prepare,
                 void *opaque, int prio)
{
    unsigned depth = 0;

    if (prio >= 0) {
        depth = (unsigned)prio / VMSTATE_PRIO_PER_DEPTH;
    }
    vmstate_add_dev_prio(l, e, name, main, prepare, opaque, depth, prio);
}

void vmstate_add_dev(struct vmstate_list *l, struct vmstate_entry *e,
                     const char *name, vmstate_cb main, vmstate_cb prepare,
                     void *opaque, unsigned depth, int adjust)
{
    if (depth > VMSTATE_DEPTH_MAX) {
        depth = VMSTATE_DEPTH_MAX;
    }
    vmstate_add_dev_prio(l, e, name, main, prepare, opaque, depth,
                         vmstate_prio(depth, adjust));
}

void vmstate_del(struct vmstate_list *l, struct vmstate_entry *e)
{
    if (!e->linked) {
        return;
    }
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        l->head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        l->tail = e->prev;
    }
    e->prev = NULL;
    e->next = NULL;
    e->linked = false;
    l->count--;
}

static void observe(struct vmstate_list *l, enum vmstate_event ev,
                    const struct vmstate_entry *e, bool running)
{
    if (l->observer) {
        l->observer(l->observer_arg, ev, e, running);
    }
}

/* One phase of a pass: every prepare (or main) callback in the order the
 * direction gives.  Returns the first error, keeps going after it. */
static int run_phase(struct vmstate_list *l, bool prepare, bool running,
                     enum vmstate_run_state state)
{
    struct vmstate_entry *e = running ? l->head : l->tail;
    int first = 0;

    while (e) {
        struct vmstate_entry *next = running ? e->next : e->prev;
        vmstate_cb cb = prepare ? e->prepare : e->main;

        if (cb) {
            int rc;

            observe(l, prepare ? VMSTATE_EV_PREPARE : VMSTATE_EV_MAIN, e,
                    running);
            rc = cb(e->opaque, running, state);
            if (rc < 0 && first == 0) {
                KVMSIM_MARK(VMSTATE_HANDLER_ERROR);
                first = rc;
            }
        }
        e = next;
    }
    return first;
}

int vmstate_notify(struct vmstate_list *l, bool running,
                   enum vmstate_run_state state)
{
    int rc, rc2;

    if (l->in_pass) {
        return -EBUSY;
    }
    l->in_pass = true;
    l->passes++;
    plat_trace_begin(running ? "vm start handlers" : "vm stop handlers");
    observe(l, VMSTATE_EV_PASS_BEGIN, NULL, running);
    rc = run_phase(l, true, running, state);
    rc2 = run_phase(l, false, running, state);
    observe(l, VMSTATE_EV_PASS_END, NULL, running);
    plat_trace_end();
    l->in_pass = false;
    return rc ? rc : rc2;
}

const char *vmstate_run_state_name(enum vmstate_run_state s)
{
    static const char *const names[VMSTATE_RS_NR] = {
        "running", "paused", "finish-migrate", "inmigrate",
        "postmigrate", "shutdown",
    };

    return (unsigned)s < VMSTATE_RS_NR ? names[s] : "?";
}
