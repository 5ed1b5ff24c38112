package collector

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

func init() {
	registerSource(codeScanningAnalyses{})
	defaultOff[AnalysesSource] = true // a request per repository: on its own schedule when asked for
}

const (
	AnalysesSource   = "code_scanning_analyses" // on a schedule of its own: see Exporter.RunSource
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
type codeScanningAnalyses struct{}

// analysisCache is what a repository's last 200 answer said, for the 304s that follow it:
// its ETag and the newest analysis per tool. Targets keep one per repository.
type analysisCache struct {
	etag  string
	times toolTimes
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

func (codeScanningAnalyses) Name() string { return AnalysesSource }

func (codeScanningAnalyses) Describe(ch chan<- *prometheus.Desc) { ch <- lastAnalysisDesc }

func (s codeScanningAnalyses) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
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
	for repo := range t.analyses { // repositories no longer kept
		if !kept[repo] {
			delete(t.analyses, repo)
		}
	}
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

// repository returns the newest analysis per tool of one repository: from the answer, or
// on a 304 from the last answer. The request carries the ETag of that last answer.
func (codeScanningAnalyses) repository(ctx context.Context, t *Target, repo string) (toolTimes, error) {
	if t.analyses == nil {
		t.analyses = map[string]analysisCache{}
	}
	path := "repos/" + url.PathEscape(t.Org) + "/" + url.PathEscape(repo) + "/code-scanning/analyses?per_page=100"
	last, known := t.analyses[repo]
	var times toolTimes
	err := t.REST.WalkPages(ctx, analysesEndpoint, path, func(string) (githubapi.Validator, bool) {
		return githubapi.Validator{ETag: last.etag}, known
	}, func(p *githubapi.Page) error {
		if p.NotModified {
			times = last.times
			return githubapi.ErrStop // the first page is all this source reads
		}
		page, err := decodeArray[codeScanningAnalysis](p.Body)
		if err != nil {
			return fmt.Errorf("decoding answer: %w", err)
		}
		times = newestByTool(page)
		t.analyses[repo] = analysisCache{etag: p.ETag, times: times}
		return githubapi.ErrStop
	})
	if err != nil {
		delete(t.analyses, repo)
		return nil, err
	}
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
