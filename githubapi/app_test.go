package githubapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

// writeKey writes key as GitHub hands App keys out (PKCS #1 PEM) and returns the file.
func writeKey(t *testing.T, key *rsa.PrivateKey) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "app.pem")
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestCheckAppKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := writeKey(t, key)
	secret := "-----BEGIN RSA PRIVATE KEY-----\nTm90QUtleUJ1dFNlY3JldENvbnRlbnQ=\n-----END RSA PRIVATE KEY-----\n"
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file, want string
	}{
		{"a key", good, ""},
		{"missing file", filepath.Join(t.TempDir(), "nope.pem"), "reading the GitHub App private key"},
		{"not a key", bad, "is not a PEM-encoded RSA private key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAppKey(tt.file)
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "Tm90QUtleUJ1dFNlY3JldENvbnRlbnQ"):
				t.Fatal("the error quotes the key file")
			}
		})
	}
}

// TestAppTransportRenewsTokens walks an Enterprise Server style API as an App
// installation whose tokens live 61 seconds: ghinstallation renews a token a minute
// before it expires, so each second of walking needs a new one, and none is refused.
func TestAppTransportRenewsTokens(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sim := githubsim.New(githubsim.Config{
		Seed:                 1,
		PathPrefix:           "/api/v3",
		Orgs:                 []githubsim.OrgSpec{{Login: "acme", Repos: 4, SecretScanning: 40}},
		Apps:                 []githubsim.App{{ID: 11, InstallationID: 22, PublicKey: &key.PublicKey}},
		InstallationTokenTTL: 61 * time.Second,
		Latency:              150 * time.Millisecond,
	})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	auth, err := NewAppTransport(http.DefaultTransport, ts.URL+"/api/v3/", 11, 22, writeKey(t, key), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ClientOptions{
		BaseURL:    ts.URL + "/api/v3/",
		HTTPClient: &http.Client{Transport: NewTransport(TransportOptions{Base: auth, RequestsPerSecond: 1000})},
	})
	if err != nil {
		t.Fatal(err)
	}
	var alerts []struct{ Number int }
	err = WalkJSON(context.Background(), c, "/orgs/{org}/secret-scanning/alerts", "orgs/acme/secret-scanning/alerts?per_page=2",
		func(page []struct{ Number int }) error {
			alerts = append(alerts, page...)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	st := sim.Stats()
	if len(alerts) != 40 || st.ByStatus[http.StatusUnauthorized] != 0 {
		t.Errorf("%d alerts, %d answers 401; want 40 and none", len(alerts), st.ByStatus[http.StatusUnauthorized])
	}
	if st.InstallationTokens < 2 {
		t.Errorf("%d installation tokens minted over a %s walk, want a renewal", st.InstallationTokens, 20*150*time.Millisecond)
	}
}

// TestAppKeyRotation: the App's key was rotated on GitHub (a new key
// generated, the old one deleted) before the mounted key file was updated.
// Requests fail with the old key; once the file holds the new key the next
// request uses it, without a restart. A garbled file keeps the last key.
func TestAppKeyRotation(t *testing.T) {
	oldKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sim := githubsim.New(githubsim.Config{
		Seed: 1,
		Orgs: []githubsim.OrgSpec{{Login: "acme", Repos: 1, SecretScanning: 2}},
		Apps: []githubsim.App{{ID: 11, InstallationID: 22, PublicKey: &newKey.PublicKey}},
	})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	file := writeKey(t, oldKey)
	var logs bytes.Buffer
	auth, err := NewAppTransport(http.DefaultTransport, ts.URL+"/", 11, 22, file, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: auth}
	get := func() error {
		resp, err := client.Get(ts.URL + "/orgs/acme/secret-scanning/alerts")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := get(); err == nil {
		t.Fatal("the deleted key still works")
	}
	rewrite := func(data []byte, at time.Time) {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, at, at); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(newKey)}), time.Now().Add(time.Minute))
	if err := get(); err != nil {
		t.Errorf("after the key file was rotated: %v", err)
	}
	rewrite([]byte("-----BEGIN RSA PRIVATE KEY-----\ngarbled\n"), time.Now().Add(2*time.Minute))
	if err := get(); err != nil {
		t.Errorf("a garbled key file dropped the working key: %v", err)
	}
	if !strings.Contains(logs.String(), "keeping the previous github app private key") || strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Errorf("want the garbled file logged, without its content:\n%s", logs.String())
	}
}
