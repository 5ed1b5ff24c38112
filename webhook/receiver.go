// Package webhook receives GitHub's webhook deliveries (code scanning, Dependabot and secret
// scanning alerts, repository events): it checks the signature before anything else, drops
// duplicates, decodes the events and hands the changes to the collector, which merges them
// into the same per-alert records its walks keep. A delivery is answered at once and
// merged from a bounded queue, well within GitHub's ten seconds.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

// Path is where the receiver listens.
const Path = "/webhook/github"

// MaxPayload is GitHub's cap on a delivery's payload: larger ones are refused.
const MaxPayload = 25 << 20

// Applier merges changes; *collector.Exporter is one.
type Applier interface {
	Apply([]collector.Change) []error
}

// Options configure a Receiver. Zero values take the defaults given.
type Options struct {
	Secret  []byte // the webhook's secret; required
	Applier Applier
	// Registerer takes the receiver's metrics; nil: not registered.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	QueueSize  int // deliveries waiting to be merged; default 10,000
	Remember   int // delivery ids kept to drop duplicates; default 100,000
	Now        func() time.Time
}

// Receiver is the http.Handler of POST /webhook/github. Run merges what it queues.
type Receiver struct {
	secret  []byte
	applier Applier
	logger  *slog.Logger
	now     func() time.Time
	queue   chan delivery
	reading chan struct{} // bounds the payloads held in memory before their signature is checked
	seen    *seenSet
	metrics *metrics
}

// delivery is an accepted delivery waiting to be merged.
type delivery struct {
	id, event string
	changes   []collector.Change
}

// New returns a Receiver; it panics without a secret or an Applier.
func New(o Options) *Receiver {
	if len(o.Secret) == 0 || o.Applier == nil {
		panic("webhook: a secret and an Applier are required")
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 10_000
	}
	if o.Remember <= 0 {
		o.Remember = 100_000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Receiver{
		secret: o.Secret, applier: o.Applier, logger: o.Logger, now: o.Now,
		queue: make(chan delivery, o.QueueSize), reading: make(chan struct{}, maxReading),
		seen: newSeenSet(o.Remember), metrics: newMetrics(o.Registerer),
	}
}

// maxReading bounds the deliveries read at once (up to 25 MB each, unsigned until read);
// readTimeout bounds how long one may take to arrive.
const (
	maxReading  = 8
	readTimeout = 10 * time.Second
)

// Result label values of github_exporter_webhook_deliveries_total.
const (
	resultApplied   = "applied"
	resultDuplicate = "duplicate"
	resultIgnored   = "ignored"
	resultRejected  = "rejected"
	resultQueued    = "" // not a label value: the merge gives the result
)

// ServeHTTP checks, decodes and queues one delivery. Refusals are 4xx with no effect:
// 405 not a POST, 415 not a JSON or form payload, 413 over 25 MB, 401 unsigned or
// mis-signed, 400 no delivery id or not GitHub's shape; 503 when the queue is full.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event := r.Header.Get("X-GitHub-Event")
	label := eventLabel(event)
	status, msg, result := rc.serve(w, r, event)
	if result != resultQueued { // counted when merged
		rc.metrics.deliveries.WithLabelValues(label, result).Inc()
	}
	if result == resultRejected {
		rc.logger.Warn("webhook delivery refused", "event", label, "status", status, "reason", msg)
	}
	http.Error(w, msg, status)
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request, event string) (int, string, string) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, "deliveries are POSTed", resultRejected
	}
	form, ok := contentType(r.Header.Get("Content-Type"))
	if !ok {
		return http.StatusUnsupportedMediaType, "want application/json or application/x-www-form-urlencoded", resultRejected
	}
	body, err := rc.read(w, r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "payload over 25 MB", resultRejected
	case err != nil:
		return http.StatusBadRequest, "reading the payload failed", resultRejected
	}
	if !rc.signed(body, r.Header.Get("X-Hub-Signature-256")) {
		return http.StatusUnauthorized, "missing or wrong X-Hub-Signature-256", resultRejected
	}
	id := r.Header.Get("X-GitHub-Delivery")
	if id == "" || len(id) > 100 {
		return http.StatusBadRequest, "missing X-GitHub-Delivery", resultRejected
	}
	payload := body
	if form {
		values, err := url.ParseQuery(string(body))
		if err != nil || values.Get("payload") == "" {
			return http.StatusBadRequest, "form delivery without a payload field", resultRejected
		}
		payload = []byte(values.Get("payload"))
	}
	if event == "ping" {
		return http.StatusOK, "pong", resultIgnored
	}
	changes, err := Decode(event, payload)
	switch {
	case errors.Is(err, errIgnored):
		return http.StatusOK, "ignored: " + err.Error(), resultIgnored
	case err != nil:
		return http.StatusBadRequest, err.Error(), resultRejected
	}
	if !rc.seen.add(id) {
		return http.StatusOK, "duplicate delivery", resultDuplicate
	}
	select {
	case rc.queue <- delivery{id: id, event: event, changes: changes}:
		return http.StatusAccepted, "accepted", resultQueued
	default:
		rc.seen.remove(id) // a redelivery may be taken later
		return http.StatusServiceUnavailable, "queue full, the next walk reconciles", resultRejected
	}
}

