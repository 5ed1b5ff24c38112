package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// alertSeries keeps the alert count families of a scrape.
func alertSeries(series map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, name := range []string{"github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts"} {
		for k, v := range family(series, name) {
			out[k] = v
		}
	}
	return out
}

// TestShardsAndReplicas runs three shards over seven organizations and a second replica
// of one shard: every organization is served by exactly one shard, the union is the
// simulator's ground truth, and the two replicas serve identical alert series.
func TestShardsAndReplicas(t *testing.T) {
	orgs := []string{"north", "south", "east", "west", "centre", "upper", "lower"}
	var specs []githubsim.OrgSpec
	for i, org := range orgs {
		specs = append(specs, githubsim.OrgSpec{Login: org, Repos: 4 + i, CodeScanning: 60 + 10*i, Dependabot: 80, SecretScanning: 15})
	}
	sim := githubsim.New(githubsim.Config{Seed: 11, Orgs: specs})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	args := func(shard int) []string {
		return []string{"--github.org=" + strings.Join(orgs, ","), "--github.api-url=" + srv.URL + "/",
			"--collector.schedule=@every 24h", "--github.requests-per-second=200",
			fmt.Sprintf("--shard=%d", shard), "--total-shards=3"}
	}
	env := []string{"GITHUB_TOKEN=" + token}
	shards := []*exporter{start(t, env, args(0)...), start(t, env, args(1)...), start(t, env, args(2)...)}
	replica := start(t, env, args(1)...)

	served := map[string][]int{} // org → shards serving its alert series
	got := map[string]float64{}
	for i, e := range shards {
		e.waitReady(t, 2*time.Minute)
		series, _ := e.scrape(t)
		orgsOf := map[string]bool{}
		for k, v := range alertSeries(series) {
			_, labels := parseSeries(k)
			orgsOf[labels["org"]] = true
			got[k] = v
		}
		for org := range orgsOf {
			served[org] = append(served[org], i)
		}
	}
	want := map[string]float64{}
	for _, org := range orgs {
		if len(served[org]) != 1 {
			t.Errorf("%s served by shards %v, want exactly one", org, served[org])
		}
		for k, v := range expected(sim, org) {
			want[k] = v
		}
		for k, v := range expectedZeros(sim, org, func(githubsim.Repository) bool { return true }) {
			want[k] = v
		}
	}
	for i := range shards {
		n := 0
		for _, s := range served {
			if len(s) == 1 && s[0] == i {
				n++
			}
		}
		if n == 0 {
			t.Errorf("shard %d serves no organization: the test says little about the hash", i)
		}
	}
	if d := diff(want, got, 20); len(d) > 0 {
		t.Errorf("the shards' union differs from the simulator's ground truth:\n%s", strings.Join(d, "\n"))
	}

	replica.waitReady(t, 2*time.Minute)
	a, _ := shards[1].scrape(t)
	b, _ := replica.scrape(t)
	if d := diff(alertSeries(a), alertSeries(b), 20); len(d) > 0 || len(alertSeries(a)) == 0 {
		t.Errorf("two replicas of shard 1 serve different alert series (%d series):\n%s", len(alertSeries(a)), strings.Join(d, "\n"))
	}
}

