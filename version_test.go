package main

import (
	"runtime/debug"
	"testing"

	"github.com/prometheus/common/version"
)

// TestFillVersion: what go build records (module version from the VCS tag,
// the commit, its time) becomes --version's and build_info's version,
// revision and build date, unless the release build's -ldflags set them.
func TestFillVersion(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-30T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name                           string
		preset                         [3]string // version, revision, date set by -ldflags
		main                           string
		settings                       []debug.BuildSetting
		wantVersion, wantRev, wantDate string
	}{
		{"tagged checkout", [3]string{}, "v1.2.3", vcs[:2], "1.2.3", vcs[0].Value, vcs[1].Value},
		{"local changes", [3]string{}, "v1.2.4-0.20261130100000-0123456789ab+dirty", vcs,
			"1.2.4-0.20261130100000-0123456789ab+dirty", vcs[0].Value + "-modified", vcs[1].Value},
		{"no VCS information", [3]string{}, "(devel)", nil, "devel", "", ""},
		{"release build", [3]string{"1.3.0", "fedcba", "2026-12-01T00:00:00Z"}, "(devel)", vcs, "1.3.0", "fedcba", "2026-12-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := [3]string{version.Version, version.Revision, version.BuildDate}
			t.Cleanup(func() { version.Version, version.Revision, version.BuildDate = old[0], old[1], old[2] })
			version.Version, version.Revision, version.BuildDate = tt.preset[0], tt.preset[1], tt.preset[2]
			fillVersion(&debug.BuildInfo{Main: debug.Module{Version: tt.main}, Settings: tt.settings})
			if version.Version != tt.wantVersion || version.Revision != tt.wantRev || version.BuildDate != tt.wantDate {
				t.Errorf("version, revision, date = %q, %q, %q; want %q, %q, %q",
					version.Version, version.Revision, version.BuildDate, tt.wantVersion, tt.wantRev, tt.wantDate)
			}
		})
	}
}
