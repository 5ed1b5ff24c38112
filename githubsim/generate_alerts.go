package githubsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Alert generation: new alerts (shared with Step) and their history up to
// the generation time.

func (g *generator) codeScanning(o *org, n int) {
	rng := g.rng(o.login, FamilyCodeScanning)
	slab := make([]csRecord, 0, n) // one allocation; never grows past n
	for i, times := range g.spread(rng, o, famCodeScanning, n) {
		for _, t := range times {
			slab = append(slab, newCodeScanning(rng, o.repos[i], time.Unix(t, 0).UTC()))
			a := &slab[len(slab)-1]
			codeScanningHistory(rng, a, g.now)
			o.codeScanning.all = append(o.codeScanning.all, a)
		}
	}
}

// newCodeScanning is a new open alert in r.
func newCodeScanning(rng *rand.Rand, r *repo, created time.Time) csRecord {
	rule := pickOne(rng, r.rules)
	r.next[famCodeScanning]++
	return csRecord{
		CodeScanningAlert: CodeScanningAlert{
			Number: r.next[famCodeScanning], Repo: r.name, State: "open",
			RuleSeverity: rule.severity, SecuritySeverity: rule.securitySeverity,
			Tool: rule.tool.name, RuleID: rule.id, CreatedAt: created, UpdatedAt: created,
		},
		repo: r, rule: rule,
	}
}

func codeScanningHistory(rng *rand.Rand, a *csRecord, now time.Time) {
	switch x := rng.Float64(); {
	case x < 0.03:
		a.State = "" // GitHub sends null for some alerts
	case x < 0.48:
		if rng.Float64() < 0.4 {
			a.UpdatedAt = closeTime(rng, a.CreatedAt, now)
		}
	case x < 0.83:
		a.fix(reintroduced(rng, a, a.CreatedAt, now))
	default:
		a.dismiss(reintroduced(rng, a, a.CreatedAt, now), pickOne(rng, csDismissReasons))
	}
}

// reintroducible is a code scanning or Dependabot alert, for reintroduced.
type reintroducible interface {
	fix(time.Time)
	reopen(time.Time)
}

// reintroduced returns when an alert created at created was last closed. One in eight was
// fixed, reintroduced and only then closed for good: its fixed_at stays the first fix.
func reintroduced(rng *rand.Rand, a reintroducible, created, now time.Time) time.Time {
	closed := closeTime(rng, created, now)
	if rng.Float64() >= 0.125 {
		return closed
	}
	fixed := closeTime(rng, created, closed)
	a.fix(fixed)
	a.reopen(fixed.Add(closed.Sub(fixed) / 2).Truncate(time.Second))
	return closed
}

func (g *generator) dependabot(o *org, n int) {
	rng := g.rng(o.login, FamilyDependabot)
	slab := make([]depRecord, 0, n)
	for i, times := range g.spread(rng, o, famDependabot, n) {
		for _, t := range times {
			slab = append(slab, g.newDependabot(rng, o.repos[i], time.Unix(t, 0).UTC()))
			a := &slab[len(slab)-1]
			dependabotHistory(rng, a, g.now)
			o.dependabot.all = append(o.dependabot.all, a)
		}
	}
}

func (g *generator) newDependabot(rng *rand.Rand, r *repo, created time.Time) depRecord {
	eco := r.ecosystems[0]
	if len(r.ecosystems) > 1 && rng.Float64() < 0.25 {
		eco = r.ecosystems[1+rng.IntN(len(r.ecosystems)-1)]
	}
	adv := g.advisories[eco].pick(rng)
	scope := pickOne(rng, []weighted[string]{{"runtime", 70}, {"development", 25}, {"", 5}})
	relationship := pickOne(rng, []weighted[string]{{"direct", 55}, {"transitive", 45}})
	if scope == "" {
		relationship = "unknown"
	}
	r.next[famDependabot]++
	return depRecord{
		DependabotAlert: DependabotAlert{
			Number: r.next[famDependabot], Repo: r.name, State: "open",
			Ecosystem: eco, Package: adv.pkg, Scope: scope, Severity: adv.severity,
			GHSA: adv.ghsa, CVE: adv.cve, CreatedAt: created, UpdatedAt: created,
		},
		repo: r, adv: adv, relationship: relationship,
		manifest: manifests[eco][rng.IntN(len(manifests[eco]))],
	}
}

