package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/webhook"
)

// withWebhooks turns on the webhook receiver when a secret is configured: it merges from
// its queue until ctx ends, and serves POST /webhook/github on the main handler, or on a
// listener of its own when --webhook.listen-address is given. It returns the main handler.
func withWebhooks(ctx context.Context, cfg *config, reg prometheus.Registerer, exporter *collector.Exporter, main http.Handler, logger *slog.Logger) (http.Handler, error) {
	if len(cfg.webhookSecret) == 0 {
		return main, nil
	}
	rc := webhook.New(webhook.Options{Secret: cfg.webhookSecret, Applier: exporter, Registerer: reg, Logger: logger})
	exporter.CountMissedChanges()
	go rc.Run(ctx)
	if cfg.webhookListen == "" {
		mux := http.NewServeMux()
		mux.Handle(webhook.Path, rc)
		mux.Handle("/", main)
		logger.Info("webhook receiver on the main listener", "path", webhook.Path)
		return mux, nil
	}
	l, err := net.Listen("tcp", cfg.webhookListen)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, rc)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("webhook listener stopped", "err", err)
		}
	}()
	logger.Info("webhook receiver listening", "address", l.Addr().String(), "path", webhook.Path)
	return main, nil
}
