package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRecorder_ABodyWithoutWriteHeaderIs200AndInterimAnswersAreNotTheStatus(t *testing.T) {
	rec := &recorder{ResponseWriter: httptest.NewRecorder()}
	io.WriteString(rec, "hello")
	io.WriteString(rec, " world")
	if rec.status != http.StatusOK || rec.bytes != 11 {
		t.Errorf("body without WriteHeader: status %d, %d bytes; want 200, 11", rec.status, rec.bytes)
	}

	rec = &recorder{ResponseWriter: httptest.NewRecorder()}
	rec.WriteHeader(http.StatusEarlyHints)
	rec.WriteHeader(http.StatusNotFound)
	if rec.status != http.StatusNotFound {
		t.Errorf("103 then 404: status %d, want 404", rec.status)
	}
	if http.NewResponseController(rec).Flush() != nil {
		t.Error("the recorder hides the Flusher of the writer it wraps")
	}
}

func TestObserve_StreamedBodiesAreStillFlushedThroughTheRecorder(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "second\n")
	}))
	t.Cleanup(backend.Close)
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", backend.Listener.Addr().String())
	base := testProxy(t, p)

	// The backend holds the rest until the first line arrived, so the
	// response head and the line only arrive when the proxy flushed them.
	first, rest := make(chan string, 1), make(chan string, 1)
	go func() {
		resp, err := http.DefaultClient.Do(newRequest(t, http.MethodGet, base, "a.example", "/stream"))
		if err != nil {
			first <- err.Error()
			return
		}
		defer resp.Body.Close()
		body := bufio.NewReader(resp.Body)
		l, _ := body.ReadString('\n')
		first <- l
		b, _ := io.ReadAll(body)
		rest <- string(b)
	}()
	select {
	case l := <-first:
		close(release)
		if l != "first\n" {
			t.Fatalf("first line %q", l)
		}
		if r := <-rest; r != "second\n" {
			t.Errorf("rest of the stream %q", r)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the first line did not arrive while the backend held the rest: the proxy did not flush")
	}
}

func TestObserve_AnUpgradedConnectionWorksAndIsObservedAs101(t *testing.T) {
	testDone := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "upgrade to echo", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		// Hang up when the test ends whatever state the proxy left the
		// connection in: closing the server waits for this handler.
		go func() {
			<-testDone
			conn.Close()
		}()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw) // echo until the client closes
	}))
	t.Cleanup(backend.Close)
	t.Cleanup(func() { close(testDone) }) // runs first
	p := New(Options{})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}}})
	mustSwitch(t, p, "a", "blue", backend.Listener.Addr().String())
	log := &logBuffer{}
	p.SetAccessLog(log, 1)
	base := testProxy(t, p)

	conn, err := net.Dial("tcp", base[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: a.example\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %d", resp.StatusCode)
	}
	io.WriteString(conn, "ping\n")
	if l, err := br.ReadString('\n'); err != nil || l != "ping\n" {
		t.Fatalf("echo through the upgraded connection: %q, %v", l, err)
	}
	conn.Close()

	line := log.waitLines(t, 1)[0]
	if line["status"] != 101.0 || line["instance"] != backend.Listener.Addr().String() {
		t.Errorf("line %v, want status 101 from the backend", line)
	}
	if got := requestsObserved(t, p, 1).sum("deploy_proxy_requests_total", "code", "1xx"); got != 1 {
		t.Errorf("1xx requests: %v, want 1", got)
	}
}
