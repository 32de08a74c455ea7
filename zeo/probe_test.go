package zeo_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deploy/zeo"
	"deploy/zeo/zeotest"
)

// standIn starts a zeotest server that the test stops at its end.
func standIn(t *testing.T, protocol, addr string, storages ...string) *zeotest.Server {
	t.Helper()
	s, err := zeotest.Start(protocol, addr, storages...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestProbe_StandInServesTwoStoragesAndRefusesAThird(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			s := standIn(t, protocol, "", "main", "session")
			rep, err := probe(t, 10*time.Second, s.Addr(), "main", "session", "missing")
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.Protocol != protocol || len(rep.Storages) != 3 {
				t.Fatalf("report %+v", rep)
			}
			for _, sr := range rep.Storages[:2] {
				if !sr.Served || sr.LastTransaction != "040d2d5429c29aee" || sr.Error != "" {
					t.Fatalf("storage %+v", sr)
				}
				if _, err := time.Parse(time.ANSIC, sr.Start); err != nil {
					t.Fatalf("storage %s start %q: %v", sr.Name, sr.Start, err)
				}
			}
			if m := rep.Storages[2]; m.Served || m.Error != "storage missing not served" || m.Start != "" {
				t.Fatalf("missing storage %+v", m)
			}
		})
	}
}

func TestProbe_StandInFollowsItsStoragesAndLastTransaction(t *testing.T) {
	s := standIn(t, "M5", "", "main", "session")
	s.SetLastTransaction(0x0102030405060708)
	s.SetStorages("main")
	rep, err := probe(t, 10*time.Second, s.Addr(), "main", "session")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Storages[0].LastTransaction != "0102030405060708" || rep.Storages[1].Served {
		t.Fatalf("report %+v", rep)
	}
}

func TestProbe_StandInStoppedMidTestIsAnError(t *testing.T) {
	s := standIn(t, "Z5", "", "main")
	if rep, err := probe(t, 10*time.Second, s.Addr(), "main"); err != nil || !rep.OK {
		t.Fatalf("before the stop: %+v, %v", rep, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := probe(t, 10*time.Second, s.Addr(), "main")
	var ze *zeo.Error
	if !errors.As(err, &ze) || ze.Addr != s.Addr() || !strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("after the stop: %v", err)
	}
}

func TestProbe_StandInOnAUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "zeo") // t.TempDir can exceed a socket path's 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "zeo.sock")
	s := standIn(t, "M5", sock, "1")
	if s.Addr() != sock {
		t.Fatalf("Addr() = %q", s.Addr())
	}
	rep, err := probe(t, 10*time.Second, sock, "1")
	if err != nil || !rep.OK || rep.Address != sock {
		t.Fatalf("%+v, %v", rep, err)
	}
}

func TestProbe_NoStoragesStillChecksTheServer(t *testing.T) {
	s := standIn(t, "Z5", "", "1")
	rep, err := probe(t, 10*time.Second, s.Addr())
	if err != nil || !rep.OK || rep.Protocol != "Z5" || len(rep.Storages) != 0 {
		t.Fatalf("%+v, %v", rep, err)
	}
	s.Close()
	if _, err := probe(t, 10*time.Second, s.Addr()); err == nil {
		t.Fatal("probed a stopped server without error")
	}
}

func TestReport_JSONUsesTheDocumentedNames(t *testing.T) {
	rep := zeo.Report{Address: "a:1", Protocol: "M5", LatencyMS: 1.5, OK: false, Storages: []zeo.StorageReport{
		{Name: "main", Served: true, LastTransaction: "0000000000000000", Connections: 2, Start: "x"},
		{Name: "nosuch", Error: "storage nosuch not served"},
	}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"address":"a:1","protocol":"M5","latency_ms":1.5,"storages":[` +
		`{"name":"main","served":true,"last_transaction":"0000000000000000","connections":2,"waiting":0,"start":"x"},` +
		`{"name":"nosuch","served":false,"error":"storage nosuch not served","connections":0,"waiting":0}],"ok":false}`
	if string(b) != want {
		t.Fatalf("json %s\nwant %s", b, want)
	}
}
