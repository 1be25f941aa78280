package kernels

import "syscall"

// osYield gives the processor to another runnable thread of the machine, if
// there is one (sched_yield); it returns at once otherwise.
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
