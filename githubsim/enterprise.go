package githubsim

import "net/http"

// GitHub Enterprise Server 2.22 (Config.Enterprise "2.22"), as its documentation
// describes it: the REST API under /api/v3; no organization-level code scanning listing
// (it arrived in 3.5) and no Dependabot alerts API, both 404 there; code scanning alerts
// listed per repository with page-number links and that release's payload (an
// "instance" object instead of "most_recent_instance", no updated_at, fixed_at,
// instances_url, repository or rule.security_severity_level); secret scanning paginated
// by page number only.

// Enterprise222 is the Config.Enterprise value of GitHub Enterprise Server 2.22.
const Enterprise222 = "2.22"

const docEnterprise222 = "https://docs.github.com/enterprise/2.22/rest"

// enterprisePrefix is the path prefix the server answers under: Enterprise Server's
// /api/v3 unless the configuration names another.
func enterprisePrefix(cfg Config) string {
	switch cfg.Enterprise {
	case "":
		return cfg.PathPrefix
	case Enterprise222:
		if cfg.PathPrefix == "" {
			return "/api/v3"
		}
		return cfg.PathPrefix
	}
	panic("githubsim: unknown Enterprise version " + cfg.Enterprise + " (known: \"\", \"2.22\")")
}

func (s *Server) ghes222() bool { return s.cfg.Enterprise == Enterprise222 }

// notOnGHES222 serves an endpoint that Enterprise Server 2.22 does not have as a 404.
func (s *Server) notOnGHES222(serve func(*call)) func(*call) {
	if !s.ghes222() {
		return serve
	}
	return func(c *call) {
		c.fail(&apiErr{status: http.StatusNotFound, message: "Not Found", docURL: docEnterprise222})
	}
}

// listPagination is how a listing that pages by number or cursor on github.com pages
// on this server.
func (s *Server) listPagination() pagination {
	if s.ghes222() {
		return pageOnly
	}
	return cursorOrPage
}

// sorts returns the sort values a listing honours: with Config.IgnoreSortUpdated,
// sort=updated is accepted but lists by creation time, as older Enterprise Servers
// do on some listings; the direction is still honoured.
func (s *Server) sorts(m map[string]sortField) map[string]sortField {
	if !s.cfg.IgnoreSortUpdated {
		return m
	}
	out := make(map[string]sortField, len(m))
	for k, v := range m {
		if v == sortUpdated {
			v = sortCreated
		}
		out[k] = v
	}
	return out
}
