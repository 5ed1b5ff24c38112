package githubapi

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the exporter's API-usage metrics. One per process. A nil *Metrics
// is accepted everywhere and records nothing.
type Metrics struct {
	requests  *prometheus.CounterVec
	retries   *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	limit     *prometheus.GaugeVec
	remaining *prometheus.GaugeVec
	reset     *prometheus.GaugeVec
	reserve   prometheus.Gauge
	waited    prometheus.Counter
	backoff   *prometheus.CounterVec
}

// NewMetrics creates the API-usage metrics and registers them with reg (unless reg is nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "github_exporter_api_requests_total",
			Help: "HTTP requests sent to the GitHub API, by route and HTTP status code (error: no response).",
		}, []string{"route", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "github_exporter_api_retries_total",
			Help: "GitHub API requests retried, by route and reason.",
		}, []string{"route", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "github_exporter_api_request_duration_seconds",
			Help:    "Duration of single HTTP requests to the GitHub API, by route.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "github_exporter_rate_limit_limit",
			Help: "GitHub API rate limit of the token, by resource, as last reported by GitHub.",
		}, []string{"resource"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "github_exporter_rate_limit_remaining",
			Help: "GitHub API requests (or points) left in the current rate-limit window, by resource, as last reported by GitHub.",
		}, []string{"resource"}),
		reset: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "github_exporter_rate_limit_reset_timestamp_seconds",
			Help: "Time at which the current GitHub API rate-limit window resets, by resource, as last reported by GitHub.",
		}, []string{"resource"}),
		reserve: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "github_exporter_rate_limit_reserve",
			Help: "Requests of each rate-limit resource the exporter leaves unspent: at or below it, it pauses until the reset (--github.rate-limit-reserve; -1: no reserve).",
		}),
		waited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "github_exporter_rate_limit_wait_seconds_total",
			Help: "Seconds spent paused before GitHub API requests because of rate limits and retry backoff.",
		}),
		backoff: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "github_exporter_api_backoff_seconds_total",
			Help: "Seconds spent paused before GitHub API requests, by reason: secondary_rate_limit, primary_rate_limit, server_error, network (retry backoff) or rate_limit_reserve (waiting for the reset while the rate limit is down to the reserve).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.retries, m.duration, m.limit, m.remaining, m.reset, m.reserve, m.waited, m.backoff)
	}
	return m
}

// setReserve records the Transport's rate-limit reserve (negative: none).
func (m *Metrics) setReserve(n int) {
	if m == nil {
		return
	}
	m.reserve.Set(float64(max(n, -1)))
}

// SetRateLimit records a rate-limit state reported outside HTTP headers, such as
// GraphQL's rateLimit object.
func (m *Metrics) SetRateLimit(resource string, limit, remaining int, reset time.Time) {
	if m == nil {
		return
	}
	m.limit.WithLabelValues(resource).Set(float64(limit))
	m.remaining.WithLabelValues(resource).Set(float64(remaining))
	m.reset.WithLabelValues(resource).Set(float64(reset.Unix()))
}

func (m *Metrics) observeRequest(endpoint, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(endpoint, code).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}

func (m *Metrics) observeRetry(endpoint, reason string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(endpoint, reason).Inc()
}

func (m *Metrics) observeWait(d time.Duration, reason string) {
	if m == nil || d <= 0 {
		return
	}
	m.waited.Add(d.Seconds())
	m.backoff.WithLabelValues(reason).Add(d.Seconds())
}

// observeHeaders records whichever of the three rate-limit values the response carried.
func (m *Metrics) observeHeaders(resource string, h rateHeaders) {
	if m == nil {
		return
	}
	if h.hasLimit {
		m.limit.WithLabelValues(resource).Set(float64(h.limit))
	}
	if h.hasRemaining {
		m.remaining.WithLabelValues(resource).Set(float64(h.remaining))
	}
	if h.hasReset {
		m.reset.WithLabelValues(resource).Set(float64(h.reset.Unix()))
	}
}

type endpointKey struct{}

// unknownEndpoint labels requests whose context carries no endpoint.
const unknownEndpoint = "unknown"

// WithEndpoint labels the requests made with ctx. endpoint must be a bounded
// route template such as "/orgs/{org}/dependabot/alerts" or "graphql", never a
// URL with real names or numbers in it.
func WithEndpoint(ctx context.Context, endpoint string) context.Context {
	return context.WithValue(ctx, endpointKey{}, endpoint)
}

func endpointFrom(ctx context.Context) string {
	if e, ok := ctx.Value(endpointKey{}).(string); ok && e != "" {
		return e
	}
	return unknownEndpoint
}
