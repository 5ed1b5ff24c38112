// Package metricstore keeps the exposition of the alert-derived metric families rendered
// as text, so that a scrape only writes bytes out (kube-state-metrics' metrics_store idea).
//
// The collector hands the store each part of its snapshot (one organization's source) as
// it is swapped in; the store renders that part's samples once, then assembles the whole
// exposition, # HELP and # TYPE once per family, and its gzip. The HTTP handler (handler.go)
// serves those bytes after the registry's own small families (Go, process, API usage,
// exporter health), which it gathers per scrape.
package metricstore

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// Store holds the rendered exposition. The zero value is not usable; call New.
type Store struct {
	mu        sync.Mutex // serialises Update
	parts     map[string]map[string]*familyPart
	observers []Observer
	cur       atomic.Pointer[Exposition]
}

// An Observer is told the metric families of a part each time the part is replaced, so
// that it can keep a digest of its own (the overview page's counts) without gathering.
// It must not keep the families: the store drops them once every observer returned.
type Observer func(part string, families []*dto.MetricFamily)

// familyPart is one family's samples in one part: the header it declares and its sample
// lines, sorted by label values as a registry sorts them.
type familyPart struct {
	header  []byte // "# HELP ...\n# TYPE ...\n"
	samples []byte
	series  int
}

// Exposition is one rendering of every part: immutable once published.
type Exposition struct {
	Text     []byte   // text format 0.0.4
	Gzip     []byte   // Text, gzip-compressed
	Families []string // the family names in Text, sorted
	Series   int      // samples lines of Text, histogram buckets counted as one series each
}

// New returns an empty store; observers are called by Update in order.
func New(observers ...Observer) *Store {
	s := &Store{parts: map[string]map[string]*familyPart{}, observers: observers}
	s.cur.Store(&Exposition{Gzip: gzipped(nil)})
	return s
}

// Current returns the exposition last published.
func (s *Store) Current() *Exposition { return s.cur.Load() }

// Update replaces the metrics of part (nil removes it) and publishes a new exposition.
// A metric that cannot be written, or a family whose header differs from another part's,
// is an error; the part is then left as it was.
func (s *Store) Update(part string, metrics []prometheus.Metric) error {
	families, err := toFamilies(metrics)
	if err != nil {
		return fmt.Errorf("rendering %s: %w", part, err)
	}
	rendered := make(map[string]*familyPart, len(families))
	for _, mf := range families {
		fp, err := render(mf)
		if err != nil {
			return fmt.Errorf("rendering %s: %w", part, err)
		}
		rendered[mf.GetName()] = fp
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for name, fp := range rendered {
		for other, fams := range s.parts {
			if o, ok := fams[name]; ok && other != part && !bytes.Equal(o.header, fp.header) {
				return fmt.Errorf("rendering %s: family %s has HELP or TYPE different from part %s", part, name, other)
			}
		}
	}
	for _, observe := range s.observers {
		observe(part, families)
	}
	if len(rendered) == 0 {
		delete(s.parts, part)
	} else {
		s.parts[part] = rendered
	}
	s.cur.Store(s.assemble())
	return nil
}

// assemble concatenates every family's parts, families by name and parts by key.
func (s *Store) assemble() *Exposition {
	keys := make([]string, 0, len(s.parts))
	byName := map[string]bool{}
	size := 0
	for key, fams := range s.parts {
		keys = append(keys, key)
		for name, fp := range fams {
			byName[name] = true
			size += len(fp.samples)
		}
	}
	slices.Sort(keys)
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)

	e := &Exposition{Families: names}
	text := bytes.NewBuffer(make([]byte, 0, size+len(names)*256))
	for _, name := range names {
		header := false
		for _, key := range keys {
			fp, ok := s.parts[key][name]
			if !ok {
				continue
			}
			if !header {
				text.Write(fp.header)
				header = true
			}
			text.Write(fp.samples)
			e.Series += fp.series
		}
	}
	e.Text = text.Bytes()
	e.Gzip = gzipped(e.Text)
	return e
}

// toFamilies writes metrics into families by name, each sorted as a registry sorts them.
func toFamilies(metrics []prometheus.Metric) ([]*dto.MetricFamily, error) {
	byName := map[string]*dto.MetricFamily{}
	for _, m := range metrics {
		pb := &dto.Metric{}
		if err := m.Write(pb); err != nil {
			return nil, err
		}
		name, help := descParts(m.Desc())
		mf, ok := byName[name]
		if !ok {
			mf = &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: typeOf(pb).Enum()}
			byName[name] = mf
		}
		if typeOf(pb) != mf.GetType() {
			return nil, fmt.Errorf("family %s mixes metric types", name)
		}
		mf.Metric = append(mf.Metric, pb)
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		slices.SortFunc(mf.Metric, compareLabels)
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// render writes a family and splits its header (# HELP and # TYPE, one line each: the
// help text is escaped) from its samples, so that parts can be joined under one header.
func render(mf *dto.MetricFamily) (*familyPart, error) {
	var buf bytes.Buffer
	if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
		return nil, err
	}
	text := buf.Bytes()
	cut := bytes.IndexByte(text, '\n') + 1
	cut += bytes.IndexByte(text[cut:], '\n') + 1
	return &familyPart{header: bytes.Clone(text[:cut]), samples: bytes.Clone(text[cut:]), series: len(mf.Metric)}, nil
}

// compareLabels orders metrics by their label values, as client_golang's registry does.
func compareLabels(a, b *dto.Metric) int {
	la, lb := a.GetLabel(), b.GetLabel()
	for i := range min(len(la), len(lb)) {
		if c := strings.Compare(la[i].GetName(), lb[i].GetName()); c != 0 {
			return c
		}
		if c := strings.Compare(la[i].GetValue(), lb[i].GetValue()); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

func typeOf(m *dto.Metric) dto.MetricType {
	switch {
	case m.Gauge != nil:
		return dto.MetricType_GAUGE
	case m.Counter != nil:
		return dto.MetricType_COUNTER
	case m.Histogram != nil:
		return dto.MetricType_HISTOGRAM
	case m.Summary != nil:
		return dto.MetricType_SUMMARY
	}
	return dto.MetricType_UNTYPED
}

var descNames sync.Map // *prometheus.Desc → [2]string{name, help}

// descParts returns the name and help of a descriptor. client_golang offers them only
// through Desc.String (Go-quoted), which is parsed once per descriptor.
func descParts(d *prometheus.Desc) (string, string) {
	if v, ok := descNames.Load(d); ok {
		p := v.([2]string)
		return p[0], p[1]
	}
	s := d.String()
	name, help := quotedAfter(s, "fqName: "), quotedAfter(s, "help: ")
	descNames.Store(d, [2]string{name, help})
	return name, help
}

// Name returns the metric name of a descriptor.
func Name(d *prometheus.Desc) string {
	name, _ := descParts(d)
	return name
}

// quotedAfter returns the Go-quoted string that follows key in s, unquoted.
func quotedAfter(s, key string) string {
	_, rest, _ := strings.Cut(s, key)
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return ""
	}
	v, _ := strconv.Unquote(q)
	return v
}

// gzipped compresses text at the fastest level: a snapshot swap should not stall on it,
// and repetitive exposition text compresses well even so.
func gzipped(text []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(text)
	_ = zw.Close()
	return buf.Bytes()
}
