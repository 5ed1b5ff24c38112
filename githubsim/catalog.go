package githubsim

// Static tables the generated data draws from: repository names, code
// scanning tools and rules, package ecosystems, vulnerability classes and
// secret types. Weights are relative frequencies.

// repoNames are typical repository names of a company organization.
var repoNames = []string{
	"api-gateway", "payments-service", "web-frontend", "auth-service", "user-service", "billing-service",
	"orders-service", "inventory-service", "notification-service", "search-service", "checkout-web",
	"mobile-app", "mobile-backend", "admin-portal", "customer-portal", "data-pipeline", "etl-jobs",
	"ml-platform", "recommendation-engine", "infrastructure", "terraform-modules", "helm-charts",
	"k8s-manifests", "ci-templates", "docs", "developer-portal", "design-system", "ui-components",
	"shared-libs", "go-commons", "python-utils", "java-commons", "analytics-service", "reporting-service",
	"event-bus", "kafka-connectors", "graphql-gateway", "identity-provider", "sso-bridge", "fraud-detection",
	"pricing-engine", "shipping-service", "catalog-service", "media-service", "image-resizer", "pdf-renderer",
	"email-templates", "feature-flags", "config-service", "secrets-rotator", "audit-log", "monitoring",
	"alerting-rules", "load-tests", "e2e-tests", "legacy-monolith", "marketing-site", "blog", "status-page",
	"chat-bot", "slack-integrations", "cli", "sdk-js", "sdk-python", "sdk-java", "sdk-go", "websocket-gateway",
	"rate-limiter", "scheduler", "cron-jobs", "backup-tools", "ledger-service", "webhooks-dispatcher",
}

// Composite names for large organizations: domain × component.
var (
	repoDomains = []string{
		"account", "ads", "billing", "cart", "catalog", "checkout", "content", "customer", "delivery", "device",
		"fleet", "fraud", "geo", "identity", "inventory", "invoice", "ledger", "loyalty", "merchant", "order",
		"partner", "payment", "payout", "pricing", "profile", "promo", "quote", "rating", "refund", "risk",
		"route", "search", "session", "settlement", "shipment", "subscription", "tax", "tenant", "ticket",
		"vendor", "wallet", "warehouse",
	}
	repoComponents = []string{
		"service", "api", "worker", "web", "ui", "sdk", "lib", "proxy", "jobs", "sync", "events", "gateway",
		"importer", "exporter", "cli", "infra", "db-migrations", "adapter", "cache", "scheduler",
	}
	repoVariants = []string{"v2", "legacy", "eu", "us", "next", "internal"}
)

// Languages decide which rules and ecosystems a repository gets.
const (
	langJavaScript = "javascript"
	langPython     = "python"
	langJava       = "java"
	langGo         = "go"
	langRuby       = "ruby"
	langCSharp     = "csharp"
	langPHP        = "php"
	langRust       = "rust"
)

type weighted[T any] struct {
	v T
	w int
}

var languages = []weighted[string]{
	{langJavaScript, 30}, {langPython, 20}, {langJava, 15}, {langGo, 15}, {langRuby, 6}, {langCSharp, 6},
	{langPHP, 4}, {langRust, 4},
}

// ecosystemOf is the package ecosystem of a language.
var ecosystemOf = map[string]string{
	langJavaScript: "npm", langPython: "pip", langJava: "maven", langGo: "go", langRuby: "rubygems",
	langCSharp: "nuget", langPHP: "composer", langRust: "rust",
}

// csTool is a code scanning tool as it appears in alerts.
type csTool struct {
	name, version string
	analysisKey   string
	// category is the analysis category; "%s" takes the language.
	category string
	// nullSecurity: rules without a security severity send
	// "security_severity_level": null instead of omitting it.
	nullSecurity bool
	weight       int
}

