package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/mholt/archives"
)

// Files up to extractParallelMax bytes are written by extractWorkers
// goroutines: creating a file is mostly kernel time, which runs in parallel,
// while reading the archive cannot. At most extractQueue files wait, so the
// memory held is bounded by their product.
const (
	extractParallelMax = 1 << 20
	extractWorkers     = 4
	extractQueue       = 64
)

// extractWrite is one verified file waiting to be created.
type extractWrite struct {
	raw, name string
	data      []byte
	perm      fs.FileMode
}

// extractWriters creates files from a few goroutines. Everything that
// decides whether a file may be written (its name, limits, checksum) was
// decided before it is queued; a writer only creates it, through the root.
type extractWriters struct {
	root    *os.Root
	jobs    chan extractWrite
	pending sync.WaitGroup // queued files not written yet
	done    sync.WaitGroup // the goroutines

	mu      sync.Mutex
	failRaw string
	failErr error
}

func newExtractWriters(root *os.Root) *extractWriters {
	w := &extractWriters{root: root, jobs: make(chan extractWrite, extractQueue)}
	for range extractWorkers {
		w.done.Go(func() {
			for j := range w.jobs {
				if !w.failed() {
					if err := w.write(j); err != nil {
						w.fail(j.raw, err)
					}
				}
				w.pending.Done()
			}
		})
	}
	return w
}

func (w *extractWriters) write(j extractWrite) error {
	f, err := w.root.OpenFile(j.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(j.data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(j.perm); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (w *extractWriters) submit(j extractWrite) {
	w.pending.Add(1)
	w.jobs <- j
}

func (w *extractWriters) fail(raw string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failErr == nil {
		w.failRaw, w.failErr = raw, err
	}
}

func (w *extractWriters) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failErr != nil
}

// wait returns when every queued file was written, with the first failure.
func (w *extractWriters) wait() (raw string, err error) {
	w.pending.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failRaw, w.failErr
}

// close waits for the goroutines to end; nothing may be submitted after.
func (w *extractWriters) close() {
	close(w.jobs)
	w.done.Wait()
}

// writerFailure turns a writer's failure into the extraction's rejection.
func (x *extractor) writerFailure(wait bool) error {
	var raw string
	var err error
	if wait {
		raw, err = x.writers.wait()
	} else {
		x.writers.mu.Lock()
		raw, err = x.writers.failRaw, x.writers.failErr
		x.writers.mu.Unlock()
	}
	if err != nil {
		return x.reject(raw, nil, "create: %v", extractPathErr(err))
	}
	return nil
}

// smallFile reads, limits and verifies a file of at most extractParallelMax
// bytes (by its header) here, in order, and queues it for a writer.
func (x *extractor) smallFile(ctx context.Context, raw, name, want string, fi archives.FileInfo, src io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// One byte more than the header gives tells a header that lied.
	data, err := io.ReadAll(io.LimitReader(src, fi.Size()+1))
	if err != nil {
		return x.reject(raw, nil, "unpack: %v", err)
	}
	if int64(len(data)) > fi.Size() {
		return x.reject(raw, nil, "%v", errExtractOverflow)
	}
	if err := x.checkSize(raw, int64(len(data))); err != nil {
		return err
	}
	h := sha256.New()
	h.Write(data)
	if err := x.checkSum(raw, want, h); err != nil {
		return err
	}
	if x.progress != nil {
		x.progress(x.total, x.m.Size)
	}
	if x.relocated[name] {
		data = bytes.ReplaceAll(data, []byte(Placeholder), []byte(x.dest))
	}
	x.writers.submit(extractWrite{raw: raw, name: name, data: data, perm: fi.Mode().Perm()})
	return x.writerFailure(false)
}
