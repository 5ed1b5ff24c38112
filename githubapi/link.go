package githubapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/github-security-exporter/github-security-exporter/internal/redact"
)

// ParseLink parses an RFC 8288 Link header into rel -> URL, as GitHub sends it:
//
//	<https://api.github.com/organizations/1/dependabot/alerts?per_page=100&after=X>; rel="next", <...>; rel="first"
//
// A rel may list several relation types ("next last"); the first link for a
// relation wins. The empty header gives an empty map. Malformed input gives an
// error, never a panic.
func ParseLink(header string) (map[string]string, error) {
	links := map[string]string{}
	s := skipSpace(header)
	for s != "" {
		if s[0] == ',' { // empty list element
			s = skipSpace(s[1:])
			continue
		}
		if s[0] != '<' {
			return nil, fmt.Errorf("malformed link header: expected '<' at %q", clip(s))
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return nil, fmt.Errorf("malformed link header: missing '>' in %q", clip(s))
		}
		target := s[1:end]
		if target == "" {
			return nil, errors.New("malformed link header: empty link target")
		}
		params, rest, err := parseLinkParams(s[end+1:])
		if err != nil {
			return nil, fmt.Errorf("malformed link header: %w", err)
		}
		rel, ok := params["rel"]
		if !ok || strings.TrimSpace(rel) == "" {
			return nil, fmt.Errorf("malformed link header: link <%s> has no rel", clip(target))
		}
		for _, r := range strings.Fields(rel) {
			r = strings.ToLower(r)
			if _, dup := links[r]; !dup {
				links[r] = target
			}
		}
		s = rest
	}
	return links, nil
}

// parseLinkParams reads `; name=value; name="quoted"` up to the next ',' outside
// quotes, and returns the parameters (lower-case names, first one wins) and the
// rest of the header after the comma.
func parseLinkParams(s string) (map[string]string, string, error) {
	params := map[string]string{}
	for {
		s = skipSpace(s)
		if s == "" {
			return params, "", nil
		}
		if s[0] == ',' {
			return params, skipSpace(s[1:]), nil
		}
		if s[0] != ';' {
			return nil, "", fmt.Errorf("expected ';' or ',' at %q", clip(s))
		}
		s = skipSpace(s[1:])
		n := strings.IndexAny(s, "=;, \t")
		if n < 0 {
			n = len(s)
		}
		name := strings.ToLower(s[:n])
		if name == "" {
			return nil, "", fmt.Errorf("empty parameter name at %q", clip(s))
		}
		s = skipSpace(s[n:])
		value := ""
		if s != "" && s[0] == '=' {
			var err error
			if value, s, err = parseParamValue(skipSpace(s[1:])); err != nil {
				return nil, "", err
			}
		}
		if _, dup := params[name]; !dup {
			params[name] = value
		}
	}
}

// parseParamValue reads a token or a quoted string (with backslash escapes).
func parseParamValue(s string) (value, rest string, err error) {
	if s == "" || s[0] != '"' {
		n := strings.IndexAny(s, ";, \t")
		if n < 0 {
			n = len(s)
		}
		return s[:n], s[n:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string at %q", clip(s))
}

func skipSpace(s string) string { return strings.TrimLeft(s, " \t") }

// clip shortens s for an error message, secrets removed (the text comes from GitHub).
func clip(s string) string {
	s = redact.String(s)
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