var (
	toolCodeQL  = &csTool{"CodeQL", "2.20.1", ".github/workflows/codeql.yml:analyze", "/language:%s", true, 60}
	toolSemgrep = &csTool{"Semgrep OSS", "1.103.0", ".github/workflows/semgrep.yml:semgrep", "semgrep", false, 15}
	toolTrivy   = &csTool{"Trivy", "0.58.1", ".github/workflows/trivy.yml:scan", "trivy-container", false, 15}
	toolESLint  = &csTool{"ESLint", "9.17.0", ".github/workflows/eslint.yml:lint", "eslint", false, 12}
	toolGosec   = &csTool{"gosec", "2.21.4", ".github/workflows/gosec.yml:gosec", "gosec", false, 8}
)

// csRule is a code scanning rule. lang "" applies to any repository; path is
// a fixed file for infrastructure rules.
type csRule struct {
	tool             *csTool
	lang             string
	id, name, desc   string
	severity         string // none, note, warning, error
	securitySeverity string // low, medium, high, critical or ""
	cwe              string
	message, path    string
	weight           int
}

func rule(t *csTool, lang, id, desc, sev, secSev, cwe string, w int) *csRule {
	return &csRule{tool: t, lang: lang, id: id, name: id, desc: desc, severity: sev, securitySeverity: secSev, cwe: cwe, weight: w,
		message: "This value depends on a user-provided value."}
}

func infraRule(t *csTool, id, desc, sev, secSev, path string, w int) *csRule {
	r := rule(t, "", id, desc, sev, secSev, "", w)
	r.path, r.message = path, desc+"."
	return r
}

