package githubsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Webhook deliveries. GitHub POSTs a delivery for each change to the webhook's URL, JSON
// with the headers X-GitHub-Event, X-GitHub-Delivery (a GUID, kept on redelivery),
// X-GitHub-Hook-ID, X-Hub-Signature-256 ("sha256=" and the hex HMAC-SHA256 of the body
// with the webhook's secret) and the legacy X-Hub-Signature (SHA-1). Payloads over 25 MB
// are not sent; a delivery that fails is not retried. The alert objects of deliveries are
// the repository-level shapes: no repository inside (it is the payload's own), no
// updated_at for code scanning, no state nor secret for secret scanning.
//
// Here deliveries are queued as the data changes (Step, DeleteRepository,
// RenameRepository) and sent, in order, by FlushWebhooks; TakeWebhooks and Send let a
// test send them in another order, again, tampered with, or not at all.

// Delivery is one webhook delivery.
type Delivery struct {
	ID, Event string
	Body      []byte
	Status    int // the receiver's answer once sent; 0 before
}

// Tamper is how Send spoils a delivery.
type Tamper int

const (
	Intact    Tamper = iota // as GitHub sends it
	Forged                  // signed with another secret
	Unsigned                // no X-Hub-Signature-256
	Oversized               // body padded past 25 MB, correctly signed
	PlainText               // Content-Type text/plain
)

type webhookQueue struct {
	mu      sync.Mutex
	url     string
	secret  []byte
	skip    int
	pending []Delivery
	seq     int
	client  *http.Client
}

// DeliverWebhooks makes the server queue a delivery for each change from now on, for
// FlushWebhooks to send to url signed with secret.
func (s *Server) DeliverWebhooks(url string, secret []byte) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.url, s.hooks.secret = url, append([]byte(nil), secret...)
	s.hooks.client = &http.Client{Timeout: 10 * time.Second} // GitHub's budget per delivery
}

// SkipWebhooks drops the deliveries of the next n changes, as when GitHub could not reach
// the receiver: only a walk can tell.
func (s *Server) SkipWebhooks(n int) {
	s.hooks.mu.Lock()
	s.hooks.skip += n
	s.hooks.mu.Unlock()
}

// TakeWebhooks returns the deliveries queued and not sent, and forgets them.
func (s *Server) TakeWebhooks() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := s.hooks.pending
	s.hooks.pending = nil
	return out
}

// FlushWebhooks sends the queued deliveries in order and returns them with the answers.
func (s *Server) FlushWebhooks() ([]Delivery, error) {
	out := s.TakeWebhooks()
	for i := range out {
		status, err := s.Send(out[i], Intact)
		if err != nil {
			return out, err
		}
		out[i].Status = status
	}
	return out, nil
}

// Send posts one delivery, spoiled as t says, and returns the receiver's status code.
func (s *Server) Send(d Delivery, t Tamper) (int, error) {
	s.hooks.mu.Lock()
	url, secret, client := s.hooks.url, s.hooks.secret, s.hooks.client
	s.hooks.mu.Unlock()
	if client == nil {
		return 0, fmt.Errorf("no webhook URL: call DeliverWebhooks first")
	}
	body := d.Body
	if t == Oversized {
		body = append(append(bytes.Clone(body[:len(body)-1]), bytes.Repeat([]byte(" "), 25<<20)...), '}')
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if t == PlainText {
		req.Header.Set("Content-Type", "text/plain")
	}
	req.Header.Set("User-Agent", "GitHub-Hookshot/sim")
	req.Header.Set("X-GitHub-Event", d.Event)
	req.Header.Set("X-GitHub-Delivery", d.ID)
	req.Header.Set("X-GitHub-Hook-ID", "424242")
	sign := secret
	if t == Forged {
		sign = []byte("not-the-secret")
	}
	if t != Unsigned {
		req.Header.Set("X-Hub-Signature-256", "sha256="+hexMAC(sha256.New, sign, body))
		req.Header.Set("X-Hub-Signature", "sha1="+hexMAC(sha1.New, sign, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func hexMAC(h func() hash.Hash, key, body []byte) string {
	m := hmac.New(h, key)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// queue adds a delivery of event with payload, unless deliveries are off or skipped.
// Called with s.mu held.
func (s *Server) queue(event string, payload any) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if s.hooks.url == "" {
		return
	}
	if s.hooks.skip > 0 {
		s.hooks.skip--
		return
	}
	body, err := json.Marshal(payload)
	if err != nil {
		panic(err) // our own types
	}
	s.hooks.seq++
	id := fmt.Sprintf("%08x-%04x-11f0-8000-%012x", uint32(s.cfg.Seed), s.hooks.seq>>16&0xffff, s.hooks.seq)
	s.hooks.pending = append(s.hooks.pending, Delivery{ID: id, Event: event, Body: body})
}

// hookCall is the context the JSON builders need, for a delivery about o.
func (s *Server) hookCall(o *org) *call {
	return &call{s: s, org: o, base: baseURLs{api: "https://api.github.com" + s.prefix, web: "https://github.com"}}
}

// asObject turns one of our JSON shapes into an object whose fields can be taken away.
func asObject(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

// queueAlertEvent queues the delivery announcing a change of an alert record.
func (s *Server) queueAlertEvent(o *org, record any, action string) {
	c := s.hookCall(o)
	var (
		event string
		alert map[string]any
		rp    *repo
		extra = map[string]any{}
	)
	switch a := record.(type) {
	case *csRecord:
		event, rp, alert = "code_scanning_alert", a.repo, asObject(c.codeScanningJSON(a))
		delete(alert, "updated_at")
		ref := "refs/heads/" + a.repo.branch
		if strings.HasSuffix(action, "_by_user") { // an actor's change: no ref, no commit
			ref = ""
		}
		extra["ref"], extra["commit_oid"] = ref, map[bool]string{true: "", false: hexID("commit", a.repo.id, a.Number)}[ref == ""]
	case *depRecord:
		event, rp, alert = "dependabot_alert", a.repo, asObject(c.dependabotJSON(a))
	case *ssRecord:
		event, rp, alert = "secret_scanning_alert", a.repo, asObject(c.secretScanningJSON(a))
		delete(alert, "state")
		delete(alert, "secret")
	default:
		return
	}
	delete(alert, "repository")
	payload := s.hookPayload(c, o, rp, action)
	payload["alert"] = alert
	for k, v := range extra {
		payload[k] = v
	}
	s.queue(event, payload)
}

// hookPayload is what every delivery about a repository of o carries.
func (s *Server) hookPayload(c *call, o *org, rp *repo, action string) map[string]any {
	repository := asObject(c.repository(rp))
	visibility := "public"
	if rp.private {
		visibility = "private"
	}
	archived := false
	for _, r := range s.inventory(o) {
		if r.DatabaseID == rp.id {
			visibility, archived = strings.ToLower(r.Visibility), r.Archived
		}
	}
	repository["default_branch"], repository["visibility"], repository["archived"] = rp.branch, visibility, archived
	return map[string]any{
		"action":       action,
		"repository":   repository,
		"organization": map[string]any{"login": o.login, "id": o.id, "node_id": legacyNodeID("Organization", o.id)},
		"sender":       c.member(rp.id),
	}
}

func (s *Server) findRepo(org, name string) (*org, *repo) {
	o := s.byLogin[strings.ToLower(org)]
	if o == nil {
		return nil, nil
	}
	for _, rp := range o.repos {
		if rp.name == name && !rp.gone {
			return o, rp
		}
	}
	return o, nil
}
