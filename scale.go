package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/alecthomas/units"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/internal/memlimit"
	"github.com/github-security-exporter/github-security-exporter/shard"
)

// scaleConfig is what the flags say about serving, cardinality, memory and sharding.
type scaleConfig struct {
	maxRequests            int
	disableExporterMetrics bool
	shard, totalShards     int
	allow, deny            string
	closed                 string
	dropRepository         []string
	maxSeries              int
	memoryLimit            units.Base2Bytes

	series     collector.SeriesOptions // compiled by validate
	configured int                     // organizations configured, before sharding
}

// countFamilies are the families --metrics.drop-repository may name.
var countFamilies = []string{"github_code_scanning_alerts", "github_dependabot_alerts",
	"github_secret_scanning_alerts", "github_alerts_oldest_open_timestamp_seconds"}

func addScaleFlags(app *kingpin.Application, c *scaleConfig) {
	app.Flag("web.max-requests", "Maximum number of parallel scrape requests; more are answered 503. 0 disables the bound.").Default("40").IntVar(&c.maxRequests)
	app.Flag("web.disable-exporter-metrics", "Exclude metrics about the exporter process itself (promhttp_*, process_*, go_*).").BoolVar(&c.disableExporterMetrics)
	app.Flag("shard", "The shard this process is, from 0: it collects the organizations whose login hashes to it.").Default("0").IntVar(&c.shard)
	app.Flag("total-shards", "How many shards share the organizations given; each organization is collected by exactly one.").Default("1").IntVar(&c.totalShards)
	app.Flag("metrics.allow", "Serve only the metric families of the alert data whose whole name matches this regular expression (RE2), e.g. 'github_(code_scanning|dependabot)_alerts'.").StringVar(&c.allow)
	app.Flag("metrics.deny", "Leave out the metric families of the alert data whose whole name matches this regular expression (RE2).").StringVar(&c.deny)
	app.Flag("metrics.closed-alerts", "Rows of closed alerts (every state but open) in the alert count families: keep (per repository), fold (per organization: repository \"\"), drop (not counted).").
		Default(string(collector.ClosedKeep)).EnumVar(&c.closed, string(collector.ClosedKeep), string(collector.ClosedFold), string(collector.ClosedDrop))
	app.Flag("metrics.drop-repository", "Leave the repository label of this family empty, its rows summed per organization (the oldest: the earliest); repeatable. One of "+strings.Join(countFamilies, ", ")+".").
		EnumsVar(&c.dropRepository, countFamilies...)
	app.Flag("metrics.max-series", "Cap on the series of one organization's source: beyond it series are left out (closed-alert rows first) and counted in github_exporter_series_dropped; the collection still succeeds. 0: no cap.").Default("0").IntVar(&c.maxSeries)
	app.Flag("runtime.memory-limit", "Soft memory limit of the Go runtime (GOMEMLIMIT), e.g. 230MiB. Default: GOMEMLIMIT when set, else 90% of the container's cgroup memory limit, if any.").Default("0").BytesVar(&c.memoryLimit)
}

// validate checks the flags, compiles the series options and keeps this shard's
// organizations of orgs.
func (c *scaleConfig) validate(orgs []string) ([]string, error) {
	if c.maxRequests < 0 || c.maxSeries < 0 || c.memoryLimit < 0 {
		return nil, fmt.Errorf("--web.max-requests, --metrics.max-series and --runtime.memory-limit must not be negative")
	}
	if err := shard.Check(c.shard, c.totalShards); err != nil {
		return nil, err
	}
	allow, err := collector.CompileFamilies(c.allow)
	if err != nil {
		return nil, fmt.Errorf("invalid --metrics.allow: %w", err)
	}
	deny, err := collector.CompileFamilies(c.deny)
	if err != nil {
		return nil, fmt.Errorf("invalid --metrics.deny: %w", err)
	}
	c.series = collector.SeriesOptions{Allow: allow, Deny: deny, Closed: collector.ClosedRows(c.closed),
		DropRepository: c.dropRepository, MaxSeries: c.maxSeries}
	c.configured = len(orgs)
	return shard.Select(orgs, c.shard, c.totalShards), nil
}

// apply sets the memory limit and says what this process collects.
func (c *scaleConfig) apply(orgs []string, logger *slog.Logger) {
	limit, from, err := memlimit.Set(int64(c.memoryLimit), "/sys/fs/cgroup")
	switch {
	case err != nil:
		logger.Warn("reading the cgroup memory limit failed; no Go memory limit set", "err", err)
	case limit > 0:
		logger.Info("go memory limit set", "limit", units.Base2Bytes(limit).String(), "from", from)
	}
	if c.totalShards > 1 {
		logger.Info("sharding", "shard", c.shard, "total_shards", c.totalShards, "orgs_configured", c.configured, "orgs_of_this_shard", len(orgs))
		if len(orgs) == 0 {
			logger.Warn("no configured organization hashes to this shard: it serves no alert data")
		}
	}
}
