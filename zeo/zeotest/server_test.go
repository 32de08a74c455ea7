package zeotest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"deploy/zeo"
	"deploy/zeo/zeotest"
)

func start(t *testing.T, protocol string, storages ...string) *zeotest.Server {
	t.Helper()
	s, err := zeotest.Start(protocol, "", storages...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func load(t *testing.T, protocol string) *zeotest.Capture {
	t.Helper()
	c, err := zeotest.LoadCapture(filepath.Join("..", "testdata", "wire", "wire-"+protocol+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// conversation sends the capture's client frames and checks that the stand-in
// answers with the capture's server frames, byte for byte.
func conversation(t *testing.T, s *zeotest.Server, c *zeotest.Capture, labels ...string) {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	for _, label := range labels {
		f, err := c.Frame(label)
		if err != nil {
			t.Fatal(err)
		}
		if !f.FromServer {
			if _, err := conn.Write(f.Bytes); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got := make([]byte, len(f.Bytes))
		if _, err := io.ReadFull(conn, got); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if !bytes.Equal(got, f.Bytes) {
			t.Fatalf("%s: stand-in sent % x\nthe capture has  % x", label, got, f.Bytes)
		}
	}
}

func TestServer_SpeaksTheCapturedFramesOfARealServer(t *testing.T) {
	for _, protocol := range []string{"M5", "Z5"} {
		t.Run(protocol, func(t *testing.T) {
			s := start(t, protocol, "1")
			if protocol == "M5" {
				s.SetLastTransaction(0) // the M5 capture is of an empty database
			}
			c := load(t, protocol)
			conversation(t, s, c, "greeting (raw)", "version echo (raw)",
				"register('1',True)", "register reply", "lastTransaction()", "lastTransaction reply")
			conversation(t, s, c, "greeting (raw)", "version echo (raw)",
				"register('nosuch',True)", "error reply")
		})
	}
}

func TestServer_RuokAnswersTheFieldsOfARealServerAndCloses(t *testing.T) {
	s := start(t, "Z5", "1")
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if g, err := zeo.ReadFrame(conn, 0); err != nil || string(g) != "Z5" {
		t.Fatalf("greeting %q, %v", g, err)
	}
	if err := zeo.WriteFrame(conn, []byte("ruok")); err != nil {
		t.Fatal(err)
	}
	got, err := zeo.ReadFrame(conn, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zeo.ReadFrame(conn, 0); err != io.EOF {
		t.Fatalf("after the status: %v, want the connection closed", err)
	}

	f, err := load(t, "Z5").Frame("ruok reply")
	if err != nil {
		t.Fatal(err)
	}
	var real, ours map[string]map[string]any
	if err := json.Unmarshal(f.Payload(), &real); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &ours); err != nil {
		t.Fatal(err)
	}
	if keys(ours["1"]) == nil || !reflect.DeepEqual(keys(ours["1"]), keys(real["1"])) {
		t.Fatalf("fields %v\nreal   %v", keys(ours["1"]), keys(real["1"]))
	}
	if ours["1"]["last-transaction"] != real["1"]["last-transaction"] || ours["1"]["lock_time"] != nil {
		t.Fatalf("status %v", ours["1"])
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestServer_CountsRegisteredConnectionsInItsStatus(t *testing.T) {
	s := start(t, "M5", "main")
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := zeo.ReadFrame(conn, 0); err != nil {
		t.Fatal(err)
	}
	_ = zeo.WriteFrame(conn, []byte("M5"))
	_ = zeo.WriteMessage(conn, "M5", zeo.Message{ID: 1, Method: "register", Args: []any{"main", true}})
	if m, err := zeo.ReadMessage(conn, "M5", 0); err != nil || m.Err() != nil {
		t.Fatalf("register: %+v, %v", m, err)
	}
	status := ruok(t, s)
	if status["main"]["connections"] != float64(1) {
		t.Fatalf("status %v, want one connection", status)
	}
}

func ruok(t *testing.T, s *zeotest.Server) map[string]map[string]any {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := zeo.ReadFrame(conn, 0); err != nil {
		t.Fatal(err)
	}
	_ = zeo.WriteFrame(conn, []byte("ruok"))
	b, err := zeo.ReadFrame(conn, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestServer_CloseDropsOpenConnections(t *testing.T) {
	s := start(t, "Z5", "1")
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := zeo.ReadFrame(conn, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := zeo.ReadFrame(conn, 0); err == nil {
		t.Fatal("connection still open after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestStart_RefusesAProtocolItDoesNotSpeak(t *testing.T) {
	if _, err := zeotest.Start("Z4", ""); err == nil {
		t.Fatal("started a Z4 server")
	}
}

func TestLoadCapture_ReadsEveryFrameOfBothCaptures(t *testing.T) {
	for _, protocol := range []string{"M5", "Z5"} {
		c := load(t, protocol)
		var labels []string
		for _, f := range c.Frames {
			labels = append(labels, f.Label)
		}
		want := []string{"greeting (raw)", "version echo (raw)", "register('1',True)", "register reply",
			"lastTransaction()", "lastTransaction reply", "register('nosuch',True)", "error reply", "ruok", "ruok reply"}
		if !reflect.DeepEqual(labels, want) {
			t.Fatalf("%s: frames %q", protocol, labels)
		}
	}
}