var csRules = []*csRule{
	rule(toolCodeQL, langJavaScript, "js/xss", "Client-side cross-site scripting", "error", "high", "079", 8),
	rule(toolCodeQL, langJavaScript, "js/sql-injection", "Database query built from user-controlled sources", "error", "high", "089", 5),
	rule(toolCodeQL, langJavaScript, "js/path-injection", "Uncontrolled data used in path expression", "error", "high", "022", 6),
	rule(toolCodeQL, langJavaScript, "js/zipslip", "Arbitrary file access during archive extraction (\"Zip Slip\")", "error", "high", "022", 2),
	rule(toolCodeQL, langJavaScript, "js/prototype-pollution-utility", "Prototype-polluting function", "warning", "medium", "1321", 4),
	rule(toolCodeQL, langJavaScript, "js/insecure-randomness", "Insecure randomness", "warning", "high", "338", 3),
	rule(toolCodeQL, langJavaScript, "js/missing-rate-limiting", "Missing rate limiting", "warning", "high", "770", 9),
	rule(toolCodeQL, langJavaScript, "js/regex/missing-regexp-anchor", "Missing regular expression anchor", "warning", "medium", "020", 4),
	rule(toolCodeQL, langJavaScript, "js/unused-local-variable", "Unused variable, import, function or class", "note", "", "", 10),
	rule(toolCodeQL, langJavaScript, "js/useless-assignment-to-local", "Useless assignment to local variable", "warning", "", "563", 4),
	rule(toolCodeQL, langPython, "py/sql-injection", "SQL query built from user-controlled sources", "error", "high", "089", 6),
	rule(toolCodeQL, langPython, "py/command-line-injection", "Uncontrolled command line", "error", "critical", "078", 3),
	rule(toolCodeQL, langPython, "py/path-injection", "Uncontrolled data used in path expression", "error", "high", "022", 6),
	rule(toolCodeQL, langPython, "py/clear-text-logging-sensitive-data", "Clear-text logging of sensitive information", "error", "high", "312", 5),
	rule(toolCodeQL, langPython, "py/flask-debug", "Flask app is run in debug mode", "error", "high", "215", 2),
	rule(toolCodeQL, langPython, "py/weak-cryptographic-algorithm", "Use of a broken or weak cryptographic algorithm", "warning", "high", "327", 3),
	rule(toolCodeQL, langPython, "py/unused-import", "Unused import", "note", "", "", 10),
	rule(toolCodeQL, langPython, "py/empty-except", "Empty except", "note", "", "390", 3),
	rule(toolCodeQL, langJava, "java/sql-injection", "Query built from user-controlled sources", "error", "high", "089", 5),
	rule(toolCodeQL, langJava, "java/path-injection", "Uncontrolled data used in path expression", "error", "high", "022", 5),
	rule(toolCodeQL, langJava, "java/unsafe-deserialization", "Deserialization of user-controlled data", "error", "critical", "502", 3),
	rule(toolCodeQL, langJava, "java/ssrf", "Server-side request forgery", "error", "critical", "918", 3),
	rule(toolCodeQL, langJava, "java/insecure-cookie", "Failure to use secure cookies", "warning", "medium", "614", 4),
	rule(toolCodeQL, langJava, "java/log-injection", "Log Injection", "error", "medium", "117", 6),
	rule(toolCodeQL, langJava, "java/unused-reference-type", "Unused classes and interfaces", "none", "", "", 2),
	rule(toolCodeQL, langGo, "go/command-injection", "Command built from user-controlled sources", "error", "critical", "078", 2),
	rule(toolCodeQL, langGo, "go/sql-injection", "Database query built from user-controlled sources", "error", "high", "089", 4),
	rule(toolCodeQL, langGo, "go/path-injection", "Uncontrolled data used in path expression", "error", "high", "022", 5),
	rule(toolCodeQL, langGo, "go/clear-text-logging", "Clear-text logging of sensitive information", "error", "high", "312", 5),
	rule(toolCodeQL, langGo, "go/incorrect-integer-conversion", "Incorrect conversion between integer types", "error", "high", "681", 6),
	rule(toolCodeQL, langGo, "go/unhandled-writable-file-close", "Writable file handle closed without error handling", "warning", "", "252", 4),
	rule(toolCodeQL, langRuby, "rb/sql-injection", "SQL query built from user-controlled sources", "error", "high", "089", 5),
	rule(toolCodeQL, langRuby, "rb/code-injection", "Code injection", "error", "critical", "094", 2),
	rule(toolCodeQL, langRuby, "rb/reflected-xss", "Reflected server-side cross-site scripting", "error", "medium", "079", 4),
	rule(toolCodeQL, langRuby, "rb/insecure-download", "Download of sensitive file through insecure connection", "warning", "high", "829", 2),
	rule(toolCodeQL, langCSharp, "cs/sql-injection", "SQL query built from user-controlled sources", "error", "high", "089", 5),
	rule(toolCodeQL, langCSharp, "cs/path-injection", "Uncontrolled data used in path expression", "error", "high", "022", 4),
	rule(toolCodeQL, langCSharp, "cs/web/xss", "Cross-site scripting", "error", "medium", "079", 4),
	rule(toolCodeQL, langCSharp, "cs/log-forging", "Log entries created from user input", "warning", "medium", "117", 4),
	rule(toolCodeQL, langCSharp, "cs/useless-assignment-to-local", "Useless assignment to local variable", "note", "", "563", 6),

	rule(toolSemgrep, langPython, "python.django.security.injection.sql.sql-injection-using-db-cursor-execute", "User-controlled data reaches a raw SQL query", "error", "high", "089", 4),
	rule(toolSemgrep, langPython, "python.lang.security.audit.subprocess-shell-true", "subprocess call with shell=True", "error", "", "078", 5),
	rule(toolSemgrep, langJavaScript, "javascript.express.security.audit.xss.direct-response-write.direct-response-write", "Direct write of user input to the response", "warning", "medium", "079", 5),
	rule(toolSemgrep, langJava, "java.lang.security.audit.crypto.use-of-md5.use-of-md5", "Use of MD5", "warning", "", "328", 4),
	rule(toolSemgrep, langGo, "go.lang.security.audit.net.use-tls.use-tls", "Server does not use TLS", "warning", "", "319", 3),
	// A third-party SARIF rule with neither a level nor a security severity: GitHub sends "severity": null.
	rule(toolSemgrep, langGo, "go.lang.maintainability.useless-ifelse", "Useless if/else branches", "", "", "", 2),
	infraRule(toolSemgrep, "generic.secrets.security.detected-generic-api-key.detected-generic-api-key", "Generic API key detected", "error", "", "config/settings.yaml", 3),
	infraRule(toolSemgrep, "dockerfile.security.missing-user.missing-user", "Dockerfile does not set a non-root user", "error", "", "Dockerfile", 4),

	infraRule(toolTrivy, "CVE-2024-45337", "golang.org/x/crypto: misuse of ServerConfig.PublicKeyCallback may cause authorization bypass", "error", "critical", "go.sum", 3),
	infraRule(toolTrivy, "CVE-2023-44487", "HTTP/2 rapid reset can cause excessive work in net/http", "error", "high", "Dockerfile", 5),
	infraRule(toolTrivy, "CVE-2024-6387", "openssh: regreSSHion race condition in sshd signal handler", "error", "high", "Dockerfile", 3),
	infraRule(toolTrivy, "CVE-2023-5363", "openssl: incorrect cipher key and IV length processing", "warning", "medium", "Dockerfile", 4),
	infraRule(toolTrivy, "AVD-DS-0002", "Image user should not be 'root'", "error", "high", "Dockerfile", 6),
	infraRule(toolTrivy, "AVD-DS-0026", "No HEALTHCHECK defined", "note", "low", "Dockerfile", 5),
	infraRule(toolTrivy, "AVD-KSV-0014", "Root file system is not read-only", "error", "high", "deploy/k8s/deployment.yaml", 4),
	infraRule(toolTrivy, "AVD-AWS-0086", "S3 Access block should block public ACL", "error", "high", "terraform/s3.tf", 2),

	rule(toolESLint, langJavaScript, "no-eval", "Disallow the use of eval()", "error", "", "", 3),
	rule(toolESLint, langJavaScript, "no-implied-eval", "Disallow the use of eval()-like methods", "error", "", "", 2),
	rule(toolESLint, langJavaScript, "security/detect-object-injection", "Detects \"variable[key]\" as a left- or right-hand assignment operand", "warning", "", "", 8),
	rule(toolESLint, langJavaScript, "security/detect-non-literal-fs-filename", "Detects variable in filename argument of fs calls", "warning", "", "", 4),
	rule(toolESLint, langJavaScript, "react/no-danger", "Disallow usage of dangerous JSX properties", "warning", "", "", 3),

	rule(toolGosec, langGo, "G101", "Look for hard coded credentials", "error", "high", "798", 3),
	rule(toolGosec, langGo, "G304", "File path provided as taint input", "warning", "medium", "022", 5),
	rule(toolGosec, langGo, "G402", "TLS InsecureSkipVerify set true", "error", "high", "295", 2),
	rule(toolGosec, langGo, "G104", "Audit errors not checked", "note", "low", "703", 6),
}

