package proxy

import "sync"

// copyBufferSize is the size of the buffers that copy response bodies.
const copyBufferSize = 32 << 10

// bufferPool reuses response-copy buffers: without it every proxied request
// allocates 32 KiB, and the garbage collector's work grows with the load.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any {
		b := make([]byte, copyBufferSize)
		return &b
	}}}
}

// Get returns a buffer; httputil.BufferPool speaks in slices, so the pool
// keeps pointers to avoid allocating on every Put.
func (bp *bufferPool) Get() []byte { return *bp.p.Get().(*[]byte) }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) != copyBufferSize {
		return
	}
	b = b[:copyBufferSize]
	bp.p.Put(&b)
}