func dependabotHistory(rng *rand.Rand, a *depRecord, now time.Time) {
	switch x := rng.Float64(); {
	case x < 0.40:
		if rng.Float64() < 0.2 {
			a.UpdatedAt = closeTime(rng, a.CreatedAt, now)
		}
	case x < 0.78:
		a.fix(reintroduced(rng, a, a.CreatedAt, now))
	case x < 0.92:
		a.dismiss(reintroduced(rng, a, a.CreatedAt, now), pickOne(rng, depDismissReasons))
	default:
		// GitHub's preset rule dismisses development dependencies at creation; a custom
		// rule added later dismisses alerts that were open until then.
		at := closeTime(rng, a.CreatedAt, now)
		if a.Scope == "development" {
			at = a.CreatedAt
		}
		a.autoDismiss(at)
	}
}

func (g *generator) secretScanning(o *org, n int) {
	rng := g.rng(o.login, FamilySecretScanning)
	slab := make([]ssRecord, 0, n)
	for i, times := range g.spread(rng, o, famSecretScanning, n) {
		for _, t := range times {
			slab = append(slab, newSecretScanning(rng, o.repos[i], time.Unix(t, 0).UTC()))
			a := &slab[len(slab)-1]
			secretScanningHistory(rng, a, g.now)
			o.secretScanning.all = append(o.secretScanning.all, a)
		}
	}
}

// genericSecretScanning adds n alerts of generic (non-provider and AI-detected) secret
// types, drawn from a stream of their own so that the provider alerts stay as they were.
func (g *generator) genericSecretScanning(o *org, n int) {
	rng := g.rng(o.login, FamilySecretScanning, "generic")
	slab := make([]ssRecord, 0, n)
	for i, times := range g.spread(rng, o, famSecretScanning, n) {
		for _, t := range times {
			slab = append(slab, newSecretOfType(rng, o.repos[i], time.Unix(t, 0).UTC(), pickFrom(rng, genericSecretTypes)))
			a := &slab[len(slab)-1]
			secretScanningHistory(rng, a, g.now)
			o.secretScanning.all = append(o.secretScanning.all, a)
		}
	}
}

func newSecretScanning(rng *rand.Rand, r *repo, created time.Time) ssRecord {
	return newSecretOfType(rng, r, created, pickSecretType(rng))
}

func newSecretOfType(rng *rand.Rand, r *repo, created time.Time, typ *secretType) ssRecord {
	validity := ""
	if typ.validity {
		validity = pickOne(rng, validities)
	}
	r.next[famSecretScanning]++
	return ssRecord{
		SecretScanningAlert: SecretScanningAlert{
			Number: r.next[famSecretScanning], Repo: r.name, State: "open",
			SecretType: typ.name, SecretTypeDisplayName: typ.display, Validity: validity, Generic: isGenericSecretType(typ.name),
			PushProtectionBypassed: rng.Float64() < 0.08, PubliclyLeaked: rng.Float64() < 0.03,
			CreatedAt: created, UpdatedAt: created,
		},
		repo: r, typ: typ,
	}
}

func pickSecretType(rng *rand.Rand) *secretType { return pickFrom(rng, secretTypes) }

func pickFrom(rng *rand.Rand, types []secretType) *secretType {
	total := 0
	for _, t := range types {
		total += t.weight
	}
	x := rng.IntN(total)
	for i := range types {
		if x -= types[i].weight; x < 0 {
			return &types[i]
		}
	}
	panic("unreachable")
}

func secretScanningHistory(rng *rand.Rand, a *ssRecord, now time.Time) {
	if rng.Float64() < 0.55 {
		if rng.Float64() < 0.25 {
			a.UpdatedAt = closeTime(rng, a.CreatedAt, now) // validity re-checked
		}
		return
	}
	a.resolve(closeTime(rng, a.CreatedAt, now), pickOne(rng, ssResolutions))
}

