package zeo

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultTimeout bounds a probe whose context has no deadline: a probe is a
// health check, and one that hangs on a wedged server checks nothing.
const DefaultTimeout = 10 * time.Second

// unknownStorage is how a ZEO server refuses to register a storage it does
// not serve: builtins.ValueError("unknown storage: NAME").
const unknownStorage = "unknown storage: "

// Report is what a probe learned about a ZEO server.
type Report struct {
	Address   string          `json:"address"`
	Protocol  string          `json:"protocol"`   // "M5" or "Z5", the id the server greeted with
	LatencyMS float64         `json:"latency_ms"` // connect + greeting + all calls
	Storages  []StorageReport `json:"storages"`
	OK        bool            `json:"ok"` // every storage served
}

// StorageReport is what a probe learned about one storage.
type StorageReport struct {
	Name            string `json:"name"`
	Served          bool   `json:"served"`
	LastTransaction string `json:"last_transaction,omitempty"` // 16 hex digits
	Error           string `json:"error,omitempty"`            // "storage nosuch not served", or the server's exception

	// From the server's ruok status; zero when it is unavailable.
	Connections int     `json:"connections"`
	Waiting     int     `json:"waiting"`
	LockTimeS   float64 `json:"lock_time_s,omitempty"` // null in the server's JSON gives 0
	Start       string  `json:"start,omitempty"`
}

// Probe connects to addr ("host:port" or an absolute Unix socket path), reads
// the greeting, echoes the protocol id and, for each storage on a fresh
// connection (a ZEO connection registers one storage), calls
// register(storage, True) and lastTransaction(), as zeoup.py did. It then
// fetches the ruok status on one more connection. Every step is bounded by
// ctx, or by DefaultTimeout when ctx has no deadline.
//
// A storage the server does not serve is a StorageReport with Served false,
// not an error: the server answered. Probe fails (with an *Error naming the
// address) when it cannot tell: no connection, no or garbage greeting, a
// protocol it does not speak, a connection closed mid-call, a frame over
// DefaultMaxFrame, or time running out. The ruok status is best effort: a
// server that does not answer it still passes, with zero status fields.
func Probe(ctx context.Context, addr string, storages []string) (*Report, error) {
	start := time.Now()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	budget := deadline.Sub(start)

	rep := &Report{Address: addr, Storages: make([]StorageReport, 0, len(storages)), OK: true}
	for _, name := range storages {
		sr, protocol, err := probeStorage(ctx, addr, budget, name)
		if err != nil {
			return nil, err
		}
		rep.Protocol = protocol
		rep.Storages = append(rep.Storages, sr)
		rep.OK = rep.OK && sr.Served
	}

	status, protocol, err := probeStatus(ctx, addr, budget)
	var perr *Error
	switch {
	case err == nil:
		for i := range rep.Storages {
			if s, ok := status[rep.Storages[i].Name]; ok {
				s.apply(&rep.Storages[i])
			}
		}
	case len(storages) == 0 && errors.As(err, &perr) && protocol == "":
		// With no storage to register, this connection is the only proof
		// that a ZEO server is there.
		return nil, err
	}
	if rep.Protocol == "" {
		rep.Protocol = protocol
	}
	rep.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// probeStorage registers one storage read-only and asks for its last
// transaction, on a connection of its own.
func probeStorage(ctx context.Context, addr string, budget time.Duration, name string) (StorageReport, string, error) {
	sr := StorageReport{Name: name}
	c, err := dial(ctx, addr, budget)
	if err != nil {
		return sr, "", err
	}
	defer c.close()
	if err := c.handshake(); err != nil {
		return sr, c.protocol, err
	}
	// read_only True: a probe must never be the client that holds a
	// storage's commit lock or counts as a writer.
	if _, err := c.call("register", name, true); err != nil {
		return refused(sr, err), c.protocol, remoteOnly(err)
	}
	result, err := c.call("lastTransaction")
	if err != nil {
		return refused(sr, err), c.protocol, remoteOnly(err)
	}
	tid, ok := result.([]byte)
	if !ok || len(tid) != 8 {
		return sr, c.protocol, &Error{Addr: addr, Msg: fmt.Sprintf(
			"lastTransaction() of storage %q answered %s, not an 8-byte transaction id", name, describe(result))}
	}
	sr.Served = true
	sr.LastTransaction = hex.EncodeToString(tid)
	return sr, c.protocol, nil
}

// refused fills in a storage the server answered with an exception.
func refused(sr StorageReport, err error) StorageReport {
	var re *RemoteError
	if !errors.As(err, &re) {
		return sr
	}
	if re.Class == "builtins.ValueError" && strings.HasPrefix(re.Text(), unknownStorage) {
		sr.Error = fmt.Sprintf("storage %s not served", sr.Name)
	} else {
		sr.Error = re.Error()
	}
	return sr
}

// remoteOnly drops a server-side exception, which belongs in the storage's
// report, and keeps every other error, which fails the probe.
func remoteOnly(err error) error {
	var re *RemoteError
	if errors.As(err, &re) {
		return nil
	}
	return err
}

// probeStatus fetches the ruok status. It returns the protocol id when the
// greeting was read, so that a failure after it can be told apart.
func probeStatus(ctx context.Context, addr string, budget time.Duration) (map[string]storageStatus, string, error) {
	c, err := dial(ctx, addr, budget)
	if err != nil {
		return nil, "", err
	}
	defer c.close()
	status, err := fetchStatus(c)
	return status, c.protocol, err
}
