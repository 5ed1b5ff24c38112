package githubsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		fault      Fault
		status     int
		message    string // prefix
		retryAfter string
	}{
		{Fault{Kind: SecondaryRateLimit}, http.StatusForbidden, "You have exceeded a secondary rate limit", ""},
		{Fault{Kind: SecondaryRateLimit, RetryAfter: 30}, http.StatusForbidden, "You have exceeded a secondary rate limit", "30"},
		{Fault{Kind: TooManyRequests}, http.StatusTooManyRequests, "You have exceeded a secondary rate limit", ""},
		{Fault{Kind: TooManyRequests, RetryAfter: 5}, http.StatusTooManyRequests, "You have exceeded a secondary rate limit", "5"},
		{Fault{Kind: PrimaryRateLimit}, http.StatusForbidden, "API rate limit exceeded", ""},
		{Fault{Kind: BadGateway}, http.StatusBadGateway, "", ""},
		{Fault{Kind: ServiceUnavailable}, http.StatusServiceUnavailable, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Kind.String()+" retry-after "+strconv.Itoa(tt.fault.RetryAfter), func(t *testing.T) {
			m := newSim(t, Config{Seed: 1})
			m.s.InjectFault(tt.fault)
			resp, body := m.get("/orgs/octo-org/dependabot/alerts")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %s, want %d", resp.Status, tt.status)
			}
			e := decodeError(t, body)
			if msg, _ := e["message"].(string); !strings.HasPrefix(msg, tt.message) {
				t.Errorf("message %q, want prefix %q", msg, tt.message)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("retry-after %q, want %q", got, tt.retryAfter)
			}
			if tt.fault.Kind == PrimaryRateLimit {
				reset, _ := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
				if resp.Header.Get("X-RateLimit-Remaining") != "0" || reset != testNow.Add(primaryFaultReset).Unix() {
					t.Errorf("remaining %s reset %d, want 0 and now+3s", resp.Header.Get("X-RateLimit-Remaining"), reset)
				}
			} else if resp.Header.Get("X-RateLimit-Remaining") == "0" {
				t.Error("remaining 0 on a fault that is not a primary rate limit")
			}
			if resp, _ := m.get("/orgs/octo-org/dependabot/alerts"); resp.StatusCode != http.StatusOK {
				t.Errorf("after the fault: %s, want 200", resp.Status)
			}
		})
	}
}

func TestMalformedJSONFault(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	m.s.InjectFault(Fault{Kind: MalformedJSON})
	resp, body := m.get("/orgs/octo-org/code-scanning/alerts")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s, want 200", resp.Status)
	}
	var v any
	if err := json.Unmarshal(body, &v); err == nil || !strings.HasPrefix(string(body), `[{"number":`) {
		t.Errorf("body %.80q decodes (err %v); want a truncated alert array", body, err)
	}
}

func TestResetConnectionFault(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	m.s.InjectFault(Fault{Kind: ResetConnection})
	req, _ := http.NewRequest(http.MethodGet, m.url("/orgs/octo-org/secret-scanning/alerts"), nil)
	req.Header.Set("Authorization", "Bearer x")
	if resp, err := m.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got %s, want a connection error", resp.Status)
	}
	m.getOK("/orgs/octo-org/secret-scanning/alerts")
	if got := m.s.Stats().ByStatus[0]; got != 1 {
		t.Errorf("Stats().ByStatus[0] = %d, want 1", got)
	}
}

func TestFaultSelection(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	m.s.InjectFault(Fault{Path: "dependabot", After: 2, Times: 3, Kind: BadGateway})
	var got []int
	for range 7 {
		resp, _ := m.get("/orgs/octo-org/dependabot/alerts?per_page=1")
		other, _ := m.get("/orgs/octo-org/code-scanning/alerts?per_page=1")
		if other.StatusCode != http.StatusOK {
			t.Errorf("code scanning: %s; the fault is for dependabot only", other.Status)
		}
		got = append(got, resp.StatusCode)
	}
	want := []int{200, 200, 502, 502, 502, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
}

func TestFaultDoesNotCharge(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	m.s.InjectFault(Fault{Kind: SecondaryRateLimit, Times: 2})
	m.get("/orgs/octo-org/dependabot/alerts")
	m.get("/orgs/octo-org/dependabot/alerts")
	resp, _ := m.getOK("/orgs/octo-org/dependabot/alerts")
	if resp.Header.Get("X-RateLimit-Used") != "1" {
		t.Errorf("used %s after two faults and one answer, want 1", resp.Header.Get("X-RateLimit-Used"))
	}
}

func TestSetUnavailable(t *testing.T) {
	m := newSim(t, Config{Seed: 1})
	const ghas = "Advanced Security must be enabled for this repository to use code scanning."
	m.s.SetUnavailable("octo-org", FamilyCodeScanning, http.StatusForbidden, ghas)
	m.s.SetUnavailable("OTHER-ORG", FamilySecretScanning, http.StatusNotFound, "Not Found")
	tests := []struct {
		path    string
		status  int
		message string
	}{
		{"/orgs/octo-org/code-scanning/alerts", http.StatusForbidden, ghas},
		{"/organizations/6811672/code-scanning/alerts?after=", http.StatusForbidden, ghas},
		{"/orgs/octo-org/dependabot/alerts", http.StatusOK, ""},
		{"/orgs/octo-org/secret-scanning/alerts", http.StatusOK, ""},
		{"/orgs/other-org/secret-scanning/alerts", http.StatusNotFound, "Not Found"},
		{"/orgs/other-org/code-scanning/alerts", http.StatusOK, ""},
	}
	for _, tt := range tests {
		resp, body := m.get(tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %s, want %d", tt.path, resp.Status, tt.status)
			continue
		}
		if tt.message != "" && decodeError(t, body)["message"] != tt.message {
			t.Errorf("%s: body %s", tt.path, body)
		}
	}
	m.s.SetUnavailable("octo-org", FamilyCodeScanning, 0, "")
	m.getOK("/orgs/octo-org/code-scanning/alerts")
}

func TestLatencyRespectsContext(t *testing.T) {
	m := newSim(t, Config{Seed: 1, Latency: time.Hour})
	req, _ := http.NewRequest(http.MethodGet, m.url("/orgs/octo-org/code-scanning/alerts"), nil)
	req.Header.Set("Authorization", "Bearer x")
	client := m.ts.Client()
	client.Timeout = 100 * time.Millisecond
	start := time.Now()
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered despite an hour of latency")
	}
	m.ts.CloseClientConnections()
	// The handler must notice the client is gone rather than sleep on.
	deadline := time.Now().Add(5 * time.Second)
	for m.s.Stats().Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if m.s.Stats().Requests != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("handler still sleeping after the client left")
	}
}