// advisory is a GitHub security advisory for one package.
type advisory struct {
	ghsa, cve      string
	ecosystem, pkg string
	severity       string
	epssPercentage float64
	json           *advisoryJSON // immutable, shared by every alert
}

// advisoryPool holds an ecosystem's advisories with Zipf-like weights, so a
// few advisories account for many alerts as in real organizations.
type advisoryPool struct {
	list []*advisory
	cum  []float64
}

func (p *advisoryPool) pick(rng *rand.Rand) *advisory {
	x := rng.Float64() * last(p.cum)
	for i, c := range p.cum {
		if x < c {
			return p.list[i]
		}
	}
	return p.list[len(p.list)-1]
}

// ecosystems in a fixed order: map iteration would break determinism.
var ecosystemOrder = []string{"npm", "pip", "maven", "go", "rubygems", "nuget", "composer", "rust"}

func newAdvisories(rng *rand.Rand, now time.Time) map[string]*advisoryPool {
	pools := map[string]*advisoryPool{}
	for _, eco := range ecosystemOrder {
		p := &advisoryPool{}
		for _, pkg := range packages[eco] {
			for range 1 + rng.IntN(4) {
				p.list = append(p.list, newAdvisory(rng, eco, pkg, now))
			}
		}
		rng.Shuffle(len(p.list), func(i, j int) { p.list[i], p.list[j] = p.list[j], p.list[i] })
		for i := range p.list {
			p.cum = append(p.cum, last(p.cum)+1/float64(i+1))
		}
		pools[eco] = p
	}
	return pools
}

func newAdvisory(rng *rand.Rand, eco, pkg string, now time.Time) *advisory {
	const ghsaAlphabet = "23456789cfghjmpqrvwx"
	ghsa := "GHSA"
	for range 3 {
		ghsa += "-"
		for range 4 {
			ghsa += string(ghsaAlphabet[rng.IntN(len(ghsaAlphabet))])
		}
	}
	// Published before the generated alerts, so no alert predates its advisory.
	published := now.Add(-dataSpan - time.Duration(rng.Int64N(int64(4*dataSpan)))).Truncate(time.Second)
	cve := ""
	if rng.Float64() < 0.9 {
		cve = fmt.Sprintf("CVE-%d-%d", published.Year(), 1000+rng.IntN(59000))
	}
	u := rng.Float64() // EPSS: most advisories are unlikely to be exploited
	a := &advisory{
		ghsa: ghsa, cve: cve, ecosystem: eco, pkg: pkg, severity: pickOne(rng, advisorySeverities),
		epssPercentage: math.Round(0.97*u*u*u*u*1e5) / 1e5,
	}
	a.json = a.body(rng, published, now, math.Round(u*1e5)/1e5)
	return a
}

// body is the advisory's JSON object, drawn once.
func (a *advisory) body(rng *rand.Rand, published, now time.Time, percentile float64) *advisoryJSON {
	class := vulnClasses[rng.IntN(len(vulnClasses))]
	summary := fmt.Sprintf(class.summary, a.pkg)
	score := func() float64 {
		r := cvssRange[a.severity]
		return math.Round((r[0]+rng.Float64()*(r[1]-r[0]))*10) / 10
	}
	v3, v4 := &cvss{cvssVectors[a.severity][0], score()}, &cvss{cvssVectors[a.severity][1], score()}
	refs := []reference{{"https://github.com/advisories/" + a.ghsa}}
	ids := []identifier{{"GHSA", a.ghsa}}
	if a.cve != "" {
		refs = append([]reference{{"https://nvd.nist.gov/vuln/detail/" + a.cve}}, refs...)
		ids = append(ids, identifier{"CVE", a.cve})
	}
	return &advisoryJSON{
		GHSAID:          a.ghsa,
		CVEID:           nullable(a.cve),
		Summary:         summary,
		Description:     summary + ". Affected versions of " + a.pkg + " are vulnerable; upgrade to a patched version.",
		Vulnerabilities: []vulnerabilityJS{a.vulnerability(rng)},
		Severity:        a.severity,
		CVSS:            *v3,
		CVSSSeverities:  cvssSeverities{v3, v4},
		EPSS:            a.epssJSON(percentile),
		CWEs:            []cwe{{class.cwe, class.cweName}},
		Identifiers:     ids,
		References:      refs,
		PublishedAt:     timestamp(published),
		UpdatedAt:       timestamp(earliest(published.Add(time.Duration(rng.Int64N(int64(dataSpan)))), now)),
	}
}

