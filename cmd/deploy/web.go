package main

import (
	"context"
	"log/slog"
	"net"
	"sync"

	"deploy/config"
	"deploy/orchestrator"
	"deploy/web"
)

// listenWeb opens the status page when the controller block has a web
// block; nil otherwise. Its traffic sampler runs while the page serves: it
// starts with the first Accept and stops at the page's shutdown.
func listenWeb(ctx context.Context, cfg *config.Web, ctrl *orchestrator.Controller, log *slog.Logger) (*sideServer, error) {
	if cfg == nil {
		return nil, nil
	}
	page := web.New(ctrl, web.Options{Token: cfg.Token, Logger: log})
	side, err := listenSide("status page", cfg.Listen, page, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	side.srv.RegisterOnShutdown(cancel)
	side.ln = &startingListener{Listener: side.ln, start: func() { go page.Run(ctx) }}
	return side, nil
}

// startingListener calls start once, when it is first served: a page whose
// start failed (another listener's port was taken) never samples anything.
type startingListener struct {
	net.Listener
	once  sync.Once
	start func()
}

func (l *startingListener) Accept() (net.Conn, error) {
	l.once.Do(l.start)
	return l.Listener.Accept()
}