var sourceExt = map[string]string{
	langJavaScript: ".ts", langPython: ".py", langJava: ".java", langGo: ".go", langRuby: ".rb",
	langCSharp: ".cs", langPHP: ".php", langRust: ".rs",
}

var (
	sourceDirs  = []string{"src", "lib", "internal/handlers", "app/controllers", "pkg/api", "services/auth", "web/src/components", "cmd/server"}
	sourceFiles = []string{"user", "session", "upload", "payment", "config", "client", "router", "utils", "export", "webhook"}
)

// Dismissal reasons as the APIs spell them.
var (
	csDismissReasons  = []weighted[string]{{"false positive", 45}, {"won't fix", 35}, {"used in tests", 20}}
	depDismissReasons = []weighted[string]{{"tolerable_risk", 35}, {"not_used", 25}, {"inaccurate", 15}, {"no_bandwidth", 15}, {"fix_started", 10}}
	ssResolutions     = []weighted[string]{{"revoked", 40}, {"false_positive", 25}, {"wont_fix", 15}, {"used_in_tests", 15}, {"pattern_edited", 3}, {"pattern_deleted", 2}}
)

// packages are frequently vulnerable packages per ecosystem.
var packages = map[string][]string{
	"npm": {"lodash", "axios", "express", "minimist", "jsonwebtoken", "follow-redirects", "semver", "ws", "braces",
		"micromatch", "undici", "next", "cookie", "path-to-regexp", "body-parser", "tough-cookie", "word-wrap"},
	"pip": {"django", "requests", "urllib3", "jinja2", "cryptography", "pillow", "flask", "werkzeug", "setuptools",
		"aiohttp", "idna", "certifi", "pyyaml"},
	"maven": {"com.fasterxml.jackson.core:jackson-databind", "org.apache.logging.log4j:log4j-core",
		"org.springframework:spring-web", "org.yaml:snakeyaml", "io.netty:netty-codec-http",
		"com.google.protobuf:protobuf-java", "commons-io:commons-io", "org.apache.tomcat.embed:tomcat-embed-core"},
	"go": {"golang.org/x/net", "golang.org/x/crypto", "google.golang.org/grpc", "github.com/golang-jwt/jwt/v4",
		"golang.org/x/text", "github.com/docker/docker", "google.golang.org/protobuf", "github.com/gin-gonic/gin"},
	"rubygems": {"rails", "nokogiri", "rack", "actionpack", "puma", "rexml", "activerecord"},
	"nuget":    {"Newtonsoft.Json", "System.Text.Json", "Microsoft.Data.SqlClient", "System.Net.Http", "Azure.Identity"},
	"composer": {"laravel/framework", "guzzlehttp/guzzle", "symfony/http-kernel", "twig/twig", "phpseclib/phpseclib"},
	"rust":     {"openssl", "h2", "tokio", "time", "regex", "rustls"},
}

