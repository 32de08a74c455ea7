package checks

import (
	"context"
	"fmt"
	"strings"

	"deploy/zeo"
)

// checkZEO passes when the ZEO server at addr serves every storage, probed
// over ZEO's own protocol: Zope answers from its caches while its database
// is gone, so only the database itself can say it is there.
func checkZEO(ctx context.Context, addr string, storages []string) outcome {
	rep, err := zeo.Probe(ctx, addr, storages)
	if err != nil {
		return outcome{msg: err.Error()}
	}
	var missing []string
	for _, s := range rep.Storages {
		if !s.Served {
			missing = append(missing, s.Error)
		}
	}
	if len(missing) > 0 {
		return outcome{msg: strings.Join(missing, "; ")}
	}
	return outcome{ok: true, msg: fmt.Sprintf("ok: %s serves %s (%s, %.1fms)", addr, strings.Join(storages, ", "), rep.Protocol, rep.LatencyMS)}
}
