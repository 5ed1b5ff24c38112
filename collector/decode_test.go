package collector

import (
	"strings"
	"testing"
)

// TestStrictPages checks that every broken page shape is an error of the page, never
// an empty page or a phantom alert: a failed walk keeps the last good counts, an
// accepted empty page would zero them.
func TestStrictPages(t *testing.T) {
	const alert = `{"number":7,"state":"open","repository":{"id":1,"name":"api"}}`
	tests := []struct{ name, body, wantErr string }{
		{"null", `null`, "not a JSON array"},
		{"empty body", ``, "not a JSON array"},
		{"object", `{"message":"Moved Permanently"}`, "not a JSON array"},
		{"trailing garbage", `[] GARBAGE`, "data after the JSON value"},
		{"second array", `[` + alert + `][]`, "data after the JSON value"},
		{"null element", `[null,` + alert + `]`, "element 0 of the page is null"},
		{"element not an object", `[7]`, "decoding the page"},
		{"alert without number", `[{"state":"open","repository":{"name":"api"}}]`, "has no number"},
		{"alert without repository", `[{"number":3,"state":"open"}]`, "alert #3 has no repository"},
		{"good page", `[` + alert + `]`, ""},
		{"good empty page", ` [ ] `, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alerts, err := dependabotListing.decode(strings.NewReader(tt.body), newAlertSet())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("decode = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("decode = %d alerts, %v; want an error containing %q", len(alerts), err, tt.wantErr)
			}
		})
	}
	var cfg patternConfigurations
	for _, body := range []string{`null`, `{} GARBAGE`, `[]`} {
		if err := decodeObject(strings.NewReader(body), &cfg); err == nil {
			t.Errorf("pattern configurations %q accepted", body)
		}
	}
}
