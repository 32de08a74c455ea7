// Command memory measures the resident memory of a deploy controller that
// runs many services: it starts every slot of every service through the
// controller, makes one slot of each live, reads the controller's RSS idle,
// then again every -interval while wrk sends requests to all the services
// through the proxy, and prints the figures as one JSON object. Instances
// are processes of their own: only the controller's memory counts.
// bench/run.sh starts the controller and runs this against it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"deploy/orchestrator"
)

// Report is the whole run; memory is in MiB.
type Report struct {
	Services       int     `json:"services"`
	Slots          int     `json:"slots_per_service"`
	IdleRSS        float64 `json:"idle_rss_mb"`
	LoadRSSMax     float64 `json:"load_rss_max_mb"`
	PeakRSS        float64 `json:"peak_rss_mb"` // VmHWM at the end
	Samples        int     `json:"load_samples"`
	WrkArgs        string  `json:"wrk_args"`
	LoadRPS        float64 `json:"load_requests_per_sec"`
	StartupSeconds float64 `json:"startup_s"`
}

func main() {
	socket := flag.String("socket", "", "the controller's control socket")
	pid := flag.Int("pid", 0, "the controller's process id")
	url := flag.String("url", "", "URL of deploy's proxy")
	services := flag.String("services", "", "comma-separated services")
	hosts := flag.String("hosts", "", "comma-separated hosts, one per service, in the same order")
	slots := flag.String("slots", "blue,green", "comma-separated slots to start in each service; the first goes live")
	settle := flag.Duration("settle", 3*time.Second, "wait after starting everything before reading the idle RSS")
	duration := flag.String("duration", "10s", "how long wrk sends requests")
	interval := flag.Duration("interval", 200*time.Millisecond, "how often RSS is read under load")
	wrkArgs := flag.String("wrk", "-t1 -c32", "wrk's threads and connections")
	flag.Parse()
	svcs, hs, sl := split(*services), split(*hosts), split(*slots)
	if *socket == "" || *pid == 0 || *url == "" || len(svcs) == 0 || len(hs) != len(svcs) || len(sl) == 0 {
		log.Fatal("memory: -socket, -pid, -url, -services and as many -hosts are needed")
	}

	ctx := context.Background()
	client := orchestrator.NewClient(*socket)
	began := time.Now()
	// Two services at a time, as the machine has few cores; a service's
	// slots one after the other, as the controller runs one operation of a
	// service at a time.
	var wg sync.WaitGroup
	limit := make(chan struct{}, 2)
	for _, svc := range svcs {
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			for _, slot := range sl {
				if _, err := client.Up(ctx, orchestrator.UpRequest{Service: svc, Slot: slot}); err != nil {
					log.Fatalf("memory: up %s --slot %s: %v", svc, slot, err)
				}
			}
		})
	}
	wg.Wait()
	for _, svc := range svcs {
		if _, err := client.Switch(ctx, orchestrator.SwitchRequest{Service: svc, To: sl[0], SkipChecks: true, Reason: "bench"}); err != nil {
			log.Fatalf("memory: switch %s to %s: %v", svc, sl[0], err)
		}
	}
	rep := Report{Services: len(svcs), Slots: len(sl), WrkArgs: *wrkArgs, StartupSeconds: time.Since(began).Seconds()}
	log.Printf("%d services x %d slots up in %.1fs; idle for %s", len(svcs), len(sl), rep.StartupSeconds, *settle)

	time.Sleep(*settle)
	idle := make([]float64, 0, 5)
	for range 5 {
		idle = append(idle, mustRead(*pid, "VmRSS"))
		time.Sleep(200 * time.Millisecond)
	}
	slices.Sort(idle)
	rep.IdleRSS = idle[len(idle)/2]

	// wrk spreads the requests over every service's host.
	script := filepath.Join(os.TempDir(), fmt.Sprintf("deploy-bench-hosts-%d.lua", os.Getpid()))
	if err := os.WriteFile(script, []byte(luaHosts(hs)), 0o644); err != nil {
		log.Fatalf("memory: %v", err)
	}
	defer os.Remove(script)
	args := append(strings.Fields(*wrkArgs), "-d"+*duration, "-s", script, *url)
	wrk := exec.Command("wrk", args...)
	out, err := wrk.StdoutPipe()
	if err != nil {
		log.Fatalf("memory: %v", err)
	}
	wrk.Stderr = os.Stderr
	if err := wrk.Start(); err != nil {
		log.Fatalf("memory: start wrk: %v", err)
	}
	done := make(chan float64)
	go func() { done <- wrkRate(bufio.NewReader(out)) }()
	tick := time.NewTicker(*interval)
	defer tick.Stop()
sampling:
	for {
		select {
		case rep.LoadRPS = <-done:
			break sampling
		case <-tick.C:
			rep.LoadRSSMax = max(rep.LoadRSSMax, mustRead(*pid, "VmRSS"))
			rep.Samples++
		}
	}
	if err := wrk.Wait(); err != nil {
		log.Fatalf("memory: wrk: %v", err)
	}
	rep.PeakRSS = mustRead(*pid, "VmHWM")
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		log.Fatal(err)
	}
}

// luaHosts is a wrk script that sends each request to the next host.
func luaHosts(hosts []string) string {
	var b strings.Builder
	b.WriteString("local hosts = {")
	for i, h := range hosts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(h))
	}
	b.WriteString("}\nlocal i = 0\nrequest = function()\n  i = i % #hosts + 1\n  return wrk.format(nil, nil, {Host = hosts[i]})\nend\n")
	return b.String()
}

// wrkRate reads wrk's report to its end and returns its requests/s.
func wrkRate(out *bufio.Reader) float64 {
	var rate float64
	for {
		line, err := out.ReadString('\n')
		if v, ok := strings.CutPrefix(line, "Requests/sec:"); ok {
			rate, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		if err != nil {
			return rate
		}
	}
}

// mustRead returns a /proc/PID/status field given in kB, in MiB.
func mustRead(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		log.Fatalf("memory: the controller (pid %d) is gone: %v", pid, err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				break
			}
			return kb / 1024
		}
	}
	log.Fatalf("memory: no %s in /proc/%d/status", field, pid)
	return 0
}

func split(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
