package orchestrator

import (
	"time"

	"deploy/config"
	"deploy/internal/logfile"
)

// accessLogLinger is how long a replaced access log file stays open, so
// that requests that picked it just before a reload can still write their
// line to it.
const accessLogLinger = 5 * time.Second

// accessLogFile returns the file the access log settings name: the open one
// when the path did not change, else the file opened afresh; nil when the
// access log is off.
func (c *Controller) accessLogFile(cfg *config.AccessLog) (*logfile.File, error) {
	if cfg == nil {
		return nil, nil
	}
	c.accessMu.Lock()
	cur := c.access
	c.accessMu.Unlock()
	if cur != nil && cur.Path() == cfg.Path {
		return cur, nil
	}
	f, err := logfile.Open(cfg.Path)
	if err != nil {
		return nil, errorf(KindInvalid, "create the directory or fix access_log's path in the proxy block",
			"access log: %v", err)
	}
	return f, nil
}

// useAccessLog makes the proxy log its requests to f (nil: not at all) and
// lets go of the file it wrote to before.
func (c *Controller) useAccessLog(f *logfile.File, cfg *config.AccessLog) {
	if f == nil {
		c.proxy.SetAccessLog(nil, 1)
	} else {
		c.proxy.SetAccessLog(f, cfg.Sample)
	}
	c.accessMu.Lock()
	old := c.access
	c.access = f
	c.accessMu.Unlock()
	if old != nil && old != f {
		time.AfterFunc(accessLogLinger, func() { old.Close() })
	}
}

// reopenAccessLog starts a fresh access log file at the same path, after
// logrotate moved the old one away.
func (c *Controller) reopenAccessLog() {
	c.accessMu.Lock()
	defer c.accessMu.Unlock()
	if c.access == nil {
		return
	}
	if err := c.access.Reopen(); err != nil {
		c.log.Error("reopen access log", "path", c.access.Path(), "err", err)
	}
}

// closeAccessLog closes the access log at shutdown, once the proxy stopped.
func (c *Controller) closeAccessLog() {
	c.accessMu.Lock()
	defer c.accessMu.Unlock()
	if c.access != nil {
		c.access.Close()
	}
}
