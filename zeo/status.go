package zeo

import (
	"encoding/json"
	"fmt"
)

// ruok is what a client sends instead of echoing the protocol id to ask for
// the server's status; ZEO's own nagios check does the same.
const ruok = "ruok"

// storageStatus is one storage's entry in the ruok answer. The answer has
// more (loads, stores, commits, conflicts...); the report keeps what tells an
// operator whether the server is healthy right now.
type storageStatus struct {
	Connections     int      `json:"connections"`
	Waiting         int      `json:"waiting"`
	LockTime        *float64 `json:"lock_time"` // null while no transaction holds the lock
	Start           string   `json:"start"`
	LastTransaction string   `json:"last-transaction"`
}

// parseStatus decodes the JSON a ZEO server answers to ruok: one object per
// storage, keyed by storage name.
func parseStatus(payload []byte) (map[string]storageStatus, error) {
	var status map[string]storageStatus
	if err := json.Unmarshal(payload, &status); err != nil {
		return nil, fmt.Errorf("ruok status is not the JSON ZEO sends: %w", err)
	}
	return status, nil
}

// fetchStatus asks for the ruok status on a connection of its own: the
// server answers one JSON frame and closes it.
func fetchStatus(c *client) (map[string]storageStatus, error) {
	if err := WriteFrame(c.nc, []byte(ruok)); err != nil {
		return nil, c.failed(err, "the ruok status")
	}
	payload, err := ReadFrame(c.nc, DefaultMaxFrame)
	if err != nil {
		return nil, c.failed(err, "the ruok status")
	}
	status, err := parseStatus(payload)
	if err != nil {
		return nil, &Error{Addr: c.addr, Msg: err.Error(), Err: err}
	}
	return status, nil
}

// apply copies a storage's status into its report.
func (s storageStatus) apply(r *StorageReport) {
	r.Connections = s.Connections
	r.Waiting = s.Waiting
	if s.LockTime != nil {
		r.LockTimeS = *s.LockTime
	}
	r.Start = s.Start
}
