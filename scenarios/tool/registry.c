/*
 * scenarios/tool/registry.c - every scenario driver, in `kvmsim list` order.
 */
#include <stddef.h>
#include <string.h>

#include "scenarios/tool/scenario.h"

extern const struct scn_driver scn_demo_driver;
extern const struct scn_driver scn_msix_driver;
extern const struct scn_driver scn_iobus_driver;
extern const struct scn_driver scn_iobus_boot_driver;
extern const struct scn_driver scn_switchover_driver;
extern const struct scn_driver scn_its_driver;
extern const struct scn_driver scn_virtio_blk_driver;
extern const struct scn_driver scn_virtio_net_driver;

const struct scn_driver *const scn_drivers[] = {
    &scn_demo_driver,
    &scn_msix_driver,
    &scn_iobus_driver,
    &scn_iobus_boot_driver,
    &scn_switchover_driver,
    &scn_its_driver,
    &scn_virtio_blk_driver,
    &scn_virtio_net_driver,
    NULL,
};

/* Former names, accepted on lookup only. */
static const struct {
    const char *former;
    const char *current;
} scn_renamed[] = {
    {"lpi-storm", "its-lpi-storm"},
};

const char *scn_name_current(const char *name)
{
    for (size_t i = 0; i < sizeof(scn_renamed) / sizeof(scn_renamed[0]);
         i++) {
        if (strcmp(name, scn_renamed[i].former) == 0) {
            return scn_renamed[i].current;
        }
    }
    return name;
}
