package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ClientOptions configure a Client. Zero values take the defaults given.
type ClientOptions struct {
	BaseURL      string        // REST base; default "https://api.github.com/"; GHES: "https://HOST/api/v3/"
	HTTPClient   *http.Client  // normally on a *Transport around a *TokenTransport; nil: a client on a default Transport
	APIVersion   string        // X-GitHub-Api-Version; default "2022-11-28"
	UserAgent    string        // default "github-security-exporter"
	MaxPageBytes int64         // default 32 MiB; a larger page is an error
	BodyTimeout  time.Duration // default 2m: time allowed to read one page once its headers arrived
}

// Client walks paginated GitHub REST listings.
type Client struct {
	base         *url.URL
	http         *http.Client
	apiVersion   string
	userAgent    string
	maxPageBytes int64
	bodyTimeout  time.Duration
}

// NewClient checks o.BaseURL and returns a Client.
func NewClient(o ClientOptions) (*Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = "https://api.github.com/"
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing github base url: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("github base url %q: scheme must be http or https", o.BaseURL)
	}
	if base.Host == "" {
		return nil, fmt.Errorf("github base url %q: missing host", o.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	if o.APIVersion == "" {
		o.APIVersion = "2022-11-28"
	}
	if o.UserAgent == "" {
		o.UserAgent = "github-security-exporter"
	}
	if o.MaxPageBytes <= 0 {
		o.MaxPageBytes = 32 << 20
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = 2 * time.Minute
	}
	c := &Client{base: base, apiVersion: o.APIVersion, userAgent: o.UserAgent, maxPageBytes: o.MaxPageBytes, bodyTimeout: o.BodyTimeout}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: NewTransport(TransportOptions{BodyTimeout: o.BodyTimeout, MaxBodyBytes: o.MaxPageBytes})}
	}
	c.http = c.guardRedirects(hc)
	return c, nil
}

// guardRedirects returns a copy of hc that refuses redirects away from the API
// host: the token transport would otherwise send the token there.
func (c *Client) guardRedirects(hc *http.Client) *http.Client {
	guarded := *hc
	next := hc.CheckRedirect
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(c.base, req.URL) {
			return fmt.Errorf("refusing redirect to %s://%s: not the github api host", req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &guarded
}

// BaseURL returns a copy of the REST base URL, with its trailing slash.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// Walk GETs path (relative to BaseURL, may carry a query) and then every Link
// rel="next" URL verbatim until there is none, calling page with each 2xx body.
// endpoint is the bounded route template that labels the requests and errors.
// A non-2xx answer, after the transport's retries, is a *StatusError.
func (c *Client) Walk(ctx context.Context, endpoint, path string, page func(io.Reader) error) error {
	return c.WalkPages(ctx, endpoint, path, nil, func(p *Page) error { return page(p.Body) })
}

// A Page is one answer of a paginated listing.
type Page struct {
	URL         string    // the URL requested
	Body        io.Reader // the body of a 2xx answer; nil when NotModified
	NotModified bool      // GitHub answered 304 to If-None-Match: the page is as last seen
	ETag        string    // the answer's ETag, "" when none (on a 304, the cached one)
	Next        string    // the next page's URL, "" on the last page (on a 304, the cached one)
}

// A Validator is what a caller remembers of a page's last 2xx answer, so that the
// page can be asked for conditionally.
type Validator struct{ ETag, Next string }

// ErrStop, returned by a page function, ends a walk early and without error.
var ErrStop = errors.New("stop walk")

// ErrTooManyPages ends a walk that has used up its page budget (WithMaxPages).
var ErrTooManyPages = errors.New("too many pages")

type maxPagesKey struct{}

// WithMaxPages bounds each walk made with ctx to n pages (n <= 0: no bound): a walk
// whose n-th page still has a next link fails with ErrTooManyPages instead of following
// a server that hands out new cursors forever.
func WithMaxPages(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, maxPagesKey{}, n)
}

// MaxPages returns the page budget ctx carries, 0 when none.
func MaxPages(ctx context.Context) int {
	n, _ := ctx.Value(maxPagesKey{}).(int)
	return max(n, 0)
}

// WalkPages walks like Walk. For each page URL, cached (when not nil) may give the
// validator of its last answer: the request then carries If-None-Match, and a 304 (which
// GitHub does not count against the rate limit) reaches fn as NotModified with the cached
// next link. fn may return ErrStop to end the walk.
func (c *Client) WalkPages(ctx context.Context, endpoint, path string, cached func(url string) (Validator, bool), fn func(*Page) error) error {
	ctx = WithEndpoint(ctx, endpoint)
	rel, err := url.Parse(strings.TrimPrefix(path, "/"))
	if err != nil {
		return fmt.Errorf("GET %s: parsing path: %w", endpoint, err)
	}
	next := c.base.ResolveReference(rel).String()
	seen := map[string]bool{}
	limit := MaxPages(ctx)
	for next != "" {
		if limit > 0 && len(seen) == limit {
			return fmt.Errorf("GET %s: walk cut after %d pages, the budget of one walk: %w", endpoint, limit, ErrTooManyPages)
		}
		if seen[next] {
			return fmt.Errorf("GET %s: pagination loop: next link %s was already fetched", endpoint, next)
		}
		seen[next] = true
		var v *Validator
		if cached != nil {
			if got, ok := cached(next); ok && got.ETag != "" {
				v = &got
			}
		}
		next, err = c.getPage(ctx, endpoint, next, v, fn)
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) {
				return err
			}
			return fmt.Errorf("GET %s: %w", endpoint, err)
		}
	}
	return nil
}

