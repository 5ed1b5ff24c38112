package githubsim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// Alert families, indexes into per-family arrays.
const (
	famCodeScanning = iota
	famDependabot
	famSecretScanning
	numFamilies
)

// dataSpan is how far back generated alerts go.
const dataSpan = 365 * 24 * time.Hour

// zipfExponent skews alerts towards a few repositories: with it the top
// repository of a large organization holds about a fifth of the alerts.
const zipfExponent = 1.2

// org is a simulated organization. Its stores and the next alert numbers of
// its repositories are guarded by Server.mu; everything else is immutable.
type org struct {
	login   string
	id      int64
	repos   []*repo
	members []member

	codeScanning   store[*csRecord]
	dependabot     store[*depRecord]
	secretScanning store[*ssRecord]

	security orgSecurity // pattern settings and code security configurations (generate_configurations.go)

	// cum holds cumulative repository weights per family: where new alerts go.
	cum [numFamilies][]float64
}

type member struct {
	login string
	id    int64
}

type repo struct {
	id          int64
	name        string
	private     bool
	fork        bool // set from the inventory's attributes (inventory.go)
	description string
	branch      string
	lang        string
	ecosystems  []string
	rules       []weighted[*csRule] // code scanning rules its tools can raise
	next        [numFamilies]int    // last alert number per family
	deleted     bool                // DeleteRepository: gone from the inventory and listings (webhooks.go)
}

// generator builds deterministic organizations from a seed.
type generator struct {
	seed       int64
	now, start time.Time
	advisories map[string]*advisoryPool // by ecosystem
	nextRepoID int64
}

func newGenerator(seed int64, now time.Time) *generator {
	g := &generator{seed: seed, now: now, start: now.Add(-dataSpan), nextRepoID: 500_000_000}
	g.advisories = newAdvisories(g.rng("advisories"), now)
	return g
}

// rng returns an independent random stream per purpose, so that e.g. changing
// the Dependabot count of an org leaves its code scanning alerts unchanged.
func (g *generator) rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(uint64(g.seed), h.Sum64()))
}

func (g *generator) org(spec OrgSpec, taken map[int64]*org) *org {
	o := &org{login: spec.Login, id: spec.ID}
	if o.id == 0 {
		o.id = derivedOrgID(spec.Login, taken)
	}
	for _, name := range staff {
		o.members = append(o.members, member{name, int64(hashString(spec.Login+"/"+name)%9_000_000) + 1_000_000})
	}
	nRepos := spec.Repos
	if nRepos <= 0 && spec.CodeScanning+spec.Dependabot+spec.SecretScanning > 0 {
		nRepos = 1
	}
	g.repos(o, nRepos)
	g.codeScanning(o, spec.CodeScanning)
	g.dependabot(o, spec.Dependabot)
	g.secretScanning(o, spec.SecretScanning)
	g.security(o)
	return o
}

