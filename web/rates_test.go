package web

import (
	"math"
	"testing"
	"time"

	"deploy/orchestrator"
)

// traffic is service demo whose slots' two instances have counted these
// requests and errors (5xx, connection errors) in total.
func traffic(blue, green [2][3]uint64) []orchestrator.ServiceStatus {
	st := demoStatus()
	for i, counts := range [][2][3]uint64{blue, green} {
		for j, c := range counts {
			in := &st.Slots[i].Instances[j]
			in.Requests, in.Responses5xx, in.ConnErrors = c[0], c[1], c[2]
		}
	}
	return []orchestrator.ServiceStatus{st}
}

func TestRates_ComeFromTheCountersOfTwoSamples(t *testing.T) {
	var r rates
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r.sample(t0, traffic([2][3]uint64{{100, 1, 0}, {100, 0, 1}}, [2][3]uint64{{5, 0, 0}, {5, 0, 0}}))
	if _, ok := r.of("demo", "blue"); ok {
		t.Fatal("a rate after one sample")
	}
	// In 2 s blue answered 400 more requests, 10 of them 5xx and 10 lost
	// to connection errors; green's counters started again (a restart).
	r.sample(t0.Add(2*time.Second), traffic([2][3]uint64{{300, 6, 5}, {300, 5, 6}}, [2][3]uint64{{3, 1, 0}, {1, 0, 0}}))
	blue, _ := r.of("demo", "blue")
	if !near(blue.RequestsPerSecond, 200) || !near(blue.ErrorRate, 20.0/400) {
		t.Errorf("blue %+v, want 200 req/s, error rate 0.05", blue)
	}
	green, _ := r.of("demo", "green")
	if !near(green.RequestsPerSecond, 2) || !near(green.ErrorRate, 0.25) {
		t.Errorf("green after a restart %+v, want 2 req/s, error rate 0.25", green)
	}
	red, ok := r.of("demo", "red")
	if !ok || red.RequestsPerSecond != 0 || red.ErrorRate != 0 {
		t.Errorf("stopped red: %+v %v, want a zero rate", red, ok)
	}
}

func TestRates_ShowOnThePageOfARunningSlot(t *testing.T) {
	s, _ := testServer(t, "")
	t0 := time.Now()
	s.rates.sample(t0, traffic([2][3]uint64{}, [2][3]uint64{}))
	s.rates.sample(t0.Add(time.Second), traffic([2][3]uint64{}, [2][3]uint64{{40, 2, 0}, {10, 0, 0}}))
	v := s.snapshot(time.Now())
	green := v.Services[0].Slots[1]
	if green.Rate == nil || green.RateText != "50.0" || green.ErrorRateText != "4.0 %" {
		t.Errorf("green: %+v %q %q", green.Rate, green.RateText, green.ErrorRateText)
	}
	if red := v.Services[0].Slots[2]; red.Rate != nil || red.RateText != "–" {
		t.Errorf("stopped red shows a rate: %+v %q", red.Rate, red.RateText)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
