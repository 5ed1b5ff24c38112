package main

import (
	"runtime/debug"
	"strings"

	"github.com/prometheus/common/version"
)

// stampVersion fills the version, revision and build date that
// github.com/prometheus/common/version reports (in --version and
// github_exporter_build_info) from what the Go toolchain recorded in the
// binary, unless the release build set them with -ldflags -X. go build in a
// checkout records the module's version from the VCS tag (a pseudo-version
// between tags, +dirty with local changes), the commit and its time.
func stampVersion() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	fillVersion(info)
}

func fillVersion(info *debug.BuildInfo) {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if version.Version == "" {
		version.Version = "devel"
		if v := info.Main.Version; v != "" && v != "(devel)" {
			version.Version = strings.TrimPrefix(v, "v")
		}
	}
	if version.Revision == "" && settings["vcs.revision"] != "" {
		version.Revision = settings["vcs.revision"]
		if settings["vcs.modified"] == "true" {
			version.Revision += "-modified"
		}
	}
	if version.BuildDate == "" {
		version.BuildDate = settings["vcs.time"]
	}
}
