package collector

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

func init() {
	registerSource(&codeScanningAnalyses{last: map[*Target]map[string]toolTimes{}})
	defaultOff[analysesSource] = true // a request per repository: on its own schedule when asked for
}

const (
	analysesSource   = "code_scanning_analyses"
	analysesEndpoint = "/repos/{owner}/{repo}/code-scanning/analyses"
)

var lastAnalysisDesc = prometheus.NewDesc(
	"github_code_scanning_last_analysis_timestamp_seconds",
	"Creation time of the newest code scanning analysis of a branch of the repository by tool, pull requests left out, refreshed on its own schedule.",
	[]string{"org", "repository", "tool"}, nil,
)

// codeScanningAnalyses reads, for every kept repository of the inventory, the first page
// of GET /repos/{owner}/{repo}/code-scanning/analyses?per_page=100 (newest first) and
// keeps the newest analysis per tool: one request per repository gives every tool that
// ran among the repository's last hundred analyses. Analyses of pull requests
// (refs/pull/...) are left out, so the time is that of the newest analysis of a branch,
// in practice the default branch (the inventory does not give the default branch, so the
// request carries no ref). The requests are conditional: an unchanged repository costs a
// 304, which GitHub does not count against the rate limit, and keeps its last value. A
// repository without analyses (404 "no analysis found") or without code scanning (403)
// has no series.
type codeScanningAnalyses struct {
	mu sync.Mutex
	// last holds, per organization and repository, the times of the last 200 answer, for
	// the 304s that follow it. Keyed by Target, whose REST client holds the ETags.
	last map[*Target]map[string]toolTimes
}

// toolTimes is the creation time of the newest analysis per tool, Unix seconds.
type toolTimes map[string]int64

type codeScanningAnalysis struct {
	Ref       string     `json:"ref"`
	CreatedAt githubTime `json:"created_at"`
	Tool      struct {
		Name *string `json:"name"`
	} `json:"tool"`
}

func (*codeScanningAnalyses) Name() string { return analysesSource }

func (*codeScanningAnalyses) Describe(ch chan<- *prometheus.Desc) { ch <- lastAnalysisDesc }

func (s *codeScanningAnalyses) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	if t.Repos == nil {
		return nil, fmt.Errorf("no repository inventory of %s yet: code scanning analyses are read per repository of the %q source", t.Org, inventorySource)
	}
	newest := map[[2]string]int64{} // by cleaned repository and tool
	var refused error
	served, kept := 0, map[string]bool{}
	for _, repo := range t.Repos.Names() {
		if !t.Keep(repo) {
			continue
		}
		kept[repo] = true
		times, err := s.repository(ctx, t, repo)
		switch {
		case githubapi.IsNotAvailable(err):
			refused = err // no analysis, or code scanning off there: no series
			continue
		case err != nil:
			return nil, fmt.Errorf("listing code scanning analyses of %s/%s: %w", t.Org, repo, err)
		}
		served++
		for tool, at := range times {
			k := [2]string{cleanLabel(repo), cleanLabel(tool)}
			newest[k] = max(newest[k], at)
		}
		if len(newest) > maxSeries {
			return nil, fmt.Errorf("code scanning analyses of %s: more than %d series", t.Org, maxSeries)
		}
	}
	s.prune(t, kept)
	if served == 0 && refused != nil {
		return nil, fmt.Errorf("listing code scanning analyses of %s: no repository answered: %w", t.Org, refused)
	}
	out := make([]prometheus.Metric, 0, len(newest))
	for k, at := range newest {
		m, err := prometheus.NewConstMetric(lastAnalysisDesc, prometheus.GaugeValue, float64(at), t.Org, k[0], k[1])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// repository returns the newest analysis per tool of one repository: from the answer,
// or on a 304 from the last answer.
func (s *codeScanningAnalyses) repository(ctx context.Context, t *Target, repo string) (toolTimes, error) {
	path := "repos/" + url.PathEscape(t.Org) + "/" + url.PathEscape(repo) + "/code-scanning/analyses?per_page=100"
	cached, ok := s.cached(t, repo)
	if !ok {
		t.REST.ForgetETag(path) // a 304 would stand for a value this source no longer has
	}
	var page []codeScanningAnalysis
	changed, err := t.REST.GetJSON(ctx, analysesEndpoint, path, &page)
	if err != nil {
		s.forget(t, repo)
		return nil, err
	}
	if !changed {
		return cached, nil
	}
	times := newestByTool(page)
	s.remember(t, repo, times)
	return times, nil
}

// newestByTool is the newest analysis per tool of a page, pull requests left out.
func newestByTool(page []codeScanningAnalysis) toolTimes {
	times := toolTimes{}
	for _, a := range page {
		at := a.CreatedAt.unixSeconds()
		if strings.HasPrefix(a.Ref, "refs/pull/") || at == 0 {
			continue
		}
		tool := orDefault(a.Tool.Name, "unknown")
		if at > times[tool] {
			times[tool] = at
		}
	}
	return times
}

func (s *codeScanningAnalyses) cached(t *Target, repo string) (toolTimes, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	times, ok := s.last[t][repo]
	return times, ok
}

func (s *codeScanningAnalyses) remember(t *Target, repo string, times toolTimes) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last[t] == nil {
		s.last[t] = map[string]toolTimes{}
	}
	s.last[t][repo] = times
}

func (s *codeScanningAnalyses) forget(t *Target, repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last[t], repo)
}

// prune drops the repositories no longer kept.
func (s *codeScanningAnalyses) prune(t *Target, kept map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for repo := range s.last[t] {
		if !kept[repo] {
			delete(s.last[t], repo)
		}
	}
}
