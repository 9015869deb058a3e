/*
 * model/seeds.c - published seed figures (see model/seeds.h).
 */
#include "model/seeds.h"

const double seed000_before_ms[SEED000_VFS] = {8, 15, 22, 24, 36, 44, 51, 58};
const double seed000_after_ms[SEED000_VFS] = {2, 2, 2, 3, 2, 3, 3, 4};
const unsigned seed000_irqfds[SEED000_VFS] = {65,  130, 195, 260,
                                              325, 390, 455, 520};
