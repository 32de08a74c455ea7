package zeo_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	"deploy/zeo"
)

// The captures' ruok answers: start time and last transaction per protocol.
var captureStart = map[string]string{
	"M5": "Sun Nov 22 01:56:28 2026",
	"Z5": "Sun Nov 22 01:56:06 2026",
}

var captureTID = map[string]string{
	"M5": "0000000000000000",
	"Z5": "040d2d5429c29aee",
}

func probe(t *testing.T, timeout time.Duration, addr string, storages ...string) (*zeo.Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return zeo.Probe(ctx, addr, storages)
}

func TestProbe_ReplayedServerServesStorage1(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			addr := replayServer(t, servedScript(t, protocol), ruokScript(t, protocol))
			rep, err := probe(t, 10*time.Second, addr, "1")
			if err != nil {
				t.Fatal(err)
			}
			want := []zeo.StorageReport{{
				Name: "1", Served: true, LastTransaction: captureTID[protocol],
				Connections: 0, Waiting: 0, LockTimeS: 0, Start: captureStart[protocol],
			}}
			if !reflect.DeepEqual(rep.Storages, want) {
				t.Fatalf("storages %+v\nwant     %+v", rep.Storages, want)
			}
			if !rep.OK || rep.Protocol != protocol || rep.Address != addr || rep.LatencyMS <= 0 {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}

func TestProbe_ReplayedServerRefusesAnUnknownStorage(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			addr := replayServer(t, servedScript(t, protocol), unknownScript(t, protocol), ruokScript(t, protocol))
			rep, err := probe(t, 10*time.Second, addr, "1", "nosuch")
			if err != nil {
				t.Fatal(err)
			}
			want := zeo.StorageReport{Name: "nosuch", Served: false, Error: "storage nosuch not served"}
			if len(rep.Storages) != 2 || !reflect.DeepEqual(rep.Storages[1], want) {
				t.Fatalf("storages %+v", rep.Storages)
			}
			if rep.OK || !rep.Storages[0].Served {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}

func TestProbe_AServerWithoutRuokStillPassesWithEmptyStatus(t *testing.T) {
	noRuok := []step{send(frame(t, "Z5", "greeting (raw)")), expect(frame(t, "Z5", "ruok")), hangUp}
	addr := replayServer(t, servedScript(t, "Z5"), noRuok)
	rep, err := probe(t, 10*time.Second, addr, "1")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Storages[0].Start != "" || rep.Storages[0].LastTransaction != captureTID["Z5"] {
		t.Fatalf("report %+v", rep)
	}
}

func TestProbe_ServerClosingAfterTheGreetingIsAnError(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			addr := replayServer(t, []step{
				send(frame(t, protocol, "greeting (raw)")), expect(frame(t, protocol, "version echo (raw)")), hangUp,
			})
			_, err := probe(t, 10*time.Second, addr, "1")
			zeoError(t, err, addr, `connection closed after the greeting, before the answer to register("1", True)`)
		})
	}
}

func TestProbe_ServerClosingBeforeTheGreetingIsAnError(t *testing.T) {
	addr := replayServer(t, []step{hangUp})
	_, err := probe(t, 10*time.Second, addr, "1")
	zeoError(t, err, addr, "connection closed before the greeting")
}

// The probe gives up when its context does; the test stays fast because the
// context is short, not because anything is timed.
func TestProbe_ServerNeverAnsweringTimesOutWithTheContext(t *testing.T) {
	// A second, so that even a machine too busy to dial loopback in a few
	// hundred milliseconds reaches the step that times out.
	const budget = time.Second
	silent := replayServer(t, []step{})
	_, err := probe(t, budget, silent, "1")
	zeoErrorWithin(t, err, silent, "no greeting", budget)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v is not a context.DeadlineExceeded", err)
	}

	greetsOnly := replayServer(t, []step{
		send(frame(t, "M5", "greeting (raw)")), expect(frame(t, "M5", "version echo (raw)")),
		expect(frame(t, "M5", "register('1',True)")),
	})
	_, err = probe(t, budget, greetsOnly, "1")
	zeoErrorWithin(t, err, greetsOnly, `no answer to register("1", True)`, budget)
}

func TestProbe_CancellingTheContextStopsTheProbe(t *testing.T) {
	addr := replayServer(t, []step{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := zeo.Probe(ctx, addr, []string{"1"})
	zeoError(t, err, addr, "probe cancelled while waiting for the greeting")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v is not a context.Canceled", err)
	}
}

func TestProbe_GarbageGreetingIsAnError(t *testing.T) {
	cases := []struct {
		name     string
		greeting []byte
		want     string
	}{
		{"short frame", []byte("\x00\x00\x00\x02xx"), `greeting "xx" is not a ZEO protocol id`},
		{"empty frame", []byte("\x00\x00\x00\x00"), `greeting "" is not a ZEO protocol id`},
		{"not a frame", []byte("SSH-2.0-OpenSSH_9.6\r\n"),
			fmt.Sprintf("greeting is not a ZEO frame (it announces %d bytes); is a ZEO server listening there?", 0x5353482d)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := replayServer(t, []step{raw(c.greeting)})
			_, err := probe(t, 10*time.Second, addr, "1")
			zeoError(t, err, addr, c.want)
		})
	}
}

func TestProbe_AnOlderProtocolIdSaysWhichIdsAreSpoken(t *testing.T) {
	for _, id := range []string{"Z4", "Z3101"} {
		addr := replayServer(t, []step{raw(append([]byte{0, 0, 0, byte(len(id))}, id...))})
		_, err := probe(t, 10*time.Second, addr, "1")
		zeoError(t, err, addr, fmt.Sprintf("the server speaks ZEO protocol %q; this probe speaks M5 and Z5 (ZEO 5 and later)", id))
		if !errors.Is(err, zeo.ErrUnsupportedProtocol) {
			t.Fatalf("%v is not ErrUnsupportedProtocol", err)
		}
	}
}

func TestProbe_AFrameOverTheLimitIsAnError(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			addr := replayServer(t, []step{
				send(frame(t, protocol, "greeting (raw)")), expect(frame(t, protocol, "version echo (raw)")),
				expect(frame(t, protocol, "register('1',True)")), raw([]byte{0x01, 0x00, 0x00, 0x01, 0x94}),
			})
			_, err := probe(t, 10*time.Second, addr, "1")
			zeoError(t, err, addr, "frame of 16777217 bytes is over the 16 MiB limit")
			var fse *zeo.FrameSizeError
			if !errors.As(err, &fse) {
				t.Fatalf("%v is not a *FrameSizeError", err)
			}
		})
	}
}

func TestProbe_NothingListeningIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = probe(t, 10*time.Second, addr, "1")
	var ze *zeo.Error
	if !errors.As(err, &ze) || ze.Addr != addr {
		t.Fatalf("err = %v, want a *zeo.Error for %s", err, addr)
	}
	want := fmt.Sprintf("zeo %s: cannot connect: dial tcp %s: connect: connection refused (is the ZEO server running and listening there?)", addr, addr)
	if err.Error() != want {
		t.Fatalf("error %q\nwant  %q", err, want)
	}
}
