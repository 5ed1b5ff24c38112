package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// TestTokenFileRotation rotates the token as an operator does with a mounted
// Kubernetes Secret: the new token goes into the file, the old one is revoked
// on GitHub. The running exporter's next collection uses the new token and
// succeeds, without a restart; neither token shows in its log, /metrics or /.
func TestTokenFileRotation(t *testing.T) {
	const (
		oldToken = "ghp_rOtd7Kq2Zx9Vb4Nm1Lp8Jr3Hs6Tw5Yc0DfG"
		newToken = "ghp_nEwt3Wq8Rt5Yu1Io7Pa2Sd4Fg6Hj9Kl0ZxC"
	)
	sim := githubsim.New(githubsim.Config{Seed: 3, Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 3, CodeScanning: 20, Dependabot: 20, SecretScanning: 5}}})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(oldToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := start(t, []string{"GITHUB_TOKEN="}, "--github.api-url="+api.URL+"/", "--github.org=acme",
		"--github.token-file="+tokenFile, "--collector.schedule=@every 2s", "--github.requests-per-second=100")
	e.waitReady(t, time.Minute)

	rotated := time.Now()
	if err := os.WriteFile(tokenFile, []byte(newToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim.RevokeToken(oldToken)

	// Every source collected successfully after the rotation: only the new token can do that.
	deadline := time.Now().Add(time.Minute)
	for {
		series, _ := e.scrape(t)
		success, fresh := family(series, "github_exporter_collection_success"), 0
		last := family(series, "github_exporter_last_success_timestamp_seconds")
		for k, v := range last {
			if v > float64(rotated.Unix())+1 && success[strings.Replace(k, "github_exporter_last_success_timestamp_seconds", "github_exporter_collection_success", 1)] == 1 {
				fresh++
			}
		}
		if len(last) > 0 && fresh == len(last) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful collection of every source after the rotation (%d of %d fresh); log:\n%s", fresh, len(last), e.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(e.Logs(), "github token file changed") {
		t.Errorf("the rotation was not logged:\n%s", e.Logs())
	}

	_, metrics := e.scrape(t)
	resp, err := http.Get("http://" + e.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for where, text := range map[string]string{"log": e.Logs(), "/metrics": metrics, "/": string(page)} {
		for _, token := range []string{oldToken, newToken} {
			for i := 0; i+8 <= len(token); i++ {
				if part := token[i : i+8]; strings.Contains(text, part) {
					t.Errorf("%s holds %q of a token", where, part)
					break
				}
			}
		}
	}
}
