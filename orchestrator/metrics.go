package orchestrator

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"deploy/checks"
	"deploy/state"
	"deploy/zeo"
)

// zeoScrapeTimeout bounds the ZEO probes one scrape runs; a scrape must
// answer well within Prometheus' default 10s timeout.
const zeoScrapeTimeout = 3 * time.Second

// metrics are the controller's Prometheus metrics. Operations and checks
// are counted as they happen; slots, instances, certificates and ZEO
// servers are read when Prometheus scrapes, so that no value can go stale.
type metrics struct {
	c *Controller

	operations *prometheus.CounterVec
	durations  *prometheus.HistogramVec
	checks     *prometheus.CounterVec
}

var (
	liveDesc = prometheus.NewDesc("deploy_slot_live",
		"1 for the slot of a service that receives its traffic, 0 for its other slots.", []string{"service", "slot"}, nil)
	slotHealthyDesc = prometheus.NewDesc("deploy_slot_healthy",
		"1 when every instance of a running slot passes its health probes.", []string{"service", "slot"}, nil)
	restartsDesc = prometheus.NewDesc("deploy_instance_restarts_total",
		"Times the supervisor restarted an instance since its slot started.", []string{"service", "slot", "instance"}, nil)
	instanceUpDesc = prometheus.NewDesc("deploy_instance_up",
		"1 when an instance's process runs and its health probes pass.", []string{"service", "slot", "instance"}, nil)
	certExpiryDesc = prometheus.NewDesc("deploy_certificate_expiry_timestamp_seconds",
		"When the certificate served for a host expires, in Unix seconds.", []string{"service", "host", "source"}, nil)
	zeoUpDesc = prometheus.NewDesc("deploy_zeo_up",
		"1 when the ZEO server answered a probe (handshake and every storage registered) during this scrape.", []string{"zeo"}, nil)
	zeoProbeDesc = prometheus.NewDesc("deploy_zeo_probe_duration_seconds",
		"How long this scrape's probe of the ZEO server took.", []string{"zeo"}, nil)
)

func newMetrics(c *Controller) *metrics {
	return &metrics{
		c: c,
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deploy_operations_total",
			Help: "Operations by service, op (switch, rollback, release, up, down, check, reload, ...) and result (ok, refused, failed, rolled_back).",
		}, []string{"service", "op", "result"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "deploy_operation_duration_seconds",
			Help:    "How long operations took, from the request to the result, by service and op.",
			Buckets: []float64{.001, .005, .025, .1, .5, 1, 5, 15, 60, 300, 1800},
		}, []string{"service", "op"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deploy_check_results_total",
			Help: "Results of the smoke checks by service, slot, check and result (pass or fail); a check run on several targets counts once per target.",
		}, []string{"service", "slot", "check", "result"}),
	}
}

// Collector returns the controller's metrics for a Prometheus registry.
func (c *Controller) Collector() prometheus.Collector { return c.metrics }

// recorded counts an operation the history just recorded.
func (m *metrics) recorded(e state.Entry) {
	m.operations.WithLabelValues(e.Service, e.Op, e.Result).Inc()
	m.durations.WithLabelValues(e.Service, e.Op).Observe(e.Duration / 1000)
}

// checked counts the results of one run of a slot's checks.
func (m *metrics) checked(service, slot string, results []checks.Result) {
	for _, r := range results {
		result := "pass"
		if !r.OK {
			result = "fail"
		}
		m.checks.WithLabelValues(service, slot, r.Check, result).Inc()
	}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.operations.Describe(ch)
	m.durations.Describe(ch)
	m.checks.Describe(ch)
	for _, d := range []*prometheus.Desc{liveDesc, slotHealthyDesc, restartsDesc, instanceUpDesc, certExpiryDesc, zeoUpDesc, zeoProbeDesc} {
		ch <- d
	}
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.operations.Collect(ch)
	m.durations.Collect(ch)
	m.checks.Collect(ch)
	m.collectServices(ch)
	m.collectZEO(ch)
}

// collectServices reports what status reports: live slots, health,
// restarts and certificates.
func (m *metrics) collectServices(ch chan<- prometheus.Metric) {
	all, err := m.c.Status("")
	if err != nil {
		return
	}
	for _, ss := range all {
		for _, sl := range ss.Slots {
			ch <- prometheus.MustNewConstMetric(liveDesc, prometheus.GaugeValue, boolValue(sl.Live), ss.Service, sl.Slot)
			if len(sl.Instances) == 0 {
				continue
			}
			ch <- prometheus.MustNewConstMetric(slotHealthyDesc, prometheus.GaugeValue, boolValue(sl.Healthy), ss.Service, sl.Slot)
			for _, in := range sl.Instances {
				index := strconv.Itoa(in.Index)
				ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(in.Restarts), ss.Service, sl.Slot, index)
				ch <- prometheus.MustNewConstMetric(instanceUpDesc, prometheus.GaugeValue, boolValue(in.Running && in.Healthy), ss.Service, sl.Slot, index)
			}
		}
		for _, cert := range ss.Certificates {
			if !cert.NotAfter.IsZero() {
				ch <- prometheus.MustNewConstMetric(certExpiryDesc, prometheus.GaugeValue,
					float64(cert.NotAfter.Unix()), ss.Service, cert.Host, cert.Source)
			}
		}
	}
}

// collectZEO probes every configured ZEO server at once.
func (m *metrics) collectZEO(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), zeoScrapeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, z := range m.c.conf().ZEO {
		wg.Go(func() {
			started := time.Now()
			_, err := zeo.Probe(ctx, z.Address, z.Storages)
			ch <- prometheus.MustNewConstMetric(zeoProbeDesc, prometheus.GaugeValue, time.Since(started).Seconds(), z.Name)
			ch <- prometheus.MustNewConstMetric(zeoUpDesc, prometheus.GaugeValue, boolValue(err == nil), z.Name)
		})
	}
	wg.Wait()
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
