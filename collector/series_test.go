package collector

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// depAlert is a Dependabot alert of the listing.
func depAlert(number int, repo, severity, state string) string {
	return fmt.Sprintf(`{"number":%d,"state":%q,"created_at":"2026-01-0%dT00:00:00Z","dependency":{"package":{"ecosystem":"npm"},"scope":"runtime"},"security_advisory":{"severity":%q},"repository":{"id":%d,"name":%q}}`,
		number, state, 1+number%9, severity, len(repo), repo)
}

const (
	depHeader = `
# HELP github_dependabot_alerts Dependabot alerts of the organization's repositories by ecosystem, dependency scope, advisory severity and state, refreshed on schedule.
# TYPE github_dependabot_alerts gauge
`
	oldestHeader = `
# HELP github_alerts_oldest_open_timestamp_seconds Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.
# TYPE github_alerts_oldest_open_timestamp_seconds gauge
`
	droppedHeader = `
# HELP github_exporter_series_dropped Series of the source for the organization that its last collection left out because of --metrics.max-series.
# TYPE github_exporter_series_dropped gauge
`
)

func dep(repo, severity, state string, v int) string {
	return fmt.Sprintf("github_dependabot_alerts{ecosystem=\"npm\",org=\"acme\",repository=%q,scope=\"runtime\",severity=%q,state=%q} %d\n", repo, severity, state, v)
}

func TestSeriesOptions(t *testing.T) {
	page := "[" + strings.Join([]string{
		depAlert(1, "web", "high", "open"), depAlert(2, "web", "high", "fixed"), depAlert(3, "api", "high", "fixed"),
		depAlert(4, "api", "low", "dismissed"), depAlert(5, "api", "high", "open"), depAlert(6, "db", "high", "fixed"),
	}, ",") + "]"
	tests := []struct {
		name    string
		options SeriesOptions
		want    string // dependabot counts, oldest open and series dropped
	}{{
		name: "keep",
		want: depHeader + dep("api", "high", "fixed", 1) + dep("api", "high", "open", 1) + dep("api", "low", "dismissed", 1) +
			dep("db", "high", "fixed", 1) + dep("web", "high", "fixed", 1) + dep("web", "high", "open", 1) +
			oldestHeader + `github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="api",severity="high"} 1.7676576e+09
github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="web",severity="high"} 1.767312e+09
`,
	}, {
		name:    "closed rows dropped",
		options: SeriesOptions{Closed: ClosedDrop},
		want: depHeader + dep("api", "high", "open", 1) + dep("web", "high", "open", 1) +
			oldestHeader + `github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="api",severity="high"} 1.7676576e+09
github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="web",severity="high"} 1.767312e+09
`,
	}, {
		name:    "closed rows folded per organization",
		options: SeriesOptions{Closed: ClosedFold},
		want: depHeader + dep("", "high", "fixed", 3) + dep("", "low", "dismissed", 1) + dep("api", "high", "open", 1) + dep("web", "high", "open", 1) +
			oldestHeader + `github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="api",severity="high"} 1.7676576e+09
github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="web",severity="high"} 1.767312e+09
`,
	}, {
		name:    "repository dimension dropped",
		options: SeriesOptions{DropRepository: []string{"github_dependabot_alerts", "github_alerts_oldest_open_timestamp_seconds"}},
		want: depHeader + dep("", "high", "fixed", 3) + dep("", "high", "open", 2) + dep("", "low", "dismissed", 1) +
			oldestHeader + `github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="",severity="high"} 1.767312e+09
`,
	}, {
		name:    "only the allowed families",
		options: SeriesOptions{Allow: regexp.MustCompile("^(?:github_alerts_oldest_open_timestamp_seconds)$")},
		want: oldestHeader + `github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="api",severity="high"} 1.7676576e+09
github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="web",severity="high"} 1.767312e+09
`,
	}, {
		name:    "denied families left out",
		options: SeriesOptions{Deny: regexp.MustCompile("^(?:github_alerts_.*)$")},
		want: depHeader + dep("api", "high", "fixed", 1) + dep("api", "high", "open", 1) + dep("api", "low", "dismissed", 1) +
			dep("db", "high", "fixed", 1) + dep("web", "high", "fixed", 1) + dep("web", "high", "open", 1),
	}, {
		// The cap keeps the open rows of the counts and the oldest-open times first.
		name:    "series cap",
		options: SeriesOptions{MaxSeries: 10},
		want: depHeader + dep("api", "high", "open", 1) + dep("web", "high", "open", 1) +
			oldestHeader + `github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="api",severity="high"} 1.7676576e+09
github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="web",severity="high"} 1.767312e+09
` + droppedHeader + `github_exporter_series_dropped{collector="dependabot",org="acme"} DROPPED
`,
	}}
	// Without options, the source's series; the cap of 10 drops the rest.
	gh := fakeGitHub(t, map[string]string{dependabotPath: page}, nil)
	all, err := New(Config{Client: gh, Orgs: []string{"acme"}, Sources: []string{"dependabot"}})
	if err != nil {
		t.Fatal(err)
	}
	all.Run(context.Background())
	total := 0
	for _, st := range all.snap.Load().states {
		total += len(st.metrics)
	}
	if total <= 14 {
		t.Fatalf("%d series without options, want the counts, oldest-open times, flow counters and the rest", total)
	}
	for _, tt := range tests {
		tt.want = strings.Replace(tt.want, "DROPPED", fmt.Sprint(total-10), 1)
		t.Run(tt.name, func(t *testing.T) {
			gh := fakeGitHub(t, map[string]string{dependabotPath: page}, nil)
			e, err := New(Config{Client: gh, Orgs: []string{"acme"}, Sources: []string{"dependabot"}, Series: tt.options})
			if err != nil {
				t.Fatal(err)
			}
			e.Run(context.Background())
			if st := e.Status(); len(st) != 1 || !st[0].Success {
				t.Fatalf("collection did not succeed: %+v", st)
			}
			names := []string{"github_dependabot_alerts", "github_alerts_oldest_open_timestamp_seconds", "github_exporter_series_dropped"}
			if err := testutil.CollectAndCompare(e, strings.NewReader(tt.want), names...); err != nil {
				t.Error(err)
			}
		})
	}
}
