/*
 * scenarios/src/registry.c - every scenario driver, in `kvmsim list` order.
 */
#include <stddef.h>

#include "scenarios/src/scenario.h"

extern const struct scn_driver scn_demo_driver;
extern const struct scn_driver scn_msix_driver;
extern const struct scn_driver scn_iobus_driver;
extern const struct scn_driver scn_iobus_boot_driver;
extern const struct scn_driver scn_switchover_driver;
extern const struct scn_driver scn_lpi_driver;
extern const struct scn_driver scn_virtio_blk_driver;
extern const struct scn_driver scn_virtio_net_driver;

const struct scn_driver *const scn_drivers[] = {
    &scn_demo_driver,
    &scn_msix_driver,
    &scn_iobus_driver,
    &scn_iobus_boot_driver,
    &scn_switchover_driver,
    &scn_lpi_driver,
    &scn_virtio_blk_driver,
    &scn_virtio_net_driver,
    NULL,
};
