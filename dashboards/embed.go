package dashboards

import "embed"

// FS holds the dashboard files (*.json) at its root.
//
//go:embed *.json
var FS embed.FS
