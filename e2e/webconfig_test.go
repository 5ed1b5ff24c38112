package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWebConfigExample runs the exporter with deploy/web-config.example.yml
// (its certificate paths pointed at a fresh self-signed certificate): /metrics
// and / answer only over TLS, only with the example's user and password.
func TestWebConfigExample(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	example, err := os.ReadFile(filepath.Join("..", "deploy", "web-config.example.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"/etc/github-security-exporter/tls/tls.crt", certFile,
		"/etc/github-security-exporter/tls/tls.key", keyFile,
	).Replace(string(example))
	if cfg == string(example) {
		t.Fatal("the example's certificate paths changed; update this test")
	}
	webConfig := filepath.Join(dir, "web-config.yml")
	if err := os.WriteFile(webConfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := start(t, nil, "--demo", "--web.config.file="+webConfig)

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	get := func(url, user, password string) (int, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	base := "https://" + e.addr
	deadline := time.Now().Add(time.Minute)
	for {
		code, err := get(base+"/-/healthy", "prometheus", "change-me")
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter does not serve HTTPS with the example web config (%d, %v); log:\n%s", code, err, e.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, path := range []string{"/metrics", "/"} {
		if code, err := get(base+path, "", ""); err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d %v, want 401", path, code, err)
		}
		if code, err := get(base+path, "prometheus", "wrong"); err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d %v, want 401", path, code, err)
		}
		if code, err := get(base+path, "prometheus", "change-me"); err != nil || code != http.StatusOK {
			t.Errorf("%s with the example's credentials: %d %v, want 200", path, code, err)
		}
	}
	if resp, err := http.Get("http://" + e.addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("/metrics answers 200 over plain HTTP")
		}
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "github-security-exporter"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
