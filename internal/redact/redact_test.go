package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	Add("s3cr3t-webhook-value")
	tests := []struct{ name, in, gone string }{
		{"classic token", "Bad credentials ghp_" + strings.Repeat("a", 36), "ghp_aaaa"},
		{"oauth token", "echo gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7"},
		{"installation token", `{"message":"ghs_abcdefghijklmnopqrstuvwxyz0123456789"}`, "ghs_abcd"},
		{"user and refresh tokens", "ghu_abcdefgh1234 ghr_abcdefgh1234", "_abcdefgh"},
		{"fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_11"},
		{"bearer header", "Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi"},
		{"jwt", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyMzR9.c2lnbmF0dXJl", "eyJhbGci"},
		{"registered secret", "signature made with s3cr3t-webhook-value", "s3cr3t-webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in)
			if strings.Contains(got, tt.gone) || !strings.Contains(got, Mask) {
				t.Errorf("String(%q) = %q, still holds %q", tt.in, got, tt.gone)
			}
		})
	}
	for _, keep := range []string{"Not Found", "http_basic_authentication_header", "token expired", "listing dependabot alerts of acme-corp"} {
		if got := String(keep); got != keep {
			t.Errorf("String(%q) = %q, want it unchanged", keep, got)
		}
	}
}

func TestAddIgnoresShortValues(t *testing.T) {
	Add("abc")
	if got := String("abc abcdef"); got != "abc abcdef" {
		t.Errorf("a 3-byte secret masked ordinary text: %q", got)
	}
}

func TestHandler(t *testing.T) {
	Add("the-configured-token-1234")
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil))).With("token", "the-configured-token-1234")
	log.WithGroup("g").Error("answer ghp_abcdefghijklmnop", "err", errors.New("Bearer zyxwvutsrqpo"),
		"msg2", "the-configured-token-1234", "list", []string{"ghs_0123456789abcdef"}, slog.Group("inner", "v", "ghu_0123456789abcd"))
	out := buf.String()
	for _, leaked := range []string{"configured-token", "ghp_abcd", "zyxwvuts", "ghs_0123", "ghu_0123"} {
		if strings.Contains(out, leaked) {
			t.Errorf("log line holds %q: %s", leaked, out)
		}
	}
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, Mask) {
		t.Errorf("log line lost its shape: %s", out)
	}
}