// TestWalkProgressAndETA slows the Dependabot walk with latency and a rate-limit budget
// that runs out every few seconds, and follows github_exporter_walk_*: pages read rise,
// the pages expected are known from the second full walk on, and the ETA read a quarter
// of the way through ends within 20% of the walk's real end. The overview page shows the
// walk's progress bar (Chromium screenshot).
func TestWalkProgressAndETA(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("no chromium in PATH (%v): install Debian package chromium", err)
	}
	const org = "slow-org"
	sim := githubsim.New(githubsim.Config{Seed: 3, Latency: 20 * time.Millisecond, RateLimit: 25, RateLimitWindow: 6 * time.Second,
		Orgs: []githubsim.OrgSpec{{Login: org, Repos: 20, Dependabot: 5900}}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	// Alerts change all along, so that a full walk's pages are answered 200 (charged to
	// the budget), not 304, as after a day's changes.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sim.Churn(ctx, time.Second, 40)
	e := start(t, []string{"GITHUB_TOKEN=" + token},
		"--github.org="+org, "--github.api-url="+srv.URL+"/",
		"--no-collector.repositories", "--no-collector.code-scanning", "--no-collector.secret-scanning",
		"--no-collector.secret-scanning-patterns", "--no-collector.code-security-configurations",
		"--collector.schedule=@every 1s", "--collector.full-walk-interval=1s",
		"--github.requests-per-second=50", "--github.rate-limit-reserve=5")
	e.waitHealthy(t, time.Minute)

	labels := map[string]string{"org": org, "collector": "dependabot"}
	read, expected, eta := seriesKey("github_exporter_walk_pages_read", labels),
		seriesKey("github_exporter_walk_pages_expected", labels), seriesKey("github_exporter_walk_eta_seconds", labels)
	var (
		firstWalkRead []float64 // pages read seen during the first walk
		sampled       time.Time // when the ETA was read
		predicted     time.Time // the end it predicted
		ended         time.Time
		shot, dom     = make(chan string, 1), make(chan string, 1)
		dir           = t.TempDir()
		pages         float64
	)
	deadline := time.Now().Add(4 * time.Minute)
	for ended.IsZero() && time.Now().Before(deadline) {
		series, _ := e.scrape(t)
		now := time.Now()
		exp, known := series[expected]
		switch {
		case !known && predicted.IsZero():
			if _, ok := series[eta]; ok {
				t.Fatalf("an ETA without pages expected: %v", series[eta])
			}
			if r := series[read]; r > 0 && (len(firstWalkRead) == 0 || r != firstWalkRead[len(firstWalkRead)-1]) {
				firstWalkRead = append(firstWalkRead, r)
			}
		case known && predicted.IsZero() && series[read] >= exp/4:
			sampled, pages = now, exp
			predicted = now.Add(time.Duration(series[eta] * float64(time.Second)))
			go func() { // while the walk goes on; the test goroutine keeps polling
				file := filepath.Join(dir, "walk.png")
				_, err := runChromium(dir, "--window-size=1280,1400", "--screenshot="+file, "http://"+e.addr+"/")
				shot <- fmt.Sprint(file, err)
				page, err := runChromium(dir, "--dump-dom", "http://"+e.addr+"/")
				dom <- fmt.Sprint(page, err)
			}()
		case !predicted.IsZero() && (!known || series[read] < pages/4):
			ended = now // the walk ended: pages read went back to 0 or a new walk began
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(firstWalkRead) < 3 {
		t.Fatalf("pages read during the first walk: %v, want it seen rising", firstWalkRead)
	}
	for i := 1; i < len(firstWalkRead); i++ {
		if firstWalkRead[i] < firstWalkRead[i-1] {
			t.Errorf("pages read went down during the first walk: %v", firstWalkRead)
		}
	}
	if predicted.IsZero() || ended.IsZero() {
		t.Fatalf("no second full walk with pages expected seen to its end (predicted %v, ended %v); logs:\n%s", predicted, ended, tail(e.Logs()))
	}
	if want := float64(1 + 59); pages < want {
		t.Errorf("pages expected %v, want at least %v: the head page and 5,900 alerts at 100 a page", pages, want)
	}
	left := ended.Sub(sampled)
	if miss := predicted.Sub(ended); math.Abs(miss.Seconds()) > 0.2*left.Seconds() {
		t.Errorf("ETA read %s before the end predicted it %s off (more than 20%%); logs:\n%s", left.Round(time.Millisecond), miss.Round(time.Millisecond), tail(e.Logs()))
	}
	t.Logf("ETA read %s before the walk ended; predicted end off by %s", left.Round(time.Millisecond), predicted.Sub(ended).Round(time.Millisecond))

	file := <-shot
	if !strings.HasSuffix(file, "<nil>") {
		t.Fatalf("chromium: %s", file)
	}
	checkNotBlank(t, strings.TrimSuffix(file, "<nil>"), 1280, 1400)
	if page := <-dom; !strings.Contains(page, `class="walk-bar"`) || !strings.Contains(page, fmt.Sprintf("of %v pages", pages)) || !strings.Contains(page, " left") {
		_, body, _ := strings.Cut(page, "<main")
		t.Errorf("the overview page shows no progress bar with the pages and the ETA of the walk:\n<main%s", body)
	}
}

// TestWebConfigProtectsMetrics serves the demo with TLS and basic auth from
// --web.config.file: /metrics answers 401 without the password, and with it serves the
// pre-rendered exposition, gzip-compressed when asked.
func TestWebConfigProtectsMetrics(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedPool(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := writeFile(t, filepath.Join(dir, "web.yml"), fmt.Appendf(nil,
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash))
	e := start(t, nil, "--demo", "--collector.schedule=@every 24h", "--web.config.file="+webConfig)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableCompression: true}}
	url := "https://" + e.addr + "/metrics"

	var resp *http.Response
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, "https://"+e.addr+"/-/ready", nil)
		req.SetBasicAuth("prometheus", "s3cret")
		if resp, err = client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
	}
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("not ready over TLS with the password: %v %v; logs:\n%s", resp, err, tail(e.Logs()))
	}
	if resp, err := client.Get(url); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics without the password: %v %v, want 401", resp, err)
	}
	if resp, err := http.Get("http://" + e.addr + "/metrics"); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("/metrics served over plain HTTP")
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("prometheus", "s3cret")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics with the password: %v %v", resp, err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte("\ngithub_dependabot_alerts{")) || !bytes.Contains(body, []byte("\ngo_goroutines ")) {
		t.Errorf("the gzip exposition lacks the alert data or the process's own families (%d bytes)", len(body))
	}
}

// selfSignedPool writes a certificate for 127.0.0.1 and its key, and returns a pool trusting it.
func selfSignedPool(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := writeFile(t, filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyFile := writeFile(t, filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	_ = os.Chmod(keyFile, 0o600)
	return certFile, keyFile, pool
}

// runChromium is chromium for a goroutine other than the test's: it returns its error.
func runChromium(dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp(dir, "profile")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "chromium", append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
	}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("chromium %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}
