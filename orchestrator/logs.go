package orchestrator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"deploy/stacks"
)

// Following a log: how often files are looked at, and how much one look
// reads at most.
const (
	followEvery = 250 * time.Millisecond
	followChunk = 256 << 10
	maxTail     = 10000
)

// logSource is one instance's log file as a reader follows it.
type logSource struct {
	prefix string
	path   string
	offset int64
	carry  []byte // a line not finished yet
}

// logSources returns the log files of a slot, or of one of its instances.
func (c *Controller) logSources(service, slot string, instance int) ([]*logSource, error) {
	s, err := c.service(service)
	if err != nil {
		return nil, err
	}
	sc, err := s.slotConfig(slot)
	if err != nil {
		return nil, err
	}
	if instance < 0 || instance > s.conf().Instances {
		return nil, errorf(KindInvalid, fmt.Sprintf("instances of %s are 1 to %d", service, s.conf().Instances), "no instance %d", instance)
	}
	var out []*logSource
	for n := 1; n <= s.conf().Instances; n++ {
		if instance != 0 && n != instance {
			continue
		}
		src := &logSource{path: c.logPath(s.conf().Name, sc.Name, n)}
		if instance == 0 && s.conf().Instances > 1 {
			src.prefix = "[" + strconv.Itoa(n) + "] "
		}
		out = append(out, src)
	}
	return out, nil
}

// logs serves the end of a slot's instance logs, and with follow=1 keeps
// sending what is appended until the client goes away.
func (a *API) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	instance, err1 := atoiDefault(q.Get("instance"), 0)
	lines, err2 := atoiDefault(q.Get("lines"), 100)
	if err1 != nil || err2 != nil || lines < 0 || lines > maxTail {
		a.reply(w, nil, errorf(KindInvalid, fmt.Sprintf("lines is 0 to %d, instance a whole number", maxTail), "bad logs request"))
		return
	}
	sources, err := a.c.logSources(r.PathValue("service"), q.Get("slot"), instance)
	if err != nil {
		a.reply(w, nil, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, src := range sources {
		tail, _ := stacks.TailLog(src.path, lines)
		for _, l := range tail {
			io.WriteString(w, src.prefix+l+"\n")
		}
		if fi, err := os.Stat(src.path); err == nil {
			src.offset = fi.Size()
		}
	}
	if q.Get("follow") != "1" {
		return
	}
	flusher, _ := w.(http.Flusher)
	t := time.NewTicker(followEvery)
	defer t.Stop()
	for {
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		for _, src := range sources {
			if err := src.follow(r.Context(), w); err != nil {
				return
			}
		}
	}
}

// follow writes what was appended to the file since the last look. A file
// that shrank was rotated (copied and truncated): reading starts over.
func (s *logSource) follow(ctx context.Context, w io.Writer) error {
	f, err := os.Open(s.path)
	if err != nil {
		return nil // not there yet, or between rotations
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	if fi.Size() < s.offset {
		s.offset, s.carry = 0, nil
	}
	if fi.Size() == s.offset || ctx.Err() != nil {
		return ctx.Err()
	}
	buf := make([]byte, min(fi.Size()-s.offset, followChunk))
	n, _ := f.ReadAt(buf, s.offset) // io.EOF with n > 0 is the normal end
	if n == 0 {
		return nil
	}
	s.offset += int64(n)
	data := append(s.carry, buf[:n]...)
	end := bytes.LastIndexByte(data, '\n') + 1
	s.carry = append([]byte(nil), data[end:]...)
	for line := range bytes.Lines(data[:end]) {
		if _, err := io.WriteString(w, s.prefix+string(line)); err != nil {
			return err
		}
	}
	return nil
}

func atoiDefault(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}
