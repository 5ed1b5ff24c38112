package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// appKey writes a new App private key as GitHub hands it out (PKCS #1 PEM) and returns
// the key and the file.
func appKey(t *testing.T) (*rsa.PrivateKey, string, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	file := filepath.Join(t.TempDir(), "app.private-key.pem")
	if err := os.WriteFile(file, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return key, file, pemBytes
}

// TestGitHubAppAuthentication runs the exporter as a GitHub App installation whose tokens
// live 61 seconds, so that ghinstallation renews the token about every second, against a
// slow Enterprise Server style API: a collection of two organizations spans several
// renewals. Every alert count, explicit zero and inventory series must match the ground
// truth, no request may be refused as unauthenticated, and neither the key nor a token
// may show in the logs or metrics. A token in the environment is not used.
func TestGitHubAppAuthentication(t *testing.T) {
	key, keyFile, pemBytes := appKey(t)
	orgs := []githubsim.OrgSpec{
		{Login: "app-one", Repos: 25, CodeScanning: 1300, Dependabot: 1500, SecretScanning: 250},
		{Login: "app-two", Repos: 8, CodeScanning: 200, Dependabot: 300, SecretScanning: 40},
	}
	sim := githubsim.New(githubsim.Config{
		Seed: 21, PathPrefix: "/api/v3", Orgs: orgs,
		Apps:                 []githubsim.App{{ID: 90210, InstallationID: 4711, PublicKey: &key.PublicKey}},
		InstallationTokenTTL: 61 * time.Second,
		Latency:              80 * time.Millisecond,
	})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+orgs[0].Login, "--github.org="+orgs[1].Login,
		"--github.api-url="+srv.URL+"/api/v3/",
		"--github.app-id=90210", "--github.app-installation-id=4711", "--github.app-private-key-file="+keyFile,
		"--collector.schedule=@every 1h",
		"--github.requests-per-second=200",
		"--log.level=debug",
	)
	e.waitReady(t, 3*time.Minute)
	series, body := e.scrape(t)
	st := sim.Stats()

	all := func(githubsim.Repository) bool { return true }
	for _, o := range orgs {
		want := expected(sim, o.Login)
		for k, v := range expectedZeros(sim, o.Login, all) {
			want[k] = v
		}
		for k, v := range expectedInventory(sim, o.Login, all) {
			want[k] = v
		}
		got := map[string]float64{}
		for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts", "github_repository_info"} {
			for k, v := range ofOrg(family(series, name), o.Login) {
				got[k] = v
			}
		}
		if d := diff(want, got, 20); len(d) > 0 {
			t.Errorf("%s: series differ from the ground truth:\n%s", o.Login, strings.Join(d, "\n"))
		}
		for _, c := range []string{"repositories", "code_scanning", "dependabot", "secret_scanning"} {
			if v := series[seriesKey("github_exporter_collection_success", map[string]string{"org": o.Login, "collector": c})]; v != 1 {
				t.Errorf("collection_success{org=%s,collector=%s} = %v, want 1", o.Login, c, v)
			}
		}
	}
	t.Logf("%d requests, %d installation tokens minted", st.Requests, st.InstallationTokens)
	if st.InstallationTokens < 2 {
		t.Errorf("%d installation tokens minted during the collection, want a renewal mid-walk (>= 2)", st.InstallationTokens)
	}
	if st.ByStatus[http.StatusUnauthorized] != 0 {
		t.Errorf("%d requests answered 401: a token expired mid-walk", st.ByStatus[http.StatusUnauthorized])
	}
	if !strings.Contains(e.Logs(), "is not used") {
		t.Error("no warning that the token in the environment is not used")
	}
	keyLine := strings.Split(string(pemBytes), "\n")[1]
	for what, text := range map[string]string{"logs": e.Logs(), "metrics": body} {
		for _, secret := range []string{keyLine, token, "ghs_"} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s contain a secret (%.8s...)", what, secret)
			}
		}
	}
}