var manifests = map[string][]string{
	"npm":      {"package-lock.json", "frontend/package-lock.json", "yarn.lock"},
	"pip":      {"requirements.txt", "poetry.lock", "requirements/dev.txt"},
	"maven":    {"pom.xml", "service/pom.xml"},
	"go":       {"go.mod"},
	"rubygems": {"Gemfile.lock"},
	"nuget":    {"src/App/App.csproj", "packages.lock.json"},
	"composer": {"composer.lock"},
	"rust":     {"Cargo.lock"},
}

// vulnClass is a kind of vulnerability an advisory describes.
type vulnClass struct {
	summary string // "%s" takes the package name
	cwe     string
	cweName string
}

var vulnClasses = []vulnClass{
	{"Prototype Pollution in %s", "CWE-1321", "Improperly Controlled Modification of Object Prototype Attributes ('Prototype Pollution')"},
	{"%s vulnerable to Regular Expression Denial of Service", "CWE-1333", "Inefficient Regular Expression Complexity"},
	{"Path traversal in %s", "CWE-22", "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')"},
	{"%s allows Server-Side Request Forgery", "CWE-918", "Server-Side Request Forgery (SSRF)"},
	{"Remote code execution in %s", "CWE-94", "Improper Control of Generation of Code ('Code Injection')"},
	{"Cross-site Scripting in %s", "CWE-79", "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"},
	{"%s Denial of Service via crafted input", "CWE-400", "Uncontrolled Resource Consumption"},
	{"Deserialization of untrusted data in %s", "CWE-502", "Deserialization of Untrusted Data"},
	{"%s exposes sensitive information to an unauthorized actor", "CWE-200", "Exposure of Sensitive Information to an Unauthorized Actor"},
	{"SQL injection in %s", "CWE-89", "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')"},
	{"Improper certificate validation in %s", "CWE-295", "Improper Certificate Validation"},
}

var advisorySeverities = []weighted[string]{{"critical", 10}, {"high", 35}, {"medium", 40}, {"low", 15}}

