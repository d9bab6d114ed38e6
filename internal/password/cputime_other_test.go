//go:build !unix

package password

import "time"

// processCPUTime is not available here; benchmarks skip the metric.
func processCPUTime() (time.Duration, bool) { return 0, false }
