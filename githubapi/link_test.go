package githubapi

import (
	"maps"
	"strings"
	"testing"
)

func TestParseLink(t *testing.T) {
	const api = "https://api.github.com"
	tests := []struct {
		name    string
		header  string
		want    map[string]string
		wantErr string
	}{
		{
			name: "github cursor links",
			header: `<https://api.github.com/organizations/123/dependabot/alerts?per_page=100&after=Y3Vyc29yOnYyOpPP>; rel="next", ` +
				`<https://api.github.com/organizations/123/dependabot/alerts?per_page=100&before=Y3Vyc29yOnYyOpOO>; rel="prev"`,
			want: map[string]string{
				"next": api + "/organizations/123/dependabot/alerts?per_page=100&after=Y3Vyc29yOnYyOpPP",
				"prev": api + "/organizations/123/dependabot/alerts?per_page=100&before=Y3Vyc29yOnYyOpOO",
			},
		},
		{
			name: "github page numbers, four rels",
			header: `<https://api.github.com/repositories/42/code-scanning/alerts?page=1>; rel="prev", ` +
				`<https://api.github.com/repositories/42/code-scanning/alerts?page=3>; rel="next", ` +
				`<https://api.github.com/repositories/42/code-scanning/alerts?page=5>; rel="last", ` +
				`<https://api.github.com/repositories/42/code-scanning/alerts?page=1>; rel="first"`,
			want: map[string]string{
				"prev":  api + "/repositories/42/code-scanning/alerts?page=1",
				"next":  api + "/repositories/42/code-scanning/alerts?page=3",
				"last":  api + "/repositories/42/code-scanning/alerts?page=5",
				"first": api + "/repositories/42/code-scanning/alerts?page=1",
			},
		},
		{name: "empty", header: "", want: map[string]string{}},
		{name: "only spaces", header: "  \t ", want: map[string]string{}},
		{name: "unquoted rel", header: `<https://x/2>; rel=next`, want: map[string]string{"next": "https://x/2"}},
		{
			name:   "spaces everywhere",
			header: `  <https://x/2>  ;  rel = "next"  ,   <https://x/9>;rel="last"  `,
			want:   map[string]string{"next": "https://x/2", "last": "https://x/9"},
		},
		{name: "several relation types", header: `<https://x/9>; rel="next last"`, want: map[string]string{"next": "https://x/9", "last": "https://x/9"}},
		{name: "case of rel", header: `<https://x/2>; REL="Next"`, want: map[string]string{"next": "https://x/2"}},
		{name: "commas inside the URL", header: `<https://x/a?state=open,fixed>; rel="next"`, want: map[string]string{"next": "https://x/a?state=open,fixed"}},
		{
			name:   "quoted parameter with separators and escapes",
			header: `<https://x/2>; title="a, b; \"c\""; rel="next", <https://x/1>; rel="prev"`,
			want:   map[string]string{"next": "https://x/2", "prev": "https://x/1"},
		},
		{name: "first link of a relation wins", header: `<https://x/2>; rel="next", <https://x/3>; rel="next"`, want: map[string]string{"next": "https://x/2"}},
		{name: "empty list elements", header: `, <https://x/2>; rel="next",,`, want: map[string]string{"next": "https://x/2"}},
		{name: "garbage", header: "garbage", wantErr: "expected '<'"},
		{name: "no closing bracket", header: `<https://x/2; rel="next"`, wantErr: "missing '>'"},
		{name: "no rel", header: `<https://x/2>`, wantErr: "has no rel"},
		{name: "empty rel", header: `<https://x/2>; rel=""`, wantErr: "has no rel"},
		{name: "unterminated quote", header: `<https://x/2>; rel="next`, wantErr: "unterminated quoted string"},
		{name: "missing semicolon", header: `<https://x/2> rel="next"`, wantErr: "expected ';' or ','"},
		{name: "empty target", header: `<>; rel="next"`, wantErr: "empty link target"},
		{name: "empty parameter name", header: `<https://x/2>; =next`, wantErr: "empty parameter name"},
		{name: "garbage after a link", header: `<https://x/2>; rel="next" junk`, wantErr: "expected ';' or ','"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLink(tt.header)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseLink(%q) error = %v, want one containing %q", tt.header, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLink(%q): %v", tt.header, err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("ParseLink(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

// FuzzParseLink checks that no input panics and that parsed links are never empty.
func FuzzParseLink(f *testing.F) {
	for _, seed := range []string{
		`<https://api.github.com/organizations/1/x?after=a>; rel="next", <https://api.github.com/organizations/1/x?before=b>; rel="prev"`,
		`<a>; rel=next`, `<a>; t="\`, `<`, `<>`, `;;;`, `<a>;rel="`, `<a>; rel="x\"`, ",,,", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		links, err := ParseLink(header)
		if err != nil {
			return
		}
		for rel, target := range links {
			if rel == "" || target == "" {
				t.Errorf("ParseLink(%q) gave an empty rel or target: %v", header, links)
			}
		}
	})
}
