/*
 * sim/arch/switch_x86_64.S - fiber context switch for x86-64 (System V).
 *
 * sim_arch_switch(void **save_sp, void *new_sp): push the callee-saved
 * registers on the current stack, store the stack pointer in *save_sp, load
 * new_sp and pop the registers saved there.  Floating-point control state
 * (MXCSR, x87 control word) is shared by all fibers and is not switched.
 *
 * A new fiber's stack is prepared by sim_arch_init_stack() (fiber.c) so the
 * first switch "returns" into sim_arch_trampoline with the entry function
 * in r13 and its argument in r12.
 */
    .text
    .globl sim_arch_switch
    .type sim_arch_switch, @function
sim_arch_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size sim_arch_switch, .-sim_arch_switch

    .globl sim_arch_trampoline
    .type sim_arch_trampoline, @function
sim_arch_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size sim_arch_trampoline, .-sim_arch_trampoline

    .section .note.GNU-stack,"",@progbits
