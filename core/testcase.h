/*
 * core/testcase.h - coverage marks: named counters on the branches of the
 * core that matter most (error paths, fallbacks, cache invalidations), in
 * the spirit of SQLite's testcase().
 *
 * KVMSIM_MARK(NAME) counts one pass through the branch it stands in;
 * KVMSIM_MARK_IF(COND, NAME) counts when COND holds (COND is evaluated once
 * and has no side effects).  tests/marks.txt names, for every mark, the
 * one unit test case that must hit it, and tests/check_marks.sh runs that
 * case alone and fails when the mark stayed at zero, or when a mark is
 * defined here but missing from the manifest (or the other way round).
 *
 * Cost and determinism: a mark is one relaxed C11 atomic increment - no
 * lock, no platform call, so no scheduling point and no tape byte; it is
 * race-free under ThreadSanitizer.  Core code never reads the counters,
 * so they cannot change what a run does.
 *
 * Adding a mark: append X(NAME) to TESTCASE_MARKS, put KVMSIM_MARK(NAME) in
 * the branch, and add a manifest line with the test case that hits it.
 */
#ifndef KVMSIM_CORE_TESTCASE_H
#define KVMSIM_CORE_TESTCASE_H

#include <stdatomic.h>
#include <stdint.h>

#define TESTCASE_MARKS(X)                                                    \
    /* core/vfio_pci_irq.c, core/msix.c (seed 000) */                       \
    X(VFIO_IRQ_GSI_ALLOC_FALLBACK)    /* no GSI: vector on userspace */      \
    X(VFIO_IRQ_COMMIT_FALLBACK)       /* per-vector commit failed */         \
    X(VFIO_IRQ_BATCH_COMMIT_FALLBACK) /* batch commit failed: all fall */    \
    X(VFIO_IRQ_UPDATE_COMMIT_FALLBACK) /* message change not committed */    \
    X(VFIO_IRQ_IRQFD_FALLBACK)        /* KVM_IRQFD assign failed */          \
    X(VFIO_IRQ_SET_IRQS_RETRY)        /* SET_IRQS -EIO retried */            \
    X(VFIO_IRQ_SET_IRQS_GAVE_UP)      /* SET_IRQS failed every try */        \
    X(VFIO_IRQ_MSI_GRANTED_FEWER)     /* MSI enable redone with fewer */     \
    X(MSIX_USE_FAILED_UNWIND)         /* a use callback failed: undo */      \
    /* core/virtio_pci.c (seed 001) */                                       \
    X(VIRTIO_ASSIGN_FAILED)           /* KVM_IOEVENTFD assign refused */     \
    X(VIRTIO_START_UNDO)              /* earlier queues torn down again */   \
    X(VIRTIO_SYNC_FALLBACK)           /* ioeventfd off: synchronous */       \
    X(VIRTIO_POST_STOP_KICK)          /* kick found after the deassign */    \
    X(VIRTIO_DEASSIGN_REFUSED)        /* notifier kept: KVM may signal */    \
    X(VIRTIO_NOTIFIER_STILL_LIVE)     /* start refused on a kept one */      \
    /* core/ioeventfd.c, core/iobus.c, core/coalesced_mmio.c (seed 004) */   \
    X(IOEVENTFD_COLLISION)            /* assign overlaps: -EEXIST */         \
    X(IOEVENTFD_NOMEM)                /* object allocation failed */         \
    X(IOBUS_FULL)                     /* register on a full bus */           \
    X(IOBUS_SNAP_NOMEM)               /* no memory for a new snapshot */     \
    X(IOBUS_UNREGISTER_BUS_RESET)     /* no memory: the bus is emptied */    \
    X(IOBUS_DEFERRED_FREE)            /* old snapshot to plat_call_rcu */    \
    X(COALESCED_RING_FULL)            /* ring full: the write exits */       \
    /* core/its.c, core/its_cache.c (seed 002) */                            \
    X(ITS_INVAL_MAPD)                 /* MAPD of a mapped device */          \
    X(ITS_INVAL_MAPC_UNMAP)           /* MAPC V=0 */                         \
    X(ITS_INVAL_MOVI)                 /* MOVI */                             \
    X(ITS_INVAL_MOVALL)               /* MOVALL */                           \
    X(ITS_INVAL_DISCARD)              /* DISCARD */                          \
    X(ITS_INVAL_SET_HW)               /* LPI forwarded to hardware */        \
    X(ITS_INVAL_ITS_DISABLED)         /* ITS disabled */                     \
    X(ITS_INVAL_LPIS_DISABLED)        /* a vCPU's LPIs disabled */           \
    X(ITS_INSERT_SKIP_HW)             /* forwarded LPI not cached */         \
    X(ITS_LPI_FREE_DEFERRED)          /* last put queued for a grace */      \
    X(ITS_CACHE_TRYGET_FAILED)        /* lockless hit on a dying LPI */      \
    X(ITS_CACHE_INSERT_NOMEM)         /* lockless insert without memory */   \
    /* core/vfio_migration.c, core/vmstate.c (seed 003) */                   \
    X(VFIO_MIG_REQUEST_FAILED)        /* a set-state request failed */       \
    X(VFIO_MIG_RECOVERED)             /* ... and recovery succeeded */       \
    X(VFIO_MIG_RESET_AFTER_FAILURE)   /* ... no recovery: reset */           \
    X(VFIO_MIG_RESET_FAILED)          /* the reset failed too */             \
    X(VFIO_MIG_RESET_FROM_ERROR)      /* ERROR left by a reset first */      \
    X(VFIO_MIG_THREAD_FALLBACK)       /* no thread: transition inline */     \
    X(VMSTATE_HANDLER_ERROR)          /* a handler failed; pass goes on */

enum testcase_mark {
#define TESTCASE_ENUM_(name) TESTCASE_##name,
    TESTCASE_MARKS(TESTCASE_ENUM_)
#undef TESTCASE_ENUM_
    TESTCASE_NR
};

/* Hits per mark since the process started; written only by the macros. */
extern _Atomic uint64_t testcase_hits[TESTCASE_NR];

#define KVMSIM_MARK(name)                                                   \
    ((void)atomic_fetch_add_explicit(&testcase_hits[TESTCASE_##name], 1,   \
                                     memory_order_relaxed))
#define KVMSIM_MARK_IF(cond, name)                                          \
    do {                                                                     \
        if (cond) {                                                          \
            KVMSIM_MARK(name);                                               \
        }                                                                    \
    } while (0)

/* The mark's name as written in TESTCASE_MARKS, or NULL out of range. */
const char *testcase_name(unsigned mark);
/* Hits of a mark so far (0 out of range).  For test harnesses only. */
uint64_t testcase_count(unsigned mark);

#endif
