package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/github-security-exporter/github-security-exporter/collector"
)

func TestWalkFlags(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		openRefresh time.Duration
		generic     []string
		err         string
	}{
		{name: "defaults", openRefresh: time.Hour, generic: collector.DefaultGenericSecretTypes},
		{name: "refresh off", args: []string{"--collector.open-refresh-interval=0"}, openRefresh: -1, generic: collector.DefaultGenericSecretTypes},
		{name: "generic walk off", args: []string{"--collector.secret-scanning.generic-types="}, openRefresh: time.Hour, generic: []string{}},
		{name: "some types", args: []string{"--collector.secret-scanning.generic-types=rsa_private_key, password"}, openRefresh: time.Hour, generic: []string{"rsa_private_key", "password"}},
		{name: "negative refresh", args: []string{"--collector.open-refresh-interval=-5m"}, err: "--collector.open-refresh-interval must not be negative"},
		{name: "bad type", args: []string{"--collector.secret-scanning.generic-types=rsa_private_key,pass word"}, err: `invalid secret type "pass word"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseFlags(kingpin.New("test", ""), append([]string{"--github.org=acme"}, tt.args...))
			err := cfg.validateWalks()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := cfg.walks()
			if w.OpenRefresh != tt.openRefresh || !slices.Equal(w.GenericSecretTypes, tt.generic) || w.GenericSecretTypes == nil {
				t.Errorf("walks %+v; want open refresh %s, generic types %q (not nil)", w, tt.openRefresh, tt.generic)
			}
		})
	}
}
