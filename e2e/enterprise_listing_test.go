package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// TestEnterpriseListings runs the exporter with --github.enterprise on an enterprise of
// three organizations: one walk of each enterprise listing must give every organization's
// series equal to its ground truth, at the page floor of the listing (every page of 100
// once, and the head of the updated-first listing), with no organization listing asked.
func TestEnterpriseListings(t *testing.T) {
	const slug = "acme-enterprise"
	orgs := []githubsim.OrgSpec{
		{Login: "ent-one", Repos: 12, CodeScanning: 420, Dependabot: 610, SecretScanning: 90},
		{Login: "ent-two", Repos: 9, CodeScanning: 260, Dependabot: 330, SecretScanning: 45},
		{Login: "ent-three", Repos: 6, CodeScanning: 120, Dependabot: 150, SecretScanning: 25},
	}
	sim := githubsim.New(githubsim.Config{Seed: 51, Orgs: orgs, EnterpriseSlug: slug})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.enterprise="+slug, "--github.api-url="+srv.URL+"/",
		"--collector.schedule=@every 1h", "--github.requests-per-second=200",
	)
	e.waitReady(t, 3*time.Minute)
	series, _ := e.scrape(t)
	for _, o := range orgs {
		if d := diff(orgTruth(sim, o.Login), orgSeries(series, o.Login), 10); len(d) > 0 {
			t.Errorf("%s differs from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
		}
	}
	st := sim.Stats()
	for _, fam := range []struct {
		path  string
		total func(string) int
	}{
		{"/code-scanning/alerts", func(org string) int { return len(sim.CodeScanningAlerts(org)) }},
		{"/dependabot/alerts", func(org string) int { return len(sim.DependabotAlerts(org)) }},
		{"/secret-scanning/alerts", func(org string) int { return len(sim.SecretScanningAlerts(org)) }},
	} {
		total := 0
		for _, o := range orgs {
			total += fam.total(o.Login)
		}
		floor := (total+99)/100 + 1
		if got := st.ByEndpoint["/enterprises/{enterprise}"+fam.path]; got != floor {
			t.Errorf("%s: %d requests to the enterprise listing for %d alerts, want the page floor %d", fam.path, got, total, floor)
		}
		if got := st.ByEndpoint["/orgs/{org}"+fam.path]; got != 0 {
			t.Errorf("%s: %d requests to the organization listings", fam.path, got)
		}
	}

	// GitHub serves these listings to classic tokens only.
	for _, tok := range []string{"github_pat_11AAFineGrained", "ghs_InstallationToken"} {
		req, _ := http.NewRequest("GET", srv.URL+"/enterprises/"+slug+"/dependabot/alerts", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%.10s...: the simulated enterprise listing answered %d, want 403", tok, resp.StatusCode)
		}
	}
}

// TestEnterpriseRefusesAppsAndFineGrainedTokens: --github.enterprise with a GitHub App or
// a fine-grained token is refused at start with a one-line error.
func TestEnterpriseRefusesAppsAndFineGrainedTokens(t *testing.T) {
	_, keyFile, _ := appKey(t)
	for name, tc := range map[string]struct {
		env  []string
		args []string
	}{
		"GitHub App":         {nil, []string{"--github.app-id=1", "--github.app-private-key-file=" + keyFile}},
		"fine-grained token": {[]string{"GITHUB_TOKEN=github_pat_11AAAAAAA0FineGrainedTokenValue"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := append([]string{"--github.enterprise=acme-enterprise", "--web.listen-address=" + freeAddr(t)}, tc.args...)
			cmd := exec.CommandContext(ctx, binary, args...)
			cmd.Env = append(append(os.Environ(), "GITHUB_TOKEN=", "GITHUB_ORGS="), tc.env...)
			out, err := cmd.CombinedOutput()
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() == 0 {
				t.Fatalf("want a non-zero exit, got %v; output:\n%s", err, out)
			}
			if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 {
				t.Errorf("want a one-line error, got %d lines:\n%s", len(lines), out)
			}
			if !strings.Contains(string(out), "classic personal access token") {
				t.Errorf("the error does not say a classic token is needed: %s", out)
			}
			if strings.Contains(string(out), "FineGrainedTokenValue") {
				t.Error("the token appears in the error")
			}
		})
	}
}
