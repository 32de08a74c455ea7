package httpcache

import (
	"net/http"
	"strconv"
)

// tee is the writer the origin answers a miss through: everything goes on
// to the client as it comes, streamed answers included, while the body of
// an answer that may be stored is copied aside, up to a limit.
type tee struct {
	w http.ResponseWriter
	// keep is asked, once the status and headers are known, whether the
	// answer may be stored, hence whether its body is worth copying.
	keep  func(status int, h http.Header) bool
	limit int64

	status  int
	keeping bool
	body    []byte
	// declared is the Content-Length of a kept answer, to tell a body cut
	// short from a whole one.
	declared string
	// failed: a write to the client failed, so what the origin meant to
	// send may not all have been sent, nor copied.
	failed bool
}

func (t *tee) Header() http.Header { return t.w.Header() }

func (t *tee) WriteHeader(code int) {
	// Interim answers (100, 103) precede the answer and may come from the
	// transport's goroutine: pass them on without touching t. A second
	// final status is passed on too, for net/http to call superfluous.
	if (code < 200 && code != http.StatusSwitchingProtocols) || t.status != 0 {
		t.w.WriteHeader(code)
		return
	}
	t.status = code
	if t.keeping = t.keep(code, t.w.Header()); t.keeping {
		t.declared = t.w.Header().Get("Content-Length")
		if n, err := strconv.ParseInt(t.declared, 10, 64); err == nil && n >= 0 && n <= t.limit {
			// Known in advance: copy without growing.
			t.body = make([]byte, 0, n)
		}
	}
	t.w.WriteHeader(code)
}

func (t *tee) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.WriteHeader(http.StatusOK)
	}
	n, err := t.w.Write(p)
	if err != nil {
		t.failed = true
	}
	if t.keeping {
		if int64(len(t.body)+n) > t.limit {
			t.keeping, t.body = false, nil
		} else {
			t.body = append(t.body, p[:n]...)
		}
	}
	return n, err
}

// FlushError flushes what the origin wrote so far to the client, so that
// streamed answers reach it as they come. http.ResponseController calls it.
func (t *tee) FlushError() error {
	if t.status == 0 {
		t.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(t.w).Flush()
}

// Unwrap lets http.ResponseController reach the client's writer for what
// tee does not do itself (deadlines, full duplex).
func (t *tee) Unwrap() http.ResponseWriter { return t.w }

// kept returns the copied body when the whole answer went through and was
// copied: not cut short by the client leaving or by the origin failing
// mid-body (a declared Content-Length that was not met).
func (t *tee) kept(r *http.Request) ([]byte, bool) {
	if !t.keeping || t.failed || r.Context().Err() != nil {
		return nil, false
	}
	if t.declared != "" && t.declared != strconv.Itoa(len(t.body)) {
		return nil, false
	}
	return t.body, true
}
