package collector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// repoCodeScanningEndpoint is the per-repository code scanning listing: GitHub Enterprise
// Server before 3.5 has no organization-level one, and answers 404 there.
const repoCodeScanningEndpoint = "/repos/{owner}/{repo}/code-scanning/alerts"

// orgListingMissing reports whether err is the 404 of a server without the
// organization-level listing.
func orgListingMissing(err error) bool {
	var se *githubapi.StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusNotFound
}

// walkRepoCodeScanning walks GET /repos/{org}/{repo}/code-scanning/alerts?per_page=100 of
// every kept repository of the inventory, following its (page-number) links, and hands
// each alert, named after its repository (the per-repository payload has no repository
// object), to count. A repository GitHub refuses (404 "no analysis found", 403 code
// scanning not enabled) is skipped; when every repository is refused, orgErr, the
// organization listing's 404, is returned: code scanning is not available at all.
func walkRepoCodeScanning(ctx context.Context, t *Target, orgErr error, count func(*codeScanningAlert) error) error {
	served := 0
	for _, repo := range t.Repos.Names() {
		if !t.Keep(repo) {
			continue
		}
		path := "repos/" + url.PathEscape(t.Org) + "/" + url.PathEscape(repo) + "/code-scanning/alerts?per_page=100"
		err := githubapi.WalkJSON(ctx, t.REST, repoCodeScanningEndpoint, path, func(page []codeScanningAlert) error {
			for i := range page {
				page[i].Repository.Name = repo
				if err := count(&page[i]); err != nil {
					return err
				}
			}
			return nil
		})
		switch {
		case err == nil:
			served++
		case !githubapi.IsNotAvailable(err):
			return fmt.Errorf("repository %s: %w", repo, err)
		}
	}
	if served == 0 {
		return orgErr
	}
	return nil
}
