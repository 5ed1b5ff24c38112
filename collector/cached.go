package collector

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/github-security-exporter/github-security-exporter/githubapi"
)

// cachedBody is the last 2xx answer of a page URL of a small listing, replayed when GitHub
// answers 304 to the conditional request.
type cachedBody struct {
	etag, next string
	body       []byte
}

// walkCached walks a small listing (configurations, patterns) like githubapi's Walk, but
// asks for every page with the ETag of its last answer and replays the kept body on a
// 304, which GitHub does not count against the rate limit: an unchanged listing costs
// nothing counted. What a walk saw replaces what was kept for its path once it succeeds.
func (t *Target) walkCached(ctx context.Context, endpoint, path string, page func(io.Reader) error) error {
	if t.bodies == nil {
		t.bodies = map[string]map[string]cachedBody{}
	}
	kept := t.bodies[path]
	seen := map[string]cachedBody{}
	ctx = t.withPageBudget(ctx, len(kept))
	err := t.REST.WalkPages(ctx, endpoint, path, func(u string) (githubapi.Validator, bool) {
		c, ok := kept[u]
		return githubapi.Validator{ETag: c.etag, Next: c.next}, ok
	}, func(p *githubapi.Page) error {
		pageRead(ctx)
		c := cachedBody{etag: p.ETag, next: p.Next}
		if p.NotModified {
			c.body = kept[p.URL].body
		} else {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				return err
			}
			c.body = b
		}
		if c.etag != "" {
			seen[p.URL] = c
		}
		return page(bytes.NewReader(c.body))
	})
	if err == nil {
		t.bodies[path] = seen
	}
	return err
}

// walkCachedJSON is walkCached for listings whose pages are JSON arrays of T.
func walkCachedJSON[T any](ctx context.Context, t *Target, endpoint, path string, fn func([]T) error) error {
	return t.walkCached(ctx, endpoint, path, func(r io.Reader) error {
		page, err := decodeArray[T](r)
		if err != nil {
			return fmt.Errorf("decoding a page of %s: %w", endpoint, err)
		}
		return fn(page)
	})
}
