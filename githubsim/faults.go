package githubsim

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a failure the server can be told to produce.
type FaultKind int

const (
	// SecondaryRateLimit answers 403 with GitHub's secondary rate limit message.
	SecondaryRateLimit FaultKind = iota
	// TooManyRequests answers 429 with the secondary rate limit message.
	TooManyRequests
	// PrimaryRateLimit answers 403 with x-ratelimit-remaining 0 and a reset a few seconds ahead.
	PrimaryRateLimit
	// BadGateway answers 502.
	BadGateway
	// ServiceUnavailable answers 503.
	ServiceUnavailable
	// MalformedJSON answers 200 with a body cut in half.
	MalformedJSON
	// ResetConnection closes the connection without an answer.
	ResetConnection

	// The hostile and broken behaviours below (hostile.go) are what a proxy, a GitHub
	// incident or a misbehaving Enterprise Server may serve.

	// FarFutureReset answers 403 with x-ratelimit-remaining 0 and a reset ten years ahead.
	FarFutureReset
	// UnusableRateLimit answers 403 with x-ratelimit-remaining 0 and a reset that is not a number.
	UnusableRateLimit
	// EndlessEmptyPages answers 200 [] with a next link to a new cursor, every time.
	EndlessEmptyPages
	// EndlessNewAlerts answers two new alerts with a next link to a new cursor, every time.
	EndlessNewAlerts
	// EndlessGraphQL answers the GraphQL inventory with no nodes and hasNextPage true.
	EndlessGraphQL
	// SlowHeaders holds the answer back for Fault.Delay before its headers, then serves it.
	SlowHeaders
	// TrickleBody sends the headers and the start of the body, then nothing until the client gives up.
	TrickleBody
	// NullBody answers 200 with the body null.
	NullBody
	// TrailingGarbage answers the real body followed by " GARBAGE".
	TrailingGarbage
	// NullElements answers the real listing with a null element in front.
	NullElements
	// EchoInMessage answers 422 (REST) or a GraphQL error whose message echoes the
	// request's Authorization header.
	EchoInMessage
	// EchoInLink answers the real body with a malformed Link header that echoes the
	// request's Authorization header.
	EchoInLink
	// TruncatedBody sends the headers and half the body, then breaks the stream off
	// (unexpected EOF).
	TruncatedBody
	// ResetMidBody sends half the body and resets the connection.
	ResetMidBody
	// ShortContentLength announces a Content-Length longer than the body it sends.
	ShortContentLength
)

func (k FaultKind) String() string {
	switch k {
	case SecondaryRateLimit:
		return "SecondaryRateLimit"
	case TooManyRequests:
		return "TooManyRequests"
	case PrimaryRateLimit:
		return "PrimaryRateLimit"
	case BadGateway:
		return "BadGateway"
	case ServiceUnavailable:
		return "ServiceUnavailable"
	case MalformedJSON:
		return "MalformedJSON"
	case ResetConnection:
		return "ResetConnection"
	}
	if name, ok := hostileNames[k]; ok {
		return name
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes injected failures for the requests whose path contains Path.
type Fault struct {
	Path       string // substring of the request path ("dependabot"); "" matches any request
	After      int    // let this many matching requests through first
	Times      int    // number of faulted responses; 0 means 1
	Kind       FaultKind
	RetryAfter int           // seconds; SecondaryRateLimit/TooManyRequests send retry-after only when > 0
	Delay      time.Duration // SlowHeaders: how long the headers are held back
}

// primaryFaultReset is how far ahead a PrimaryRateLimit fault puts x-ratelimit-reset.
const primaryFaultReset = 3 * time.Second

const secondaryMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "

type faultState struct {
	Fault
	passed, fired int
}

type unavailableKey struct{ org, family string }

type unavailable struct {
	status  int
	message string
}

type faultSet struct {
	mu          sync.Mutex
	faults      []*faultState
	unavailable map[unavailableKey]unavailable
}

// InjectFault adds a fault. Faults are checked, in the order injected, after
// authentication and before the request is served or charged.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = append(s.faults.faults, &faultState{Fault: f})
}

// SetUnavailable makes a family ("code_scanning", "dependabot",
// "secret_scanning", "secret_scanning_patterns", "code_security_configurations")
// answer status/message for org, e.g. 403 "Advanced
// Security must be enabled for this repository to use code scanning." or 404
// "Not Found". A status of 0 makes the family available again.
func (s *Server) SetUnavailable(org, family string, status int, message string) {
	k := unavailableKey{strings.ToLower(org), family}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if status == 0 {
		delete(s.faults.unavailable, k)
		return
	}
	s.faults.unavailable[k] = unavailable{status, message}
}

func (fs *faultSet) unavailableFor(org, family string) (unavailable, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	u, ok := fs.unavailable[unavailableKey{strings.ToLower(org), family}]
	return u, ok
}

// next returns the fault to apply to a request for path, counting the request
// against every matching fault's After.
func (fs *faultSet) next(path string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var chosen *faultState
	for _, f := range fs.faults {
		if !strings.Contains(path, f.Path) || f.fired >= f.Times {
			continue
		}
		if f.passed < f.After {
			f.passed++
			continue
		}
		if chosen == nil {
			chosen = f
		}
	}
	if chosen == nil {
		return Fault{}, false
	}
	chosen.fired++
	return chosen.Fault, true
}

// apply answers the request with an injected fault, if one is due; it returns
// true when the request has been answered. MalformedJSON lets the request
// through and marks it for truncation.
func (fs *faultSet) apply(c *call) bool {
	f, ok := fs.next(c.r.URL.Path)
	if !ok {
		return false
	}
	now := c.s.now()
	st := c.s.limits.peek(c.token, now)
	switch f.Kind {
	case SecondaryRateLimit, TooManyRequests:
		status := http.StatusForbidden
		if f.Kind == TooManyRequests {
			status = http.StatusTooManyRequests
		}
		if f.RetryAfter > 0 {
			c.w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		c.s.countRateLimited()
		msg := secondaryMessage + c.s.requestID() + "."
		c.write(status, (&apiErr{status: status, message: msg, docURL: docSecondary}).body(c.ep), st)
	case PrimaryRateLimit:
		c.rateLimitExceeded(rateState{limit: st.limit, used: st.limit, reset: now.Add(primaryFaultReset)})
	case BadGateway:
		c.write(http.StatusBadGateway, (&apiErr{status: http.StatusBadGateway, message: "Server Error"}).body(c.ep), st)
	case ServiceUnavailable:
		c.write(http.StatusServiceUnavailable, (&apiErr{status: http.StatusServiceUnavailable, message: "Service Unavailable"}).body(c.ep), st)
	case MalformedJSON:
		c.truncate = true
		return false
	case ResetConnection:
		resetConnection(c.w)
	default:
		return c.applyHostile(f, st)
	}
	return true
}

// resetConnection drops the client's connection without an answer (a TCP RST
// where possible).
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
