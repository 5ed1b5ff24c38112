// Package shard decides which organizations a process collects when several share the
// work, in kube-state-metrics' terms: --shard=N of --total-shards=M, each organization
// owned by exactly one shard by a stable hash of its login.
package shard

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Of returns the shard, in [0, total), that owns org: FNV-1a (32 bits) of the login in
// lower case, GitHub logins being case-insensitive, modulo total. It depends on nothing
// but the login, so every replica and every restart agree.
func Of(org string, total int) int {
	if total <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(org)))
	return int(h.Sum32() % uint32(total))
}

// Select returns the organizations of orgs that shard owns, in their order.
func Select(orgs []string, shard, total int) []string {
	var out []string
	for _, org := range orgs {
		if Of(org, total) == shard {
			out = append(out, org)
		}
	}
	return out
}

// Check validates a shard number against a total.
func Check(shard, total int) error {
	if total < 1 || shard < 0 || shard >= total {
		return fmt.Errorf("--shard=%d --total-shards=%d: want 0 <= shard < total-shards", shard, total)
	}
	return nil
}
