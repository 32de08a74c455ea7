package proxy

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkProxy_SmallResponse measures a whole proxied request in process:
// a keep-alive client sends GETs through a real Server on a loopback listener
// to a real httptest backend that answers a few bytes. ns/op and allocs/op
// therefore include the client's and the backend's share, not only the
// proxy's; compare runs of this benchmark with each other, and see
// bench/run.sh for the proxy alone against nginx.
func BenchmarkProxy_SmallResponse(b *testing.B) {
	benchSmallResponse(b, Service{Name: "bench", Hosts: []string{"bench.test"}}, false)
}

// BenchmarkProxy_SmallResponseAccessLog is BenchmarkProxy_SmallResponse
// with every request logged to a file, so the difference between the two
// is the access log's cost.
func BenchmarkProxy_SmallResponseAccessLog(b *testing.B) {
	benchSmallResponse(b, Service{Name: "bench", Hosts: []string{"bench.test"}}, true)
}

// BenchmarkProxy_SmallResponseVirtualHost is BenchmarkProxy_SmallResponse
// for a Zope site: every request is rewritten for the VirtualHostMonster, so
// the difference between the two is the rewrite's cost.
func BenchmarkProxy_SmallResponseVirtualHost(b *testing.B) {
	benchSmallResponse(b, Service{Name: "bench", Hosts: []string{"bench.test"}, VirtualHost: &VirtualHost{Root: "/Plone"}}, false)
}

// BenchmarkProxy_SmallResponseCached is BenchmarkProxy_SmallResponse for a
// page the service's cache keeps: every request after the first is a hit,
// so the difference between the two is what the cache saves.
func BenchmarkProxy_SmallResponseCached(b *testing.B) {
	svc := Service{Name: "bench", Hosts: []string{"bench.test"}, Cache: &CacheOptions{MaxSize: 64 << 20}}
	p := New(Options{})
	p.Configure([]Service{svc})
	addr, _ := cachingBackend(b, "blue", nil)
	mustSwitch(b, p, "bench", "blue", addr)
	benchRequests(b, p, "/public/page", "blue /public/page")
}

func benchSmallResponse(b *testing.B, svc Service, accessLog bool) {
	p := New(Options{})
	p.Configure([]Service{svc})
	if accessLog {
		f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		p.SetAccessLog(f, 1)
	}
	mustSwitch(b, p, "bench", "blue", testBackend(b, "blue"))
	benchRequests(b, p, "/", "blue")
}

// benchRequests sends GETs of path through p, from as many keep-alive
// clients as the benchmark runs goroutines, and checks the first answer.
func benchRequests(b *testing.B, p *Proxy, path, want string) {
	base := testProxy(b, p)

	tr := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	if code, body := get(b, client, base, "bench.test", path); code != http.StatusOK || body != want {
		b.Fatalf("through the proxy: %d %q, want 200 %q", code, body, want)
	}

	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			b.Error(err)
			return
		}
		req.Host = "bench.test"
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkProxy_Switch measures Proxy.Switch flipping a service between two
// running backends (both pools already exist, as in a switch and a rollback).
// A switch copies the routing table, so its cost grows with the number of
// services and host names; the sub-benchmarks show by how much.
func BenchmarkProxy_Switch(b *testing.B) {
	blue, green := testBackend(b, "blue"), testBackend(b, "green")
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			p := New(Options{})
			services := make([]Service, n)
			for i := range services {
				services[i] = Service{Name: fmt.Sprintf("svc%d", i), Hosts: []string{
					fmt.Sprintf("svc%d.example", i), fmt.Sprintf("www.svc%d.example", i),
				}}
			}
			p.Configure(services)
			for _, s := range services {
				mustSwitch(b, p, s.Name, "blue", blue)
			}
			mustSwitch(b, p, "svc0", "green", green) // both pools of svc0 exist now
			to := [2]Backend{{Slot: "blue", Addrs: []string{blue}}, {Slot: "green", Addrs: []string{green}}}

			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := p.Switch("svc0", to[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.StopTimer()
			if slot, _ := p.Live("svc0"); slot != to[(i-1)&1].Slot {
				b.Fatalf("live slot %q after the last switch to %q", slot, to[(i-1)&1].Slot)
			}
		})
	}
}
