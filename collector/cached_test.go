package collector

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

// TestUnchangedConfigurationsCostNothing runs the configuration sources twice on an
// unchanged organization: the second run's requests are all 304s, which GitHub does not
// count, and the series are the same.
func TestUnchangedConfigurationsCostNothing(t *testing.T) {
	r := newRig(t, 300)
	e, err := New(Config{Client: r.gh, Orgs: []string{rigOrg}, Now: r.expClock.now,
		Sources: []string{"secret_scanning_patterns", "code_security_configurations"}})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"github_secret_scanning_pattern_alerts", "github_code_security_configuration_info",
		"github_code_security_configuration_setting", "github_code_security_configuration_repositories"}
	e.Run(context.Background())
	first, err := testutil.CollectAndFormat(e, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	before := r.sim.Stats()
	e.Run(context.Background())
	after := r.sim.Stats()
	for _, st := range e.Status() {
		if !st.Success {
			t.Fatalf("%s failed: %s", st.Collector, st.LastError)
		}
	}
	requests := after.Requests - before.Requests
	notModified := after.ByStatus[http.StatusNotModified] - before.ByStatus[http.StatusNotModified]
	if requests == 0 || notModified != requests {
		t.Errorf("second run: %d requests, %d of them 304; want every one a 304", requests, notModified)
	}
	second, err := testutil.CollectAndFormat(e, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) || len(first) == 0 {
		t.Errorf("series changed on a run of 304s:\n%s\n---\n%s", first, second)
	}
}
