/*
 * model/seeds.h - the figures the five seed patches publish, as they
 * publish them.  These are the targets the cost model is fitted on (one
 * column each) and the figures it must predict (the others).
 */
#ifndef KVMSIM_MODEL_SEEDS_H
#define KVMSIM_MODEL_SEEDS_H

/* 000: vfio_msix_enable per VF at migration resume, 128 vCPUs, 8 VFs with
 * 65 vectors each; ms; "irqfds" is the count already assigned when that
 * VF's enable starts plus its own. */
#define SEED000_VFS 8
#define SEED000_VECTORS 65
#define SEED000_VCPUS 128
extern const double seed000_before_ms[SEED000_VFS];
extern const double seed000_after_ms[SEED000_VFS];
extern const unsigned seed000_irqfds[SEED000_VFS];
#define SEED000_BEFORE_TOTAL_MS 258.0
#define SEED000_AFTER_TOTAL_MS 21.0

/* 004: exits per second of a guest accessing one byte continuously while
 * 200 ioeventfds sit on another byte (every access exits to userspace);
 * before = linear scan of the bus devices, after = sorted ranges +
 * bsearch. */
#define SEED004_IOEVENTFDS 200
#define SEED004_BEFORE_EXITS_PER_S 259000.0
#define SEED004_AFTER_EXITS_PER_S 274000.0

/* 002: mean virtual-interrupt injection latency (irqfd_wakeup +
 * irqfd_inject + kworker context switch), us, with every NIC receiving
 * iperf UDP at 40 Mbit/s in 64-byte datagrams; kworker = no translation
 * cache, global = one LRU under the per-VM lock, sharded = 8 LRUs. */
#define SEED002_MBIT_PER_NIC 40.0
#define SEED002_PACKET_BYTES 64
#define SEED002_KWORKER_1NIC_US 6.692
#define SEED002_KWORKER_10NIC_US 7.536
#define SEED002_GLOBAL_1NIC_US 1.766
#define SEED002_GLOBAL_10NIC_US 2.574
#define SEED002_SHARDED_1NIC_US 1.694
#define SEED002_SHARDED_10NIC_US 1.848

#endif
