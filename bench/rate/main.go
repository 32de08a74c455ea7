// Command rate sends GET requests at a constant rate, whatever the answers'
// latency, and prints their latency percentiles as one JSON object. wrk
// sends a request only when a connection is free, so a slow answer delays
// the ones behind it and hides them from the percentiles (coordinated
// omission); a constant rate does not, which is what "p99 at half load"
// needs. bench/run.sh runs it against the origin and each proxy at the same
// rate.
//
// It is its own Go module (bench/rate/go.mod) so that vegeta, the load
// generator it uses, is no dependency of deploy itself.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Report is what one run measured; durations are in milliseconds.
type Report struct {
	URL          string  `json:"url"`
	Rate         float64 `json:"rate"`
	DurationS    float64 `json:"duration_s"`
	Requests     uint64  `json:"requests"`
	AchievedRate float64 `json:"achieved_rate"`
	Success      float64 `json:"success_ratio"`
	Errors       int     `json:"errors"`
	P50          float64 `json:"p50_ms"`
	P90          float64 `json:"p90_ms"`
	P99          float64 `json:"p99_ms"`
	Max          float64 `json:"max_ms"`
}

func main() {
	url := flag.String("url", "", "URL to request")
	host := flag.String("host", "", "Host header (default: the URL's)")
	rate := flag.Float64("rate", 0, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to measure")
	warmup := flag.Duration("warmup", 2*time.Second, "how long to send at the same rate before measuring (connections, workers)")
	workers := flag.Int("max-in-flight", 256, "most requests in flight at once")
	flag.Parse()
	if *url == "" || *rate < 1 {
		log.Fatal("rate: -url and a -rate of at least 1 request per second are needed")
	}

	// Fewer collections, fewer pauses of the load generator's own in the
	// tail of what it measures; a run keeps little memory.
	debug.SetGCPercent(400)

	target := vegeta.Target{Method: http.MethodGet, URL: *url, Header: http.Header{}}
	if *host != "" {
		target.Header.Set("Host", *host)
	}
	// Our own client: vegeta's binds every new connection to 0.0.0.0:0
	// before connecting, which fails with "address already in use" once many
	// loopback ports wait in TIME_WAIT.
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: *workers,
			DisableCompression:  true,
		},
	}
	attacker := vegeta.NewAttacker(
		vegeta.Client(client),
		// Bodies are read and thrown away, not kept in the results.
		vegeta.MaxBody(0),
		// A bound on the requests in flight (and so on connections): on an
		// overloaded machine an unbounded open loop spirals, every late
		// answer starting one more worker and connection. Past the bound
		// the rate falls behind instead, which achieved_rate shows.
		vegeta.Workers(min(32, uint64(*workers))),
		vegeta.MaxWorkers(uint64(*workers)),
	)
	pacer := vegeta.ConstantPacer{Freq: int(*rate + 0.5), Per: time.Second}
	targeter := vegeta.NewStaticTargeter(target)

	// One attack (an Attacker stops after one): the warm-up's answers are
	// left out, its connections and workers are kept.
	measureFrom := time.Now().Add(*warmup)
	var m vegeta.Metrics
	failed := 0
	for res := range attacker.Attack(targeter, pacer, *warmup+*duration, "bench") {
		if res.Timestamp.Before(measureFrom) {
			continue
		}
		m.Add(res)
		if res.Error != "" {
			failed++
		}
	}
	m.Close()

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep := Report{
		URL:          *url,
		Rate:         float64(pacer.Freq),
		DurationS:    m.Duration.Seconds(),
		Requests:     m.Requests,
		AchievedRate: m.Rate,
		Success:      m.Success,
		Errors:       failed,
		P50:          ms(m.Latencies.P50),
		P90:          ms(m.Latencies.P90),
		P99:          ms(m.Latencies.P99),
		Max:          ms(m.Latencies.Max),
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		log.Fatal(err)
	}
	if rep.Errors > 0 {
		fmt.Fprintf(os.Stderr, "rate: %d of %d requests failed, first errors: %v\n", rep.Errors, rep.Requests, m.Errors)
	}
}
