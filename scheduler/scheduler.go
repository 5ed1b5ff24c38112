// Package scheduler decides when collections run: once at start-up, then on a cron
// schedule, never two at a time.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Scheduler runs a job at start-up and then on a cron schedule.
type Scheduler struct {
	schedule cron.Schedule
	run      func(context.Context)
	logger   cronLogger
}

// Parse checks a schedule: a five-field cron spec ("*/10 * * * *") or a descriptor
// ("@every 15m", "@hourly"), optionally prefixed by CRON_TZ=Zone.
func Parse(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %w", spec, err)
	}
	if d, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		if every, err := time.ParseDuration(strings.TrimSpace(d)); err == nil && every <= 0 {
			return nil, fmt.Errorf("invalid schedule %q: the interval must be positive", spec)
		}
	}
	if s.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("invalid schedule %q: it never runs", spec)
	}
	return s, nil
}

// New returns a scheduler for job, and registers the schedule's interval as a metric
// on reg when reg is not nil: github_exporter_collection_interval_seconds with a
// collector label for each of the collectors the job runs.
func New(spec string, job func(context.Context), logger *slog.Logger, reg prometheus.Registerer, collectors ...string) (*Scheduler, error) {
	schedule, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{schedule: schedule, run: job, logger: cronLogger{logger}}
	for _, c := range collectors {
		if reg == nil {
			break
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "github_exporter_collection_interval_seconds",
			Help:        "Seconds between two scheduled collections of the collector, from its configured schedule.",
			ConstLabels: prometheus.Labels{"collector": c},
		}, func() float64 { return s.Interval().Seconds() }))
	}
	return s, nil
}

// Interval is the time between the next two scheduled runs.
func (s *Scheduler) Interval() time.Duration {
	next := s.schedule.Next(time.Now())
	return s.schedule.Next(next).Sub(next)
}

// Run runs the job at once and then on the schedule until ctx ends, then waits for a
// running job to return. The job gets ctx, so a shutdown ends a running collection. A
// run that is due while the previous one still runs is skipped; a panicking run is
// logged and recovered.
func (s *Scheduler) Run(ctx context.Context) {
	c := cron.New(cron.WithLogger(s.logger))
	// This order: in cron v3.0.1 SkipIfStillRunning keeps its slot if a panic escapes Recover.
	job := cron.NewChain(cron.SkipIfStillRunning(s.logger), cron.Recover(s.logger)).
		Then(cron.FuncJob(func() { s.run(ctx) }))
	c.Schedule(s.schedule, job)
	c.Start()
	var startup sync.WaitGroup
	// The start-up collection goes through the same chain, so runs never overlap.
	startup.Go(job.Run)
	<-ctx.Done()
	<-c.Stop().Done()
	startup.Wait()
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		c.l.Warn("scheduler: skipping a collection, the previous one is still running")
		return
	}
	c.l.Debug("scheduler: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("scheduler: "+msg, append(kv, "err", err)...)
}
