/*
 * model/virtio/virtio_fuzz.h - an opcode stream of guest kicks and
 * control transitions run against a stepped virtio world
 * (scenarios/virtio/virtio_world.h), with the world's invariants
 * (model/virtio/virtio_check.h) as the oracle.  Shared by
 * fuzz/fuzz_virtio.c and tests/test_virtio.c.
 *
 * Encoding (stable under mutation: a fixed header, then fixed-size
 * operations; a trailing partial operation is ignored): byte 0 configures
 * the world - bit 0 modern transport (else legacy), bit 1 virtio-net
 * (else virtio-blk), bit 2 ioeventfd property off, bit 3 no length-0
 * ioeventfds; bytes 1..3 are the device's queue size, a model/domain.h
 * field over 1..32768 (the virtio maximum; boundaries 0, 1, 32767, 32768,
 * 32769, powers of two and one less, extras 8 - the default -, 4, 16,
 * 256, 1024): the world must refuse every size but a power of two from 4
 * to VIRTQUEUE_MAX_SIZE, and a refused world ends the run.  Then every 4
 * bytes are one operation: opcode = byte 0 % VIRTIO_FUZZ_OP_NR, byte 1
 * its argument (bytes 2 and 3 only extend the argument of opcode 18).
 * Opcodes:
 *   0 submit a request on queue arg     1 reap queue arg
 *   2 iothread dispatch round           3 vhost worker dispatch round
 *   4 disk finishes arg % 4 + 1 requests
 *   5 guest status write: arg % 4 = 0 DRIVER_OK, 1 without it, 2 reset
 *     (0), 3 FAILED
 *   6 guest driver init (reset, bus master, rings, DRIVER_OK)
 *   7 bus master on (arg odd) or off   8 legacy reset (queue PFN 0)
 *   9 VM resume (arg odd) or stop      10 vhost grab (odd) or release
 *  11 the (arg % 4 + 1)th next KVM_IOEVENTFD assign fails (every one
 *     from then on when arg >= 128)
 *  12 host device reset                13 unplug (only when arg % 16 == 0)
 *  14 migration                        15 length-0 ioeventfds on (odd) / off
 *  16 corrupt a ring byte (request checks off from then on)
 *  17 raw register write (guest-view checks off from then on)
 *  18 the guest writes queue 0's size register with bytes 1..3, a
 *     queue-size field like the header's (guest-view checks off)
 * At the end every loop and the disk run until nothing moves and every
 * eligible request must have completed.
 */
#ifndef KVMSIM_SCN_VIRTIO_FUZZ_H
#define KVMSIM_SCN_VIRTIO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "model/domain.h"

#define VIRTIO_FUZZ_OP_NR 19
#define VIRTIO_FUZZ_HDR 4
#define VIRTIO_FUZZ_OP_BYTES 4
#define VIRTIO_FUZZ_QUEUE_MAX 32768 /* the virtio spec's largest queue */
#define VIRTIO_FUZZ_NR_FIELDS 2

/* 0 when every invariant held; -1 with the first violation in err. */
int virtio_fuzz_run(const uint8_t *ops, size_t n, char *err, size_t errlen);

/* The numeric fields (device queue size, guest-written queue size), for
 * decoder tests; returns how many. */
size_t virtio_fuzz_fields(const struct dom_field **out);

#endif
