// Package overview owns the exporter's own HTML page at "/": per organization the open
// alerts by family and severity, the repositories with the most open alerts, and the state
// of each collector. It is a quick look without Grafana, not a replacement for it.
//
// The page reads the same numbers /metrics serves, by gathering from the registry, and the
// collectors' status from the exporter; it never calls GitHub. It is rendered on the server
// with html/template, with inline CSS only: no JavaScript, fonts or images from anywhere.
package overview

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// Options describe the exporter the page belongs to.
type Options struct {
	Name        string // exporter name, the page title
	Version     string // shown next to the name when not empty
	MetricsPath string // linked from the page; default /metrics
	Links       []Link // further links in the header, e.g. /-/ready
	// Counts, when not nil, gives the open alerts from the metric store's snapshot
	// instead of a Gather per visit.
	Counts *Counts
}

// Link is a link in the page header.
type Link struct {
	Text, Address string
}

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// contentSecurityPolicy lets the page load nothing but itself and its inline styles.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type handler struct {
	gatherer prometheus.Gatherer
	status   func() []collector.SourceStatus
	opts     Options
	now      func() time.Time // test hook
}

// New returns the handler of the overview page. It serves exactly "/" and answers 404 for
// every other path, so that it can be mounted as the catch-all route of a ServeMux.
func New(g prometheus.Gatherer, status func() []collector.SourceStatus, opts Options) http.Handler {
	if opts.MetricsPath == "" {
		opts.MetricsPath = "/metrics"
	}
	if status == nil {
		status = func() []collector.SourceStatus { return nil }
	}
	return &handler{gatherer: g, status: status, opts: opts, now: time.Now}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, h.page()); err != nil {
		http.Error(w, "rendering the overview page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}

// page gathers the registry and the status and turns them into what the template shows.
func (h *handler) page() *page {
	now := h.now().UTC()
	p := &page{
		Name:        h.opts.Name,
		Version:     h.opts.Version,
		MetricsPath: h.opts.MetricsPath,
		Links:       h.opts.Links,
		Generated:   now.Format(utcLayout),
		Families:    families,
	}
	statuses := h.status()
	var orgs []*orgCounts
	if h.opts.Counts != nil {
		orgs = h.opts.Counts.read(statuses)
	} else {
		mfs, err := h.gatherer.Gather()
		if err != nil {
			p.GatherError = err.Error() // the families gathered before the error are still shown
		}
		orgs = readCounts(mfs, statuses)
	}
	p.Refresh = true
	for _, o := range orgs {
		v := o.view(statuses, now)
		p.Refresh = p.Refresh && v.Pending
		p.Orgs = append(p.Orgs, v)
	}
	return p
}
