/*
 * sim/kvm.h - the simulated KVM and VFIO kernel side that VMM-side core code
 * reaches through core/platform.h: a VM's GSI routing table and irqfds,
 * MSI delivery into the guest, and assigned VFIO devices with MSI and
 * MSI-X interrupt triggers.
 *
 * The guest is reduced to what the invariants need: a count of MSIs
 * received per message (address, data).  Costs come from the simulation's
 * cost model and are charged to the calling thread.
 */
#ifndef KVMSIM_SIM_KVM_H
#define KVMSIM_SIM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/platform.h"

#define SIM_KVM_MAX_ROUTES 4096

/* NULL on ENOMEM. */
struct plat_kvm *sim_kvm_create(unsigned nvcpus);
/* Unbinds every irqfd (their eventfds may then be destroyed). */
void sim_kvm_destroy(struct plat_kvm *kvm);

/* MSIs the guest received with this message. */
uint64_t sim_kvm_delivered(const struct plat_kvm *kvm, uint64_t address,
                           uint32_t data);
uint64_t sim_kvm_delivered_total(const struct plat_kvm *kvm);
/* Interrupts an irqfd received while its GSI had no route (lost). */
uint64_t sim_kvm_dropped(const struct plat_kvm *kvm);
/* Irqfds assigned to a GSI the routing table did not hold at the time. */
uint64_t sim_kvm_bound_before_route(const struct plat_kvm *kvm);
/* The committed routing table (sorted by GSI) and its size. */
unsigned sim_kvm_routes(const struct plat_kvm *kvm,
                        const struct plat_msi_route **routes);
unsigned sim_kvm_nirqfds(const struct plat_kvm *kvm);
/* GSI of the irqfd on efd, or -1. */
int sim_kvm_irqfd_gsi(const struct plat_kvm *kvm,
                      const struct plat_eventfd *efd);
uint64_t sim_kvm_commits(const struct plat_kvm *kvm);

/* ---- I/O: the VM's PIO, MMIO and FAST_MMIO buses ---- */

struct iobus_hit;
struct iobus_set;
struct coalesced_mmio_set;

/* The VM's buses (lookup variant: iobus_set_lookup()), for registering
 * in-kernel devices and reading what is there.  Torn down with the VM. */
struct iobus_set *sim_kvm_iobus(struct plat_kvm *kvm);
struct coalesced_mmio_set *sim_kvm_coalesced(struct plat_kvm *kvm);
uint32_t sim_kvm_nioeventfds(struct plat_kvm *kvm);
/* Whether length-0 ioeventfds are offered (default on). */
void sim_kvm_set_ioeventfd_any_length(struct plat_kvm *kvm, bool on);

/* A vCPU's PIO or MMIO access, as KVM handles the exit: an MMIO write is
 * first offered to FAST_MMIO (length-0 ioeventfds), then the bus is
 * searched (its probes cost PLAT_WORK_IOBUS_PROBE each).  Charges the
 * lightweight exit, plus the userspace round trip when nothing in the
 * kernel handled it.  Returns 0 when the kernel handled it, 1 when the
 * access exits to userspace (the caller emulates it), or -EINVAL for a
 * malformed access.  hit (may be NULL) says what handled it. */
int sim_kvm_vcpu_io(struct plat_kvm *kvm, bool pio, uint64_t addr,
                    unsigned len, void *data, bool write,
                    struct iobus_hit *hit);
uint64_t sim_kvm_io_exits(const struct plat_kvm *kvm, bool user);

/* ---- VFIO devices ---- */

/* A device with `msix` MSI-X vectors and `msi` MSI vectors, of which the
 * host can enable at most `msi_host_max` (0: all).  NULL on ENOMEM. */
struct plat_vfio_dev *sim_vfio_create(const char *name, unsigned msix,
                                      unsigned msi, unsigned msi_host_max);
void sim_vfio_destroy(struct plat_vfio_dev *dev);
/* The device raises vector `vector` of `index`: signals the eventfd the
 * host set for it.  1 when signalled, 0 when the vector has no trigger
 * (the interrupt is lost and counted). */
int sim_vfio_fire(struct plat_vfio_dev *dev, enum plat_vfio_irq_index index,
                  unsigned vector);
/* Vectors enabled on the host for index (0: disabled). */
unsigned sim_vfio_enabled(const struct plat_vfio_dev *dev,
                          enum plat_vfio_irq_index index);
uint64_t sim_vfio_lost(const struct plat_vfio_dev *dev);
uint64_t sim_vfio_set_irqs_calls(const struct plat_vfio_dev *dev);
/* Migration state, latencies and counters: sim/vfio_mig.h. */

#endif