// hasEPSS reports whether GitHub has an EPSS score for the advisory: EPSS scores CVEs,
// so an advisory without a CVE has none (epss is null).
func (a *advisory) hasEPSS() bool { return a.cve != "" }

// epssJSON is the advisory's epss field in the shapes GitHub sends: the documented
// object, for some advisories the array of objects GitHub's examples show, or null. The
// shape follows from the advisory id, leaving the random streams as they were.
func (a *advisory) epssJSON(percentile float64) any {
	if !a.hasEPSS() {
		return nil
	}
	score := epss{a.epssPercentage, percentile}
	if hashString(a.ghsa)%3 == 0 {
		return []epss{score}
	}
	return score
}

// vulnerability draws the affected version range and the first patched version.
func (a *advisory) vulnerability(rng *rand.Rand) vulnerabilityJS {
	major, minor, patch := 1+rng.IntN(6), rng.IntN(20), rng.IntN(15)
	fixed := fmt.Sprintf("%d.%d.%d", major, minor, patch+1)
	v := vulnerabilityJS{
		Package:                pkgJSON{a.ecosystem, a.pkg},
		Severity:               a.severity,
		VulnerableVersionRange: "< " + fixed,
		FirstPatchedVersion:    &patchedVersion{fixed},
	}
	switch x := rng.Float64(); {
	case x < 0.3:
		v.VulnerableVersionRange = fmt.Sprintf(">= %d.0.0, < %s", major, fixed)
	case x < 0.35:
		v.VulnerableVersionRange = fmt.Sprintf("<= %d.%d.%d", major, minor, patch)
		v.FirstPatchedVersion = nil // no patch yet
	}
	return v
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// JSON shapes of advisories, field order as in GitHub's example response.

type advisoryJSON struct {
	GHSAID          string            `json:"ghsa_id"`
	CVEID           *string           `json:"cve_id"`
	Summary         string            `json:"summary"`
	Description     string            `json:"description"`
	Vulnerabilities []vulnerabilityJS `json:"vulnerabilities"`
	Severity        string            `json:"severity"`
	CVSS            cvss              `json:"cvss"`
	CVSSSeverities  cvssSeverities    `json:"cvss_severities"`
	EPSS            any               `json:"epss"` // epss, []epss or nil: see epssJSON
	CWEs            []cwe             `json:"cwes"`
	Identifiers     []identifier      `json:"identifiers"`
	References      []reference       `json:"references"`
	PublishedAt     string            `json:"published_at"`
	UpdatedAt       string            `json:"updated_at"`
	WithdrawnAt     *string           `json:"withdrawn_at"`
}

type vulnerabilityJS struct {
	Package                pkgJSON         `json:"package"`
	Severity               string          `json:"severity"`
	VulnerableVersionRange string          `json:"vulnerable_version_range"`
	FirstPatchedVersion    *patchedVersion `json:"first_patched_version"`
}

type patchedVersion struct {
	Identifier string `json:"identifier"`
}

type cvss struct {
	VectorString string  `json:"vector_string"`
	Score        float64 `json:"score"`
}

type cvssSeverities struct {
	CVSSV3 *cvss `json:"cvss_v3"`
	CVSSV4 *cvss `json:"cvss_v4"`
}

type epss struct {
	Percentage float64 `json:"percentage"`
	Percentile float64 `json:"percentile"`
}

type cwe struct {
	CWEID string `json:"cwe_id"`
	Name  string `json:"name"`
}

type identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type reference struct {
	URL string `json:"url"`
}