// read reads the body, at most MaxPayload bytes within readTimeout, a few at a time.
func (rc *Receiver) read(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	select {
	case rc.reading <- struct{}{}:
		defer func() { <-rc.reading }()
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	// Not supported by every ResponseWriter (tests' recorders): then the server's own
	// timeouts apply.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(readTimeout))
	return io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayload))
}

// contentType reports whether a delivery's media type is one GitHub sends, and whether it
// is the form encoding.
func contentType(header string) (form, ok bool) {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return false, false
	}
	switch strings.ToLower(mt) {
	case "application/json":
		return false, true
	case "application/x-www-form-urlencoded":
		return true, true
	}
	return false, false
}

// signed checks X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw body
// with the secret, compared in constant time.
func (rc *Receiver) signed(body []byte, header string) bool {
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, rc.secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// maxBatch bounds the deliveries merged at once: the series of a family are recomputed
// once per batch, not once per delivery.
const maxBatch = 500

// Run merges queued deliveries until ctx ends.
func (rc *Receiver) Run(ctx context.Context) {
	for {
		var batch []delivery
		select {
		case <-ctx.Done():
			return
		case d := <-rc.queue:
			batch = append(batch, d)
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case d := <-rc.queue:
				batch = append(batch, d)
			default:
				break drain
			}
		}
		rc.apply(batch)
	}
}

func (rc *Receiver) apply(batch []delivery) {
	var changes []collector.Change
	for _, d := range batch {
		changes = append(changes, d.changes...)
	}
	errs := rc.applier.Apply(changes)
	now := float64(rc.now().UnixNano()) / 1e9
	i := 0
	for _, d := range batch {
		result := resultIgnored
		for _, c := range d.changes {
			switch err := errs[i]; {
			case err == nil:
				result = resultApplied
				rc.metrics.lastDelivery.WithLabelValues(c.Org).Set(now)
			case !errors.Is(err, collector.ErrIgnored):
				rc.logger.Warn("webhook change not merged", "event", d.event, "delivery", d.id, "err", err)
				if result != resultApplied {
					result = resultRejected
				}
			default:
				rc.logger.Debug("webhook change ignored", "event", d.event, "delivery", d.id, "reason", err)
			}
			i++
		}
		rc.metrics.deliveries.WithLabelValues(eventLabel(d.event), result).Inc()
	}
}

// seenSet remembers the last n delivery ids.
type seenSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records id and reports whether it is new.
func (s *seenSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.ids[id]; dup {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.ids[id] = struct{}{}
	return true
}

func (s *seenSet) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

type metrics struct {
	deliveries   *prometheus.CounterVec
	lastDelivery *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "github_exporter_webhook_deliveries_total",
			Help: "Webhook deliveries received, by event and result (applied, duplicate, ignored, rejected).",
		}, []string{"event", "result"}),
		lastDelivery: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "github_exporter_webhook_last_delivery_timestamp_seconds",
			Help: "When the last webhook delivery that changed the organization's records was merged.",
		}, []string{"org"}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.lastDelivery)
	}
	return m
}
