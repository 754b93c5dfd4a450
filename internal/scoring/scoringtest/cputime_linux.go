package scoringtest

import (
	"syscall"
	"time"
)

// threadTime is the CPU time the calling OS thread has used.
func threadTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_THREAD, &ru) // fails only on kernels before 2.6.26
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
