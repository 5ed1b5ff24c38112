package collector

import (
	"context"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

func init() { registerSource(secretScanning{}) }

var secretScanningAlertsDesc = prometheus.NewDesc(
	"github_secret_scanning_alerts",
	`Secret scanning alerts of the organization's repositories by secret type, validity, resolution, kind and state; kind "default" is GitHub's default alerts list (provider and custom patterns, the security overview's summary views), "generic" the non-provider patterns and AI-detected passwords; refreshed on schedule.`,
	[]string{"org", "repository", "secret_type", "validity", "resolution", "kind", "state"}, nil,
)

// Values of the kind label of github_secret_scanning_alerts.
const (
	kindDefault = "default" // GitHub's default alerts list: provider and custom patterns
	kindGeneric = "generic" // the generic alerts list: non-provider patterns, AI-detected passwords
)

// DefaultGenericSecretTypes are the token names of GitHub's non-provider patterns and of
// AI-detected passwords ("Supported secret scanning patterns"), which the listing
// returns only when secret_type names them (changelog 2024-08-06).
var DefaultGenericSecretTypes = []string{
	"ec_private_key", "generic_private_key", "http_basic_authentication_header",
	"http_bearer_authentication_header", "mongodb_connection_string", "mysql_connection_url",
	"openssh_private_key", "pgp_private_key", "postgres_connection_string", "rsa_private_key",
	"password",
}

// secretScanning counts GET /orgs/{org}/secret-scanning/alerts in two walks: the default
// listing, and the generic secret types, which GitHub lists only when secret_type names
// them (naming any type restricts the answer to those types). Every request carries
// hide_secret=true, so that no leaked secret's literal is sent (changelog 2025-05-20;
// Enterprise Server before 3.18 ignores the parameter, and the decoder drops the field).
// The first request carries an empty after= so that GitHub answers with cursor links;
// page-number links, which GitHub sends otherwise (and Enterprise Server always), are
// followed just the same.
type secretScanning struct{}

type secretScanningAlert struct {
	State      *string `json:"state"`
	Resolution *string `json:"resolution"`
	SecretType *string `json:"secret_type"`
	Validity   *string `json:"validity"`
	inRepository
	Number     int64      `json:"number"`
	CreatedAt  githubTime `json:"created_at"`
	UpdatedAt  githubTime `json:"updated_at"`
	ResolvedAt githubTime `json:"resolved_at"`
	// Exposure. push_protection_bypassed_by (who bypassed) is deliberately not decoded.
	PushProtectionBypassed   bool       `json:"push_protection_bypassed"`
	PushProtectionBypassedAt githubTime `json:"push_protection_bypassed_at"`
	PubliclyLeaked           bool       `json:"publicly_leaked"`
	MultiRepo                bool       `json:"multi_repo"`
}

const secretScanningQuery = "per_page=100&hide_secret=true&after="

var secretScanningListing = secretScanningWalk(kindDefault, "", secretScanningQuery)

// genericSecretsKey is the Target's key of the generic walk's records.
const genericSecretsKey = "secret_scanning_generic"

// genericSecretScanningListing walks the generic secret types.
func genericSecretScanningListing(types []string) *alertListing[secretScanningAlert] {
	return secretScanningWalk(kindGeneric, genericSecretsKey,
		secretScanningQuery+"&secret_type="+url.QueryEscape(strings.Join(types, ",")))
}

func secretScanningWalk(kind, key, query string) *alertListing[secretScanningAlert] {
	return &alertListing[secretScanningAlert]{
		spec: familySpec{name: "secret_scanning", desc: secretScanningAlertsDesc, labels: 6, extra: secretExposure,
			openLabels: func(values []string) { values[len(values)-3] = "" }}, // no resolution while open
		key:      key,
		endpoint: "/orgs/{org}/secret-scanning/alerts",
		query:    query,
		repo:     repositoryOf[secretScanningAlert],
		fields: func(a *secretScanningAlert) alertFields {
			state := orDefault(a.State, "unknown")
			resolution := orDefault(a.Resolution, "")
			if state == "open" {
				resolution = ""
			}
			f := alertFields{
				key:     alertKey{Number: a.Number},
				labels:  []string{a.Repository.Name, orDefault(a.SecretType, "unknown"), orDefault(a.Validity, "unknown"), resolution, kind, state},
				created: a.CreatedAt, updated: a.UpdatedAt,
				falsePositive: resolution == "false_positive",
				detail: alertDetail{
					Reason: closingReason(state, a.Resolution), Bypassed: a.PushProtectionBypassed,
					PubliclyLeaked: a.PubliclyLeaked, MultiRepo: a.MultiRepo,
				},
				bypassedAt: a.PushProtectionBypassedAt,
			}
			if state == "resolved" { // resolved_at goes back to null on reopening
				f.closed, f.reason = firstTime(a.ResolvedAt, a.UpdatedAt), closeReason(resolution)
			}
			return f
		},
	}
}

func (secretScanning) Name() string { return "secret_scanning" }

func (secretScanning) Describe(ch chan<- *prometheus.Desc) {
	ch <- secretScanningAlertsDesc
	describeAlertFamily(ch)
	describeSecretExposure(ch)
}

// Collect walks the default listing, then the generic types (unless none are
// configured), and derives the family's series from both.
func (secretScanning) Collect(ctx context.Context, t *Target) ([]prometheus.Metric, error) {
	if _, err := secretScanningListing.update(ctx, t); err != nil {
		return nil, err
	}
	if types := t.Walks.withDefaults().GenericSecretTypes; len(types) > 0 {
		if _, err := genericSecretScanningListing(types).update(ctx, t); err != nil {
			return nil, err
		}
	} else {
		delete(t.alerts, genericSecretsKey)
	}
	metrics, err := secretScanningMetrics(t)
	if err != nil {
		return nil, err
	}
	return append(metrics, incrementalDisabled(t, "secret_scanning", "secret_scanning", genericSecretsKey)), nil
}

// secretScanningMetrics derives the family's series from the records of both walks. An
// alert in both (a generic type GitHub promoted to the default list) counts once, as
// the default listing has it.
func secretScanningMetrics(t *Target) ([]prometheus.Metric, error) {
	return secretScanningRecords(t).metrics(secretScanningListing.spec, t, t.SLA, t.clock())
}

// secretScanningRecords are the records of both walks in one set (a copy: the walks'
// own sets stay as they are).
func secretScanningRecords(t *Target) *alertSet {
	merged := newAlertSet()
	for _, key := range []string{genericSecretsKey, "secret_scanning"} {
		set, ok := t.alerts[key]
		if !ok || set == nil {
			continue
		}
		if set.Flow != nil {
			merged.Flow.add(set.Flow)
		}
		for k, at := range set.Bypasses {
			if merged.Bypasses == nil {
				merged.Bypasses = map[alertKey]int64{}
			}
			merged.Bypasses[k] = at
		}
		offset, detailOffset := uint32(len(merged.Tuples)), uint32(len(merged.Details))
		merged.Tuples = append(merged.Tuples, set.Tuples...)
		merged.Details = append(merged.Details, set.Details...)
		for k, r := range set.Records {
			r.Tuple += offset
			if r.Detail > 0 {
				r.Detail += detailOffset
			}
			merged.Records[k] = r
		}
	}
	return merged
}