// getPage fetches one page, conditionally when v is not nil, hands it to fn and returns
// the next URL ("" at the end).
func (c *Client) getPage(ctx context.Context, endpoint, rawURL string, v *Validator, fn func(*Page) error) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parsing url: %w", err)
	}
	if !sameOrigin(c.base, u) {
		return "", fmt.Errorf("refusing to follow %s://%s: not the github api host %s", u.Scheme, u.Host, c.base.Host)
	}
	// The page's own context ends a body that trickles in forever; its timer starts once the
	// headers are in, so waits for rate limits inside the transport are not cut short.
	pageCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(pageCtx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", c.apiVersion)
	req.Header.Set("User-Agent", c.userAgent)
	if v != nil {
		req.Header.Set("If-None-Match", v.ETag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		if v == nil {
			return "", errors.New("304 Not Modified to an unconditional request")
		}
		return v.Next, fn(&Page{URL: rawURL, NotModified: true, ETag: v.ETag, Next: v.Next})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", NewStatusError(endpoint, resp)
	}
	timer := time.AfterFunc(c.bodyTimeout, cancel)
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxPageBytes+1))
	if fired := !timer.Stop(); err != nil && fired && ctx.Err() == nil {
		return "", fmt.Errorf("reading response body: took longer than %s", c.bodyTimeout)
	}
	if err != nil {
		return "", fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(body)) > c.maxPageBytes {
		return "", fmt.Errorf("response body larger than %d bytes", c.maxPageBytes)
	}
	next, err := nextLink(u, resp.Header)
	if err != nil {
		return "", err
	}
	if next != "" && isEmptyArray(body) {
		return "", errors.New("a page without items has a next link (GitHub never sends one)")
	}
	page := &Page{URL: rawURL, Body: bytes.NewReader(body), ETag: resp.Header.Get("ETag"), Next: next}
	return next, fn(page)
}

// nextLink returns the rel="next" URL of a response to u, "" when there is none. GitHub's
// absolute links are kept exactly as sent; a relative one is resolved against u.
func nextLink(u *url.URL, h http.Header) (string, error) {
	links, err := ParseLink(strings.Join(h.Values("Link"), ", "))
	if err != nil {
		return "", err
	}
	next, ok := links["next"]
	if !ok {
		return "", nil
	}
	ref, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("parsing next link: %w", err)
	}
	if ref.IsAbs() {
		return next, nil
	}
	return u.ResolveReference(ref).String(), nil
}

// isEmptyArray reports whether body is the JSON array [] (spaces allowed).
func isEmptyArray(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) >= 2 && b[0] == '[' && len(bytes.TrimSpace(b[1:len(b)-1])) == 0 && b[len(b)-1] == ']'
}

// sameOrigin reports whether u has base's scheme and host (default ports made explicit).
func sameOrigin(base, u *url.URL) bool {
	return strings.EqualFold(base.Scheme, u.Scheme) &&
		strings.EqualFold(base.Hostname(), u.Hostname()) && portOf(base) == portOf(u)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// WalkJSON walks like Walk, decodes each page as a JSON array of T and calls fn
// with it. A page that is not a JSON array, has data after it or holds a null element
// is an error.
func WalkJSON[T any](ctx context.Context, c *Client, endpoint, path string, fn func([]T) error) error {
	return c.Walk(ctx, endpoint, path, func(r io.Reader) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '[' {
			return fmt.Errorf("page is not a JSON array (%d bytes, starting %q)", len(data), clip(string(trimmed)))
		}
		var ptrs []*T
		if err := json.Unmarshal(data, &ptrs); err != nil {
			return fmt.Errorf("decoding page: %w", err)
		}
		items := make([]T, len(ptrs))
		for i, p := range ptrs {
			if p == nil {
				return fmt.Errorf("decoding page: element %d is null", i)
			}
			items[i] = *p
		}
		return fn(items)
	})
}
