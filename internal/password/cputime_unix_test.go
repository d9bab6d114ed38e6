//go:build unix

package password

import (
	"syscall"
	"time"
)

// processCPUTime returns the user and system CPU time the test process has
// used, so that benchmarks can report the cost of a hash in core time,
// which other load on the machine does not inflate as much as wall time.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
