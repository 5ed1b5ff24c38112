package githubsim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRevokedTokenIsBadCredentials(t *testing.T) {
	s := New(Config{Seed: 1, Orgs: []OrgSpec{{Login: "acme", Repos: 1, Dependabot: 1}}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	get := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/orgs/acme/dependabot/alerts", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("ghp_old"); code != http.StatusOK {
		t.Fatalf("before revocation: %d", code)
	}
	s.RevokeToken("ghp_old")
	if code := get("ghp_old"); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	if code := get("ghp_new"); code != http.StatusOK {
		t.Errorf("another token: %d, want 200", code)
	}
}
