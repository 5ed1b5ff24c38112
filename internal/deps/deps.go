//go:build tools

// Package deps pins modules that later work imports, so that go.mod and go.sum
// do not change under parallel work. Remove an entry once real code imports it.
package deps

import (
	_ "github.com/alecthomas/kingpin/v2"
	_ "github.com/bradleyfalzon/ghinstallation/v2"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/graph-gophers/graphql-go"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/common/promslog"
	_ "github.com/prometheus/exporter-toolkit/web"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/robfig/cron/v3"
	_ "github.com/shurcooL/githubv4"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)
