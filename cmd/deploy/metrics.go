package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"deploy/config"
	"deploy/orchestrator"
	"deploy/proxy"
)

// listenMetrics opens the Prometheus endpoint when the controller block has
// a metrics block; nil otherwise. The metrics are at /metrics.
func listenMetrics(cfg *config.Metrics, ctrl *orchestrator.Controller, p *proxy.Proxy, log *slog.Logger) (*sideServer, error) {
	if cfg == nil {
		return nil, nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(ctrl.Collector(), p.Collector(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return listenSide("metrics", cfg.Listen, mux, log)
}