// cvssVectors are representative CVSS vectors per severity: v3 and v4.
var cvssVectors = map[string][2]string{
	"critical": {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
	"high":     {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N"},
	"medium":   {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N", "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"},
	"low":      {"CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N", "CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:P/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"},
}

// cvssRange is the score range of a severity.
var cvssRange = map[string][2]float64{"critical": {9.0, 10.0}, "high": {7.0, 8.9}, "medium": {4.0, 6.9}, "low": {0.1, 3.9}}

// secretType is a secret scanning pattern. validity: GitHub checks validity
// for it (otherwise the alert has no validity field).
type secretType struct {
	name, display string
	prefix        string
	length        int
	validity      bool
	weight        int
}

var secretTypes = []secretType{
	{"github_personal_access_token", "GitHub Personal Access Token", "ghp_", 36, true, 20},
	{"github_oauth_access_token", "GitHub OAuth Access Token", "gho_", 36, true, 4},
	{"aws_access_key_id", "Amazon AWS Access Key ID", "AKIA", 16, true, 14},
	{"aws_secret_access_key", "Amazon AWS Secret Access Key", "", 40, true, 8},
	{"slack_api_token", "Slack API Token", "xoxb-", 48, true, 10},
	{"slack_incoming_webhook_url", "Slack Incoming Webhook URL", "https://hooks.slack.com/services/T", 40, false, 6},
	{"stripe_api_key", "Stripe API Key", "sk_live_", 24, true, 6},
	{"google_api_key", "Google API Key", "AIza", 35, true, 10},
	{"azure_storage_account_key", "Azure Storage Account Access Key", "", 86, true, 4},
	{"npm_access_token", "npm Access Token", "npm_", 36, true, 5},
	{"openai_api_key", "OpenAI API Key", "sk-proj-", 48, true, 5},
	{"twilio_api_key", "Twilio API Key", "SK", 32, false, 2},
}

// genericSecretTypes are the non-provider patterns and the AI-detected password, by the
// token names of GitHub's "Supported secret scanning patterns" page. GitHub's listing
// leaves them out unless secret_type names them (changelog 2024-08-06), and its summary
// views never count them.
var genericSecretTypes = []secretType{
	{"ec_private_key", "Elliptic Curve Private Key", "-----BEGIN EC PRIVATE KEY-----", 64, false, 3},
	{"generic_private_key", "Generic Private Key", "-----BEGIN PRIVATE KEY-----", 64, false, 6},
	{"http_basic_authentication_header", "HTTP Basic Authentication Header", "Authorization: Basic ", 24, false, 5},
	{"http_bearer_authentication_header", "HTTP Bearer Authentication Header", "Authorization: Bearer ", 32, false, 6},
	{"mongodb_connection_string", "MongoDB Connection String", "mongodb://app:", 20, false, 3},
	{"mysql_connection_url", "MySQL Connection URL", "mysql://app:", 20, false, 2},
	{"openssh_private_key", "OpenSSH Private Key", "-----BEGIN OPENSSH PRIVATE KEY-----", 64, false, 4},
	{"pgp_private_key", "PGP Private Key", "-----BEGIN PGP PRIVATE KEY BLOCK-----", 64, false, 1},
	{"postgres_connection_string", "Postgres Connection String", "postgres://app:", 20, false, 3},
	{"rsa_private_key", "RSA Private Key", "-----BEGIN RSA PRIVATE KEY-----", 64, false, 5},
	{"password", "Password", "", 16, false, 8},
}

// GenericSecretTypes returns the token names of the generic secret types the simulator
// knows, in GitHub's order.
func GenericSecretTypes() []string {
	out := make([]string, len(genericSecretTypes))
	for i, t := range genericSecretTypes {
		out[i] = t.name
	}
	return out
}

func isGenericSecretType(name string) bool {
	for _, t := range genericSecretTypes {
		if t.name == name {
			return true
		}
	}
	return false
}

var secretPaths = []string{".env", "config/settings.py", "deploy/values.yaml", "scripts/deploy.sh", "src/config.js",
	"docker-compose.yml", "README.md", "terraform/main.tf", "test/fixtures/credentials.json", ".github/workflows/release.yml"}

var validities = []weighted[string]{{"active", 25}, {"inactive", 45}, {"unknown", 30}}

// staff are the organization members who dismiss and resolve alerts.
var staff = []string{"alice-appsec", "bob-platform", "carol-sre", "dave-backend", "erin-frontend", "frank-secops"}
