package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// Installation is one installation of a GitHub App.
type Installation struct {
	ID         int64
	Account    string // the login of the organization or user it is installed on
	TargetType string // Organization or User
}

// installationJSON is the part of GitHub's installation object that is used.
type installationJSON struct {
	ID      int64 `json:"id"`
	Account *struct {
		Login string `json:"login"`
	} `json:"account"`
	TargetType string `json:"target_type"`
}

// maxInstallations bounds what a (broken or hostile) server can make the exporter keep.
const maxInstallations = 10_000

// NewAppsTransport returns a RoundTripper that authenticates as the GitHub App itself,
// with a JWT signed by its private key, as GET /app/installations wants. Put it under a
// Transport so that the listing is paced, retried and counted.
func NewAppsTransport(base http.RoundTripper, appID int64, keyFile string) (http.RoundTripper, error) {
	if err := CheckAppKey(keyFile); err != nil {
		return nil, err
	}
	t, err := ghinstallation.NewAppsTransportKeyFromFile(base, appID, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the GitHub App private key from %s: not a PEM-encoded RSA private key", keyFile)
	}
	return t, nil
}

// ListInstallations walks GET /app/installations with c, a client authenticated as the
// App (NewAppsTransport), and returns every installation.
func ListInstallations(ctx context.Context, c *Client) ([]Installation, error) {
	var out []Installation
	err := WalkJSON(ctx, c, "/app/installations", "app/installations?per_page=100", func(page []installationJSON) error {
		for _, in := range page {
			if in.ID <= 0 || in.Account == nil || in.Account.Login == "" {
				return fmt.Errorf("an installation without id or account")
			}
			out = append(out, Installation{ID: in.ID, Account: in.Account.Login, TargetType: in.TargetType})
		}
		if len(out) > maxInstallations {
			return fmt.Errorf("more than %d installations", maxInstallations)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the GitHub App's installations: %w", err)
	}
	return out, nil
}

// OrganizationInstallations keeps the installations on organizations, only those of
// orgs when orgs is not empty (matched without regard to case), and returns the orgs
// named that have no installation.
func OrganizationInstallations(all []Installation, orgs []string) (kept []Installation, missing []string) {
	for _, in := range all {
		if !strings.EqualFold(in.TargetType, "Organization") {
			continue
		}
		if len(orgs) == 0 || containsFold(orgs, in.Account) {
			kept = append(kept, in)
		}
	}
	for _, org := range orgs {
		found := false
		for _, in := range kept {
			found = found || strings.EqualFold(in.Account, org)
		}
		if !found {
			missing = append(missing, org)
		}
	}
	return kept, missing
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
