package web

import (
	"fmt"
	"strings"

	"deploy/orchestrator"
)

// dutiesText says where the service's jobs run, how its cache does and
// when its next scheduled restart is; "" when it has none of them.
func dutiesText(svc orchestrator.ServiceStatus) string {
	var parts []string
	for _, j := range svc.Jobs {
		switch {
		case j.Failed != "":
			parts = append(parts, fmt.Sprintf("job %s on %s FAILED: %s", j.Job, j.Slot, j.Failed))
		case !j.DrainingSince.IsZero():
			parts = append(parts, fmt.Sprintf("job %s draining on %s since %s", j.Job, j.Slot, clock(j.DrainingSince)))
		default:
			parts = append(parts, fmt.Sprintf("job %s runs on %s (pid %d)", j.Job, j.Slot, j.PID))
		}
	}
	if c := svc.Cache; c != nil {
		ratio := "no lookups yet"
		if looked := c.Hits + c.Coalesced + c.Misses; looked > 0 {
			ratio = fmt.Sprintf("%.0f%% hits", 100*float64(c.Hits+c.Coalesced)/float64(looked))
		}
		parts = append(parts, fmt.Sprintf("cache: %s, %d entries, %.1f of %.0f MiB", ratio, c.Entries, mib(c.Bytes), mib(c.MaxSize)))
	}
	if !svc.NextRestart.IsZero() {
		parts = append(parts, "next scheduled restart "+svc.NextRestart.Format("2006-01-02 15:04"))
	}
	return strings.Join(parts, "; ")
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
