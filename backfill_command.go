package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/backfill"
	"github.com/github-security-exporter/github-security-exporter/collector"
)

// backfillConfig is what the backfill subcommand's flags say.
type backfillConfig struct {
	days   int
	output string
	step   time.Duration
	end    string // RFC 3339; "" is now
	labels map[string]string
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func addBackfillCommand(app *kingpin.Application, c *backfillConfig) {
	c.labels = map[string]string{}
	cmd := app.Command("backfill", "Write the past of the alert series, reconstructed from the alert records, as an OpenMetrics file for `promtool tsdb create-blocks-from openmetrics`. Reads the records of a running exporter's --storage.path (read only), or else collects them from GitHub once with the same flags as the exporter.")
	cmd.Flag("days", "How many days before --end to write.").Default("365").IntVar(&c.days)
	cmd.Flag("output", "The OpenMetrics file to write.").Required().StringVar(&c.output)
	cmd.Flag("step", "Time between two samples of a series: 1h (one per hour) or 24h (one per day).").Default("1h").DurationVar(&c.step)
	cmd.Flag("label", "A label added to every series, NAME=VALUE; repeatable. Give the job and instance labels Prometheus adds to the live series (e.g. --label=job=github-security-exporter --label=instance=HOST:9816), so that the past continues the live series.").StringMapVar(&c.labels)
	cmd.Flag("end", "Time of the last sample (RFC 3339), e.g. when Prometheus first scraped the exporter, so the backfill does not overlap the live series. Default: now.").StringVar(&c.end)
}

// options checks the subcommand's flags.
func (c *backfillConfig) options() (backfill.Options, error) {
	opts := backfill.Options{Days: c.days, Step: c.step, Labels: c.labels}
	for name := range c.labels {
		if !labelName.MatchString(name) {
			return opts, fmt.Errorf("--label %q: not a Prometheus label name", name)
		}
	}
	if c.days < 1 {
		return opts, errors.New("--days must be at least 1")
	}
	if c.step != time.Hour && c.step != 24*time.Hour {
		return opts, fmt.Errorf("--step must be 1h or 24h, not %s", c.step)
	}
	if c.end != "" {
		end, err := time.Parse(time.RFC3339, c.end)
		if err != nil {
			return opts, fmt.Errorf("--end: want an RFC 3339 time such as 2026-12-01T00:00:00Z: %w", err)
		}
		opts.End = end
	}
	if info, err := os.Stat(filepath.Dir(c.output)); err != nil || !info.IsDir() {
		return opts, fmt.Errorf("invalid --output %q: its directory does not exist", c.output)
	}
	return opts, nil
}

// runBackfill reads the alert records, from the state file when --storage.path is given
// (never written), else from one collection against GitHub, and writes the file.
func runBackfill(ctx context.Context, cfg *config, logger *slog.Logger) error {
	opts, err := cfg.backfill.options()
	if err != nil {
		return err
	}
	var histories []*collector.History
	if cfg.storagePath != "" {
		if err := cfg.validateRepositories(); err != nil {
			return err
		}
		histories, err = collector.LoadHistories(cfg.storagePath, collector.HistoryOptions{
			Orgs: cfg.orgs, Filter: cfg.filter, SLA: cfg.sla(), TopAdvisories: cfg.topAdvisories,
		})
	} else {
		histories, err = collectHistories(ctx, cfg, logger)
	}
	if err != nil {
		return err
	}
	tmp := cfg.backfill.output + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op once renamed
	if err := backfill.Write(f, histories, opts); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	logger.Info("backfill written", "output", cfg.backfill.output, "histories", len(histories), "days", opts.Days, "step", opts.Step)
	return os.Rename(tmp, cfg.backfill.output)
}

// collectHistories collects the alert families once, as the exporter would, and fails
// when any of them could not be collected: a partial past would look like a real one.
func collectHistories(ctx context.Context, cfg *config, logger *slog.Logger) ([]*collector.History, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.storagePath = "" // only the state-file route reads one; this one keeps nothing
	exporter, _, err := newExporter(ctx, cfg, prometheus.NewRegistry(), logger, nil)
	if err != nil {
		return nil, err
	}
	exporter.Run(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	for _, st := range exporter.Status() {
		if st.Ran && !st.Success && st.Available {
			return nil, fmt.Errorf("collecting %s of %s failed: %s", st.Collector, st.Org, st.LastError)
		}
	}
	return exporter.Histories(), nil
}
