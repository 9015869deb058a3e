/*
 * sim/arch/switch_aarch64.S - fiber context switch for AArch64 (AAPCS64).
 *
 * sim_arch_switch(void **save_sp, void *new_sp): save x19-x30 and d8-d15 in
 * a 160-byte frame on the current stack, store sp in *save_sp, load new_sp
 * and restore the frame found there.  A new fiber's frame (fiber.c) holds
 * the entry function in x19, its argument in x20 and sim_arch_trampoline
 * in x30.
 */
    .text
    .globl sim_arch_switch
    .type sim_arch_switch, %function
sim_arch_switch:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size sim_arch_switch, .-sim_arch_switch

    .globl sim_arch_trampoline
    .type sim_arch_trampoline, %function
sim_arch_trampoline:
    mov x0, x20
    blr x19
    brk #0
    .size sim_arch_trampoline, .-sim_arch_trampoline

    .section .note.GNU-stack,"",%progbits