func derivedOrgID(login string, taken map[int64]*org) int64 {
	id := int64(hashString(strings.ToLower(login))%90_000_000) + 10_000_000
	for taken[id] != nil {
		id++
	}
	return id
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// repos creates n repositories and their Zipf-like weights per family.
func (g *generator) repos(o *org, n int) {
	rng := g.rng(o.login, "repos")
	names := repoNameList(rng, n)
	ranks := rng.Perm(n)
	var unused []string // every language once before drawing at random
	for _, l := range languages {
		unused = append(unused, l.v)
	}
	presence := [numFamilies]float64{0.85, 0.92, 0.55}
	for i, name := range names {
		g.nextRepoID += 1 + rng.Int64N(5000)
		r := &repo{
			id: g.nextRepoID, name: name, private: rng.Float64() < 0.8,
			description: describe(rng, name),
			branch:      pickOne(rng, []weighted[string]{{"main", 85}, {"master", 15}}),
			lang:        languageFor(rng, name, &unused),
		}
		r.ecosystems = ecosystemsFor(rng, r.lang)
		r.rules = rulesFor(rng, r.lang)
		o.repos = append(o.repos, r)
		base := 1 / math.Pow(float64(ranks[i]+1), zipfExponent)
		for f := range numFamilies {
			w := 0.0
			if ranks[i] == 0 || rng.Float64() < presence[f] {
				w = base * (0.5 + rng.Float64())
			}
			o.cum[f] = append(o.cum[f], w+last(o.cum[f]))
		}
	}
}

func last(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// pickRepo draws the index of a repository for a new alert of family f, or
// -1 if no repository has that family.
func (o *org) pickRepo(rng *rand.Rand, f int) int {
	cum := o.cum[f]
	if last(cum) == 0 {
		return -1
	}
	return min(sort.SearchFloat64s(cum, rng.Float64()*last(cum)), len(cum)-1)
}

func repoNameList(rng *rand.Rand, n int) []string {
	names := slices.Clone(repoNames)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	if n > len(names) {
		var combos []string
		for _, d := range repoDomains {
			for _, c := range repoComponents {
				combos = append(combos, d+"-"+c)
			}
		}
		rng.Shuffle(len(combos), func(i, j int) { combos[i], combos[j] = combos[j], combos[i] })
		names = append(names, combos...)
		for _, v := range repoVariants {
			for _, c := range combos {
				if len(names) >= n {
					break
				}
				names = append(names, c+"-"+v)
			}
		}
	}
	for i := 2; len(names) < n; i++ {
		names = append(names, fmt.Sprintf("service-%d", i))
	}
	return names[:n]
}

// describe makes a description from the name ("payments-service" →
// "Payments service"), or none for a quarter of the repositories.
func describe(rng *rand.Rand, name string) string {
	if rng.Float64() < 0.25 {
		return ""
	}
	d := strings.ReplaceAll(strings.TrimPrefix(name, "."), "-", " ")
	return strings.ToUpper(d[:1]) + d[1:]
}

// languageFor guesses a repository's language from its name, else takes the
// next of unused, else draws one.
func languageFor(rng *rand.Rand, name string, unused *[]string) string {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(name, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("web", "frontend", "-ui", "portal", "site", "design-system", "components", "sdk-js", "blog"):
		return langJavaScript
	case has("python", "ml-", "etl", "data-"):
		return langPython
	case has("java"):
		return langJava
	case has("go-", "sdk-go", "terraform", "helm", "k8s", "infra"):
		return langGo
	}
	if len(*unused) > 0 {
		l := (*unused)[0]
		*unused = (*unused)[1:]
		return l
	}
	return pickOne(rng, languages)
}

func ecosystemsFor(rng *rand.Rand, lang string) []string {
	eco := []string{ecosystemOf[lang]}
	if lang != langJavaScript && rng.Float64() < 0.3 {
		eco = append(eco, "npm") // front-end assets
	}
	if lang != langPython && rng.Float64() < 0.1 {
		eco = append(eco, "pip") // scripts
	}
	return eco
}

// rulesFor picks the code scanning tools of a repository and returns the
// rules they can raise there.
func rulesFor(rng *rand.Rand, lang string) []weighted[*csRule] {
	tools := map[*csTool]bool{
		toolCodeQL:  lang != langPHP && lang != langRust && rng.Float64() < 0.9,
		toolSemgrep: rng.Float64() < 0.25,
		toolTrivy:   rng.Float64() < 0.35,
		toolESLint:  lang == langJavaScript && rng.Float64() < 0.5,
		toolGosec:   lang == langGo && rng.Float64() < 0.4,
	}
	if !tools[toolCodeQL] && !tools[toolSemgrep] && !tools[toolESLint] && !tools[toolGosec] {
		tools[toolTrivy] = true
	}
	var rules []weighted[*csRule]
	for _, r := range csRules {
		if tools[r.tool] && (r.lang == "" || r.lang == lang) {
			rules = append(rules, weighted[*csRule]{r, r.weight * r.tool.weight})
		}
	}
	return rules
}

func pickOne[T any](rng *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	x := rng.IntN(total)
	for _, c := range choices {
		if x -= c.w; x < 0 {
			return c.v
		}
	}
	panic("unreachable")
}

// spread distributes n alerts of family f over the repositories and returns,
// per repository, sorted creation times (unix seconds).
func (g *generator) spread(rng *rand.Rand, o *org, f, n int) [][]int64 {
	per := make([][]int64, len(o.repos))
	span := g.now.Unix() - g.start.Unix()
	for range n {
		i := o.pickRepo(rng, f)
		if i < 0 {
			break
		}
		per[i] = append(per[i], g.start.Unix()+rng.Int64N(span))
	}
	for _, ts := range per {
		slices.Sort(ts)
	}
	return per
}

// closeTime draws when an alert created at created was closed: skewed
// towards soon after creation, never after now.
func closeTime(rng *rand.Rand, created, now time.Time) time.Time {
	u := rng.Float64()
	return created.Add(time.Duration(float64(now.Sub(created)) * u * u)).Truncate(time.Second)
}

func ptr[T any](v T) *T { return &v }

// hexID is a deterministic 40-hex-digit id (commit and blob SHAs).
func hexID(parts ...any) string {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	x := h.Sum64()
	var b strings.Builder
	for b.Len() < 40 {
		x = x*6364136223846793005 + 1442695040888963407
		fmt.Fprintf(&b, "%016x", x)
	}
	return b.String()[:40]
}
