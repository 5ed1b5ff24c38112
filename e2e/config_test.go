package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadConfigurationExits checks that each bad configuration ends the program before
// anything starts, with a one-line error that names the problem and a non-zero exit code.
func TestBadConfigurationExits(t *testing.T) {
	dir := t.TempDir()
	emptyToken := filepath.Join(dir, "empty-token")
	if err := os.WriteFile(emptyToken, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badWebConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(badWebConfig, []byte("tls_server_config: [not, a, map\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withToken := []string{"GITHUB_TOKEN=" + token}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"invalid schedule", withToken, []string{"--github.org=acme", "--collector.schedule=every fortnight"}, "invalid schedule"},
		{"negative interval", withToken, []string{"--github.org=acme", "--collector.schedule=@every -5m"}, "interval must be positive"},
		{"no token", []string{"GITHUB_TOKEN="}, []string{"--github.org=acme"}, "no GitHub token"},
		{"empty token file", nil, []string{"--github.org=acme", "--github.token-file=" + emptyToken}, "no GitHub token"},
		{"missing token file", nil, []string{"--github.org=acme", "--github.token-file=" + filepath.Join(dir, "nope")}, "reading --github.token-file"},
		{"no organization", append(withToken, "GITHUB_ORGS="), nil, "no organization"},
		{"bad organization", withToken, []string{"--github.org=acme/../../admin"}, "invalid organization name"},
		{"unparsable URL", withToken, []string{"--github.org=acme", "--github.api-url=://nope"}, "invalid --github.api-url"},
		{"URL without scheme", withToken, []string{"--github.org=acme", "--github.api-url=github.example.com/api/v3"}, "invalid --github.api-url"},
		{"unknown flag", withToken, []string{"--github.org=acme", "--github.orgs=acme"}, "unknown long flag '--github.orgs'"},
		{"bad web config", withToken, []string{"--github.org=acme", "--web.config.file=" + badWebConfig}, "invalid --web.config.file"},
		{"zero rate", withToken, []string{"--github.org=acme", "--github.requests-per-second=0"}, "must be positive"},
		{"bad log level", withToken, []string{"--github.org=acme", "--log.level=loud"}, "unrecognized log level"},
		{"bad repository pattern", withToken, []string{"--github.org=acme", "--repositories.exclude=scratch-[0-9"}, "invalid --repositories.exclude"},
		{"bad GraphQL URL", withToken, []string{"--github.org=acme", "--github.graphql-url=ghe.example.com/api/graphql"}, "invalid --github.graphql-url"},
		{"App key file missing", nil, []string{"--github.org=acme", "--github.app-id=1", "--github.app-installation-id=2", "--github.app-private-key-file=" + filepath.Join(dir, "nope.pem")}, "reading the GitHub App private key"},
		{"App key unparsable", nil, []string{"--github.org=acme", "--github.app-id=1", "--github.app-installation-id=2", "--github.app-private-key-file=" + badWebConfig}, "not a PEM-encoded RSA private key"},
		{"App id without key file", withToken, []string{"--github.org=acme", "--github.app-id=1"}, "needs --github.app-private-key-file"},
		{"no top advisories", withToken, []string{"--github.org=acme", "--collector.dependabot.top-advisories=0"}, "--collector.dependabot.top-advisories must be at least 1"},
		{"backfill without output", withToken, []string{"--github.org=acme", "backfill"}, "required flag(s) '--output' not provided"},
		{"backfill step", withToken, []string{"--github.org=acme", "backfill", "--output=" + filepath.Join(dir, "h.om"), "--step=2h"}, "--step must be 1h or 24h"},
		{"backfill days", withToken, []string{"--github.org=acme", "backfill", "--output=" + filepath.Join(dir, "h.om"), "--days=0"}, "--days must be at least 1"},
		{"backfill end", withToken, []string{"--github.org=acme", "backfill", "--output=" + filepath.Join(dir, "h.om"), "--end=yesterday"}, "--end: want an RFC 3339 time"},
		{"backfill label", withToken, []string{"--github.org=acme", "backfill", "--output=" + filepath.Join(dir, "h.om"), "--label=2job=x"}, "not a Prometheus label name"},
		{"backfill without state", nil, []string{"backfill", "--output=" + filepath.Join(dir, "h.om"), "--storage.path=" + filepath.Join(dir, "nope")}, "reading state file"},
		{"backfill of a foreign state", nil, []string{"backfill", "--output=" + filepath.Join(dir, "h.om"), "--storage.path=" + badWebConfig}, "is foreign: not read"},
		{"bad analyses schedule", withToken, []string{"--github.org=acme", "--collector.code-scanning-analyses.schedule=sometimes"}, "--collector.code-scanning-analyses.schedule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append(tt.args, "--web.listen-address="+freeAddr(t))...)
			cmd.Env = append(os.Environ(), "GITHUB_TOKEN=", "GITHUB_ORGS=")
			cmd.Env = append(cmd.Env, tt.env...)
			out, err := cmd.CombinedOutput()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() == 0 {
				t.Fatalf("want a non-zero exit, got %v; output:\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 {
				t.Errorf("want a one-line error, got %d lines:\n%s", len(lines), out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("error %q does not say %q", out, tt.want)
			}
			if strings.Contains(string(out), token) {
				t.Error("the token appears in the error")
			}
		})
	}
}

// TestDemoServesAllFamilies runs the README's first command's binary: --demo, no token,
// no network, and expects non-zero alert counts for all three alert families and every
// other family the exporter has.
func TestDemoServesAllFamilies(t *testing.T) {
	e := start(t, []string{"GITHUB_TOKEN=", "GITHUB_ORGS="}, "--demo")
	e.waitReady(t, time.Minute)
	series, _ := e.scrape(t)
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts"} {
		var sum float64
		for _, v := range family(series, name) {
			sum += v
		}
		if sum == 0 {
			t.Errorf("demo serves no %s", name)
		}
	}
	families := []string{
		"github_alerts_oldest_open_timestamp_seconds", "github_repository_info",
		"github_secret_scanning_pattern_alerts", "github_secret_scanning_pattern_false_positives",
		"github_secret_scanning_pattern_false_positive_ratio", "github_secret_scanning_pattern_bypass_ratio",
		"github_secret_scanning_pattern_push_protection_enabled", "github_code_security_configuration_info",
		"github_code_security_configuration_setting", "github_code_security_configuration_repositories",
		"github_code_scanning_last_analysis_timestamp_seconds", "github_alerts_open_by_age", "github_alerts_opened_total",
		"github_alerts_time_to_remediate_seconds", "github_alerts_sla_breached", "github_exporter_tracked_alerts",
		"github_secret_scanning_exposed_alerts", "github_secret_scanning_push_protection_bypasses_total",
		"github_dependabot_open_alerts_by_epss", "github_dependabot_open_alerts_by_patch",
		"github_dependabot_open_alerts_by_relationship", "github_dependabot_top_advisory_open_alerts",
	}
	// The analyses run on their own schedule, right after the first collection.
	deadline := time.Now().Add(time.Minute)
	for {
		var missing []string
		for _, name := range families {
			if len(family(series, name)) == 0 {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo serves no %v", missing)
		}
		time.Sleep(2 * time.Second)
		series, _ = e.scrape(t)
	}
}
