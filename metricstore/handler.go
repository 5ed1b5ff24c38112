package metricstore

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// HandlerOpts configure Handler.
type HandlerOpts struct {
	// MaxRequestsInFlight bounds concurrent scrapes; more are answered 503 at once, as
	// promhttp does. 0 or negative: no bound.
	MaxRequestsInFlight int
	Logger              *slog.Logger // nil: discard
}

// textFormat is the one exposition format served: every Prometheus since 1.0 accepts it,
// and a client asking for OpenMetrics or protobuf is answered with it (and told so by the
// Content-Type), as content negotiation allows.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// Handler serves the families gathered from g per scrape, then the store's pre-rendered
// exposition; gzip-compressed when the client accepts it. A gathered family the store
// also has is left out, so that no family is served twice.
func Handler(s *Store, g prometheus.Gatherer, opts HandlerOpts) http.Handler {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", opts.MaxRequestsInFlight), http.StatusServiceUnavailable)
				return
			}
		}
		exp := s.Current()
		mfs, err := g.Gather()
		if err != nil {
			logger.Error("gathering the exporter's own metrics", "err", err)
			http.Error(w, "gathering metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		format := expfmt.NegotiateAccept(r.Header, textFormat)
		var head bytes.Buffer
		if err := encode(&head, format, mfs, exp.Families); err != nil {
			logger.Error("encoding the exporter's own metrics", "err", err)
			http.Error(w, "encoding metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", string(format))
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			// Two gzip members in a row are one gzip stream (RFC 1952, 2.2).
			h.Set("Content-Encoding", "gzip")
			zw := gzipWriters.Get().(*gzip.Writer)
			defer gzipWriters.Put(zw)
			zw.Reset(w)
			_, _ = zw.Write(head.Bytes())
			if err := zw.Close(); err != nil {
				return // the client went away
			}
			_, _ = w.Write(exp.Gzip)
			return
		}
		h.Set("Content-Length", strconv.Itoa(head.Len()+len(exp.Text)))
		_, _ = w.Write(head.Bytes())
		_, _ = w.Write(exp.Text)
	})
}

// gzipWriters keep compressors between scrapes: a new one allocates its tables, far more
// than the registry's own families it compresses.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// encode writes the gathered families except those the store serves.
func encode(w *bytes.Buffer, format expfmt.Format, mfs []*dto.MetricFamily, stored []string) error {
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if _, found := slices.BinarySearch(stored, mf.GetName()); found {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (q not 0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		return q > 0
	}
	return false
}
