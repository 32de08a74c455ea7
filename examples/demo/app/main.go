// Command demo-app is the small application the demo stack runs: each
// instance says which service, slot, instance and release answered, so a
// switch can be watched from outside.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// maxSlow bounds /slow so a typo cannot hold a connection for hours.
const maxSlow = 60 * time.Second

// maxBlobKB bounds /blob (10 MiB) for the same reason.
const maxBlobKB = 10240

// blobBlock is what /blob repeats: deterministic, so that answers through
// different proxies can be compared byte for byte, and one block, so that a
// large answer costs no memory per request.
var blobBlock = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// failAfterFile, when present in the working directory (the release), holds
// a number N: after N requests the application answers 500 to everything but
// /healthz. It makes a bad release to try checks and automatic rollback on.
const failAfterFile = "fail-after"

// failAfter reads failAfterFile; -1 means never fail.
func failAfter() int64 {
	b, err := os.ReadFile(failAfterFile)
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		log.Fatalf("demo-app: %s must hold a non-negative whole number", failAfterFile)
	}
	return n
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		log.Fatal("demo-app: PORT is not set (deploy sets it for every instance)")
	}
	release := os.Getenv("RELEASE")
	if release == "" {
		release = "unreleased"
	}
	who := fmt.Sprintf("service=%s slot=%s instance=%s release=%s",
		os.Getenv("SERVICE"), os.Getenv("SLOT"), os.Getenv("INSTANCE"), release)

	limit := failAfter()
	var served atomic.Int64
	failing := func(w http.ResponseWriter) bool {
		if limit >= 0 && served.Add(1) > limit {
			http.Error(w, who+": failing on purpose ("+failAfterFile+")", http.StatusInternalServerError)
			return true
		}
		return false
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		if failing(w) {
			return
		}
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 {
			http.Error(w, "ms must be a non-negative whole number of milliseconds", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(min(time.Duration(ms)*time.Millisecond, maxSlow)):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintln(w, who)
	})
	// /blob?kb=N answers N KiB, with Content-Length: a large response to
	// benchmark proxies with (bench/run.sh).
	mux.HandleFunc("GET /blob", func(w http.ResponseWriter, r *http.Request) {
		if failing(w) {
			return
		}
		kb, err := strconv.Atoi(r.URL.Query().Get("kb"))
		if err != nil || kb < 0 || kb > maxBlobKB {
			http.Error(w, fmt.Sprintf("kb must be a whole number of KiB from 0 to %d", maxBlobKB), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(kb<<10))
		for left := kb << 10; left > 0; {
			n := min(left, len(blobBlock))
			if _, err := w.Write(blobBlock[:n]); err != nil {
				return
			}
			left -= n
		}
	})
	mux.HandleFunc("/static/", func(w http.ResponseWriter, r *http.Request) {
		if failing(w) {
			return
		}
		// Theme files are what a shared cache in front keeps; the answer
		// names the release it came from, so a stale one shows.
		w.Header().Set("Cache-Control", "public, max-age=300")
		fmt.Fprintln(w, who, "path="+r.URL.EscapedPath())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if failing(w) {
			return
		}
		// The path as received shows what the proxy rewrote (Zope's
		// VirtualHostMonster paths).
		fmt.Fprintln(w, who, "path="+r.URL.EscapedPath())
	})

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		log.Fatalf("demo-app: %v", err)
	}
	log.Printf("demo-app: %s listening on %s", who, ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		// Finish what is in flight, as a real application server does.
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("demo-app: %v", err)
	}
	<-stopped
	log.Printf("demo-app: %s stopped", who)
}
