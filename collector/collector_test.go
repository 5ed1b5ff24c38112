package collector

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// fakeGitHub serves fixed bodies by path, like one page of each listing, and answers
// 404 for anything else. status overrides the status of a path.
func fakeGitHub(t *testing.T, bodies map[string]string, status map[string]int) *githubapi.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		code := status[r.URL.Path]
		switch {
		case code != 0:
			w.WriteHeader(code)
		case !ok:
			w.WriteHeader(http.StatusNotFound)
			body = `{"message":"Not Found"}`
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	gh, err := githubapi.NewClient(githubapi.ClientOptions{
		BaseURL:    srv.URL + "/",
		HTTPClient: &http.Client{Transport: githubapi.NewTransport(githubapi.TransportOptions{RequestsPerSecond: 1000, MaxRetries: 0})},
	})
	if err != nil {
		t.Fatal(err)
	}
	return gh
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	codeScanningPath   = "/orgs/acme/code-scanning/alerts"
	dependabotPath     = "/orgs/acme/dependabot/alerts"
	secretScanningPath = "/orgs/acme/secret-scanning/alerts"
)

func TestAlertCounts(t *testing.T) {
	tests := []struct {
		name    string
		source  string
		body    string
		metrics []string
		want    string
	}{{
		name:    "code scanning: GitHub's example, rule severity when no security severity",
		source:  "code_scanning",
		body:    fixture(t, "code-scanning-org-alerts.json"),
		metrics: []string{"github_code_scanning_alerts", "github_alerts_oldest_open_timestamp_seconds"},
		want: `
# HELP github_code_scanning_alerts Code scanning alerts on the default branches of the organization's repositories by tool, severity and state, refreshed on schedule.
# TYPE github_code_scanning_alerts gauge
github_code_scanning_alerts{org="acme",repository="Hello-World",severity="error",state="dismissed",tool="CodeQL"} 1
github_code_scanning_alerts{org="acme",repository="Hello-World",severity="error",state="open",tool="CodeQL"} 1
# HELP github_alerts_oldest_open_timestamp_seconds Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.
# TYPE github_alerts_oldest_open_timestamp_seconds gauge
github_alerts_oldest_open_timestamp_seconds{family="code_scanning",org="acme",repository="Hello-World",severity="error"} 1.581596958e+09
`,
	}, {
		name:   "code scanning: security severity wins, nulls become none and unknown",
		source: "code_scanning",
		body: `[
 {"number":1,"state":"open","rule":{"severity":"warning","security_severity_level":"high"},"tool":{"name":"CodeQL"},"repository":{"name":"api"},"created_at":"2021-03-01T00:00:00Z"},
 {"number":2,"state":"open","rule":{"severity":"warning","security_severity_level":"high"},"tool":{"name":"CodeQL"},"repository":{"name":"api"},"created_at":"2022-01-01T00:00:00Z"},
 {"number":3,"state":null,"rule":{"severity":"note","security_severity_level":null},"tool":{"name":"Semgrep"},"repository":{"name":"api"}},
 {"number":4,"state":"fixed","rule":{"severity":null},"tool":{"name":null},"repository":{"name":"web"},"created_at":"not a time"},
 {"number":5,"state":"fixed","rule":{},"tool":{},"repository":{"name":"web"}}
]`,
		metrics: []string{"github_code_scanning_alerts", "github_alerts_oldest_open_timestamp_seconds"},
		want: `
# HELP github_code_scanning_alerts Code scanning alerts on the default branches of the organization's repositories by tool, severity and state, refreshed on schedule.
# TYPE github_code_scanning_alerts gauge
github_code_scanning_alerts{org="acme",repository="api",severity="high",state="open",tool="CodeQL"} 2
github_code_scanning_alerts{org="acme",repository="api",severity="note",state="unknown",tool="Semgrep"} 1
github_code_scanning_alerts{org="acme",repository="web",severity="none",state="fixed",tool="unknown"} 2
# HELP github_alerts_oldest_open_timestamp_seconds Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.
# TYPE github_alerts_oldest_open_timestamp_seconds gauge
github_alerts_oldest_open_timestamp_seconds{family="code_scanning",org="acme",repository="api",severity="high"} 1.6145568e+09
`,
	}, {
		name:    "dependabot: GitHub's example",
		source:  "dependabot",
		body:    fixture(t, "dependabot-org-alerts.json"),
		metrics: []string{"github_dependabot_alerts", "github_alerts_oldest_open_timestamp_seconds"},
		want: `
# HELP github_dependabot_alerts Dependabot alerts of the organization's repositories by ecosystem, dependency scope, advisory severity and state, refreshed on schedule.
# TYPE github_dependabot_alerts gauge
github_dependabot_alerts{ecosystem="pip",org="acme",repository="hello-world",scope="runtime",severity="medium",state="open"} 1
github_dependabot_alerts{ecosystem="pip",org="acme",repository="octo-repo",scope="runtime",severity="high",state="dismissed"} 1
# HELP github_alerts_oldest_open_timestamp_seconds Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.
# TYPE github_alerts_oldest_open_timestamp_seconds gauge
github_alerts_oldest_open_timestamp_seconds{family="dependabot",org="acme",repository="hello-world",severity="medium"} 1.655220112e+09
`,
	}, {
		name:   "dependabot: moderate is medium, null scope is unknown, vulnerability severity as fallback",
		source: "dependabot",
		body: `[
 {"number":6,"state":"fixed","dependency":{"package":{"ecosystem":"npm"},"scope":null},"security_advisory":{"severity":"MODERATE"},"repository":{"name":"web"}},
 {"number":7,"state":"auto_dismissed","dependency":{"package":{"ecosystem":"npm"},"scope":"development"},"security_advisory":{},"security_vulnerability":{"severity":"low"},"repository":{"name":"web"}},
 {"number":8,"state":"open","dependency":{"package":{}},"security_advisory":{"severity":"critical"},"repository":{"name":"web"}}
]`,
		metrics: []string{"github_dependabot_alerts"},
		want: `
# HELP github_dependabot_alerts Dependabot alerts of the organization's repositories by ecosystem, dependency scope, advisory severity and state, refreshed on schedule.
# TYPE github_dependabot_alerts gauge
github_dependabot_alerts{ecosystem="npm",org="acme",repository="web",scope="development",severity="low",state="auto_dismissed"} 1
github_dependabot_alerts{ecosystem="npm",org="acme",repository="web",scope="unknown",severity="medium",state="fixed"} 1
github_dependabot_alerts{ecosystem="unknown",org="acme",repository="web",scope="unknown",severity="critical",state="open"} 1
`,
	}, {
		name:    "secret scanning: GitHub's example",
		source:  "secret_scanning",
		body:    fixture(t, "secret-scanning-org-alerts.json"),
		metrics: []string{"github_secret_scanning_alerts", "github_alerts_oldest_open_timestamp_seconds"},
		want: `
# HELP github_secret_scanning_alerts Secret scanning alerts of the organization's repositories by secret type, validity, resolution, kind and state; kind "default" is GitHub's default alerts list (provider and custom patterns, the security overview's summary views), "generic" the non-provider patterns and AI-detected passwords; refreshed on schedule.
# TYPE github_secret_scanning_alerts gauge
github_secret_scanning_alerts{kind="default",org="acme",repository="Hello-World",resolution="false_positive",secret_type="adafruit_io_key",state="resolved",validity="active"} 1
`,
	}, {
		name:   "secret scanning: open has no resolution, absent validity is unknown",
		source: "secret_scanning",
		body: `[
 {"number":9,"state":"open","resolution":null,"secret_type":"aws_access_key_id","validity":"active","repository":{"name":"infra"},"created_at":"2021-03-01T00:00:00Z"},
 {"number":10,"state":"open","resolution":"revoked","secret_type":"aws_access_key_id","repository":{"name":"infra"}},
 {"number":11,"state":"resolved","resolution":"revoked","secret_type":"slack_api_token","validity":"inactive","repository":{"name":"infra"}}
]`,
		metrics: []string{"github_secret_scanning_alerts", "github_alerts_oldest_open_timestamp_seconds"},
		want: `
# HELP github_secret_scanning_alerts Secret scanning alerts of the organization's repositories by secret type, validity, resolution, kind and state; kind "default" is GitHub's default alerts list (provider and custom patterns, the security overview's summary views), "generic" the non-provider patterns and AI-detected passwords; refreshed on schedule.
# TYPE github_secret_scanning_alerts gauge
github_secret_scanning_alerts{kind="default",org="acme",repository="infra",resolution="",secret_type="aws_access_key_id",state="open",validity="active"} 1
github_secret_scanning_alerts{kind="default",org="acme",repository="infra",resolution="",secret_type="aws_access_key_id",state="open",validity="unknown"} 1
github_secret_scanning_alerts{kind="default",org="acme",repository="infra",resolution="revoked",secret_type="slack_api_token",state="resolved",validity="inactive"} 1
# HELP github_alerts_oldest_open_timestamp_seconds Creation time of the oldest open alert by repository, alert family and severity, refreshed on schedule.
# TYPE github_alerts_oldest_open_timestamp_seconds gauge
github_alerts_oldest_open_timestamp_seconds{family="secret_scanning",org="acme",repository="infra",severity=""} 1.6145568e+09
`,
	}}
	paths := map[string]string{"code_scanning": codeScanningPath, "dependabot": dependabotPath, "secret_scanning": secretScanningPath}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakeGitHub(t, map[string]string{paths[tt.source]: tt.body}, nil)
			e, err := New(Config{Client: gh, Orgs: []string{"acme"}, Sources: []string{tt.source}})
			if err != nil {
				t.Fatal(err)
			}
			e.Run(context.Background())
			if err := testutil.CollectAndCompare(e, strings.NewReader(tt.want), tt.metrics...); err != nil {
				t.Error(err)
			}
			if problems, err := lintProblems(e); err != nil || len(problems) > 0 {
				t.Errorf("lint: %v %v", err, problems)
			}
		})
	}
}
