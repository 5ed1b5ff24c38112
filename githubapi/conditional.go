package githubapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
)

// maxETags bounds the validators a Client keeps for GetJSON; when full, it starts afresh
// (the next request for each URL is then unconditional once).
const maxETags = 200_000

// etagCache holds, per absolute URL, the ETag of the last 2xx answer GetJSON decoded.
// The zero value is ready for use.
type etagCache struct {
	mu   sync.Mutex
	tags map[string]string
}

func (e *etagCache) get(u string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tag, ok := e.tags[u]
	return tag, ok
}

func (e *etagCache) set(u, tag string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tags == nil || len(e.tags) >= maxETags {
		e.tags = map[string]string{}
	}
	e.tags[u] = tag
}

func (e *etagCache) forget(u string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.tags, u)
}

// GetJSON GETs path (relative to BaseURL, may carry a query; one page, Link headers are not
// followed) and decodes a 2xx body into v. When the client holds the ETag of an earlier
// answer for the same URL the request is conditional: it carries If-None-Match, and a
// 304 Not Modified, which GitHub does not count against the rate limit, returns
// changed=false and leaves v untouched; the caller then uses the value it decoded from
// that earlier answer, so it must keep it. A caller that has lost it calls ForgetETag.
// Non-2xx answers, after the transport's retries, are *StatusError.
func (c *Client) GetJSON(ctx context.Context, endpoint, path string, v any) (changed bool, err error) {
	cached := func(u string) (Validator, bool) {
		tag, ok := c.etags.get(u)
		return Validator{ETag: tag}, ok
	}
	err = c.WalkPages(ctx, endpoint, path, cached, func(p *Page) error {
		if p.NotModified {
			return ErrStop
		}
		body, err := io.ReadAll(p.Body)
		if err == nil {
			err = json.Unmarshal(body, v)
		}
		if err != nil {
			c.etags.forget(p.URL)
			return fmt.Errorf("decoding answer: %w", err)
		}
		if p.ETag == "" {
			c.etags.forget(p.URL)
		} else {
			c.etags.set(p.URL, p.ETag)
		}
		changed = true
		return ErrStop
	})
	return changed, err
}

// ForgetETag drops the validator GetJSON holds for path, so that its next request for
// path is unconditional.
func (c *Client) ForgetETag(path string) {
	if u, err := c.resolve(path); err == nil {
		c.etags.forget(u)
	}
}

// resolve returns the absolute URL WalkPages requests for path.
func (c *Client) resolve(path string) (string, error) {
	rel, err := url.Parse(strings.TrimPrefix(path, "/"))
	if err != nil {
		return "", err
	}
	return c.base.ResolveReference(rel).String(), nil
}
