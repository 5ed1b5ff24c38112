// Package collector walks an organization's GitHub security listings, turns them into
// counts, and exposes the counts of the last successful collection as Prometheus metrics.
//
// Each GitHub source lives in a file of its own and registers itself with registerSource.
// Pagination, pacing, retries and rate limits are not handled here but in package githubapi,
// which every source uses.
package collector

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// A Source walks one GitHub listing of an organization and returns the metrics it yields.
// The metrics are immutable (prometheus.NewConstMetric) so that a snapshot can hold them.
type Source interface {
	// Name is the value of the collector label, e.g. "dependabot".
	Name() string
	// Describe sends the descriptors of every metric Collect may return.
	Describe(ch chan<- *prometheus.Desc)
	// Collect walks the listing for the target organization.
	Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error)
}

var registry []Source

// registerSource adds a source to the ones an Exporter may collect. Sources of an
// organization run in registration order, except the inventory, which runs first
// because the others filter by it.
func registerSource(s Source) { registry = append(registry, s) }

// inventorySource is the name of the source that sets Target.Repos.
const inventorySource = "repositories"

// defaultOff lists sources that run only when asked for, e.g. because they cost a
// request per repository.
var defaultOff = map[string]bool{}

// DefaultSources returns the names of the sources collected when none are named.
func DefaultSources() []string {
	var names []string
	for _, s := range registry {
		if !defaultOff[s.Name()] {
			names = append(names, s.Name())
		}
	}
	return names
}

// Sources returns the names of the registered sources.
func Sources() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name()
	}
	return names
}
