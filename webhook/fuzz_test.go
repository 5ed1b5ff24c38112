package webhook

import (
	"sync"
	"testing"

	"github.com/github-security-exporter/github-security-exporter/collector"
	"github.com/github-security-exporter/github-security-exporter/githubsim"
)

var (
	fuzzOnce sync.Once
	fuzzSim  *githubsim.Server
	fuzzExp  *collector.Exporter
)

// FuzzDecode feeds payloads, starting from the simulated GitHub's own deliveries, to
// Decode and what it accepts to a real exporter's Apply: a hostile payload is an error,
// never a panic, and what is accepted names a valid organization and repository.
func FuzzDecode(f *testing.F) {
	fuzzOnce.Do(func() { fuzzSim, fuzzExp = simExporter(f, "fuzz-org") })
	fuzzSim.DeliverWebhooks("http://127.0.0.1:9/unused", []byte(testSecret))
	fuzzSim.Step(30)
	repos := fuzzSim.Repos("fuzz-org")
	fuzzSim.RenameRepository("fuzz-org", repos[0], "renamed")
	fuzzSim.DeleteRepository("fuzz-org", repos[1])
	for _, d := range fuzzSim.TakeWebhooks() {
		f.Add(d.Event, d.Body)
	}
	f.Add("repository", []byte(`{"action":"renamed","repository":{"id":1,"name":"a"},"organization":{"login":"o"},"changes":{"repository":{"name":{"from":"../x"}}}}`))
	f.Add("dependabot_alert", []byte(`{"action":"fixed","alert":[],"repository":{"id":-1,"name":"a"}}`))
	f.Add("secret_scanning_alert", []byte(`{"action":"created","alert":{"number":1e400},"repository":{"id":1,"name":"a","owner":{"login":"fuzz-org"}}}`))
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		changes, err := Decode(event, payload)
		if err != nil {
			return
		}
		for _, c := range changes {
			if !loginPattern.MatchString(c.Org) || c.Repository.ID <= 0 || !repoPattern.MatchString(c.Repository.Name) {
				t.Fatalf("accepted a change without a valid organization and repository: %+v", c)
			}
		}
		fuzzExp.Apply(changes)
	})
}
