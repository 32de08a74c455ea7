package proxy

import "github.com/prometheus/client_golang/prometheus"

// Descriptions of the caches' metrics.
var (
	cacheRequestsDesc = prometheus.NewDesc("deploy_cache_requests_total",
		"Requests of a service with a cache, by how the cache took them: hit (answered from it), "+
			"coalesced (answered from what a concurrent miss of the same URL stored), miss (sent to the slot), "+
			"bypass (not cacheable: method, no-store, range, ...).",
		[]string{"service", "outcome"}, nil)
	cacheBytesDesc = prometheus.NewDesc("deploy_cache_bytes",
		"Bytes a service's cache holds now, every release's entries together.", []string{"service"}, nil)
	cacheEntriesDesc = prometheus.NewDesc("deploy_cache_entries",
		"Entries a service's cache holds now.", []string{"service"}, nil)
	cacheEvictionsDesc = prometheus.NewDesc("deploy_cache_evictions_total",
		"Entries a service's cache dropped to stay within its max_size.", []string{"service"}, nil)
)

var cacheDescs = []*prometheus.Desc{cacheRequestsDesc, cacheBytesDesc, cacheEntriesDesc, cacheEvictionsDesc}

// collectCaches reports the cache of every service that has one.
func (c collector) collectCaches(ch chan<- prometheus.Metric) {
	for _, name := range c.p.Services() {
		st, ok := c.p.CacheStats(name)
		if !ok {
			continue
		}
		for outcome, n := range map[string]uint64{"hit": st.Hits, "coalesced": st.Coalesced, "miss": st.Misses, "bypass": st.Bypasses} {
			ch <- prometheus.MustNewConstMetric(cacheRequestsDesc, prometheus.CounterValue, float64(n), name, outcome)
		}
		ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(st.Bytes), name)
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(st.Entries), name)
		ch <- prometheus.MustNewConstMetric(cacheEvictionsDesc, prometheus.CounterValue, float64(st.Evictions), name)
	}
}
