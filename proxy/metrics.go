package proxy

import (
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// replyReason says why the proxy answered a request by itself.
type replyReason uint8

const (
	replyNone replyReason = iota
	replyNoService
	replyNoLiveSlot
	replyMaintenance
	replyPausedTooLong
	replyHealth
	replyPurge
	replyReasons // how many there are, replyNone included
)

// replyReasonNames are the reason label values of deploy_proxy_replies_total.
var replyReasonNames = [replyReasons]string{
	replyNoService:     "no_service",
	replyNoLiveSlot:    "no_live_slot",
	replyMaintenance:   "maintenance",
	replyPausedTooLong: "paused_too_long",
	replyHealth:        "health",
	replyPurge:         "purge",
}

// statusClasses are the code label values of deploy_proxy_requests_total:
// classes rather than codes, so that a backend inventing codes cannot grow
// the number of series.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// statusClass returns the index in statusClasses of a status code's class.
// net/http lets a backend send codes up to 999; those beyond 599 are no
// answer a client can act on, so they count with the 5xx ones.
func statusClass(code int) int {
	return min(max(code/100, 1), 5) - 1
}

// cacheInstance is the instance label of the requests a cache answered.
const cacheInstance = "cache"

// durationBuckets are the upper bounds, in seconds, of the request duration
// histogram: from a cached page to a long report.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Descriptions of the proxy's metrics.
var (
	requestsDesc = prometheus.NewDesc("deploy_proxy_requests_total",
		"Client requests sent to a slot, by the instance whose answer was relayed "+
			`(instance="" when the proxy answered for the slot without one: backend error, refused path, client gone; `+
			`instance="cache" when the service's cache answered) `+
			"and by the class of the status the client was answered with.",
		[]string{"service", "slot", "instance", "code"}, nil)
	durationDesc = prometheus.NewDesc("deploy_proxy_request_duration_seconds",
		"Time from receiving a client request sent to a slot to the end of its answer, "+
			`by the instance whose answer was relayed (instance="" when none was reached).`,
		[]string{"service", "slot", "instance"}, nil)
	upstreamErrorsDesc = prometheus.NewDesc("deploy_proxy_upstream_errors_total",
		"Attempts to reach an instance that ended without an answer (refused or broken connection, timeout), "+
			"clients that went away not included; a request retried on a sibling can count twice.",
		[]string{"service", "slot", "instance"}, nil)
	inFlightDesc = prometheus.NewDesc("deploy_proxy_in_flight",
		"Client requests being served by a slot now, preview requests included.",
		[]string{"service", "slot"}, nil)
	repliesDesc = prometheus.NewDesc("deploy_proxy_replies_total",
		"Client requests the proxy answered by itself without a slot, by reason: "+
			"no_service (404, no service for the host), no_live_slot (503, the service has no live or preview slot), "+
			"maintenance (503, the maintenance page), paused_too_long (503, held by a pause longer than it allows), "+
			"health (the proxy's health path), purge (PURGE requests, refused ones included).",
		[]string{"reason"}, nil)
)

// answered counts the client requests one instance answered, or that a pool
// answered without reaching an instance. Made with its pool, so that
// observing a request takes no label lookup.
type answered struct {
	byClass  [len(statusClasses)]atomic.Uint64
	duration prometheus.Histogram
}

func newAnswered() *answered {
	// The histogram is made without labels: it gets those of its instance
	// at scrape time (see labelled).
	return &answered{duration: prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "deploy_proxy_request_duration_seconds",
		Buckets: durationBuckets,
	})}
}

func (a *answered) observe(status int, took time.Duration) {
	a.byClass[statusClass(status)].Add(1)
	a.duration.Observe(took.Seconds())
}

// Collector returns the collector of the proxy's request metrics, for a
// Prometheus registry. At each scrape it reports the pools the proxy has at
// that moment: a forgotten slot's series end, and a slot that comes back
// starts from zero, which Prometheus takes as a counter reset.
func (p *Proxy) Collector() prometheus.Collector { return collector{p} }

type collector struct{ p *Proxy }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append([]*prometheus.Desc{requestsDesc, durationDesc, upstreamErrorsDesc, inFlightDesc, repliesDesc}, cacheDescs...) {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	// The lock is held only to copy the pool pointers: the counts are
	// atomics, read without it.
	c.p.mu.Lock()
	pools := slices.Collect(maps.Values(c.p.pools))
	c.p.mu.Unlock()
	for _, pl := range pools {
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(pl.inFlight.Load()), pl.service, pl.slot)
		collectAnswered(ch, pl, "", pl.unreached)
		if pl.state.cache.Load() != nil {
			collectAnswered(ch, pl, cacheInstance, pl.cached)
		}
		for i, in := range pl.instances {
			if slices.ContainsFunc(pl.instances[:i], func(o *instance) bool { return o.addr == in.addr }) {
				continue // an address listed twice was reported with its first entry
			}
			var connErrors uint64
			for _, o := range pl.instances[i:] {
				if o.addr == in.addr {
					connErrors += o.stats.connErrors.Load()
				}
			}
			collectAnswered(ch, pl, in.addr, in.answered)
			ch <- prometheus.MustNewConstMetric(upstreamErrorsDesc, prometheus.CounterValue, float64(connErrors), pl.service, pl.slot, in.addr)
		}
	}
	for r := replyNone + 1; r < replyReasons; r++ {
		ch <- prometheus.MustNewConstMetric(repliesDesc, prometheus.CounterValue, float64(c.p.replies[r].Load()), replyReasonNames[r])
	}
	c.collectCaches(ch)
}

// collectAnswered reports every class, zeros included, so that a series
// exists from the pool's start and rate() sees its first increase.
func collectAnswered(ch chan<- prometheus.Metric, pl *pool, addr string, a *answered) {
	for i, class := range statusClasses {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(a.byClass[i].Load()), pl.service, pl.slot, addr, class)
	}
	ch <- labelled{Metric: a.duration, desc: durationDesc, labels: prometheus.MakeLabelPairs(durationDesc, []string{pl.service, pl.slot, addr})}
}

// labelled reports a metric made without labels under a described family's
// labels.
type labelled struct {
	prometheus.Metric
	desc   *prometheus.Desc
	labels []*dto.LabelPair
}

func (m labelled) Desc() *prometheus.Desc { return m.desc }

func (m labelled) Write(out *dto.Metric) error {
	if err := m.Metric.Write(out); err != nil {
		return err
	}
	out.Label = m.labels
	return nil
}
