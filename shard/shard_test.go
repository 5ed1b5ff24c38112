package shard

import (
	"fmt"
	"testing"
)

func TestEveryOrganizationHasExactlyOneShard(t *testing.T) {
	var orgs []string
	for i := range 200 {
		orgs = append(orgs, fmt.Sprintf("org-%d", i))
	}
	for _, total := range []int{1, 2, 3, 7} {
		seen := map[string]int{}
		for s := range total {
			for _, org := range Select(orgs, s, total) {
				seen[org]++
			}
		}
		for _, org := range orgs {
			if seen[org] != 1 {
				t.Errorf("total %d: %s is collected by %d shards, want 1", total, org, seen[org])
			}
		}
	}
}

func TestShardIsStable(t *testing.T) {
	// Fixed values: a change of hash would move organizations between shards on upgrade.
	tests := []struct {
		org   string
		total int
		want  int
	}{{"acme-corp", 3, 1}, {"ACME-Corp", 3, 1}, {"acme-labs", 3, 0}, {"bench-org", 3, 1}, {"acme-corp", 1, 0}}
	for _, tt := range tests {
		if got := Of(tt.org, tt.total); got != tt.want {
			t.Errorf("Of(%q, %d) = %d, want %d", tt.org, tt.total, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		shard, total int
		ok           bool
	}{{0, 1, true}, {2, 3, true}, {3, 3, false}, {-1, 3, false}, {0, 0, false}} {
		if err := Check(tt.shard, tt.total); (err == nil) != tt.ok {
			t.Errorf("Check(%d, %d) = %v, want ok=%v", tt.shard, tt.total, err, tt.ok)
		}
	}
}
